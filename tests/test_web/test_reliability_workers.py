"""``inspectqa serve --workers 2``: what the worker processes must share, they share.

A real supervisor with two real worker processes over a real index: one rate limit for a client
whichever worker answers, /metrics that adds up both workers, a SIGHUP or POST /admin/reload that
reaches both, and the pieces (the SQLite token buckets, the upload job files) on their own across
processes.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from conftest import wait_for
from prometheus_client.parser import text_string_to_metric_families

from evals.reliability import ServerProcess, swap_generation, swappable_copy
from service.web.admin import JobStore, UploadJob
from service.web.shared_buckets import SharedTokenBucketLimiter

TOKEN = "workers-admin-token"
METRICS_TOKEN = "workers-metrics-token"
QUESTION = "What did Ofsted say about foster carer reviews in Southend-on-Sea?"


def _log_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def _ask_on_new_connections(url: str, count: int, threads: int = 4) -> list[int]:
    """``count`` questions, each on its own connection (so the kernel picks a worker for each)."""
    statuses: list[int] = []
    lock = threading.Lock()
    left = list(range(count))

    def ask() -> None:
        while True:
            with lock:
                if not left:
                    return
                left.pop()
            status = httpx.post(f"{url}/ask", json={"question": QUESTION}, timeout=60).status_code
            with lock:
                statuses.append(status)

    workers = [threading.Thread(target=ask) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(120)
    return statuses


@pytest.mark.slow
def test_two_workers_share_one_rate_limit_one_metrics_view_and_every_reload(
    small_index: Path, tmp_path: Path
) -> None:
    index = swappable_copy(small_index, tmp_path / "index")
    log_file = tmp_path / "server.log"
    env = {
        "INSPECTQA_RATE_LIMIT_PER_MINUTE": "1",
        "INSPECTQA_RATE_LIMIT_BURST": "5",
        "INSPECTQA_ADMIN_TOKEN": TOKEN,
        "INSPECTQA_METRICS_TOKEN": METRICS_TOKEN,
        "INSPECTQA_RELOAD_POLL_S": "0.2",
        "INSPECTQA_UPLOADS_DIR": str(tmp_path / "uploads"),
    }
    with ServerProcess(index, log_file, env, workers=2) as server:
        server.wait_ready()
        workers = server.worker_pids()
        assert len(workers) == 2
        state_dir = Path(psutil.Process(workers[0]).environ()["INSPECTQA_STATE_DIR"])
        assert (state_dir / "rate-limits.sqlite").is_file()

        # One client, 30 questions spread over both workers: the burst of 5 is all it gets.
        statuses = _ask_on_new_connections(server.url, 30)
        assert Counter(statuses) == {200: 5, 429: 25}
        asked = [line for line in _log_lines(log_file) if line.get("path") == "/ask"]
        assert {line["pid"] for line in asked} == set(workers), "both workers should have answered"

        # Every scrape, whichever worker serves it, counts both workers' requests.
        assert httpx.get(f"{server.url}/metrics", timeout=10).status_code == 401
        for _ in range(4):
            text = httpx.get(
                f"{server.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
            ).text
            families = {family.name: family for family in text_string_to_metric_families(text)}
            by_status = {
                sample.labels["status"]: sample.value
                for sample in families["inspectqa_http_requests"].samples
                if sample.name.endswith("_total") and sample.labels["route"] == "/ask"
            }
            assert by_status == {"200": 5.0, "429": 25.0}
            assert families["inspectqa_answers"].samples
            assert families["inspectqa_index_chunks"].samples[0].value > 0

        # POST /admin/reload reaches one worker; the other follows through the shared note.
        reloaded = httpx.post(
            f"{server.url}/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
        )
        assert reloaded.status_code == 200

        def reloads(trigger: str) -> set[int]:
            return {
                line["pid"]
                for line in _log_lines(log_file)
                if line.get("message") == "index reloaded" and line.get("trigger", "").startswith(trigger)
            }

        assert wait_for(lambda: reloads("admin") == set(workers)), reloads("admin")

        # SIGHUP to the supervisor: every worker reloads the new generation, none is restarted.
        swap_generation(index, "g1")
        server.process.send_signal(signal.SIGHUP)
        assert wait_for(lambda: reloads("SIGHUP") | reloads("watch") == set(workers))
        for _ in range(10):  # new connections, so both workers are asked
            ready = httpx.get(f"{server.url}/readyz", timeout=10).json()
            assert ready["reload"]["generation"] == "g1"
        assert server.worker_pids() == workers

        # A worker killed outright is replaced; the service answers throughout on the other one.
        os.kill(workers[0], signal.SIGKILL)
        assert wait_for(lambda: len(set(server.worker_pids()) - set(workers)) == 1, timeout_s=60)
        for _ in range(10):
            assert httpx.get(f"{server.url}/healthz", timeout=30).status_code == 200
        assert wait_for(lambda: _scrape(server.url)["inspectqa_http_requests_in_flight"] <= 1.0)
    assert "Traceback" not in log_file.read_text()
    assert not state_dir.exists()  # the temporary state folder goes with the server (SIGTERM)


def _scrape(url: str) -> dict[str, float]:
    text = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10).text
    return {
        family.name: family.samples[0].value
        for family in text_string_to_metric_families(text)
        if len(family.samples) == 1
    }


def _take_tokens(path: str, count: int, results: Any) -> None:
    limiter = SharedTokenBucketLimiter(Path(path), rate_per_minute=1, burst=7)
    results.put(sum(1 for _ in range(count) if limiter.acquire("10.0.0.1") == 0.0))


def test_shared_token_buckets_hold_across_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "rate-limits.sqlite")
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [context.Process(target=_take_tokens, args=(path, 20, results)) for _ in range(3)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    allowed = sum(results.get(timeout=10) for _ in processes)
    assert allowed == 7  # the burst, once, for three processes asking 60 times between them
    other = SharedTokenBucketLimiter(Path(path), rate_per_minute=1, burst=7)
    assert other.acquire("10.0.0.2") == 0.0  # another client has its own bucket
    assert other.acquire("10.0.0.1") > 0.0


def test_shared_token_bucket_refills_at_its_rate(tmp_path: Path) -> None:
    now = [1000.0]
    limiter = SharedTokenBucketLimiter(
        tmp_path / "buckets.sqlite", rate_per_minute=60, burst=2, clock=lambda: now[0]
    )
    assert [limiter.acquire("a"), limiter.acquire("a")] == [0.0, 0.0]
    assert limiter.acquire("a") == pytest.approx(1.0)
    now[0] += 0.5
    assert limiter.acquire("a") == pytest.approx(0.5)
    now[0] += 0.5
    assert limiter.acquire("a") == 0.0


def test_upload_jobs_are_files_any_worker_can_read(tmp_path: Path) -> None:
    writer, reader = JobStore(tmp_path / "jobs", keep=3), JobStore(tmp_path / "jobs", keep=3)
    jobs = [
        UploadJob(f"{n:032x}", "queued", "a.pdf", "upload-x.pdf", "0" * 64, 10, float(n)) for n in range(5)
    ]
    for job in jobs:
        writer.put(job)
        time.sleep(0.01)  # distinct modification times: the oldest are pruned first
    assert reader.get(jobs[-1].job_id) == jobs[-1]
    assert reader.get(jobs[0].job_id) is None  # only the newest three are kept
    assert len(list((tmp_path / "jobs").glob("*.json"))) == 3
    assert reader.get("../../etc/passwd") is None
    assert not list((tmp_path / "jobs").glob("*.part"))


@pytest.mark.slow
def test_load_bench_swaps_under_two_workers_and_reports_every_run(small_index: Path, tmp_path: Path) -> None:
    from evals.reliability import render, run_load

    questions = [QUESTION, "How did Durham's judgement for care leavers change?"]
    load = run_load(small_index, tmp_path, questions, duration_s=8.0, clients=3, workers=2, think_s=0.05)
    assert load.failed == 0 and load.requests > 10
    assert load.swapped_to == "g1" and load.swap_seen_after_s is not None
    assert load.workers == 2 and load.think_s == 0.05
    text = render({"index": str(small_index), "machine": {"cpus": 2}, "load": [asdict(load)]})
    assert "| 2 | 0.05 s |" in text and f"{load.requests} | 0" in text


def test_connections_the_workers_accept_send_without_nagle_delay() -> None:
    import socket

    import uvicorn

    from service.web.workers import listening_socket

    listener = listening_socket(uvicorn.Config("service.web.app:create_app_from_environment", port=0))
    try:
        listener.listen()
        with socket.create_connection(listener.getsockname()[:2]) as client:
            accepted, _ = listener.accept()
            with accepted:
                # Without it every answer written in two parts waits ~40 ms for a delayed ACK.
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
                client.sendall(b"x")
    finally:
        listener.close()
