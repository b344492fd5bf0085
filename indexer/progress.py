"""How far an index build is, in a small file any process can read: ``INDEX/.build-progress.json``.

Why a file: the build runs in one process (``inspectqa index build``, or the one ``inspectqa serve``
starts when the index is missing) and the server's workers, which answer ``/readyz`` and the widget,
are others. The builder rewrites the file (atomically, at most a few times a second) as reports are
read and embedded, and once more when it ends: ``done``, or ``failed`` with the reason. A reader that
finds ``building`` from a process that no longer exists reports the build as failed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

PROGRESS_FILE = ".build-progress.json"
State = Literal["building", "done", "failed"]


@dataclass(frozen=True)
class BuildProgress:
    """One moment of a build: reports read so far out of the total, passages embedded, time taken."""

    state: State
    pid: int
    started_at: float  # epoch seconds
    updated_at: float
    reports_done: int = 0
    reports_total: int = 0
    passages: int = 0
    failed: int = 0
    error: str | None = None

    @property
    def elapsed_s(self) -> float:
        end = self.updated_at if self.state != "building" else max(time.time(), self.updated_at)
        return max(0.0, end - self.started_at)

    @property
    def fraction(self) -> float:
        if self.state == "done":
            return 1.0
        return self.reports_done / self.reports_total if self.reports_total else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the pace so far (None before the first report, or once it is over)."""
        if self.state != "building" or not self.reports_done or not self.reports_total:
            return None
        spent = max(0.0, self.updated_at - self.started_at)
        return spent / self.reports_done * (self.reports_total - self.reports_done)

    def as_dict(self) -> dict[str, Any]:
        """The JSON ``/readyz`` shows (times rounded, with the derived figures)."""
        eta = self.eta_s
        return {
            "state": self.state,
            "reports_done": self.reports_done,
            "reports_total": self.reports_total,
            "passages": self.passages,
            "failed": self.failed,
            "fraction": round(self.fraction, 4),
            "elapsed_s": round(self.elapsed_s, 1),
            "eta_s": None if eta is None else round(eta, 1),
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started_at)),
            "error": self.error,
        }

    def summary(self) -> str:
        """One sentence for people: how far the build is, or why it failed."""
        if self.state == "failed":
            return f"the index build failed: {self.error or 'no reason recorded'}"
        if self.state == "done":
            return (
                f"the index was built ({self.reports_done} reports, {self.passages:,} passages); loading it"
            )
        if not self.reports_total:
            return "the index is being built: scanning the reports"
        if self.reports_done >= self.reports_total:
            return (
                f"the index is being built: all {self.reports_total} reports read ({self.passages:,} "
                f"passages); embedding the last of them and writing the index"
            )
        eta = self.eta_s
        left = f", about {_duration(eta)} left" if eta is not None else ""
        return (
            f"the index is being built: {self.reports_done} of {self.reports_total} reports read "
            f"({self.passages:,} passages, {_duration(self.elapsed_s)} so far{left})"
        )


class ProgressWriter:
    """Writes a build's progress to ``INDEX/.build-progress.json``, at most every ``every_s`` seconds."""

    def __init__(self, index: Path, *, every_s: float = 0.5, write: bool = True) -> None:
        self.path = Path(index) / PROGRESS_FILE
        self.every_s = every_s
        self.write = write
        self._last = 0.0
        self.current = BuildProgress("building", os.getpid(), time.time(), time.time())

    def update(self, *, force: bool = False, **changes: Any) -> None:
        self.current = dataclasses.replace(self.current, updated_at=time.time(), **changes)
        now = time.monotonic()
        if self.write and (force or now - self._last >= self.every_s):
            self._last = now
            write_progress(self.path, self.current)

    def finish(self, error: str | None = None) -> None:
        self.update(force=True, state="failed" if error else "done", error=error)


def write_progress(path: Path, progress: BuildProgress) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    staging.write_text(json.dumps(dataclasses.asdict(progress)) + "\n")
    os.replace(staging, path)


def read_progress(index: Path) -> BuildProgress | None:
    """The last progress the index's build wrote, or None; a dead builder's ``building`` is ``failed``."""
    path = Path(index) / PROGRESS_FILE
    try:
        data = json.loads(path.read_text())
        progress = BuildProgress(**data)
    except (OSError, ValueError, TypeError):
        return None
    if progress.state == "building" and not _alive(progress.pid):
        return dataclasses.replace(
            progress,
            state="failed",
            error=f"the build process (pid {progress.pid}) ended before it finished",
        )
    return progress


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def _duration(seconds: float) -> str:
    whole = max(0, round(seconds))
    if whole < 90:
        return f"{whole} s"
    minutes = round(whole / 60)
    return f"{minutes} min" if minutes < 90 else f"{minutes / 60:.1f} h"
