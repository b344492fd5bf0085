"""Fixtures shared by every test.

Real parts on small data: real reports from ``../shared/corpus/ilacs``, the real embedding model
(loaded once per session), real FAISS. Every test builds what it writes in ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus" / "ilacs"
GOLD = SHARED / "gold" / "dev.jsonl"
CHROMIUM = Path("/usr/bin/chromium")
# Without the network flags a headless Chromium keeps trying Google's hosts on this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No INSPECTQA_* variable of the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("INSPECTQA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing at {CORPUS}")
    return CORPUS


# --- the small real corpus, the embedder and the small index (owner: indexer) -------------------
SMALL_REPORTS = (
    "southend-on-sea-2016-07-07",
    "southend-on-sea-2019-08-27",
    "essex-2014-03-21",
    "bristol-2014-12-05",
    "durham-2019-10-21",
    "kingston-upon-hull-2023-01-13",
    "barnet-2017-07-07",
    "barnet-2019-07-01",
    "bexley-2018-08-20",
    "blackpool-2026-07-28",
    "bournemouth-christchurch-poole-2022-02-11",
    "birmingham-2012-10-19",  # an HTML error page named .pdf: every build must skip it
)


def make_corpus(target: Path, report_ids: tuple[str, ...] = SMALL_REPORTS) -> Path:
    """A corpus folder of symlinks to real reports with a manifest filtered to ``report_ids``."""
    from corpus.subset import link_subset

    return link_subset(CORPUS, target, report_ids)


def index_settings(**overrides: object):  # type: ignore[no-untyped-def]
    """Settings for the embedder and index fixtures, explicit so no INSPECTQA_* variable leaks in.

    Session fixtures are made before the per-test environment clean-up runs. The ONNX export is
    cached in the user's cache folder, as in real use: made once per machine.
    """
    from inspectqa.settings import Settings, default_cache_dir

    values: dict[str, object] = {
        "model_path": None,
        "model_name": "sentence-transformers/all-MiniLM-L6-v2",
        "embed_backend": "onnx-int8",
        "cache_dir": default_cache_dir(),
        "chunk_max_tokens": 256,
        "batch_size": 32,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 12 small real reports (one HTML-as-PDF), as a corpus folder with a filtered manifest."""
    return make_corpus(tmp_path_factory.mktemp("small-corpus"))


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    """The real embedding model (ONNX int8, exported once into the user's cache), loaded once."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from indexer.embedding import load_embedder

    return load_embedder(index_settings())


# --- a real uvicorn server on loopback (owner: reliability) --------------------------------------
@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Run an ASGI ``app`` on a real uvicorn server on 127.0.0.1 (a free port); yields its base URL.

    The server runs in a thread, so it installs no signal handlers; tests of signals start
    ``inspectqa serve`` as a child process instead.
    """
    import threading
    import time

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture(scope="session")
def small_index(small_corpus: Path, embedder, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[no-untyped-def]
    """An index built once per session from ``small_corpus`` (11 reports indexed, 1 skipped)."""
    from indexer import build

    index = tmp_path_factory.mktemp("small-index") / "index"
    build(small_corpus, index, index_settings(), progress=False)
    return index


def small_service(index: Path, embedder: Any, **values: Any) -> tuple[Any, Any]:
    """``Settings`` over ``index`` (no reload polling, ``values`` on top) and a ``QAService`` built
    from them the way the app builds it, sharing the session's embedder."""
    from inspectqa.settings import Settings
    from service.answers.qa import QAService

    settings = Settings(index=index, reload_poll_s=0, **values)
    return settings, QAService.open(settings, embedder=embedder)


def reply_chat_completion(handler: BaseHTTPRequestHandler, model: str, content: str) -> None:
    """Answer an OpenAI chat-completions request from a fake server's handler with ``content``."""
    reply = {
        "id": "cmpl-test",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
    }
    data = json.dumps(reply).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def wait_for(condition: Any, timeout_s: float = 30.0) -> bool:
    """Poll ``condition`` every 0.1 s until it holds (True) or ``timeout_s`` passes (False)."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def run_cli(*args: str, env: dict[str, str] | None = None) -> Any:
    """``inspectqa ARGS`` in a child process, offline, without the caller's INSPECTQA_* variables."""
    import subprocess
    import sys

    environment = {key: value for key, value in os.environ.items() if not key.startswith("INSPECTQA_")}
    environment.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "inspectqa.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=environment,
        timeout=300,
    )


@pytest.fixture(scope="module")
def catalogue(corpus_dir: Path) -> Any:
    """The question planner's catalogue of every report in the shared manifest (no index needed)."""
    import csv
    from types import SimpleNamespace

    from service.answers.planning import Catalogue

    with (corpus_dir / "manifest.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return Catalogue(
        SimpleNamespace(
            report_id=row["report_id"],
            local_authority=row["local_authority"],
            publication_date=row["publication_date"] or None,
            inspection_start=row["inspection_start"] or None,
            inspection_end=row["inspection_end"] or None,
            source_url=row["source_url"] or None,
        )
        for row in rows
    )


# --- a real browser (owner: widget) --------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by playwright, one per test module."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run scripts/setup.sh --test (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@contextmanager
def watched_page(browser: Any, width: int, height: int) -> Iterator[Any]:
    """A fresh page that fails the test on an uncaught error or a Content Security Policy violation.

    The service's pages forbid inline script and style; nothing of the widget may trip that policy.
    """
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme="light")
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on(
        "console",
        lambda message: errors.append(message.text) if "Content Security Policy" in message.text else None,
    )
    try:
        yield opened
    finally:
        context.close()
    assert errors == [], f"uncaught errors or policy violations in the page: {errors}"


def councils_with_several_reports(catalogue: Any) -> list[list[Any]]:
    """Every fifth council of the corpus with two to four reports, each published in a different
    year: the real councils the generated date and follow-up phrasings are read against."""
    chosen = [
        reports
        for _, reports in sorted(catalogue.by_key.items())
        if 2 <= len(reports) <= 4 and len({r.published.year for r in reports if r.published}) == len(reports)
    ]
    return chosen[::5]


# --- Labelled claim–passage sets (evals/data/grounding_pairs*.jsonl): what every set's test checks.

# Words a verbatim or stitched ("supported") claim may add to the passage's own.
CONNECTIVES = {"and", "but", "which", "although", "however", "so"}
PAIR_FIELDS = {"id", "claim", "passage", "label", "kind", "split", "report_id", "page"}


def pair_records(path: Path) -> list[dict[str, object]]:
    """A pairs file's lines as written (the loader, ``evals.pairs.load_pairs``, is checked apart)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def check_pair_fields(records: list[dict[str, object]]) -> Counter[str]:
    """Every record has the set's fields, its kind's label, a claim of its own, and a "supported"
    claim only the passage's words and a connective; returns the count of each kind."""
    from evals.pairs import LABEL_OF_KIND

    for record in records:
        assert set(record) == PAIR_FIELDS, record["id"]
        assert record["label"] == LABEL_OF_KIND[str(record["kind"])], record["id"]
        claim, passage = str(record["claim"]), str(record["passage"])
        assert claim.strip() and squash(claim) != squash(passage), record["id"]
    check_verbatim_claims(records)
    kinds = Counter(str(r["kind"]) for r in records)
    assert set(kinds) == set(LABEL_OF_KIND)
    labels = Counter(str(r["label"]) for r in records)
    assert abs(labels["supported"] - labels["unsupported"]) <= 0.1 * len(records)
    return kinds


def check_verbatim_claims(records: list[dict[str, object]]) -> None:
    """A "supported" claim uses only its passage's words and a connective."""
    for record in records:
        if record["kind"] == "supported":
            claim, passage = str(record["claim"]), str(record["passage"])
            assert set(_words(claim)) - set(_words(passage)) <= CONNECTIVES, record["id"]


def check_new_reports(
    records: list[dict[str, object]], earlier: tuple[Path, ...], corpus: Path, min_reports: int
) -> None:
    """At least ``min_reports`` reports, one per council, none of them nor their councils in the
    ``earlier`` pairs files."""
    import csv

    reports = {str(r["report_id"]) for r in records}
    assert len(reports) >= min_reports
    used = {str(r["report_id"]) for path in earlier for r in pair_records(path)}
    assert not reports & used
    with (corpus / "manifest.csv").open(newline="") as handle:
        council = {row["report_id"]: row["local_authority"] for row in csv.DictReader(handle)}
    assert not {council[r] for r in reports} & {council[r] for r in used}
    assert len({council[r] for r in reports}) == len(reports)


def check_passages_on_their_pages(records: list[dict[str, object]], corpus: Path) -> set[int]:
    """Every passage is text of its report (the real PDF, loaded), starting on its page (its text up
    to a page break, if it crosses one); returns the years of the reports."""
    from corpus.loading import load_report
    from corpus.records import PAGE_SEPARATOR
    from corpus.scanning import scan_corpus

    sources = {source.report_id: source for source in scan_corpus(corpus)}
    by_report: dict[str, list[dict[str, object]]] = {}
    for record in records:
        by_report.setdefault(str(record["report_id"]), []).append(record)
    years = set()
    for report_id, group in sorted(by_report.items()):
        report = load_report(sources[report_id])
        years.add(int(report_id.rsplit("-", 3)[1]))
        pages = {page.number: squash(page.text) for page in report.pages}
        text = squash(report.text)
        for record in group:
            assert squash(str(record["passage"])) in text, record["id"]
            head = squash(str(record["passage"]).split(PAGE_SEPARATOR)[0])[:40]
            assert head in pages[int(str(record["page"]))], record["id"]
    return years


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "'").replace("\u2018", "'"))
