"""Checkable facts of a sentence: its numbers, years, months and Ofsted grades.

A claim that changes "84%" to "74%", "March" to "May" or "good" to "outstanding" keeps every other
word of its passage, so word coverage scores it high; these extractors let the checker compare the
facts themselves. Each normalises what reports write several ways ("47 per cent" and "47%",
"seven" and "7", "requires improvement to be good" and "requires improvement").
"""

from __future__ import annotations

import re

from service.answers.grounding.tokens import fold

_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "thirteen": "13",
    "fourteen": "14",
    "fifteen": "15",
    "sixteen": "16",
    "seventeen": "17",
    "eighteen": "18",
    "nineteen": "19",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "hundred": "100",
    "half": "50%",
    # Not "first" or "second": mostly not counts ("first response", "a second opinion").
    "third": "3rd",
    "fourth": "4th",
    "fifth": "5th",
}
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_NUMBER = re.compile(
    r"(?<![\w.])(\d+(?:[.,]\d+)*)\s*(%|per\s?cent|percent)?|\b("
    + "|".join(_NUMBER_WORDS)
    + r")\b(?:\s*(per\s?cent|percent))?"
)

# "One" that counts nothing: "one of the", "from one case to another", "one way or another".
_NOT_A_COUNT = re.compile(r"\s+(?:of|another|to|or|who|that|which|way|side)\b|'s\b|\s+\w+\s+to\s+another\b")

# Numbers written in several words ("one hundred and eleven", "twenty-five", "two thousand"), read
# as one figure before the single words are: otherwise "one hundred and eleven" reads as 1, 100, 11.
_SMALL = {w: int(v) for w, v in _NUMBER_WORDS.items() if v.isdigit() and w != "hundred"}
_SMALL |= {"seventy": 70, "eighty": 80, "ninety": 90}
_SCALE = {"hundred": 100, "thousand": 1000}
_NUMBER_RUN = re.compile(
    r"\b(?:"
    + "|".join((*_SMALL, *_SCALE))
    + r")(?:(?:\s+and\s+|\s+|-)(?:"
    + "|".join((*_SMALL, *_SCALE))
    + r"))+\b"
)


def _run_value(run: str) -> int | None:
    """The figure a run of number words writes, or None when the words do not make one."""
    total = current = 0
    last = ""  # the kind of the word before: "unit", "ten", "scale"
    for word in re.split(r"\s+and\s+|\s+|-", run):
        if word in _SCALE:
            if last == "scale" and _SCALE[word] == 100:
                return None
            current = max(current, 1) * _SCALE[word]
            if _SCALE[word] == 1000:
                total, current = total + current, 0
            last = "scale"
            continue
        value = _SMALL[word]
        kind = "ten" if value >= 20 and value % 10 == 0 else "unit"
        if last == "unit" or (last == "ten" and kind == "ten"):
            return None  # "one two", "twenty thirty": two figures, not one
        current += value
        last = kind
    return total + current


def _runs_as_digits(lowered: str) -> str:
    def replace(match: re.Match[str]) -> str:
        value = _run_value(match.group(0))
        return match.group(0) if value is None else str(value)

    return _NUMBER_RUN.sub(replace, lowered)


_NO_ONE = re.compile(r"\b(?:no|any|every|some|each)[\s-]*$")

# Grades, longest first so "requires improvement to be good" is not read as "good".
_GRADES = (
    ("requires improvement to be good", "requires improvement"),
    ("requires improvement", "requires improvement"),
    ("require improvement", "requires improvement"),
    ("requiring improvement", "requires improvement"),
    ("outstanding", "outstanding"),
    ("inadequate", "inadequate"),
    ("good", "good"),
)
_GRADE = re.compile(r"\b(" + "|".join(re.escape(g) for g, _ in _GRADES) + r")\b")
_GRADE_NAME = dict(_GRADES)


# The number of a paragraph or a table's row where a line starts ("39. Services provided",
# "2.1 Adoption performance Good"): a label, not a figure the sentence states.
_LABEL = re.compile(r"(?m)^[ \t]*\d{1,3}\.(?:\d{1,2}\.?)?[ \t]+(?=[A-Z])")


def numbers(text: str) -> set[str]:
    """Numbers, percentages and ordinals, normalised ("47 per cent" → "47%", "seven" → "7"); the
    number that labels a paragraph or a table's row is none of them."""
    found = set()
    lowered = _runs_as_digits(fold(_LABEL.sub("", text)).lower())
    for match in _NUMBER.finditer(lowered):
        digits, pct, word, word_pct = match.groups()
        if word == "one" and (
            _NOT_A_COUNT.match(lowered, match.end()) or _NO_ONE.search(lowered, 0, match.start())
        ):
            continue
        if digits is not None:
            value = digits.replace(",", "")
            value = value.rstrip(".")
            found.add(value + ("%" if pct else ""))
        elif word is not None:
            value = _NUMBER_WORDS[word]
            found.add(value + ("%" if word_pct and not value.endswith("%") else ""))
    return found


def is_year(value: str) -> bool:
    return value.isdigit() and len(value) == 4 and 1990 <= int(value) <= 2039


def months(text: str) -> set[str]:
    lowered = fold(text).lower()
    return {m for m in _MONTHS if re.search(rf"\b{m}\b", lowered)} - (
        {"may"} if not re.search(r"\bmay\s+\d{4}\b|\d\s+may\b", lowered) else set()
    )


def grades(text: str) -> set[str]:
    # Whitespace folded: a grade is often broken over two lines ("requires\nimprovement").
    return {_GRADE_NAME[g] for g in _GRADE.findall(" ".join(fold(text).lower().split()))}
