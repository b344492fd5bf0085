"""Grades over time: a council's inspections in order, and the changes between consecutive ones.

"How has Birmingham's grade changed?", "which councils improved from inadequate to good between
inspections?", "which councils went down?" are answered from the judgements table: for each
council, its reports that grade the area (oldest first), and each consecutive pair compared on
Ofsted's scale (``service.answers.judgements.RANK``). The 2012-2013 inspections of looked after children
services judged a different, narrower service, so they are left out of comparisons of overall
effectiveness with the whole-service inspections that followed; reports of the April 2026 reform
award no overall effectiveness grade, so an overall trend passes over them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from itertools import pairwise

from service.answers.judgements import STANDS_IN, JudgementQuery, JudgementRow, JudgementTable

NARROWER = frozenset({"lac"})


@dataclass(frozen=True)
class Change:
    """Two consecutive graded inspections of one council for one area."""

    before: JudgementRow
    after: JudgementRow

    @property
    def steps(self) -> int:
        return (self.after.rank or 0) - (self.before.rank or 0)

    @property
    def direction(self) -> str:
        return "up" if self.steps > 0 else "down" if self.steps < 0 else "same"


def history(table: JudgementTable, query: JudgementQuery, area: str) -> dict[str, list[JudgementRow]]:
    """Each council's graded rows for ``area`` in scope, oldest first (stand-in areas included)."""
    by_council: dict[str, list[JudgementRow]] = {}
    for info in table.scope(query):
        rows = table.report_rows(info.report_id)
        row = next((r for r in rows if r.area == area), None)
        if row is None and area in STANDS_IN:
            stand_in = next((r for r in rows if r.area == STANDS_IN[area]), None)
            if stand_in is not None:
                row = replace(stand_in, stands_in_for=area)
        if row is None or row.rank is None:
            continue
        if area == "overall_effectiveness" and row.framework in NARROWER:
            continue
        by_council.setdefault(info.key, []).append(row)
    return by_council


def changes(
    table: JudgementTable,
    query: JudgementQuery,
    area: str,
    *,
    direction: str | None = None,
    from_grade: str | None = None,
    to_grade: str | None = None,
    latest_only: bool = False,
) -> list[Change]:
    """Consecutive-inspection changes matching a direction and/or a named start and end grade."""
    found: list[Change] = []
    for rows in history(table, query, area).values():
        pairs = [Change(a, b) for a, b in pairwise(rows)]
        if latest_only:
            pairs = pairs[-1:]
        for change in pairs:
            if direction and change.direction != direction:
                continue
            if from_grade and change.before.family != from_grade:
                continue
            if to_grade and change.after.family != to_grade:
                continue
            found.append(change)
    found.sort(
        key=lambda c: (c.after.published or c.after.inspection_end or date.min, c.after.local_authority)
    )
    return found


def path_text(rows: Sequence[JudgementRow]) -> str:
    """ "inadequate (2014) → requires improvement (2018) → good (2022)"."""
    return " → ".join(f"{r.family} ({r.inspection_year or r.publication_year})" for r in rows)


@dataclass(frozen=True)
class Run:
    """Inspections of one council graded the same for one area: consecutive ones, or any ``repeat``."""

    rows: tuple[JudgementRow, ...]

    @property
    def council(self) -> str:
        return self.rows[-1].local_authority


def runs(
    table: JudgementTable,
    query: JudgementQuery,
    area: str,
    *,
    grade: str | None = None,
    repeat: int = 2,
    consecutive: bool = True,
    latest_only: bool = False,
) -> list[Run]:
    """Each council's inspections graded ``grade`` (any one grade when None) at least ``repeat`` times.

    ``consecutive``: maximal stretches of consecutive graded inspections with one grade ("inadequate
    at two inspections in a row"); otherwise every inspection with the grade, in or out of a row
    ("judged inadequate twice"). ``latest_only`` keeps stretches that reach the council's latest
    graded inspection ("which councils stayed good?" at their last inspection).
    """
    found: list[Run] = []
    for rows in history(table, query, area).values():
        stretches: list[list[JudgementRow]] = []
        if consecutive:
            for row in rows:
                if stretches and stretches[-1][-1].family == row.family:
                    stretches[-1].append(row)
                else:
                    stretches.append([row])
        else:
            by_grade: dict[str, list[JudgementRow]] = {}
            for row in rows:
                by_grade.setdefault(row.family, []).append(row)
            stretches = list(by_grade.values())
        for stretch in stretches:
            if len(stretch) < repeat or (grade and stretch[0].family != grade):
                continue
            if latest_only and stretch[-1] is not rows[-1]:
                continue
            found.append(Run(tuple(stretch)))
    found.sort(key=lambda r: (r.rows[-1].published or date.min, r.council))
    return found
