"""Load reports in child processes under a memory and a time bound, so no one file can take a build down.

pdfium runs inside the process that calls it: a 2 MB decompression bomb inflates to gigabytes there,
and a file that makes it spin holds the whole build. Here each file is read in a child whose address
space is capped (``RLIMIT_AS``): the bomb fails an allocation (a ``MemoryError``, or pdfium aborts) and
only the child dies; a file still being read past its deadline has its child killed. Either way the file
gets a one-line reason and the other files go on.

Each *lane* is a thread driving a one-process ``ProcessPoolExecutor`` (spawned, so no pdfium state or
parent threads are inherited) that reads one file at a time. One file per pool means a dead or killed
child names its file exactly, and only that lane's pool is replaced; the other lane keeps reading.
Children import ``corpus`` only (not the indexer's model libraries) and end themselves when their parent
dies, so a build killed with ``kill -9`` leaves no readers behind.

``probe`` reads one file the same way, in a child of its own, and says how it went from outside:
the service vets an upload with it before the file can reach a build.
"""

from __future__ import annotations

import os
import resource
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing import get_context, parent_process
from multiprocessing.connection import wait as wait_connections
from pathlib import Path
from typing import Literal

from corpus.loading import load_report
from corpus.records import Report, SourceFile
from corpus.scanning import sha256_file
from inspectqa.errors import CorruptReport

POLL_S = 0.25  # how often a lane waiting on a child checks whether the consumer has gone away
LOOKAHEAD = 8  # reports read ahead of the consumer at most: bounds the memory they hold

Outcome = Report | str  # a report, or the one-line reason the file is not one
# How reading a file ended: "rejected" is a file the loader refused (``CorruptReport``), "crashed" a
# reader that failed otherwise or died (pdfium aborts when an allocation fails under the limit).
Ending = Literal["loaded", "rejected", "out-of-memory", "crashed", "timeout", "stopped"]


def load_bounded(
    sources: Sequence[SourceFile], *, memory_mb: int, timeout_s: float, workers: int = 2
) -> Reading:
    """Start reading ``sources`` now, in ``min(workers, len(sources))`` children each limited to
    ``memory_mb`` of address space and ``timeout_s`` per file.

    Iterate the result for each source with its ``Report`` or the one-line reason it failed, in the
    order given; close it (or use it in a ``with``) to end the children. Starting before iterating
    lets the children's start-up overlap whatever the caller does meanwhile.
    """
    return Reading(list(sources), memory_mb=memory_mb, timeout_s=timeout_s, workers=workers)


@dataclass(frozen=True)
class Probe:
    """How loading one file went, as seen from outside the process that loaded it."""

    name: str
    outcome: Ending
    reason: str
    seconds: float
    peak_rss_mb: float  # the reading child's own peak (VmHWM), start-up included; 0.0 when unknown


def probe(
    path: Path, *, timeout_s: float = 60.0, memory_mb: int = 2048, stop: threading.Event | None = None
) -> Probe:
    """Load ``path`` with ``corpus.load_report`` in a child limited to ``memory_mb`` of address space
    and ``timeout_s``; setting ``stop`` ends the child early (outcome "stopped")."""
    started = time.monotonic()
    source = SourceFile(report_id=path.stem, path=path, content_hash=sha256_file(path))
    child = _Child(memory_mb)
    try:
        outcome, ending, _ = child.read(source, timeout_s, stop or threading.Event())
        peak_rss_mb = child.peak_rss_mb() if ending not in ("timeout", "stopped") else 0.0
    finally:
        child.close()
    seconds = time.monotonic() - started
    if isinstance(outcome, str):
        return Probe(path.stem, ending, outcome, seconds, peak_rss_mb)
    reason = f"{len(outcome.pages)} pages, {len(outcome.text)} characters"
    return Probe(path.stem, ending, reason, seconds, peak_rss_mb)


class Reading:
    """Files being read by children; an iterator of ``(source, outcome)`` in the sources' order."""

    def __init__(self, sources: list[SourceFile], *, memory_mb: int, timeout_s: float, workers: int) -> None:
        self._shared = _Shared(sources, memory_mb=memory_mb, timeout_s=timeout_s)
        self._lanes = [
            threading.Thread(target=self._shared.lane, name=f"inspectqa-reader-{n}", daemon=True)
            for n in range(min(max(workers, 1), len(sources)))
        ]
        for lane in self._lanes:
            lane.start()

    def __iter__(self) -> Iterator[tuple[SourceFile, Outcome]]:
        shared = self._shared
        for source, slot in zip(shared.sources, shared.slots, strict=True):
            outcome = slot.result()
            shared.window.release()
            yield source, outcome

    def close(self) -> None:
        """End the children, those still reading included (their files are left without outcome)."""
        self._shared.stop.set()
        for _ in self._lanes:
            self._shared.window.release()
        for lane in self._lanes:
            lane.join()

    def __enter__(self) -> Reading:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Shared:
    """What the lanes share: the files, one result slot per file, the next file to take."""

    def __init__(self, sources: list[SourceFile], *, memory_mb: int, timeout_s: float) -> None:
        self.sources = sources
        self.memory_mb = memory_mb
        self.timeout_s = timeout_s
        self.slots: list[Future[Outcome]] = [Future() for _ in sources]
        self.window = threading.Semaphore(LOOKAHEAD)
        self.stop = threading.Event()
        self._next = 0
        self._lock = threading.Lock()

    def _take(self) -> int | None:
        self.window.acquire()
        with self._lock:
            if self.stop.is_set() or self._next >= len(self.sources):
                return None
            self._next += 1
            return self._next - 1

    def lane(self) -> None:
        pool: _Child | None = None
        try:
            while (index := self._take()) is not None:
                try:
                    if pool is None:
                        pool = _Child(self.memory_mb)
                    outcome, _, healthy = pool.read(self.sources[index], self.timeout_s, self.stop)
                except BaseException as error:  # reaches the consumer, which ends the build with it
                    self.slots[index].set_exception(error)
                    healthy = False
                else:
                    self.slots[index].set_result(outcome)
                if not healthy and pool is not None:
                    pool.close()
                    pool = None
        finally:
            if pool is not None:
                pool.close()


class _Child:
    """One reader process (a one-worker pool), its pid known so that it can be killed."""

    def __init__(self, memory_mb: int) -> None:
        self.memory_mb = memory_mb
        self.pool = ProcessPoolExecutor(
            max_workers=1, mp_context=get_context("spawn"), initializer=_confine, initargs=(memory_mb,)
        )
        self.pid: int = self.pool.submit(os.getpid).result()

    def read(
        self, source: SourceFile, timeout_s: float, stop: threading.Event
    ) -> tuple[Outcome, Ending, bool]:
        """The file's outcome, how the reading ended, and whether this child can read another file."""
        future = self.pool.submit(_load_or_reason, source, self.memory_mb)
        deadline = time.monotonic() + timeout_s
        while not stop.is_set() and (remaining := deadline - time.monotonic()) > 0:
            done, _ = wait([future], timeout=min(POLL_S, remaining), return_when=FIRST_COMPLETED)
            if done:
                break
        if not future.done():
            self.kill()
            if stop.is_set():
                return "reading was stopped", "stopped", False
            return f"still reading after {timeout_s:g} s", "timeout", False
        try:
            outcome, ending = future.result()
            return outcome, ending, True
        except BrokenProcessPool:
            return (
                f"the reading process died under the {self.memory_mb} MB memory limit "
                "(a decompression bomb?)",
                "crashed",
                False,
            )
        except Exception as error:  # a result that could not come back; the child may be fine
            return _one_line(f"could not be read ({type(error).__name__}: {error})"), "crashed", False

    def peak_rss_mb(self) -> float:
        """The child's peak resident memory (its own: ``ru_maxrss`` would include the parent's)."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return 0.0
        hwm = [line for line in status.splitlines() if line.startswith("VmHWM:")]
        return round(int(hwm[0].split()[1]) / 1024, 1) if hwm else 0.0

    def kill(self) -> None:
        with suppress(ProcessLookupError):  # it ended by itself meanwhile
            os.kill(self.pid, signal.SIGKILL)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


# --- in the child -------------------------------------------------------------------------------
def _confine(memory_mb: int) -> None:
    """Cap this process's address space, write no core files, and end with the parent."""
    limit = memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    parent = parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()


def _exit_with(sentinel: int) -> None:
    wait_connections([sentinel])
    os._exit(1)


def _load_or_reason(source: SourceFile, memory_mb: int) -> tuple[Outcome, Ending]:
    out_of_memory = f"exceeded the {memory_mb} MB memory limit while reading (a decompression bomb?)"
    try:
        return load_report(source), "loaded"
    except CorruptReport as error:
        if isinstance(error.__cause__, MemoryError):
            return out_of_memory, "out-of-memory"
        return str(error), "rejected"
    except MemoryError:
        return out_of_memory, "out-of-memory"
    except Exception as error:  # one odd file must not stop the others
        return _one_line(f"could not be read ({type(error).__name__}: {error})"), "crashed"


def _one_line(message: str) -> str:
    return " ".join(message.split())[:300]
