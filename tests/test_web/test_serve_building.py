"""``inspectqa serve`` with no index: it listens at once, builds in the background, shows how far it is.

Each test runs the real command in a child process on loopback, over a corpus of real reports in
``tmp_path``. To see the service while its build has not finished, whatever the machine's speed, a
test holds the index's build lock (the same flock any second build would wait on) and releases it
when it has looked: the build then runs for real and the service must start answering by itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import REPO, make_corpus, wait_for

from evals.reliability import free_port
from indexer.generations import build_lock
from indexer.progress import read_progress

REPORTS = ("bexley-2018-08-20", "durham-2019-10-21", "barnet-2017-07-07")
QUESTION = "What did Ofsted say about care leavers in Bexley?"


@contextmanager
def serve(corpus: Path, index: Path, log: Path, *, env: dict[str, str] | None = None) -> Iterator[str]:
    """``inspectqa serve --corpus C --index I`` on a free loopback port; yields its URL."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("INSPECTQA_")}
    environment.update(
        HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", INSPECTQA_RELOAD_POLL_S="0.5", **(env or {})
    )
    command = [sys.executable, "-m", "inspectqa.cli", "serve", "--corpus", str(corpus), "--index", str(index),
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    with log.open("ab") as output:
        process = subprocess.Popen(command, env=environment, stdout=output, stderr=output, cwd=REPO)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert "Traceback" not in log.read_text(errors="replace"), log.read_text(errors="replace")[-3000:]


def _status(url: str) -> int:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.TransportError:
        return 0


@contextmanager
def held(index: Path) -> Iterator[Any]:
    """The index's build lock, held by this test until the block ends (or ``release`` is called)."""
    lock = build_lock(index)
    lock.__enter__()
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            released = True
            lock.__exit__(None, None, None)

    try:
        yield release
    finally:
        release()


@pytest.mark.slow
def test_serve_answers_at_once_reports_the_build_and_answers_when_it_is_done(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", REPORTS)
    index = tmp_path / "index"
    with held(index) as release, serve(corpus, index, tmp_path / "serve.log") as url:
        assert wait_for(lambda: _status(f"{url}/healthz") == 200, timeout_s=120)
        ready = httpx.get(f"{url}/readyz", timeout=10)
        assert ready.status_code == 503
        build = ready.json()["build"]
        assert build["state"] == "building" and build["eta_s"] is None, build
        assert "being built" in ready.json()["detail"]
        assert 5 <= int(ready.headers["Retry-After"]) <= 30
        for path in ("/ask", "/ask/stream"):
            refused = httpx.post(f"{url}{path}", json={"question": QUESTION}, timeout=10)
            assert refused.status_code == 503, (path, refused.text)
            assert 5 <= int(refused.headers["Retry-After"]) <= 30
            assert refused.json()["error"] == "IndexBuilding"
            assert "the index is being built" in refused.json()["detail"], refused.json()
        # Let the build run; follow /readyz until the service answers by itself.
        release()
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            response = httpx.get(f"{url}/readyz", timeout=10)
            if response.status_code == 200:
                break
            seen.append(response.json()["build"])
            time.sleep(0.2)
        assert response.status_code == 200, seen[-1:]
        assert response.json()["reports"] == len(REPORTS)
        done = [b["reports_done"] for b in seen if b and b["state"] == "building"]
        assert done == sorted(done), done  # progress only moves forward
        assert all(b["reports_total"] in (0, len(REPORTS)) for b in seen if b)
        answer = httpx.post(f"{url}/ask", json={"question": QUESTION}, timeout=60)
        assert answer.status_code == 200, answer.text
        assert {c["report_id"] for c in answer.json()["citations"]} == {"bexley-2018-08-20"}
    progress = read_progress(index)
    assert progress is not None and progress.state == "done"
    assert (progress.reports_done, progress.reports_total) == (len(REPORTS), len(REPORTS))
    assert progress.passages == response.json()["chunks"]


@pytest.mark.slow
def test_a_build_that_fails_shows_its_reason(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-corpus"
    index = tmp_path / "index"
    with serve(missing, index, tmp_path / "serve.log") as url:
        assert wait_for(lambda: _status(f"{url}/healthz") == 200, timeout_s=120)

        def failed() -> bool:
            build = httpx.get(f"{url}/readyz", timeout=10).json().get("build")
            return bool(build and build["state"] == "failed")

        assert wait_for(failed, timeout_s=120)
        ready = httpx.get(f"{url}/readyz", timeout=10)
        assert ready.status_code == 503
        assert f"corpus folder not found: {missing}" in ready.json()["build"]["error"]
        refused = httpx.post(f"{url}/ask", json={"question": QUESTION}, timeout=10)
        assert refused.status_code == 503 and "Retry-After" not in refused.headers
        assert "the index build failed: corpus folder not found" in refused.json()["detail"]


@pytest.mark.slow
def test_an_existing_index_is_served_without_a_build(small_index: Path, tmp_path: Path) -> None:
    before = (small_index / "current").resolve()
    stamp = read_progress(small_index)
    with serve(tmp_path / "unused-corpus", small_index, tmp_path / "serve.log") as url:
        assert wait_for(lambda: _status(f"{url}/readyz") == 200, timeout_s=120)
        assert httpx.get(f"{url}/readyz", timeout=10).json()["build"] is None
    assert (small_index / "current").resolve() == before
    assert read_progress(small_index) == stamp  # no build started


@pytest.mark.slow
@pytest.mark.browser
def test_the_page_shows_the_build_as_a_progress_bar_and_answers_a_waiting_question_by_itself(
    tmp_path: Path,
) -> None:
    from conftest import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import expect, sync_playwright
    from test_widget import shot

    corpus = make_corpus(tmp_path / "corpus", REPORTS)
    index = tmp_path / "index"
    with held(index) as release, serve(corpus, index, tmp_path / "serve.log") as url, sync_playwright() as pw:
        assert wait_for(lambda: _status(f"{url}/healthz") == 200, timeout_s=120)
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 760}, color_scheme="light")
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{url}/")
            banner = page.locator(".building")
            bar = banner.locator("progress")
            expect(bar).to_be_visible()
            expect(banner).to_have_attribute("role", "status")
            expect(banner).to_contain_text("Building the index")
            page.evaluate("window.__sameDocument = true")  # gone if the page reloads
            box = page.get_by_role("textbox", name="Your question")
            box.fill(QUESTION)
            box.press("Enter")
            answer = page.locator("article.answer").first
            expect(answer).to_contain_text("Waiting for the index")
            release()
            # The bar fills as reports are read, then the waiting question is answered, no reload.
            values: list[tuple[float, float]] = []
            deadline = time.monotonic() + 600
            while answer.get_attribute("data-state") == "streaming" and time.monotonic() < deadline:
                if bar.is_visible():
                    value = bar.evaluate("b => [b.value, b.max]")
                    values.append((value[0], value[1]))
                    if 0 < value[0] < value[1] and len([v for v in values if 0 < v[0] < v[1]]) == 1:
                        shot(page, "serve-building")
                time.sleep(0.2)
            expect(answer).to_have_attribute("data-state", "done", timeout=120_000)
            expect(banner).to_be_hidden()
            expect(answer.locator(".chip").first).to_be_visible()
            assert page.evaluate("window.__sameDocument") is True
            assert [v[0] for v in values] == sorted(v[0] for v in values), values
            assert all(v[1] in (1, len(REPORTS)) for v in values), values
            shot(page, "serve-built-answer")
            assert errors == []
        finally:
            browser.close()


def test_progress_reads_as_a_sentence_with_the_time_left(tmp_path: Path) -> None:
    from indexer.progress import PROGRESS_FILE, BuildProgress, write_progress

    now = time.time()
    halfway = BuildProgress(
        "building", os.getpid(), now - 120, now, reports_done=10, reports_total=30, passages=812
    )
    assert halfway.eta_s == pytest.approx(240)
    assert halfway.summary() == (
        "the index is being built: 10 of 30 reports read (812 passages, 2 min so far, about 4 min left)"
    )
    assert halfway.as_dict()["fraction"] == pytest.approx(0.3333, abs=1e-4)
    # A "building" record whose process is gone reads as failed, with the reason.
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    write_progress(tmp_path / PROGRESS_FILE, BuildProgress("building", int(dead.stdout), now, now))
    progress = read_progress(tmp_path)
    assert progress is not None and progress.state == "failed"
    assert progress.error == f"the build process (pid {int(dead.stdout)}) ended before it finished"
    (tmp_path / PROGRESS_FILE).write_text("{not json")
    assert read_progress(tmp_path) is None
