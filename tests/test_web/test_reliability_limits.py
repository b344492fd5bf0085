"""Limits, request ids, metrics and security headers on a small app served by a real uvicorn on loopback.

The small app has the service's route names (/ask, /ask/stream, /search) with handlers that can be made
slow on demand, so the limits are tested without depending on how fast the real model answers; the
same middleware over the real service is tested in test_reliability_service.py.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from conftest import serving
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, StreamingResponse
from prometheus_client.parser import text_string_to_metric_families

from inspectqa.settings import Settings
from service.web.limits import LimitPolicy, TokenBucketLimiter, install_limits
from service.web.observability import JsonFormatter, install_observability
from service.web.reload import IndexReloader
from service.web.security import PAGE_POLICY, install_security


def small_app(settings: Settings) -> FastAPI:
    """An app with the service's routes and the whole reliability layer installed as create_app does."""
    app = FastAPI()
    app.add_middleware(CORSMiddleware, allow_origins=["https://council.example"], allow_methods=["*"])

    @app.post("/ask")
    def ask(body: dict[str, object]) -> dict[str, object]:
        time.sleep(float(str(body.get("sleep", 0))))
        return {"answer": "ok", "abstained": body.get("question") == "off topic"}

    @app.post("/ask/stream")
    def ask_stream(body: dict[str, object]) -> StreamingResponse:
        def events() -> Iterator[str]:
            yield 'event: meta\ndata: {"reports": [], "abstained": false}\n\n'
            time.sleep(float(str(body.get("sleep", 0))))
            yield 'event: done\ndata: {"answer": "ok"}\n\n'

        return StreamingResponse(events(), media_type="text/event-stream")

    @app.get("/search")
    def search(q: str) -> dict[str, str]:
        return {"q": q}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/page", response_class=HTMLResponse)
    def page() -> str:
        return "<!doctype html><title>t</title><p>hello</p>"

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    install_limits(app, settings)
    reloader = IndexReloader(app, settings, make_service=lambda index: index)
    install_observability(app, reloader, settings)
    install_security(app)
    return app


def settings_for(**values: object) -> Settings:
    base: dict[str, object] = {"rate_limit_per_minute": 0, "reload_poll_s": 0}
    return Settings(**{**base, **values})  # type: ignore[arg-type]


def test_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    limiter = TokenBucketLimiter(rate_per_minute=60, burst=2, clock=lambda: now[0])
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") == 0.0
    wait = limiter.acquire("a")
    assert wait == pytest.approx(1.0)
    assert limiter.acquire("b") == 0.0  # another client has its own bucket
    now[0] += 1.0
    assert limiter.acquire("a") == 0.0


def test_rate_limit_answers_429_with_retry_after_per_client() -> None:
    app = small_app(settings_for(rate_limit_per_minute=6, rate_limit_burst=3))
    with serving(app) as url, httpx.Client(base_url=url) as client:
        statuses = [client.post("/ask", json={"question": "q"}).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        refused = client.post("/ask", json={"question": "q"})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert "try again" in refused.json()["detail"]
        assert client.post("/ask/stream", json={"question": "q"}).status_code == 429
        assert client.get("/search", params={"q": "x"}).status_code == 200  # only questions are limited
        # Another client address (loopback has all of 127/8) still has its whole burst.
        other = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(base_url=url, transport=other) as second:
            assert second.post("/ask", json={"question": "q"}).status_code == 200
        # The 429 reaches a browser: CORS runs outside the limits.
        cors = client.post("/ask", json={"question": "q"}, headers={"Origin": "https://council.example"})
        assert cors.status_code == 429
        assert cors.headers["access-control-allow-origin"] == "https://council.example"


def test_body_over_the_limit_is_refused_with_413() -> None:
    app = small_app(settings_for(max_body_bytes=4096))
    with serving(app) as url, httpx.Client(base_url=url) as client:
        big = client.post("/ask", content=b'{"question": "' + b"a" * 100_000 + b'"}')
        assert big.status_code == 413
        assert "4096" in big.json()["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
            for _ in range(10):
                yield b"x" * 1000

        chunked = client.post("/echo", content=chunks())
        assert chunked.status_code == 413
        assert client.post("/echo", content=b"x" * 4000).json() == {"bytes": 4000}


def test_time_budget_ends_a_slow_request_with_504_and_the_worker_stays_free() -> None:
    app = small_app(settings_for(request_timeout_s=0.5, max_concurrency=2))
    with serving(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        started = time.monotonic()
        slow = client.post("/ask", json={"question": "q", "sleep": 3})
        elapsed = time.monotonic() - started
        assert slow.status_code == 504
        assert "time budget" in slow.json()["detail"]
        assert elapsed < 2.0
        health = client.get("/healthz")  # the server is not hung while the slow handler finishes
        assert health.status_code == 200
        # A stream that runs out of time ends with an error event the widget understands.
        stream = client.post("/ask/stream", json={"question": "q", "sleep": 3})
        assert stream.status_code == 200
        assert "event: meta" in stream.text
        error = stream.text.split("event: error\ndata: ")[1].splitlines()[0]
        assert json.loads(error)["status"] == 504
        assert "event: done" not in stream.text


def test_a_burst_waits_for_a_slot_and_gets_503_when_none_frees_in_time() -> None:
    app = small_app(settings_for(max_concurrency=1, queue_timeout_s=0.3, request_timeout_s=10))
    with serving(app) as url, httpx.Client(base_url=url, timeout=10) as client, ThreadPoolExecutor(2) as pool:
        first = pool.submit(client.post, "/ask", json={"question": "q", "sleep": 1.5})
        time.sleep(0.3)
        second = client.post("/ask", json={"question": "q"})
        assert second.status_code == 503
        assert int(second.headers["retry-after"]) >= 1
        assert first.result().status_code == 200
        assert client.post("/ask", json={"question": "q"}).status_code == 200  # the slot came back


def test_request_id_is_returned_and_logged_as_json() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("inspectqa")
    app = small_app(settings_for())
    logger.addHandler(handler)
    try:
        with serving(app) as url, httpx.Client(base_url=url) as client:
            fresh = client.get("/healthz")
            echoed = client.get("/healthz", headers={"X-Request-ID": "trace-42.a"})
            hostile = client.get("/healthz", headers={"X-Request-ID": "x" * 500})
            missing = client.get("/no/such/page")
    finally:
        logger.removeHandler(handler)
    assert len(fresh.headers["x-request-id"]) == 32
    assert echoed.headers["x-request-id"] == "trace-42.a"
    assert hostile.headers["x-request-id"] != "x" * 500
    assert missing.status_code == 404 and missing.headers["x-request-id"]
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [line for line in lines if line["message"] == "request"]
    assert {line["request_id"] for line in access} >= {"trace-42.a", fresh.headers["x-request-id"]}
    entry = next(line for line in access if line["request_id"] == "trace-42.a")
    assert entry["route"] == "/healthz" and entry["status"] == 200 and entry["duration_ms"] >= 0


def test_metrics_parse_as_prometheus_text_with_routes_and_abstentions() -> None:
    app = small_app(settings_for())
    with serving(app) as url, httpx.Client(base_url=url) as client:
        client.post("/ask", json={"question": "q"})
        client.post("/ask", json={"question": "off topic"})
        client.post("/ask/stream", json={"question": "q"})
        client.get("/no/such/page/1")
        client.get("/no/such/page/2")
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {family.name: family for family in text_string_to_metric_families(response.text)}
    requests = {
        (s.labels["route"], s.labels["status"]): s.value
        for s in families["inspectqa_http_requests"].samples
        if s.name.endswith("_total")
    }
    assert requests[("/ask", "200")] == 2
    assert requests[("unmatched", "404")] == 2  # raw paths never become labels
    histogram = families["inspectqa_http_request_duration_seconds"]
    counts = [s for s in histogram.samples if s.name.endswith("_count") and s.labels["route"] == "/ask"]
    assert counts and counts[0].value == 2
    answers = {
        s.labels["abstained"]: s.value
        for s in families["inspectqa_answers"].samples
        if s.name.endswith("_total")
    }
    assert answers == {"true": 1.0, "false": 2.0}
    assert families["inspectqa_abstention_ratio"].samples[0].value == pytest.approx(1 / 3)


def test_metrics_need_the_metrics_token_when_one_is_configured() -> None:
    app = small_app(settings_for(metrics_token="scrape-secret", rate_limit_per_minute=60, rate_limit_burst=1))
    with serving(app) as url, httpx.Client(base_url=url) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        client.post("/ask", json={"question": "q"})
        assert client.post("/ask", json={"question": "q"}).status_code == 429
        scraped = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert scraped.status_code == 200
    families = {family.name: family for family in text_string_to_metric_families(scraped.text)}
    routes = {
        (s.labels["route"], s.labels["status"])
        for s in families["inspectqa_http_requests"].samples
        if s.name.endswith("_total")
    }
    assert ("/ask", "429") in routes  # refused before routing, still counted under its route


def test_security_headers_and_csp_on_html_pages() -> None:
    app = small_app(settings_for())
    with serving(app) as url, httpx.Client(base_url=url) as client:
        page = client.get("/page")
        data = client.get("/healthz")
        docs = client.get("/docs")
    csp = page.headers["content-security-policy"]
    assert csp == PAGE_POLICY
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'self'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "SAMEORIGIN"
    assert data.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in data.headers  # JSON is not a page
    assert "cdn.jsdelivr.net" in docs.headers["content-security-policy"]


def test_policy_comes_from_settings() -> None:
    policy = LimitPolicy.from_settings(Settings(rate_limit_per_minute=30, max_concurrency=3))
    assert policy.rate_per_minute == 30 and policy.max_concurrency == 3
