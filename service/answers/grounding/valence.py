"""How favourable a passage of inspection language is, word by word, as the reports lean.

Each word's lean is mined from the reports (``data/valence.json``, by ``evals/mine_valence.py``):
the log-odds of its appearing in a sentence that praises rather than one that criticises. A word in
a negation's reach counts the other way. The checker compares the lean of a claim with that of the
passage text it copies or rewords: "a delayed response" for "a prompt response", "occasional" for
"regular" or "started to make things worse" for "beginning to make a difference" turns it over.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from service.answers.grounding.alignment import key
from service.answers.grounding.tokens import words
from service.answers.grounding.vocabulary import NEGATED_CONTRACTION, NEGATIONS

_DATA = Path(__file__).with_name("data") / "valence.json"
_REACH = 4  # as in the mining: words after a negation cue that it negates


@lru_cache(maxsize=1)
def _lean() -> dict[str, float]:
    data = json.loads(_DATA.read_text(encoding="utf-8"))
    return {str(k): float(v) for k, v in data["valence"].items()}


def lean(word: str) -> float:
    """One word's lean (0.0 for a word the reports use either way)."""
    return _lean().get(key(word.lower().split("'")[0]), 0.0)


@lru_cache(maxsize=8192)
def valence(text: str) -> float:
    """The summed lean of a text's words, a negated word's turned over; a negation cue that
    negates nothing that leans counts as a criticism of its own ("not", "no longer")."""
    total = 0.0
    negated_until = -1
    table = _lean()
    for i, token in enumerate(words(text)):
        if token in NEGATIONS or NEGATED_CONTRACTION.search(token):
            negated_until = i + _REACH
            total -= 1.0
            continue
        value = table.get(key(token.split("'")[0]), 0.0)
        if i <= negated_until and value:
            total += 1.0 - value  # the cue's own -1 taken back, the word turned over
            negated_until = -1
        else:
            total += value
    return total
