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
    ("wide", "narrow"),
    ("beneficial", "detrimental"),
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
    ("widen", "narrow"),
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
    "significant minority": 2,
    "nearly all": 4,
    "almost all": 4,
    "nearly every": 4,
    "almost every": 4,
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
# How much, when a near copy puts one for another ("a small increase" for "a significant
# increase"); compared only between the words a claim put in the place of the passage's.
DEGREE = {
    "slight": 1,
    "slightly": 1,
    "small": 1,
    "modest": 1,
    "minor": 1,
    "marginal": 1,
    "significant": 3,
    "significantly": 3,
    "substantial": 3,
    "substantially": 3,
    "considerable": 3,
    "considerably": 3,
    "marked": 3,
    "markedly": 3,
    "large": 3,
    "major": 3,
    "dramatic": 3,
    "dramatically": 3,
    "sharp": 3,
    "sharply": 3,
}
# How often a thing recurs, and which in a row: steps of their own, any other step a changed fact.
PERIOD = {"daily": 1, "weekly": 2, "fortnightly": 3, "monthly": 4, "quarterly": 5, "annually": 6, "yearly": 6}
ORDINAL = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}
