"""``inspectqa corpus fetch`` against a real HTTP server on loopback serving real reports from
``../shared``: one URL answers an HTML error page with status 200 (as Ofsted's file service does),
one 503 before it succeeds, one times out once, one is 404."""

from __future__ import annotations

import csv
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import CORPUS
from typer.testing import CliRunner

import corpus
from corpus.fetch import fetch_corpus, is_whole_pdf
from inspectqa.cli import app

REPORTS = CORPUS / "reports"
GOOD = ("bexley-2018-08-20", "durham-2019-10-21")
FLAKY = "barnet-2019-07-01"
SLOW = "essex-2014-03-21"
ERROR_PAGE = "birmingham-2012-10-19"
MISSING = "bromley-2012-08-17"


class _Handler(BaseHTTPRequestHandler):
    hits: ClassVar[Counter[str]] = Counter()

    def do_GET(self) -> None:
        name = self.path.rsplit("/", 1)[-1]
        self.hits[name] += 1
        if name == MISSING:
            self._answer(404, b"<html><title>Not Found</title></html>", "text/html")
        elif name == FLAKY and self.hits[name] == 1:
            self._answer(503, b"busy", "text/plain")
        elif name == SLOW and self.hits[name] == 1:
            time.sleep(1.5)  # longer than the client's timeout: the first try times out
            self._answer(200, (REPORTS / f"{name}.pdf").read_bytes(), "application/pdf")
        else:
            # The error page is a real file of the corpus: HTML saved under a .pdf name.
            self._answer(200, (REPORTS / f"{name}.pdf").read_bytes(), "application/pdf")

    def _answer(self, status: int, body: bytes, kind: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the timeout case)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[tuple[str, Counter[str]]]:
    _Handler.hits = Counter()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", _Handler.hits
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _manifest(tmp_path: Path, base_url: str) -> Path:
    wanted = (*GOOD, FLAKY, SLOW, ERROR_PAGE, MISSING)
    with (CORPUS / "manifest.csv").open(newline="") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        rows = [row for row in reader if row["report_id"] in wanted]
    assert len(rows) == len(wanted)
    for row in rows:
        row["source_url"] = f"{base_url}/v1/file/{row['report_id']}"
    manifest = tmp_path / "source-manifest.csv"
    with manifest.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return manifest


def test_fetch_downloads_verifies_retries_and_resumes(tmp_path: Path, server) -> None:
    base_url, hits = server
    manifest = _manifest(tmp_path, base_url)
    out = tmp_path / "fetched"
    summary = fetch_corpus(manifest, out, backoff=0.05, timeout=0.5, retries=3, progress=False)

    by_id = {outcome.report_id: outcome for outcome in summary.outcomes}
    for report_id in (*GOOD, FLAKY, SLOW):
        assert by_id[report_id].status == "downloaded", by_id[report_id]
        target = out / "reports" / f"{report_id}.pdf"
        assert target.read_bytes() == (REPORTS / f"{report_id}.pdf").read_bytes()
    assert by_id[FLAKY].attempts == 2 and by_id[SLOW].attempts == 2
    assert by_id[ERROR_PAGE].status == "failed"
    assert by_id[ERROR_PAGE].error.startswith(
        "not a PDF: the server sent an HTML page titled 'Report not found"
    )
    assert by_id[ERROR_PAGE].attempts == 1  # a wrong body is not retried
    assert by_id[MISSING].error == "HTTP 404 Not Found" and by_id[MISSING].attempts == 1
    assert not (out / "reports" / f"{ERROR_PAGE}.pdf").exists()
    assert not list(out.rglob("*.part"))

    # The output folder is a corpus: its manifest lists what arrived, with the source's metadata.
    assert summary.manifest == out / "manifest.csv" and summary.listed == 4
    sources = corpus.scan_corpus(out)
    assert sorted(source.report_id for source in sources) == sorted((*GOOD, FLAKY, SLOW))
    assert next(s for s in sources if s.report_id == "bexley-2018-08-20").local_authority == "bexley"
    failures: list[corpus.LoadFailure] = []
    assert len(list(corpus.load_reports(out, failures))) == 4 and failures == []

    # Resume: what is there and whole is not fetched again; a truncated file is.
    truncated = out / "reports" / f"{GOOD[0]}.pdf"
    truncated.write_bytes(truncated.read_bytes()[:5000])
    assert not is_whole_pdf(truncated)
    before = hits.copy()
    again = fetch_corpus(manifest, out, backoff=0.05, timeout=0.5, retries=3, progress=False)
    statuses = {outcome.report_id: outcome.status for outcome in again.outcomes}
    assert statuses[GOOD[0]] == "downloaded" and statuses[GOOD[1]] == "present"
    assert statuses[FLAKY] == "present" and statuses[SLOW] == "present"
    assert hits[GOOD[1]] == before[GOOD[1]] and hits[FLAKY] == before[FLAKY]
    assert is_whole_pdf(truncated)


def test_fetch_gives_up_after_retries(tmp_path: Path, server) -> None:
    base_url, _ = server
    manifest = tmp_path / "one.csv"
    manifest.write_text(f"report_id,file,source_url\nx,reports/x.pdf,{base_url}/v1/file/{FLAKY}\n")
    summary = fetch_corpus(manifest, tmp_path / "out", retries=0, backoff=0.01, progress=False)
    assert summary.failed[0].error == "HTTP 503 Service Unavailable (gave up after 1 attempts)"


def test_fetch_cli_limit_summary_and_exit_code(tmp_path: Path, server) -> None:
    base_url, _ = server
    manifest = _manifest(tmp_path, base_url)
    out = tmp_path / "cli"
    runner = CliRunner()
    limited = runner.invoke(
        app,
        [
            "corpus",
            "fetch",
            "--manifest",
            str(manifest),
            "--out",
            str(out),
            "--limit",
            "2",
            "--backoff",
            "0.05",
            "-q",
        ],
    )
    assert limited.exit_code == 0, limited.output
    assert "downloaded 2, already present 0, failed 0" in limited.output
    assert len(corpus.scan_corpus(out)) == 2
    full = runner.invoke(
        app,
        ["corpus", "fetch", "--manifest", str(manifest), "--out", str(out), "--backoff", "0.05", "--quiet"],
    )
    assert full.exit_code == 1
    # The manifest's first two rows (barnet, after one 503, and bexley) are there already.
    assert "downloaded 2, already present 2, failed 2" in full.output
    assert f"failed {MISSING}: HTTP 404 Not Found" in full.output
    assert len(corpus.scan_corpus(out)) == 4


def test_fetch_keeps_files_inside_the_output_folder(tmp_path: Path, server) -> None:
    base_url, _ = server
    manifest = tmp_path / "evil.csv"
    manifest.write_text(
        "report_id,file,source_url\n"
        f"evil,../../escaped.pdf,{base_url}/v1/file/{GOOD[0]}\n"
        f"fine,reports/fine.pdf,{base_url}/v1/file/{GOOD[0]}\n"
    )
    summary = fetch_corpus(manifest, tmp_path / "out", progress=False)
    assert [(o.report_id, o.status) for o in summary.outcomes] == [("evil", "failed"), ("fine", "downloaded")]
    assert summary.failed[0].error == "file path '../../escaped.pdf' leaves the output folder"
    assert not (tmp_path.parent / "escaped.pdf").exists() and summary.listed == 1


def test_fetch_refuses_a_manifest_without_urls(tmp_path: Path) -> None:
    manifest = tmp_path / "bad.csv"
    manifest.write_text("report_id,file\nx,reports/x.pdf\n")
    result = CliRunner().invoke(app, ["corpus", "fetch", "--manifest", str(manifest), "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert isinstance(result.exception, corpus.fetch.CorpusNotFound)
