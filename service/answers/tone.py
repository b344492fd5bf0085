"""The tone of a finding: whether a question asks for shortfalls or strengths, and which a sentence states.

"Which councils were criticised for delays in care proceedings?" and "which councils were praised
for care proceedings?" share their topic, so word overlap ranks the same sentences first for both.
Inspectors write findings in a small, steady register, which is what this module reads:

- shortfalls: "not all", "not consistently", "does not yet", "too long", "too many", "drift and
  delay", "remains a weakness", "insufficient", "requires improvement", "variable", "a lack of";
- strengths: "good", "effective", "timely", "robust", "strong", "well established", "benefit from",
  unless negated ("not consistently effective" is a shortfall);
- placement: a sentence under "What needs to improve", "Areas for improvement" or "Recommendations"
  (a section, or a heading inside a passage) states something to improve, however neutrally it is
  worded ("The timeliness of pre-proceedings work."); one under "The local authority's strengths"
  states a strength.

``asked`` reads the question (-1 criticism, +1 praise, 0 neither or both), ``tone`` a sentence
(-1 shortfall … +1 strength), and ``list_ranges`` finds improvement and strength lists by their
headings inside a passage's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.answers.lexicon import IMPROVE_TITLE, LIST_HEADING

# As people type a question about shortfalls: "what was so wrong with the mash", "whats wrong",
# "anything flagged about help and protection", "what still needs work", "what was holding them
# back", "was it that bad too", "whats not quite there", "what let them down", "falling behind".
# These idioms frame the question, so they are no part of its topic either
# (``service.answers.query`` blanks them).
CASUAL_CRITICISM = re.compile(
    r"\b(?:wrong with|(?:what(?:['’]?s| is| was| were| are)?|anything|something) (?:\w+ )?wrong|"
    r"(?:red )?flag(?:s|ged)?|"
    r"need(?:s|ed)? (?:more |some |further |a lot of )?work(?! experience)|"
    r"(?:hold|holds|holding|held) (?:\w+ ){0,2}back|(?:let|lets|letting) (?:\w+ ){0,2}down|"
    r"(?:that|so|as|too|how|really|very|anything|what(?:['’]?s| was| is)?) bad|"
    r"not (?:quite|really|yet|entirely) (?:there|right|good enough|up to (?:scratch|standard))|"
    r"(?:fall|falls|falling|fell) behind|room for improvement)\b",
    re.I,
)
ASKS_CRITICISM = re.compile(
    r"\b(?:criticis\w*|critical of|critique\w*|weak(?:ness|nesses|er|est)?|shortfalls?|shortcomings?|"
    r"failings?|deficienc\w*|inadequacies|fell short|falls? short|falling short|not good enough|"
    r"(?:went|go|goes|going) wrong|not (?:quite )?there yet|not up to scratch|gaps? in|lacking|"
    r"struggl\w*|worse|negative|downsides?|"
    r"poor(?:ly)?|(?:what|which|any|main|key|particular|the|raised?|raising|expressed|had|have|has|"
    r"identified|were there|was there) (?:\w+ )?(?:concerns?|problems?|issues|worries|challenges)|"
    r"concerns? (?:did|were|was|about)|need(?:s|ed)? to improve|needs? improving|"
    r"areas? (?:for|of|needing|requiring) (?:improvement|development)|(?:must|should) improve|"
    r"(?:were|was|is|are) (?:\w+ )?concerned (?:about|that|with|by)|"
    r"(?:had|has|have|with|showed?|faced?|experienc\w*|were there|was there) (?:\w+ ){0,2}(?:ineffective|"
    r"inadequate|inconsistent|insufficient|unsafe|delays?|drift|backlogs?|too (?:many|few|long|high|slow))|"
    r"(?:perform\w*|did|do|doing) (?:badly|poorly|less well))\b"
    r"|" + CASUAL_CRITICISM.pattern,
    re.I,
)
ASKS_PRAISE = re.compile(
    r"\b(?:prais\w*|commend\w*|strengths?|strong points?|good practice|best practice|"
    r"(?:did|do|does|doing|done|went|going|working|work|works|worked) (?:particularly |especially )?well|"
    r"positives?|positive (?:features?|findings?|aspects?|practice)|success(?:es|ful)?|impress\w*|"
    r"what (?:has |had |have )?improved|improvements? (?:made|seen|since|achieved)|highlights?|"
    r"innovative|innovation|exemplary|notable practice|perform\w* (?:well|strongly)|"
    r"high(?:est|ly)?[- ]performing|"
    r"(?:had|has|have|with|showed?|demonstrat\w*|offer\w*|provid\w*) (?:a |an |very |particularly |"
    r"especially )?(?:good|strong|effective|excellent|outstanding|high[- ]quality|timely|robust))\b",
    re.I,
)
_SHORTFALL = re.compile(
    r"\b(?:not (?:all|yet|always|consistently|sufficiently|routinely|regularly|enough|fully|"
    r"effectively|timely|robust|clear|good|well|in place|being|been|seen|met|given|undertaken|"
    r"completed|improved|made|effective|adequate|appropriate|evident|informed|prioritised|"
    r"understood|recorded|reviewed|followed|progressed|addressed|identified)|"
    r"(?:does|do|did|has|have|had|is|are|was|were|can|could) not|(?:does|do|did|has|have|is|are|was|"
    r"were|can|could)n[’']t|cannot|too (?:long|many|few|slow|late|often|much|little|high|variable|"
    r"early|narrow|reliant)|too (?:\w+ )?(?:long|slow|late)|no (?:evidence|clear|consistent|"
    r"effective|formal|oversight|plan|plans|management|record)|little (?:evidence|impact|progress|"
    r"understanding|oversight)|insufficient\w*|inconsistent\w*|inadequate\w*|ineffective\w*|poor\w*|"
    r"weak\w*|lack(?:s|ing|ed)?|delay(?:s|ed)?|drift\w*|gaps?|deficits?|deficien\w*|deteriorat\w*|"
    r"fail(?:s|ed|ure|ures|ing|ings)?|shortfalls?|shortcomings?|backlogs?|overdue|underdeveloped|"
    r"unclear|variab\w*|unsafe|disjointed|fragmented|patchy|uneven|inaccurate|incomplete|"
    r"unacceptabl\w*|worse|worsen\w*|declin\w*|instability|unstable|struggl\w*|superficial|"
    r"reactive|out of date|outdated|limited|slow(?:ly|er)?|late|absence of|absent|"
    r"(?:requires?|required|requiring|needs?|needed) (?:further |more |significant |urgent |"
    r"considerable |continued |some )?(?:improvement|to improve|to be improved|strengthening|"
    r"to be strengthened|development|attention|work)|remains? (?:a |an )?(?:weakness|concern|"
    r"challenge|area|underdeveloped|inconsistent|variable|too|high|low|poor|limited)|"
    r"(?:is|are|remains?) (?:a |an )?(?:area|areas) for (?:improvement|development)|"
    r"(?:only|very) (?:a )?(?:small|minority|few|some|limited)|few (?:children|young|care|social)|"
    r"still (?:more|not|too)|more (?:needs|work) (?:to|is needed)|(?:more|further) to do|"
    r"concerns? (?:about|that|remain))\b",
    re.I,
)
_STRENGTH = re.compile(
    r"\b(?:good|strong(?:ly)?|strengths?|effective(?:ly)?|well|timely|robust(?:ly)?|outstanding|"
    r"excellent|exceptional\w*|highly|impressive\w*|thorough(?:ly)?|creative(?:ly)?|innovative|"
    r"comprehensive(?:ly)?|appropriate(?:ly)?|clear(?:ly)?|benefit(?:s|ed|ing)? from|positive(?:ly)?|"
    r"valued|swift(?:ly)?|prompt(?:ly)?|consistent(?:ly)?|sustained|high[- ]quality|skilled|"
    r"committed|success(?:ful|fully)?|sensitive(?:ly)?|meaningful(?:ly)?|purposeful(?:ly)?|proactive\w*|"
    r"confident(?:ly)?|stable|stability|tenacious\w*|child-centred|well-established|embedded|"
    r"strengthened|improved|improving|rigorous(?:ly)?|detailed|helpful|quickly|carefully|in place|"
    r"(?:has|have) (?:been )?(?:significantly |considerably )?(?:strengthened|improved|developed))\b",
    re.I,
)
# A strength word read as a shortfall when negated just before it: "not consistently effective".
_NEGATION = re.compile(
    r"\b(?:not|never|no|nor|insufficiently|less|lack of|without|neither|n[’']t|cannot)\W+(?:\w+\W+){0,2}$",
    re.I,
)
# "well" in "as well as", "not only ... but also": no judgement in them.
# Phrases that hold a shortfall or strength word but describe, not judge: "not in employment,
# education or training" (NEET), "time-limited" support.
_NEUTRAL = re.compile(
    r"\bas well as\b|\bwell-being\b|\bnot only\b|\bwhether or not\b|\bnot in (?:education|employment)\b|"
    r"\bif not\b|\btime[- ]limited\b",
    re.I,
)
# An aim or a view, not a finding: what comes after "to ensure", "to provide" up to the clause's
# end states what practice is for, and after "considering it to be" what someone else thinks, so
# their strength words judge nothing ("there is more to do to ensure that pathway plans are
# effective", "an impact on their capacity to provide effective challenge", "despite senior
# leaders considering this work to be strong and effective"). "Continues to be good" still judges.
_PURPOSE = re.compile(
    r"\b(?:(?:in order )?to (?:ensure|make sure|provide|achieve|deliver|secure|enable)|"
    r"(?:consider|believe|regard|deem)(?:s|ed|ing)? (?:\w+ ){0,4}to be)\b[^,;.]*",
    re.I,
)
# A shortfall word that a sentence says is avoided or tackled: "permanence without delay",
# "action to reduce drift and delay", "there is no drift". Read as a strength.
_AVOIDED = re.compile(
    r"\b(?:without|no|avoid\w*|prevent\w*|reduc\w*|minimis\w*|tackl\w*|address\w*|eliminat\w*|free from)"
    r"\W+(?:(?:any|unnecessary|undue|further|the|this|drift|and|or|of)\W+){0,3}(?:delays?|drift)\b",
    re.I,
)

# Section titles that place a sentence among strengths (those among things to improve: ``lexicon``).
STRENGTH_TITLE = re.compile(r"\bstrengths\b(?! and weaknesses)", re.I)


@dataclass(frozen=True)
class ListRange:
    """Characters ``start:end`` of a passage's text that list improvements (-1) or strengths (+1)."""

    start: int
    end: int
    tone: int


def asked(question: str) -> int:
    """-1 when a question asks for criticism, +1 for praise, 0 for neither (or both)."""
    criticism = bool(ASKS_CRITICISM.search(question))
    praise = bool(ASKS_PRAISE.search(question))
    if criticism == praise:
        return 0
    return -1 if criticism else 1


def tone(sentence: str) -> float:
    """How a sentence judges what it describes: -1 states a shortfall, +1 a strength, 0 neither.

    Counts shortfall phrases and strength words (a negated strength counts as a shortfall) and
    returns their balance, so "Most plans are good, although contingency planning is weak" is
    mixed (0) and "Plans are not consistently effective" a shortfall. A shortfall stated after an
    opening concession is a shortfall whatever the concession grants ("Despite strengths across
    the service, there remain areas of weaker practice"); a strength after a conceded shortfall
    ("Despite these weaknesses, most care leavers are well supported") is mixed, since the
    sentence still records the shortfall.
    """
    main = _main_clause(sentence)
    if main is not sentence:
        stated, conceded = _balance(main), _balance(sentence[: len(sentence) - len(main)])
        if stated < 0:
            return stated
        if conceded < 0 and stated > 0:
            return 0.0
    return _balance(sentence)


def _balance(sentence: str) -> float:
    """Shortfall phrases against strength words, from -1 (all shortfall) to 1 (all strength)."""
    text = _PURPOSE.sub(" ", _NEUTRAL.sub(" ", sentence))
    strengths = len(_AVOIDED.findall(text))
    text = _AVOIDED.sub(" ", text)
    shortfalls = len(_SHORTFALL.findall(text))
    for match in _STRENGTH.finditer(text):
        if _NEGATION.search(text[max(0, match.start() - 40) : match.start()]):
            shortfalls += 1
        else:
            strengths += 1
    if shortfalls == strengths:
        return 0.0
    return (strengths - shortfalls) / (strengths + shortfalls)


# A sentence that opens by conceding ("Despite strengths across the service, there remain areas of
# weaker practice", "Although most plans are detailed, contingency planning is weak"): its main
# clause is what comes after the concession (``tone``).
_CONCESSION = re.compile(
    r"^\W*(?:despite|although|though|while|whilst|even though|notwithstanding)\b[^,;]{3,}[,;]\s*", re.I
)


def _main_clause(sentence: str) -> str:
    """The sentence without an opening concession, when one comes before its main clause."""
    match = _CONCESSION.match(sentence)
    rest = sentence[match.end() :] if match else ""
    return rest if len(rest.split()) >= 3 else sentence


def section_tone(section: str | None) -> int:
    if not section:
        return 0
    if IMPROVE_TITLE.search(section):
        return -1
    if STRENGTH_TITLE.search(section):
        return 1
    return 0


def list_ranges(text: str) -> list[ListRange]:
    """Improvement and strength lists introduced by a heading line inside ``text``.

    A list runs from its heading to the next heading-like line (short, capitalised, not ending a
    sentence) or the end of the text. A table of contents ("What needs to improve? 4" followed by
    more titles) yields a range with no sentences in it, which is harmless.
    """
    ranges: list[ListRange] = []
    for match in LIST_HEADING.finditer(text):
        kind = 1 if re.search(r"strengths", match.group("title"), re.I) else -1
        ranges.append(ListRange(match.end(), list_end(text, match.end()), kind))
    return ranges


def list_end(text: str, start: int) -> int:
    """Where a list that runs from ``start`` ends: at the next heading-like line, else the text's end."""
    position = start
    for line in text[start:].splitlines(keepends=True):
        after = position + len(line)
        if line.strip() and heading_like(line, text[after : after + 1]):
            return position
        position = after
    return len(text)


def heading_like(line: str, following: str = "") -> bool:
    """A title line: a few capitalised words that do not end a sentence and are not run on."""
    stripped = line.strip()
    if not stripped or not stripped[0].isupper():
        return False
    if stripped.endswith((".", ",", ";", ")")) or following[:1].islower():
        return False
    return len(stripped.split()) <= 14


def placed_tone(section: str | None, ranges: list[ListRange], start: int) -> int:
    """The tone a sentence takes from where it stands: its section, or a list inside the passage."""
    for found in ranges:
        if found.start <= start < found.end:
            return found.tone
    return section_tone(section)


def sentence_tone(sentence: str, section: str | None, ranges: list[ListRange], start: int) -> float:
    """A sentence's tone: its placement when it stands in a list or section of one kind, else its words."""
    placed = placed_tone(section, ranges, start)
    return float(placed) if placed else tone(sentence)


def agreement(wanted: int, sentence_tone_value: float) -> float:
    """How far a sentence's tone goes the way the question asks: from -1 (opposite) to 1."""
    return wanted * sentence_tone_value if wanted else 0.0
