"""Hostile files in a corpus: each fails with its reason within a time and memory bound, the rest index.

The crafted files come from ``evals.crafted_pdfs``: a 2 MB decompression bomb that inflates to a
gigabyte of drawing operators, a cross-reference table of garbage, a page tree that lists itself, and
one that claims two billion pages. Reading happens in children (``corpus.bounded``); these tests check
what a build sees of them and that no child outlives a killed build.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from importlib import import_module
from pathlib import Path

import pytest
from conftest import REPO, index_settings, make_corpus

from corpus.bounded import load_bounded
from corpus.records import SourceFile
from corpus.scanning import sha256_file
from evals.crafted_pdfs import CRAFTED
from indexer import build, open_index

REAL = ("knowsley-2021-12-03", "durham-2019-10-21")
HOSTILE = ("decompression-bomb", "corrupt-xref", "page-tree-cycle", "huge-page-count")
BUILD_BOUND_S = 120.0


def _add_crafted(corpus: Path, names: tuple[str, ...]) -> None:
    lines = (corpus / "manifest.csv").read_text().splitlines()
    header = lines[0].split(",")
    for name in names:
        (corpus / "reports" / f"{name}.pdf").write_bytes(CRAFTED[name]())
        row = dict.fromkeys(header, "")
        row.update(report_id=name, file=f"reports/{name}.pdf", local_authority="Nowhere")
        lines.append(",".join(row[column] for column in header))
    (corpus / "manifest.csv").write_text("\n".join(lines) + "\n")


def _source(path: Path) -> SourceFile:
    return SourceFile(report_id=path.stem, path=path, content_hash=sha256_file(path))


@pytest.mark.slow
def test_a_build_fails_hostile_files_with_reasons_and_indexes_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = make_corpus(tmp_path / "corpus", REAL)
    _add_crafted(corpus, HOSTILE)
    index = tmp_path / "index"
    started = time.perf_counter()
    report = build(corpus, index, index_settings(), progress=False)
    assert time.perf_counter() - started < BUILD_BOUND_S

    failed = {Path(f["file"]).stem: f["error"] for f in report.reports_failed}
    assert "3072 MB memory limit" in failed["decompression-bomb"], failed
    assert failed["corrupt-xref"] and failed["page-tree-cycle"]
    for error in failed.values():
        assert "\n" not in error and "Traceback" not in error
    opened = open_index(index, index_settings())
    indexed = {meta.report_id: meta for meta in opened.reports()}
    assert set(REAL) <= set(indexed)
    # pdfium repairs the false page count to the one page the file holds: either that page or a failure.
    assert ("huge-page-count" in failed) != ("huge-page-count" in indexed)
    if "huge-page-count" in indexed:
        assert indexed["huge-page-count"].n_pages == 1
    assert report.reports_indexed == len(indexed) == len(REAL) + ("huge-page-count" in indexed)
    written = json.loads((opened.path / "build-report.json").read_text())
    assert written["reports_failed"] == report.reports_failed

    # The same bytes again: the failures come from the manifest and no file is read, no child started.
    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("an unchanged corpus was read again")

    # (``indexer.build`` the attribute is the function; the module is looked up by name.)
    monkeypatch.setattr(import_module("indexer.build"), "load_bounded", no_reading)
    started = time.perf_counter()
    again = build(corpus, index, index_settings(), progress=False)
    assert time.perf_counter() - started < 10
    assert again.reports_failed == report.reports_failed
    assert again.embedded_chunks == 0


@pytest.mark.slow
def test_a_file_read_past_its_deadline_fails_and_the_next_files_still_load(tmp_path: Path) -> None:
    bomb = tmp_path / "decompression-bomb.pdf"
    bomb.write_bytes(CRAFTED["decompression-bomb"]())
    real = REPO.parent / "shared" / "corpus" / "ilacs" / "reports" / f"{REAL[0]}.pdf"
    broken = tmp_path / "corrupt-xref.pdf"
    broken.write_bytes(CRAFTED["corrupt-xref"]())
    sources = [_source(bomb), _source(real), _source(broken)]

    started = time.perf_counter()
    outcomes = list(load_bounded(sources, memory_mb=3072, timeout_s=2, workers=1))
    assert time.perf_counter() - started < 30
    assert [source.report_id for source, _ in outcomes] == [s.report_id for s in sources]
    assert outcomes[0][1] == "still reading after 2 s"
    # The killed child was replaced: the files after it are read as usual.
    assert not isinstance(outcomes[1][1], str) and outcomes[1][1].report_id == REAL[0]
    assert isinstance(outcomes[2][1], str) and "pdfium" in outcomes[2][1]


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_readers_end_with_a_killed_build(tmp_path: Path) -> None:
    bomb = tmp_path / "decompression-bomb.pdf"
    bomb.write_bytes(CRAFTED["decompression-bomb"]())
    script = (
        "import sys; from pathlib import Path; from corpus.bounded import load_bounded;"
        "from corpus.records import SourceFile;"
        "source = SourceFile(report_id='bomb', path=Path(sys.argv[1]), content_hash='x');"
        "list(load_bounded([source], memory_mb=3072, timeout_s=60))"
    )
    build_process = subprocess.Popen([sys.executable, "-c", script, str(bomb)], cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        readers: set[int] = set()
        while time.monotonic() < deadline and not readers:
            readers = {pid for pid in _children(build_process.pid) if b"spawn_main" in _cmdline(pid)}
            time.sleep(0.05)
        assert readers, "no reading child was started"
        time.sleep(0.5)  # the child is inside pdfium now, seconds before the bomb would end it
        os.kill(build_process.pid, signal.SIGKILL)
    finally:
        build_process.wait(30)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and any(_alive(pid) for pid in readers):
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in readers), "a reading child outlived its build"
