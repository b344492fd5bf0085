"""What makes a sentence of a report quotable in an answer, and the exact span to quote.

Answers are report sentences quoted verbatim, so the only choices are which spans: not table rows,
headings run into a sentence, boilerplate every report carries, or a cross-reference on its own;
and not the paragraph number the extraction sometimes glues to a sentence ("29.Care leavers").
"""

from __future__ import annotations

import re

_TABLE_WORDS = re.compile(r"\b(?:Inspection dates|Lead inspector|Judgement Grade|Contents)\b")
# Sentences every report of an era carries word for word: they say nothing about the council.
_BOILERPLATE = re.compile(
    r"It is Ofsted[’']s expectation that|Ofsted is the Office for Standards|This publication is available|"
    r"Crown copyright|You can obtain copies|Piccadilly Gate|This inspection was carried out under section|"
    # The footnote to the improvement list of every report since 2023, which the page text runs
    # into the sentence it interrupts.
    r"have been cross-referenced with the outcomes|This statutory guidance sets out the purpose",
    re.I,
)


def prose_like(sentence: str) -> bool:
    """A sentence worth quoting: 4-70 words of prose, not a table row or a heading run-on."""
    words = sentence.split()
    if not 4 <= len(words) <= 70 or not re.search(r"[a-z]", sentence) or _TABLE_WORDS.search(sentence):
        return False
    if _BOILERPLATE.search(sentence):
        return False
    capitalised = sum(1 for w in words if w[:1].isupper())
    return capitalised / len(words) <= 0.5


# A list item that is only a cross-reference: "(outcome 2, national framework)".
REFERENCE_ONLY = re.compile(r"\(.*\)\.?", re.S)
_GLUED_NUMBER = re.compile(r"\d{1,3}\.(?=[A-Z‘“'])")


def quote_span(text: str, start: int, end: int) -> tuple[int, int]:
    """A sentence span without a paragraph number glued to it ("29.Care leavers ..."): the
    extraction sometimes loses the space after the number, and the number is not the report's
    sentence."""
    glued = _GLUED_NUMBER.match(text, start, end)
    return (glued.end(), end) if glued else (start, end)
