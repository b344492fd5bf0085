"""What the answer strategies of ``service.answers.strategies`` share: their reply, their tools, their shape.

A strategy is a small unit with a ``name``, ``applies(intent)`` (reading only the parsed
``QueryIntent``) and ``answer(tools, intent, plan, filters)`` returning a ``Reply`` or None to
let the next unit (and in the end text retrieval) answer. ``Tools`` holds the index, the
catalogue, the composer and what is read from the index once, on first use (the judgements table).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

from service.answers.answering import Composer, Draft, judgement_sentence
from service.answers.asking import Ask
from service.answers.judgements import JudgementQuery, JudgementRow, JudgementTable
from service.answers.planning import Catalogue, Plan
from service.answers.query import QueryIntent
from service.answers.records import Filters, Passage
from service.answers.text import clean_sentence


@dataclass
class Reply:
    """A strategy's answer: the draft to check and cite, the passages quoted, and structured data."""

    draft: Draft
    data: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)


class Tools:
    """What strategies share: the index, the catalogue, the composer, and tables read on first use."""

    def __init__(self, index: Any, catalogue: Catalogue, composer: Composer, embedder: Any = None) -> None:
        self.index = index
        self.catalogue = catalogue
        self.composer = composer
        self.embedder = embedder

        # Sentence -> vector, for themes: a topic asked again is not embedded again (bounded).
        self.vectors: dict[str, Any] = {}
        # (chunk id, sentence start) -> the sentence's tone (``service.answers.tone``), for themes.
        self.tones: dict[tuple[str, int], float] = {}

    @functools.cached_property
    def table(self) -> JudgementTable:
        return JudgementTable(self.index, self.catalogue)

    @functools.cached_property
    def _row_reports(self) -> dict[int, str]:
        rows: dict[int, str] = {}
        for report_id in self.catalogue.by_id:
            for row in self.index.chunk_ids_for_reports([report_id]).tolist():
                rows[int(row)] = report_id
        return rows

    def report_of_row(self, row: int) -> str:
        """The report a chunk's row id belongs to."""
        return self._row_reports.get(row, "")

    def cite_row(self, draft: Draft, row: JudgementRow) -> tuple[str, int] | None:
        """The row's sentence as the report states it, cited: ("Overall effectiveness: good.", n)."""
        located = self.composer.locate(row.report_id, row.text, row.page, ())
        if located is None:
            return None
        passage, start, end = located
        n = self.composer.cite(draft, passage, start, end)
        return judgement_sentence(passage.text[start:end], row.grade), n

    def cite_graded(self, draft: Draft, row: JudgementRow) -> list[tuple[str, list[int]]]:
        """The row's cited sentence and, for overall effectiveness, the report's headline after it."""
        cited = self.cite_row(draft, row)
        if cited is None:
            return []
        out = [(cited[0], [cited[1]])]
        if row.area == "overall_effectiveness":
            passage = draft.cited[cited[1]]
            end = passage.text.find(draft.citations[cited[1] - 1].quote) + len(
                draft.citations[cited[1] - 1].quote
            )
            headline = self.composer.headline(passage, end)
            if headline is not None:
                found, start, stop = headline
                out.append(
                    (clean_sentence(found.text[start:stop]), [self.composer.cite(draft, found, start, stop)])
                )
        return out

    def timeline(self, key: str) -> dict[str, Any]:
        """A council's every inspection with its grades, oldest first (``GET /councils/{name}``)."""
        reports = self.catalogue.council_reports(key)
        name = reports[0].local_authority if reports else self.catalogue.gazetteer.display(key)
        inspections = []
        for info in reports:
            rows = self.table.report_rows(info.report_id)
            inspections.append(
                {
                    "report_id": info.report_id,
                    "publication_date": info.published.isoformat() if info.published else None,
                    "inspection_start": info.inspection_start.isoformat() if info.inspection_start else None,
                    "inspection_end": info.inspection_end.isoformat() if info.inspection_end else None,
                    "year": info.label_year,
                    "framework": self.table.frameworks.get(info.report_id),
                    "judgements": [row.as_dict() for row in rows],
                }
            )
        return {"local_authority": name, "key": key, "inspections": inspections}


class Strategy(Protocol):
    name: str

    def applies(self, intent: QueryIntent) -> bool: ...

    def answer(
        self, tools: Tools, intent: QueryIntent, plan: Plan, filters: Filters | None
    ) -> Reply | None: ...


def judgement_query(
    intent: QueryIntent, ask: Ask, catalogue: Catalogue, filters: Filters | None
) -> JudgementQuery:
    """The table filters a question (and the caller's explicit filters) ask for."""
    filters = filters or Filters()
    years = sorted({y.year for y in intent.years})
    year_from = min(years) if years else intent.year_from
    year_to = max(years) if years else intent.year_to
    if filters.year_from is not None:
        year_from = max(filters.year_from, year_from) if year_from is not None else filters.year_from
    if filters.year_to is not None:
        year_to = min(filters.year_to, year_to) if year_to is not None else filters.year_to
    councils: list[str] = list(intent.council_keys)
    for name in filters.local_authority:
        councils.extend(k for k in catalogue.resolve_council(name) if k not in councils)
    areas = ask.areas if ask.areas and "*" not in ask.areas else ()
    if not areas and not ask.every_area and "*" not in ask.areas:
        areas = ("overall_effectiveness",)
    return JudgementQuery(
        areas=areas,
        grades=ask.grades,
        year_from=year_from,
        year_to=year_to,
        year_kind=ask.year_kind,
        councils=tuple(councils),
        report_ids=tuple(filters.report_id),
        frameworks=ask.frameworks,
        latest=ask.latest,
        every_area=ask.every_area and bool(ask.grades),
    )


def query_params(query: JudgementQuery) -> str:
    """The ``GET /judgements`` query string for a ``JudgementQuery``."""
    params: list[tuple[str, str]] = [("area", a) for a in query.areas]
    params += [("grade", g) for g in query.grades]
    params += [("local_authority", c) for c in query.councils]
    params += [("framework", f) for f in query.frameworks]
    if query.year_from is not None:
        params.append(("year_from", str(query.year_from)))
    if query.year_to is not None:
        params.append(("year_to", str(query.year_to)))
    if query.year_kind != "publication":
        params.append(("year_kind", query.year_kind))
    if query.latest:
        params.append(("latest", "true"))
    if query.every_area:
        params.append(("every_area", "true"))
    return urlencode(params)
