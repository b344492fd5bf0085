"""Query understanding: what a question says about *which* reports and *which part* of them.

An embedding of "What did Durham's 2019 inspection say about foster carers' annual reviews?" is
close to every council's paragraph on foster carer reviews; only the words "Durham" and "2019"
single out one report among 497. ``parse`` reads those words (councils with their short and
former names, years, months, "latest"/"previous"/"since 2020", judgement areas, report sections
such as "what needs to improve") into a ``QueryIntent``; ``service.planning`` then turns the
intent into report-id filters against the index's catalogue. ``parse`` is pure and cheap, so the
same function serves the API, the CLI and the evaluation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from service import lexicon
from service.aliases import Gazetteer, PlaceMention
from service.asking import Ask, read_ask
from service.text import ACRONYMS, plain

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
_YEAR = re.compile(r"\b(20[0-3]\d)\b")
_MONTH_YEAR = re.compile(rf"\b({_MONTH_WORDS})\.?,?\s+(20[0-3]\d)\b", re.IGNORECASE)
_SINCE = re.compile(r"\b(?:since|after|from)\s+(?:(?:" + _MONTH_WORDS + r")\s+)?(20[0-3]\d)\b", re.I)
_BEFORE = re.compile(
    r"\b(?:before|until|prior to|up to)\s+(?:(?:" + _MONTH_WORDS + r")\s+)?(20[0-3]\d)\b", re.I
)
_BETWEEN = re.compile(r"\bbetween\s+(20[0-3]\d)\s+and\s+(20[0-3]\d)\b", re.I)
_PUBLISHED = re.compile(r"\b(?:published|publication|report(?:ed)? (?:in|of))\b", re.I)
_INSPECTED = re.compile(r"\b(?:inspection|inspected|visit|carried out|took place)\b", re.I)

_LATEST = re.compile(
    r"\b(?:latest|most recent|newest|current|last (?:ofsted )?inspection|recent inspection)\b", re.I
)
_PREVIOUS = re.compile(r"\b(?:previous|prior|earlier|preceding) (?:ofsted )?(?:inspection|report)\b", re.I)
_EARLIEST = re.compile(r"\b(?:first|earliest|oldest) (?:ofsted )?(?:inspection|report)\b", re.I)

_JUDGEMENT_ASKS = tuple(
    re.compile(pattern, re.I)
    for pattern in (
        r"^(?:in\s+\S+\s+)?(?:what|which)\s+(?:\S+\s+){0,5}?(?:judge?ments?|grades?|ratings?)\b",
        r"\bhow\b.*\b(?:judged?|rated?|graded?|judge?ments?)\b",
        r"\b(?:was|were|is|are)\b.*\b(?:judged|rated|graded)\b",
        r"\boverall effectiveness\b",
        r"\b(?:overall|headline) (?:judge?ment|grade|rating)\b",
        r"\b(?:receive|get|give|given|got|award|awarded)\b.{0,40}\b(?:judge?ment|grade|rating)s?\b",
    )
)
_JUDGEMENT_AREAS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("impact_of_leaders", re.compile(r"\b(?:impact of leaders|leadership|leaders)\b", re.I)),
    ("help_and_protection", re.compile(r"\bhelp and protection\b", re.I)),
    ("children_in_care_and_care_leavers", re.compile(r"\bchildren in care and care leavers\b", re.I)),
    (
        "children_in_care",
        re.compile(r"\b(?:children in care|looked after children|children looked after)\b", re.I),
    ),
    ("care_leavers", re.compile(r"\bcare leavers?\b", re.I)),
    ("adoption", re.compile(r"\badoption\b", re.I)),
    ("lscb", re.compile(r"\b(?:lscb|local safeguarding children board|safeguarding children board)\b", re.I)),
    ("overall_effectiveness", re.compile(r"\b(?:overall|headline|overall effectiveness)\b", re.I)),
)
_PLURAL_JUDGEMENTS = re.compile(r"\b(?:judge?ments|grades|ratings)\b", re.I)
_ANY_AREA = re.compile(r"\b(?:which|what) (?:areas?|parts?|judgements?) (?:was|were|is|are)\b", re.I)

# Parts of a report a question can point at, with the section-title pattern each favours.
SECTION_HINTS: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    (
        "improve",
        re.compile(
            r"\b(?:needs? to improve|needed to improve|must improve|should improve|areas? for improvement|"
            r"improvements? (?:needed|required)|recommendations?|what to improve|weaknesses)\b",
            re.I,
        ),
        re.compile(r"improve|recommendation", re.I),
    ),
    (
        "leaders",
        re.compile(r"\b(?:leaders|leadership|senior managers|management oversight)\b", re.I),
        re.compile(r"leaders|leadership|management", re.I),
    ),
    (
        "care_leavers",
        re.compile(r"\b(?:care leavers?|leaving care|personal advisers?|care-leaving)\b", re.I),
        re.compile(r"care leavers|leaving care", re.I),
    ),
    (
        "children_in_care",
        re.compile(r"\b(?:children in care|looked after|foster|adoption|permanence|placements?)\b", re.I),
        re.compile(r"children in care|looked after|adoption|permanence", re.I),
    ),
    (
        "help_and_protection",
        re.compile(r"\b(?:help and protection|child protection|early help|front door|safeguarding)\b", re.I),
        re.compile(r"help and protection|protection|early help", re.I),
    ),
)

_CHANGE_OVER_TIME = re.compile(
    r"\bhow (?:has|have|did|do)\b.{0,80}\b(?:changed?|improved?|deteriorated?|developed?|progressed?)\b"
    r"(?!.*\b(?:in|at) (?:its|the|their) (?:20\d\d|latest|most recent|last) inspection)|\bover time\b",
    re.I,
)
_WHICH_COUNCIL = re.compile(
    r"\b(?:which|what) (?:council|local authority|local authorities|authority|area|councils)\b", re.I
)
# "Which councils ...?", "name councils that ...", "in which areas ...": a survey across councils,
# answered with several councils side by side rather than the one report that fits best.
_WHICH_COUNCILS = re.compile(
    r"\b(?:(?:in |at |for )?(?:which|what) (?:other )?(?:councils|local authorities|authorities|las)\b"
    r"|(?:in |at |for )?(?:which|what) (?:other )?areas\b"
    r"(?! (?:of|for|were judged|was|were rated|require|need))"
    r"|(?:name|list|identify) (?:the |some |any |all )?(?:councils|local authorities)\b"
    r"|(?:are there|were there) (?:any )?(?:councils|local authorities) (?:that|where|which|with)\b)",
    re.I,
)
_UNKNOWN_COUNCIL = re.compile(
    r"\b((?:[A-Z][a-z]+[ -])*[A-Z][a-z]+) (?:City|County|Borough|District|Metropolitan Borough) Council\b"
)

# Left out of the lexical query: the shared list (function words, "Ofsted found", "the local
# authority") and, on top, words that frame a question rather than say what it is about; dates and
# "latest"/"previous" become filters instead. ("children's" and "what's" need no entry: a
# possessive is cut before the look-up.)
STOPWORDS = lexicon.STOPWORDS | frozenset(
    [
        "authorities",
        "councils",
        "describe",
        "described",
        "find",
        "finding",
        "findings",
        "inspected",
        "inspections",
        "latest",
        "made",
        "make",
        "mention",
        "mentioned",
        "mentions",
        "previous",
        "recent",
        "reported",
        "since",
        "tell",
    ]
)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’]*")


@dataclass(frozen=True)
class YearMention:
    """A year in the question; ``month`` when a month is named; ``kind`` says what was dated."""

    year: int
    month: int | None = None
    kind: str = "any"  # "inspection", "publication" or "any"
    start: int = 0


@dataclass(frozen=True)
class QueryIntent:
    """What ``parse`` understood. Everything is optional: a plain question yields an empty intent."""

    question: str
    places: tuple[PlaceMention, ...] = ()
    outside_places: tuple[str, ...] = ()
    years: tuple[YearMention, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    relative: str | None = None  # "latest", "previous" or "earliest"
    is_judgement: bool = False
    judgement_areas: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    is_comparison: bool = False
    asks_which_council: bool = False
    asks_which_councils: bool = False  # plural: several councils, each named and cited
    terms: tuple[str, ...] = field(default=())  # content words, for lexical search and scoring
    context: str = ""  # an earlier question whose topic a bare follow-up ("and in 2016?") continues
    ask: Ask | None = None  # a survey of grades, a count, a trend, themes or a summary (``service.asking``)

    @property
    def council_keys(self) -> tuple[str, ...]:
        seen: list[str] = []
        for place in self.places:
            if place.key not in seen:
                seen.append(place.key)
        return tuple(seen)

    @property
    def has_date(self) -> bool:
        return bool(self.years or self.year_from or self.year_to or self.relative)


def parse(question: str, gazetteer: Gazetteer) -> QueryIntent:
    """Read councils, dates, judgement areas and report sections out of a question."""
    mentions = gazetteer.find(question)
    places = tuple(m for m in mentions if m.known)
    outside = [m.display for m in mentions if not m.known]
    for match in _UNKNOWN_COUNCIL.finditer(question):
        name = match.group(1)
        if not gazetteer.find(name) and name.lower() not in {"the", "a", "which", "this", "that", "each"}:
            outside.append(name)

    years, year_from, year_to = _dates(question)
    relative = None
    if _PREVIOUS.search(question):
        relative = "previous"
    elif _EARLIEST.search(question):
        relative = "earliest"
    elif _LATEST.search(question):
        relative = "latest"

    is_judgement = any(p.search(question.strip()) for p in _JUDGEMENT_ASKS)
    areas: tuple[str, ...] = ()
    if is_judgement:
        if _ANY_AREA.search(question):
            areas = ("*",)
        found = list(areas_named(question))
        if not found and _PLURAL_JUDGEMENTS.search(question):
            areas = ("*",)
        areas = tuple(dict.fromkeys([*found, *areas])) or ("overall_effectiveness",)

    sections = tuple(name for name, pattern, _ in SECTION_HINTS if pattern.search(question))
    council_count = len({p.key for p in places})
    distinct_years = {y.year for y in years}
    is_comparison = bool(
        council_count > 1
        or len(distinct_years) > 1
        or (_CHANGE_OVER_TIME.search(question) and len(distinct_years) < 2)
    )
    return QueryIntent(
        question=question,
        places=places,
        outside_places=tuple(dict.fromkeys(outside)),
        years=years,
        year_from=year_from,
        year_to=year_to,
        relative=relative,
        is_judgement=is_judgement,
        judgement_areas=areas,
        sections=sections,
        is_comparison=is_comparison,
        asks_which_council=bool(_WHICH_COUNCIL.search(question)),
        asks_which_councils=not places and bool(_WHICH_COUNCILS.search(question)),
        terms=content_terms(question, places, years),
        ask=read_ask(
            question,
            councils=council_count,
            areas=areas_named(question),
            is_judgement=is_judgement,
            years=tuple(sorted(distinct_years)),
        ),
    )


def areas_named(question: str) -> tuple[str, ...]:
    """The judgement areas a question names, the combined area of older frameworks in place of its parts."""
    found = [area for area, pattern in _JUDGEMENT_AREAS if pattern.search(question)]
    if "children_in_care_and_care_leavers" in found:
        found = [a for a in found if a not in ("children_in_care", "care_leavers")]
    return tuple(found)


def with_context(intent: QueryIntent, previous: QueryIntent | None) -> QueryIntent:
    """Carry the council and dates of an earlier question into a follow-up that names none.

    "And what about in 2016?" keeps the council and the topic and takes the new year; "what did
    they say about care leavers?" keeps council and year. A follow-up that names its own council
    starts afresh.
    """
    if previous is None or intent.places or intent.outside_places:
        return intent
    if not previous.places:
        return intent
    carried = replace(intent, places=previous.places)
    if not intent.has_date:
        carried = replace(
            carried,
            years=previous.years,
            year_from=previous.year_from,
            year_to=previous.year_to,
            relative=previous.relative,
        )
    if not intent.terms and previous.terms:
        carried = replace(carried, terms=previous.terms, context=previous.question)
    if len({p.key for p in carried.places}) > 1 or len({y.year for y in carried.years}) > 1:
        carried = replace(carried, is_comparison=True)
    return carried


def content_terms(
    question: str, places: tuple[PlaceMention, ...] = (), years: tuple[YearMention, ...] = ()
) -> tuple[str, ...]:
    """The question's words that say what it is about: no council names, dates or framing words."""
    masked = list(question)
    for place in places:
        masked[place.start : place.end] = " " * (place.end - place.start)
    text = plain("".join(masked))
    terms: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group(0).lower().replace("’", "'").strip("'-")
        if word.endswith("'s"):
            word = word[:-2]
        if not word or word in STOPWORDS or word in MONTHS or _YEAR.fullmatch(word):
            continue
        if len(word) == 1 and not word.isdigit():
            continue
        terms.append(word)
        terms.extend(ACRONYMS.get(word, "").split())
    return tuple(t for t in dict.fromkeys(terms) if t not in STOPWORDS)


def _dates(question: str) -> tuple[tuple[YearMention, ...], int | None, int | None]:
    year_from = year_to = None
    ranged: set[int] = set()
    for match in _SINCE.finditer(question):
        year_from = int(match.group(1))
        ranged.add(match.start(1))
    for match in _BEFORE.finditer(question):
        year_to = int(match.group(1))
        ranged.add(match.start(1))
    months = {m.start(2): MONTHS[m.group(1).lower().rstrip(".")] for m in _MONTH_YEAR.finditer(question)}
    kind = "any"
    if _PUBLISHED.search(question):
        kind = "publication"
    elif months and _INSPECTED.search(question):
        kind = "inspection"
    mentions = []
    for match in _YEAR.finditer(question):
        if match.start(1) in ranged:
            continue
        month = months.get(match.start(1))
        mentions.append(YearMention(int(match.group(1)), month, kind if month else "any", match.start(1)))
    between = _BETWEEN.search(question)
    if between and not mentions:
        mentions = [YearMention(int(between.group(i)), None, "any", between.start(i)) for i in (1, 2)]
    return tuple(mentions), year_from, year_to
