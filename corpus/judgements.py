"""Structured judgements out of a report's own words, for every framework era.

- 2018+ ILACS: a table on page 1, "<area wording> <Grade>" per row, "Overall effectiveness
  <Grade>" last (no overall row after the April 2026 reform, where care leavers get their own row).
- 2014-2017 single inspection framework: a headline ("Children's services in X require improvement
  to be good", "The overall judgement is good") and a numbered table ("1. Children who need help
  and protection Good", "2.1 Adoption performance Good", "3. Leadership, management and governance
  ..."), and the LSCB review's own grade.
- Where the table cannot be read, the graded section headings of the body ("The experiences and
  progress of children in care and care leavers: good") fill the gaps.

Grades are kept as written, lower case ("requires improvement to be good"), with "require" made
"requires" where a headline conjugates it for a plural subject.
"""

from __future__ import annotations

import re

from corpus.records import JUDGEMENT_AREAS, Judgement, Page, Section

_GRADE = r"(?P<grade>outstanding|good|requires? improvement(?:\s+to\s+be\s+good)?|inadequate|adequate)"
_GAP = r"[\s:–-]*"
# Area wordings, most specific first; the grade must follow the wording directly.
_AREAS: tuple[tuple[str, str], ...] = (
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
    ("care_leavers", r"the experiences and progress of care leavers"),
    ("care_leavers", r"(?:\d\.\d\s*)?experiences and progress of care leavers"),
    ("adoption", r"(?:\d\.\d\s*)?adoption performance"),
    (
        "lscb",
        r"the effectiveness of the local safeguarding children board(?: \(lscb\))?(?: is| requires)?",
    ),
)
_HEADLINES = (
    re.compile(r"children[’']?s services in .{2,60}? (?:are |is )?" + _GRADE, re.IGNORECASE),
    re.compile(
        r"the overall judgement is (?:that )?(?:children[’']?s services (?:are |is )?)?" + _GRADE,
        re.IGNORECASE,
    ),
    re.compile(r"overall effectiveness(?: is judged to be| is|:)?\s+" + _GRADE, re.IGNORECASE),
)
_COMPILED = tuple(
    (area, re.compile(r"\b" + wording + _GAP + _GRADE + r"\b", re.IGNORECASE)) for area, wording in _AREAS
)
_HEADING_AREAS = (
    ("impact_of_leaders", re.compile(r"impact of leaders|leadership, management", re.IGNORECASE)),
    ("children_in_care_and_care_leavers", re.compile(r"children in care and care leavers", re.IGNORECASE)),
    ("help_and_protection", re.compile(r"need help and protection", re.IGNORECASE)),
    ("children_in_care", re.compile(r"children in care|children looked after", re.IGNORECASE)),
    ("care_leavers", re.compile(r"care leavers", re.IGNORECASE)),
    ("lscb", re.compile(r"safeguarding children board|\bLSCB\b", re.IGNORECASE)),
)


def grade_as_written(grade: str) -> str:
    grade = re.sub(r"\s+", " ", grade.strip().lower())
    return re.sub(r"^require improvement", "requires improvement", grade)


def parse_judgements(pages: tuple[Page, ...], sections: tuple[Section, ...]) -> tuple[Judgement, ...]:
    found: dict[str, Judgement] = {}
    for page in pages[:3]:
        flat = re.sub(r"\s+", " ", page.text)
        for area, pattern in _COMPILED:
            if area in found:
                continue
            match = pattern.search(flat)
            if match:
                found[area] = Judgement(
                    area, grade_as_written(match.group("grade")), match.group(0), page.number
                )
        if "overall_effectiveness" not in found:
            for headline in _HEADLINES:
                match = headline.search(flat)
                if match:
                    found["overall_effectiveness"] = Judgement(
                        "overall_effectiveness",
                        grade_as_written(match.group("grade")),
                        match.group(0),
                        page.number,
                    )
                    break
    starts = [page.offset for page in pages]
    for section in sections:
        if section.grade is None:
            continue
        for area, pattern in _HEADING_AREAS:
            if pattern.search(section.title):
                if area not in found:
                    page_number = sum(1 for start in starts if start <= section.start)
                    found[area] = Judgement(
                        area,
                        grade_as_written(section.grade),
                        f"{section.title}: {section.grade}",
                        page_number,
                    )
                break
    return tuple(sorted(found.values(), key=lambda judgement: JUDGEMENT_AREAS.index(judgement.area)))
