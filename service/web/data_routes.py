"""The data API: ``GET /judgements`` (every grade, filtered, as JSON or CSV) and ``GET /councils/{name}``.

Thin handlers over ``service.answers.judgements`` (the table a ``QAService`` reads once from its index):
the filters become one ``JudgementQuery``; unknown areas, grades or frameworks are a 422 naming the
valid ones; ``format=csv`` or ``Accept: text/csv`` gives the same rows as a spreadsheet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, Query, Request, Response
from pydantic import BaseModel, Field

from inspectqa.errors import UnknownFilter
from service.answers.asking import GRADE_ORDER
from service.answers.judgements import AREA_NAMES, FRAMEWORK_NAMES, JudgementQuery, grade_family, to_csv
from service.web.api import ERRORS
from service.web.deps import QADep

router = APIRouter(tags=["data"])


class JudgementRowOut(BaseModel):
    report_id: str
    local_authority: str
    publication_date: str | None
    inspection_start: str | None
    inspection_end: str | None
    framework: str
    area: str
    grade: str = Field(description="As the report writes it, lower case.")
    text: str = Field(description="The report text that states the grade.")
    page: int
    stands_in_for: str | None = Field(
        None, description="The area asked for, when this combined area of 2018-2023 stands in for it."
    )
    url: str = Field(description="The citation viewer at the page that states the grade.")


class JudgementsResponse(BaseModel):
    query: dict[str, object]
    reports_in_scope: int
    count_reports: int
    count_councils: int
    notes: list[str]
    rows: list[JudgementRowOut]


class InspectionOut(BaseModel):
    report_id: str
    publication_date: str | None
    inspection_start: str | None
    inspection_end: str | None
    year: int | None
    framework: str | None
    judgements: list[JudgementRowOut]


class CouncilOut(BaseModel):
    local_authority: str
    key: str
    inspections: list[InspectionOut]


def install_data_routes(app: FastAPI) -> None:
    app.include_router(router)


def _checked(
    values: list[str] | None, allowed: dict[str, str] | tuple[str, ...], what: str
) -> tuple[str, ...]:
    out = []
    for value in values or ():
        plain = value.strip().lower()
        normal = grade_family(plain.replace("_", " ")) if what == "grade" else plain.replace(" ", "_")
        if normal not in allowed:
            raise UnknownFilter(f"no {what} called {value!r}", suggestions=list(allowed))
        out.append(normal)
    return tuple(dict.fromkeys(out))


def judgement_query(
    resolve_council: Callable[[str], tuple[str, ...]],
    *,
    area: list[str] | None = None,
    grade: list[str] | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    year_kind: Literal["publication", "inspection"] = "publication",
    local_authority: list[str] | None = None,
    framework: list[str] | None = None,
    latest: bool = False,
    every_area: bool = False,
) -> JudgementQuery:
    """Filters as people write them, checked into one ``JudgementQuery`` (also the MCP tool's)."""
    keys: list[str] = []
    for name in local_authority or ():
        keys.extend(k for k in resolve_council(name) if k not in keys)
    query = JudgementQuery(
        areas=_checked(area, AREA_NAMES, "area"),
        grades=_checked(grade, GRADE_ORDER, "grade"),
        year_from=year_from,
        year_to=year_to,
        year_kind=year_kind,
        councils=tuple(keys),
        frameworks=tuple(dict.fromkeys(f.strip().lower() for f in framework or ())),
        latest=latest,
        every_area=every_area,
    )
    for name in query.frameworks:
        if name not in FRAMEWORK_NAMES:
            raise UnknownFilter(f"no framework called {name!r}", suggestions=list(FRAMEWORK_NAMES))
    return query


@router.get(
    "/judgements",
    operation_id="list_judgements",
    response_model=JudgementsResponse,
    responses={**ERRORS, 200: {"content": {"text/csv": {}}}},
    summary="Every grade of the indexed reports, filtered; JSON or CSV",
)
def list_judgements(
    qa: QADep,
    request: Request,
    area: Annotated[list[str] | None, Query(description=f"One of {', '.join(AREA_NAMES)}.")] = None,
    grade: Annotated[list[str] | None, Query(description=f"One of {', '.join(GRADE_ORDER)}.")] = None,
    year: Annotated[
        int | None, Query(ge=2000, le=2100, description="Shorthand for year_from = year_to.")
    ] = None,
    year_from: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    year_to: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    year_kind: Annotated[Literal["publication", "inspection"], Query()] = "publication",
    local_authority: Annotated[list[str] | None, Query()] = None,
    framework: Annotated[list[str] | None, Query(description=f"One of {', '.join(FRAMEWORK_NAMES)}.")] = None,
    latest: Annotated[bool, Query(description="Only each council's latest report in scope.")] = False,
    every_area: Annotated[bool, Query(description="Reports with the grade in every area.")] = False,
    format: Annotated[Literal["json", "csv"] | None, Query()] = None,
) -> Response | JudgementsResponse:
    query = judgement_query(
        qa.resolve_council,
        area=area,
        grade=grade,
        year_from=year if year is not None else year_from,
        year_to=year if year is not None else year_to,
        year_kind=year_kind,
        local_authority=local_authority,
        framework=framework,
        latest=latest,
        every_area=every_area,
    )
    selection = qa.select_judgements(query)
    wants_csv = format == "csv" or (format is None and "text/csv" in request.headers.get("accept", ""))
    if wants_csv:
        return Response(
            to_csv(selection.rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'inline; filename="judgements.csv"'},
        )
    return JudgementsResponse.model_validate(selection.as_dict())


@router.get(
    "/councils/{name}",
    operation_id="get_council",
    response_model=CouncilOut,
    responses=ERRORS,
    summary="A council's every inspection with its grades, oldest first",
)
def get_council(name: str, qa: QADep) -> CouncilOut:
    return CouncilOut.model_validate(qa.council_timeline(name))
