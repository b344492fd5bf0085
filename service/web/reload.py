"""Swap in a rebuilt index while the service keeps answering.

The indexer writes each build to ``INDEX/generations/<id>`` and then points ``INDEX/current`` at it in
one rename. The service notices (a poll of that symlink every ``reload_poll_s``, a ``SIGHUP``, or
``POST /admin/reload``; under ``serve --workers N`` the supervisor passes a ``SIGHUP`` on to every
worker, and the worker that gets a ``POST /admin/reload`` leaves a note in the shared state folder
that the others' watch picks up), **validates** the new generation before anything depends on it
(the files are there, ``open_index`` accepts it, the embedding model is the configured one, it holds
passages), builds a fresh ``QAService`` around it and replaces ``app.state.qa`` in one attribute assignment.

Requests already running hold a reference to the old service and finish on it; requests that start
afterwards get the new one; no request sees a half-loaded index. A generation that fails validation is
refused: the old service keeps serving, and the reason is logged, counted and reported by ``/readyz``
until a later generation loads.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fastapi import FastAPI

from inspectqa.errors import IndexCorrupt, InspectQAError, ModelMismatch
from inspectqa.settings import Settings

if TYPE_CHECKING:
    from indexer.backend import SearchIndex

log = logging.getLogger("inspectqa.reload")

REQUIRED_FILES = ("index.faiss", "index.sqlite", "manifest.json")
RELOAD_REQUEST = "reload-requested"
_BUILD_TIME_KEYS = ("built_at", "build_time", "created_at", "created")
_MODEL_KEYS = ("model_name", "model", "embedding_model")


@dataclass(frozen=True)
class IndexSnapshot:
    """What is known about the index generation being served, for /readyz and /metrics."""

    generation: str
    path: Path
    chunks: int
    reports: int
    size_bytes: int
    built_at: float | None
    loaded_at: float

    @classmethod
    def of(cls, index: SearchIndex) -> IndexSnapshot:
        path = Path(index.location)
        return cls(
            generation=index.generation,
            path=path,
            chunks=int(index.count()),
            reports=len(index.reports()),
            size_bytes=sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else 0,
            built_at=_build_time(index.manifest, path),
            loaded_at=time.time(),
        )


@dataclass(frozen=True)
class ReloadOutcome:
    """The result of one reload attempt, as returned by ``POST /admin/reload``."""

    status: Literal["reloaded", "unchanged", "refused"]
    generation: str | None
    reason: str | None = None
    trigger: str = ""


def current_target(index_dir: Path) -> Path:
    """The generation directory ``INDEX/current`` points at (the index itself for a flat layout)."""
    current = index_dir / "current"
    return current.resolve() if current.is_symlink() or current.is_dir() else index_dir.resolve()


def validate_generation(index_dir: Path, settings: Settings) -> SearchIndex:
    """Open the generation ``INDEX/current`` points at, or raise why it must not be served."""
    from indexer import open_index

    target = current_target(index_dir)
    if not target.is_dir():
        raise IndexCorrupt(f"index generation {target.name} is missing")
    missing = [name for name in REQUIRED_FILES if not (target / name).is_file()]
    if missing:
        raise IndexCorrupt(f"index generation {target.name} lacks {', '.join(missing)}")
    index = open_index(index_dir, settings)
    manifest = index.manifest
    model = next((manifest[key] for key in _MODEL_KEYS if isinstance(manifest.get(key), str)), None)
    if model is not None and model != settings.model_name:
        raise ModelMismatch(
            f"index generation {Path(index.path).name} was built with {model}, "
            f"but the service is configured for {settings.model_name}"
        )
    if index.count() <= 0:
        raise IndexCorrupt(f"index generation {Path(index.path).name} holds no passages")
    return index


def validate_database_generation(database: Any, settings: Settings) -> SearchIndex:
    """Open the generation the database serves (``indexer.pg``), or raise why it must not be served."""
    from indexer.sources import open_search_index

    index = open_search_index(settings, database)
    if index.count() <= 0:
        raise IndexCorrupt(f"database generation {index.generation} holds no passages")
    return index


class IndexReloader:
    """Validates new index generations and swaps them into ``app.state.qa``; one reload at a time."""

    def __init__(self, app: FastAPI, settings: Settings, make_service: Callable[[Any], Any]) -> None:
        self.app = app
        self.settings = settings
        self.make_service = make_service
        self.snapshot: IndexSnapshot | None = None
        self.last_error: str | None = None
        self.last_attempt: float | None = None
        self._refused_target: tuple[Path | str, float] | None = None
        self._lock = threading.Lock()
        self.on_outcome: Callable[[ReloadOutcome], None] | None = None
        self._trim_due: float | None = None
        # Under `serve --workers N` a POST /admin/reload reaches one process; it leaves this file's
        # new time for the others, whose watch then reloads too.
        self.request_file = settings.state_dir / RELOAD_REQUEST if settings.state_dir else None
        self._seen_request = _mtime_ns(self.request_file)
        self._database: Any = None  # with INSPECTQA_DATABASE_URL: the pool generations are read through

    def _target(self) -> Path | str:
        """What would be served now: the generation directory, or the database's served generation id."""
        if self.settings.database_url is None:
            return current_target(self.settings.index)
        if self._database is None:
            index = getattr(getattr(self.app.state, "qa", None), "index", None)
            self._database = getattr(index, "database", None)
            if self._database is None:
                from indexer.sources import open_database

                self._database = open_database(self.settings)
        return str(self._database.served_generation() or "")

    def _serving(self, target: Path | str) -> bool:
        if self.snapshot is None:
            return False
        return target == (self.snapshot.path if isinstance(target, Path) else self.snapshot.generation)

    def _validate(self) -> SearchIndex:
        if self.settings.database_url is None:
            return validate_generation(self.settings.index, self.settings)
        return validate_database_generation(self._database, self.settings)

    def adopt(self) -> None:
        """Record the index the app's lifespan loaded, so a reload can tell whether anything changed."""
        qa = getattr(self.app.state, "qa", None)
        index = getattr(qa, "index", None)
        if index is not None:
            self.snapshot = IndexSnapshot.of(index)

    def reload(self, trigger: str, *, force: bool = False) -> ReloadOutcome:
        """Swap in the generation ``INDEX/current`` points at, if it is new (or ``force``) and valid."""
        with self._lock:
            self.last_attempt = time.time()
            try:
                target = self._target()
            except InspectQAError as error:  # the database cannot be reached: keep serving
                self.last_error = f"refused: {error}"
                return self._finish(ReloadOutcome("refused", None, str(error), trigger))
            if not force and self._serving(target):
                assert self.snapshot is not None
                return self._finish(ReloadOutcome("unchanged", self.snapshot.generation, trigger=trigger))
            name = target.name if isinstance(target, Path) else target
            try:
                index = self._validate()
                service = self.make_service(index)
                snapshot = IndexSnapshot.of(index)
            except Exception as error:
                reason = (
                    str(error) if isinstance(error, InspectQAError) else f"{type(error).__name__}: {error}"
                )
                named = name in reason  # most reasons already name the generation
                self.last_error = f"refused: {reason}" if named else f"generation {name} refused: {reason}"
                self._refused_target = (target, _mtime(target))
                log.error(
                    "index reload refused; still serving the previous index",
                    extra={
                        "trigger": trigger,
                        "generation": name,
                        "reason": reason,
                        "serving": self.snapshot.generation if self.snapshot else None,
                    },
                )
                return self._finish(ReloadOutcome("refused", name, reason, trigger))
            # The swap: one attribute assignment. Requests that already hold the old service finish on it.
            old = getattr(self.app.state, "qa", None)
            self.app.state.qa = service
            self.app.state.load_error = None
            previous = self.snapshot.generation if self.snapshot else None
            self.snapshot = snapshot
            self.last_error = None
            self._refused_target = None
            log.info(
                "index reloaded",
                extra={"trigger": trigger, "generation": snapshot.generation, "previous": previous},
            )
            del old, index, service
            _release_memory()
            # Requests in flight still hold the old service for a moment: trim again once they are done.
            self._trim_due = time.monotonic() + 5.0
            return self._finish(ReloadOutcome("reloaded", snapshot.generation, trigger=trigger))

    def reload_everywhere(self, trigger: str) -> ReloadOutcome:
        """A forced reload here, and a request to every other server process to do the same."""
        outcome = self.reload(trigger, force=True)
        if self.request_file is not None:
            self.request_file.parent.mkdir(parents=True, exist_ok=True)
            self.request_file.write_text(f"{time.time()} {os.getpid()} {trigger}\n")
            self._seen_request = _mtime_ns(self.request_file)
        return outcome

    def requested_elsewhere(self) -> bool:
        """Whether another server process asked every process to reload since this one last looked."""
        stamp = _mtime_ns(self.request_file)
        if stamp == self._seen_request:
            return False
        self._seen_request = stamp
        return True

    def _finish(self, outcome: ReloadOutcome) -> ReloadOutcome:
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome

    def changed(self) -> bool:
        """Whether INDEX/current points somewhere new that has not already been refused as it is."""
        try:
            target = self._target()
        except InspectQAError:
            return False
        if self._serving(target):
            return False
        if not (target.is_dir() if isinstance(target, Path) else target):
            return False
        if target == Path(self.settings.index).resolve() and not (target / "manifest.json").exists():
            return False  # no `current` yet and no flat index: nothing to load (a first build may be running)
        return self._refused_target != (target, _mtime(target))

    def status(self) -> dict[str, Any]:
        """The reload state, for /readyz."""
        return {
            "generation": self.snapshot.generation if self.snapshot else None,
            "loaded_at": _iso(self.snapshot.loaded_at) if self.snapshot else None,
            "chunks": self.snapshot.chunks if self.snapshot else None,
            "reports": self.snapshot.reports if self.snapshot else None,
            "last_reload_attempt": _iso(self.last_attempt) if self.last_attempt else None,
            "last_reload_error": self.last_error,
        }

    async def watch(self, interval_s: float) -> None:
        """Poll INDEX/current and reload when it points at a new generation (runs until cancelled)."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                if self.requested_elsewhere():
                    await asyncio.to_thread(self.reload, "admin (another worker)", force=True)
                elif self.changed():
                    await asyncio.to_thread(self.reload, "watch")
                if self._trim_due is not None and time.monotonic() >= self._trim_due:
                    self._trim_due = None
                    await asyncio.to_thread(_release_memory)
            except OSError as error:  # the index folder being moved or remounted: try again next time
                log.warning("index watch could not read INDEX/current: %s", error)


def install_reloader(app: FastAPI, settings: Settings) -> IndexReloader:
    """Attach an ``IndexReloader`` to ``app.state.reloader`` and run its watch and SIGHUP in the lifespan."""

    def make_service(index: SearchIndex) -> Any:
        from service.answers.qa import QAService

        current = getattr(app.state, "qa", None)
        if current is not None:
            return type(current).open(settings, index=index, embedder=current.embedder)
        # The service started without an index; this is the first one it gets (and its model).
        return QAService.open(settings, index=index)

    reloader = IndexReloader(app, settings, make_service)
    app.state.reloader = reloader
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[Any]:
        async with inner(app_) as state:
            reloader.adopt()
            tasks: list[asyncio.Task[Any]] = []
            if settings.reload_poll_s > 0:
                tasks.append(asyncio.create_task(reloader.watch(settings.reload_poll_s)))
            hangup = _listen_for_sighup(reloader, tasks)
            try:
                yield state
            finally:
                if hangup:
                    asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    app.router.lifespan_context = lifespan
    return reloader


def _listen_for_sighup(reloader: IndexReloader, tasks: list[asyncio.Task[Any]]) -> bool:
    """Reload on SIGHUP where the server runs the event loop in the main thread (as uvicorn does)."""
    if not hasattr(signal, "SIGHUP") or threading.current_thread() is not threading.main_thread():
        return False
    loop = asyncio.get_running_loop()

    def on_hangup() -> None:
        tasks.append(loop.create_task(asyncio.to_thread(reloader.reload, "SIGHUP", force=True)))

    try:
        loop.add_signal_handler(signal.SIGHUP, on_hangup)
    except (RuntimeError, ValueError):  # a loop that does not take signal handlers
        return False
    return True


def _build_time(manifest: dict[str, Any], path: Path) -> float | None:
    for key in _BUILD_TIME_KEYS:
        value = manifest.get(key)
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    with contextlib.suppress(OSError):
        return (path / "manifest.json").stat().st_mtime
    return None


def _mtime(path: Path | str) -> float:
    if not isinstance(path, Path):
        return 0.0
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


def _mtime_ns(path: Path | None) -> int:
    if path is None:
        return 0
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


def _release_memory() -> None:
    """Hand the freed generation's memory back to the system after a swap.

    The old service is freed as soon as the last request holding it ends, but glibc keeps freed heap
    pages in its arenas; without a trim every swap would leave the process a generation's worth larger.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
