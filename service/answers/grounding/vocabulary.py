"""The words whose meaning the contradiction checks turn on: negation cues and opposite pairs.

A claim that contradicts its passage usually keeps almost every word and changes one: adds "not",
swaps "improved" for "declined" or "effective" for "ineffective". Word coverage cannot see that,
so these lists name the few words that flip a statement. They are kept apart from the checks
(``service.answers.grounding.polarity``) so that widening them is a data change, not a code change.
"""

from __future__ import annotations

import re

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
NEGATED_CONTRACTION = re.compile(r"n't\b")

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
# Verbs whose every form ("increase", "increases", "increased", "increasing") opposes the other's.
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


def _opposites() -> dict[str, set[str]]:
    opposite: dict[str, set[str]] = {}
    for a, b in _ANTONYMS:
        opposite.setdefault(a, set()).add(b)
        opposite.setdefault(b, set()).add(a)
    for a, b in _VERB_PAIRS:
        for x in _forms(a):
            opposite.setdefault(x, set()).update(_forms(b))
        for y in _forms(b):
            opposite.setdefault(y, set()).update(_forms(a))
    return opposite


OPPOSITE: dict[str, set[str]] = _opposites()

# How often and how many, each word ranked on one scale, so that "most" for "some" or "rarely" for
# "often" reads as a changed slot while "many" for "most" (one step) reads as a rewording.
FREQUENCY = {
    "never": 0,
    "rarely": 1,
    "seldom": 1,
    "occasionally": 2,
    "sometimes": 2,
    "inconsistently": 2,
    "often": 3,
    "frequently": 3,
    "regularly": 3,
    "routinely": 4,
    "usually": 4,
    "mostly": 4,
    "generally": 4,
    "typically": 4,
    "always": 5,
    "consistently": 5,
    "invariably": 5,
}
PROPORTION = {
    "none": 0,
    "few": 1,
    "minority": 1,
    "handful": 1,
    "small number": 1,
    "small minority": 1,
    "significant minority": 1,
    "number of": 2,
    "high number": 3,
    "large number": 3,
    "large majority": 4,
    "vast majority": 4,
    "some": 2,
    "several": 2,
    "many": 3,
    "most": 4,
    "majority": 4,
    "nearly": 4,
    "almost": 4,
    "all": 5,
    "every": 5,
    "each": 5,
}
