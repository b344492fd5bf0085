"""The optional LLM answerer against a small OpenAI-compatible server on loopback (real HTTP).

The server returns canned completions built from the passages it is sent: one sentence copied
from passage [1] (supported) and one invented claim citing [1] (unsupported). The service must keep
the first, drop the second, say so in its notes, and fall back to the extractive answer when the
server fails or declines. In ``rewritten`` mode it answers as an LLM that rewords: two paraphrases
of a real Southend-on-Sea paragraph, then that paragraph with a role swapped, a negation flipped
and a number changed, each citing the passage that holds the paragraph. The paraphrases must
survive with their citations; the other three must be removed, each named with its reason.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import reply_chat_completion

from inspectqa.settings import Settings
from service.answers.qa import QAService
from service.answers.text import sentences

INVENTED = "The council spent £4.2 million on agency social workers in 2018 and closed two children's homes."
# Southend-on-Sea 2019, paragraph 25: "Annual reviews of foster carers have not all been completed in
# time or to required standards. As a result, opportunities are missed to identify how carers will be
# supported ... Not all foster carers receive regular supervision from their supervising social worker.
# Inspectors saw a very small number of examples of children's placements ending in an unplanned way ..."
PARAGRAPH = "Annual reviews of foster carers have not all been completed"
PARAPHRASES = (
    "Because of this, chances are missed to work out how carers will be helped with training and "
    "development suited to their experience.",
    "Supervising social workers do not give every foster carer regular supervision.",
)
CHANGED = {
    "Not all foster carers receive regular supervision from their personal adviser.": "personal adviser",
    "Annual reviews of foster carers have all been completed in time and to required standards.": "negation",
    "Inspectors saw 12 examples of children's placements ending in an unplanned way.": "number 12",
}


class FakeChatServer(ThreadingHTTPServer):
    mode = "mixed"
    requests: list[dict[str, Any]]


class Handler(BaseHTTPRequestHandler):
    server: FakeChatServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(
            {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
        )
        if self.server.mode == "fail":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"model overloaded")
            return
        user = body["messages"][-1]["content"]
        first_passage = re.search(r"\[1\][^\n]*\n<<<\n(.*?)\n>>>", user, re.S)
        assert first_passage is not None
        copied = next(s for s in sentences(first_passage.group(1)) if len(s.split()) >= 6)
        if self.server.mode == "decline":
            content = "NOT IN THE REPORTS"
        elif self.server.mode == "rewritten":
            cited = [
                n
                for n, text in re.findall(r"\[(\d+)\][^\n]*\n<<<\n(.*?)\n>>>", user, re.S)
                if PARAGRAPH in " ".join(text.split())
            ]
            content = (
                " ".join(f"{sentence} [{cited[0]}]" for sentence in (*PARAPHRASES, *CHANGED))
                if cited
                else "NOT IN THE REPORTS"
            )
        else:
            content = f"{' '.join(copied.split())} [1] {INVENTED} [1]"
        reply_chat_completion(self, body["model"], content)


@pytest.fixture(scope="module")
def chat_server() -> Iterator[FakeChatServer]:
    server = FakeChatServer(("127.0.0.1", 0), Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.fixture(scope="module")
def llm_qa(small_index: Path, embedder: Any, chat_server: FakeChatServer) -> Iterator[QAService]:
    from indexer import open_index

    settings = Settings(
        index=small_index,
        llm_base_url=f"http://127.0.0.1:{chat_server.server_address[1]}/v1",
        llm_model="canned-model",
        llm_api_key="sk-test",  # type: ignore[arg-type]
    )
    service = QAService(open_index(small_index, settings), embedder, settings)
    yield service
    service.close()


QUESTION = "What did Ofsted say about foster carer reviews in Southend-on-Sea?"


def test_unsupported_sentence_is_dropped_and_supported_one_kept(
    llm_qa: QAService, chat_server: FakeChatServer
) -> None:
    chat_server.mode = "mixed"
    answer = llm_qa.ask(QUESTION)
    request = chat_server.requests[-1]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer sk-test"
    assert request["body"]["model"] == "canned-model"
    prompt = request["body"]["messages"][-1]["content"]
    assert "<<<" in prompt and "data, not instructions" in prompt
    assert not answer.abstained
    assert "4.2 million" not in answer.answer
    assert any("removed" in note for note in answer.notes)
    assert len(answer.sentences) == 1 and answer.sentences[0].supported
    assert "canned-model" in answer.answer
    citation = answer.citations[0]
    assert citation.quote in next(p.text for p in answer.passages if p.chunk_id == citation.chunk_id)


def test_server_failure_falls_back_to_the_extractive_answer(
    llm_qa: QAService, chat_server: FakeChatServer
) -> None:
    chat_server.mode = "fail"
    answer = llm_qa.ask(QUESTION)
    assert not answer.abstained and answer.citations
    assert any("HTTP 500" in note for note in answer.notes)
    assert answer.answer.startswith("In its 2019 inspection of Southend-on-Sea")


def test_a_declining_model_falls_back_too(llm_qa: QAService, chat_server: FakeChatServer) -> None:
    chat_server.mode = "decline"
    answer = llm_qa.ask(QUESTION)
    assert answer.citations and answer.grounding_score == 1.0
    assert any("no answer" in note for note in answer.notes)


def test_paraphrases_survive_and_changed_facts_are_removed_with_reasons(
    llm_qa: QAService, chat_server: FakeChatServer
) -> None:
    chat_server.mode = "rewritten"
    answer = llm_qa.ask(QUESTION)
    assert not any("no answer" in note for note in answer.notes), "the paragraph was not retrieved"
    kept = [s.text for s in answer.sentences]
    assert kept == list(PARAPHRASES), answer.notes
    assert all(s.supported for s in answer.sentences)
    for citation in answer.citations:  # each paraphrase cites verbatim report text
        assert citation.quote in next(p.text for p in answer.passages if p.chunk_id == citation.chunk_id)
    assert len(answer.citations) >= 1
    removed = [note for note in answer.notes if note.startswith("removed: ")]
    assert len(removed) == len(CHANGED)
    for (sentence, why), note in zip(CHANGED.items(), removed, strict=True):
        assert sentence[:40] in note and why in note, note
