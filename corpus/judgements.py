"""Structured judgements out of a report's own words, for every framework era.

- 2018+ ILACS: a table on page 1, "<area wording> <Grade>" per row, "Overall effectiveness
  <Grade>" last. After the April 2026 reform there is no overall row, and children in care and care
  leavers get a row each (as some 2023-2025 reports already did).
- 2014-2017 single inspection framework: a headline ("Children's services in X require improvement
  to be good", "The overall judgement is good") and a numbered table ("1. Children who need help
  and protection Good", "2.1 Adoption performance Good", "3. Leadership, management and governance
  ..."); the Local Safeguarding Children Board review states its own grade, often pages later.
- 2012-2013 inspections of looked after children services: graded headings
  ("Overall effectiveness of services for looked after children and young people Grade 3
  (Adequate)").
- Where none of that can be read, the graded section headings of the body ("The experiences and
  progress of children in care and care leavers: good") fill the gaps.

Grades are kept as written, lower case ("requires improvement to be good", "not judged"), with
"require" made "requires" where a headline conjugates it for a plural subject. The manifest's grade
columns are never consulted: they are a scraper's noisy guesses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from corpus.records import JUDGEMENT_AREAS, Judgement, Page, Section

_GRADE = (
    r"(?P<grade>outstanding|good|requires?\s+improvement(?:\s+to\s+be\s+good)?|inadequate|adequate"
    r"|not judged)"
)
_GAP = r"[\s:–-]*"
# Table rows: area wordings, most specific first; the grade must follow the wording directly.
_TABLE_ROWS: tuple[tuple[str, str], ...] = (
    ("overall_effectiveness", r"overall effectiveness"),
    ("impact_of_leaders", r"the impact of leaders on social work practice with children and families"),
    ("impact_of_leaders", r"(?:\d\.\s*)?leadership,? management and governance"),
    (
        "children_in_care_and_care_leavers",
        r"the experiences and progress of children in care and care leavers",
    ),
    ("help_and_protection", r"the experiences and progress of children who need help and protection"),
    ("help_and_protection", r"(?:\d\.\s*)?children who need help and protection"),
    ("children_in_care", r"the experiences and progress of children in care(?! and)"),
    ("children_in_care", r"(?:\d\.\s*)?children looked after and achieving permanence"),
    # One 2025 report writes "The experiences and progress of children care leavers".
    ("care_leavers", r"(?:the )?(?:\d\.\d\s*)?experiences and progress of (?:children )?care leavers"),
    ("adoption", r"(?:\d\.\d\s*)?adoption performance"),
)
# Statements found anywhere in a report, first occurrence wins.
_ANYWHERE: tuple[tuple[str, str], ...] = (
    ("lscb", "safeguarding children board"),
    ("overall_effectiveness", "overall effectiveness of services"),
    ("impact_of_leaders", "leadership and management"),
)
_ANYWHERE_PATTERNS = (
    r"(?:the effectiveness of )?the (?:local )?safeguarding children board(?: \(lscb\))?"
    r"(?: is| requires| are)?",
    r"overall effectiveness of services for looked after children and young people\s+grade \d\s*\(",
    r"^leadership and management\s+grade \d\s*\(",
)
_HEADLINES = (
    re.compile(r"children[’']?s services in .{2,60}? (?:are |is )?" + _GRADE, re.IGNORECASE),
    re.compile(
        r"the overall judgement is (?:that )?(?:children[’']?s services (?:are |is )?)?" + _GRADE,
        re.IGNORECASE,
    ),
)
_TABLE = tuple(
    (area, re.compile(r"\b" + wording + _GAP + _GRADE + r"\b", re.IGNORECASE))
    for area, wording in _TABLE_ROWS
)
_STATEMENTS = tuple(
    (area, re.compile(wording + _GAP + _GRADE + r"\b\)?", re.IGNORECASE | re.MULTILINE))
    for area, wording in zip((area for area, _ in _ANYWHERE), _ANYWHERE_PATTERNS, strict=True)
)
_HEADING_AREAS = (
    ("impact_of_leaders", re.compile(r"impact of leaders|leadership, management", re.IGNORECASE)),
    ("children_in_care_and_care_leavers", re.compile(r"children in care and care leavers", re.IGNORECASE)),
    ("help_and_protection", re.compile(r"need help and protection", re.IGNORECASE)),
    ("children_in_care", re.compile(r"children in care|children looked after", re.IGNORECASE)),
    ("care_leavers", re.compile(r"care leavers", re.IGNORECASE)),
    ("lscb", re.compile(r"safeguarding children board|\bLSCB\b", re.IGNORECASE)),
    ("adoption", re.compile(r"adoption performance", re.IGNORECASE)),
)
# The table sits on page 1, sometimes running onto page 2; a cover page can push it to page 3.
_TABLE_PAGES = 3


def grade_as_written(grade: str) -> str:
    grade = re.sub(r"\s+", " ", grade.strip().lower())
    return re.sub(r"^require improvement", "requires improvement", grade)


def _judgement(area: str, match: re.Match[str], page: int) -> Judgement:
    return Judgement(
        area, grade_as_written(match.group("grade")), re.sub(r"\s+", " ", match.group(0)).strip(), page
    )


def parse_judgements(pages: tuple[Page, ...], sections: tuple[Section, ...]) -> tuple[Judgement, ...]:
    """The judgements a report states, one per area, in ``JUDGEMENT_AREAS`` order."""
    found: dict[str, Judgement] = {}
    flat_pages = [(page.number, re.sub(r"[ \t]*\n[ \t]*", " ", page.text)) for page in pages[:_TABLE_PAGES]]
    for number, flat in flat_pages:
        for area, pattern in _TABLE:
            match = pattern.search(flat)
            if match and area not in found:
                found[area] = _judgement(area, match, number)
        for headline in _HEADLINES:
            match = headline.search(flat)
            if match and "overall_effectiveness" not in found:
                found["overall_effectiveness"] = _judgement("overall_effectiveness", match, number)
    lowered = [(page.number, page.text, page.text.lower()) for page in pages]
    for (area, keyword), (_, pattern) in zip(_ANYWHERE, _STATEMENTS, strict=True):
        if area not in found:
            # The keyword test first: a regex that may start anywhere is slow over a long report.
            candidates = ((number, text) for number, text, lower in lowered if keyword in lower)
            located = _first(pattern, candidates)
            if located:
                found[area] = _judgement(area, *located)
    _from_headings(found, pages, sections)
    return tuple(sorted(found.values(), key=lambda judgement: JUDGEMENT_AREAS.index(judgement.area)))


def _first(pattern: re.Pattern[str], pages: Iterable[tuple[int, str]]) -> tuple[re.Match[str], int] | None:
    for number, text in pages:
        match = pattern.search(text)
        if match:
            return match, number
    return None


def heading_area(title: str) -> str | None:
    """The judgement area a section heading of the body is about ("The graded judgement about the
    experience and progress of care leavers is that it": ``care_leavers``), or None."""
    for area, pattern in _HEADING_AREAS:
        if pattern.search(title):
            return area
    return None


def _from_headings(
    found: dict[str, Judgement], pages: tuple[Page, ...], sections: tuple[Section, ...]
) -> None:
    starts = [page.offset for page in pages]
    for section in sections:
        if section.grade is None:
            continue
        area = heading_area(section.title)
        if area is not None and area not in found:
            page_number = sum(1 for start in starts if start <= section.start)
            found[area] = Judgement(
                area, grade_as_written(section.grade), f"{section.title}: {section.grade}", page_number
            )
