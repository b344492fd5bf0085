"""Limits that keep one client, one big body or one slow part from taking the service down.

The service shares two CPU cores between every visitor of a public widget, so each request is held to:

- a per-client **rate** on the question routes (a token bucket per client address; past it a 429 whose
  ``Retry-After`` says when the next question will be accepted),
- a **body size** (413 before the body is read when ``Content-Length`` says so, and while reading when
  the body is chunked), larger for report uploads,
- a **concurrency gate** on the routes that embed and answer: a burst waits for one of a few slots
  instead of loading a model's worth of activations per request; a request that cannot get a slot in
  time gets a 503 with ``Retry-After``,
- a **time budget**: past it the client gets a 504 at once. The handler may still be running in a worker
  thread (Python cannot kill a thread); its late output is dropped and it keeps its concurrency slot
  until it really ends, so abandoned work still counts against the gate.

All of it is one pure ASGI middleware, so it also covers streamed answers: a stream that runs out of
time ends with an ``event: error`` the widget understands. Routes that speak another protocol (the
OpenAI-compatible ``/v1``) get the middleware's own errors in that protocol's shape (``ErrorShape``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inspectqa.settings import Settings

log = logging.getLogger("inspectqa.limits")

ROUTE_HINT = "inspectqa.route"  # read by service.web.observability for responses given before routing
QUESTION_ROUTES = frozenset({"/ask", "/ask/stream", "/v1/chat/completions"})
# /mcp: MCP tool calls over streamable HTTP (service.web.mcp_server charges its question tools per call).
GATED_ROUTES = frozenset({"/ask", "/ask/stream", "/search", "/v1/chat/completions", "/mcp"})
UPLOAD_PREFIX = "/admin/"
MULTIPART_ALLOWANCE = 64 * 1024  # form boundaries and headers around an uploaded file


@dataclass(frozen=True)
class LimitPolicy:
    """The numbers the middleware enforces, taken from ``Settings``."""

    rate_per_minute: int
    burst: int
    max_body_bytes: int
    upload_max_bytes: int
    timeout_s: float
    max_concurrency: int
    queue_timeout_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> LimitPolicy:
        return cls(
            rate_per_minute=settings.rate_limit_per_minute,
            burst=settings.rate_limit_burst,
            max_body_bytes=settings.max_body_bytes,
            upload_max_bytes=settings.upload_max_bytes,
            timeout_s=settings.request_timeout_s,
            max_concurrency=settings.max_concurrency,
            queue_timeout_s=settings.queue_timeout_s,
        )


class Limiter(Protocol):
    def acquire(self, client: str) -> float: ...


class TokenBucketLimiter:
    """One token bucket per client: ``burst`` tokens, refilled at ``rate_per_minute``.

    Thread-safe. Buckets of clients that have been quiet long enough to be full again are forgotten
    when the table grows past ``max_clients``, so a scan from many addresses cannot grow it forever.
    """

    def __init__(
        self,
        rate_per_minute: int,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        if rate_per_minute <= 0:
            raise ValueError("rate_per_minute must be positive (leave the limiter out to turn it off)")
        self.rate_per_s = rate_per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, last update)
        self._lock = threading.Lock()

    def acquire(self, client: str) -> float:
        """Take one token for ``client``: 0.0 when allowed, else the seconds until one is free."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
            tokens, wait = take_token(tokens, now - last, self.rate_per_s, self.burst)
            self._buckets[client] = (tokens, now)
            if wait == 0.0 and len(self._buckets) > self.max_clients:
                self._forget_full(now)
            return wait

    def _forget_full(self, now: float) -> None:
        refill_s = self.burst / self.rate_per_s
        for client, (_tokens, last) in list(self._buckets.items()):
            if now - last >= refill_s:
                del self._buckets[client]


def take_token(tokens: float, elapsed_s: float, rate_per_s: float, burst: float) -> tuple[float, float]:
    """One token bucket step: refill for ``elapsed_s``, then take a token if there is one.

    Returns the tokens left and the wait: 0.0 when a token was taken, else the seconds until one is
    free. Shared by the in-process limiter and the one the server processes share.
    """
    tokens = min(burst, tokens + max(0.0, elapsed_s) * rate_per_s)
    if tokens >= 1.0:
        return tokens - 1.0, 0.0
    return tokens, (1.0 - tokens) / rate_per_s


@dataclass(frozen=True)
class ErrorShape:
    """How the middleware words its own refusals (429, 413, 503, 504) for one family of routes:
    the JSON body of a response, and the last event of a stream that runs out of time."""

    body: Callable[[int, str], dict[str, Any]]
    stream_event: Callable[[int, str], str]


PLAIN_ERRORS = ErrorShape(
    body=lambda status, detail: {"detail": detail},
    stream_event=lambda status, detail: (
        f"event: error\ndata: {json.dumps({'status': status, 'detail': detail})}\n\n"
    ),
)


def _json_response(
    shape: ErrorShape, status: int, detail: str, headers: dict[str, str] | None = None
) -> list[Message]:
    body = json.dumps(shape.body(status, detail)).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    return [
        {"type": "http.response.start", "status": status, "headers": raw_headers},
        {"type": "http.response.body", "body": body, "more_body": False},
    ]


async def _respond(
    send: Send, shape: ErrorShape, status: int, detail: str, headers: dict[str, str] | None = None
) -> None:
    for message in _json_response(shape, status, detail, headers):
        await send(message)


def _retry_after(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


class LimitsMiddleware:
    """Rate, body size, concurrency and time limits for every HTTP request (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        policy: LimitPolicy,
        *,
        question_routes: Collection[str] = QUESTION_ROUTES,
        gated_routes: Collection[str] = GATED_ROUTES,
        state_dir: Path | None = None,
        limiter: Limiter | None = None,
        error_shapes: Mapping[str, ErrorShape] | None = None,
    ) -> None:
        self.app = app
        self.policy = policy
        self.question_routes = frozenset(question_routes)
        self.gated_routes = frozenset(gated_routes)
        self.limiter = limiter if limiter is not None else make_limiter(policy, state_dir)
        self.error_shapes = dict(error_shapes or {})  # path prefix -> shape
        # Created lazily on the server's event loop.
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        shape = next((v for k, v in self.error_shapes.items() if path.startswith(k)), PLAIN_ERRORS)
        if path in self.gated_routes:
            scope[ROUTE_HINT] = path  # a 429/413/503 from here is still counted under its route
        if self.limiter is not None and path in self.question_routes and scope["method"] == "POST":
            client = scope["client"][0] if scope.get("client") else "unknown"
            wait = self.limiter.acquire(client)
            if wait > 0:
                await _respond(
                    send,
                    shape,
                    429,
                    f"Too many questions from this client; try again in {max(1, math.ceil(wait))} s.",
                    _retry_after(wait),
                )
                return

        limit = self.policy.max_body_bytes
        if path.startswith(UPLOAD_PREFIX):
            limit = self.policy.upload_max_bytes + MULTIPART_ALLOWANCE
        declared = _content_length(scope)
        if declared == -1:
            await _respond(send, shape, 400, "The Content-Length header is not a number.")
            return
        if declared is not None and declared > limit:
            await _respond(
                send,
                shape,
                413,
                f"The request body is larger than the limit of {limit} bytes.",
                {"Connection": "close"},
            )
            return
        exchange = _Exchange(send, limit, shape)

        if path in self.gated_routes:
            await self._gated(scope, receive, exchange)
        elif path.startswith(UPLOAD_PREFIX):
            # Operator routes (uploads, reloads) are authenticated and may legitimately take long.
            try:
                await self.app(scope, exchange.receive_from(receive), exchange.send)
            except Exception:
                if not exchange.closed:
                    raise
        else:
            await self._timed(scope, receive, exchange, release=None)

    async def _gated(self, scope: Scope, receive: Receive, exchange: _Exchange) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.policy.max_concurrency)
        slots = self._slots
        try:
            await asyncio.wait_for(slots.acquire(), timeout=self.policy.queue_timeout_s)
        except TimeoutError:
            await exchange.reply(
                503,
                "The service is busy answering other questions; please retry shortly.",
                _retry_after(self.policy.queue_timeout_s),
            )
            return
        await self._timed(scope, receive, exchange, release=slots.release)

    async def _timed(
        self, scope: Scope, receive: Receive, exchange: _Exchange, release: Callable[[], None] | None
    ) -> None:
        task = asyncio.ensure_future(self.app(scope, exchange.receive_from(receive), exchange.send))
        if release is not None:
            task.add_done_callback(lambda _task: release())
        try:
            done, _pending = await asyncio.wait({task}, timeout=self.policy.timeout_s)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if done:
            try:
                task.result()
            except Exception:
                if not exchange.closed:
                    raise
                # The middleware answered for the app (413) and the app then failed reading a body it
                # was told had gone away: expected, nothing more to say.
            return

        # Out of time: answer now, leave the handler to finish (or be cancelled) on its own.
        task.cancel()
        task.add_done_callback(_log_late_failure)
        log.warning(
            "request over its time budget", extra={"path": scope["path"], "budget_s": self.policy.timeout_s}
        )
        await exchange.out_of_time(
            f"The request took longer than its time budget of {self.policy.timeout_s:g} s."
        )


class _Exchange:
    """One request's response channel, shared by the body counter and the time budget.

    Once the middleware has answered for the app (413, 504), ``closed`` is set and whatever the app
    sends later is dropped, so the client gets exactly one well-formed response.
    """

    def __init__(self, send: Send, limit: int, shape: ErrorShape = PLAIN_ERRORS) -> None:
        self._send = send
        self.limit = limit
        self.shape = shape
        self.started = False
        self.finished = False
        self.closed = False
        self.sse = False
        self.received = 0

    async def send(self, message: Message) -> None:
        if self.closed:
            return
        if message["type"] == "http.response.start":
            self.started = True
            for name, value in message.get("headers", []):
                if name.lower() == b"content-type" and value.startswith(b"text/event-stream"):
                    self.sse = True
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            self.finished = True
        await self._send(message)

    async def reply(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        """Answer for the app, if it has not started answering itself."""
        if self.started or self.closed:
            return
        await _respond(self._send, self.shape, status, detail, headers)
        self.started = self.finished = self.closed = True

    def receive_from(self, receive: Receive) -> Receive:
        async def counting() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                if self.received > self.limit:
                    await self.reply(
                        413,
                        f"The request body is larger than the limit of {self.limit} bytes.",
                        {"Connection": "close"},  # the rest of the body is never read
                    )
                    # The app sees a client that went away and stops reading.
                    return {"type": "http.disconnect"}
            return message

        return counting

    async def out_of_time(self, detail: str) -> None:
        if not self.started:
            await self.reply(504, detail)
            return
        if self.finished or self.closed:
            return
        self.closed = True
        body = self.shape.stream_event(504, detail).encode() if self.sse else b""
        await self._send({"type": "http.response.body", "body": body, "more_body": False})


def _content_length(scope: Scope) -> int | None:
    """The declared body length, None when absent, -1 when it is not a number."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return -1
            return length if length >= 0 else -1
    return None


def _log_late_failure(task: asyncio.Task[None]) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.warning("a request that ran out of time later failed: %r", error)


def make_limiter(policy: LimitPolicy, state_dir: Path | None) -> Limiter | None:
    """The per-client rate limiter: none when turned off, one in this process's memory, or (with a
    state folder, as ``serve --workers N`` gives every process) one all the processes share, so
    that N workers do not let a client ask N times as often."""
    if policy.rate_per_minute <= 0:
        return None
    if state_dir is None:
        return TokenBucketLimiter(policy.rate_per_minute, policy.burst)
    from service.web.shared_buckets import SharedTokenBucketLimiter

    return SharedTokenBucketLimiter(state_dir / "rate-limits.sqlite", policy.rate_per_minute, policy.burst)


def install_limits(app: FastAPI, settings: Settings) -> None:
    """Add the limits middleware (innermost of the reliability layer: after routing errors, before work).

    The per-client limiter is also left on ``app.state.limiter``, so that questions which do not arrive
    one per HTTP request (MCP tool calls) can be charged to the same buckets.
    """
    from service.web.openai_schemas import OPENAI_ERRORS, OPENAI_PREFIX

    policy = LimitPolicy.from_settings(settings)
    app.state.limiter = make_limiter(policy, settings.state_dir)
    app.add_middleware(
        LimitsMiddleware,
        policy=policy,
        limiter=app.state.limiter,
        error_shapes={OPENAI_PREFIX: OPENAI_ERRORS},
    )
