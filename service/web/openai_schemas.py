"""The OpenAI chat-completions contract of ``/v1``: what clients send, what they get back, errors.

Only what a chat front end or the ``openai`` SDK uses is modelled. A request is read once, here,
into a question and a history (``ChatCompletionRequest.conversation``): the last message must be
the user's, earlier user and assistant messages are the history, system and tool messages are
ignored (the answerer takes no instructions). Parameters that mean nothing for answers quoted
from reports (``max_tokens``, ``temperature``, ``top_p``, ``stop``, ...) are accepted and
ignored; unknown fields are ignored too, as chat front ends send their own. Every answer also
carries the whole structured answer of ``POST /ask`` in an extra field, ``inspectqa``.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.answers.records import Turn
from service.web.limits import ErrorShape
from service.web.rendering import without_sources
from service.web.schemas import AskResponse, FiltersIn

OPENAI_PREFIX = "/v1/"
EXTRACTIVE_MODEL = "inspectqa"
LLM_MODEL = "inspectqa-llm"
OWNER = "inspectqa"


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ContentPart(_Lenient):
    type: str = Field(description='Only "text" parts are read.')
    text: str | None = None


class ChatMessage(_Lenient):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    name: str | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(part.text or "" for part in self.content if part.type == "text")


class ChatCompletionRequest(_Lenient):
    model: str = Field(
        max_length=200, description="A model id from GET /v1/models.", examples=[EXTRACTIVE_MODEL]
    )
    messages: list[ChatMessage] = Field(
        min_length=1,
        max_length=500,
        description="The conversation, oldest first; the last message is the user's question.",
    )
    stream: bool = Field(False, description="Send the answer as chat.completion.chunk server-sent events.")
    n: int | None = Field(None, ge=1, le=1, description="Only one choice is ever given.")
    max_tokens: int | None = Field(None, description="Accepted and ignored: answers are quoted sentences.")
    max_completion_tokens: int | None = Field(None, description="Accepted and ignored.")
    temperature: float | None = Field(None, description="Accepted and ignored.")
    top_p: float | None = Field(None, description="Accepted and ignored.")
    stop: str | list[str] | None = Field(None, description="Accepted and ignored.")
    user: str | None = Field(None, description="Accepted and ignored.")
    filters: FiltersIn | None = Field(
        None, description="inspectqa's own restrictions, as in POST /ask (send them as extra body fields)."
    )
    top_k: int = Field(5, ge=1, le=50, description="Passages to retrieve per report group, as in POST /ask.")

    @field_validator("messages", mode="after")
    @classmethod
    def _a_text_question_last(cls, messages: list[ChatMessage]) -> list[ChatMessage]:
        for message in messages:
            if isinstance(message.content, list):
                other = sorted({p.type for p in message.content if p.type != "text"})
                if other:
                    raise ValueError(f"only text content is read; this message also has {', '.join(other)}")
        if messages and messages[-1].role != "user":
            role = messages[-1].role
            raise ValueError(f"the last message must be the user's question, not a {role!r} message")
        return messages

    def conversation(self, max_turns: int) -> tuple[str, list[Turn]]:
        """The question and, oldest first, at most ``max_turns`` earlier user and assistant turns.

        An assistant turn loses the sources list this service added to it, so the history reads as
        the answers themselves (as ``/ask``'s history does).
        """
        turns = []
        for message in self.messages[:-1]:
            text = message.text().strip()
            if message.role == "user" and text:
                turns.append(Turn("user", text))
            elif message.role == "assistant" and text:
                turns.append(Turn("assistant", without_sources(text)))
        return self.messages[-1].text(), turns[-max_turns:] if max_turns else []


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = OWNER


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    refusal: None = None


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: None = Field(None, description="Not counted: nothing is generated token by token.")
    system_fingerprint: None = None
    inspectqa: AskResponse = Field(description="The whole structured answer, as POST /ask returns it.")


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    inspectqa: AskResponse | None = Field(None, description="On the final chunk only: the structured answer.")


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}
ERROR_CODES = {
    401: "invalid_api_key",
    403: "invalid_api_key",
    413: "request_too_large",
    429: "rate_limit_exceeded",
    503: "service_unavailable",
    504: "timeout",
}


def error_body(
    status: int, message: str, *, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """The protocol's error object: ``{"error": {"message", "type", "param", "code"}}``."""
    kind = ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    detail = ErrorDetail(message=message, type=kind, param=param, code=code or ERROR_CODES.get(status))
    return ErrorResponse(error=detail).model_dump()


OPENAI_ERRORS = ErrorShape(
    body=lambda status, detail: error_body(status, detail),
    stream_event=lambda status, detail: f"data: {json.dumps(error_body(status, detail))}\n\n",
)
