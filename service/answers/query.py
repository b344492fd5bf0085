"""Query understanding: what a question says about *which* reports and *which part* of them.

An embedding of "What did Durham's 2019 inspection say about foster carers' annual reviews?" is
close to every council's paragraph on foster carer reviews; only the words "Durham" and "2019"
single out one report among 497. ``parse`` reads those words (councils with their short and
former names, years, months, "latest"/"previous"/"since 2020", judgement areas, report sections
such as "what needs to improve") into a ``QueryIntent``; ``service.answers.planning`` then turns the
intent into report-id filters against the index's catalogue. ``parse`` is pure and cheap, so the
same function serves the API, the CLI and the evaluation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from service.answers.aliases import ABOLISHED, Gazetteer, PlaceMention
from service.answers.asking import GRADE_ORDER, Ask, Wants, read_ask, read_wants
from service.answers.lexicon import (
    CHANGE_FRAMING,
    FOLLOWUP_FILLER,
    FRAMING_WORDS,
    IMPROVE_HINT,
    NO_TOPIC,
    QUERY_STOPWORDS,
    TONE_FRAMING,
)
from service.answers.normalise import Correction, Normalised
from service.answers.remit import other_inspection, personal_case
from service.answers.text import ACRONYMS, fold, plain, stem
from service.answers.tone import CASUAL_CRITICISM
from service.answers.when import (
    MONTHS,
    SINCE,
    SINCE_LAST,
    SINGLE_PLACES,
    YEAR,
    YearMention,
    read_dates,
    step_place,
    undated,
)

# "How had X changed since its previous inspection?", "did york get worse since 2016", "lancs 2018
# still inadequate or not", "did they improve by the next one": a question about change from an
# earlier inspection. The reports answer it in their own words ("have deteriorated since the last
# inspection in 2015", "no longer inadequate"), which ``service.answers.answering`` favours; the
# change words themselves frame the question rather than name its topic.
_CHANGE_WORDS = re.compile(
    r"\b(?:chang(?:e|ed|es)|improv(?:e|ed|ing|ement)|progress(?:ed)?|better|worse|deteriorat(?:e|ed|ion)|"
    r"declin(?:e|ed)|still (?:inadequate|good|outstanding|requires improvement)|no longer|any different|"
    r"turn(?:ed|ing)? (?:it |things |itself )?(?:a)?round)\b"
    # A grade or a standard kept: "did they keep it up", "did it stay that way", "kept their grade".
    r"|\b(?:keep|keeps|keeping|kept|hold|holds|held) (?:it|that|this|things|them) up\b"
    r"|\b(?:stay|stays|stayed|remain|remains|remained) (?:the same|that way|like that|at that level)\b"
    r"|\b(?:keep|keeps|kept|hold|holds|held)(?: on to| onto)? (?:its|their|the|that|this) "
    r"(?:grade|rating|judge?ment|standard)s?\b",
    re.I,
)
_CHANGE_BASE = re.compile(
    r"\b(?:since|previous|prior|last|before|next|by the|vs|versus|compared|still|no longer|over time|"
    r"any different|any better|any worse)\b",
    re.I,
)
_EVER = re.compile(r"\bever\b", re.I)

_JUDGEMENT_ASKS = tuple(
    re.compile(pattern, re.I)
    for pattern in (
        r"^(?:in\s+\S+\s+)?(?:what|which)\s+(?:\S+\s+){0,5}?(?:judge?ments?|grades?|ratings?)\b",
        r"\bhow\b.*\b(?:judged?|rated?|graded?|judge?ments?)\b",
        r"\b(?:was|were|is|are)\b.*\b(?:judged|rated|graded)\b",
        r"\boverall effectiveness\b",
        r"\b(?:overall|headline) (?:ofsted )?(?:judge?ment|grade|rating)\b",
        r"\b(?:receive|get|give|given|got|award|awarded)\b.{0,40}\b(?:judge?ment|grade|rating)s?\b",
        # As people type them: "lancs 2018 still inadequate or not", "hants 2024 were care leavers
        # outstanding too", "halton 2020 grade", "sunderland 2023 ILACS result".
        r"^(?!.*\b(?:why|how|what|which|who|where|when|describe|examples?|made|makes)\b)"
        r".*\b(?:outstanding|inadequate|requires improvement)\b",
        r"^(?!\W*(?:what|which|who|how|why|when|where)\b)(?:\S+\s+){0,5}(?:ofsted\s+|ilacs\s+|inspection\s+)?"
        r"(?:overall\s+)?(?:grade|rating|judge?ment|result|outcome)s?\b(?!\s+(?:of|for|on|about)\b)",
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
# A grade asked for by naming its area next to the grade word, however many words the council's
# name or the area take ("Barking and Dagenham 2014 inspection: children in care grade", "first
# ever grade for care leavers", "what did they get for LAC at the last inspection"), read on the
# question with its abbreviations spelt out. The areas are ``_JUDGEMENT_AREAS``' own patterns.
_AREA_WORDS = "|".join(p.pattern for area, p in _JUDGEMENT_AREAS if area != "overall_effectiveness")
_AREA_WORDS = rf"(?:children\s+(?:who|that)\s+need\s+)?(?:{_AREA_WORDS})"  # the area's full name
_GRADE_NOUN = r"(?:grade|grading|rating|judge?ment)s?"
_AREA_GRADE = re.compile(
    rf"(?:{_AREA_WORDS})\s+(?:ofsted\s+)?{_GRADE_NOUN}\b"
    rf"|\b{_GRADE_NOUN}\s+(?:for|of|on)\s+(?:the\s+)?(?:{_AREA_WORDS})"
    rf"|(?:\b(?:get|got|receive|received|score|scored|awarded)|\bhow\s+(?:did|does|do)\b.{{0,60}}?\bdo)"
    rf"\s+for\s+(?:the\s+)?(?:{_AREA_WORDS})\s*(?:$|[?.!]|\b(?:at|in|from|under|during|last|this|that|then|when)\b)"
    rf"|\bofsted\s+(?:for\s+)?(?:{_AREA_WORDS})\s*(?:$|[?.!])"
    # "lancs care leavers since 2024 any good", "was adoption good or not", "how was adoption?",
    # "how good were children in care": how an area was judged, asked without a grade word.
    rf"|(?:{_AREA_WORDS})\s+(?:\S+\s+){{0,3}}?(?:any good|good or not|up to scratch)\b"
    rf"|\bhow\s+(?:good\s+)?(?:was|were|is|are)\s+(?:the\s+|its\s+|their\s+)?(?:{_AREA_WORDS})\s*(?:$|[?.!])"
    rf"|\bhow\s+good\s+(?:was|were|is|are)\s+(?:the\s+|its\s+|their\s+)?(?:{_AREA_WORDS})",
    re.I,
)
_PLURAL_JUDGEMENTS = re.compile(r"\b(?:judge?ments|grades|ratings)\b", re.I)
_ANY_AREA = re.compile(r"\b(?:which|what) (?:areas?|parts?|judgements?) (?:was|were|is|are)\b", re.I)

# Parts of a report a question can point at, with the section-title pattern each favours.
SECTION_HINTS: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    (
        "improve",
        re.compile(
            r"\b(?:needs? to improve|needed to improve|must improve|should improve|areas? for improvement|"
            r"need(?:s|ed)? improving|needs? (?:doing|work(?:ing)? on|fixing)|"
            r"(?:anything|something|much|more|what(?:['’]?s| is)?) (?:left |else |still )?"
            r"(?:for (?:them|it) )?to (?:improve|work on|fix|sort out)|"
            r"improvements? (?:needed|required)|recommendations?|what to improve|weaknesses)\b",
            re.I,
        ),
        IMPROVE_HINT,
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
    # typed in lower case: "maidstone borough council"
    r"|\b([a-z]+(?: [a-z]+)?) (?:city|county|borough|district) council\b"
)

# "midsomer council": a bare council whose name is one word; taken for a place only when the word
# is no word of the reports nor of English (``parse``'s ``is_word``), so "the local council" is not.
_BARE_COUNCIL = re.compile(r"\b([A-Za-z][a-z]+) [Cc]ouncil\b")

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’]*")
_HOW_MEASURE = re.compile(r"\bhow (?:long|quickly|quick|often|soon|far|fast)\b", re.I)
_NOT_NAMES = frozenset(
    {"every", "any", "another", "other", "same", "whole", "new", "old", "former", "single"}
)


@dataclass(frozen=True)
class QueryIntent:
    """What ``parse`` understood. Everything is optional: a plain question yields an empty intent."""

    question: str
    places: tuple[PlaceMention, ...] = ()
    outside_places: tuple[str, ...] = ()
    # Those of ``outside_places`` that are parts of England and no council ("South Yorkshire",
    # "the North East": ``aliases.ENGLISH_AREAS``).
    regions: tuple[str, ...] = ()
    # What another inspection than the council's children's services grades, when that is what the
    # question asks for ("Bradford College", a SEND area inspection: ``service.answers.remit``).
    other_inspection: str | None = None
    # The asker's own case ("who was my social worker"): the reports are anonymised.
    own_case: bool = False
    # Councils named that were abolished before the collection's reports of their area
    # (``aliases.ABOLISHED``): ``places`` holds their successors.
    abolished: tuple[str, ...] = ()
    years: tuple[YearMention, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    relative: str | None = None  # a place among the council's reports (``service.answers.when``)
    # Which date ranges and relative dates read: "publication" (the default, as the manifest dates
    # reports) or "inspection" ("inspected in", "carried out in").
    date_basis: str = "publication"
    # "The previous inspection" in a follow-up: the one before the report the conversation was about.
    anchor: YearMention | None = None
    from_history: bool = False  # the council (or year) came from earlier turns
    # "How does that compare to the one before?": the inspection named and the one discussed, side by side.
    beside_discussed: bool = False
    # The report discussed, when the conversation named it by its place ("croydon's previous
    # inspection"), not by a year (``anchor``): what "the one before" steps from and "how does
    # that compare" sets beside.
    discussed: str | None = None
    is_judgement: bool = False
    judgement_areas: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    is_comparison: bool = False
    asks_which_council: bool = False
    asks_which_councils: bool = False  # plural: several councils, each named and cited
    terms: tuple[str, ...] = field(default=())  # content words, for lexical search and scoring
    context: str = ""  # an earlier question whose topic a bare follow-up ("and in 2016?") continues
    ask: Ask | None = (
        None  # a survey of grades, a count, a trend, themes or a summary (``service.answers.asking``)
    )
    # ``question`` is the normalised text (``service.answers.normalise``); ``original`` is as typed.
    original: str = ""
    corrections: tuple[Correction, ...] = ()
    # Abbreviations of the question and their other forms ("plo", "public law outline"), and the
    # terms a follow-up borrowed from the question it continues (weighed less than its own).
    expansions: tuple[tuple[str, str], ...] = ()
    borrowed: tuple[str, ...] = ()
    # A question about change from an earlier inspection ("changed since", "still inadequate").
    asks_change: bool = False
    # What the answer's sentences must hold beyond the topic: a figure, a tone, a named person ...
    wants: Wants = field(default=Wants())
    # Names put in quotes ('Speaker Box') or written as one token (Safe@last): of the question, and
    # of ``search_text`` (with the earlier question a follow-up continues).
    phrases: tuple[str, ...] = ()
    search_phrases: tuple[str, ...] = ()

    @property
    def search_text(self) -> str:
        """What retrieval embeds: the question, after the earlier one whose topic it continues."""
        return f"{self.context} {self.question}" if self.context else self.question

    @property
    def broad_tone(self) -> bool:
        """A tone asked of no topic ("what was holding them back", "was it that bad at the previous
        one too"): shortfalls (or strengths) of the report as a whole."""
        return bool(self.wants.tone) and all(t.lower() in _NOT_TOPIC for t in self.terms)

    @property
    def slots(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The topic as (whom, what): the terms naming the part of the report or judgement area it
        is about ("care", "leavers"), and the other terms that name a topic (``_slots``)."""
        return _slots(self)

    @property
    def area_tone(self) -> bool:
        """A tone asked of an area alone ("any concerns raised about their care leavers",
        "anything flagged about help and protection"): its whom, and no what about them."""
        whom, what = self.slots
        return bool(self.wants.tone) and bool(whom) and bool(self.sections) and not what

    @property
    def broad_change(self) -> bool:
        """A change asked of no topic ("did they keep it up at the next one", "had things got
        better by the next one"): how the services as a whole changed, which the report says in
        its own words (``lexicon.CHANGE_SENTENCE``)."""
        return self.asks_change and all(t.lower() in _NOT_TOPIC for t in self.terms)

    @property
    def asks_list(self) -> bool:
        """ "What needs to improve?": the report's own list of improvements answers it."""
        return "improve" in self.sections

    @property
    def aliases(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Abbreviations among the terms whose long forms' words are terms too, as stems: one
        concept ("cic" with "children", "care"), not two."""
        stemmed = {stem(t) for t in self.terms}
        table = {**{a: ACRONYMS[a] for a in (t.lower() for t in self.terms) if a in ACRONYMS}}
        for written, other in self.expansions:
            if len(written.split()) == 1:
                table[written] = other
            elif len(other.split()) == 1:
                table[other] = written
        out = []
        for abbr, long_form in table.items():
            words = tuple(stem(w) for w in long_form.replace("'s", "").split() if w not in QUERY_STOPWORDS)
            if words and stem(abbr) in stemmed and all(w in stemmed for w in words):
                out.append((stem(abbr), words))
        return tuple(out)

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


def parse(
    question: str | Normalised, gazetteer: Gazetteer, is_word: Callable[[str], bool] | None = None
) -> QueryIntent:
    """Read councils, dates, judgement areas and report sections out of a question.

    Given a ``Normalised`` question, its normalised text is read, its abbreviations also count as
    their long forms (and the reverse), and the original is kept beside it. ``is_word`` says
    whether a word is one of the reports' or of English: a "midsomer council" whose name is
    neither is a place the index has no report of.
    """
    normalised = question if isinstance(question, Normalised) else Normalised(question, question)
    question = normalised.text
    mentions = gazetteer.find(question)
    places = tuple(m for m in mentions if m.known)
    # A council's own name is no topic, nor is its abbreviation ("bournemouth, christchurch and
    # poole" is "BCP" in its reports): only abbreviations written outside the place names count.
    expansions = _outside_places(question, mentions, normalised.expansions)
    if expansions != normalised.expansions:
        normalised = replace(normalised, expansions=expansions)
    outside = [m.display for m in mentions if not m.known]
    for match in _UNKNOWN_COUNCIL.finditer(question):
        name = match.group(1) or match.group(2)
        words = name.lower().split()
        if match.group(2) and any(w in QUERY_STOPWORDS or w in _NOT_NAMES for w in words):
            continue  # "which county council", "the local borough council"
        if not gazetteer.find(name) and name.lower() not in {"the", "a", "which", "this", "that", "each"}:
            outside.append(name if match.group(1) else name.title())
    if is_word is not None and not places:
        for match in _BARE_COUNCIL.finditer(question):
            name = match.group(1)
            if not is_word(name) and not gazetteer.find(name) and name.title() not in outside:
                outside.append(name.title())

    # Dates are read with the councils' names blanked, so "the previous Leeds report" is a place
    # among Leeds's reports as "Leeds's previous report" is (offsets kept).
    unnamed = question
    for place in mentions:
        end = place.end + 2 if question[place.end : place.end + 2] in ("'s", "’s") else place.end
        unnamed = unnamed[: place.start] + " " * (end - place.start) + unnamed[end:]
    dates = read_dates(unnamed)
    years, year_from, year_to, relative = dates.years, dates.year_from, dates.year_to, dates.relative
    anchor = dates.anchor
    is_judgement = any(p.search(question.strip()) for p in _JUDGEMENT_ASKS)
    # The question with its abbreviations' long forms: "is barnet outstanding for CiC" names the
    # children in care judgement, "hants CLA" the children in care part of a report.
    readable = " ".join([question, *(other for _, other in normalised.expansions)])
    is_judgement = is_judgement or bool(_AREA_GRADE.search(spelt_out(question, normalised.expansions)))
    areas = (_areas(readable) or ("overall_effectiveness",)) if is_judgement else ()

    sections = tuple(name for name, pattern, _ in SECTION_HINTS if pattern.search(readable))
    council_count = len({p.key for p in places})
    distinct_years = {y.year for y in years}
    # The words that date the question say which report, not what it is about ("penultimate").
    terms = content_terms(_unframed(undated(question, dates)), places, years, normalised.expansions)
    asks_change = _asks_change(question, sections, len(distinct_years), relative)
    if asks_change:
        # The change words frame the question; the year it is measured from is part of its topic
        # ("since the last inspection in 2016"), and "since 2016" means the reports after 2016's,
        # the first of which says how things changed from it.
        since = [m for m in SINCE.finditer(question) if (m.group(1) or "").lower() == "since"]
        terms = tuple(t for t in terms if t not in CHANGE_FRAMING) + tuple(m.group(3) for m in since)
        ranged = bool(since) and relative is None and not since[0].group(4)
        # ("Since 2015, has its grade ever been better than ...?" asks of every report since.)
        if ranged and year_from is not None and not is_judgement and not _EVER.search(question):
            # The inspection after the one of that year (York's 2016 inspection, published in 2017).
            anchor, relative, year_from = YearMention(year_from), "next", None
    wants = read_wants(question)
    if not wants.person and read_wants(spelt_out(question, normalised.expansions)).person:
        # "who is the dcs": asked for a named director, the abbreviation spelt out.
        wants = replace(wants, person=True)
    ask = read_ask(
        question,
        councils=council_count,
        areas=areas_named(readable),
        is_judgement=is_judgement,
        years=tuple(sorted(distinct_years)),
        tone=wants.tone,
    )
    headline = all(t in NO_TOPIC for t in terms) and not (asks_change and _ASKS_WHAT.search(question))
    if places and not is_judgement and ask is None and not sections and headline:
        is_judgement, areas = True, ("overall_effectiveness",)  # "greenwich most recent ofsted"
    is_comparison = bool(
        council_count > 1
        or len(distinct_years) > 1
        or (_CHANGE_OVER_TIME.search(question) and len(distinct_years) < 2)
        or (relative or "").rpartition("-")[2].isdigit()  # "its last two inspections"
    )
    return QueryIntent(
        question=question,
        places=places,
        outside_places=tuple(dict.fromkeys(outside)),
        regions=tuple(dict.fromkeys(m.display for m in mentions if m.key in gazetteer.regions)),
        other_inspection=other_inspection(question),
        own_case=personal_case(question),
        abolished=tuple(
            dict.fromkeys(
                name
                for m in places
                if (name := " ".join(question[m.start : m.end].lower().split())) in ABOLISHED
            )
        ),
        years=years,
        year_from=year_from,
        year_to=year_to,
        relative=relative,
        date_basis=dates.basis,
        anchor=anchor,
        is_judgement=is_judgement,
        judgement_areas=areas,
        sections=sections,
        is_comparison=is_comparison,
        asks_which_council=bool(_WHICH_COUNCIL.search(question)),
        asks_which_councils=not places and bool(_WHICH_COUNCILS.search(question)),
        terms=terms,
        original=normalised.original,
        corrections=normalised.corrections,
        expansions=normalised.expansions,
        ask=ask,
        asks_change=asks_change,
        wants=wants,
        phrases=quoted_phrases(question),
        search_phrases=quoted_phrases(question),
    )


# A word that acknowledges the last answer before the next question ("fine, the 2024 report
# then", "ok thanks. and care leavers?"): no topic when it opens a turn and punctuation follows.
_ACK = (
    r"(?:fine|right|great|good|cool|sure|thanks|thank you|cheers|alright|all right|ok|okay|yes|yeah|"
    r"yep|no|nope|hmm+|ah|oh|i see|got it|perfect|interesting)"
)
# Words that frame a question rather than name its topic, in the phrases that make them so: "what
# was the 2017 inspection *like*" (but "would like" is a verb), "did they *keep it up*", "did it
# *stay that way*". Blanked before the question's terms are read (offsets kept).
_FRAMING_PHRASES = re.compile(
    r"\b(?:what|how)\b[^?.!]*?(?<!\bwould )(?<!\bto )(?<!\bi )(?<!\bd )\b(like)\b"
    r"|\b((?:keep|keeps|keeping|kept|hold|holds|held) (?:it|that|this|things|them) up)\b"
    r"|\b((?:stay|stays|stayed|remain|remains|remained) (?:the same|that way|like that|at that level))\b"
    r"|\b((?:keep|keeps|kept|hold|holds|held)(?: on to| onto)?) (?:its|their|the|that|this) "
    r"(?:grade|rating|judge?ment|standard)s?\b"
    # A turn opened by an acknowledgement: "fine, the 2024 report then", "ok, and care leavers?".
    rf"|^\W*({_ACK}(?:[\s,.!:;–-]+{_ACK})*\s*[,.!:;–-])",
    re.I,
)


# "Did it stay that way?", "did they keep it up?": a grade or standard kept, at the next inspection.
_KEPT = re.compile(
    r"\b(?:keep|keeps|keeping|kept|hold|holds|held) (?:it|that|this|things|them) up\b"
    r"|\b(?:stay|stays|stayed|remain|remains|remained) (?:the same|that way|like that|at that level)\b"
    r"|\b(?:keep|keeps|kept|hold|holds|held)(?: on to| onto)? (?:its|their|the|that|this) "
    r"(?:grade|rating|judge?ment|standard)s?\b",
    re.I,
)


def _unframed(question: str) -> str:
    """The question with its framing phrases blanked (offsets kept): ``_FRAMING_PHRASES`` and the
    casual asks for shortfalls ("what was holding them back", ``tone.CASUAL_CRITICISM``)."""
    for match in _FRAMING_PHRASES.finditer(question):
        for group in range(1, _FRAMING_PHRASES.groups + 1):
            if match.group(group):
                start, end = match.span(group)
                question = question[:start] + " " * (end - start) + question[end:]
    return CASUAL_CRITICISM.sub(lambda m: " " * len(m.group(0)), question)


def _outside_places(
    question: str, places: Sequence[PlaceMention], expansions: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, str], ...]:
    """The ``expansions`` whose written form occurs somewhere outside the places named."""
    if not places:
        return expansions
    kept = []
    for written, other in expansions:
        pattern = r"[\s-]+".join(re.escape(w) for w in written.split())
        spans = [m.span() for m in re.finditer(rf"\b{pattern}\b", question, re.I)]
        inside = spans and all(any(p.start <= a and b <= p.end for p in places) for a, b in spans)
        if not inside:
            kept.append((written, other))
    return tuple(kept)


def _asks_change(question: str, sections: tuple[str, ...], years: int, relative: str | None) -> bool:
    """Whether a question asks how things changed from an earlier inspection (``_CHANGE_WORDS``
    with something earlier to measure from); "what needs to improve" is a list, not a change."""
    words = [m.group(0).lower() for m in _CHANGE_WORDS.finditer(question)]
    if "improve" in sections:
        words = [w for w in words if not w.startswith("improv")]
    return bool(words) and bool(
        _CHANGE_BASE.search(question) or years > 1 or relative in ("previous", "next")
    )


# A quote opens where no letter stands before it and closes where none follows, so the apostrophes of
# "Durham's ... carers'" are not read as quotation marks around "s 2019 inspection say about ...".
_QUOTED = re.compile(r"(?<!\w)[‘'\"“](?=\S)([^‘'\"“”’]{3,60}?)(?<=\S)[’'\"”](?!\w)")
_JOINED_NAME = re.compile(r"\b\w+[@&+]\w+\b")


def quoted_phrases(question: str) -> tuple[str, ...]:
    """Names a user put in quotes ('Speaker Box') or wrote as one token (Safe@last): strong evidence
    when a passage holds them, and searched for on their own as well."""
    quoted = [fold(m.group(1)) for m in _QUOTED.finditer(question) if len(m.group(1).split()) <= 8]
    joined = [fold(m.group(0)) for m in _JOINED_NAME.finditer(question)]
    return tuple(dict.fromkeys(quoted + joined))


def areas_named(question: str) -> tuple[str, ...]:
    """The judgement areas a question names, the combined area of older frameworks in place of its parts."""
    found = [area for area, pattern in _JUDGEMENT_AREAS if pattern.search(question)]
    if "children_in_care_and_care_leavers" in found:
        found = [a for a in found if a not in ("children_in_care", "care_leavers")]
    return tuple(found)


# A follow-up that continues the last question ("and for care leavers?", "what about 2016?", "so
# ...", "ok ...") or points back at its subject ("they", "their", "that council", "them").
_CONTINUES = re.compile(
    r"^\W*(?:and|also|so|ok(?:ay)?|but|then|what about|how about|what of|same for)\b", re.I
)
_REFERS_BACK = re.compile(
    r"\b(?:they|their|theirs|them|there|it|its|those|these|that (?:council|authority|la|area|report|"
    r"inspection)|this (?:council|authority|la|area)|the council|the same)\b",
    re.I,
)
# Of those, the words that can stand for the earlier question's topic rather than its council
# ("was the council in touch with most of them?", "had that got any better?"); "their", "its"
# and "they" name the council ("what about their care leavers?").
_POINTS_AT_TOPIC = re.compile(r"\b(?:them|those|these|that|this)\b(?! (?:council|authority|la|area))", re.I)


def with_context(intent: QueryIntent, previous: QueryIntent | None) -> QueryIntent:
    """Carry the council and dates of an earlier question into a follow-up that names none.

    "And what about in 2016?" keeps the council and the topic and takes the new year; "what did
    they say about care leavers?" keeps council and year; "and for care leavers?" after a question
    about a grade asks for that grade. "What about the previous inspection?" means the one before
    the report the conversation was about (``anchor``). A follow-up that names its own council
    keeps only the earlier question's topic, when it has none of its own ("and Leeds?"). A question
    across councils ("which councils were judged ...?") starts afresh.
    """
    if previous is None or intent.asks_which_councils:
        return intent
    if intent.ask is not None and intent.ask.kind in ("grades", "count", "themes"):
        return intent
    continues = bool(_CONTINUES.search(intent.question))
    refers = continues or bool(_REFERS_BACK.search(intent.question))
    # "how does that compare with the rest of London" still asks about the council discussed;
    # "and south yorkshire?" asks about the area alone.
    beside_area = set(intent.outside_places) <= set(intent.regions) and not _only_areas(intent)
    if intent.places or (intent.outside_places and not beside_area):
        if continues and not intent.terms and previous.terms:
            # "And essex?" asks the earlier question of another council: a grade when that asked
            # for one (of the same areas), its topic otherwise, not the new council's headline.
            asked = replace(
                intent,
                terms=previous.terms,
                context=previous.question,
                is_judgement=previous.is_judgement,
                judgement_areas=previous.judgement_areas,
                wants=previous.wants,
            )
            return _frame(asked, previous, ())
        if _sets_beside(intent, previous, refers):
            return _beside(intent, previous)
        return intent
    if not previous.places and not previous.outside_places:
        return intent
    carried = replace(
        intent,
        places=previous.places,
        outside_places=previous.outside_places,
        regions=previous.regions,
        abolished=previous.abolished,
        from_history=True,
    )
    carried = _carry_dates(carried, intent, previous)
    # "Did things get better by the next one" asks about the services as a whole, not the earlier
    # topic; "had that got any better by 2015?" asks about that.
    overall = intent.asks_change and not _POINTS_AT_TOPIC.search(intent.question)
    if not _names_topic(intent) and not overall:
        # "and in 2016?", "had that got any better by 2015?": the earlier question, whole.
        # Its topic words only: the words that framed it ("grade", "judged") travel as its frame
        # (``_frame``), and as search words would find "GCSE grades" for "what was holding them back".
        earlier = " ".join(part for part in (previous.context, previous.question) if part)
        own = tuple(t for t in intent.terms if t not in previous.terms and t not in FOLLOWUP_FILLER)
        topic = tuple(t for t in previous.terms if t not in _FRAME_WORDS)
        carried = replace(carried, terms=(*topic, *own), context=earlier)
    elif refers and _names_topic(intent):
        carried = _carry_slots(carried, intent, previous)
    if refers or not _names_topic(intent):  # "try 2023" after a declined "solihull 2021 grade"
        carried = _frame(carried, previous, intent.terms, same_part=not overall)
    if len({p.key for p in carried.places}) > 1 or len({y.year for y in carried.years}) > 1:
        carried = replace(carried, is_comparison=True)
    return carried


# The inspection a follow-up names relative to the one the conversation was about, in words that
# mean nothing without one: "and the one after?", "have they turned it round since", "was it
# better in the one before". ("Last time" is not one of them: "the last time Ofsted visited" is the
# latest.) (Relative dates a question carries itself are ``parse``'s: ``_PREVIOUS``, ``_NEXT``.)
_DISCUSSED_PREVIOUS = re.compile(
    r"\b(?:the )?(?:one|inspection|report|visit|time) before(?! (?:its|their|the|last|20\d\d))\b"
    r"|^\W*(?:(?:and|so|but|what about|how about)\W+)?before (?:that|then)\b",
    re.I,
)
_DISCUSSED_NEXT = re.compile(
    r"\b(?:(?:the )?(?:one|inspection|report|visit) after(?! (?:its|their|the|20\d\d))|next time)\b"
    r"|\bafter (?:that|then)\W*$",
    re.I,
)
_THAN = re.compile(r"\b(?:than|from)\b", re.I)
_SINCE_DISCUSSED = re.compile(r"\bsince(?: then| that(?: one| inspection| report| visit)?)?\W*$", re.I)
# "How does that compare with 2024?", "... to the one before": both inspections, side by side.
_COMPARES = re.compile(r"\b(?:compare[sd]?|comparison|vs|versus|differ(?:ent|ence|ed)?|same as)\b", re.I)
_COMPARE_WORDS = frozenset(
    ("compare", "compares", "compared", "comparison", "differ", "different", "difference")
)


def _carry_dates(carried: QueryIntent, intent: QueryIntent, previous: QueryIntent) -> QueryIntent:
    """Which inspection a follow-up is about: its own date; else one relative to the report the
    conversation was about ("the one before", "since then"); else the earlier question's. One that
    compares ("how does that compare with 2024?") keeps the earlier inspection beside its own."""
    anchor = previous.years[0] if previous.years else previous.anchor
    # A report discussed by its place ("its previous inspection"), not a year.
    undated_range = previous.year_from is None and previous.year_to is None
    place = previous.relative if anchor is None and undated_range else None
    place = place if place in SINGLE_PLACES else None
    compares = bool(_COMPARES.search(intent.question))
    relative = intent.relative
    # "Is that better than the one before?", "has it improved since?" after a grade: both grades
    # ("was it any better in the one before" asks for that one's).
    since = not intent.has_date and bool(_SINCE_DISCUSSED.search(intent.question))
    # "Any different from the previous inspection?": measured from the one before the one discussed.
    # (A question measured so reads as one about the latest report, which says what changed.)
    no_year = not intent.years and intent.year_from is None and intent.year_to is None
    from_previous = no_year and bool(SINCE_LAST.search(intent.question))
    measured = since or from_previous or bool(_THAN.search(intent.question))
    changes = carried.asks_change or compares
    graded_change = measured and changes and previous.is_judgement and not _names_topic(intent)
    # "Was that better than the previous one?" names no report of its own: measured from the one
    # before the report discussed, it is about that report (as a question alone is about the latest).
    blanked = SINCE_LAST.sub(lambda m: " " * len(m.group(0)), intent.question)
    dated = intent.has_date and not (from_previous and read_dates(blanked).relative is None and no_year)
    if from_previous and graded_change:
        relative = "previous"
    elif not dated:
        if _DISCUSSED_PREVIOUS.search(intent.question):
            relative = "previous"
        elif since or _DISCUSSED_NEXT.search(intent.question) or _KEPT.search(intent.question):
            relative = "next"
            # "Did it stay that way?": whether a grade was kept at the next one is a change.
            carried = replace(carried, asks_change=carried.asks_change or bool(_KEPT.search(intent.question)))
    if relative in ("previous", "next") and not intent.years and intent.anchor is None:
        beside = (compares and not carried.asks_change) or graded_change
        if place is not None:
            # A step from a place is a place: the one after the earliest is the second, the one
            # before the previous the third latest.
            relative = step_place(place, -1 if relative == "previous" else 1)
        return replace(
            carried,
            relative=relative,
            anchor=anchor,
            discussed=place,
            is_comparison=carried.is_comparison or beside,
            beside_discussed=beside,
        )
    if compares and intent.relative in SINGLE_PLACES and not intent.years and intent.anchor is None:
        # "How does that compare with the first one?": that place beside the report discussed.
        return replace(
            carried,
            anchor=anchor,
            discussed=place,
            is_comparison=True,
            beside_discussed=anchor is not None or place is not None or not previous.has_date,
        )
    if not dated:
        return replace(
            carried,
            years=previous.years,
            year_from=previous.year_from,
            year_to=previous.year_to,
            relative=previous.relative,
            date_basis=previous.date_basis,
            anchor=previous.anchor,
        )
    if compares and intent.years and previous.years:
        years = {y.year: y for y in (*previous.years, *intent.years)}
        return replace(carried, years=tuple(years.values()), is_comparison=True)
    # "How does that compare with 2022?" after "blackburn latest grade" (or a question with no
    # date, which is about the latest report): the year named beside the report discussed.
    discussed_by_place = undated_range and (previous.relative is None or place is not None)
    if compares and intent.years and not previous.years and discussed_by_place:
        return replace(
            carried, anchor=previous.anchor, discussed=place, is_comparison=True, beside_discussed=True
        )
    return carried


def _frame(
    intent: QueryIntent, previous: QueryIntent, own_terms: tuple[str, ...], *, same_part: bool = True
) -> QueryIntent:
    """What an elliptical follow-up asks, from the question it continues: a grade ("and for care
    leavers?" after "how were children in care judged?", or "what about the previous
    inspection?"), or the same part of the report. A follow-up with a topic of its own that is not
    a judgement area ("and what about accommodation?") asks about that topic, not for a grade."""
    areas = _areas(spelt_out(intent.question, intent.expansions), plural=False)
    # ("How does that compare with 2024?" after a grade question compares the grades.)
    own_terms = tuple(t for t in own_terms if t not in FOLLOWUP_FILLER and t not in _COMPARE_WORDS)
    asks_list = intent.asks_list
    # "So why did help and protection only require improvement?" asks for the findings behind a
    # grade the conversation gave, not for the grade again.
    # "What about housing for care leavers?" names what about them, so it asks about that, not
    # for their grade; "and for care leavers?" names only whom.
    subject = set(_subject(spelt_out(intent.question, intent.expansions), own_terms, intent.expansions))
    own_what = [t for t in own_terms if t not in subject and t not in _NOT_TOPIC]
    # "How had they improved by the next one?" asks how, as "why" does: the findings, not a grade.
    asks_how = bool(
        ASKS_WHY.search(intent.question)
        or _HOW_CHANGED.search(intent.question)
        or (intent.asks_change and _ASKS_WHAT.search(intent.question))
    )
    # "Any concerns raised about their care leavers?" asks for findings of a tone, not a grade.
    graded = not asks_list and not asks_how and not intent.wants.tone and (areas or not own_terms)
    graded = graded and not own_what
    if previous.is_judgement and not intent.is_judgement and graded:
        intent = replace(intent, is_judgement=True, judgement_areas=areas or previous.judgement_areas)
    # "And the one before?", "what about children in care?" after "what concerns were raised
    # about ...": the tone asked for is part of the frame, as the grade is. A follow-up asking
    # for a grade, a figure or a change asks afresh.
    fresh = intent.is_judgement or intent.asks_change or intent.wants.figure or asks_list
    if previous.wants.tone and not intent.wants.tone and not fresh:
        intent = replace(intent, wants=replace(intent.wants, tone=previous.wants.tone))
    if not intent.sections and previous.sections and same_part:
        if not own_terms:
            intent = replace(intent, sections=previous.sections)
        elif not _subject(intent.question, own_terms, intent.expansions):
            # "and what about accommodation?" after care leavers: still the care leavers' part.
            kept = tuple(s for s in previous.sections if s != "improve")
            intent = replace(intent, sections=kept)
    return intent


# A question that asks how things changed ("how had they improved by the next one", "how did it
# get better"), not whether: the findings that say so.
_HOW_CHANGED = re.compile(
    r"\bhow\s+(?:had|have|has|did|do|does|is|are|was|were)\b[^?.!]{0,40}?\b(?:improv\w*|chang\w*|"
    r"progress\w*|develop\w*|(?:got|get|gotten|become|became) (?:better|worse)|"
    r"turn\w* (?:it |things )?(?:a)?round|deteriorat\w*|declin\w*)",
    re.I,
)

# A question that opens by asking how or what ("what has improved since ...", "how have they
# progressed"): about change, it wants the findings that say what changed, not a grade.
_ASKS_WHAT = re.compile(r"^\W*(?:(?:and|so|but|ok(?:ay)?|then)\W+)?(?:how|what|which|in what ways?)\b", re.I)

# A question that asks for reasons: the findings behind a grade or a recommendation, not the
# grade or the list itself ("why did care leavers need to improve", "how come it was inadequate").
ASKS_WHY = re.compile(
    r"^\W*(?:(?:and|so|but|ok(?:ay)?|then)\W+)?(?:why|how come)\b|\bwhat (?:made|led to|caused)\b"
    # Typed after the council and inspection it is about: "halton 2024 why inadequate", "wirral
    # earliest report why were care leavers inadequate".
    r"|\b(?:why|how come)\b"
    r"|\breasons? (?:for|why)\b",
    re.I,
)

# A follow-up carries the earlier question's topic slot by slot: *whom* it was about (a part of the
# report or a judgement area it named, as ``SECTION_HINTS`` and ``_JUDGEMENT_AREAS`` read them:
# "care leavers") and *what* about them (the rest of its topic: "education, employment or
# training"). Words that frame a question rather than name a topic ("proportion", "grade", "still",
# "inadequate", "went back") carry nothing: the frame travels as ``is_judgement``, ``sections``
# and ``asks_change`` (``_frame``).
_GRADE_WORDS = frozenset(word for grade in GRADE_ORDER for word in grade.split())
# What frames a grade question ("grade", "rated", "overall"), not what it is about.
_FRAME_WORDS = (NO_TOPIC | FRAMING_WORDS) - TONE_FRAMING
_NOT_TOPIC = NO_TOPIC | FOLLOWUP_FILLER | FRAMING_WORDS | TONE_FRAMING | CHANGE_FRAMING | _GRADE_WORDS
_SUBJECT_PATTERNS = tuple(p for name, p, _ in SECTION_HINTS if name != "improve") + tuple(
    p for area, p in _JUDGEMENT_AREAS if area != "overall_effectiveness"
)


def _subject(
    text: str, terms: tuple[str, ...], expansions: tuple[tuple[str, str], ...] = ()
) -> tuple[str, ...]:
    """The terms that name whom ``text`` is about ("care", "leavers"; "cic" for children in care)."""
    words = {
        w.lower() for p in _SUBJECT_PATTERNS for m in p.finditer(text) for w in _WORD.findall(m.group(0))
    }
    for pair in expansions:  # "cic" and "children in care": one subject, both forms
        forms = [{w.lower() for w in _WORD.findall(form)} for form in pair]
        if any(form <= words for form in forms):
            words |= forms[0] | forms[1]
    out = []
    for term in terms:
        long_form = [w for w in ACRONYMS.get(term, "").split() if w not in QUERY_STOPWORDS]
        if term in words or (long_form and all(w in words for w in long_form)):
            out.append(term)
    return tuple(out)


def _slots(intent: QueryIntent) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """An intent's topic as (whom, what): its subject terms and the other terms that name a topic."""
    text = " ".join([intent.context, intent.question, *(other for _, other in intent.expansions)])
    subject = _subject(text, intent.terms, intent.expansions)
    # (A place outside the index is no topic: "swansea" of "what about swansea's fostering".)
    places = {w.lower() for name in intent.outside_places for w in _WORD.findall(name)}
    return subject, tuple(t for t in intent.terms if t not in subject and t not in _NOT_TOPIC | places)


def _sets_beside(intent: QueryIntent, previous: QueryIntent, refers: bool) -> bool:
    """Whether a follow-up that names a council of its own sets it beside the one discussed, on the
    same topic: "how does that compare with norfolk", "how do they compare with essex", "is it the
    same in leeds" (it compares, points back, and asks about nothing else)."""
    if not previous.places or not _COMPARES.search(intent.question):
        return False
    if not (refers or _POINTS_AT_TOPIC.search(intent.question)):
        return False
    new = {p.key for p in intent.places} - {p.key for p in previous.places}
    own = [t for t in intent.terms if t not in FOLLOWUP_FILLER and t not in _COMPARE_WORDS]
    return bool(new) and not own and bool(previous.terms)


def _beside(intent: QueryIntent, previous: QueryIntent) -> QueryIntent:
    """The council discussed and the one the follow-up names, side by side on the earlier topic (or
    grade); an inspection the earlier question dated keeps its date when the follow-up gives none (each
    council's report nearest it is compared: ``planning``)."""
    places = tuple({p.key: p for p in (*previous.places, *intent.places)}.values())
    earlier = " ".join(part for part in (previous.context, previous.question) if part)
    carried = replace(
        intent,
        places=places,
        terms=previous.terms,
        context=earlier,
        from_history=True,
        is_comparison=True,
        # After a grade question, the grades of the same areas.
        is_judgement=previous.is_judgement,
        judgement_areas=previous.judgement_areas,
        wants=previous.wants,
    )
    if not intent.years and not intent.relative and intent.year_from is None and intent.year_to is None:
        carried = replace(
            carried,
            years=previous.years,
            relative=previous.relative,
            year_from=previous.year_from,
            year_to=previous.year_to,
        )
    return carried


def _only_areas(intent: QueryIntent) -> bool:
    """Whether a question names its areas and nothing else ("and south yorkshire?", "what about
    london"), as against one that sets the council discussed beside them ("is that typical for the
    north west", "how does that compare to other councils in the north west")."""
    text = intent.question.lower()
    for area in intent.regions:
        text = text.replace(area.lower(), " ")
    words = _WORD.findall(text)
    return all(w in QUERY_STOPWORDS or w in FOLLOWUP_FILLER or w in {"about", "across"} for w in words)


def _names_topic(intent: QueryIntent) -> bool:
    return any(_slots(intent))


# A follow-up asking how someone fared as a whole ("and how were care leavers doing", "how well
# are children in care supported", "how did care leavers get on"): it names whom, and asks
# nothing narrower about them, so it borrows no *what* from the earlier question.
_HOW_FARED = re.compile(
    r"\bhow\s+(?:(?:is|are|was|were|did|do|does|have|has|had)\b.{0,60}?\b(?:doing|do|fare|fared|faring|"
    r"getting on|get on|got on|going|served|treated|supported)\b|(?:good|well)\b)",
    re.I,
)


def _carry_slots(carried: QueryIntent, intent: QueryIntent, previous: QueryIntent) -> QueryIntent:
    """A follow-up with a topic of its own keeps the earlier question's slots it does not name.

    "And what about accommodation?" after "what proportion of care leavers were in education,
    employment or training?" names a new *what* and keeps *whom* (care leavers); "and for children
    in care?" names a new *whom* and keeps *what*. A pronoun beside a *what* of the follow-up's
    own stands for whom the earlier question was about: "was the council in touch with most of
    them?" after "how many care leavers were NEET?" asks about contact with care leavers, not
    about NEET care leavers (whose words outweighed "touch" and kept the answer on NEET
    figures). Borrowed terms weigh less than the follow-up's own."""
    own_subject, own_topic = _slots(intent)
    subject, topic = _slots(previous)
    keep_topic = not own_topic
    if own_subject and _HOW_FARED.search(intent.question):
        keep_topic = False  # "and how were care leavers doing?": about them as a whole
    kept = (() if own_subject else subject) + (topic if keep_topic else ())
    borrowed = tuple(t for t in dict.fromkeys(kept) if t not in intent.terms)
    earlier = " ".join(part for part in (previous.context, previous.question) if part)
    if not borrowed:
        # After a question with no topic ("havering 2024 inspection grade"), the earlier question
        # is still read with this one (so its report's headline findings come first), with no
        # terms of its own.
        return replace(carried, context=earlier) if not (subject or topic) else carried
    whole = not own_subject and keep_topic
    return replace(
        carried,
        terms=(*intent.terms, *borrowed),
        borrowed=borrowed,
        context=earlier if whole else " ".join(borrowed),
    )


def spelt_out(question: str, expansions: tuple[tuple[str, str], ...]) -> str:
    """The question with each abbreviation it uses replaced by its long form ("get for LAC" →
    "get for looked after children"), for patterns that read words in their place."""
    for written, other in expansions:
        if " " not in written.strip() and " " in other.strip():
            question = re.sub(rf"\b{re.escape(written)}\b", other, question, flags=re.I)
    return question


def content_terms(
    question: str,
    places: tuple[PlaceMention, ...] = (),
    years: tuple[YearMention, ...] = (),
    expansions: tuple[tuple[str, str], ...] = (),
) -> tuple[str, ...]:
    """The question's words that say what it is about: no council names, dates or framing words.

    An abbreviation brings its long form's words ("plo": "public", "law", "outline"); a long form
    the reports abbreviate brings the abbreviation (``expansions``, from ``service.answers.normalise``)."""
    masked = list(question)
    for place in places:
        masked[place.start : place.end] = " " * (place.end - place.start)
    # "how long", "how quickly": the kind of figure asked for, not a topic the answer must name.
    text = _HOW_MEASURE.sub(" ", plain("".join(masked)))
    terms: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group(0).lower().replace("’", "'").strip("'-")
        if word.endswith("'s"):
            word = word[:-2]
        if not word or word in QUERY_STOPWORDS or word in MONTHS or YEAR.fullmatch(word):
            continue
        if len(word) == 1 and not word.isdigit():
            continue
        terms.append(word)
        terms.extend(ACRONYMS.get(word, "").split())
    for _written, other in expansions:
        terms.extend(w.replace("'s", "") for w in other.lower().split())
    return tuple(t for t in dict.fromkeys(terms) if t not in QUERY_STOPWORDS)


def _areas(question: str, plural: bool = True) -> tuple[str, ...]:
    """The judgement areas a question names ("*" for every area: "which judgements ..."), if any."""
    areas: tuple[str, ...] = ()
    if _ANY_AREA.search(question):
        areas = ("*",)
    found = list(areas_named(question))
    if not found and plural and _PLURAL_JUDGEMENTS.search(question):
        areas = ("*",)
    return tuple(dict.fromkeys([*found, *areas]))
