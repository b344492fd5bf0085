"""The reliability layer over the real service and a real index of real reports, on real servers.

Index swaps with requests in flight, refused generations, SIGHUP and SIGTERM on ``inspectqa serve``,
the time budget against a slow LLM server, metrics of the served index, and uploads indexed in the
background.
"""

from __future__ import annotations

import http.server
import json
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import CORPUS, serving, wait_for
from prometheus_client.parser import text_string_to_metric_families

from evals.reliability import (
    ServerProcess,
    copy_generation_dir,
    current_generation,
    point_current,
    swap_generation,
    swappable_copy,
)
from inspectqa.settings import Settings
from service.web.app import create_app

pytestmark = pytest.mark.slow

TOKEN = "reliability-admin-token"
QUESTION = "What did Ofsted say about foster carer reviews in Southend-on-Sea?"


@pytest.fixture
def live_index(small_index: Path, tmp_path: Path) -> Path:
    """A private copy of the small index (one generation, ``g0``) that a test may swap and break."""
    return swappable_copy(small_index, tmp_path / "index")


def app_settings(index: Path, tmp_path: Path, **values: Any) -> Settings:
    base: dict[str, Any] = {
        "index": index,
        "uploads_dir": tmp_path / "uploads",
        "admin_token": TOKEN,
        "rate_limit_per_minute": 0,
        "reload_poll_s": 0.2,
    }
    return Settings(**{**base, **values})


def readyz(url: str) -> dict[str, Any]:
    return dict(httpx.get(f"{url}/readyz", timeout=10).json())


def served_generation(url: str) -> str | None:
    return readyz(url)["reload"]["generation"]


def test_reload_swaps_the_index_with_requests_in_flight_and_none_fail(
    live_index: Path, tmp_path: Path
) -> None:
    app = create_app(app_settings(live_index, tmp_path))
    with serving(app) as url:
        assert served_generation(url) == "g0"
        statuses: list[int] = []
        stop = threading.Event()

        def ask_until_stopped() -> None:
            with httpx.Client(base_url=url, timeout=60) as client:
                while not stop.is_set():
                    statuses.append(client.post("/ask", json={"question": QUESTION}).status_code)

        clients = [threading.Thread(target=ask_until_stopped) for _ in range(3)]
        for thread in clients:
            thread.start()
        try:
            time.sleep(1.0)
            swap_generation(live_index, "g1")  # picked up by the watch
            assert wait_for(lambda: served_generation(url) == "g1")
            copy_generation_dir(current_generation(live_index), live_index / "generations" / "g2")
            point_current(live_index, "g2")
            forced = httpx.post(
                f"{url}/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
            )
            assert forced.status_code == 200
            assert forced.json()["generation"] == "g2"
            time.sleep(1.0)
        finally:
            stop.set()
            for thread in clients:
                thread.join(60)
        assert statuses and set(statuses) == {200}, statuses
        assert served_generation(url) == "g2"


def _wrong_model(generation: Path) -> None:
    manifest_path = generation / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    text = json.dumps(manifest).replace("all-MiniLM-L6-v2", "all-mpnet-base-v2")
    assert text != json.dumps(manifest), "the manifest does not name the model"
    manifest_path.unlink()  # a hard link to the served generation's file: never write through it
    manifest_path.write_text(text)


def _missing_faiss(generation: Path) -> None:
    (generation / "index.faiss").unlink()


def _missing_sqlite(generation: Path) -> None:
    (generation / "index.sqlite").unlink()


def _garbage_faiss(generation: Path) -> None:
    (generation / "index.faiss").unlink()
    (generation / "index.faiss").write_bytes(b"not a faiss index" * 100)


@pytest.mark.parametrize(
    ("breakage", "reason"),
    [
        (_wrong_model, "mpnet"),
        (_missing_faiss, "index.faiss"),
        (_missing_sqlite, "index.sqlite"),
        (_garbage_faiss, "refused"),
    ],
    ids=["wrong-model", "missing-faiss", "missing-sqlite", "garbage-faiss"],
)
def test_a_broken_generation_is_refused_and_the_old_one_keeps_serving(
    live_index: Path, tmp_path: Path, breakage: Callable[[Path], None], reason: str
) -> None:
    app = create_app(app_settings(live_index, tmp_path))
    with serving(app) as url:
        bad = live_index / "generations" / "bad"
        copy_generation_dir(current_generation(live_index), bad)
        breakage(bad)
        point_current(live_index, "bad")
        # The watch refuses it, says why in /readyz, and the service stays ready on g0.
        assert wait_for(lambda: readyz(url)["reload"]["last_reload_error"] is not None)
        status = readyz(url)
        assert status["ready"] is True
        assert status["reload"]["generation"] == "g0"
        assert reason in status["reload"]["last_reload_error"]
        assert "bad" in status["reload"]["last_reload_error"]
        # An explicit reload is refused the same way, with the reason.
        refused = httpx.post(f"{url}/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
        assert refused.status_code == 409
        assert reason in refused.json()["detail"]
        assert httpx.post(f"{url}/ask", json={"question": QUESTION}, timeout=60).status_code == 200
        metrics = httpx.get(f"{url}/metrics").text
        assert 'inspectqa_index_reloads_total{outcome="refused"}' in metrics
        # A good generation afterwards loads and clears the error.
        copy_generation_dir(live_index / "generations" / "g0", live_index / "generations" / "good")
        point_current(live_index, "good")
        assert wait_for(lambda: served_generation(url) == "good")
        assert readyz(url)["reload"]["last_reload_error"] is None


def test_sighup_reloads_and_sigterm_finishes_the_request_in_flight(live_index: Path, tmp_path: Path) -> None:
    env = {"INSPECTQA_RELOAD_POLL_S": "0", "INSPECTQA_RATE_LIMIT_PER_MINUTE": "0"}
    server = ServerProcess(live_index, tmp_path / "server.log", env)
    try:
        server.wait_ready()
        swap_generation(live_index, "g1")
        time.sleep(1.0)
        assert served_generation(server.url) == "g0"  # no watch: nothing happens by itself
        server.process.send_signal(signal.SIGHUP)
        assert wait_for(lambda: served_generation(server.url) == "g1")
        assert server.process.poll() is None

        body = json.dumps({"question": QUESTION}).encode()
        head = (
            f"POST /ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
            sock.sendall(head + body[:10])  # the request is in flight: its body is still coming
            time.sleep(0.5)
            server.process.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            assert server.process.poll() is None, "the server quit with a request in flight"
            sock.sendall(body[10:])
            response = _read_http_response(sock)
        assert response.startswith(b"HTTP/1.1 200"), response[:200]
        assert b'"answer"' in response
        # uvicorn finishes in-flight work, then re-raises SIGTERM so the exit status tells how it ended.
        assert server.process.wait(30) in {0, -signal.SIGTERM}
    finally:
        server.stop()
    log = (tmp_path / "server.log").read_text()
    assert '"trigger": "SIGHUP"' in log
    assert "Traceback" not in log


def _read_http_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        ),
        None,
    )
    while length is not None and len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest


class _SlowChatServer(http.server.ThreadingHTTPServer):
    daemon_threads = True


class _SlowChat(http.server.BaseHTTPRequestHandler):
    """An OpenAI-compatible chat server that takes 5 s to answer."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(5)
        body = json.dumps(
            {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Late. [1]"}}]}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def slow_llm() -> Iterator[str]:
    server = _SlowChatServer(("127.0.0.1", 0), _SlowChat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_time_budget_turns_a_slow_llm_into_504_not_a_hung_worker(
    live_index: Path, tmp_path: Path, slow_llm: str
) -> None:
    settings = app_settings(
        live_index,
        tmp_path,
        llm_base_url=slow_llm,
        llm_model="slow-model",
        request_timeout_s=1.0,
        llm_timeout_s=30,
    )
    app = create_app(settings)
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        started = time.monotonic()
        response = client.post("/ask", json={"question": QUESTION})
        elapsed = time.monotonic() - started
        assert response.status_code == 504, response.text
        assert "time budget" in response.json()["detail"]
        assert elapsed < 3.0
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").json()["ready"] is True


def test_metrics_describe_the_served_index_and_every_response_has_a_request_id(
    live_index: Path, tmp_path: Path
) -> None:
    app = create_app(app_settings(live_index, tmp_path))
    with serving(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        responses = [
            client.post("/ask", json={"question": QUESTION}),
            client.post("/ask", json={"question": ""}),
            client.get("/reports/no-such-report"),
            client.get("/nowhere"),
        ]
        status = client.get("/readyz").json()
        text = client.get("/metrics").text
    assert responses[0].status_code == 200
    assert all(len(r.headers["x-request-id"]) >= 16 for r in responses)
    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert families["inspectqa_index_chunks"].samples[0].value == status["chunks"]
    assert families["inspectqa_index_reports"].samples[0].value == status["reports"]
    assert families["inspectqa_index_size_bytes"].samples[0].value > 0
    assert families["inspectqa_index_age_seconds"].samples[0].value >= 0
    assert families["inspectqa_index_generation"].samples[0].labels == {"generation": "g0"}
    assert "inspectqa_abstention_ratio" in families


def test_uploaded_report_is_indexed_in_the_background_and_served(
    small_corpus: Path, live_index: Path, tmp_path: Path
) -> None:
    app = create_app(app_settings(live_index, tmp_path, corpus=small_corpus))
    report = CORPUS / "reports" / "newham-2019-03-25.pdf"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with serving(app) as url, httpx.Client(base_url=url, timeout=60, headers=headers) as client:
        before = client.get("/readyz").json()
        accepted = client.post("/admin/reports", files={"file": ("../../newham.pdf", report.read_bytes())})
        assert accepted.status_code == 202
        job_id = accepted.json()["job_id"]

        def finished() -> bool:
            return client.get(f"/admin/reports/{job_id}").json()["state"] in {"done", "failed"}

        assert wait_for(finished, timeout_s=600)
        job = client.get(f"/admin/reports/{job_id}").json()
        assert job["state"] == "done", job
        after = client.get("/readyz").json()
        assert after["reports"] == before["reports"] + 1
        assert after["reload"]["generation"] != before["reload"]["generation"]
        stem = job["stored_as"].removesuffix(".pdf")
        assert client.get(f"/reports/{stem}").status_code == 200


def test_decompression_bomb_upload_fails_its_job_and_the_service_stays_up(
    small_corpus: Path, live_index: Path, tmp_path: Path
) -> None:
    from evals.crafted_pdfs import decompression_bomb

    app = create_app(app_settings(live_index, tmp_path, corpus=small_corpus))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with serving(app) as url, httpx.Client(base_url=url, timeout=60, headers=headers) as client:
        accepted = client.post("/admin/reports", files={"file": ("report.pdf", decompression_bomb())})
        assert accepted.status_code == 202
        job_id = accepted.json()["job_id"]
        assert wait_for(lambda: client.get(f"/admin/reports/{job_id}").json()["state"] == "failed", 180)
        job = client.get(f"/admin/reports/{job_id}").json()
        assert "could not be read" in job["error"]
        assert not (tmp_path / "uploads" / "corpus" / "reports" / job["stored_as"]).exists()
        assert client.get("/readyz").json()["reload"]["generation"] == "g0"
        assert client.post("/ask", json={"question": QUESTION}).status_code == 200
