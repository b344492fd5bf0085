"""The reliability suite: does the service keep answering under load, faults and hostile files?

One command (``inspectqa bench reliability``) runs five experiments against real processes on
loopback and prints README-ready figures:

1. **Load with an index swap.** C clients ask the gold questions in a closed loop for N seconds
   against ``inspectqa serve``; halfway through, ``INDEX/current`` is pointed at a new generation (a
   copy of the served one, so answers stay comparable) and the service's watch swaps it in. Counted:
   failed requests, p95 against the unloaded p95 measured first, and the server's RSS after warm-up.
2. **kill -9 of index builds** at random points of an incremental build, K times, with a server
   watching the index: each time the served generation must stay the previous valid one, and the
   next, uninterrupted build must complete and be picked up.
3. **kill -9 of the service** and a restart: ready again, on the same generation, with the same
   answer to the same question.
4. **Crafted PDFs**: every hostile file of ``evals.crafted_pdfs`` through the loader under a time and
   memory bound, each with its outcome and reason.
5. **Fuzzing**: schemathesis over the served app's own OpenAPI document (``evals.api_fuzz``).

Every loop is bounded in count and time, and all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from inspectqa.errors import InspectQAError

REPO = Path(__file__).resolve().parents[1]
BUILD_CORPUS_BASE = ("southend-on-sea-2019-08-27", "durham-2019-10-21", "barnet-2019-07-01")
BUILD_CORPUS_ADDED = ("bexley-2018-08-20", "kingston-upon-hull-2023-01-13")
RESTART_QUESTION = "What did Ofsted say about foster carer reviews in Southend-on-Sea?"


# --- processes ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``inspectqa serve`` in a child process on 127.0.0.1, its output in a log file."""

    def __init__(
        self, index: Path, log_file: Path, env: dict[str, str] | None = None, *, workers: int = 1
    ) -> None:
        self.index = index
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_file = log_file
        command = [
            sys.executable, "-m", "inspectqa.cli", "serve", "--index", str(index), "--no-build",
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
        ]  # fmt: skip
        environment = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "INSPECTQA_RELOAD_POLL_S": "0.5",
            **(env or {}),
        }
        log_file.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_file.open("ab")
        self.process = subprocess.Popen(
            command, env=environment, stdout=self._log, stderr=self._log, cwd=REPO
        )

    def wait_ready(self, timeout_s: float = 300.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        ready: set[int | None] = set()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_file.read_text(errors="replace")[-800:]
                raise InspectQAError(f"the server exited before it was ready: {tail}")
            try:
                response = httpx.get(f"{self.url}/readyz", timeout=2)  # a new connection each time
                if response.status_code == 200:
                    ready.add(response.json().get("worker"))
                    if len(ready) >= self.workers:  # every worker has loaded the index
                        return dict(response.json())
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise InspectQAError(f"the server was not ready within {timeout_s:.0f} s")

    def readyz(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/readyz", timeout=10).json())

    def rss_mb(self) -> float:
        """Resident memory of the server and its worker processes, together."""
        root = psutil.Process(self.process.pid)
        total = 0
        for process in [root, *root.children(recursive=True)]:
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue  # a worker replaced between the listing and the reading
        return total / 2**20

    def cpu_seconds(self) -> float:
        """CPU time (user and system) of the server and its live workers so far."""
        root = psutil.Process(self.process.pid)
        total = 0.0
        for process in [root, *root.children(recursive=True)]:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
        return total

    def worker_pids(self) -> list[int]:
        """The processes answering requests: the worker children, or the server itself when alone."""
        workers = []
        for child in psutil.Process(self.process.pid).children():
            try:
                if "spawn_main" in " ".join(child.cmdline()):  # not multiprocessing's resource tracker
                    workers.append(child.pid)
            except psutil.Error:
                continue  # a worker that has just died and is not yet reaped
        return sorted(workers) or [self.process.pid]

    def kill9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill9()
        self._log.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def generation_of(readyz: dict[str, Any]) -> str | None:
    reload = readyz.get("reload") or {}
    return reload.get("generation") or (Path(readyz["index"]).name if readyz.get("index") else None)


# --- index generations ------------------------------------------------------------------------------
def current_generation(index: Path) -> Path:
    return (index / "current").resolve()


def swappable_copy(source: Path, target: Path) -> Path:
    """An index folder holding one generation: the one ``source`` serves (hard links where possible)."""
    if target.exists():
        shutil.rmtree(target)
    (target / "generations").mkdir(parents=True)
    copy_generation_dir(current_generation(source), target / "generations" / "g0")
    point_current(target, "g0")
    return target


def swap_generation(index: Path, name: str) -> Path:
    """Add a copy of the served generation under ``name`` and point ``current`` at it atomically."""
    destination = index / "generations" / name
    copy_generation_dir(current_generation(index), destination)
    point_current(index, name)
    return destination


def copy_generation_dir(source: Path, destination: Path) -> None:
    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, destination, copy_function=link_or_copy)


def point_current(index: Path, generation: str) -> None:
    temporary = index / f".current-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(Path("generations") / generation)
    os.replace(temporary, index / "current")


# --- 1. load with a swap ---------------------------------------------------------------------------
def load_questions(gold: Path) -> list[str]:
    with gold.open() as handle:
        questions = [json.loads(line)["question"] for line in handle if line.strip()]
    if not questions:
        raise InspectQAError(f"no questions in {gold}")
    return questions


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@dataclass
class LoadResult:
    duration_s: float
    clients: int
    workers: int
    think_s: float
    requests: int
    failed: int
    failures: dict[str, int]
    unloaded_p50_ms: float
    unloaded_p95_ms: float
    loaded_p50_ms: float
    loaded_p95_ms: float
    p95_ratio: float
    throughput_rps: float
    rss_after_warmup_mb: float
    rss_end_mb: float
    rss_max_mb: float
    rss_growth_pct: float
    swap_at_s: float | None
    swapped_to: str | None
    swap_seen_after_s: float | None
    server_cpu_ms_per_answer: float  # CPU time of the server's processes over the load, per answer
    client_cpu_share: float  # the load generator's CPU time over the machine's CPU time in the load


def run_load(
    index: Path,
    workdir: Path,
    questions: list[str],
    *,
    duration_s: float = 60.0,
    clients: int = 16,
    swap: bool = True,
    warmup_fraction: float = 0.25,
    workers: int = 1,
    think_s: float = 0.0,
) -> LoadResult:
    """Closed-loop load with an index swap halfway (the full description is in the module docstring).

    ``think_s`` is each client's mean pause between an answer and its next question (exponentially
    distributed, as a person reading an answer): 0 asks back to back, which measures the service at
    saturation rather than under a number of people using it.
    """
    served = swappable_copy(index, workdir / "load-index")
    # The load measures capacity; the per-client limit is tested on its own (all clients share 127.0.0.1).
    env = {"INSPECTQA_RATE_LIMIT_PER_MINUTE": "0", "INSPECTQA_QUEUE_TIMEOUT_S": "60"}
    with ServerProcess(served, workdir / "load-server.log", env, workers=workers) as server:
        server.wait_ready()
        unloaded: list[float] = []
        # The unloaded figure is every question once, one at a time, after one pass that warms the
        # caches (each on a new connection, so every worker's): the same mix of questions, warm as
        # they are under load, so the ratio measures waiting, not which questions were timed.
        for question in questions:
            httpx.post(f"{server.url}/ask", json={"question": question}, timeout=60)
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for question in questions:
                started = time.perf_counter()
                response = client.post("/ask", json={"question": question})
                if response.status_code == 200:
                    unloaded.append((time.perf_counter() - started) * 1000)

        latencies: list[float] = []
        failures: Counter[str] = Counter()
        lock = threading.Lock()
        started_at = time.monotonic()
        deadline = started_at + duration_s

        def worker(number: int) -> None:
            rng = random.Random(number)
            with httpx.Client(base_url=server.url, timeout=120) as client:
                while time.monotonic() < deadline:
                    question = questions[rng.randrange(len(questions))]
                    begun = time.perf_counter()
                    try:
                        response = client.post("/ask", json={"question": question})
                        kind = None if response.status_code == 200 else f"HTTP {response.status_code}"
                    except httpx.HTTPError as error:
                        kind = type(error).__name__
                    elapsed = (time.perf_counter() - begun) * 1000
                    with lock:
                        if kind is None:
                            latencies.append(elapsed)
                        else:
                            failures[kind] += 1
                    if think_s > 0:
                        pause = min(rng.expovariate(1 / think_s), 10 * think_s)
                        time.sleep(max(0.0, min(pause, deadline - time.monotonic())))

        server_cpu_before, client_cpu_before = server.cpu_seconds(), time.process_time()
        threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(clients)]
        for thread in threads:
            thread.start()
        rss: list[tuple[float, float]] = []
        swap_at = swapped_to = seen_after = None
        while time.monotonic() < deadline:
            now = time.monotonic() - started_at
            rss.append((now, server.rss_mb()))
            if swap and swap_at is None and now >= duration_s / 2:
                swap_at = now
                swapped_to = swap_generation(served, "g1").name
            if swapped_to and seen_after is None and generation_of(server.readyz()) == swapped_to:
                seen_after = time.monotonic() - started_at - (swap_at or 0.0)
            time.sleep(0.5)
        for thread in threads:
            thread.join(180)
        rss.append((time.monotonic() - started_at, server.rss_mb()))
        server_cpu = server.cpu_seconds() - server_cpu_before
        client_cpu = time.process_time() - client_cpu_before
        if swapped_to and seen_after is None and generation_of(server.readyz()) == swapped_to:
            seen_after = time.monotonic() - started_at - (swap_at or 0.0)

    warm = [value for at, value in rss if at >= duration_s * warmup_fraction]
    after_warmup = warm[0] if warm else rss[0][1]
    end = rss[-1][1]
    elapsed = max(1e-9, max(at for at, _ in rss))
    loaded_p95 = percentile(latencies, 95)
    unloaded_p95 = percentile(unloaded, 95)
    return LoadResult(
        duration_s=round(elapsed, 1),
        clients=clients,
        workers=workers,
        think_s=think_s,
        requests=len(latencies) + sum(failures.values()),
        failed=sum(failures.values()),
        failures=dict(failures),
        unloaded_p50_ms=round(percentile(unloaded, 50), 1),
        unloaded_p95_ms=round(unloaded_p95, 1),
        loaded_p50_ms=round(percentile(latencies, 50), 1),
        loaded_p95_ms=round(loaded_p95, 1),
        p95_ratio=round(loaded_p95 / unloaded_p95, 2) if unloaded else float("nan"),
        throughput_rps=round(len(latencies) / elapsed, 1),
        rss_after_warmup_mb=round(after_warmup, 1),
        rss_end_mb=round(end, 1),
        rss_max_mb=round(max(value for _, value in rss), 1),
        rss_growth_pct=round((end - after_warmup) / after_warmup * 100, 1),
        swap_at_s=round(swap_at, 1) if swap_at is not None else None,
        swapped_to=swapped_to,
        swap_seen_after_s=round(seen_after, 2) if seen_after is not None else None,
        server_cpu_ms_per_answer=round(server_cpu * 1000 / max(1, len(latencies)), 1),
        client_cpu_share=round(client_cpu / (elapsed * (os.cpu_count() or 1)), 2),
    )


# --- 2. kill -9 of builds ----------------------------------------------------------------------------
def make_corpus(target: Path, corpus: Path, report_ids: tuple[str, ...]) -> Path:
    """A fresh corpus folder of symlinks to ``report_ids`` of ``corpus`` with a filtered manifest."""
    from corpus.subset import link_subset

    if target.exists():
        shutil.rmtree(target)
    return link_subset(corpus, target, report_ids)


_BUILD = (
    "import sys; from pathlib import Path; from indexer import build; "
    "from inspectqa.settings import Settings; "
    "build(Path(sys.argv[1]), Path(sys.argv[2]), Settings(index=Path(sys.argv[2])), progress=False)"
)


def start_build(corpus: Path, index: Path, log: Path) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", _BUILD, str(corpus), str(index)],
            stdout=out,
            stderr=out,
            env=environment,
            cwd=REPO,
        )


def timed_build(corpus: Path, index: Path, log: Path, timeout_s: float = 900.0) -> float:
    started = time.monotonic()
    process = start_build(corpus, index, log)
    if process.wait(timeout_s) != 0:
        raise InspectQAError(f"the build of {corpus} failed; see {log}")
    return time.monotonic() - started


@dataclass
class BuildKillResult:
    kills: int
    served_previous: int  # killed before the publish: the previous generation stayed current and served
    published_before_kill: int  # killed after the atomic publish: the new generation, complete and served
    finished_before_kill: int  # the build exited before its kill came
    kill_points_s: list[float]
    build_seconds: float
    leftover_entries: int
    next_build_completed: bool
    next_build_s: float
    next_generation_served: bool
    unfinished_after_next_build: int = 0  # dead builds' staging folders left once the next build ran
    problems: list[str] = field(default_factory=list)


def run_build_kills(corpus: Path, workdir: Path, *, kills: int = 20, seed: int = 7) -> BuildKillResult:
    """kill -9 an incremental build at random points: the index must always be a complete generation.

    Before the build's one atomic rename, that is the previous generation; after it (a kill during
    clean-up), the new one. Either way it must load and be the one the running service serves.
    """
    from indexer import open_index
    from inspectqa.settings import Settings

    rng = random.Random(seed)
    overrides: dict[str, Any] = {"index": workdir / "kill-index"}
    settings = Settings(**overrides)
    base = make_corpus(workdir / "corpus-base", corpus, BUILD_CORPUS_BASE)
    grown = make_corpus(workdir / "corpus-grown", corpus, BUILD_CORPUS_BASE + BUILD_CORPUS_ADDED)
    index = workdir / "kill-index"
    if index.exists():
        shutil.rmtree(index)
    log = workdir / "builds.log"
    timed_build(base, index, log)
    # How long the incremental build we are going to interrupt takes, measured on a scratch copy.
    scratch = workdir / "kill-scratch"
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(index, scratch, symlinks=True)
    build_s = timed_build(grown, scratch, log)
    shutil.rmtree(scratch)

    previous = current_generation(index)
    result = BuildKillResult(kills, 0, 0, 0, [], round(build_s, 1), 0, False, 0.0, False)
    with ServerProcess(index, workdir / "kill-server.log") as server:
        server.wait_ready()
        window_s = build_s
        for attempt in range(kills * 3):  # bounded: a build that beats its kill does not count as one
            if len(result.kill_points_s) >= kills:
                break
            at = rng.uniform(0.02, 0.98) * window_s
            process = start_build(grown, index, log)
            time.sleep(at)
            if process.poll() is not None:
                # Finished before the kill (later builds can be quicker): aim earlier from now on, and
                # put the base corpus back so the next attempt has work to interrupt again.
                result.finished_before_kill += 1
                window_s = max(1.0, at * 0.9)
                timed_build(base, index, log)
                previous = current_generation(index)
                continue
            process.send_signal(signal.SIGKILL)
            process.wait(30)
            result.kill_points_s.append(round(at, 2))
            now = current_generation(index)
            try:
                open_index(index, settings)
                loadable = True
            except InspectQAError as error:
                loadable = False
                result.problems.append(f"kill {attempt + 1}: index not loadable: {error}")
            # The service polls INDEX/current; give it a moment to follow a publish that beat the kill.
            served_deadline = time.monotonic() + 10
            served = generation_of(server.readyz())
            while served != now.name and time.monotonic() < served_deadline:
                time.sleep(0.2)
                served = generation_of(server.readyz())
            if not loadable or served != now.name:
                result.problems.append(
                    f"kill {attempt + 1} at {at:.2f} s: current={now.name}, served={served}"
                )
            elif now == previous:
                result.served_previous += 1
            else:
                # Killed after the atomic publish: the new generation is complete and served. Put the
                # base corpus back so the next attempt has work to interrupt again.
                result.published_before_kill += 1
                timed_build(base, index, log)
                previous = current_generation(index)
        generations = index / "generations"
        result.leftover_entries = sum(1 for entry in generations.iterdir() if entry.name.startswith(".tmp-"))
        try:
            result.next_build_s = round(timed_build(grown, index, log), 1)
            result.next_build_completed = current_generation(index) != previous
            result.unfinished_after_next_build = sum(
                1 for entry in (index / "generations").iterdir() if entry.name.startswith(".tmp-")
            )
        except InspectQAError as error:
            result.problems.append(str(error))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not result.next_generation_served:
            result.next_generation_served = generation_of(server.readyz()) == current_generation(index).name
            time.sleep(0.25)
    return result


# --- 3. kill -9 of the service ----------------------------------------------------------------------
@dataclass
class RestartResult:
    ready_first_s: float
    ready_after_kill_s: float
    generation_before: str | None
    generation_after: str | None
    same_generation: bool
    same_answer: bool


def run_service_restart(index: Path, workdir: Path) -> RestartResult:
    log = workdir / "restart-server.log"
    answers = []
    generations = []
    ready_s = []
    for _ in range(2):
        started = time.monotonic()
        server = ServerProcess(index, log)
        try:
            generations.append(generation_of(server.wait_ready()))
            ready_s.append(round(time.monotonic() - started, 1))
            response = httpx.post(f"{server.url}/ask", json={"question": RESTART_QUESTION}, timeout=60)
            answers.append(response.json().get("answer"))
        finally:
            server.kill9()
            server.stop()
    return RestartResult(
        ready_first_s=ready_s[0],
        ready_after_kill_s=ready_s[1],
        generation_before=generations[0],
        generation_after=generations[1],
        same_generation=generations[0] == generations[1],
        same_answer=answers[0] == answers[1] and answers[0] is not None,
    )


# --- 4. crafted PDFs ---------------------------------------------------------------------------------
def run_crafted(workdir: Path) -> list[dict[str, Any]]:
    from evals.crafted_pdfs import probe, write_crafted

    return [asdict(probe(path, timeout_s=120)) for path in write_crafted(workdir / "crafted")]


# --- the suite ----------------------------------------------------------------------------------------
def run_suite(
    index: Path,
    corpus: Path,
    gold: Path,
    workdir: Path,
    *,
    duration_s: float = 60.0,
    clients: int = 16,
    kills: int = 20,
    parts: tuple[str, ...] = ("load", "kills", "restart", "crafted", "fuzz"),
    workers: int = 2,
    think_s: float = 1.0,
) -> dict[str, Any]:
    """Every part named in ``parts``. The load runs three times, each with the same clients and swap:
    one worker asked back to back (the baseline), ``workers`` workers asked back to back (saturation),
    and ``workers`` workers with clients pausing ``think_s`` on average between questions."""
    workdir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"index": str(index), "machine": {"cpus": os.cpu_count()}}
    if "crafted" in parts:
        result["crafted"] = run_crafted(workdir)
    if "restart" in parts:
        result["restart"] = asdict(run_service_restart(index, workdir))
    if "load" in parts:
        questions = load_questions(gold)
        result["load"] = [
            asdict(
                run_load(
                    index,
                    workdir / f"load-{n}w-{think:g}s",
                    questions,
                    duration_s=duration_s,
                    clients=clients,
                    workers=n,
                    think_s=think,
                )
            )
            for n, think in ((1, 0.0), (workers, 0.0), (workers, think_s))
        ]
    if "kills" in parts:
        result["kills"] = asdict(run_build_kills(corpus, workdir, kills=kills))
    if "fuzz" in parts:
        result["fuzz"] = run_fuzz(index, workdir)
    return result


def run_fuzz(index: Path, workdir: Path, *, max_examples: int = 25) -> dict[str, Any]:
    """schemathesis over ``inspectqa serve``'s own OpenAPI document (admin routes with a wrong token)."""
    from evals.api_fuzz import fuzz_api

    env = {"INSPECTQA_RATE_LIMIT_PER_MINUTE": "0", "INSPECTQA_ADMIN_TOKEN": "fuzz-only-token"}
    with ServerProcess(index, workdir / "fuzz-server.log", env) as server:
        server.wait_ready()
        fuzzed = fuzz_api(server.url, max_examples=max_examples, headers={"Authorization": "Bearer wrong"})
    return {**asdict(fuzzed), "max_examples": max_examples}


def render(result: dict[str, Any]) -> str:
    """The figures as Markdown for the README's Reliability section."""
    lines = ["## Reliability", ""]
    if loads := result.get("load"):
        first = loads[0]
        lines += [
            f"**Load with an index swap** ({first['clients']} clients, {first['duration_s']:g} s each, "
            f"{result['machine']['cpus']} CPU cores, index `{result['index']}`; the unloaded p95 is "
            "measured on the same server just before its load):",
            "",
            "| workers | clients pause | requests | failed | throughput | p50 | p95 | unloaded p95 "
            "| p95 ratio | RSS after warm-up → end (max) | swap served after | server CPU per answer "
            "| load generator's CPU share |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for load in loads:
            pause = f"{load['think_s']:g} s" if load["think_s"] else "none (back to back)"
            lines.append(
                f"| {load['workers']} | {pause} | {load['requests']} | {load['failed']} "
                f"{load['failures'] or ''} | {load['throughput_rps']}/s | {load['loaded_p50_ms']} ms "
                f"| {load['loaded_p95_ms']} ms | {load['unloaded_p95_ms']} ms | {load['p95_ratio']}× "
                f"| {load['rss_after_warmup_mb']} → {load['rss_end_mb']} MB ({load['rss_growth_pct']:+}%, "
                f"max {load['rss_max_mb']} MB) | {load['swap_seen_after_s']} s "
                f"| {load['server_cpu_ms_per_answer']} ms | {load['client_cpu_share']:.0%} |"
            )
        lines.append("")
    if kills := result.get("kills"):
        lines += [
            f"**kill -9 of index builds**: {len(kills['kill_points_s'])} kills at random points of a "
            f"{kills['build_seconds']} s incremental build: {kills['served_previous']} left the previous "
            f"generation current, loadable and served, {kills['published_before_kill']} came after the "
            f"build's atomic publish (the new generation complete and served), "
            f"{len(kills['problems'])} left anything else; {kills['finished_before_kill']} builds "
            "finished before their kill; "
            f"dead builds' staging folders: {kills['leftover_entries']} after the kills, "
            f"{kills['unfinished_after_next_build']} once the next build ran; the next build "
            f"{'completed' if kills['next_build_completed'] else 'FAILED'} in {kills['next_build_s']} s and "
            f"{'was' if kills['next_generation_served'] else 'was NOT'} picked up by the running service."
            + (f" Problems: {kills['problems']}" if kills["problems"] else ""),
            "",
        ]
    if restart := result.get("restart"):
        lines += [
            f"**kill -9 of the service**: ready in {restart['ready_first_s']} s, killed, ready again in "
            f"{restart['ready_after_kill_s']} s on "
            f"{'the same' if restart['same_generation'] else 'a DIFFERENT'} generation "
            f"(`{restart['generation_after']}`), "
            f"{'same' if restart['same_answer'] else 'DIFFERENT'} answer to the same question.",
            "",
        ]
    if fuzz := result.get("fuzz"):
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(fuzz["by_status"].items()))
        lines += [
            f"**Fuzzing** (schemathesis, {fuzz['max_examples']} valid and {fuzz['max_examples']} invalid "
            f"examples per operation, fixed seed): {fuzz['requests']} requests over {fuzz['operations']} "
            f"operations, {len(fuzz['server_errors'])} server errors (statuses {statuses}).",
            "",
        ]
    if crafted := result.get("crafted"):
        lines += ["**Crafted PDFs** (loaded in a child limited to 2 GB of address space):", ""]
        lines += ["| file | outcome | reason | seconds |", "|---|---|---|---|"]
        lines += [f"| {c['name']} | {c['outcome']} | {c['reason']} | {c['seconds']:.1f} |" for c in crafted]
        lines.append("")
    return "\n".join(lines)
