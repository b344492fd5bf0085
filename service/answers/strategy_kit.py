"""What the answer strategies of ``service.answers.strategies`` share: their case, reply, tools and shape.

A strategy is a small unit with a ``name``, ``applies(intent, plan)`` (reading only the parsed
``QueryIntent`` and the plan of which reports to read) and ``answer(case)`` returning a ``Reply``
(an answer, or a reasoned decision to decline) or None to let the next unit of the table answer.
``Case`` is one question being answered: its intent, plan and filters, and the passages retrieval
finds for it, searched on first use (so the strategies that answer from the judgements table never
search). ``Tools`` holds what every question shares: the index, the catalogue, the composer, the
retriever, the abstention gate, the optional LLM, and what is read from the index once, on first use
(the judgements table).
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

from service.answers.abstention import Abstainer
from service.answers.answering import Composer, Draft, judgement_sentence
from service.answers.asking import Ask
from service.answers.judgements import JudgementQuery, JudgementRow, JudgementTable
from service.answers.lexicon import IMPROVE_LIST
from service.answers.planning import Catalogue, Plan
from service.answers.query import SECTION_HINTS, QueryIntent
from service.answers.records import Filters, Passage
from service.answers.retrieval import Query, Retriever
from service.answers.text import clean_sentence


@dataclass
class Reply:
    """A strategy's answer: the draft to check and cite, the passages to show, and structured data.

    With no ``draft`` the reply declines, saying why (``reason``); the passages are still shown.
    ``data`` (structured answers only: lists, trends, summaries) travels in the response as it is.
    """

    draft: Draft | None
    data: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    reason: str | None = None


def declined(reason: str, passages: Sequence[Passage] = ()) -> Reply:
    """A reply that does not answer, with why and the nearest passages."""
    return Reply(None, reason=reason, passages=list(passages))


class Tools:
    """What strategies share: the index, the catalogue, the composer, the retriever, the gate, the LLM,
    and tables read on first use."""

    def __init__(
        self,
        index: Any,
        catalogue: Catalogue,
        composer: Composer,
        embedder: Any = None,
        *,
        retriever: Retriever | None = None,
        abstainer: Abstainer | None = None,
        llm: Any = None,
    ) -> None:
        self.index = index
        self.catalogue = catalogue
        self.composer = composer
        self.embedder = embedder
        self.retriever = retriever
        self.abstainer = abstainer
        self.llm = llm

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
        """The row's cited sentence, then the inspectors' words on it: for overall effectiveness the
        report's headline, for another area the first sentence of the area's own section
        ("Services for children in need of help and protection in Blackpool are inadequate because
        ..."), so that a list or a history of grades says why each was given."""
        cited = self.cite_row(draft, row)
        if cited is None:
            return []
        out = [(cited[0], [cited[1]])]
        if row.area != "overall_effectiveness":
            opening = self.composer.area_opening(row.report_id, row)
            if opening is not None:
                passage, start, stop = opening
                out.append((clean_sentence(passage.text[start:stop]), [self.composer.cite(draft, *opening)]))
        else:
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


@dataclass
class Case:
    """One question being answered: what was understood, and what retrieval finds, on first use.

    ``search`` retrieves for each target of the plan (the groups a comparison answers side by
    side); ``passages`` interleaves them; ``weak`` is the abstention gate's verdict on them, its
    features kept in ``trace``; ``improvement_list`` is the best report's own list of improvements.
    """

    tools: Tools
    intent: QueryIntent
    plan: Plan
    filters: Filters | None
    top_k: int
    search: Callable[[], list[list[Passage]]]
    use_llm: bool = True
    timings: dict[str, float] = field(default_factory=dict)
    trace: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what a unit that declined wants said (the LLM's failure)
    searching_s: float = 0.0  # time spent in ``search``, kept out of the composing time

    @functools.cached_property
    def groups(self) -> list[list[Passage]]:
        started = time.perf_counter()
        found = self.search()
        self.searching_s += time.perf_counter() - started
        return found

    @functools.cached_property
    def passages(self) -> list[Passage]:
        return interleave(self.groups, self.top_k * max(1, min(len(self.groups), 3)))

    @functools.cached_property
    def weak(self) -> str | None:
        assert self.tools.abstainer is not None
        return self.tools.abstainer.weak(self.intent, self.passages, self.trace)

    @functools.cached_property
    def improvement_list(self) -> Draft:
        """ "What needs to improve?": the items of the best report's list (about the topic, if named)."""
        best = [self.passages[0].report_id] if self.passages else []
        return self.tools.composer.section_list(best, IMPROVE_LIST, topic=self.intent.terms)


class Strategy(Protocol):
    name: str

    def applies(self, intent: QueryIntent, plan: Plan) -> bool: ...

    def answer(self, case: Case) -> Reply | None: ...


def retrieval_query(
    intent: QueryIntent,
    report_ids: tuple[str, ...] | None,
    filters: Filters | None,
    *,
    with_context: bool = False,
) -> Query:
    """What retrieval reads of an intent: its text, terms, aliases, phrases and sections, within
    ``report_ids``; ``with_context`` reads a follow-up with the earlier question it continues."""
    patterns = [p for name, _, p in SECTION_HINTS if name in intent.sections]
    if filters and filters.section:
        patterns.append(re.compile(re.escape(filters.section), re.I))
    return Query(
        text=intent.search_text if with_context else intent.question,
        terms=intent.terms,
        report_ids=report_ids,
        section_patterns=tuple(patterns),
        section_boost=1.0 if intent.asks_list else 0.25,
        summary_in_section=not intent.asks_list,
        phrases=intent.search_phrases if with_context else intent.phrases,
        aliases=intent.aliases,
        borrowed=intent.borrowed,
        tone=intent.wants.tone if intent.broad_tone or intent.area_tone else 0,
        subject=intent.slots[0] if patterns else (),
        change=intent.broad_change,
    )


def in_section(passages: list[Passage], filters: Filters | None) -> list[Passage]:
    """The passages of the section the caller's filter names (all of them when none is in it)."""
    if not (filters and filters.section):
        return passages
    wanted = filters.section.lower()
    return [p for p in passages if wanted in (p.section or "").lower()] or passages


def interleave(groups: Sequence[Sequence[Passage]], limit: int) -> list[Passage]:
    """Round-robin over groups, so a comparison's top passages include every side."""
    out: list[Passage] = []
    seen: set[str] = set()
    depth = max((len(g) for g in groups), default=0)
    for i in range(depth):
        for group in groups:
            if i < len(group) and group[i].chunk_id not in seen:
                seen.add(group[i].chunk_id)
                out.append(group[i])
    return out[:limit]


def cited_first(draft: Draft, passages: Sequence[Passage]) -> list[Passage]:
    """The passages the answer quotes, in citation order, then the rest as retrieved."""
    first: list[Passage] = []
    for n in sorted(draft.cited):
        passage = draft.cited[n]
        if all(p.chunk_id != passage.chunk_id for p in first):
            match = next((p for p in passages if p.chunk_id == passage.chunk_id), passage)
            first.append(match)
    seen = {p.chunk_id for p in first}
    return first + [p for p in passages if p.chunk_id not in seen]


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
