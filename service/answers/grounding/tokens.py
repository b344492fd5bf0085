"""Words, stems, sentences and clauses of claims and passages, as the grounding checks see them.

Every check compares a claim with its passage word by word, so both must be cut the same way:
typographic quotes and dashes folded, words lower-cased with their figures ("2.5", "47%") kept
whole, topic-free words dropped and the rest crudely stemmed. Claims are also cut into clauses,
so that an added, unsupported clause cannot hide behind a well-supported one.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from service.answers.grounding.vocabulary import NEGATIONS
from service.answers.lexicon import CLAIM_STOPWORDS

# On top of the shared list: words of numbers, which the fact checks (``facts.numbers``) compare
# as figures, so that "47 per cent" against "47%" or "one" against "1" is not a missing word too.

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
    r",\s+(?:(?:and|but|while|whereas|which|although|though|so|because)\b)?\s*|;\s*|:\s+"
    r"|\s+(?:because|although|whereas|while|but|and so|as a result of|due to|which means)\s+"
    r"|\s+and\s+(?=(?:the|a|an|there|this|these|they|it|its|their|children|staff|leaders|"
    r"social|managers|young|care|most|all|some|many|few|no)\b|\d)"
)
_SUFFIXES = (
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
)


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_FOLD)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A crude stemmer: strip common suffixes, then keep at most six letters.

    Crude on purpose: it only has to make "assessed", "assessment" and "assessments" meet, and it
    costs nothing.
    """
    return unsuffixed(word)[:6]


@lru_cache(maxsize=65536)
def unsuffixed(word: str) -> str:
    """``word`` with its first common suffix stripped, and not cut short: where six letters would
    make two words meet that only begin alike ("effect", "effective"), this keeps them apart."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text).lower())


def content_stems(text: str) -> list[str]:
    return list(_content_stems(text))


@lru_cache(maxsize=8192)
def _content_stems(text: str) -> tuple[str, ...]:
    out = []
    for word in words(text):
        word = word.split("'")[0]
        if word in CLAIM_STOPWORDS or word in NEGATIONS or len(word) < 2:
            continue
        out.append(word if any(ch.isdigit() for ch in word) else stem(word))
    return tuple(out)


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
