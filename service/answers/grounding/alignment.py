"""Align each clause of a claim with the passage sentence(s) it rests on.

A claim written by someone else reorders, merges and rewords; comparing it with the whole passage
lets a changed slot hide behind a sentence about something else ("84%" is in the passage, but of
another measure). So each clause is first aligned to the passage sentence, or pair of adjacent
sentences, that holds most of its words (as lemmas: "visited" meets "visits", "carers" meets
"carer"), then the slots are compared on that alignment (``slots``).

The passage side is analysed once per passage text and cached: the service checks several
sentences against the same few passages, the evaluation many claims against one.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from service.answers.grounding.lemmas import lemma
from service.answers.grounding.tokens import CLAIM_STOPWORDS, fold, split_sentences, stem, words
from service.answers.grounding.vocabulary import NEGATIONS

_SPELLING_AS = {"iz": "is", "yz": "ys", "advisor": "adviser", "judgment": "judgement"}
_SPELLING = re.compile(r"iz(?=e|ing|ation)|yz(?=e|ing)|advisor|judgment")
_MAX_SAID = 3  # claim words that replace a stretch of the unit; more are a rewording
_MAX_INSTEAD = 4  # unit words shown for what they replaced
_SURFACE = re.compile(r"[A-Za-z0-9]+(?:[.,][0-9]+)*%?(?:'[A-Za-z]+)?")


@lru_cache(maxsize=65536)
def key(word: str) -> str:
    """What a word is compared as: the stem of its lemma ("assessed", "assessments" → "assess"),
    spelling variants met ("well-being", "wellbeing"; "organize", "organise"; "advisor", "adviser")."""
    if any(ch.isdigit() for ch in word):
        return word
    word = _SPELLING.sub(lambda m: _SPELLING_AS[m.group(0)], word.replace("-", ""))
    return stem(lemma(word))


def content_keys(text: str) -> list[str]:
    return list(_content_keys(text))


@lru_cache(maxsize=8192)
def _content_keys(text: str) -> tuple[str, ...]:
    out = []
    for word in words(text):
        word = word.split("'")[0]
        if word in CLAIM_STOPWORDS or word in NEGATIONS or len(word) < 2:
            continue
        out.append(key(word))
    return tuple(out)


@dataclass(frozen=True)
class PassageView:
    text: str
    sentences: tuple[str, ...]
    units: tuple[str, ...]  # sentences, then adjacent pairs
    unit_keys: tuple[frozenset[str], ...]
    keys: frozenset[str]


def passage_units(passage: str) -> tuple[str, ...]:
    """What a claim is compared with by meaning (the texts a build stores vectors of,
    ``indexer.unit_vectors``): the passage's sentences, then each pair of adjacent ones, then each
    of its content words in lower case (``novelty`` compares a clause's new words with them)."""
    units = _with_pairs(tuple(split_sentences(passage)) or (passage,))
    return units + tuple(dict.fromkeys(w.lower() for _, w in _surface_keys(passage)))


def _with_pairs(sentences: tuple[str, ...]) -> tuple[str, ...]:
    return sentences + tuple(f"{a} {b}" for a, b in itertools.pairwise(sentences))


@lru_cache(maxsize=1024)
def view(passage: str) -> PassageView:
    sentences = tuple(split_sentences(passage)) or (passage,)
    units = _with_pairs(sentences)
    unit_keys = tuple(frozenset(content_keys(u)) for u in units)
    return PassageView(passage, sentences, units, unit_keys, frozenset().union(*unit_keys))


def coverage(keys: list[str], have: frozenset[str]) -> float:
    return sum(1 for k in keys if k in have) / len(keys) if keys else 1.0


def uncovered_run(keys: list[str], have: frozenset[str]) -> int:
    longest = run = 0
    for k in keys:
        run = run + 1 if k not in have else 0
        longest = max(longest, run)
    return longest


def align(clause_keys: list[str], passage: PassageView) -> str:
    """The passage unit (a sentence, or two adjacent ones) that covers the clause best; a single
    sentence wins a tie, so that the alignment stays as narrow as the clause allows."""
    best, best_score = passage.sentences[0], -1.0
    n = len(passage.sentences)
    for i, (unit, have) in enumerate(zip(passage.units, passage.unit_keys, strict=True)):
        score = coverage(clause_keys, have)
        if score > best_score + (0.05 if i >= n else 0.0):
            best, best_score = unit, score
    return best


def candidates(clause_keys: list[str], passage: PassageView, k: int = 3) -> list[str]:
    """The ``k`` passage units that hold most of the clause's words, best first (sentences before
    pairs on a tie): the ones worth comparing by meaning."""
    order = sorted(range(len(passage.units)), key=lambda i: (-coverage(clause_keys, passage.unit_keys[i]), i))
    return [passage.units[i] for i in order[:k]]


@dataclass(frozen=True)
class Edit:
    """How a clause differs from the passage unit it is aligned with, word by word, in order."""

    near: float  # share of the clause's words matched, in order, in the unit
    replaced: tuple[tuple[str, str], ...]  # (clause words, unit words) put in each other's place
    added: int  # clause words with no counterpart in the unit


def closest(clause: str, passage: PassageView) -> tuple[str, Edit]:
    """The passage unit the clause is the nearest copy of, word by word in order, with the edit.

    Apart from ``align`` (most words held, in any order), since a swapped fact is usually a copy
    of one sentence with a word put in another's place, and the word put in is often one of the
    next sentence's: aligned by coverage, the pair of both would hold every word and hide it. A
    single sentence wins a tie.
    """
    best: tuple[str, Edit] | None = None
    for unit in passage.units:
        found = edit(clause, unit)
        if best is None or found.near > best[1].near + 1e-9:
            best = (unit, found)
    assert best is not None
    return best


def edit(clause: str, unit: str) -> Edit:
    """A near copy with one or two words replaced is how a fact is changed ("most" for "some",
    "narrowing" for "widening", "the police" for "the LSCB"); a paraphrase changes most words.

    The unit's words before the first and after the last that the clause copies are left out, not
    replaced (a claim may copy part of a sentence). Claim words with no counterpart next to unit
    words the claim skipped were put in their place ("electively home-educated children" for
    "children missing education"), as much as a one-for-one replacement is.
    """
    return _edit(clause, unit)


@lru_cache(maxsize=16384)
def _edit(clause: str, unit: str) -> Edit:
    a, b = _surface_keys(clause), _surface_keys(unit)
    ops = SequenceMatcher(None, [k for k, _ in a], [k for k, _ in b], autojunk=False).get_opcodes()
    matched = sum(i2 - i1 for op, i1, i2, _, _ in ops if op == "equal")
    first = next((n for n, o in enumerate(ops) if o[0] == "equal"), len(ops))
    last = max((n for n, o in enumerate(ops) if o[0] == "equal"), default=-1)
    replaced, added = [], 0

    def said(i1: int, i2: int) -> str:
        return " ".join(w for _, w in a[i1:i2])

    def instead(j1: int, j2: int) -> str:
        return " ".join(w for _, w in b[j1 : min(j2, j1 + _MAX_INSTEAD)])

    for n, (op, i1, i2, j1, j2) in enumerate(ops):
        if op == "equal" or op == "insert":
            continue
        if op == "delete":  # beside a skipped stretch of the unit inside the copy, it replaced it
            beside = [ops[m] for m in (n - 1, n + 1) if first <= m <= last and 0 <= m < len(ops)]
            skipped = [o for o in beside if o[0] == "insert"]
            if skipped and i2 - i1 <= _MAX_SAID:
                replaced.append((said(i1, i2), instead(skipped[0][3], skipped[0][4])))
            else:
                added += i2 - i1
        elif i2 - i1 <= _MAX_SAID:
            replaced.append((said(i1, i2), instead(j1, j2)))
        else:
            added += i2 - i1
    return Edit(matched / len(a) if a else 1.0, tuple(replaced), added)


def surface_keys(text: str) -> list[tuple[str, str]]:
    """(key, word as written) of each content word of ``text``, in order."""
    return list(_surface_keys(text))


@lru_cache(maxsize=4096)
def _surface_keys(text: str) -> tuple[tuple[str, str], ...]:
    """(key, word as written) of each content word, in order; capitals kept for the surface."""
    out = []
    for raw in _SURFACE.findall(fold(text)):
        word = raw.lower().split("'")[0]
        if word in CLAIM_STOPWORDS or word in NEGATIONS or len(word) < 2:
            continue
        out.append((key(word), raw))
    return tuple(out)
