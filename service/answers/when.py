"""Dates in a question, and which of a council's inspections they mean.

People date an inspection three ways: by a year or a month ("Hull's inspection in November 2022",
"the report published in 2019"), by a range ("since 2020", "before 2018", "between 2018 and 2022",
"in the late 2010s") and by its place among the council's own inspections ("latest", "the one
before its most recent", "last but one", "earliest", "the inspection after its first one", "the
inspection before the 2019 one"). ``read_dates`` reads all three once, into a frozen ``Dates``,
with the spans of the words it read (they say *which* report, never what the question is about,
so they are no topic words: "penultimate" is not a rare word the reports lack). ``pick_relative``
then resolves a place against one council's reports, ordered oldest first by publication (the
manifest's dates, as ``gold/FORMAT.md`` says); ``service.answers.planning`` does the rest.

A place is a ``relative`` kind counted from one end of the council's reports:

=============== ========================================================================
``latest``       the newest report ("latest", "most recent", "last report", "current")
``previous``     the one before the newest, or before the ``anchor`` a conversation was about
``third-latest`` the one before that ("third most recent", "last but two")
``earliest``     the oldest report in the collection ("earliest", "first", "oldest")
``second``       the one after the oldest ("second inspection", "the one after its first")
``third``        the one after that
``next``         the one after the ``anchor`` ("the next one", "the inspection after the 2016 one")
``latest-2``     the last two ("its last two inspections", "its recent reports"); ``earliest-3``, ...
=============== ========================================================================
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}

_MONTH_WORDS = "|".join(sorted(MONTHS, key=len, reverse=True))
YEAR = re.compile(r"\b(20[0-3]\d)\b")
_MONTH_YEAR = re.compile(rf"\b({_MONTH_WORDS})\.?,?\s+(20[0-3]\d)\b", re.IGNORECASE)
# Ranges: "since 2020" and "from 2020" include 2020; "after 2020" and "before 2018" do not; "since
# the 2019 inspection" means the inspections after that one. ("Before its 2021 inspection" is the
# time a report describes, not a range of reports.)
SINCE = re.compile(
    r"\b(?:(since|after|later than)\s+(?:(?:the|its|their)\s+)?|(from)\s+)(?:(?:" + _MONTH_WORDS + r")\s+)?"
    r"(20[0-3]\d)\b(\s+(?:ofsted\s+)?(?:inspection|report|visit)s?\b)?",
    re.I,
)
_BEFORE = re.compile(
    r"\b(before|until|prior to|up to|earlier than|by)\s+(?:(?:" + _MONTH_WORDS + r")\s+)?"
    r"(20[0-3]\d)\b(\s+(?:ofsted\s+)?(?:inspection|report|visit)s?\b)?",
    re.I,
)
# "2013-14", "2019/20": a financial or school year, the period a report's figures cover.
_PERIOD = re.compile(r"\b(20[0-3]\d)\s*[-–/]\s*(\d\d)\b(?![-–/]\d)")
# "In the 2010s", "the late 2010s", "mid-2010s": a decade, or a third of one.
_DECADE = re.compile(r"\b(?:(?:in|during)\s+)?(?:the\s+)?(?:(early|mid|late)[- ]?)?(20[0-3])0s\b", re.I)
_DECADE_PART = {"early": (0, 3), "mid": (3, 6), "late": (6, 9)}
_INSPECTION_DATE = re.compile(
    r"\b(?:inspected|carried out|took place|visited|inspectors visited|on site)\b", re.I
)
# "between 2017 and 2019", "from 2017 to 2019": two years compared, unless the words before say the
# reports of the range are meant ("Camden's inspection between 2018 and 2024", "reports 2018-2022").
_TWO_YEARS = re.compile(
    r"\b(?:between\s+(20[0-3]\d)\s+and|from\s+(20[0-3]\d)\s+(?:to|until|till|through))\s+(20[0-3]\d)\b", re.I
)
# (Not "visits", "results" or "outcomes": "initial visits", "first results" name what the reports are about.)
_NOUN = r"(?:(?:ofsted|ilacs|full|standard)\s+)?(?:inspections?|reports?|one|judge?ments?|grades?|ratings?)"
_RANGE_OF = re.compile(
    rf"\b{_NOUN}\s+(?:(?:published|carried out|done|held)\s+)?(?:between\s+(20[0-3]\d)\s+and"
    r"|from\s+(20[0-3]\d)\s+(?:to|until|till|through))\s+(20[0-3]\d)\b"
    r"|\b(20[0-3]\d)\s*[-–]\s*(20[0-3]\d)\b"
    rf"|\b{_NOUN}\s+(?:(?:published|carried out|done|held)\s+)?"
    r"(20[0-3]\d)\s+(?:to|until|till|through)\s+(20[0-3]\d)\b",
    re.I,
)
# Ranges typed around the year rather than before it, each (pattern, bound) read before the
# others: "pre-2018" and "post 2020" (exclusive); "2020 onwards", "2022 or later", "2019 or
# earlier", "in or after 2022", "no later than 2019" (inclusive); "since the start of 2022",
# "before the end of 2019" (the start of a year is the year, its end the year after).
_OPEN_RANGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.I), bound)
    for pattern, bound in (
        (r"\bpre[- ]?(20[0-3]\d)\b", "before"),
        (r"\bpost[- ]?(20[0-3]\d)\b", "after"),
        (r"\b(?:in|during)\s+or\s+(?:after|since|later\s+than)\s+(20[0-3]\d)\b", "from"),
        (r"\b(?:in|during)\s+or\s+(?:before|prior\s+to|earlier\s+than)\s+(20[0-3]\d)\b", "to"),
        (r"\b(?:no|not)\s+later\s+than\s+(20[0-3]\d)\b", "to"),
        (r"\b(?:no|not)\s+earlier\s+than\s+(20[0-3]\d)\b", "from"),
        (
            r"\b(20[0-3]\d)\s+(?:or|and)\s+(?:later|after|since|beyond|onwards?)\b|\b(20[0-3]\d)\s+onwards?\b",
            "from",
        ),
        (r"\b(20[0-3]\d)\s+(?:or|and)\s+(?:earlier|before|prior)\b", "to"),
        (r"\b(?:since|from|after)\s+the\s+(?:start|beginning)\s+of\s+(20[0-3]\d)\b", "from"),
        (r"\b(?:since|from|after)\s+the\s+end\s+of\s+(20[0-3]\d)\b", "after"),
        (r"\b(?:before|until|till|up\s+to|by)\s+the\s+end\s+of\s+(20[0-3]\d)\b", "to"),
        (r"\b(?:before|until|till|up\s+to|by)\s+the\s+(?:start|beginning)\s+of\s+(20[0-3]\d)\b", "before"),
    )
)
# "Different from 2014", "differs from the 2019 one": the year a comparison is made with.
_DIFFERENT = re.compile(r"\b(?:differ|differs|differed|different|difference)\s+$", re.I)
_PUBLISHED = re.compile(r"\b(?:published|publication|report(?:ed)? (?:in|of))\b", re.I)
_INSPECTED = re.compile(r"\b(?:inspection|inspected|visit|carried out|took place)\b", re.I)

# The places among a council's reports, as a small grammar: an end ("latest", "first") with a noun
# ("inspection", "report", "one", "grade"), a step from an end ("before its most recent", "after its
# earliest"), or a step from a year ("the inspection before the 2019 one").
_OF = r"(?:the\s+|its\s+|their\s+|[a-z-]+['’]s\s+)?"
_LATEST_WORD = r"(?:latest|most\s+recent|newest|last|current|recent|present|up[- ]to[- ]date)"
_EARLIEST_WORD = r"(?:earliest|first|1st|oldest|initial|original)"
_STEP = r"(?:just\s+|immediately\s+)?"
_BEFORE_WORD = r"(?:before|prior\s+to|preceding|ahead\s+of)"
_AFTER_WORD = r"(?:after|following|that\s+followed|which\s+followed|succeeding)"
_THING = rf"(?:{_NOUN}|time)"
# What a step counts from may be Ofsted itself: "the ofsted before the latest".
_STEPPED = rf"(?:{_THING}|ofsted|ilacs)"
_COUNT = {"two": 2, "three": 3, "four": 4, "2": 2, "3": 3, "4": 4}
_PLURAL = r"(?:(?:ofsted|ilacs|full)\s+)?(?:inspections|reports|visits)"
_PLACES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.I))
    for kind, pattern in (
        # Past either end: "the inspection before its first one", "the report after its latest":
        # no report is there (``NOWHERE``), rather than the end itself.
        (
            "none",
            rf"\b{_STEPPED}\s+{_STEP}{_BEFORE_WORD}\s+{_OF}{_EARLIEST_WORD}\b"
            rf"|\b{_STEPPED}\s+{_STEP}{_AFTER_WORD}\s+{_OF}(?:latest|most\s+recent|newest|current)\b",
        ),
        # Several reports: "its last two inspections", "the first three reports", and "its recent
        # inspections" (those of the range the question gives, else the last two).
        ("latest-n", rf"\b(?:last|latest|most\s+recent|past)\s+(two|three|four|[234])\s+{_PLURAL}\b"),
        ("earliest-n", rf"\b(?:first|earliest|oldest)\s+(two|three|four|[234])\s+{_PLURAL}\b"),
        ("recent", rf"\b(?:recent|latest|last|most\s+recent)\s+{_PLURAL}\b"),
        (
            "third-latest",
            rf"\b(?:third|3rd)[- ](?:most[- ]recent|latest|newest|to[- ]last|last)\b|\blast\s+but\s+two\b"
            rf"|\b{_STEPPED}\s+{_STEP}{_BEFORE_WORD}\s+{_OF}(?:previous|penultimate)\b",
        ),
        (
            "previous",
            rf"\b(?:previous|prior|preceding|penultimate|earlier)\s+(?:{_THING}|ofsted|ilacs)\b"
            r"|\blast[- ]but[- ]one\b|\b(?:second|2nd)[- ](?:to[- ])?last\b"
            r"|\b(?:second|2nd)[- ](?:most[- ]recent|latest|newest)\b|\bpenultimate\b(?=\W*$)"
            r"|\bnext[- ]to[- ](?:last|latest|newest|most[- ]recent)\b"
            r"|\b(?:one|inspection|report|time)\s+before\s+last\b"
            rf"|\b{_STEPPED}\s+{_STEP}{_BEFORE_WORD}\s+{_OF}{_LATEST_WORD}\b(?:\s+{_NOUN}\b)?"
            rf"|\b(?:one|{_NOUN}|time)\s+{_STEP}{_BEFORE_WORD}\s+(?:that|this|it)\b|\bthe\s+time\s+before(?:\s+last)?\b"
            # Typed after the council, the noun left out: "barnsley before its latest report",
            # "what was kent like before its most recent inspection".
            rf"|\b{_BEFORE_WORD}\s+(?:the|its|their|[a-z-]+['’]s)\s+{_LATEST_WORD}\s+(?:{_THING}|ofsted|ilacs)\b",
        ),
        ("third", rf"\b(?:third|3rd)\s+{_NOUN}|\b{_STEPPED}\s+{_STEP}{_AFTER_WORD}\s+{_OF}(?:second|2nd)\b"),
        (
            "second",
            rf"\b{_STEPPED}\s+{_STEP}{_AFTER_WORD}\s+{_OF}{_EARLIEST_WORD}\b(?:\s+{_NOUN}\b)?"
            rf"|\b(?:second|2nd)\s+{_NOUN}"
            rf"|\b{_AFTER_WORD}\s+(?:the|its|their|[a-z-]+['’]s)\s+{_EARLIEST_WORD}\s+(?:{_THING}|ofsted|ilacs)\b",
        ),
        (
            "next",
            rf"\bnext\s+{_THING}|\b(?:one|{_NOUN}|time)\s+{_STEP}{_AFTER_WORD}\s+(?:that|this|it)\b"
            # "when ofsted next visited", and the future: "when will ofsted (next) inspect croydon"
            r"|\bnext\s+(?:inspect|visit)(?:s|ed)?\b"
            r"|\bwill\s+(?:ofsted\s+|inspectors\s+|they\s+)?(?:next\s+)?(?:inspect|visit|come\s+back|return)\b"
            r"|\bthe\s+(?:one|time)\s+after\b",
        ),
        (
            "earliest",
            rf"\b{_EARLIEST_WORD}\s+(?:ever\s+)?{_NOUN}|\b(?:earliest|oldest|first|1st)\s+(?:ever\s+)?(?:ofsted|ilacs)\b"
            r"|\b(?:earliest|oldest)\b(?=\W*$)"
            # "when Ofsted first inspected Leeds", "the first time it was inspected"
            r"|\bfirst\s+(?:\w+\s+)?inspected\b|\bfirst\s+time\b(?=[^.?!]{0,30}\binspect)",
        ),
        (
            "latest",
            rf"\b{_LATEST_WORD}\s+{_NOUN}|\b(?:latest|most\s+recent(?:ly)?|newest|current(?:ly)?)\b"
            r"|\blast\s+(?:\w+\s+)?(?:inspected|visited|came|went in|looked)\b"
            r"|\blast\s+time\b(?=[^.?!]{0,30}\b(?:inspect|visit|came|come|went in|looked))"
            r"|\blast\s+(?:ofsted|ilacs)\b"  # "at its last ofsted"
            # how things stand now: "at the moment", "these days", "as things stand"
            r"|\b(?:at the moment|at present|presently|nowadays|these days|today|right now)\b"
            r"|\bnow\W*$"  # "and now?", "how are they doing now"
            r"|\bas (?:things|it) stands?\b",
        ),
    )
)
_PLACES_BY_KIND = dict(_PLACES)
# "The inspection before the 2019 one", "its report after the 2016 inspection": a step from the
# report of that year, not a range of years and not that year's report.
_FROM_YEAR = re.compile(
    rf"\b{_THING}\s+{_STEP}(?:({_BEFORE_WORD})|{_AFTER_WORD})\s+(?:the|its|their|[a-z-]+['’]s)\s+"
    rf"(?:(?:{_MONTH_WORDS})\s+)?(20[0-3]\d)(?:\s+{_NOUN}\b)?",
    re.I,
)
# "What has changed since the previous inspection?", "compared with the previous judgement": the
# earlier report is what the change is measured from; the question does not ask about it.
SINCE_LAST = re.compile(
    r"\b(?:since|compared (?:with|to)|than|from|versus|vs\.?) (?:at )?(?:the|its|their) "
    rf"(?:previous|last|prior|earlier|preceding) (?:{_THING}|visit)\b|\bsince last time\b",
    re.I,
)
# "How had X improved since the last inspection in 2018?": measured from 2018's inspection, so
# about the one after it (as "since the 2018 inspection" is).
_SINCE_LAST_YEAR = re.compile(
    rf"(?:{SINCE_LAST.pattern})\s+(?:in|of|from)\s+(?:(?:{_MONTH_WORDS})\s+)?(20[0-3]\d)\b", re.I
)
_SINCE_LAST_YEAR_GROUP = _SINCE_LAST_YEAR.groups
_SINGLE_REPORT = re.compile(
    r"\b(?:the|its|their) (?:ofsted )?(?:inspection|report|one|grade|judgement)\b", re.I
)


@dataclass(frozen=True)
class YearMention:
    """A year in the question; ``month`` when a month is named; ``kind`` says what was dated."""

    year: int
    month: int | None = None
    kind: str = "any"  # "inspection", "publication" or "any"
    start: int = 0


@dataclass(frozen=True)
class Dates:
    """Everything a question says about *when*: years named, a range, a place among the council's
    reports (``relative``, counted from ``anchor`` for "previous" and "next" when one is named),
    what ranges are read against (``basis``), and the character spans of the words that said so."""

    years: tuple[YearMention, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    relative: str | None = None
    anchor: YearMention | None = None
    basis: str = "publication"  # "publication" (the manifest's dates) or "inspection"
    spans: tuple[tuple[int, int], ...] = ()


def read_dates(question: str) -> Dates:
    """Years, ranges and places among a council's reports, read once from a question."""
    spans: list[tuple[int, int]] = []
    masked = question
    anchor = None
    relative = None
    stepped = _FROM_YEAR.search(question)
    if stepped:
        month = next((MONTHS[m.group(1).lower()] for m in _MONTH_YEAR.finditer(stepped.group(0))), None)
        anchor = YearMention(int(stepped.group(2)), month)
        relative = "previous" if stepped.group(1) else "next"
        spans.append(stepped.span())
        masked = _blank(masked, stepped.start(), stepped.end())
    measured = _SINCE_LAST_YEAR.search(masked) if anchor is None else None
    if measured:
        anchor, relative = YearMention(int(measured.group(_SINCE_LAST_YEAR_GROUP))), "next"
        spans.append(measured.span())
        masked = _blank(masked, *measured.span())
    years, year_from, year_to, ranged = _years(masked)
    spans.extend(ranged)
    basis = "inspection" if _INSPECTION_DATE.search(question) else "publication"
    # "since the previous inspection" measures change from it; it does not ask about that inspection.
    dated = SINCE_LAST.sub(lambda m: " " * len(m.group(0)), masked)
    spans.extend(m.span() for m in SINCE_LAST.finditer(masked))
    if relative is None:
        # The report asked about is named first ("the earliest inspection ... the one before it");
        # a place named later is what it is compared with.
        found = sorted(_places(dated), key=lambda place: place[1])
        relative = found[0][0] if found else None
        spans.extend(span for _, span in found)
        if relative in ("latest-n", "earliest-n"):
            counted = _PLACES_BY_KIND[relative].search(dated, found[0][1][0])
            assert counted is not None
            relative = f"{relative[:-1]}{_COUNT[counted.group(1).lower()]}"
        elif relative == "recent":
            relative = None if year_from is not None or year_to is not None else "latest-2"
    if relative is None and year_to is not None and year_from is None and _SINGLE_REPORT.search(question):
        relative = "latest"  # "the inspection before 2022": the last one before it
    elif relative is None and dated != masked:
        relative = "latest"  # "what has improved since the last inspection?": the latest says
    return Dates(years, year_from, year_to, relative, anchor, basis, tuple(sorted(spans)))


_NOUN_WORD = re.compile(rf"{_NOUN}|ofsted|ilacs|full|standard", re.I)


def undated(question: str, dates: Dates) -> str:
    """The question with the words that dated it blanked (offsets kept), but for the nouns they
    dated ("latest *grade*", "previous *judgement*"), which may name what the question asks."""
    text = question
    for start, end in dates.spans:
        for word in re.finditer(r"[\w'’-]+", question[start:end]):
            if not _NOUN_WORD.fullmatch(word.group(0)):
                text = _blank(text, start + word.start(), start + word.end())
    return text


def _places(text: str) -> list[tuple[str, tuple[int, int]]]:
    """Every place among the council's reports the text names, in ``_PLACES`` order; a match
    inside an earlier one ("before its *latest*") is part of it, not a place of its own."""
    found: list[tuple[str, tuple[int, int]]] = []
    for kind, pattern in _PLACES:
        for match in pattern.finditer(text):
            start, end = match.span()
            if all(end <= a or start >= b for _, (a, b) in found):
                found.append((kind, (start, end)))
    return found


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _years(
    question: str,
) -> tuple[tuple[YearMention, ...], int | None, int | None, list[tuple[int, int]]]:
    year_from: int | None = None
    year_to: int | None = None
    ranged: set[int] = set()
    spans: list[tuple[int, int]] = []
    typed = question
    for pattern, bound in _OPEN_RANGES:
        for match in pattern.finditer(typed):
            group = next(i for i in range(1, (pattern.groups or 0) + 1) if match.group(i))
            year = int(match.group(group))
            if bound in ("from", "after"):
                year_from = year + (bound == "after")
            else:
                year_to = year - (bound == "before")
            ranged.add(match.start(group))
            spans.append(match.span())
            typed = _blank(typed, *match.span())
    opened = year_from is not None or year_to is not None
    for match in SINCE.finditer(typed):
        word, year = (match.group(1) or match.group(2)).lower(), int(match.group(3))
        if word == "from" and match.group(4):
            continue  # "from the 2022 inspection" names its source, not a range
        if word == "from" and _TWO_YEARS.match(question, match.start()):
            continue  # "from 2017 to 2019": two years, read below
        if word == "from" and _DIFFERENT.search(question, 0, match.start()):
            continue  # "is that any different from 2014": a year compared with, not a range
        # "after 2020", "since the 2019 inspection": later ones; "since 2020": 2020 included.
        year_from = year + 1 if word in ("after", "later than") or match.group(4) else year
        ranged.add(match.start(3))
        spans.append(match.span())
    for match in _BEFORE.finditer(typed):
        word, year = match.group(1).lower(), int(match.group(2))
        if word == "by" and not match.group(3):
            continue  # "by 2015" dates a figure more often than it bounds the reports
        year_to = year - 1 if word in ("before", "prior to", "earlier than") else year
        ranged.add(match.start(2))
        spans.append(match.span())
    within = None if opened else _RANGE_OF.search(question)
    if within and year_from is None and year_to is None:
        bounds = [int(y) for y in within.groups() if y]
        year_from, year_to = min(bounds), max(bounds)
        ranged |= {within.start(i) for i in range(1, 8) if within.group(i)}
        spans.append(within.span())
    decade = _DECADE.search(question)
    if decade and year_from is None and year_to is None:
        first, last = _DECADE_PART.get((decade.group(1) or "").lower(), (0, 9))
        year_from = int(decade.group(2)) * 10 + first
        year_to = int(decade.group(2)) * 10 + last
        spans.append(decade.span())
    months = {m.start(2): MONTHS[m.group(1).lower().rstrip(".")] for m in _MONTH_YEAR.finditer(question)}
    kind = "any"
    if _PUBLISHED.search(question):
        kind = "publication"
    elif months and _INSPECTED.search(question):
        kind = "inspection"
    mentions = []
    # "the adoption rate in 2013-14": a year of figures, which the inspection at its end reports.
    periods: dict[int, int] = {}
    for m in _PERIOD.finditer(question):
        if int(m.group(2)) == (int(m.group(1)) + 1) % 100:
            periods[m.start(1)] = int(m.group(1)) + 1
            spans.append(m.span())  # "14" is no topic word
    for match in YEAR.finditer(question):
        if match.start(1) in ranged:
            continue
        month = months.get(match.start(1))
        year = periods.get(match.start(1), int(match.group(1)))
        mentions.append(YearMention(year, month, kind if month else "any", match.start(1)))
    two = _TWO_YEARS.search(question)
    if two and not mentions and not within:
        starts = [two.start(i) for i in (1, 2, 3) if two.group(i)]
        mentions = [YearMention(int(question[s : s + 4]), None, "any", s) for s in starts]
    return tuple(mentions), year_from, year_to, spans


class Dated(Protocol):
    """A report as ``pick_relative`` sees it (``service.answers.planning.ReportInfo``)."""

    @property
    def label_year(self) -> int | None: ...


R = TypeVar("R", bound=Dated)

# Each place as an index into the council's reports, oldest first (negative: from the newest).
_FROM_END = {
    "latest": -1,
    "previous": -2,
    "third-latest": -3,
    "fourth-latest": -4,
    "earliest": 0,
    "second": 1,
    "third": 2,
    "fourth": 3,
}
_PLACE_AT = {index: place for place, index in _FROM_END.items()}
SINGLE_PLACES = frozenset(_FROM_END)
NOWHERE = "none"  # a place past either end: no report is there


def step_place(place: str, step: int) -> str | None:
    """The place ``step`` reports after (> 0) or before (< 0) a place counted from one end: the one
    before the previous is the third latest, the one after the earliest the second, the one after
    the latest ``NOWHERE``. None for a place that is not one report's."""
    if place not in _FROM_END:
        return None
    index = _FROM_END[place]
    moved = index + step
    if (index < 0) != (moved < 0):
        return NOWHERE  # stepped past the newest (or before the oldest)
    return _PLACE_AT.get(moved, NOWHERE)


def pick_relative(
    reports: Sequence[R], relative: str | None, anchored: int | None = None, anchor_year: int | None = None
) -> list[R]:
    """The report at a place among one council's ``reports`` (oldest first by publication).

    "previous" and "next" step from the report at index ``anchored`` when the question or the
    conversation named one (``anchor_year`` when the council has no report of that year: "next"
    is then the first one after it, "previous" the last one before it); otherwise "previous" is
    the one before the newest and "next" has nothing to step from. A place the council's reports
    do not reach (a second inspection of a council inspected once) gives nothing.
    """
    if not reports or relative is None:
        return list(reports)
    if relative in ("previous", "next") and (anchored is not None or anchor_year is not None):
        if anchored is None:
            assert anchor_year is not None
            if relative == "next":
                return [r for r in reports if (r.label_year or 0) > anchor_year][:1]
            return [r for r in reports if (r.label_year or 0) < anchor_year][-1:]
        position = anchored + (-1 if relative == "previous" else 1)
        return [reports[position]] if 0 <= position < len(reports) else []
    end, _, count = relative.partition("-")
    if count.isdigit():  # "latest-2": the last two; "earliest-3": the first three
        return list(reports[-int(count) :] if end == "latest" else reports[: int(count)])
    if relative not in _FROM_END:
        return []  # "the next one" after nothing named
    position = _FROM_END[relative]
    if position >= len(reports) or -position > len(reports):
        return []
    return [reports[position]]
