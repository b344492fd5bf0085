"""What the words a claim put in place of its passage's change.

A near copy of a passage sentence with one to three words replaced (``alignment.edit``) is how a
fact is changed ("delayed" for "prompt", "senior" for "frontline", "weekly" for "daily", "the police"
for "the MASH") and how a light paraphrase is written ("the council" for "the local authority",
"IROs" for "independent reviewing officers", "thirty" for "30"). Each replacement is read for what
tells the two apart:

- **same**: the two name the same thing: one acronym and its expansion, one entity of the mined
  vocabulary, the same number;
- **who**: either side names who (a team, agency, role or group of children; ``entities``);
- **thing**: both sides end in a word that can only be a noun (a thing, not a doing or a quality:
  "disability" for "ethnicity", "housing" for "substance abuse"), more often a changed fact than a
  synonym;
- **listed**: the reports list the two side by side as members of one set (``coordination``:
  "neglect" for "domestic abuse", "fostering" for "adoption");
- **scale**: both sides are steps of one scale (how many, how often, how much, which in order) and
  not the same step;
- **turned**: the two lean opposite ways in inspection language (``valence``), by the smaller lean,
  or are opposites (``vocabulary.OPPOSITE``: "increase" for "reduction", "above" for "below").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from service.answers.grounding.coordination import coordinated
from service.answers.grounding.entities import CLASS_HEADS, vocabulary
from service.answers.grounding.facts import numbers
from service.answers.grounding.lemmas import lemma, noun_only
from service.answers.grounding.polarity import form, opposites
from service.answers.grounding.tokens import words
from service.answers.grounding.valence import valence
from service.answers.grounding.vocabulary import DEGREE, FREQUENCY, ORDINAL, PERIOD, PROPORTION

_WHO = frozenset().union(*CLASS_HEADS.values())
_SCALES = (FREQUENCY, PROPORTION, DEGREE, PERIOD, ORDINAL)


@dataclass(frozen=True)
class Replacement:
    said: str  # the claim's words
    instead: str  # the passage's words in their place
    same: bool
    who: bool
    thing: bool
    listed: bool
    scale: bool
    turned: float  # 0.0 unless the two lean opposite ways


def _who(span: str) -> bool:
    """A span that names who: a head noun of a class, an acronym or a capitalised name."""
    return any(
        lemma(w.lower().split("'")[0]) in _WHO or (len(w) >= 2 and w.isupper()) or (i > 0 and w[:1].isupper())
        for i, w in enumerate(span.split())
    )


def _same(said: str, instead: str) -> bool:
    said_numbers, instead_numbers = numbers(said), numbers(instead)
    if said_numbers and said_numbers == instead_numbers:
        return True
    vocab = vocabulary()
    a, b = vocab.mentions(said), vocab.mentions(instead)
    return bool(a) and {e.name for e in a} == {e.name for e in b}


def _head_noun(span: str) -> bool:
    tokens = words(span)
    return bool(tokens) and noun_only(tokens[-1].split("'")[0])


def _steps(span: str, scale: dict[str, int]) -> set[int]:
    """The steps of ``scale`` that ``span`` names, each word met in any of its forms
    ("occasional" as "occasionally", "regular" as "regularly")."""
    steps = _forms(tuple(scale.items()))
    return {steps[form(w)] for w in words(span) if form(w) in steps}


@lru_cache(maxsize=8)
def _forms(scale: tuple[tuple[str, int], ...]) -> dict[str, int]:
    return {form(w): step for w, step in scale if " " not in w}


def _scale_changed(said: str, instead: str) -> bool:
    for scale in _SCALES:
        a, b = _steps(said, scale), _steps(instead, scale)
        if a and b and not a & b:
            return True
    return False


@lru_cache(maxsize=4096)
def read(said: str, instead: str) -> Replacement:
    a, b = valence(said), valence(instead)
    turned = min(abs(a), abs(b)) if a * b < 0 else 0.0
    theirs = {form(w) for w in words(instead)}
    if any(opposites(w) & theirs for w in words(said)):
        turned = max(turned, 1.0)
    return Replacement(
        said,
        instead,
        _same(said, instead),
        _who(said) or _who(instead),
        _head_noun(said) and _head_noun(instead),
        coordinated(said, instead),
        _scale_changed(said, instead),
        turned,
    )
