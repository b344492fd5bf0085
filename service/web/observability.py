"""What the service tells its operator: JSON logs with a request id, and Prometheus metrics.

Every request gets an id (the caller's ``X-Request-ID`` when it is a sane token, else a fresh one),
returned in the ``X-Request-ID`` response header and put on every log line written while the request
is handled, so one line in a user's bug report finds all the others. Logs are one JSON object a line
because the people who run this feed them to a log store, not to their eyes.

``/metrics`` speaks the Prometheus text format through ``prometheus_client``, from a registry of the
app's own (never the process-wide default, so two apps in one process, as in the tests, do not mix):
request counts and latency histograms per route template (never per raw path: a scanner trying ten
thousand URLs must not make ten thousand series), answers and abstentions, and the served index's
size and age.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from pydantic import SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inspectqa.settings import Settings
from service.web.limits import ROUTE_HINT
from service.web.reload import IndexReloader, IndexSnapshot
from service.web.security import require_bearer

request_id_var: ContextVar[str | None] = ContextVar("inspectqa_request_id", default=None)

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_LOG_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_SNIFF_LIMIT = 4 * 1024 * 1024

log = logging.getLogger("inspectqa.http")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,  # which worker of `serve --workers N` wrote it
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _LOG_RECORD_FIELDS and key not in entry:
                entry[key] = value if isinstance(value, str | int | float | bool | None) else repr(value)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


_configure_lock = threading.Lock()


def configure_logging(level: int | str = logging.INFO) -> None:
    """Send the ``inspectqa`` loggers to stdout as JSON lines (once per process), where a log
    collector (or `docker logs`, or systemd) expects an event stream."""
    with _configure_lock:
        logger = logging.getLogger("inspectqa")
        logger.setLevel(level)
        if any(isinstance(handler.formatter, JsonFormatter) for handler in logger.handlers):
            return
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.propagate = False


class Metrics:
    """The app's Prometheus registry and the series the middleware and the reloader feed.

    Under ``serve --workers N`` every process counts in its own memory-mapped files in
    ``PROMETHEUS_MULTIPROC_DIR`` (``prometheus_client``'s multiprocess mode, chosen by that variable
    before the library is imported), and ``/metrics``, whichever process answers it, adds up all of
    them: a scrape sees the service, not one worker.
    """

    def __init__(self, index_snapshot: Callable[[], IndexSnapshot | None]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
        self.requests = Counter(
            "inspectqa_http_requests",
            "HTTP requests handled, by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "inspectqa_http_request_duration_seconds",
            "Time from request to the end of the response, by route template.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "inspectqa_http_requests_in_flight",
            "Requests being handled now.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.answers = Counter(
            "inspectqa_answers",
            "Answers given by /ask and /ask/stream, by whether the service abstained.",
            ["abstained"],
            registry=self.registry,
        )
        self.reloads = Counter(
            "inspectqa_index_reloads",
            "Attempts to swap in a new index generation, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.index_collector = _IndexCollector(index_snapshot, self._abstention_ratio)
        self.registry.register(self.index_collector)

    def count_answer(self, abstained: bool) -> None:
        self.answers.labels(abstained="true" if abstained else "false").inc()

    def _abstention_ratio(self) -> float | None:
        families = (
            MultiProcessCollector(None, self.multiprocess_dir).collect()
            if self.multiprocess_dir
            else self.answers.collect()
        )
        counts = {"true": 0.0, "false": 0.0}
        for family in families:
            if family.name != "inspectqa_answers":
                continue
            for sample in family.samples:
                if sample.name.endswith("_total") and sample.labels.get("abstained") in counts:
                    counts[sample.labels["abstained"]] += sample.value
        answered = counts["true"] + counts["false"]
        return counts["true"] / answered if answered else None

    def render(self) -> bytes:
        if not self.multiprocess_dir:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, self.multiprocess_dir)
        registry.register(self.index_collector)
        return generate_latest(registry)


class _IndexCollector(Collector):
    """Index size and age, and the abstention ratio, computed when /metrics is read."""

    def __init__(
        self, snapshot: Callable[[], IndexSnapshot | None], abstention: Callable[[], float | None]
    ) -> None:
        self.snapshot = snapshot
        self.abstention = abstention

    def describe(self) -> list[Any]:
        return []  # values come and go with the index; nothing to check at registration

    def collect(self) -> Iterator[GaugeMetricFamily]:
        ratio = self.abstention()
        if ratio is not None:
            yield GaugeMetricFamily(
                "inspectqa_abstention_ratio", "Share of answers since start that abstained.", value=ratio
            )
        snapshot = self.snapshot()
        if snapshot is None:
            return
        yield GaugeMetricFamily(
            "inspectqa_index_chunks", "Passages in the served index.", value=snapshot.chunks
        )
        yield GaugeMetricFamily(
            "inspectqa_index_reports", "Reports in the served index.", value=snapshot.reports
        )
        yield GaugeMetricFamily(
            "inspectqa_index_size_bytes",
            "Bytes of the served index generation on disk.",
            value=snapshot.size_bytes,
        )
        if snapshot.built_at is not None:
            yield GaugeMetricFamily(
                "inspectqa_index_age_seconds",
                "Seconds since the served index generation was built.",
                value=max(0.0, time.time() - snapshot.built_at),
            )
        yield GaugeMetricFamily(
            "inspectqa_index_loaded_timestamp_seconds",
            "When the served index generation was loaded (Unix time).",
            value=snapshot.loaded_at,
        )
        info = GaugeMetricFamily(
            "inspectqa_index_generation",
            "The served index generation (value always 1).",
            labels=["generation"],
        )
        info.add_metric([snapshot.generation], 1.0)
        yield info


class ObservabilityMiddleware:
    """Request ids, one JSON access-log line per request, and the request metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    @staticmethod
    def _template(scope: Scope) -> str:
        """The route template of a request, for labels (a request the limits answered before routing
        carries the static path they recognised, so a 429 on /ask is counted under /ask)."""
        route = scope.get("route")
        template = getattr(route, "path", None) or scope.get(ROUTE_HINT)
        return str(template) if template else "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = request_id_var.set(request_id)
        started_at = time.perf_counter()
        status = 500
        response_started = False
        sniffer = _AnswerSniffer(scope["path"]) if scope["method"] == "POST" else None
        self.metrics.in_flight.inc()

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
                if sniffer is not None:
                    sniffer.start(status, headers)
            elif message["type"] == "http.response.body" and sniffer is not None:
                sniffer.feed(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error", extra={"path": scope["path"]})
            if response_started:
                raise
            status = 500
            body = json.dumps(
                {
                    "detail": "Internal error; the operator can find it by its request id.",
                    "request_id": request_id,
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"x-request-id", request_id.encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body, "more_body": False})
        finally:
            elapsed = time.perf_counter() - started_at
            self.metrics.in_flight.dec()
            template = self._template(scope)
            self.metrics.requests.labels(scope["method"], template, str(status)).inc()
            self.metrics.latency.labels(scope["method"], template).observe(elapsed)
            if sniffer is not None and (abstained := sniffer.abstained()) is not None:
                self.metrics.count_answer(abstained)
            client = scope.get("client")
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "client": client[0] if client else None,
                },
            )
            request_id_var.reset(token)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _SANE_REQUEST_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


class _AnswerSniffer:
    """Reads ``abstained`` from an /ask JSON body or the ``meta`` event of an /ask/stream."""

    def __init__(self, path: str) -> None:
        self.kind = {"/ask": "json", "/ask/stream": "sse"}.get(path)
        self.buffer = bytearray()
        self.active = False

    def start(self, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.active = self.kind is not None and status == 200

    def feed(self, chunk: bytes) -> None:
        if self.active and len(self.buffer) < _SNIFF_LIMIT:
            self.buffer += chunk

    def abstained(self) -> bool | None:
        if not self.active or not self.buffer:
            return None
        try:
            if self.kind == "json":
                value = json.loads(self.buffer).get("abstained")
                return value if isinstance(value, bool) else None
            text = self.buffer.decode("utf-8", errors="replace")
            for block in text.split("\n\n"):
                lines = block.strip().splitlines()
                if lines and lines[0].strip() == "event: meta":
                    data = "".join(line[5:].strip() for line in lines[1:] if line.startswith("data:"))
                    value = json.loads(data).get("abstained")
                    return value if isinstance(value, bool) else None
        except (ValueError, AttributeError):
            return None
        return None


def metrics_router(metrics: Metrics, token: SecretStr | None = None) -> APIRouter:
    """``GET /metrics`` in the Prometheus text format, behind a bearer token when one is configured."""
    router = APIRouter(dependencies=[Depends(require_bearer(token, "metrics"))] if token else [])

    @router.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return router


def install_observability(app: FastAPI, reloader: IndexReloader, settings: Settings) -> Metrics:
    """JSON logs, the request-id and metrics middleware, and ``GET /metrics``."""
    configure_logging()
    metrics = Metrics(lambda: reloader.snapshot)
    reloader.on_outcome = lambda outcome: metrics.reloads.labels(outcome=outcome.status).inc()
    app.state.metrics = metrics
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    token = (
        settings.metrics_token
        if settings.metrics_token and settings.metrics_token.get_secret_value()
        else None
    )
    app.include_router(metrics_router(metrics, token))
    return metrics
