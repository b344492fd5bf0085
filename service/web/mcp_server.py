"""The MCP server: inspectqa's answers, passages, reports and grades as tools an AI assistant can call.

Built with the official ``mcp`` SDK (``MCPServer``) over one ``QAService`` getter, so the same tools
run over stdio (``inspectqa mcp --index DIR``, for desktop assistants) and over streamable HTTP at
``/mcp`` of the FastAPI app (``install_mcp``, for remote ones). Tools:

- ``ask``: a cited answer (sentences quoted from the reports, ``[n]`` markers into ``citations``),
- ``search``: ranked passages with their metadata,
- ``get_report``: one report's metadata, graded judgements and sections,
- ``judgements``: graded judgements across reports, filtered by council, area, grade and year (the
  table of ``service.answers.judgements``, as ``GET /judgements`` serves it),

and resources ``inspectqa://reports``, ``inspectqa://reports/{report_id}`` and
``inspectqa://reports/{report_id}/pages/{page}``. Input the SDK cannot validate against a tool's
schema, and input ``QAService`` refuses (an empty question, an unknown council), come back as a tool
error the model can read, never as a crash. ``ask`` keeps to extracted sentences even when an LLM is
configured: the assistant calling it is the writer.

Over HTTP the endpoint is stateless and answers JSON (no session to lose between ``serve
--workers N`` processes), sits behind the service's limits middleware (body size, concurrency,
time budget) and ``INSPECTQA_API_TOKEN``; ``ask`` and ``search`` each take one question from the
client's rate-limit bucket, the one ``/ask`` uses.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any, Literal

from fastapi import FastAPI
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field, SecretStr
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from inspectqa import __version__
from inspectqa.errors import BadQuestion, InspectQAError, NotFound
from inspectqa.settings import Settings
from service.answers.asking import GRADE_ORDER
from service.answers.judgements import AREA_NAMES
from service.answers.qa import QAService
from service.answers.records import Filters, Turn
from service.web.data_routes import JudgementsResponse, judgement_query
from service.web.limits import Limiter
from service.web.schemas import AskResponse, CitationOut, PassageOut, ReportDetail, TurnIn
from service.web.security import bearer_problem

log = logging.getLogger("inspectqa.mcp")

INSTRUCTIONS = (
    "inspectqa answers questions from Ofsted's inspection reports of English councils' children's "
    "services (help and protection, children in care, care leavers, fostering, adoption, leadership). "
    "Use `ask` for a question and quote its cited sentences with their links; when it abstains, say the "
    "reports do not answer rather than answering from memory. Use `judgements` for grades across "
    "councils or over time, `search` to read more passages, `get_report` for one report's grades and "
    "sections."
)
READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
NEAREST_SHOWN = 3

Council = Annotated[
    list[str] | str | None,
    Field(description='Only these councils\' reports, e.g. "Southend-on-Sea" or ["Hull", "Durham"].'),
]
YearFrom = Annotated[int | None, Field(ge=2000, le=2100, description="Earliest year (inclusive).")]
YearTo = Annotated[int | None, Field(ge=2000, le=2100, description="Latest year (inclusive).")]


class AskOutput(BaseModel):
    answer: str = Field(description="Sentences quoted from the reports, each followed by [n] markers.")
    abstained: bool = Field(description="True when the reports do not answer; the answer then says why.")
    citations: list[CitationOut] = Field(description="What each [n] points to: report, page, quote, link.")
    nearest: list[PassageOut] = Field(description="When abstained: the closest passages, to judge.")
    notes: list[str] = Field(description="What the question was taken to mean (council, year assumed).")


class SearchOutput(BaseModel):
    query: str
    passages: list[PassageOut]


class SectionOut(BaseModel):
    title: str
    grade: str | None


class ReportCard(ReportDetail):
    sections: list[SectionOut]


@contextmanager
def _as_tool_error() -> Iterator[None]:
    """``QAService``'s refusals as tool errors: the model reads the reason and can try again."""
    try:
        yield
    except InspectQAError as error:
        raise ToolError(str(error)) from error


def _names(value: list[str] | str | None) -> tuple[str, ...]:
    """One name or several, as a model may send either; blanks dropped."""
    values = [value] if isinstance(value, str) else value or []
    return tuple(v for v in values if v.strip())


def _client_of(ctx: Context) -> str | None:
    """The HTTP client's address, or None over stdio (one local user, no rate limit)."""
    try:
        request = ctx.request_context.request
    except ValueError:
        return None
    client = getattr(request, "client", None)
    return client.host if client else None


def build_mcp(
    get_qa: Callable[[], QAService], limiter: Callable[[], Limiter | None] = lambda: None
) -> MCPServer:
    """The MCP server over whatever ``QAService`` ``get_qa`` returns at each call (a reload swaps it)."""
    # The SDK's constructor calls logging.basicConfig (a rich handler on the root logger, at INFO):
    # that is the application's choice to make, so the root logger is put back as it was.
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    server: MCPServer = MCPServer(name="inspectqa", version=__version__, instructions=INSTRUCTIONS)
    root.setLevel(level)
    root.handlers[:] = handlers

    def charge(ctx: Context) -> None:
        bucket = limiter()
        client = _client_of(ctx)
        if bucket is None or client is None:
            return
        wait = bucket.acquire(client)
        if wait > 0:
            raise ToolError(f"Too many questions from this client; try again in {max(1, math.ceil(wait))} s.")

    _question_tools(server, get_qa, charge)
    _report_tools(server, get_qa)
    _report_resources(server, get_qa)
    return server


def _question_tools(
    server: MCPServer, get_qa: Callable[[], QAService], charge: Callable[[Context], None]
) -> None:
    """`ask` and `search`: the two tools that read passages, each charged to the client's rate limit."""

    @server.tool(
        name="ask",
        title="Ask the Ofsted reports",
        annotations=READ_ONLY,
        description=(
            "Answer a question about Ofsted's inspection of an English council's children's services "
            "(help and protection, children in care, care leavers, fostering, adoption, leadership, "
            "social work practice) from the inspection reports themselves. The answer is made of "
            "sentences quoted verbatim from the reports, each followed by [n] markers that point into "
            "`citations` (council, publication date, section, paragraph numbers, page, the quote, a "
            "link to the PDF at that page). When the reports do not answer, `abstained` is true and the "
            "answer says so: then do not answer from memory. Name the council (and the year, if it "
            "matters) in the question or in `council`/`year_from`/`year_to`; pass the conversation so "
            "far as `history` for follow-ups such as 'and in 2016?'. For grades across many councils "
            "use `judgements` instead."
        ),
    )
    def ask(
        question: Annotated[str, Field(description="The question, in plain words (up to 2,000 characters).")],
        ctx: Context,
        council: Council = None,
        year_from: YearFrom = None,
        year_to: YearTo = None,
        history: Annotated[
            list[TurnIn] | None, Field(description="Earlier turns, oldest first: {role, content}.")
        ] = None,
    ) -> AskOutput:
        with _as_tool_error():
            qa = get_qa()
            _check_years(year_from, year_to)
            charge(ctx)
            turns = [Turn(t.role, t.content) for t in history or ()]
            filters = Filters(_names(council), (), year_from, year_to)
            found = qa.ask(question, filters=filters, history=turns, use_llm=False)
        shaped = AskResponse.of(found, qa.source_urls())
        nearest = shaped.passages[:NEAREST_SHOWN] if shaped.abstained else []
        return AskOutput(
            answer=shaped.answer,
            abstained=shaped.abstained,
            citations=shaped.citations,
            nearest=nearest,
            notes=shaped.notes,
        )

    @server.tool(
        name="search",
        title="Search report passages",
        annotations=READ_ONLY,
        description=(
            "Find passages of the Ofsted children's services inspection reports ranked for a query, "
            "without composing an answer: to read more around a topic, to see how several reports word "
            "something, or when `ask` abstained. Each passage has its report id, council, publication "
            "date, section, paragraph numbers, pages, full text, scores and a link to the PDF page."
        ),
    )
    def search(
        query: Annotated[str, Field(description="What to look for, e.g. 'foster carer reviews'.")],
        ctx: Context,
        council: Council = None,
        year_from: YearFrom = None,
        year_to: YearTo = None,
        section: Annotated[
            str | None, Field(max_length=200, description="Part of a section title, e.g. 'care leavers'.")
        ] = None,
        k: Annotated[int, Field(ge=1, le=50, description="How many passages.")] = 8,
    ) -> SearchOutput:
        with _as_tool_error():
            qa = get_qa()
            _check_years(year_from, year_to)
            charge(ctx)
            filters = Filters(_names(council), (), year_from, year_to, section or None)
            passages = qa.search(query, filters=filters, k=k)
        sources = qa.source_urls()
        shaped = [PassageOut.of(p, sources.get(p.report_id)) for p in passages]
        return SearchOutput(query=query, passages=shaped)


def _report_tools(server: MCPServer, get_qa: Callable[[], QAService]) -> None:
    """`get_report` and `judgements`: records read from the index, no search."""

    @server.tool(
        name="get_report",
        title="One inspection report",
        annotations=READ_ONLY,
        description=(
            "One inspection report by its id (ids such as 'southend-on-sea-2019-08-27' come from "
            "citations, passages, `judgements` or the inspectqa://reports resource): council, "
            "publication and inspection dates, framework, page count, a link to the PDF, its graded "
            "judgements with the sentence stating each, and its sections in order with their grades."
        ),
    )
    def get_report(
        report_id: Annotated[str, Field(max_length=200, description="The report id.")],
    ) -> ReportCard:
        with _as_tool_error():
            return report_card(get_qa(), report_id)

    @server.tool(
        name="judgements",
        title="Graded judgements across reports",
        annotations=READ_ONLY,
        description=(
            "The graded judgements of the inspection reports as a complete table (every report in "
            "scope, not a sample), one row per report and area, each with the sentence stating it, its "
            "page and the inspection framework. Filter by council, area, grade, publication (or "
            "inspection) year, only each council's latest inspection, or reports with the grade in "
            "every area. Use it for questions about grades ('which councils were judged inadequate in "
            "2023?', 'how was Durham rated over time?', 'how many councils are outstanding now?') "
            "rather than `ask`; `notes` says when some reports' framework did not grade an area asked "
            f"for. Areas: {', '.join(AREA_NAMES)}. Grades: {', '.join(GRADE_ORDER)}."
        ),
    )
    def judgements(
        council: Council = None,
        area: Annotated[
            list[str] | str | None, Field(description="Judgement areas, as listed above.")
        ] = None,
        grade: Annotated[list[str] | str | None, Field(description="Grades, as listed above.")] = None,
        year_from: YearFrom = None,
        year_to: YearTo = None,
        year_kind: Annotated[
            Literal["publication", "inspection"], Field(description="Which date the years are of.")
        ] = "publication",
        latest: Annotated[bool, Field(description="Only each council's latest report in scope.")] = False,
        every_area: Annotated[bool, Field(description="Only reports with the grade in every area.")] = False,
    ) -> JudgementsResponse:
        with _as_tool_error():
            qa = get_qa()
            _check_years(year_from, year_to)
            query = judgement_query(
                qa.resolve_council,
                area=list(_names(area)),
                grade=list(_names(grade)),
                year_from=year_from,
                year_to=year_to,
                year_kind=year_kind,
                local_authority=list(_names(council)),
                latest=latest,
                every_area=every_area,
            )
            return JudgementsResponse.model_validate(qa.select_judgements(query).as_dict())


def _report_resources(server: MCPServer, get_qa: Callable[[], QAService]) -> None:
    """The reports, one report and one page, as MCP resources a client can list and read."""

    @server.resource(
        "inspectqa://reports",
        name="reports",
        title="The indexed inspection reports",
        mime_type="application/json",
        description="Every indexed report: id, council, publication date, link to the PDF.",
    )
    def reports() -> str:
        qa = get_qa_or_resource_error(get_qa)
        rows = [
            {
                "report_id": info.report_id,
                "local_authority": info.local_authority,
                "publication_date": info.published.isoformat() if info.published else None,
                "source_url": info.source_url,
            }
            for info in qa.reports()
        ]
        return json.dumps(rows, ensure_ascii=False)

    @server.resource(
        "inspectqa://reports/{report_id}",
        name="report",
        title="One inspection report",
        mime_type="application/json",
        description="A report's metadata, graded judgements and sections (as the get_report tool).",
    )
    def report(report_id: str) -> str:
        qa = get_qa_or_resource_error(get_qa)
        try:
            return report_card(qa, report_id).model_dump_json()
        except NotFound as error:
            raise ResourceNotFoundError(str(error)) from error

    @server.resource(
        "inspectqa://reports/{report_id}/pages/{page}",
        name="report_page",
        title="One page of a report",
        mime_type="text/plain",
        description="The cleaned text of one page of a report (pages as cited, from 1).",
    )
    def report_page(report_id: str, page: str) -> str:
        qa = get_qa_or_resource_error(get_qa)
        if not page.isdigit():
            raise ResourceNotFoundError(f"page {page!r} is not a page number")
        try:
            return qa.page_text(report_id, int(page))
        except NotFound as error:
            raise ResourceNotFoundError(str(error)) from error


def get_qa_or_resource_error(get_qa: Callable[[], QAService]) -> QAService:
    try:
        return get_qa()
    except InspectQAError as error:
        raise ResourceError(str(error)) from error


def _check_years(year_from: int | None, year_to: int | None) -> None:
    if year_from is not None and year_to is not None and year_from > year_to:
        raise BadQuestion(f"year_from ({year_from}) is after year_to ({year_to})")


def report_card(qa: QAService, report_id: str) -> ReportCard:
    from service.web.api import get_report

    detail = get_report(report_id, qa)
    sections = [SectionOut(title=title, grade=grade) for title, grade in qa.sections(report_id)]
    return ReportCard(**detail.model_dump(), sections=sections)


# --- over HTTP, inside the FastAPI app -------------------------------------------------------------
class BearerGuard:
    """Lets a request through to ``app`` only with ``Authorization: Bearer <secret>``."""

    def __init__(self, app: ASGIApp, secret: SecretStr, what: str) -> None:
        self.app = app
        self.secret = secret
        self.what = what

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        problem = bearer_problem(headers.get(b"authorization", b"").decode("latin-1"), self.secret, self.what)
        if problem is None:
            await self.app(scope, receive, send)
            return
        status, message, challenge = problem
        body = json.dumps({"detail": message}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", challenge.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """DNS-rebinding protection as the SDK sets it up for a loopback server, with the service's CORS
    origins allowed too; off when the service listens beyond loopback (a proxy's Host is unknown)."""
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
        allowed_origins=[
            "http://127.0.0.1:*",
            "http://localhost:*",
            "http://[::1]:*",
            *settings.cors_origins,
        ],
    )


def install_mcp(app: FastAPI, settings: Settings) -> None:
    """Serve the MCP server at ``/mcp`` of ``app``, and run its session manager in the app's lifespan."""
    from service.web.deps import service_of

    server = build_mcp(lambda: service_of(app), limiter=lambda: getattr(app.state, "limiter", None))
    starlette_app = server.streamable_http_app(
        streamable_http_path="/mcp",
        stateless_http=True,
        json_response=True,
        transport_security=transport_security(settings),
        host=settings.host,
    )
    for route in starlette_app.routes:  # one: the streamable HTTP endpoint
        assert isinstance(route, Route)
        endpoint: ASGIApp = route.endpoint
        if settings.api_token:
            endpoint = BearerGuard(endpoint, settings.api_token, "API")
        app.router.routes.append(Route(route.path, endpoint=endpoint, name="mcp"))
    previous = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        async with previous(application) as state, server.session_manager.run():
            yield state

    app.router.lifespan_context = lifespan


# --- over stdio ------------------------------------------------------------------------------------
def run_stdio(settings: Settings) -> None:
    """Open the index and serve the tools over stdin/stdout until the client closes them."""
    # stdout carries the protocol: whatever a library prints while loading goes to stderr instead.
    with contextlib.redirect_stdout(sys.stderr):
        qa = QAService.open(settings)
        server = build_mcp(lambda: qa)
    server.run("stdio")
