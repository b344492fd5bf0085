"""Serving while the index is built: the build in the background, its progress for every route.

``inspectqa serve`` on a machine without an index starts the HTTP server at once and builds the index
in a child process (``start_background_build``), rather than leaving the port dead for the 15-40
minutes of a first build. Meanwhile ``/healthz`` answers 200, ``/readyz`` 503 with the build's
progress (``indexer.progress``: reports done of total, passages, elapsed, time left), and the
question routes 503 with ``Retry-After`` and a sentence saying how far the build is
(``raise_if_building``). When the build publishes its generation, the index watch of
``service.web.reload`` loads it like any new generation: the widget, polling ``/readyz``, starts
answering without a reload. A build that fails leaves its reason in the progress file, shown the
same way.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from indexer.generations import current_generation
from indexer.progress import PROGRESS_FILE, BuildProgress, read_progress, write_progress
from inspectqa.errors import IndexBuilding, IndexNotFound
from inspectqa.settings import Settings

log = logging.getLogger("inspectqa.building")

RETRY_MIN_S = 5
RETRY_MAX_S = 30


def build_progress(settings: Settings) -> BuildProgress | None:
    """The index build's progress when it tells why no index is served yet (None: it does not)."""
    progress = read_progress(settings.index)
    if progress is None:
        return None
    if progress.state == "done" and current_generation(settings.index) is None:
        return None  # an old build's record for an index since removed
    return progress


def retry_after(progress: BuildProgress) -> int:
    """Seconds a client should wait before asking again: the time left, within 5-30 s."""
    if progress.state == "done":
        return RETRY_MIN_S
    eta = progress.eta_s
    return int(min(RETRY_MAX_S, max(RETRY_MIN_S, eta if eta is not None else RETRY_MAX_S / 3)))


def raise_if_building(settings: Settings) -> None:
    """Raise ``IndexBuilding`` (503 with ``Retry-After``) while a build runs, or say why it failed."""
    progress = build_progress(settings)
    if progress is None:
        return
    if progress.state == "failed":
        raise IndexNotFound(
            f"the service has no index loaded: {progress.summary()}",
            hint=f"fix the cause and restart `inspectqa serve`, or run `inspectqa index build --corpus "
            f"{settings.corpus} --index {settings.index}`",
        )
    raise IndexBuilding(
        f"the service is not answering yet: {progress.summary()}; it will answer when the build finishes",
        retry_after=retry_after(progress),
    )


@dataclass
class BackgroundBuild:
    """The child process building the index, and a thread that records how it ended."""

    process: subprocess.Popen[bytes]
    watcher: threading.Thread

    def stop(self, timeout_s: float = 10.0) -> None:
        """End the build (the index keeps its previous state: builds are atomic)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.watcher.join(timeout_s)


def start_background_build(settings: Settings) -> BackgroundBuild:
    """Start ``inspectqa index build`` for ``settings`` in a child process; returns at once."""
    index = Path(settings.index)
    index.mkdir(parents=True, exist_ok=True)
    # Say "building" before the child has even imported anything, so the first /readyz shows it.
    started = time.time()
    command = [
        sys.executable,
        "-m",
        "inspectqa.cli",
        "index",
        "build",
        "--corpus",
        str(settings.corpus),
        "--index",
        str(index),
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    write_progress(index / PROGRESS_FILE, BuildProgress("building", process.pid, started, started))
    watcher = threading.Thread(
        target=_watch, args=(process, index), name="inspectqa-build-watch", daemon=True
    )
    watcher.start()
    return BackgroundBuild(process, watcher)


def _watch(process: subprocess.Popen[bytes], index: Path) -> None:
    """Pass the build's stderr (its progress bar, its errors) on to ours, keeping the last lines;
    after it exits, a build that ended without recording why (an error before it started, a kill)
    gets a reason: its last error line, or how it ended."""
    tail = b""
    stream = process.stderr
    assert stream is not None
    for block in iter(lambda: os.read(stream.fileno(), 4096), b""):
        sys.stderr.buffer.write(block)
        sys.stderr.buffer.flush()
        tail = (tail + block)[-4096:]
    stream.close()
    code = process.wait()
    lines = [line.strip() for line in tail.decode(errors="replace").replace("\r", "\n").split("\n")]
    errors = [line for line in lines if line.startswith("error:")]
    _record_end(process, index, code, errors[-1].removeprefix("error:").strip() if errors else None)


def _record_end(process: subprocess.Popen[bytes], index: Path, code: int, message: str | None) -> None:
    progress = read_progress(index)
    if code == 0 or (progress is not None and progress.state == "failed" and progress.pid == process.pid):
        if progress is not None and progress.state == "failed":
            log.error("the index build failed: %s", progress.error)
        return
    started = progress.started_at if progress is not None else time.time()
    if message:
        reason = message
    elif code > 0:
        reason = f"the build process exited with status {code}"
    else:
        reason = f"the build process was killed (signal {-code})"
    write_progress(
        index / PROGRESS_FILE,
        BuildProgress(
            "failed",
            process.pid,
            started,
            time.time(),
            reports_done=progress.reports_done if progress else 0,
            reports_total=progress.reports_total if progress else 0,
            passages=progress.passages if progress else 0,
            error=reason,
        ),
    )
    log.error("the index build failed: %s", reason)
