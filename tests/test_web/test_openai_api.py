"""The OpenAI-compatible /v1 API through the real ``openai`` client, against the real app on a real
uvicorn server on loopback, with the small real index and the real model.

Covers what a chat front end relies on: the model list, a cited answer with a Sources list, the
same answer streamed as chat.completion.chunk events ending with [DONE], history, an abstention,
bad requests and a 429 in the protocol's error shape, the API token, and that the extractive model
does not call a configured LLM while the LLM model does.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from conftest import reply_chat_completion, serving, small_service
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from inspectqa.settings import Settings
from service.answers.text import sentences
from service.web.app import create_app
from service.web.limits import install_limits
from service.web.rendering import SOURCES_HEADING, pieces, without_sources

SOUTHEND = "What did Ofsted say about foster carer reviews in Southend-on-Sea?"
OFF_TOPIC = "What is the salary of the mayor of Paris?"


@pytest.fixture(scope="module")
def base_url(small_index: Path, embedder: Any) -> Iterator[str]:
    # The module's tests send more questions than one client's default burst from one address; the
    # limit itself is tested on a server of its own (test_the_rate_limit_is_a_429_the_client_understands).
    settings, qa = small_service(small_index, embedder, rate_limit_per_minute=0)
    with serving(create_app(settings, service=qa)) as url:
        yield url


def connect(url: str, api_key: str = "unused") -> openai.OpenAI:
    # The SDK needs some key; without INSPECTQA_API_TOKEN the service accepts any.
    return openai.OpenAI(base_url=f"{url}/v1", api_key=api_key, max_retries=0, timeout=60)


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[openai.OpenAI]:
    with connect(base_url) as session:
        yield session


def ask(client: openai.OpenAI, *messages: dict[str, str], **options: Any) -> Any:
    return client.chat.completions.create(model="inspectqa", messages=list(messages), **options)  # type: ignore[call-overload]


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def test_models_list_one_model_per_answerer(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["inspectqa"]


def test_a_cited_answer_with_sources_and_the_structured_answer(client: openai.OpenAI) -> None:
    completion = ask(client, user(SOUTHEND), max_tokens=50, temperature=0.7)
    assert completion.object == "chat.completion" and completion.model == "inspectqa"
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    content = choice.message.content
    answer, sources = content.split(f"\n\n{SOURCES_HEADING}\n")
    assert "Annual reviews of foster carers" in answer and "[1]" in answer
    structured = completion.model_extra["inspectqa"]
    assert structured["abstained"] is False
    citations = structured["citations"]
    assert [c["report_id"] for c in citations] == ["southend-on-sea-2019-08-27"] * len(citations)
    lines = sources.splitlines()
    assert len(lines) == len(citations)
    for line, citation in zip(lines, citations, strict=True):
        lead = f"- [{citation['n']}] Southend-on-Sea, 27 August 2019, “{citation['section']}”"
        assert line.startswith(lead)
        assert f"page {citation['page']}: {citation['url']}" in line
        assert re.search(r"paragraphs? \d+", line)
    assert citations[0]["url"].startswith("https://files.ofsted.gov.uk/v1/file/50103322#page=")
    assert structured["passages"] and structured["answer"] == answer


def test_streaming_sends_the_same_answer_in_chunks(client: openai.OpenAI, base_url: str) -> None:
    whole = ask(client, user(SOUTHEND)).choices[0].message.content
    chunks = list(ask(client, user(SOUTHEND), stream=True))
    assert {c.object for c in chunks} == {"chat.completion.chunk"} and len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert streamed == whole
    assert len(chunks) >= 5  # the answer arrives a sentence at a time, not in one piece
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])
    assert final.model_extra["inspectqa"]["citations"][0]["report_id"] == "southend-on-sea-2019-08-27"
    assert all("inspectqa" not in (c.model_extra or {}) for c in chunks[:-1])
    # On the wire: server-sent events of one data line each, ending with [DONE].
    raw = httpx.post(
        f"{base_url}/v1/chat/completions",
        json={"model": "inspectqa", "messages": [user(SOUTHEND)], "stream": True},
        timeout=60,
    )
    assert raw.headers["content-type"].startswith("text/event-stream")
    events = [block for block in raw.text.split("\n\n") if block]
    assert all(block.startswith("data: ") and "\n" not in block for block in events)
    assert events[-1] == "data: [DONE]"
    assert json.loads(events[-2][6:])["choices"][0]["finish_reason"] == "stop"


def test_history_carries_the_council_into_a_follow_up(client: openai.OpenAI) -> None:
    first = ask(client, user("What did Southend-on-Sea's 2019 inspection say about foster carers?"))
    previous = first.choices[0].message.content
    assert SOURCES_HEADING in previous
    follow_up = ask(
        client,
        {"role": "system", "content": "You are a helpful assistant."},  # ignored: no instructions taken
        user("What did Southend-on-Sea's 2019 inspection say about foster carers?"),
        {"role": "assistant", "content": previous},
        user("And what about in 2016?"),
    )
    citations = follow_up.model_extra["inspectqa"]["citations"]
    assert citations and {c["report_id"] for c in citations} == {"southend-on-sea-2016-07-07"}


def test_filters_travel_as_extra_body_fields(client: openai.OpenAI) -> None:
    hull = {"filters": {"local_authority": "Hull"}}
    filtered = ask(client, user("What about care leavers?"), extra_body=hull)
    citations = filtered.model_extra["inspectqa"]["citations"]
    assert citations and {c["report_id"] for c in citations} == {"kingston-upon-hull-2023-01-13"}


def test_an_abstention_is_a_normal_answer_that_says_so(client: openai.OpenAI) -> None:
    completion = ask(client, user(OFF_TOPIC))
    content = completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    assert content.startswith("The indexed Ofsted reports do not appear to answer this question.")
    assert "Nearest passages" in content and SOURCES_HEADING not in content
    structured = completion.model_extra["inspectqa"]
    assert structured["abstained"] is True and structured["citations"] == []


@pytest.mark.parametrize(
    ("body", "param", "message"),
    [
        ({"model": "inspectqa", "messages": [user("  ")]}, None, "empty"),
        ({"model": "inspectqa", "messages": [user("x" * 2001)]}, None, "2,001 characters"),
        ({"model": "inspectqa", "messages": []}, "messages", "at least 1"),
        (
            {"model": "inspectqa", "messages": [user(SOUTHEND), {"role": "assistant", "content": "Hi"}]},
            "messages",
            "the last message must be the user's question",
        ),
        (
            {
                "model": "inspectqa",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "What is in this picture?"},
                            {"type": "image_url", "image_url": {"url": "https://example.org/a.png"}},
                        ],
                    }
                ],
            },
            "messages",
            "only text content is read",
        ),
        ({"model": "inspectqa", "messages": [user(SOUTHEND)], "n": 2}, "n", "'n'"),
        ({"model": "inspectqa", "messages": [user(SOUTHEND)], "temperature": "hot"}, "temperature", "number"),
        (
            {
                "model": "inspectqa",
                "messages": [user("care leavers")],
                "extra_body": {"filters": {"local_authority": "Narnia"}},
            },
            None,
            "Narnia",
        ),
    ],
)
def test_bad_requests_get_a_400_in_the_protocols_error_shape(
    client: openai.OpenAI, body: dict[str, Any], param: str | None, message: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(**body)
    error = caught.value
    assert error.status_code == 400
    assert error.type == "invalid_request_error" and error.param == param
    assert message in error.message


def test_an_unknown_model_is_a_404_naming_the_models(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[user(SOUTHEND)])  # type: ignore[list-item]
    assert caught.value.code == "model_not_found" and "inspectqa" in caught.value.message


def test_a_body_over_the_limit_is_a_413_in_the_protocols_shape(base_url: str) -> None:
    response = httpx.post(
        f"{base_url}/v1/chat/completions",
        json={"model": "inspectqa", "messages": [user("a" * 100_000)]},
        timeout=60,
    )
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["code"] == "request_too_large"


@pytest.mark.parametrize(
    "content", [b'{"model": "inspectqa", "messages": [{"role": "user", "content": "\x99"}]}', b"{", b"[]"]
)
def test_unparsable_bodies_are_400s_in_the_protocols_shape(base_url: str, content: bytes) -> None:
    response = httpx.post(
        f"{base_url}/v1/chat/completions",
        content=content,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_the_rate_limit_is_a_429_the_client_understands(small_index: Path, embedder: Any) -> None:
    settings, qa = small_service(small_index, embedder, rate_limit_per_minute=6, rate_limit_burst=2)
    with serving(create_app(settings, service=qa)) as url:
        limited = connect(url)
        for _ in range(2):
            assert ask(limited, user(SOUTHEND)).choices[0].message.content
        with pytest.raises(openai.RateLimitError) as caught:
            ask(limited, user(SOUTHEND))
        assert caught.value.type == "rate_limit_error" and "try again" in caught.value.message
        assert int(caught.value.response.headers["retry-after"]) >= 1
        assert [m.id for m in limited.models.list()] == ["inspectqa"]  # only questions are counted
        limited.close()


def slow_chat_app(settings: Settings) -> FastAPI:
    """/v1/chat/completions answering slowly on demand, under the service's limits middleware."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    def chat(body: dict[str, Any]) -> Any:
        time.sleep(3)
        if not body.get("stream"):
            return {}

        def events() -> Iterator[str]:
            chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "inspectqa"}
            yield f"data: {json.dumps({**chunk, 'choices': [{'index': 0, 'delta': {'content': 'A'}}]})}\n\n"
            time.sleep(3)
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    install_limits(app, settings)
    return app


def test_the_time_budget_ends_answers_in_the_protocols_shape() -> None:
    app = slow_chat_app(Settings(request_timeout_s=1.0, rate_limit_per_minute=0, reload_poll_s=0))
    with serving(app) as url, connect(url) as client:
        with pytest.raises(openai.InternalServerError) as caught:
            ask(client, user(SOUTHEND))
        assert caught.value.status_code == 504 and caught.value.code == "timeout"
        assert "time budget" in caught.value.message


def test_a_stream_out_of_time_ends_with_an_error_event_the_client_raises() -> None:
    app = slow_chat_app(Settings(request_timeout_s=4.0, rate_limit_per_minute=0, reload_poll_s=0))
    with serving(app) as url, connect(url) as client:
        stream = ask(client, user(SOUTHEND), stream=True)
        with pytest.raises(openai.APIError) as caught:
            for _chunk in stream:
                pass
        assert "time budget" in caught.value.message


def test_the_api_token_guards_v1_when_set(small_index: Path, embedder: Any) -> None:
    settings, qa = small_service(small_index, embedder, api_token="s3cret")
    with serving(create_app(settings, service=qa)) as url:
        wrong = connect(url, "guess")
        with pytest.raises(openai.PermissionDeniedError) as caught:
            wrong.models.list()
        assert caught.value.type == "permission_error"
        missing = httpx.get(f"{url}/v1/models")
        assert missing.status_code == 401 and missing.json()["error"]["code"] == "invalid_api_key"
        right = connect(url, "s3cret")
        assert "[1]" in ask(right, user(SOUTHEND)).choices[0].message.content
        wrong.close()
        right.close()
        assert httpx.post(f"{url}/ask", json={"question": SOUTHEND}, timeout=60).status_code == 200


class _EchoingLLM(BaseHTTPRequestHandler):
    """An OpenAI-compatible model that answers with the first sentence of passage [1], cited."""

    calls: list[str] = []  # noqa: RUF012

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][-1]["content"]
        type(self).calls.append(prompt)
        passage = re.search(r"\[1\][^\n]*\n<<<\n(.*?)\n>>>", prompt, re.S)
        assert passage is not None
        first = next(s for s in sentences(passage.group(1)) if len(s.split()) >= 6)
        reply_chat_completion(self, body["model"], f"{' '.join(first.split())} [1]")


def test_the_llm_model_writes_with_the_llm_and_the_plain_model_does_not(
    small_index: Path, embedder: Any
) -> None:
    llm = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingLLM)
    threading.Thread(target=llm.serve_forever, daemon=True).start()
    settings, qa = small_service(
        small_index, embedder, llm_base_url=f"http://127.0.0.1:{llm.server_address[1]}/v1", llm_model="fake"
    )
    try:
        with serving(create_app(settings, service=qa)) as url:
            client = connect(url)
            assert [m.id for m in client.models.list()] == ["inspectqa", "inspectqa-llm"]
            plain = ask(client, user(SOUTHEND))
            assert _EchoingLLM.calls == []
            written = client.chat.completions.create(model="inspectqa-llm", messages=[user(SOUTHEND)])  # type: ignore[list-item]
            assert len(_EchoingLLM.calls) == 1 and written.model == "inspectqa-llm"
            client.close()
    finally:
        llm.shutdown()
        llm.server_close()
    assert plain.choices[0].message.content != written.choices[0].message.content
    assert written.model_extra["inspectqa"]["citations"]


def test_stream_pieces_and_history_clean_up() -> None:
    text = "Found: A is late. [1] B is slow. [2][3]\n\nSources:\n- [1] X: u"
    assert "".join(pieces(text)) == text and pieces(text)[0] == "Found: A is late. [1] "
    assert without_sources(text) == "Found: A is late. [1] B is slow. [2][3]"


def test_openapi_has_stable_operation_ids_for_v1(base_url: str) -> None:
    spec = httpx.get(f"{base_url}/openapi.json").json()
    ids = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {"v1_list_models", "v1_create_chat_completion"} <= ids
    assert "/mcp" not in spec["paths"]  # the MCP endpoint speaks JSON-RPC, not this document's contract
