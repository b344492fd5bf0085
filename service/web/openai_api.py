"""``/v1``: the OpenAI-compatible chat-completions API, so chat front ends and the ``openai`` SDK
can ask inspectqa as they would ask a model.

``GET /v1/models`` lists one model per answerer: ``inspectqa`` (sentences quoted from the reports)
and, when an LLM is configured, ``inspectqa-llm`` (the LLM writes, every sentence checked).
``POST /v1/chat/completions`` answers the last user message with the earlier turns as history, as
one ``chat.completion`` or, with ``stream``, as ``chat.completion.chunk`` events ending with
``data: [DONE]``. The text carries ``[n]`` markers and a "Sources:" list (``service.web.rendering``);
the structured answer of ``POST /ask`` rides along in the extra field ``inspectqa`` (of the final
chunk when streaming). Errors, including the 401/403 of ``INSPECTQA_API_TOKEN`` and validation
errors, come in the protocol's ``{"error": {...}}`` shape (``OpenAIRoute``); the limits middleware
words its 429/413/503/504 the same way for these paths.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException  # FastAPI's own is a subclass

from inspectqa.errors import InspectQAError
from inspectqa.settings import Settings
from service.web.app import validation_message
from service.web.deps import get_qa
from service.web.openai_schemas import (
    EXTRACTIVE_MODEL,
    LLM_MODEL,
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Choice,
    ChunkChoice,
    Delta,
    ErrorResponse,
    ModelCard,
    ModelList,
    error_body,
)
from service.web.rendering import answer_text, pieces
from service.web.schemas import AskResponse
from service.web.security import require_bearer

log = logging.getLogger("inspectqa.service")
STARTED = int(time.time())  # the "created" of the model cards: when this server process started

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Unusable input, with what to change."},
    401: {"model": ErrorResponse, "description": "INSPECTQA_API_TOKEN is set and no token was sent."},
    403: {"model": ErrorResponse, "description": "The token sent is wrong."},
    404: {"model": ErrorResponse, "description": "No such model."},
    503: {"model": ErrorResponse, "description": "No index is loaded, with how to build one."},
}


def _error(
    status: int,
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(status, message, param=param, code=code), status, headers=headers)


class OpenAIRoute(APIRoute):
    """A route whose every error leaves in the protocol's shape, whatever raised it.

    Validation errors are 400s (the protocol has no 422), ``InspectQAError``s keep their status
    (a ``BadQuestion``'s 422 made 400), a failed token check keeps its 401/403.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as error:
                problems = list(error.errors())
                where = problems[0].get("loc", ()) if problems else ()
                param = ".".join(str(p) for p in where if p not in ("body", "query")) or None
                return _error(400, "; ".join(validation_message(p) for p in problems), param=param)
            except HTTPException as error:
                return _error(error.status_code, str(error.detail), headers=dict(error.headers or {}))
            except InspectQAError as error:
                status = 400 if error.http_status == 422 else error.http_status
                return _error(status, str(error))
            except Exception:
                log.exception("unexpected error on %s %s", request.method, request.url.path)
                return _error(500, "the service failed unexpectedly; the error has been logged")

        return guarded


def models_of(settings: Settings) -> list[str]:
    return [EXTRACTIVE_MODEL, LLM_MODEL] if settings.llm_enabled else [EXTRACTIVE_MODEL]


def openai_router(settings: Settings) -> APIRouter:
    guard = [Depends(require_bearer(settings.api_token, "API"))] if settings.api_token else []
    router = APIRouter(prefix="/v1", route_class=OpenAIRoute, dependencies=guard, tags=["openai"])

    @router.get(
        "/models",
        operation_id="v1_list_models",
        response_model=ModelList,
        responses=ERRORS,
        summary="The answerers, as OpenAI model ids",
    )
    def list_models(request: Request) -> ModelList:
        names = models_of(request.app.state.settings)
        return ModelList(data=[ModelCard(id=name, created=STARTED) for name in names])

    @router.post(
        "/chat/completions",
        operation_id="v1_create_chat_completion",
        response_model=ChatCompletion,
        responses={
            **ERRORS,
            200: {
                "description": "A chat.completion; with stream, chat.completion.chunk events, then [DONE].",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            },
        },
        summary="Answer the last user message, cited, as an OpenAI chat completion",
    )
    async def create_chat_completion(body: ChatCompletionRequest, request: Request) -> Any:
        qa = get_qa(request)
        settings: Settings = request.app.state.settings
        if body.model not in models_of(settings):
            known = ", ".join(models_of(settings))
            message = f"The model {body.model!r} does not exist here; use one of {known} (GET /v1/models)."
            return _error(404, message, param="model", code="model_not_found")
        question, history = body.conversation(settings.max_history_turns)
        filters = body.filters.to_filters() if body.filters else None

        def answer() -> AskResponse:
            found = qa.ask(question, filters, history, body.top_k, use_llm=body.model == LLM_MODEL)
            return AskResponse.of(found, qa.source_urls())

        # Computed before any byte is sent, so bad input still gets its 4xx status.
        structured = await run_in_threadpool(answer)
        reply_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        content = answer_text(structured)
        if not body.stream:
            choice = Choice(message=AssistantMessage(content=content))
            return ChatCompletion(
                id=reply_id, created=created, model=body.model, choices=[choice], inspectqa=structured
            )
        return StreamingResponse(
            _chunks(reply_id, created, body.model, content, structured),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router


def _chunks(reply_id: str, created: int, model: str, content: str, structured: AskResponse) -> Iterator[str]:
    """The role, then the text a piece at a time, then an empty delta with finish_reason and the
    structured answer, then ``[DONE]``."""

    def event(delta: Delta, *, final: bool = False) -> str:
        chunk = ChatCompletionChunk(
            id=reply_id,
            created=created,
            model=model,
            choices=[ChunkChoice(delta=delta, finish_reason="stop" if final else None)],
            inspectqa=structured if final else None,
        )
        # As the protocol sends them: null finish_reason and logprobs, but a delta of only what it has.
        data = chunk.model_dump(exclude={"inspectqa"} if not final else set())
        data["choices"][0]["delta"] = delta.model_dump(exclude_none=True)
        return f"data: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"

    yield event(Delta(role="assistant", content=""))
    for piece in pieces(content):
        yield event(Delta(content=piece))
    yield event(Delta(), final=True)
    yield "data: [DONE]\n\n"


def install_openai(app: FastAPI, settings: Settings) -> None:
    """Mount ``/v1`` (behind ``INSPECTQA_API_TOKEN`` when it is set)."""
    app.include_router(openai_router(settings))
