"""Figures: which sentences hold one, for questions that ask for one (``service.answers.asking.QUANTITY``).

A report sentence is full of numbers that count nothing: dates ("since 1 July 2015"), years
("2013-14"), ages ("16- and 17-year-olds") and references ("section 20", "outcome 2"). A "how
many" question wants a count ("129 young people", "43%", "two teams"), best one standing next to
the words it counts ("caseloads are between 90 and 110").
"""

from __future__ import annotations

import re

from service.answers.text import stems

# Score for a sentence that holds a figure when the question asks "how many", and more when the
# figure stands next to one of the question's words ("caseloads are between 90 and 110").
FIGURE_WEIGHT = 0.15
FIGURE_NEAR_WEIGHT = 0.1
FIGURE_NEAR_WORDS = 4
_MONTH_NAMES = "January|February|March|April|May|June|July|August|September|October|November|December"
# Numbers that count nothing: dates and years ("since 1 July 2015", "in 2013-14"), ages
# ("16- and 17-year-olds", "aged 18 to 25"), references ("section 31", "outcome 2"), names
# ("COVID-19") and spans of time made adjectives ("a three-year initiative").
_DATE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)? (?:{_MONTH_NAMES})\b|\b(?:{_MONTH_NAMES}) \d{{4}}\b|"
    r"\b(?:19|20)\d\d(?:[–/-]\d{2,4})?\b|"
    r"\b\d{1,2}[-–]?(?:\s*(?:and|to|or|[-–])\s*\d{1,2})?[- ]?years?[- ]olds?\b|"
    r"\baged (?:between )?\d{1,2}(?:\s*(?:[-–]|and|to|or)\s*\d{1,2})?|"
    # more ages: "beyond their 21st birthday", "when they reach 18", "turn 25", "the age of 18", "18+"
    r"\b\d{1,2}(?:st|nd|rd|th) birthdays?\b|\b(?:reach(?:es|ed|ing)?|turns?|turned|turning) "
    r"(?:the age of )?\d{1,2}\b|\bage (?:of )?\d{1,2}\b|\b\d{1,2} years? of age\b|"
    r"\b(?:over|under)[- ]\d{1,2}s\b|\b\d{1,2}\+|"
    # a paragraph's number the text runs into its first sentence: "54.PAs provide", "12. The"
    r"^\s*\d{1,3}\.(?=\s*[A-Z])|"
    r"\b(?:section|schedule|article|tier|level|stage|outcome|enabler|paragraph|page|phase|year) \d+|"
    # a name with a number in it: "COVID-19"
    r"\b[A-Za-z]+-\d+\b|"
    # a span of time made an adjective counts nothing: "a three-year initiative", "a 12-week course"
    r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve)-(?:year|month|week|day|hour)\b(?!s)",
    re.I,
)
# A count: digits, a number word, or a span of time written in words ("within an hour", "in a day"),
# which answers "how quickly" as "within 24 hours" does.
_COUNT = re.compile(
    r"\b\d[\d,.]*%?|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|sixty|hundreds?|thousands?|half|a third|a quarter|dozens?)\b"
    r"|\b(?:within|in|under|less than) (?:an?|one) (?:hour|day|week|fortnight|month)\b",
    re.I,
)


def figure_bonus(sentence: str, near: frozenset[str]) -> float:
    """How much a sentence answers "how many": a count (not a date) in it, and by the question's words."""
    undated = _DATE.sub(" ", sentence)
    counts = list(_COUNT.finditer(undated))
    if not counts:
        return 0.0
    tokens = re.findall(r"\S+", undated)
    positions = {i for i, token in enumerate(tokens) if _COUNT.search(token)}
    for i, token in enumerate(tokens):
        if i in positions:
            continue
        word = stems(token)
        if word and word[0] in near and any(abs(i - p) <= FIGURE_NEAR_WORDS for p in positions):
            return FIGURE_WEIGHT + FIGURE_NEAR_WEIGHT
    return FIGURE_WEIGHT
