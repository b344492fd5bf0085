"""What a question asks for: of its answer's sentences (``Wants``), and beyond one passage (``Ask``).

``read_wants`` reads, once, what any answer must hold: a figure ("how many", "how timely", "what
was the vacancy rate": ``QUANTITY``, the one pattern that composition and abstention both read), a
shortfall or a strength ("criticised for", "praised for": ``service.answers.tone.asked``), a named
person ("who was the director ..."), the overall grade, or the kind of thing named ("which team ...").

"Which councils were judged inadequate in 2023?" wants a complete list from the judgements table,
"how many ..." its count, "how has Birmingham's grade changed?" the council's inspections in order,
"what weaknesses come up most often in care leavers services?" the findings of every report grouped
into themes, "which councils were criticised for drift?" every council whose report states it,
and "summarise Southend's 2019 inspection" one whole report. ``read_ask`` decides which from the
question's words once, when ``service.answers.query.parse`` builds the ``QueryIntent``; the
strategies of ``service.answers.strategies`` read the resulting ``Ask`` and never the question again.

The grade words are Ofsted's own scale ("outstanding", "good", "requires improvement (to be good)",
"inadequate", and "adequate" of the 2012-2013 looked-after-children inspections); the area names are
``service.answers.query``'s judgement areas (one list, shared).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from service.answers.lexicon import MONEY_WORDS
from service.answers.tone import asked

# A question that wants a figure: "how many", "what proportion", "how timely", "how quickly", "what
# was the vacancy rate", "what were IROs' caseloads", "how did the timeliness ... compare" (not "what
# about caseloads", nor "how did Ofsted rate ..."). Composition prefers sentences holding a count
# (``service.answers.figures``); abstention declines when no passage on the topic holds one.
QUANTITY = re.compile(
    r"\b(?:how (?:many|much|high|large|long|big|quickly|often|soon|timely)|"
    r"what (?:proportion|percentage|number|share)|"
    r"(?:what|how) (?:was|were|is|are) (?:the |its |their )?(?:\w+ ){0,3}"
    r"(?:rates?|numbers?|proportion|percentage|backlog|figures?|totals?|average)|"
    r"(?:what|how) (?:was|were|is|are|did|do|does|has|have) (?:the |its |their )?(?:[\w'’]+ ){0,3}"
    r"(?:caseloads?|timeliness)|"
    # typed without its question words: "number of cic in luton 2026", "percentage of care leavers in eet"
    r"^\s*(?:the\s+)?(?:total\s+)?(?:number|no|count|percentage|proportion|share)\s+of)\b",
    re.I,
)
# "Who was the director of children's services?": reports rarely name officials; the answer needs
# a named person in the evidence.
# "Who is the director ...?", and asked for by name: "what's the name of the director ...",
# "name the lead member".
WHO_IS = re.compile(
    r"\b(?:who (?:was|is|were|are)|names? (?:of|the))\b.{0,60}\b(?:director|chief executive|"
    r"leader|head|lead member|chair|minister|manager|commissioner|mayor)s?\b",
    re.I,
)
# "What is their annual budget?", "and the overspend?", "what's Walsall's council tax": a sum of
# money asked for as the thing itself (abstention then wants a sum, "£3.5m", on the topic), not
# "what did the report say about the budget", which asks for findings.
_MONEY = "|".join(sorted(MONEY_WORDS | {"tax", "overspent", "underspend"}, key=len, reverse=True))
SUM_ASKED = re.compile(
    r"\b(?:what|how much)(?:[’']s|\s+(?:is|was|are|were|will be))\s+(?:[\w’'-]+\s+){0,4}?"
    rf"(?:{_MONEY})\b"
    rf"|^\s*(?:and|so|ok|okay|what about)\s+(?:the\s+|their\s+|its\s+)?(?:[\w’'-]+\s+){{0,2}}?(?:{_MONEY})\b",
    re.I,
)
OVERALL = re.compile(r"\boverall\b", re.I)
# "At the time of its inspection" dates the question; it is not about time.
AT_THE_TIME = re.compile(r"\b(?:at|by|around) the time of\b", re.I)
# "Which team ...", "what kind of service ...": the noun naming what the answer is.
ANSWER_KIND = re.compile(r"\b(?:which|what)\s+(?:kinds? of |types? of |sorts? of )?([a-z][a-z’'-]+)", re.I)

Kind = Literal["grades", "count", "trend", "themes", "summary", "councils"]

# Grade families as questions name them, best first; "requires improvement" covers "... to be good".
GRADES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("outstanding", re.compile(r"\boutstanding\b", re.I)),
    ("good", re.compile(r"(?<!\bto be )\bgood\b(?! practice| practise| work| progress| quality)", re.I)),
    ("requires improvement", re.compile(r"\brequir(?:es?|ing|ed) improvement\b|\bRI\b")),
    ("adequate", re.compile(r"(?<!in)\badequate\b", re.I)),
    ("inadequate", re.compile(r"\binadequate\b", re.I)),
)
GRADE_ORDER = tuple(name for name, _ in GRADES)

# A grade word names a judgement only beside one of these ("judged good", "a good judgement",
# "rated outstanding", "got inadequate"); "good practice" or "adequate support" does not.
_GRADE_CUE = re.compile(
    r"\b(?:judge?d|judge?ments?|rated|ratings?|graded?|grades?|got|get|gets|getting|received?|awarded|"
    r"given|scored|deemed|found to be|ofsted (?:said|found)|overall|effectiveness|verdict)\b"
    # "were outstanding for care leavers": a grade word as the complement of "to be"
    r"|\b(?:was|were|is|are|been|be|being) (?:rated |judged |graded )?(?:outstanding|good|inadequate|"
    r"requir(?:es?|ing|ed) improvement)\b",
    re.I,
)
_COUNCILS = (
    r"(?:councils?|local authorit(?:y|ies)|authorit(?:y|ies)|las?|reports?|inspections?|areas?|places)"
)
_WHICH = re.compile(
    rf"\b(?:which|what|list|name|identify|show|give me|find)\b(?:\W+\w+){{0,3}}?\W+{_COUNCILS}\b"
    rf"|\bwhere (?:did|was|were|has|have)\b|\b(?:all|every) (?:the )?{_COUNCILS}\b"
    r"|\b(?:are|were) there (?:any )?(?:councils|local authorities)\b",
    re.I,
)
_HOW_MANY = re.compile(
    rf"\b(?:how many|number of|count of|what proportion of|what share of)\b"
    rf"(?:\W+\w+){{0,2}}?\W+{_COUNCILS}\b",
    re.I,
)
_EVERY_AREA = re.compile(
    r"\b(?:every|all|each) (?:of (?:its|their|the) )?(?:judge?ments?|areas?|grades?|ratings?)\b"
    r"|\b(?:judged|rated|graded) \w+ (?:in|for|across) (?:every|all|each)\b",
    re.I,
)
_LATEST = re.compile(
    r"\b(?:currently|now|at present|latest|most recent|last inspection|"
    r"current (?:grade|rating|judge?ment))\b",
    re.I,
)
_UP = re.compile(
    r"\b(?:improved|improving|improves|(?:go|goes|went|gone|move[ds]?|moving) up|rose|risen|better|upgraded|"
    r"climb\w*)\b",
    re.I,
)
_DOWN = re.compile(
    r"\b(?:declin\w*|deteriorat\w*|(?:go|goes|went|gone|move[ds]?|moving) down|dropp\w*|fell|fallen|"
    r"worse|downgraded|slipp\w*|regress\w*|lost|lose|loses|losing)\b",
    re.I,
)
_CHANGE = re.compile(
    r"\b(?:chang\w*|trend|history|over time|over the years|trajectory|ever (?:been|got|had|received)|"
    r"(?:go|gone|went|move[ds]?) up or down|up or down|over (?:its|their|the|all) (?:\w+ )?inspections|"
    r"compare[ds]? with "
    r"(?:its|their) (?:previous|last|earlier)|between (?:inspections|its inspections|their inspections)|"
    r"since (?:the|its|their) (?:last|previous) inspection|every inspection|each inspection|"
    r"all (?:its|their|the) inspections)\b",
    re.I,
)
# "Inspected in 2022", "inspections carried out in 2022": the year of the visit, not of the report.
_INSPECTION_YEAR = re.compile(
    r"\binspected (?:in|during|since|between|before)\b"
    r"|\binspections? (?:carried out |that took place |done )?"
    r"(?:in|during|since|between|before) (?:\w+ )?20\d\d\b|\bvisited (?:in|during)\b",
    re.I,
)
_AT_INSPECTION = re.compile(
    r"\b(?:at|in|by) (?:their|its|the) (?:latest|last|most recent|next|second|re-?)?\s*inspections?\b", re.I
)
# Frameworks a question names, with the ids of ``service.answers.judgements.FRAMEWORK_NAMES``.
FRAMEWORKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("sif", re.compile(r"\bsingle inspection framework\b|\bSIF\b", re.I)),
    (
        "ilacs-2026",
        re.compile(r"\b(?:reformed|new|2026|post-reform) (?:ilacs |inspection )?framework\b", re.I),
    ),
    ("ilacs", re.compile(r"\bILACS\b(?! (?:2026|reform))", re.I)),
    ("lac", re.compile(r"\binspections? of (?:services for )?looked after children\b", re.I)),
)
# The same grade at several inspections: "inadequate at two inspections in a row", "stayed good",
# "judged inadequate twice". ``_IN_A_ROW`` asks for consecutive inspections; ``_TIMES`` for any.
_IN_A_ROW = re.compile(
    r"\b(?:in a row|consecutive(?:ly)?|successive(?:ly)?|running|back[- ]to[- ]back|"
    r"stay(?:ed|s|ing)?|remain(?:ed|s|ing)?|kept|keep(?:s|ing)?|retain(?:ed|s|ing)?|"
    r"maintain(?:ed|s|ing)?|held on to|hold on to|(?:the )?same grade|unchanged|again)\b",
    re.I,
)
_TIMES = re.compile(
    r"\b(?:twice|more than once|(?:two|three|four|five|\d) (?:times|occasions|inspections|reports)|"
    r"(?:at|in) (?:both|all|each) (?:of )?(?:their|its|the) (?:\w+ )?inspections)\b",
    re.I,
)
_HOW_OFTEN = re.compile(r"\b(?P<n>twice|two|three|four|five|\d)\b(?! or)", re.I)
_NUMBERS = {"twice": 2, "two": 2, "three": 3, "four": 4, "five": 5}
# "What grades did councils get in 2023?", "how were councils rated for care leavers?": every grade
# of the reports in scope, counted by grade (no grade named). Only with councils in the plural
# (``_MANY``): "what were the grades?" after a question about one council is about that council.
_SPREAD = re.compile(
    r"\b(?:what|which) (?:\w+ ){0,3}(?:grades?|judge?ments?|ratings?)\b"
    r"|\bhow (?:were|are|have|did) (?:the )?\w+(?: \w+)? (?:been )?(?:graded|rated|judged)\b"
    r"|\bhow many \w+(?: \w+)? (?:got|received|were (?:judged|rated|graded)|had) (?:each|every) "
    r"(?:grade|rating|judge?ment)\b",
    re.I,
)
_MANY = re.compile(r"\b(?:councils|local authorities|authorities|LAs|every council|each council)\b", re.I)
# "A breakdown of overall grades in 2024": a distribution is across reports by itself (not "its grades").
_BREAKDOWN = re.compile(
    r"\b(?:breakdown|distribution|spread|split|tally|range|mix) of (?:the )?(?!its |their )(?:\w+ ){0,3}"
    r"(?:grades|judge?ments|ratings)\b",
    re.I,
)
_GRADE_NOUN = re.compile(r"\b(?:grades?|judge?ments?|ratings?|rated|judged|graded)\b", re.I)
_PLURAL = re.compile(r"\b(?:grades|judge?ments|ratings)\b", re.I)
_GRADE_PHRASE = re.compile(r"\brequir(?:es?|ing|ed) improvement(?: to be good)?\b", re.I)
_FROM_TO = re.compile(
    r"\bfrom (?P<a>[\w ]+?) to (?P<b>outstanding|good|requires? improvement|inadequate|adequate)\b", re.I
)
# One end of a change named alone: "lost their outstanding grade", "fell to inadequate".
_FROM_ONLY = re.compile(
    r"\b(?:lost|lose|loses|losing|from|dropped from|fell from)\b(?P<a>(?:\s+\w+){1,4})", re.I
)
_TO_ONLY = re.compile(r"\b(?:to|became|become|becoming|gained|gain|reached)\b(?P<b>(?:\s+\w+){1,4})", re.I)
_THEMES = re.compile(
    r"\b(?:most (?:common(?:ly)?|often|frequent(?:ly)?|usual|typical)|come up|comes up|came up|crop up|"
    r"recurr\w*|common (?:themes?|weakness\w*|strengths?|problems?|issues?|concerns?|criticisms?|"
    r"failings?|shortfalls?|findings?|praise)|themes?|(?:praise|criticise|criticize)s? (?:most|more)|"
    r"across (?:all )?(?:the )?(?:councils|reports|local authorities|inspections)|typically|in general|"
    r"(?:what|which) (?:do|did) inspectors (?:most|usually|often)|again and again|repeatedly)\b",
    re.I,
)
_SUMMARY = re.compile(
    r"\b(?:summar(?:ise|ize|ised|ized|y|ies)|overview|sum up|in a nutshell|gist|"
    r"main (?:strengths|weaknesses|findings|points|messages|conclusions)|"
    r"(?:key|headline|overall) findings|strengths and weaknesses|strengths and areas|"
    r"how (?:well |badly )?(?:did|does|has) \S+(?: \S+){0,5}? (?:do|done|fare|fared|perform|performed)"
    r"(?= *(?:at|in|on|overall|when|$|[?.]))|what did (?:ofsted|inspectors|the inspection|the report) "
    r"(?:find|conclude|say)(?= *(?:in|of|at|for|when)\b.{0,60}$| *[?.]?$)|"
    r"what (?:was|is) the (?:verdict|outcome|result) of)",
    re.I,
)


@dataclass(frozen=True)
class Ask:
    """What a cross-council or whole-report question asks, read once from its words.

    ``kind``: ``grades`` (a complete list from the judgements table), ``count`` (the same, counted),
    ``trend`` (grades over consecutive inspections), ``themes`` (findings grouped across reports) or
    ``summary`` (one whole report). ``grades`` and ``areas`` are what the question names;
    ``every_area`` asks for reports with that grade in every area; ``latest`` for each council's
    latest inspection; ``change`` is ``up``/``down`` (with ``from_grade``/``to_grade`` when named)
    for a trend; ``tone`` is -1 for weaknesses and +1 for strengths (themes).
    """

    kind: Kind
    grades: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    every_area: bool = False
    latest: bool = False
    change: str | None = None
    from_grade: str | None = None
    to_grade: str | None = None
    tone: int = 0
    # "inspection" when the question dates the inspection itself ("inspected in 2022").
    year_kind: Literal["publication", "inspection"] = "publication"
    frameworks: tuple[str, ...] = ()  # the inspection frameworks it names (``FRAMEWORKS``)
    # The same grade at ``repeat`` inspections or more (0: not asked), consecutive ones when
    # ``consecutive`` ("inadequate at two inspections in a row", "stayed good").
    repeat: int = 0
    consecutive: bool = False


@dataclass(frozen=True)
class Wants:
    """What a question asks of its answer's sentences, beyond its topic (``read_wants``)."""

    figure: bool = False  # a count or rate (``QUANTITY``)
    tone: int = 0  # -1 criticism, +1 praise, 0 neither or both (``service.answers.tone.asked``)
    person: bool = False  # a named official ("who was the director ...?")
    overall: bool = False  # names "overall" (the overall effectiveness grade)
    kind: str | None = None  # "which team ...?": "team", the kind of thing asked for, as written
    at_the_time: bool = False  # "at the time of its inspection": "time" is no topic


def read_wants(question: str) -> Wants:
    """What a (normalised) question wants of its answer; read once, when the intent is built."""
    kind = ANSWER_KIND.search(question)
    return Wants(
        figure=bool(QUANTITY.search(question) or SUM_ASKED.search(question)),
        tone=asked(question),
        person=bool(WHO_IS.search(question)),
        overall=bool(OVERALL.search(question)),
        kind=kind.group(1) if kind else None,
        at_the_time=bool(AT_THE_TIME.search(question)),
    )


def grades_named(text: str) -> tuple[str, ...]:
    """The grade families a text names, in ``GRADE_ORDER``."""
    found = [name for name, pattern in GRADES if pattern.search(text)]
    if "inadequate" in found and not re.search(r"(?<!in)\badequate\b", text, re.I):
        found = [g for g in found if g != "adequate"]
    return tuple(found)


@dataclass(frozen=True)
class _Reading:
    """What ``read_ask`` reads of a question before deciding its kind: grades, change, scope."""

    grades: tuple[str, ...]
    graded: bool  # a grade word that names a judgement ("judged good", not "good practice")
    about_grades: bool
    direction: str | None
    from_grade: str | None
    to_grade: str | None
    year_kind: Literal["publication", "inspection"]
    frameworks: tuple[str, ...]

    @classmethod
    def of(cls, question: str, is_judgement: bool) -> _Reading:
        grades = grades_named(question)
        direction, from_grade, to_grade = _change_named(question, grades)
        graded = bool(grades) and (bool(_GRADE_CUE.search(question)) or is_judgement)
        return cls(
            grades=grades,
            graded=graded,
            about_grades=graded
            or is_judgement
            or bool(_GRADE_NOUN.search(question) or from_grade or to_grade),
            direction=direction,
            from_grade=from_grade,
            to_grade=to_grade,
            year_kind="inspection" if _INSPECTION_YEAR.search(question) else "publication",
            frameworks=tuple(name for name, pattern in FRAMEWORKS if pattern.search(question)),
        )


def read_ask(
    question: str,
    *,
    councils: int,
    areas: tuple[str, ...],
    is_judgement: bool,
    years: tuple[int, ...] = (),
    tone: int | None = None,
) -> Ask | None:
    """The ``Ask`` of a question, or None.

    ``councils`` is how many known councils it names, ``areas`` the judgement areas it names,
    ``years`` the distinct years: a single council's trend names at most one (two years are a
    comparison of two inspections, which the text path answers side by side); ``tone`` what
    ``read_wants`` found (read again when not given).
    """
    read = _Reading.of(question, is_judgement)
    if councils == 1:
        return _of_one_council(question, read, areas, years)
    if councils > 1:
        return None
    grades, graded, year_kind, frameworks = read.grades, read.graded, read.year_kind, read.frameworks
    which = bool(_WHICH.search(question))
    how_many = bool(_HOW_MANY.search(question))
    latest = bool(_LATEST.search(question))
    themes = bool(_THEMES.search(question))
    between = bool(_CHANGE.search(question) or _AT_INSPECTION.search(question))
    repeat, consecutive = _repeated(question, read.direction, read.from_grade, read.to_grade, len(grades))
    if (which or how_many) and repeat and (grades or read.about_grades) and not themes:
        grade = (read.from_grade or read.to_grade or grades[0]) if grades else None
        return Ask(
            "count" if how_many else "trend",
            (grade,) if grade else (),
            areas,
            change="same",
            from_grade=grade,
            to_grade=grade,
            latest=latest,
            year_kind=year_kind,
            frameworks=frameworks,
            repeat=repeat,
            consecutive=consecutive,
        )
    if (
        (which or how_many)
        and (read.about_grades or between)
        and (read.direction or read.from_grade)
        and not themes
    ):
        kind: Kind = "count" if how_many else "trend"
        return Ask(
            kind,
            grades,
            areas,
            change=read.direction,
            from_grade=read.from_grade,
            to_grade=read.to_grade,
            latest=latest,
            year_kind=year_kind,
            frameworks=frameworks,
        )
    if (which or how_many) and (graded or (is_judgement and bool(areas))):
        every_area = bool(_EVERY_AREA.search(question))
        kind = "count" if how_many else "grades"
        return Ask(
            kind,
            grades,
            areas,
            every_area=every_area,
            latest=latest,
            year_kind=year_kind,
            frameworks=frameworks,
        )
    spread = bool(_SPREAD.search(question) and _MANY.search(question)) or bool(_BREAKDOWN.search(question))
    if not grades and spread and not themes:
        kind = "count" if how_many else "grades"
        return Ask(kind, (), areas, latest=latest, year_kind=year_kind, frameworks=frameworks)
    tone = asked(question) if tone is None else tone
    if themes and tone:
        return Ask("themes", areas=areas, tone=tone, year_kind=year_kind, frameworks=frameworks)
    if (which or how_many) and not graded and tone:
        # "Which councils were criticised for drift in care proceedings?": every council whose
        # report states a shortfall (or a strength) on the topic, not the best few passages.
        return Ask("councils", areas=areas, tone=tone, year_kind=year_kind, frameworks=frameworks)
    return None


def _of_one_council(
    question: str, read: _Reading, areas: tuple[str, ...], years: tuple[int, ...]
) -> Ask | None:
    """One council's question: a summary of a report, or its grades over its inspections."""
    if _SUMMARY.search(question) and not _CHANGE.search(question):
        return Ask("summary", areas=areas, year_kind=read.year_kind)
    if read.about_grades and _CHANGE.search(question) and len(years) < 2:
        if not areas and _PLURAL.search(question):
            areas = ("*",)
        return Ask(
            "trend",
            read.grades,
            areas,
            change=read.direction,
            from_grade=read.from_grade,
            to_grade=read.to_grade,
            year_kind=read.year_kind,
            frameworks=read.frameworks,
        )
    return None


def _change_named(question: str, grades: tuple[str, ...]) -> tuple[str | None, str | None, str | None]:
    """The direction of a change a question names, and the grades it goes from and to ("from
    inadequate to good"; "lost their outstanding grade": from outstanding)."""
    direction = _direction(question)
    from_grade = to_grade = None
    from_to = _FROM_TO.search(question)
    if from_to:
        before, after = grades_named(from_to.group("a")), grades_named(from_to.group("b"))
        from_grade = before[0] if before else None
        to_grade = after[0] if after else None
        if from_grade and to_grade and direction is None:
            direction = "up" if GRADE_ORDER.index(to_grade) < GRADE_ORDER.index(from_grade) else "down"
    elif direction and len(grades) == 1:
        lost = _FROM_ONLY.search(question)
        if lost and grades_named(lost.group("a")):
            from_grade = grades[0]
        gained = _TO_ONLY.search(question)
        if gained and grades_named(gained.group("b")) and from_grade is None:
            to_grade = grades[0]
    return direction, from_grade, to_grade


def _repeated(
    question: str, direction: str | None, from_grade: str | None, to_grade: str | None, named: int
) -> tuple[int, bool]:
    """How many inspections a question wants one grade kept at, and whether consecutive ones.

    Only when no change between two grades is asked ("from inadequate to good" is a change) and
    at most one grade is named; (0, False) otherwise.
    """
    if direction is not None or named > 1 or (from_grade and to_grade and from_grade != to_grade):
        return 0, False
    in_a_row, times = _IN_A_ROW.search(question), _TIMES.search(question)
    if not (in_a_row or times):
        return 0, False
    count = _HOW_OFTEN.search(question)
    repeat = _NUMBERS.get(count.group("n").lower(), 0) if count else 0
    if count and not repeat:
        repeat = int(count.group("n"))
    return max(repeat, 2), bool(in_a_row)


def _direction(question: str) -> str | None:
    question = _GRADE_PHRASE.sub(" ", question)
    up, down = bool(_UP.search(question)), bool(_DOWN.search(question))
    if up == down:
        return None
    return "up" if up else "down"
