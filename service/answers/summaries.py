"""Whole-report summaries: "summarise X's 2019 inspection", "main strengths and weaknesses", "how did X do".

Answered the way a news report summarises an inspection, every sentence the report's own and cited:
the grades (overall effectiveness first, each with the text that states it) and the headline
sentence after them; then, for the report's summary and each judgement area's section, its main
strength and its main weakness (the first sentence of that section stating one, in the report's
order: inspectors open each section with its verdict); then the first items of what needs to
improve. The chat text stays within about a minute's reading (``WORDS``); the response's data holds
the longer detail (up to ``DETAIL`` strengths and weaknesses per area, the whole improvement list),
each sentence cited as well.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

from service.answers.answering import Draft, report_label
from service.answers.judgements import AREA_NAMES
from service.answers.lexicon import IMPROVE_LIST
from service.answers.lists import list_items, list_spans
from service.answers.planning import Plan, ReportInfo
from service.answers.query import SECTION_HINTS, QueryIntent
from service.answers.quoting import REFERENCE_ONLY, prose_like, quote_span
from service.answers.records import Passage
from service.answers.retrieval import passage_from_chunk
from service.answers.strategy_kit import Case, Reply, Tools
from service.answers.text import clean_sentence, sentence_spans
from service.answers.tone import heading_like, list_ranges, sentence_tone

WORDS = 230  # about a minute's reading
DETAIL = 3  # strengths and weaknesses per area in the response's data
IMPROVE_SHOWN = 2
SUMMARY = re.compile(
    r"summary of (?:key )?findings|executive summary|headline|services in .+ (?:are|is|require)"
    # An ILACS report opens, under its title, with the inspectors' headline paragraphs.
    r"|^inspection of .+ children['’]s services$",
    re.I,
)
# A section's area, by its title (the query module's section patterns, combined area first).
_HINTS = {name: title for name, _, title in SECTION_HINTS}
AREA_SECTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("summary", SUMMARY),
    ("children_in_care_and_care_leavers", re.compile(r"children in care and care leavers", re.I)),
    ("care_leavers", re.compile(r"\bcare leavers?\b|leaving care", re.I)),
    ("adoption", re.compile(r"\badoption\b", re.I)),
    ("children_in_care", _HINTS["children_in_care"]),
    ("help_and_protection", re.compile(r"help and protection", re.I)),
    ("impact_of_leaders", re.compile(r"impact of leaders|leadership, management", re.I)),
    ("lscb", re.compile(r"safeguarding children board|\bLSCB\b", re.I)),
)


def section_area(title: str) -> str | None:
    for area, pattern in AREA_SECTIONS:
        if pattern.search(title or ""):
            return area
    return None


class ReportSummary:
    """One report: its grades, headline, main strengths and weaknesses per area, what needs to improve."""

    name = "report-summary"

    def applies(self, intent: QueryIntent, plan: Plan) -> bool:
        return intent.ask is not None and intent.ask.kind == "summary" and len(intent.council_keys) == 1

    def answer(self, case: Case) -> Reply | None:
        tools, intent, plan = case.tools, case.intent, case.plan
        ids = [r for t in plan.targets for r in (t.report_ids or ())]
        infos = sorted(
            (tools.catalogue.by_id[r] for r in ids if r in tools.catalogue.by_id),
            key=lambda i: (i.published or i.inspection_end or date.min, i.report_id),
        )
        if not infos:
            return None
        info = infos[-1]
        notes = []
        if len(infos) > 1:
            notes.append(f"several reports match: summarising the latest, {info.report_id}")
        return summarise(tools, intent, info, notes)


def summarise(tools: Tools, intent: QueryIntent, info: ReportInfo, notes: list[str]) -> Reply:
    composer = tools.composer
    graded = replace(intent, judgement_areas=("*",))
    draft = composer.judgements(graded, [info.report_id], ())
    if not draft.groups:
        draft.groups.append((report_label(info, None, lead=True), []))
    words = _words(draft)
    chunks = sorted(
        tools.index.chunks(list(tools.index.chunk_ids_for_reports([info.report_id]))), key=lambda c: c.start
    )
    passages = [passage_from_chunk(c, 0.0) for c in chunks]
    grades = {r.area: r.grade for r in tools.table.report_rows(info.report_id)}
    findings = _findings(passages)
    improve = [item[0][2:] for item in list_items(list_spans(chunks, IMPROVE_LIST)) if item]
    # The chat text first (so its citations read 1, 2, 3 ...): each area's first strength and first
    # weakness while within a minute's reading, then the first items of what needs to improve.
    quoted = {(c.chunk_id, c.quote) for c in draft.citations}
    for area, found in findings.items():
        # The first strength and weakness not already quoted (the headline after the grade).
        fresh = {
            kind: [f for f in found[kind] if (f[0].chunk_id, f[0].text[f[1] : f[2]]) not in quoted]
            for kind in ("strengths", "weaknesses")
        }
        chosen = [fresh[kind][0] for kind in ("strengths", "weaknesses") if fresh[kind]]
        cost = sum(len(p.text[a:b].split()) for p, a, b in chosen)
        if not chosen or words + cost > WORDS:
            continue
        words += cost
        group = [(clean_sentence(p.text[a:b]), [composer.cite(draft, p, a, b)]) for p, a, b in chosen]
        label = "In summary:" if area == "summary" else f"On {AREA_NAMES[area]}:"
        draft.groups.append((label, group))
    if improve:
        shown = [
            (clean_sentence(p.text[a:b]), [composer.cite(draft, p, a, b)])
            for p, a, b in improve[:IMPROVE_SHOWN]
        ]
        more = f" (the first {len(shown)} of {len(improve)})" if len(improve) > len(shown) else ""
        draft.groups.append((f"What needs to improve{more}:", shown))
    # The longer detail, every sentence cited too (a sentence already cited keeps its number).
    detail: list[dict[str, Any]] = []
    for area, found in findings.items():
        entry: dict[str, Any] = {
            "area": area,
            "name": AREA_NAMES.get(area, "summary"),
            "grade": grades.get(area),
        }
        for kind in ("strengths", "weaknesses"):
            entry[kind] = [_cited(composer, draft, p, a, b) for p, a, b in found[kind][:DETAIL]]
        detail.append(entry)
    improvements = [_cited(composer, draft, p, a, b) for p, a, b in improve]
    data = {
        "kind": "summary",
        "report_id": info.report_id,
        "items": [info.report_id],
        "local_authority": info.local_authority,
        "grades": [row.as_dict() for row in tools.table.report_rows(info.report_id)],
        "areas": detail,
        "improve": improvements,
        "timeline": tools.timeline(info.key),
    }
    return Reply(draft, data, notes=notes)


def _findings(passages: list[Passage]) -> dict[str, dict[str, list[tuple[Passage, int, int]]]]:
    """Per area section, in the report's order: its sentences stating a strength, and a weakness."""
    out: dict[str, dict[str, list[tuple[Passage, int, int]]]] = {}
    for passage in passages:
        area = section_area(passage.section)
        if area is None or IMPROVE_LIST.search(passage.section or ""):
            continue
        found = out.setdefault(area, {"strengths": [], "weaknesses": []})
        ranges = list_ranges(passage.text)
        for span in sentence_spans(passage.text):
            start, end = quote_span(passage.text, *span)
            sentence = passage.text[start:end]
            if not prose_like(sentence) or REFERENCE_ONLY.fullmatch(sentence) or heading_like(sentence):
                continue
            if len(sentence.split()) < 6:
                continue
            tone = sentence_tone(sentence, passage.section, ranges, start)
            if tone > 0:
                found["strengths"].append((passage, start, end))
            elif tone < 0:
                found["weaknesses"].append((passage, start, end))
    return out


def _cited(composer: Any, draft: Draft, passage: Passage, start: int, end: int) -> dict[str, Any]:
    return {
        "text": clean_sentence(passage.text[start:end]),
        "citation": composer.cite(draft, passage, start, end),
    }


def _words(draft: Draft) -> int:
    return sum(len(sentence.split()) for sentence, _ in draft.sentences)
