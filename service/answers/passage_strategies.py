"""Answer strategies that read the passages retrieval finds: units of ``service.answers.strategies``' table.

In the table's order (each reads the intent and the plan; the first reply ends the walk):

- ``NoReport``: the plan found no report for the named council or year: decline, with the nearest passages;
- ``CouncilSurvey``: "which councils ...?" on a topic: one cited sentence from each of up to five councils;
- ``NothingFound``: retrieval found no passage in the selected reports: decline;
- ``Judgements``: "what was X's grade?": the judgements parsed at index time, each cited;
- ``Abstention``: the evidence does not answer (``service.answers.abstention``): decline, saying why;
- ``Writer``: the optional LLM writes the answer from numbered passages, every sentence checked;
- ``Comparison``: several councils or inspections: sentences of each, side by side;
- ``ImprovementList``: "what needs to improve?": the report's own list, or the items on the topic asked;
- ``WhichCouncil``: "which council ...?": the one report that fits best, named by its title;
- ``Extractive``: the sentences that best answer the question, from the best passages.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from inspectqa.errors import InspectQAError
from service.answers.answering import Draft, pretty_date
from service.answers.lexicon import IMPROVE_HINT
from service.answers.planning import Catalogue, Plan
from service.answers.query import QueryIntent
from service.answers.records import Passage
from service.answers.strategy_kit import (
    Case,
    Reply,
    cited_first,
    declined,
    in_section,
    interleave,
    retrieval_query,
)

if TYPE_CHECKING:
    from indexer.backend import SearchIndex

# "Which councils ...?": candidates × this, councils weighed, passages kept per council.
SURVEY_WIDEN = 3
SURVEY_COUNCILS = 8
SURVEY_PER_COUNCIL = 2
NO_SENTENCE = "No sentence of the retrieved passages answers the question."


def composed(draft: Draft, passages: list[Passage]) -> Reply:
    """An extracted draft as a reply: its cited passages first; declined when it holds no sentence."""
    if not draft.sentences:
        return declined(NO_SENTENCE, passages)
    return Reply(draft, passages=cited_first(draft, passages))


class NoReport:
    """The council or year named has no report in the index: say so, with the nearest passages."""

    name = "no-report"

    def applies(self, intent: QueryIntent, plan: Plan) -> bool:
        return plan.abstain_reason is not None

    def answer(self, case: Case) -> Reply | None:
        assert case.plan.abstain_reason is not None and case.tools.retriever is not None
        started = time.perf_counter()
        query = retrieval_query(case.intent, None, None)
        nearest = case.tools.retriever.search(query, case.top_k)
        case.timings["retrieve_ms"] = _ms(started)
        return declined(case.plan.abstain_reason, nearest)


class CouncilSurvey:
    """ "Which councils ...?": the best passages of many councils, one cited sentence each.

    Retrieval looks at a wider pool than for a single answer, keeps the best passage of each
    report and at most ``SURVEY_PER_COUNCIL`` per council, so one council's several inspections
    cannot fill the list. Councils are ordered by evidence; when two are equally strong, the more
    recent inspection comes first.
    """

    name = "council-survey"

    def applies(self, intent: QueryIntent, plan: Plan) -> bool:
        return intent.asks_which_councils and not intent.places

    def answer(self, case: Case) -> Reply | None:
        tools, intent = case.tools, case.intent
        assert tools.retriever is not None and tools.abstainer is not None
        vector = tools.retriever.encode(intent.question)
        started = time.perf_counter()
        query = retrieval_query(intent, case.plan.report_ids, case.filters)
        ranked = in_section(tools.retriever.ranked(query, vector, widen=SURVEY_WIDEN), case.filters)
        by_council: dict[str, list[Passage]] = {}
        seen_reports: set[str] = set()
        for passage in ranked:
            if passage.report_id in seen_reports:
                continue
            info = tools.catalogue.by_id.get(passage.report_id)
            key = info.key if info else passage.local_authority.lower()
            group = by_council.setdefault(key, [])
            if len(group) < SURVEY_PER_COUNCIL:
                group.append(passage)
                seen_reports.add(passage.report_id)
        councils = sorted(
            by_council.values(),
            key=lambda g: (-round(g[0].score, 3), -_published_ordinal(tools.catalogue, g[0].report_id)),
        )[:SURVEY_COUNCILS]
        case.timings["retrieve_ms"] = _ms(started)
        leading = [g[0] for g in councils]
        passages = leading + [p for g in councils for p in g[1:]]
        if not passages:
            return declined("No passage matches the question.")
        started = time.perf_counter()
        weak = tools.abstainer.weak(intent, leading, case.trace)
        draft = None if weak else tools.composer.survey(intent, councils, max_councils=5)
        case.timings["compose_ms"] = _ms(started)
        shown = passages[: max(case.top_k, len(leading))]
        if draft is None or not draft.sentences:
            return declined(weak or NO_SENTENCE, shown)
        return Reply(draft, passages=cited_first(draft, shown))


class NothingFound:
    """Retrieval found no passage in the reports the question selects."""

    name = "nothing-found"

    def applies(self, intent: QueryIntent, plan: Plan) -> bool:
        return True

    def answer(self, case: Case) -> Reply | None:
        if case.passages:
            return None
        return declined("No passage of the selected reports matches the question.")


class Judgements:
    """Grades from the judgements table, each cited to the report text that states it."""

    name = "judgements"

    def applies(self, intent: QueryIntent, plan: Plan) -> bool:
        return intent.is_judgement

    def answer(self, case: Case) -> Reply | None:
        intent, passages, index = case.intent, case.passages, case.tools.index
        ids = [r for t in case.plan.targets for r in (t.report_ids or ())]
        if not ids:
            ids = list(dict.fromkeys(p.report_id for p in passages[:1]))
        if intent.wants.overall and intent.judgement_areas == ("overall_effectiveness",):
            areas = [{j.area for j in index.judgements(r)} for r in ids]
            if areas and all(a and "overall_effectiveness" not in a for a in areas):
                # Inspections from April 2026 judge four areas and give no overall grade.
                return declined(
                    "The report gives no overall effectiveness grade "
                    "(the framework in use from April 2026 awards none).",
                    passages,
                )
        draft = case.tools.composer.judgements(intent, ids, passages)
        return Reply(draft, passages=cited_first(draft, passages)) if draft.sentences else None


class Abstention:
    """The passages found do not answer the question (``Case.weak``): decline, saying why.

    "What needs to improve in X?" is answered by the report's own list whatever words it uses, so
    a council's list, when it has items, is not held to the gate.
    """

    name = "abstention"

    def applies(self, intent: QueryIntent, plan: Plan) -> bool:
        return True

    def answer(self, case: Case) -> Reply | None:
        intent = case.intent
        if intent.asks_list and intent.places and len(case.groups) == 1 and case.improvement_list.sentences:
            return None
        return declined(case.weak, case.passages) if case.weak else None


class Writer:
    """The optional LLM: an answer written from numbered passages, every sentence checked."""

    name = "llm"

    def applies(self, intent: QueryIntent, plan: Plan) -> bool:
        return True

    def answer(self, case: Case) -> Reply | None:
        llm = case.tools.llm
        if llm is None or not case.use_llm:
            return None
        draft = llm.answer(case.intent.original, case.passages, case.tools.composer)
        if draft is None:
            return None
        case.notes.extend(draft.notes)  # also why it gave no answer, when the passages' turn comes
        return Reply(draft, passages=cited_first(draft, case.passages)) if draft.sentences else None


class Comparison:
    """Several councils or inspections: up to three sentences of each, side by side.

    Each side's three passages are those of its first ``RERANK_DEPTH`` whose best sentence is
    likeliest to answer (``Composer.rerank``, as for a single answer), not its first three as
    retrieved: a side is retrieved on the question's words alone, and its passage that states
    the finding asked for ("agency workers still occupy 47% of roles") is often its fourth or
    fifth, behind passages that name the topic in passing.
    """

    name = "comparison"

    def applies(self, intent: QueryIntent, plan: Plan) -> bool:
        return len(plan.targets) > 1

    def answer(self, case: Case) -> Reply | None:
        composer, intent = case.tools.composer, case.intent
        groups = [composer.rerank(intent, g, RERANK_DEPTH, keep=3)[:3] for g in case.groups]
        pool = interleave(groups, 12)
        limit = min(6, 3 * len(groups))
        draft = composer.extractive(intent, pool, per_report=3, max_sentences=limit)
        return composed(draft, case.passages)


class ImprovementList:
    """ "What needs to improve?": the items of the report's list, in order (those about the topic named).

    With a topic ("what still needs to improve about supervision?") the items about it are
    followed by the report's findings on that topic from its body (shortfalls, when the question
    asks for them), up to ``ANSWER_SENTENCES`` in all: the item names what to improve, the
    findings say what was found. When no item is about
    the topic, the best sentences on the topic answer instead, the list no longer favoured; a
    question naming no topic gets the list, or up to six sentences of the best passages.
    """

    name = "improvement-list"

    def applies(self, intent: QueryIntent, plan: Plan) -> bool:
        return intent.asks_list

    def answer(self, case: Case) -> Reply | None:
        listed = case.improvement_list
        composer, intent, passages = case.tools.composer, case.intent, case.passages
        if listed.sentences:
            room = ANSWER_SENTENCES - len(listed.sentences)
            topic = composer.list_topic(intent.terms)
            if room > 0 and topic:
                # "What still needs to improve about supervision?": the list's item on it, then
                # the report's findings on that topic behind it (its body, not the list again).
                best = passages[0].report_id
                body = [
                    p for p in passages if p.report_id == best and not IMPROVE_HINT.search(p.section or "")
                ]
                on_topic = replace(intent, sections=tuple(s for s in intent.sections if s != "improve"))
                extra = composer.extractive(on_topic, body[:4], per_report=room, max_sentences=room)
                composer.append(listed, extra, topic, intent.wants.tone)
            return Reply(listed, passages=cited_first(listed, case.passages))
        if composer.list_topic(intent.terms):
            intent = replace(intent, sections=tuple(s for s in intent.sections if s != "improve"))
            draft = composer.extractive(intent, passages[:4], per_report=3, max_sentences=3)
        else:
            draft = composer.extractive(intent, passages[:3], per_report=6, max_sentences=6)
        return composed(draft, passages)


class WhichCouncil:
    """ "Which council ...?": the report that best matches, not several, named as its own title does
    ("Durham County Council")."""

    name = "which-council"

    def applies(self, intent: QueryIntent, plan: Plan) -> bool:
        return intent.asks_which_council and not intent.places

    def answer(self, case: Case) -> Reply | None:
        passages, tools = case.passages, case.tools
        best = passages[0].report_id
        pool = [p for p in passages[:4] if p.report_id == best]
        draft = tools.composer.extractive(case.intent, pool, per_report=3, max_sentences=3)
        title = _title(tools.index, best)
        if title and draft.groups:
            info = tools.catalogue.by_id.get(best)
            when = f"{info.label_year} inspection, " if info and info.label_year else ""
            published = pretty_date(info.published) if info else "date unknown"
            draft.groups[0] = (
                f"The report “{title}” ({when}published {published}) says:",
                draft.groups[0][1],
            )
        return composed(draft, passages)


# The four passages read are those of the first six retrieved whose best sentence is likeliest to
# answer (``Composer.rerank``): a passage ranked fifth or sixth whose sentence answers better is
# quoted.
RERANK_DEPTH = 6
# Sentences an extractive answer quotes, at most (and at most this many of one report). Four, not
# three: a question has several findings that answer it and the gold asks for one of them, so a
# fourth sentence holds it more often: key facts users-tune 0.808 → 0.822, users-tune-body 0.830 →
# 0.851, users-tune2 0.537 → 0.562; measured after, held-out 0.840 → 0.840, blind 0.577 → 0.615,
# blind2 0.338 → 0.350, dev unchanged at 0.932.
ANSWER_SENTENCES = 4


class Extractive:
    """Up to ``ANSWER_SENTENCES`` sentences that best answer the question, from the four best
    passages (of the first ``RERANK_DEPTH``, by their best sentence)."""

    name = "extractive"

    def applies(self, intent: QueryIntent, plan: Plan) -> bool:
        return True

    def answer(self, case: Case) -> Reply | None:
        composer = case.tools.composer
        passages = composer.rerank(case.intent, case.passages, RERANK_DEPTH, keep=4)
        draft = composer.extractive(
            case.intent, passages[:4], per_report=ANSWER_SENTENCES, max_sentences=ANSWER_SENTENCES
        )
        return composed(draft, passages)


def _title(index: SearchIndex, report_id: str) -> str | None:
    """The first line of a report's first page: its title, naming the council."""
    try:
        text = index.page_text(report_id, 1)
    except InspectQAError:
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines and len(lines[0].split()) <= 14 else None


def _published_ordinal(catalogue: Catalogue, report_id: str) -> int:
    info = catalogue.by_id.get(report_id)
    return info.published.toordinal() if info and info.published else 0


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
