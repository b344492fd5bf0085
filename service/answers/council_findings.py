"""Every council whose reports state a shortfall (or a strength) on a topic, not the best few passages.

"Which councils were criticised for drift in care proceedings?" and "which councils were praised
for their work with care leavers?" want a complete list: text retrieval finds the five councils
whose passages score best, and a reader cannot tell the other councils apart from those the
reports clear. Here every report in scope is read the way recurring themes read them
(``service.answers.themes.gather``: each report's passages on the topic, every sentence scored for
the topic and its tone, each report's strongest sentences kept, boilerplate dropped); a sentence
counts when its own words state the shortfall (or strength), or it is an item of a "what needs to
improve" (or strengths) list, and every council with such a sentence is listed, each with its
strongest sentence cited. The answer says how many reports were read; the rest of the list is
named and cited in the response.
"""

from __future__ import annotations

from typing import Any

from service.answers.answering import Draft, report_label
from service.answers.planning import Plan
from service.answers.query import QueryIntent
from service.answers.strategy_kit import Case, Reply
from service.answers.themes import Finding, gather, topic_of
from service.answers.tone import agreement, list_ranges, tone

SHOWN = 10  # councils quoted in the chat answer; the whole list is in the response's data


def states_it(finding: Finding, wanted: int) -> bool:
    """Whether the sentence itself states a shortfall (``wanted`` -1) or a strength (+1).

    Themes accept a sentence for where it stands (a "what needs to improve" section), but naming a
    council as criticised needs the sentence's own words, or its being an item of such a list.
    """
    words = tone(finding.passage.text[finding.start : finding.end])
    if agreement(wanted, words) > 0:
        return True
    if words:
        return False
    return any(
        r.start <= finding.start < r.end and r.tone == wanted for r in list_ranges(finding.passage.text)
    )


def by_council(findings: list[Finding]) -> list[list[Finding]]:
    """Findings grouped by council, each council's strongest first; councils by their strongest."""
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.council, []).append(finding)
    councils = [sorted(group, key=lambda f: -f.score) for group in grouped.values()]
    councils.sort(key=lambda g: (-g[0].score, g[0].council))
    return councils


class CouncilFindings:
    """Every council whose reports in scope state a shortfall (or strength) on the question's topic."""

    name = "council-findings"

    def applies(self, intent: QueryIntent, plan: Plan) -> bool:
        return intent.ask is not None and intent.ask.kind == "councils" and not intent.council_keys

    def answer(self, case: Case) -> Reply | None:
        tools, intent, plan = case.tools, case.intent, case.plan
        ask = intent.ask
        assert ask is not None
        topic = topic_of(intent)
        if not topic:
            return None
        scope = plan.report_ids
        read = len(scope) if scope is not None else len(tools.catalogue.by_id)
        councils = by_council([f for f in gather(tools, scope, topic, ask.tone) if states_it(f, ask.tone)])
        verb = "criticised" if ask.tone < 0 else "praised"
        kind = "shortfall" if ask.tone < 0 else "strength"
        about = ", ".join(topic)
        draft = Draft()
        if not councils:
            draft.groups.append(
                (f"{read} reports read; none states a {kind} on {about} that could be quoted.", [])
            )
        else:
            reports = {f.passage.report_id for group in councils for f in group}
            more = f"; the first {SHOWN}, most squarely stated first" if len(councils) > SHOWN else ""
            draft.groups.append(
                (
                    f"{read} reports read: {len(councils)} councils ({len(reports)} reports) are {verb} "
                    f"on the question's topic ({about}){more}:",
                    [],
                )
            )
        entries: list[dict[str, Any]] = []
        for rank, group in enumerate(councils):
            best = group[0]
            n = tools.composer.cite(draft, best.passage, best.start, best.end)
            if rank < SHOWN:
                info = tools.catalogue.by_id.get(best.passage.report_id)
                draft.groups.append((report_label(info, None, lead=False), [(best.text, [n])]))
            entries.append(
                {
                    "local_authority": best.council,
                    "report_id": best.passage.report_id,
                    "other_reports": list(dict.fromkeys(f.passage.report_id for f in group[1:])),
                    "text": best.text,
                    "page": tools.composer.page_of(best.passage, best.passage.text[best.start : best.end]),
                    "citation": n,
                }
            )
        if len(councils) > SHOWN:
            rest = ", ".join(group[0].council for group in councils[SHOWN:])
            draft.groups.append((f"And {len(councils) - SHOWN} more: {rest}.", []))
        data = {
            "kind": "councils",
            "tone": kind,
            "topic": list(topic),
            "reports_read": read,
            "count_councils": len(councils),
            "councils": entries,
            "items": [e["report_id"] for e in entries],
        }
        return Reply(draft, data)
