"""Is a claim supported by a passage? An offline checker, fast enough to run on every answer.

Why not an entailment model: nothing may be fetched from a hub, and the service calls this on every
sentence of every answer, so it must take milliseconds. Why not lexical overlap alone: a claim that
flips a negation, changes a number or a grade, or names another council keeps almost every word of
its passage, and those are exactly the errors that matter in inspection reports. So the checker has
two parts:

1. **Hard contradictions**, each a cheap explicit test against the passage: a number, percentage or
   date of the claim that the passage does not hold; an Ofsted grade ("outstanding", "good",
   "requires improvement (to be good)", "inadequate") the passage does not give; a local authority
   the passage does not name while it names another; a negation ("not", "no", "never", "lack", ...)
   or polarity ("effective"/"ineffective", "improved"/"declined") that differs from the passage
   clause the claim aligns with. Any one makes the claim unsupported.
2. **Support**, measured per clause of the claim (so an added, unsupported clause cannot hide behind a
   well-supported one): the share of the clause's content words (crudely stemmed) found in the
   passage, and, when an embedder is given, the best cosine similarity between the clause and the
   passage's sentences, which lets a paraphrase through. The claim's score is its weakest clause's.

Thresholds were tuned on the ``dev`` split of ``evals/data/grounding_pairs.jsonl`` only; the
``test`` split is held out (see ``evals/data/GROUNDING_PAIRS.md``).
"""

from __future__ import annotations

import itertools
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from service.records import SentenceVerdict


class TextEncoder(Protocol):
    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray: ...


@dataclass(frozen=True)
class Verdict:
    supported: bool
    score: float  # 0..1, higher = better supported
    reason: str  # why, in a few words ("supported", "number 47% not in passage", ...)


@dataclass(frozen=True)
class Thresholds:
    """When a clause counts as supported (tuned on the dev split of the labelled pairs)."""

    coverage: float = 0.75  # lexical coverage that supports a clause on its own
    similarity: float = 0.6  # embedding similarity that supports a clause...
    coverage_with_similarity: float = 0.4  # ...when at least this much of it is also covered
    min_clause_words: int = 3  # shorter fragments are judged with their neighbour
    max_uncovered_run: int = 3  # this many new content words in a row read as an added detail...
    similarity_despite_run: float = 0.85  # ...unless the clause is this close to a passage sentence


# --- text handling -------------------------------------------------------------------------------

_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2010": "-",
        "\u2011": "-",
        "\u00ad": "",
        "\u00a0": " ",
    }
)
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*%?(?:'[a-z]+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[\"'(A-Z0-9•\-])|\n\s*(?:[•\-\u2022]\s*)?(?=\S)")
_CLAUSE_SPLIT = re.compile(
    r",\s+(?:and|but|while|whereas|which|although|though|so|because)?\s*|;\s*|:\s+"
    r"|\s+(?:because|although|whereas|while|but|and so|as a result of|due to|which means)\s+"
    r"|\s+and\s+(?=(?:the|a|an|there|this|these|they|it|its|their|children|staff|leaders|"
    r"social|managers|young|care|most|all|some|many|few|no)\b)"
)

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "nor",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "been",
        "being",
        "one",
        "ones",
        "upon",
        "within",
        "well",
        "many",
        "much",
        "whose",
        "via",
        "per",
        "cent",
        "percent",
        "according",
        "report",
        "reports",
        "inspection",
        "inspectors",
        "inspector",
        "ofsted",
        "said",
        "says",
        "say",
        "found",
        "finds",
        "local",
        "authority",
        "authority's",
        "council",
        "council's",
    ]
)
NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "none",
        "nor",
        "neither",
        "cannot",
        "without",
        "lack",
        "lacks",
        "lacked",
        "lacking",
        "absent",
        "absence",
        "fail",
        "fails",
        "failed",
        "failing",
        "unable",
        "nobody",
        "nothing",
        "nowhere",
    ]
)
_NEGATED_CONTRACTION = re.compile(r"n't\b")

# Words whose opposite a claim may swap in while keeping every other word.
_ANTONYMS = (
    ("improved", "declined"),
    ("improved", "deteriorated"),
    ("improving", "declining"),
    ("increased", "decreased"),
    ("increased", "reduced"),
    ("increase", "decrease"),
    ("increase", "reduction"),
    ("rising", "falling"),
    ("rose", "fell"),
    ("higher", "lower"),
    ("high", "low"),
    ("more", "fewer"),
    ("more", "less"),
    ("above", "below"),
    ("better", "worse"),
    ("strength", "weakness"),
    ("strengths", "weaknesses"),
    ("strong", "weak"),
    ("timely", "delayed"),
    ("stable", "unstable"),
    ("consistent", "inconsistent"),
    ("effective", "ineffective"),
    ("appropriate", "inappropriate"),
    ("adequate", "inadequate"),
    ("sufficient", "insufficient"),
    ("safe", "unsafe"),
    ("clear", "unclear"),
    ("always", "rarely"),
    ("always", "sometimes"),
    ("all", "some"),
    ("most", "few"),
    ("good", "poor"),
    ("quickly", "slowly"),
    ("well", "poorly"),
    ("positive", "negative"),
    ("before", "after"),
    ("robust", "weak"),
    ("compliant", "non-compliant"),
    ("regularly", "rarely"),
    ("early", "late"),
    ("promptly", "slowly"),
    ("quickly", "slowly"),
    ("promptly", "late"),
)
_VERB_PAIRS = (
    ("increase", "decrease"),
    ("increase", "reduce"),
    ("rise", "fall"),
    ("improve", "decline"),
    ("improve", "deteriorate"),
    ("strengthen", "weaken"),
    ("accelerate", "slow"),
)


def _forms(verb: str) -> set[str]:
    base = verb[:-1] if verb.endswith("e") else verb
    return {verb, verb + "s", base + "ed", base + "ing"}


_OPPOSITE: dict[str, set[str]] = {}
for _a, _b in _ANTONYMS:
    _OPPOSITE.setdefault(_a, set()).add(_b)
    _OPPOSITE.setdefault(_b, set()).add(_a)
for _a, _b in _VERB_PAIRS:
    for _x in _forms(_a):
        _OPPOSITE.setdefault(_x, set()).update(_forms(_b))
    for _y in _forms(_b):
        _OPPOSITE.setdefault(_y, set()).update(_forms(_a))

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
    "first": "1st",
    "second": "2nd",
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

# English local authorities (the names of the corpus manifest) and the short names reports use.
_PLACES = [
    "Barking and Dagenham",
    "Barnet",
    "Barnsley",
    "Bath and North East Somerset",
    "Bedford",
    "Bexley",
    "Birmingham",
    "Blackburn with Darwen",
    "Blackpool",
    "Bolton",
    "Bournemouth, Christchurch and Poole",
    "Bournemouth, Christchurch & Poole",
    "Bracknell Forest",
    "Bradford",
    "Brent",
    "Brighton and Hove",
    "Bristol",
    "Bromley",
    "Buckinghamshire",
    "Bury",
    "Calderdale",
    "Cambridgeshire",
    "Camden",
    "Central Bedfordshire",
    "Cheshire East",
    "Cheshire West and Chester",
    "Cornwall",
    "Coventry",
    "Croydon",
    "Cumberland",
    "Darlington",
    "Derby",
    "Derbyshire",
    "Devon",
    "Doncaster",
    "Dorset",
    "Dudley",
    "Durham",
    "Ealing",
    "East Riding of Yorkshire",
    "East Sussex",
    "Enfield",
    "Essex",
    "Gateshead",
    "Gloucestershire",
    "Greenwich",
    "Hackney",
    "Halton",
    "Hammersmith and Fulham",
    "Hampshire",
    "Haringey",
    "Harrow",
    "Hartlepool",
    "Havering",
    "Herefordshire",
    "Hertfordshire",
    "Hillingdon",
    "Hounslow",
    "Isle of Wight",
    "Isles of Scilly",
    "Islington",
    "Kensington and Chelsea",
    "Kent",
    "Kingston upon Hull",
    "Hull",
    "Kingston upon Thames",
    "Kirklees",
    "Knowsley",
    "Lambeth",
    "Lancashire",
    "Leeds",
    "Leicester",
    "Leicestershire",
    "Lewisham",
    "Lincolnshire",
    "Liverpool",
    "City of London",
    "Luton",
    "Manchester",
    "Medway",
    "Merton",
    "Middlesbrough",
    "Milton Keynes",
    "Newcastle upon Tyne",
    "Newcastle",
    "Newham",
    "Norfolk",
    "North East Lincolnshire",
    "North Lincolnshire",
    "North Northamptonshire",
    "North Somerset",
    "North Tyneside",
    "North Yorkshire",
    "Northumberland",
    "Nottingham",
    "Nottinghamshire",
    "Oldham",
    "Oxfordshire",
    "Peterborough",
    "Plymouth",
    "Portsmouth",
    "Reading",
    "Redbridge",
    "Redcar and Cleveland",
    "Richmond upon Thames",
    "Rochdale",
    "Rotherham",
    "Rutland",
    "Salford",
    "Sandwell",
    "Sefton",
    "Sheffield",
    "Shropshire",
    "Slough",
    "Solihull",
    "Somerset",
    "South Gloucestershire",
    "South Tyneside",
    "Southampton",
    "Southend-on-Sea",
    "Southend",
    "Southwark",
    "St Helens",
    "St. Helens",
    "Staffordshire",
    "Stockport",
    "Stockton-on-Tees",
    "Stoke-on-Trent",
    "Suffolk",
    "Sunderland",
    "Surrey",
    "Sutton",
    "Swindon",
    "Tameside",
    "Telford and Wrekin",
    "Telford & Wrekin",
    "Thurrock",
    "Torbay",
    "Tower Hamlets",
    "Trafford",
    "Wakefield",
    "Walsall",
    "Waltham Forest",
    "Wandsworth",
    "Warrington",
    "Warwickshire",
    "West Berkshire",
    "West Northamptonshire",
    "West Sussex",
    "Westminster",
    "Westmorland and Furness",
    "Wigan",
    "Wiltshire",
    "Windsor and Maidenhead",
    "Windsor & Maidenhead",
    "Wirral",
    "Wokingham",
    "Wolverhampton",
    "Worcestershire",
    "York",
    "BCP",
]
_PLACE_ALIASES = {
    "Hull": "Kingston upon Hull",
    "Newcastle": "Newcastle upon Tyne",
    "Southend": "Southend-on-Sea",
    "St. Helens": "St Helens",
    "BCP": "Bournemouth, Christchurch and Poole",
    "Bournemouth, Christchurch & Poole": "Bournemouth, Christchurch and Poole",
    "Telford & Wrekin": "Telford and Wrekin",
    "Windsor & Maidenhead": "Windsor and Maidenhead",
}
_PLACE = re.compile(r"\b(" + "|".join(re.escape(p) for p in sorted(_PLACES, key=len, reverse=True)) + r")\b")


_CITATION_MARK = re.compile(r"\s*\[\d+(?:\s*[,;\u2013-]\s*\d+)*\]")


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_FOLD)


def stem(word: str) -> str:
    """A crude stemmer: strip common suffixes, then keep at most six letters.

    Crude on purpose: it only has to make "assessed", "assessment" and "assessments" meet, and it
    costs nothing.
    """
    for suffix in (
        "ities",
        "ation",
        "ments",
        "ings",
        "ment",
        "ness",
        "ies",
        "ing",
        "ers",
        "ed",
        "es",
        "ly",
        "er",
        "s",
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:6]


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text).lower())


def content_stems(text: str) -> list[str]:
    out = []
    for word in words(text):
        word = word.split("'")[0]
        if word in STOPWORDS or word in NEGATIONS or len(word) < 2:
            continue
        out.append(word if any(ch.isdigit() for ch in word) else stem(word))
    return out


def numbers(text: str) -> set[str]:
    """Numbers, percentages and ordinals, normalised ("47 per cent" → "47%", "seven" → "7")."""
    found = set()
    for match in _NUMBER.finditer(fold(text).lower()):
        digits, pct, word, word_pct = match.groups()
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


def places(text: str) -> set[str]:
    return {_PLACE_ALIASES.get(p, p) for p in _PLACE.findall(" ".join(fold(text).split()))}


def negation_count(text: str) -> int:
    lowered = fold(text).lower()
    return sum(1 for w in words(lowered) if w in NEGATIONS) + len(_NEGATED_CONTRACTION.findall(lowered))


def split_sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE_END.split(fold(text))]
    return [p for p in parts if p and any(ch.isalnum() for ch in p)]


def split_clauses(text: str, min_words: int) -> list[str]:
    """Clauses of a claim, short fragments merged into their neighbour."""
    raw = [c.strip() for c in _CLAUSE_SPLIT.split(fold(text)) if c and c.strip()]
    clauses: list[str] = []
    for clause in raw:
        if clauses and len(content_stems(clause)) < min_words:
            clauses[-1] = f"{clauses[-1]} {clause}"
        else:
            clauses.append(clause)
    if len(clauses) > 1 and len(content_stems(clauses[0])) < min_words:
        clauses[1] = f"{clauses[0]} {clauses[1]}"
        clauses = clauses[1:]
    return clauses or [text]


def _coverage(claim_stems: list[str], passage_stems: set[str]) -> float:
    if not claim_stems:
        return 1.0
    return sum(1 for s in claim_stems if s in passage_stems) / len(claim_stems)


_QUANTIFIERS = frozenset({"always", "all", "every", "everyone", "consistently"})
_HEAD_SKIP = STOPWORDS | {"yet", "longer", "been", "always", "enough", "any", "sufficiently", "fully"}


def _negated_spans(text: str) -> list[list[str]]:
    """For each negation cue of ``text``, the words it negates: crudely the first three content
    words within six words after it. "not always X" negates the quantifier itself."""
    spans = []
    for sentence in split_sentences(text) or [text]:
        tokens = words(sentence)
        for i, token in enumerate(tokens):
            if token not in NEGATIONS and not token.endswith("n't"):
                continue
            following = tokens[i + 1 : i + 7]
            if following and following[0] in _QUANTIFIERS:
                spans.append([following[0]])
                continue
            content = [w for w in following if w not in _HEAD_SKIP and w not in NEGATIONS]
            if content:
                spans.append(content[:3])
    return spans


def _key(word: str) -> str:
    return word if word in _QUANTIFIERS else stem(word)


def negation_conflict(source: str, target: str) -> str | None:
    """A phrase that ``source`` negates and ``target`` states in a sentence without any negation.

    E.g. source "training is not yet available", target "training is now available" → "available".
    The target must hold the negated span's first word and, for longer spans, one more of its words
    close by; a span the target does not mention says nothing either way (coverage judges it).
    """
    sentences = []
    for sentence in split_sentences(target) or [target]:
        tokens = words(sentence)
        negated = any(t in NEGATIONS or t.endswith("n't") for t in tokens)
        sentences.append(([_key(t) for t in tokens], negated))
    for span in _negated_spans(source):
        keys = [_key(w) for w in span]
        for tokens, negated in sentences:
            if negated:
                continue
            for i, token in enumerate(tokens):
                if token != keys[0]:
                    continue
                nearby = set(tokens[max(0, i - 3) : i + 9])
                if len(keys) == 1 or any(k in nearby for k in keys[1:]):
                    return " ".join(span)
    return None


def _negated_at(tokens: list[str], index: int) -> bool:
    window = tokens[max(0, index - 4) : index]
    return any(t in NEGATIONS or t.endswith("n't") for t in window)


def _uncovered_run(claim_stems: list[str], passage_stems: set[str]) -> int:
    """The longest run of consecutive content words of the claim that the passage lacks: an added
    detail ("... has led to several prosecutions") shows as a run, a paraphrase as scattered words."""
    longest = run = 0
    for s in claim_stems:
        run = run + 1 if s not in passage_stems else 0
        longest = max(longest, run)
    return longest


# --- the checker ---------------------------------------------------------------------------------


class GroundingChecker:
    """Decides whether a claim is supported by a passage (see the module docstring).

    ``embedder`` is optional: without it the checker is lexical only (and a little stricter on
    paraphrases). Passage sentence embeddings are cached, since the service checks several
    sentences against the same few passages.
    """

    def __init__(self, embedder: TextEncoder | None = None, thresholds: Thresholds | None = None) -> None:
        self.embedder = embedder
        self.thresholds = thresholds or Thresholds()
        self._cache: OrderedDict[str, tuple[list[str], np.ndarray]] = OrderedDict()
        self._claims: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    # -- public API ---------------------------------------------------------------------------

    def check(self, claim: str, passage: str) -> Verdict:
        claim = _CITATION_MARK.sub("", claim).strip()
        if not claim or not any(ch.isalnum() for ch in claim):
            return Verdict(True, 1.0, "nothing to check")
        if not passage.strip():
            return Verdict(False, 0.0, "empty passage")
        if _whole_sentences_of(claim, passage):
            return Verdict(True, 1.0, "supported (verbatim)")
        sentences = split_sentences(passage)
        contradiction = self._contradiction(claim, passage, sentences)
        support, why = self._support(claim, passage, sentences)
        if contradiction:
            return Verdict(False, round(min(support, 0.2), 4), contradiction)
        supported = support >= 0.5
        return Verdict(supported, round(support, 4), "supported" if supported else why)

    def check_sentences(
        self, sentences: list[tuple[str, list[int]]], passages: dict[int, str]
    ) -> list[SentenceVerdict]:
        """Each answer sentence against the passages it cites: supported when one of them, or all
        of them read together, support it. A sentence citing nothing is unsupported."""
        verdicts = []
        for text, cited in sentences:
            known = [n for n in dict.fromkeys(cited) if n in passages]
            if not known:
                reason = "cites nothing" if not cited else "cites no known passage"
                verdicts.append(SentenceVerdict(text, tuple(cited), False, 0.0, reason))
                continue
            results = [self.check(text, passages[n]) for n in known]
            best = max(results, key=lambda v: (v.supported, v.score))
            if not best.supported and len(known) > 1:
                joint = self.check(text, "\n".join(passages[n] for n in known))
                if joint.supported:
                    best = joint
            verdicts.append(SentenceVerdict(text, tuple(cited), best.supported, best.score, best.reason))
        return verdicts

    # -- hard contradictions ------------------------------------------------------------------

    def _contradiction(self, claim: str, passage: str, sentences: list[str]) -> str | None:
        claim_numbers, passage_numbers = numbers(claim), numbers(passage)
        passage_years = {n for n in passage_numbers if is_year(n)}
        for value in sorted(claim_numbers - passage_numbers):
            if is_year(value):
                # A year the passage does not mention is context (the report's date), unless the
                # passage dates things and never with this year.
                if passage_years:
                    return f"year {value} not in passage"
            elif value.rstrip("%") not in {p.rstrip("%") for p in passage_numbers}:
                return f"number {value} not in passage"
        passage_months = months(passage)
        missing_months = months(claim) - passage_months
        if missing_months and passage_months:
            return f"month {sorted(missing_months)[0]} not in passage"
        missing_grades = grades(claim) - grades(passage)
        if missing_grades:
            return f"grade '{sorted(missing_grades)[0]}' not in passage"
        claim_places, passage_places = places(claim), places(passage)
        if claim_places - passage_places and passage_places:
            return f"place {sorted(claim_places - passage_places)[0]} not in passage"
        return self._polarity(claim, sentences)

    def _polarity(self, claim: str, sentences: list[str]) -> str | None:
        """A negation or an opposite word that the claim and the passage sentences it aligns
        with disagree on (see ``negation_conflict``)."""
        claim_stems = content_stems(claim)
        if not claim_stems:
            return None
        ranked = sorted(sentences, key=lambda s: _coverage(claim_stems, set(content_stems(s))), reverse=True)
        aligned = " ".join(ranked[:2])
        conflict = negation_conflict(claim, aligned) or negation_conflict(aligned, claim)
        if conflict:
            return f"negation differs from passage ('{conflict}')"
        claim_words = set(words(claim))
        aligned_words = set(words(aligned))
        passage_words = {w for s in sentences for w in words(s)}
        aligned_tokens = words(aligned)
        negated_words = {t for i, t in enumerate(aligned_tokens) if _negated_at(aligned_tokens, i)}
        for word in sorted(claim_words - passage_words):
            if (_OPPOSITE.get(word, set()) & aligned_words) - negated_words:
                return f"'{word}' contradicts passage"
            for prefix in ("in", "un", "im", "ir", "non-", "dis"):
                base = word[len(prefix) :]
                if word.startswith(prefix) and len(base) >= 4 and base in aligned_words:
                    return f"'{word}' contradicts passage"
                if prefix + word in aligned_words:
                    return f"'{word}' contradicts passage"
        return None

    # -- support --------------------------------------------------------------------------------

    def _support(self, claim: str, passage: str, sentences: list[str]) -> tuple[float, str]:
        t = self.thresholds
        passage_stems = set(content_stems(passage))
        clauses = split_clauses(claim, t.min_clause_words)
        stems = [content_stems(c) for c in clauses]
        coverages = [_coverage(cs, passage_stems) for cs in stems]
        similarities: list[float | None] = [None] * len(clauses)
        # Embeddings only where words alone do not settle it: most cited sentences are near-verbatim.
        unsettled = [i for i, c in enumerate(coverages) if t.coverage_with_similarity <= c < t.coverage]
        if self.embedder is not None and unsettled:
            sims = self._similarities([clauses[i] for i in unsettled], passage, sentences)
            for i, sim in zip(unsettled, sims, strict=True):
                similarities[i] = float(sim)
        worst, why = 1.0, "supported"
        for i, clause in enumerate(clauses):
            run = _uncovered_run(stems[i], passage_stems)
            score = _clause_score(coverages[i], similarities[i], run, t)
            if score < worst:
                worst = score
                sim = f", similarity {similarities[i]:.2f}" if similarities[i] is not None else ""
                why = f"clause '{_short(clause)}' not supported (coverage {coverages[i]:.2f}{sim})"
        return worst, why

    def _similarities(self, clauses: list[str], passage: str, sentences: list[str]) -> np.ndarray:
        _, unit_vectors = self._passage_vectors(passage, sentences)
        vectors = np.stack([self._vector(clause) for clause in clauses])
        return (vectors @ unit_vectors.T).max(axis=1)

    def _vector(self, text: str) -> np.ndarray:
        with self._lock:
            hit = self._claims.get(text)
            if hit is not None:
                return hit
        assert self.embedder is not None
        vector = np.asarray(self.embedder.encode([text]), dtype=np.float32)[0]
        with self._lock:
            self._claims[text] = vector
            if len(self._claims) > 2048:
                self._claims.popitem(last=False)
        return vector

    def _passage_vectors(self, passage: str, sentences: list[str]) -> tuple[list[str], np.ndarray]:
        with self._lock:
            hit = self._cache.get(passage)
            if hit is not None:
                self._cache.move_to_end(passage)
                return hit
        # Sentences, their clauses and adjacent pairs: a claim may be a part of one or span two.
        units = list(sentences)
        units.extend(f"{a} {b}" for a, b in itertools.pairwise(sentences))
        units = list(dict.fromkeys(units))[:64] or [passage]
        assert self.embedder is not None
        vectors = np.asarray(self.embedder.encode(units), dtype=np.float32)
        with self._lock:
            self._cache[passage] = (units, vectors)
            if len(self._cache) > 512:
                self._cache.popitem(last=False)
        return units, vectors


def _whole_sentences_of(claim: str, passage: str) -> bool:
    """The claim is one or more whole sentences of the passage, verbatim (whitespace aside).

    Only whole sentences: a verbatim fragment can still drop the negation before it ("... were not
    aware of X" → "aware of X").
    """
    flat_claim = " ".join(fold(claim).split())
    flat_passage = " ".join(fold(passage).split())
    at = flat_passage.find(flat_claim)
    if at < 0 or len(flat_claim) < 20:
        return False
    starts = at == 0 or flat_passage[at - 2 : at - 1] in {".", "!", "?", ":", ";"}
    ends = flat_claim[-1] in ".!?" or at + len(flat_claim) == len(flat_passage)
    return starts and ends


def _clause_score(coverage: float, similarity: float | None, uncovered_run: int, t: Thresholds) -> float:
    """Map a clause's coverage (and similarity) to 0..1 where 0.5 is the decision boundary."""
    lexical = 0.5 * coverage / t.coverage if coverage < t.coverage else 0.5 + 0.5 * coverage
    if uncovered_run >= t.max_uncovered_run:
        lexical = min(lexical, 0.45)
    if similarity is None or coverage < t.coverage_with_similarity:
        return min(lexical, 1.0)
    if uncovered_run >= t.max_uncovered_run and similarity < t.similarity_despite_run:
        return min(lexical, 0.5 * similarity / t.similarity_despite_run)
    semantic = 0.5 * similarity / t.similarity if similarity < t.similarity else 0.5 + 0.5 * float(similarity)
    return min(max(lexical, semantic), 1.0)


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
