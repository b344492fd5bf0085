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
