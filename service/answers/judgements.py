"""Judgements as data: every grade of every indexed report, filtered, counted and traced to its words.

The index's ``judgements`` table holds each report's grade per area with the text that states it
and its page (``corpus.judgements`` reads them from the report, never from the manifest). Questions
such as "which councils were judged inadequate in 2023?" or "how many councils got outstanding for
care leavers since 2020?" are answered here, completely, instead of from the top passages of a
text search: ``JudgementTable.select`` applies a ``JudgementQuery`` (areas, grades, publication or
inspection years, councils, frameworks, each council's latest inspection) to every row and returns
a ``Selection``: the matching rows, how many reports were in scope, and notes on areas that the
frameworks of some reports in scope did not grade.

Frameworks (``framework_of``), read from a report's own judgements and dates:

- ``lac-2012``: the 2012-2013 inspections of looked after children services (grades 1-4,
  "adequate" for 3);
- ``sif``: the single inspection framework (November 2013 - 2017): overall effectiveness, help and
  protection, children looked after, adoption and care leavers separately, leadership, and the
  Local Safeguarding Children Board;
- ``ilacs``: inspections of local authority children's services from 2018: overall effectiveness,
  leaders, help and protection, children in care and care leavers (graded together until 2023,
  separately in some later reports);
- ``ilacs-2026``: the April 2026 reform: four judgements and no overall effectiveness.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from service.answers.asking import GRADE_ORDER
from service.answers.planning import Catalogue, ReportInfo

AREA_NAMES = {
    "overall_effectiveness": "overall effectiveness",
    "impact_of_leaders": "the impact of leaders",
    "help_and_protection": "help and protection",
    "children_in_care": "children in care",
    "care_leavers": "care leavers",
    "children_in_care_and_care_leavers": "children in care and care leavers",
    "adoption": "adoption",
    "lscb": "the Local Safeguarding Children Board",
}
FRAMEWORK_NAMES = {
    "lac": "inspection of looked after children services (2012-2013)",
    "sif": "single inspection framework (2013-2017)",
    "ilacs": "ILACS (2018 to April 2026)",
    "ilacs-2026": "reformed ILACS (from April 2026)",
}
# Which areas each framework grades. A question about an area a report's framework did not grade
# gets a note; for children in care and care leavers, the combined grade of 2018-2023 stands in.
FRAMEWORK_AREAS = {
    "lac": ("overall_effectiveness", "impact_of_leaders"),
    "sif": (
        "overall_effectiveness",
        "help_and_protection",
        "children_in_care",
        "adoption",
        "care_leavers",
        "impact_of_leaders",
        "lscb",
    ),
    "ilacs": (
        "overall_effectiveness",
        "impact_of_leaders",
        "help_and_protection",
        "children_in_care_and_care_leavers",
        "children_in_care",
        "care_leavers",
    ),
    "ilacs-2026": ("impact_of_leaders", "help_and_protection", "children_in_care", "care_leavers"),
}
STANDS_IN = {
    "care_leavers": "children_in_care_and_care_leavers",
    "children_in_care": "children_in_care_and_care_leavers",
}
REFORM = date(2026, 4, 1)
# Ofsted's scale as a rank, for trends: 4 outstanding ... 1 inadequate ("adequate" was grade 3 of 4).
RANK = {"outstanding": 4, "good": 3, "requires improvement": 2, "adequate": 2, "inadequate": 1}

YearKind = Literal["publication", "inspection"]


def grade_family(grade: str) -> str:
    """ "requires improvement to be good" → "requires improvement"; other grades as they are."""
    return "requires improvement" if grade.startswith("requires improvement") else grade


@dataclass(frozen=True)
class JudgementRow:
    """One report's grade for one area, with the text that states it and where."""

    report_id: str
    local_authority: str
    council_key: str
    published: date | None
    inspection_start: date | None
    inspection_end: date | None
    framework: str
    area: str
    grade: str  # as written: "requires improvement to be good"
    text: str
    page: int
    stands_in_for: str | None = None  # the area asked for, when this row's area stands in for it

    @property
    def family(self) -> str:
        return grade_family(self.grade)

    @property
    def rank(self) -> int | None:
        return RANK.get(self.family)

    @property
    def publication_year(self) -> int | None:
        return self.published.year if self.published else None

    @property
    def inspection_year(self) -> int | None:
        when = self.inspection_end or self.inspection_start
        return when.year if when else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "report_id": self.report_id,
            "local_authority": self.local_authority,
            "publication_date": _iso(self.published),
            "inspection_start": _iso(self.inspection_start),
            "inspection_end": _iso(self.inspection_end),
            "framework": self.framework,
            "area": self.area,
            "grade": self.grade,
            "text": self.text,
            "page": self.page,
            "stands_in_for": self.stands_in_for,
            "url": f"/reports/{self.report_id}/view?page={self.page}",
        }


CSV_FIELDS = (
    "report_id",
    "local_authority",
    "publication_date",
    "inspection_start",
    "inspection_end",
    "framework",
    "area",
    "grade",
    "page",
    "text",
    "stands_in_for",
    "url",
)


@dataclass(frozen=True)
class JudgementQuery:
    """Filters over the judgements table, combined with AND; empty fields do not filter.

    ``areas`` empty means every area; ``grades`` are families ("requires improvement" covers "...
    to be good"); years are publication years unless ``year_kind`` is ``inspection``; ``councils``
    are catalogue keys; ``latest`` keeps each council's latest report in scope; ``every_area``
    keeps reports whose every graded area has one of ``grades``.
    """

    areas: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    year_kind: YearKind = "publication"
    councils: tuple[str, ...] = ()
    frameworks: tuple[str, ...] = ()
    report_ids: tuple[str, ...] = ()
    latest: bool = False
    every_area: bool = False

    def describe(self) -> str:
        """ "inadequate for overall effectiveness in reports published in 2022"."""
        parts = []
        if self.grades:
            parts.append(" or ".join(self.grades))
        if self.every_area:
            parts.append("in every area")
        elif self.areas:
            parts.append("for " + " or ".join(AREA_NAMES.get(a, a) for a in self.areas))
        scope = "latest inspections" if self.latest else "reports"
        verb = "published" if self.year_kind == "publication" else "of inspections"
        if self.year_from is not None and self.year_from == self.year_to:
            scope += f" {verb} in {self.year_from}"
        elif self.year_from is not None and self.year_to is not None:
            scope += f" {verb} {self.year_from}-{self.year_to}"
        elif self.year_from is not None:
            scope += f" {verb} since {self.year_from}"
        elif self.year_to is not None:
            scope += f" {verb} up to {self.year_to}"
        if self.frameworks:
            scope += " under the " + " or ".join(FRAMEWORK_NAMES.get(f, f) for f in self.frameworks)
        return " ".join([*parts, f"in {scope}"]).strip()


@dataclass(frozen=True)
class Selection:
    """What a ``JudgementQuery`` found: rows in report order, the reports searched, and notes."""

    query: JudgementQuery
    rows: tuple[JudgementRow, ...]
    reports_in_scope: int
    notes: tuple[str, ...] = ()
    missing: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    @property
    def report_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.report_id for r in self.rows))

    @property
    def councils(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.local_authority for r in self.rows))

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": {
                "areas": list(self.query.areas),
                "grades": list(self.query.grades),
                "year_from": self.query.year_from,
                "year_to": self.query.year_to,
                "year_kind": self.query.year_kind,
                "councils": list(self.query.councils),
                "frameworks": list(self.query.frameworks),
                "latest": self.query.latest,
                "every_area": self.query.every_area,
                "description": self.query.describe(),
            },
            "reports_in_scope": self.reports_in_scope,
            "count_reports": len(self.report_ids),
            "count_councils": len(self.councils),
            "notes": list(self.notes),
            "rows": [row.as_dict() for row in self.rows],
        }


def to_csv(rows: Iterable[JudgementRow]) -> str:
    """The rows as CSV (``CSV_FIELDS``), for spreadsheets."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.as_dict())
    return out.getvalue()


def framework_of(info: ReportInfo, areas: Sequence[str]) -> str:
    """A report's framework from the areas it grades and its dates (see the module docstring)."""
    published = info.published or date.min
    if "adoption" in areas or "lscb" in areas:
        return "sif"
    if published < date(2014, 1, 1) or (published.year == 2014 and "help_and_protection" not in areas):
        return "lac" if "help_and_protection" not in areas else "sif"
    if published < date(2018, 1, 1):
        return "sif"
    if "overall_effectiveness" not in areas and published >= REFORM:
        return "ilacs-2026"
    return "ilacs"


class JudgementTable:
    """Every judgement of one index, read once; safe to share between threads (read-only)."""

    def __init__(self, index: Any, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        rows: list[JudgementRow] = []
        self.frameworks: dict[str, str] = {}
        self.graded: dict[str, tuple[str, ...]] = {}
        for info in sorted(catalogue.by_id.values(), key=_order):
            found = list(index.judgements(info.report_id))
            areas = tuple(j.area for j in found)
            framework = framework_of(info, areas)
            self.frameworks[info.report_id] = framework
            self.graded[info.report_id] = areas
            rows.extend(
                JudgementRow(
                    report_id=info.report_id,
                    local_authority=info.local_authority,
                    council_key=info.key,
                    published=info.published,
                    inspection_start=info.inspection_start,
                    inspection_end=info.inspection_end,
                    framework=framework,
                    area=j.area,
                    grade=j.grade,
                    text=j.text,
                    page=j.page,
                )
                for j in found
            )
        self.rows = tuple(rows)
        self._by_report: dict[str, list[JudgementRow]] = {}
        for row in rows:
            self._by_report.setdefault(row.report_id, []).append(row)

    def report_rows(self, report_id: str) -> list[JudgementRow]:
        return list(self._by_report.get(report_id, ()))

    def scope(self, query: JudgementQuery) -> list[ReportInfo]:
        """The reports a query looks at (before its grade and area tests), oldest first."""
        chosen = []
        for info in sorted(self.catalogue.by_id.values(), key=_order):
            if query.councils and info.key not in query.councils:
                continue
            if query.report_ids and info.report_id not in query.report_ids:
                continue
            if query.frameworks and self.frameworks.get(info.report_id) not in query.frameworks:
                continue
            if not _in_years(info, query):
                continue
            chosen.append(info)
        if query.latest:
            latest: dict[str, ReportInfo] = {}
            for info in chosen:
                latest[info.key] = info  # oldest first: the last one wins
            chosen = sorted(latest.values(), key=_order)
        return chosen

    def select(self, query: JudgementQuery) -> Selection:
        """The rows matching ``query``, with notes on areas some frameworks in scope did not grade."""
        reports = self.scope(query)
        wanted_grades = set(query.grades)
        rows: list[JudgementRow] = []
        missing: dict[str, int] = {}
        stood_in: dict[str, int] = {}
        for info in reports:
            own = self._by_report.get(info.report_id, [])
            if query.every_area:
                graded = [r for r in own if r.family != "not judged"]
                if graded and all(r.family in wanted_grades for r in graded):
                    rows.extend(graded)
                continue
            areas = query.areas or tuple(dict.fromkeys(r.area for r in own))
            for area in areas:
                row = next((r for r in own if r.area == area), None)
                if row is None and area in STANDS_IN:
                    stand_in = next((r for r in own if r.area == STANDS_IN[area]), None)
                    if stand_in is not None:
                        row = _replace_stands_in(stand_in, area)
                        stood_in[area] = stood_in.get(area, 0) + 1
                if row is None:
                    missing[area] = missing.get(area, 0) + 1
                    continue
                if wanted_grades and row.family not in wanted_grades:
                    continue
                rows.append(row)
        notes = self._notes(query, reports, missing, stood_in)
        return Selection(query, tuple(rows), len(reports), tuple(notes), missing)

    def _notes(
        self,
        query: JudgementQuery,
        reports: Sequence[ReportInfo],
        missing: dict[str, int],
        stood_in: dict[str, int],
    ) -> list[str]:
        notes = []
        for area, count in stood_in.items():
            notes.append(
                f"{count} report(s) in scope grade children in care and care leavers together (ILACS "
                f"2018-2023); their combined grade is used for {AREA_NAMES[area]}."
            )
        for area, count in missing.items():
            without = [r for r in reports if area not in self.graded.get(r.report_id, ())]
            frameworks = sorted({self.frameworks[r.report_id] for r in without})
            ungraded = [f for f in frameworks if area not in FRAMEWORK_AREAS.get(f, ())]
            name = AREA_NAMES.get(area, area)
            bare = name.removeprefix("the ")  # "no impact of leaders grade"
            if ungraded:
                where = " and the ".join(FRAMEWORK_NAMES[f] for f in ungraded)
                why = {
                    "overall_effectiveness": " (the April 2026 reform dropped it)",
                    "adoption": " (only the single inspection framework graded adoption separately)",
                    "lscb": " (the board was reviewed only under the single inspection framework)",
                }.get(area, "")
                notes.append(
                    f"{name.capitalize()} is not a judgement of the {where}{why}: {count} report(s) in scope "
                    f"have no {bare} grade."
                )
            else:
                notes.append(f"{count} report(s) in scope have no {bare} grade that could be read.")
        return notes


def _replace_stands_in(row: JudgementRow, area: str) -> JudgementRow:
    from dataclasses import replace

    return replace(row, stands_in_for=area)


def _in_years(info: ReportInfo, query: JudgementQuery) -> bool:
    if query.year_from is None and query.year_to is None:
        return True
    if query.year_kind == "inspection":
        year = info.inspection_year or (info.published.year if info.published else None)
    else:
        year = info.published.year if info.published else None
    if year is None:
        return False
    return (query.year_from is None or year >= query.year_from) and (
        query.year_to is None or year <= query.year_to
    )


def _order(info: ReportInfo) -> tuple[date, str]:
    return (info.published or date.min, info.report_id)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


@functools.lru_cache(maxsize=8)
def grade_sort_key(family: str) -> int:
    return GRADE_ORDER.index(family) if family in GRADE_ORDER else len(GRADE_ORDER)
