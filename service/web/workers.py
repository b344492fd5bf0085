"""``inspectqa serve --workers N``: N server processes behind one socket, sharing what must be shared.

One Python process answers on one core at a time (the GIL), so on a machine with more cores one
process leaves them idle while questions queue. uvicorn's supervisor binds the socket once and runs N
worker processes that accept from it; each worker loads the index and the model itself.

What the workers must agree on lives in a state folder they all see (``INSPECTQA_STATE_DIR``, a fresh
temporary folder unless configured):

- the per-client rate limit (``rate-limits.sqlite``, see ``service.web.shared_buckets``), so N workers do
  not let a client ask N times as often;
- the Prometheus series (``metrics/``, ``prometheus_client``'s multiprocess mode), so ``/metrics``
  counts the service, not whichever worker answered the scrape;
- reload requests (``reload-requested``): ``POST /admin/reload`` reaches one worker, which reloads and
  leaves the note for the others' watch.

Upload jobs are files under ``INSPECTQA_UPLOADS_DIR/jobs`` whatever the number of workers, and index
builds take the index's own lock, so two workers' uploads build one after the other.

uvicorn's supervisor answers ``SIGHUP`` by restarting every worker; here it passes the signal on
instead, so that each worker reloads the index as a single process would: validated first, a bad
generation refused while the old one keeps serving, no worker restarted and no request dropped.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import tempfile
from pathlib import Path

import uvicorn
from prometheus_client import multiprocess
from pydantic import SecretStr
from uvicorn.supervisors import Multiprocess

from inspectqa.settings import Settings

log = logging.getLogger("inspectqa.workers")

APP_FACTORY = "service.web.app:create_app_from_environment"
METRICS_DIR = "metrics"


class IndexReloadingSupervisor(Multiprocess):
    """uvicorn's worker supervisor, with ``SIGHUP`` passed on to every worker instead of restarting them."""

    def handle_hup(self) -> None:
        log.info("SIGHUP: asking every worker to reload the index")
        for process in self.processes:
            if process.pid is not None and process.exitcode is None:
                os.kill(process.pid, signal.SIGHUP)

    def keep_subprocess_alive(self) -> None:
        """uvicorn's replacement of dead workers, then the dead workers' live gauges dropped: a worker
        killed with requests in flight would otherwise count them in /metrics for ever."""
        before = {process.pid for process in self.processes}
        super().keep_subprocess_alive()
        for pid in before - {process.pid for process in self.processes}:
            if pid is not None:
                multiprocess.mark_process_dead(pid)


def prepare_state_dir(settings: Settings) -> Path:
    """The shared state folder, with the metrics of any earlier run removed (they would be summed in)."""
    state_dir = settings.state_dir or Path(tempfile.mkdtemp(prefix="inspectqa-state-"))
    state_dir.mkdir(parents=True, exist_ok=True)
    metrics = state_dir / METRICS_DIR
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir()
    return state_dir


def environment_of(settings: Settings) -> dict[str, str]:
    """``INSPECTQA_*`` variables that make ``Settings()`` in a worker equal ``settings`` here.

    Workers are fresh processes that build their settings from the environment, so the command
    line's options (``--index``, ``--port``, ...) reach them this way.
    """
    variables: dict[str, str] = {}
    for name in settings.model_fields_set:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, list | tuple):
            value = ",".join(str(item) for item in value)
        variables[f"INSPECTQA_{name.upper()}"] = str(value)
    return variables


def serve(settings: Settings) -> None:
    """Serve the app with ``settings.workers`` processes (one: in this process, as plain uvicorn)."""
    if settings.workers <= 1:
        from service.web.app import create_app

        uvicorn.run(
            create_app(settings), host=settings.host, port=settings.port, log_level="warning", lifespan="on"
        )
        return
    state_dir = prepare_state_dir(settings)
    shared = settings.model_copy(update={"state_dir": state_dir})
    shared.model_fields_set.add("state_dir")
    # Set before any worker starts (and imports prometheus_client), inherited by every one.
    os.environ.update(environment_of(shared))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(state_dir / METRICS_DIR)
    if settings.reload_poll_s <= 0:
        log.warning(
            "the index watch is off (INSPECTQA_RELOAD_POLL_S=0): POST /admin/reload and uploads will "
            "reach one worker only; send SIGHUP to the server to reload every worker"
        )
    config = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level="warning",
        # "auto" would take a failing start-up for a missing lifespan and serve without an index.
        lifespan="on",
    )
    sock = listening_socket(config)
    try:
        IndexReloadingSupervisor(config, sockets=[sock]).run()
    finally:
        sock.close()
        if settings.state_dir is None:  # the temporary folder made for this run
            shutil.rmtree(state_dir, ignore_errors=True)


def listening_socket(config: uvicorn.Config) -> socket.socket:
    """uvicorn's shared listening socket, with Nagle's algorithm off for every connection it accepts.

    uvicorn creates it as ``socket.socket(family)``, whose protocol number reads 0, so asyncio's
    check for TCP (``proto == IPPROTO_TCP``) fails and it leaves Nagle on for accepted connections:
    a response written in two parts then waits for the client's delayed ACK, about 40 ms an answer
    (measured: 56 ms a warm answer with two workers against 14 ms with one). Linux copies
    TCP_NODELAY from the listening socket to the sockets it accepts.
    """
    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock
