"""Every answer strategy, as one ordered table (``STRATEGIES``), and those that read the judgements table.

``QAService.ask`` walks ``STRATEGIES`` in order: the first unit whose ``applies(intent, plan)`` is
true and whose ``answer(case)`` returns a ``Reply`` (an answer, or a reasoned decision to decline)
decides; a unit that returns None passes the question on. Every unit reads the ``QueryIntent``
(``service.answers.understanding``), never the raw question. The table: the plan found no report
(``NoReport``), then the units below, which answer from the judgements table and whole reports
without searching, then those of ``service.answers.passage_strategies``, which read the passages
retrieval finds (a survey across councils, judgements, abstention, the LLM, comparison, the
improvement list, "which council", and the extractive answer that always answers).

The units here read the ``Ask`` the intent holds (``service.answers.asking``):

- ``GradeSurvey``: "which councils were judged inadequate in 2023?", "how many councils got
  outstanding for care leavers since 2020?": the complete list (or count) from the judgements table;
- ``CouncilTrend``: "how has Birmingham's grade changed?": one council's grades over its inspections;
- ``GradeChanges``: "which councils improved from inadequate to good?": consecutive inspections;
- ``GradeRuns``: "which councils were inadequate at two inspections in a row?", "which stayed good?";
- ``ReportSummary``: "summarise Southend's 2019 inspection": one report, as a news report would;
- ``RecurringThemes``: "what weaknesses come up most often in care leavers services?";
- ``CouncilFindings``: "which councils were criticised for drift?": every council, not the top few.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from typing import Any

from service.answers.answering import Draft, report_label
from service.answers.asking import Ask
from service.answers.council_findings import CouncilFindings
from service.answers.judgements import AREA_NAMES, JudgementQuery, JudgementRow, Selection, grade_sort_key
from service.answers.passage_strategies import (
    Abstention,
    Comparison,
    CouncilSurvey,
    Extractive,
    ImprovementList,
    Judgements,
    NoReport,
    NothingFound,
    WhichCouncil,
    Writer,
)
from service.answers.planning import Plan
from service.answers.query import QueryIntent
from service.answers.strategy_kit import Case, Reply, Strategy, Tools, judgement_query, query_params
from service.answers.summaries import ReportSummary
from service.answers.themes import RecurringThemes
from service.answers.trends import Change, Run, changes, history, path_text, runs

# Items of a list given in the chat answer; the whole list is in the response's data and as CSV.
SHOWN = 10


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _label(tools: Tools, row: JudgementRow) -> str:
    return report_label(tools.catalogue.by_id.get(row.report_id), None, lead=False)


class GradeSurvey:
    """A complete list, or a count, of reports by their grades, every item cited."""

    name = "grade-survey"

    def applies(self, intent: QueryIntent, plan: Plan) -> bool:
        return intent.ask is not None and intent.ask.kind in ("grades", "count") and not intent.ask.change

    def answer(self, case: Case) -> Reply | None:
        tools, intent, filters = case.tools, case.intent, case.filters
        assert intent.ask is not None
        query = judgement_query(intent, intent.ask, tools.catalogue, filters)
        selection = tools.table.select(query)
        if not query.grades and not query.every_area:
            return self._spread(tools, intent.ask, selection)
        draft = Draft()
        shown = _per_report(selection)
        head = self._headline(intent.ask, selection)
        draft.groups.append((head, []))
        for report_rows in shown[:SHOWN]:
            group = []
            for row in report_rows[:1] if query.every_area else report_rows:
                group.extend(tools.cite_graded(draft, row))
            if group:
                draft.groups.append((_label(tools, report_rows[0]), group))
        rest = shown[SHOWN:]
        for report_rows in rest:  # cited too, so the response's citations hold the whole list
            for row in report_rows[:1] if query.every_area else report_rows:
                tools.cite_row(draft, row)
        if rest:
            names = ", ".join(
                f"{rows[0].local_authority} ({rows[0].inspection_year or rows[0].publication_year})"
                for rows in rest
            )
            draft.groups.append((f"And {len(rest)} more: {names}.", []))
        if selection.notes:
            draft.groups.append(("Note: " + " ".join(selection.notes), []))
        data = selection.as_dict()
        data["kind"] = intent.ask.kind
        data["items"] = list(selection.report_ids)
        data["csv_url"] = f"/judgements?{query_params(query)}&format=csv"
        if len(shown) > SHOWN:
            draft.groups.append(
                (f"The whole list is in the response's data and as CSV: {data['csv_url']}", [])
            )
        return Reply(draft, data, notes=list(selection.notes))

    @staticmethod
    def _spread(tools: Tools, ask: Ask, selection: Selection) -> Reply:
        """ "What grades did councils get in 2023?": every report in scope, counted and listed by grade.

        Reports whose framework did not grade the area are named too (with what they were graded
        instead), so the answer accounts for every report in scope.
        """
        query = selection.query
        draft = Draft()
        by_grade: dict[str, list[JudgementRow]] = {}
        for row in selection.rows:
            by_grade.setdefault(row.family, []).append(row)
        graded = {r.report_id for r in selection.rows}
        in_scope = tools.table.scope(query)
        without = [info for info in in_scope if info.report_id not in graded]
        what = query.describe()
        order = sorted(by_grade, key=grade_sort_key)
        counts = ", ".join(f"{len(by_grade[g])} {g}" for g in order)
        scope = _plural(len(in_scope), "report")
        if by_grade:
            head = f"Grades {what} ({scope} in scope): {counts}."
        else:
            head = f"None of the {scope} in scope has a grade {what}."
        draft.groups.append((head, []))
        each = max(2, SHOWN // max(1, len(order)))  # items quoted per grade; the rest named
        for family in order:
            rows = by_grade[family]
            shown = 0
            draft.groups.append((f"{family.capitalize()} ({len(rows)}):", []))
            named = []
            for row in rows:
                cited = tools.cite_row(draft, row)  # every item cited: the response holds the whole list
                if cited is not None and shown < each:
                    draft.groups.append((_label(tools, row), [(cited[0], [cited[1]])]))
                    shown += 1
                else:
                    named.append(f"{row.local_authority} ({row.inspection_year or row.publication_year})")
            if named:
                more = "And " if len(named) < len(rows) else ""
                draft.groups.append((f"{more}{', '.join(named)}.", []))
        if without:
            names = ", ".join(f"{i.local_authority} ({i.label_year})" for i in without)
            draft.groups.append((f"No such grade in {_plural(len(without), 'report')}: {names}.", []))
            for info in without[:SHOWN]:  # what they were graded instead, cited
                rows = tools.table.report_rows(info.report_id)
                if rows:
                    cited = tools.cite_row(draft, rows[0])
                    if cited is not None:
                        draft.groups.append((_label(tools, rows[0]), [(cited[0], [cited[1]])]))
        if selection.notes:
            draft.groups.append(("Note: " + " ".join(selection.notes), []))
        data = selection.as_dict()
        data["kind"] = "spread"
        data["by_grade"] = {g: len(by_grade[g]) for g in order}
        data["without"] = [i.report_id for i in without]
        data["items"] = [i.report_id for i in in_scope]
        data["csv_url"] = f"/judgements?{query_params(query)}&format=csv"
        return Reply(draft, data, notes=list(selection.notes))

    @staticmethod
    def _headline(ask: Ask, selection: Selection) -> str:
        query = selection.query
        reports = len(selection.report_ids)
        councils = len(selection.councils)
        what = query.describe()
        scope = f"of {_plural(selection.reports_in_scope, 'report')} in scope"
        if not reports:
            return f"No report was judged {what} ({scope})."
        counted = _plural(councils, "council") + (
            f" ({_plural(reports, 'report')})" if reports != councils else ""
        )
        verb = "was" if councils == 1 else "were"
        first = f"; the first {SHOWN}" if reports > SHOWN else ""
        return f"{counted} {verb} judged {what} ({scope}){first}:"


def _per_report(selection: Selection) -> list[list[JudgementRow]]:
    grouped: dict[str, list[JudgementRow]] = {}
    for row in selection.rows:
        grouped.setdefault(row.report_id, []).append(row)
    return list(grouped.values())


class CouncilTrend:
    """One council's grades over its inspections, each cited, with the direction of the latest change."""

    name = "council-trend"

    def applies(self, intent: QueryIntent, plan: Plan) -> bool:
        return intent.ask is not None and intent.ask.kind == "trend" and len(intent.council_keys) == 1

    def answer(self, case: Case) -> Reply | None:
        tools, intent, filters = case.tools, case.intent, case.filters
        assert intent.ask is not None
        key = intent.council_keys[0]
        query = judgement_query(intent, intent.ask, tools.catalogue, filters)
        areas = query.areas or ("overall_effectiveness",)
        if "*" in intent.ask.areas:  # "how have X's judgements changed?": every area it was graded in
            graded = {
                r.area for info in tools.table.scope(query) for r in tools.table.report_rows(info.report_id)
            }
            areas = tuple(a for a in AREA_NAMES if a in graded)
        draft = Draft()
        data: dict[str, Any] = {"kind": "trend", "timeline": tools.timeline(key), "areas": {}, "items": []}
        name = tools.catalogue.gazetteer.display(key)
        for area in areas:
            rows = history(tools.table, query, area).get(key, [])
            data["areas"][area] = [r.as_dict() for r in rows]
            data["items"] += [r.report_id for r in rows if r.report_id not in data["items"]]
            if not rows:
                continue
            moves = [Change(a, b) for a, b in pairwise(rows)]
            summary = path_text(rows)
            if moves:
                last = moves[-1]
                verb = {"up": "up", "down": "down", "same": "unchanged"}[last.direction]
                summary += f"; {verb} at the latest inspection"
            draft.groups.append(
                (f"{name}'s {AREA_NAMES[area]} over {_plural(len(rows), 'inspection')}: {summary}.", [])
            )
            for row in rows:
                cited = tools.cite_graded(draft, row)
                if cited:
                    draft.groups.append((_label(tools, row), cited))
        if not draft.sentences:
            return None
        notes = [f"areas compared: {', '.join(AREA_NAMES[a] for a in areas)}"]
        return Reply(draft, data, notes=notes)


def _over_inspections(case: Case) -> tuple[Tools, Ask, str, JudgementQuery]:
    """What a question about each council's sequence of inspections reads: the tools, its ask, the
    one area it is about (overall effectiveness unless it names one) and the reports in scope with
    every grade kept (the sequence decides, not one grade)."""
    ask = case.intent.ask
    assert ask is not None
    query = judgement_query(case.intent, ask, case.tools.catalogue, case.filters)
    area = (query.areas or ("overall_effectiveness",))[0]
    return case.tools, ask, area, replace(query, grades=(), latest=False, every_area=False)


class GradeChanges:
    """Councils whose grade went up or down (or from one named grade to another) between inspections."""

    name = "grade-changes"

    def applies(self, intent: QueryIntent, plan: Plan) -> bool:
        ask = intent.ask
        return (
            ask is not None
            and not intent.council_keys
            and not ask.repeat
            and (ask.kind == "trend" or (ask.kind == "count" and bool(ask.change)))
        )

    def answer(self, case: Case) -> Reply | None:
        tools, ask, area, scope = _over_inspections(case)
        found = changes(
            tools.table,
            scope,
            area,
            direction=ask.change,
            from_grade=ask.from_grade,
            to_grade=ask.to_grade,
            latest_only=ask.latest,
        )
        draft = Draft()
        what = {"up": "went up", "down": "went down", None: "changed"}.get(ask.change, "changed")
        named = ""
        if ask.from_grade or ask.to_grade:
            named = f" from {ask.from_grade or 'any grade'} to {ask.to_grade or 'any grade'}"
        councils = list(dict.fromkeys(c.after.local_authority for c in found))
        head = (
            f"{_plural(len(councils), 'council')} {what}{named} for {AREA_NAMES[area]} between consecutive "
            f"inspections ({_plural(len(found), 'change')}"
            + (f"; the first {SHOWN}" if len(found) > SHOWN else "")
            + "):"
        )
        if not found:
            head = (
                f"No council's {AREA_NAMES[area]} {what}{named} between consecutive inspections in the index."
            )
        draft.groups.append((head, []))
        for change in found[:SHOWN]:
            group = []
            for row in (change.before, change.after):
                cited = tools.cite_row(draft, row)
                if cited is not None:
                    group.append((cited[0], [cited[1]]))
            label = f"{change.after.local_authority}: {path_text((change.before, change.after))}:"
            if group:
                draft.groups.append((label, group))
        for change in found[SHOWN:]:  # cited too: the response's citations hold every change
            for row in (change.before, change.after):
                tools.cite_row(draft, row)
        if len(found) > SHOWN:
            rest = ", ".join(c.after.local_authority for c in found[SHOWN:])
            draft.groups.append((f"And {len(found) - SHOWN} more: {rest}.", []))
        data = {
            "kind": "changes",
            "area": area,
            "direction": ask.change,
            "from_grade": ask.from_grade,
            "to_grade": ask.to_grade,
            "count_councils": len(councils),
            "items": list(dict.fromkeys(r.report_id for c in found for r in (c.before, c.after))),
            "changes": [
                {"before": c.before.as_dict(), "after": c.after.as_dict(), "direction": c.direction}
                for c in found
            ],
        }
        return Reply(draft, data)


class GradeRuns:
    """Councils graded the same at several inspections (in a row, or any), every inspection cited."""

    name = "grade-runs"

    def applies(self, intent: QueryIntent, plan: Plan) -> bool:
        ask = intent.ask
        return ask is not None and not intent.council_keys and ask.repeat > 0

    def answer(self, case: Case) -> Reply | None:
        tools, ask, area, scope = _over_inspections(case)
        grade = ask.grades[0] if ask.grades else None
        found: list[Run] = runs(
            tools.table,
            scope,
            area,
            grade=grade,
            repeat=ask.repeat,
            consecutive=ask.consecutive,
            latest_only=ask.latest,
        )
        how = "consecutive inspections" if ask.consecutive else "inspections"
        what = f"judged {grade or 'the same'} for {AREA_NAMES[area]} at {ask.repeat} or more {how}"
        if ask.latest:
            what += " up to their latest inspection"
        councils = list(dict.fromkeys(r.council for r in found))
        draft = Draft()
        if found:
            more = f"; the first {SHOWN}" if len(found) > SHOWN else ""
            verb = "was" if len(councils) == 1 else "were"
            draft.groups.append((f"{_plural(len(councils), 'council')} {verb} {what}{more}:", []))
        else:
            draft.groups.append((f"No council was {what} in the index.", []))
        for run in found[:SHOWN]:
            group = []
            for row in run.rows:
                cited = tools.cite_row(draft, row)
                if cited is not None:
                    group.append((cited[0], [cited[1]]))
            if group:
                draft.groups.append((f"{run.council}: {path_text(run.rows)}:", group))
        for run in found[SHOWN:]:  # cited too: the response's citations hold every inspection
            for row in run.rows:
                tools.cite_row(draft, row)
        if len(found) > SHOWN:
            rest = ", ".join(r.council for r in found[SHOWN:])
            draft.groups.append((f"And {len(found) - SHOWN} more: {rest}.", []))
        data = {
            "kind": "runs",
            "area": area,
            "grade": grade,
            "repeat": ask.repeat,
            "consecutive": ask.consecutive,
            "count_councils": len(councils),
            "items": list(dict.fromkeys(row.report_id for r in found for row in r.rows)),
            "runs": [[row.as_dict() for row in r.rows] for r in found],
        }
        return Reply(draft, data)


STRATEGIES: tuple[Strategy, ...] = (
    NoReport(),
    # from the judgements table and whole reports, without searching
    GradeRuns(),
    GradeChanges(),
    CouncilTrend(),
    GradeSurvey(),
    ReportSummary(),
    RecurringThemes(),
    CouncilFindings(),
    # from the passages retrieval finds
    CouncilSurvey(),
    NothingFound(),
    Judgements(),
    Abstention(),
    Writer(),
    Comparison(),
    ImprovementList(),
    WhichCouncil(),
    Extractive(),
)


def walk(case: Case, table: tuple[Strategy, ...] = STRATEGIES) -> tuple[Strategy, Reply]:
    """The first unit of ``table`` that applies to the case and replies, with its reply."""
    for strategy in table:
        if strategy.applies(case.intent, case.plan):
            reply = strategy.answer(case)
            if reply is not None:
                return strategy, reply
    raise LookupError("no strategy answered: the table must end with one that always does")
