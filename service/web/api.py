"""The HTTP routes: thin handlers over ``QAService``, with stable operation ids.

Each handler validates nothing itself (pydantic and ``QAService`` do), calls one service method,
and shapes the result with ``service.web.schemas``. Errors are raised, never returned: the app's one
exception handler turns them into a status and a message a person can act on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse

from inspectqa.errors import InspectQAError, NotFound
from service.answers.qa import QAService
from service.answers.records import Answer, Filters
from service.web.building import build_progress, retry_after
from service.web.deps import QADep, get_qa
from service.web.schemas import (
    AskRequest,
    AskResponse,
    ErrorOut,
    Health,
    JudgementOut,
    PassageOut,
    Readiness,
    ReportDetail,
    ReportList,
    ReportOut,
    SearchResponse,
)

router = APIRouter()

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "Unknown report or page."},
    422: {"model": ErrorOut, "description": "Unusable input, with what to change."},
    503: {"model": ErrorOut, "description": "No index is loaded, with how to build one."},
}


@router.post(
    "/ask",
    operation_id="ask",
    response_model=AskResponse,
    responses=ERRORS,
    summary="Answer a question, every sentence cited",
)
def ask(body: AskRequest, qa: QADep) -> AskResponse:
    filters = body.filters.to_filters() if body.filters else None
    answer = qa.ask(body.question, filters=filters, history=body.turns(), top_k=body.top_k)
    return AskResponse.of(answer, qa.source_urls())


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def stream_events(answer: Answer, response: AskResponse) -> Iterator[str]:
    """meta → one sentence event per answer sentence → citations → done (see HELPERS contract)."""
    yield _event(
        "meta",
        {
            "reports": list(answer.reports),
            "local_authorities": list(answer.local_authorities),
            "abstained": answer.abstained,
        },
    )
    if answer.abstained:
        yield _event("sentence", {"text": answer.answer, "citations": []})
    for sentence in answer.sentences:
        text = f"{sentence.text} {''.join(f'[{n}]' for n in sentence.citations)}".strip()
        yield _event("sentence", {"text": text, "citations": list(sentence.citations)})
    yield _event("citations", {"citations": [c.model_dump() for c in response.citations]})
    yield _event("done", response.model_dump())


@router.post(
    "/ask/stream",
    operation_id="ask_stream",
    responses=ERRORS,
    summary="The same answer as server-sent events, for the chat widget",
    response_class=StreamingResponse,
)
async def ask_stream(body: AskRequest, request: Request) -> StreamingResponse:
    qa = get_qa(request)
    filters = body.filters.to_filters() if body.filters else None
    # Computed before the stream opens, so bad input still gets its 4xx status.
    answer = await run_in_threadpool(qa.ask, body.question, filters, body.turns(), body.top_k)
    response = AskResponse.of(answer, qa.source_urls())

    def events() -> Iterator[str]:
        try:
            yield from stream_events(answer, response)
        except InspectQAError as error:
            yield _event("error", {"status": error.http_status, "detail": str(error)})
        except Exception:
            yield _event("error", {"status": 500, "detail": "the service failed while sending the answer"})

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/search",
    operation_id="search",
    response_model=SearchResponse,
    responses=ERRORS,
    summary="Ranked passages for a query, without an answer",
)
def search(
    qa: QADep,
    q: Annotated[str, Query(description="The query.", max_length=2000)],
    k: Annotated[int, Query(ge=1, le=50)] = 10,
    local_authority: Annotated[list[str] | None, Query()] = None,
    report_id: Annotated[list[str] | None, Query()] = None,
    year_from: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    year_to: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    section: Annotated[str | None, Query(max_length=200)] = None,
) -> SearchResponse:
    filters = Filters(tuple(local_authority or ()), tuple(report_id or ()), year_from, year_to, section)
    passages = qa.search(q, filters=filters, k=k)
    sources = qa.source_urls()
    return SearchResponse(query=q, passages=[PassageOut.of(p, sources.get(p.report_id)) for p in passages])


def _report_out(qa: QAService, report_id: str) -> ReportOut:
    meta = qa.report(report_id)
    return ReportOut(
        report_id=meta.report_id,
        local_authority=qa.council_of(meta),
        publication_date=_iso(meta.publication_date),
        inspection_start=_iso(meta.inspection_start),
        inspection_end=_iso(meta.inspection_end),
        source_url=meta.source_url,
        framework=meta.framework or None,
        n_pages=meta.n_pages,
        pdf_url=f"/reports/{meta.report_id}/pdf",
    )


def _iso(value: Any) -> str | None:
    return None if value in (None, "") else str(value)[:10]


@router.get(
    "/reports",
    operation_id="list_reports",
    response_model=ReportList,
    responses=ERRORS,
    summary="The indexed reports, optionally by council and year",
)
def list_reports(
    qa: QADep,
    local_authority: Annotated[str | None, Query()] = None,
    year_from: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    year_to: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> ReportList:
    chosen = qa.reports(local_authority, year_from, year_to)
    return ReportList(total=len(chosen), reports=[_report_out(qa, i.report_id) for i in chosen])


@router.get(
    "/reports/{report_id}",
    operation_id="get_report",
    response_model=ReportDetail,
    responses=ERRORS,
    summary="One report's metadata and judgements",
)
def get_report(report_id: str, qa: QADep) -> ReportDetail:
    out = _report_out(qa, report_id)
    judgements = [
        JudgementOut(area=j.area, grade=j.grade, text=j.text, page=j.page) for j in qa.judgements(report_id)
    ]
    return ReportDetail(**out.model_dump(), judgements=judgements)


@router.get(
    "/reports/{report_id}/pdf",
    operation_id="get_report_pdf",
    responses=ERRORS,
    response_class=FileResponse,
    summary="The report's PDF (add #page=N to open a page)",
)
def get_report_pdf(report_id: str, qa: QADep) -> FileResponse:
    meta = qa.report(report_id)
    path = Path(meta.file)
    if not path.is_file():
        raise NotFound(f"the PDF of report {report_id} is no longer at {path}")
    return FileResponse(
        path, media_type="application/pdf", filename=f"{report_id}.pdf", content_disposition_type="inline"
    )


@router.get("/healthz", operation_id="healthz", response_model=Health, summary="The process is up")
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    operation_id="readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "No index loaded."}},
    summary="An index is loaded and answering",
)
def readyz(request: Request) -> Any:
    qa: QAService | None = getattr(request.app.state, "qa", None)
    reloader = getattr(request.app.state, "reloader", None)
    reload_status = reloader.status() if reloader is not None else None
    if qa is None:
        settings = request.app.state.settings
        progress = build_progress(settings)
        detail = getattr(request.app.state, "load_error", None) or f"no index at {settings.index}"
        body = Readiness(
            ready=False,
            detail=progress.summary()
            if progress is not None
            else f"{detail}; build it with `inspectqa index build --index {settings.index}`",
            reload=reload_status,
            worker=os.getpid(),
            build=progress.as_dict() if progress is not None else None,
        )
        headers = (
            {"Retry-After": str(retry_after(progress))} if progress and progress.state != "failed" else None
        )
        return JSONResponse(body.model_dump(), status_code=503, headers=headers)
    status = qa.status()
    return Readiness(
        ready=True,
        reports=status.reports,
        chunks=status.chunks,
        index=status.location,
        model=status.model,
        reload=reload_status,
        worker=os.getpid(),
    )
