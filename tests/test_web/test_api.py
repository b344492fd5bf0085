"""The HTTP API over a real uvicorn server on loopback, with the real small index and model.

Covers the contract of issue 3: /ask, /ask/stream (event order, one-line JSON data), /search,
/reports, /reports/{id}, /reports/{id}/pdf, /healthz, /readyz; every bad input a clear 4xx, never
a 500; a missing index a 503 that says how to build one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import serving

from inspectqa.settings import Settings
from service.answers.qa import QAService
from service.web.app import create_app

SOUTHEND = "What did Ofsted say about foster carer reviews in Southend-on-Sea?"


@pytest.fixture(scope="module")
def base_url(small_index: Path, embedder: Any) -> Iterator[str]:
    from indexer import open_index

    settings = Settings(index=small_index)
    qa = QAService(open_index(small_index, settings), embedder, settings)
    with serving(create_app(settings, service=qa)) as url:
        yield url


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=60) as session:
        yield session


def test_ask_answers_with_citations_grounding_and_timings(client: httpx.Client) -> None:
    response = client.post("/ask", json={"question": SOUTHEND})
    assert response.status_code == 200
    body = response.json()
    assert body["abstained"] is False and "[1]" in body["answer"]
    citation = body["citations"][0]
    assert set(citation) >= {
        "n",
        "report_id",
        "local_authority",
        "publication_date",
        "section",
        "paragraphs",
        "page",
        "quote",
        "url",
    }
    assert citation["url"] == f"https://files.ofsted.gov.uk/v1/file/50103322#page={citation['page']}"
    assert body["passages"] and {"text", "score", "scores"} <= set(body["passages"][0])
    assert body["grounding"]["score"] == 1.0
    assert all(s["supported"] and s["citations"] for s in body["grounding"]["sentences"])
    assert body["timings_ms"]["total_ms"] > 0


def test_ask_with_history_and_filters(client: httpx.Client) -> None:
    history = [
        {"role": "user", "content": "What did Southend-on-Sea's 2019 inspection say about foster carers?"},
        {"role": "assistant", "content": "Annual reviews of foster carers were late [1]."},
    ]
    body = client.post("/ask", json={"question": "And what about in 2016?", "history": history}).json()
    assert {c["report_id"] for c in body["citations"]} == {"southend-on-sea-2016-07-07"}
    filtered = client.post(
        "/ask",
        json={"question": "What about care leavers?", "filters": {"local_authority": ["Hull"]}, "top_k": 3},
    ).json()
    assert {c["report_id"] for c in filtered["citations"]} == {"kingston-upon-hull-2023-01-13"}


def read_events(response: httpx.Response) -> list[tuple[str, Any]]:
    events = []
    for block in response.text.split("\n\n"):
        if not block.strip():
            continue
        lines = block.split("\n")
        assert lines[0].startswith("event: ") and lines[1].startswith("data: ") and len(lines) == 2
        events.append((lines[0][7:], json.loads(lines[1][6:])))
    return events


def test_ask_stream_sends_meta_sentences_citations_done(client: httpx.Client) -> None:
    response = client.post("/ask/stream", json={"question": SOUTHEND})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = read_events(response)
    names = [name for name, _ in events]
    assert names[0] == "meta" and names[-2:] == ["citations", "done"]
    assert set(names[1:-2]) == {"sentence"} and len(names) >= 4
    meta, done = events[0][1], events[-1][1]
    assert meta == {
        "reports": ["southend-on-sea-2019-08-27"],
        "local_authorities": ["Southend-on-Sea"],
        "abstained": False,
    }
    assert all(
        data["text"].endswith(f"[{data['citations'][-1]}]") for name, data in events if name == "sentence"
    )
    assert events[-2][1]["citations"] == done["citations"]
    assert done["answer"] == client.post("/ask", json={"question": SOUTHEND}).json()["answer"]


def test_ask_stream_refuses_bad_input_before_streaming(client: httpx.Client) -> None:
    response = client.post("/ask/stream", json={"question": "  "})
    assert response.status_code == 422 and "empty" in response.json()["detail"]


def test_search_and_reports(client: httpx.Client) -> None:
    found = client.get("/search", params={"q": "care leavers", "local_authority": "Hull", "k": 3}).json()
    assert len(found["passages"]) == 3
    assert {p["report_id"] for p in found["passages"]} == {"kingston-upon-hull-2023-01-13"}
    listed = client.get("/reports").json()
    assert listed["total"] == 11 and "birmingham-2012-10-19" not in {
        r["report_id"] for r in listed["reports"]
    }
    barnet = client.get("/reports", params={"local_authority": "barnet"}).json()
    assert [r["report_id"] for r in barnet["reports"]] == ["barnet-2017-07-07", "barnet-2019-07-01"]
    detail = client.get("/reports/bexley-2018-08-20").json()
    assert detail["local_authority"] == "Bexley"
    assert {"area": "overall_effectiveness", "grade": "outstanding"}.items() <= next(
        j for j in detail["judgements"] if j["area"] == "overall_effectiveness"
    ).items()
    pdf = client.get("/reports/bexley-2018-08-20/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_health_and_readiness(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["ready"] is True and ready["reports"] == 11 and ready["chunks"] > 100


def test_openapi_has_stable_operation_ids(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    ids = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {
        "ask",
        "ask_stream",
        "search",
        "list_reports",
        "get_report",
        "get_report_pdf",
        "healthz",
        "readyz",
    } <= ids


@pytest.mark.parametrize(
    ("method", "path", "payload", "status", "message"),
    [
        ("post", "/ask", {"question": ""}, 422, "empty"),
        ("post", "/ask", {"question": " \n\t "}, 422, "empty"),
        ("post", "/ask", {"question": "x" * 2001}, 422, "2,001 characters"),
        (
            "post",
            "/ask",
            {"question": "care leavers", "filters": {"local_authority": ["Southend on See"]}},
            422,
            "Southend-on-Sea",
        ),
        (
            "post",
            "/ask",
            {"question": "care leavers", "filters": {"report_id": ["durham-2099-01-01"]}},
            422,
            "no report with id",
        ),
        (
            "post",
            "/ask",
            {"question": "care leavers", "filters": {"year_from": 2020, "year_to": 2015}},
            422,
            "year_from (2020) is after year_to (2015)",
        ),
        ("post", "/ask", {"question": 5}, 422, "question"),
        ("post", "/ask", {"question": "care leavers", "top_k": "many"}, 422, "top_k"),
        ("post", "/ask", {"question": "care leavers", "top_k": 0}, 422, "top_k"),
        ("post", "/ask", {"question": "care leavers", "colour": "blue"}, 422, "'colour' is not a field"),
        ("post", "/ask", {}, 422, "'question' is required"),
        (
            "post",
            "/ask",
            {"question": "care leavers", "history": [{"role": "user", "content": "hi"}] * 21},
            422,
            "history has 21 turns",
        ),
        (
            "post",
            "/ask",
            {"question": "care leavers", "history": [{"role": "robot", "content": "hi"}]},
            422,
            "history.0.role",
        ),
        ("get", "/search?q=care&local_authority=Narnia", None, 422, "Narnia"),
        ("get", "/search?q=care&k=0", None, 422, "'k'"),
        ("get", "/reports?local_authority=Gotham", None, 422, "Gotham"),
        ("get", "/reports/nowhere-2020-01-01", None, 404, "nowhere-2020-01-01"),
        ("get", "/reports/nowhere-2020-01-01/pdf", None, 404, "nowhere-2020-01-01"),
    ],
)
def test_bad_input_gets_a_clear_4xx(
    client: httpx.Client, method: str, path: str, payload: Any, status: int, message: str
) -> None:
    response = client.post(path, json=payload) if method == "post" else client.get(path)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and message in detail


def test_malformed_json_is_a_400(client: httpx.Client) -> None:
    response = client.post(
        "/ask", content=b'{"question": "care', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]


def test_missing_index_is_a_503_saying_how_to_build_it(tmp_path: Path) -> None:
    settings = Settings(index=tmp_path / "no-index")
    with serving(create_app(settings)) as url:
        assert httpx.get(f"{url}/healthz").status_code == 200
        ready = httpx.get(f"{url}/readyz")
        assert ready.status_code == 503 and ready.json()["ready"] is False
        response = httpx.post(f"{url}/ask", json={"question": SOUTHEND}, timeout=30)
        assert response.status_code == 503
        assert "inspectqa index build" in response.json()["detail"]
