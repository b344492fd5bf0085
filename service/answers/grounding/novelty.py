"""Which of a clause's words are new facts and which are other words for what the passage says.

After alignment, each clause has content words its aligned passage unit lacks. A rewording puts a
near synonym there ("swiftly" for "quickly", "extra" for "additional"); a changed fact puts a word
that means nothing the unit says ("housing officers" for "benefits advisers", "parents" for
"referrers"). Each such word is compared by meaning (the embedder's vector of the word alone) with
every content word of the unit that the clause does not use, and its novelty is one minus its best
similarity there. Nouns are kept apart: a new noun is more often a new who or what than a new verb
is a new fact.

The words' vectors go through the checker's ``SimilarityCache`` (words recur across answers, so
most are cached after a few).
"""

from __future__ import annotations

import numpy as np

from service.answers.grounding.alignment import content_keys, surface_keys
from service.answers.grounding.lemmas import noun_only
from service.answers.grounding.similarity import SimilarityCache

NOVELTY = ("new_max", "new_count", "new_noun")
_UNLIKE = 0.5  # best similarity below this: a word that is like none of the unit's


def unmatched(clause: str, clause_keys: list[str], unit: str) -> tuple[list[str], list[str]]:
    """The clause's content words (as written, lower case) whose keys the unit lacks, and the
    unit's content words the clause lacks (the only ones a new word can be another word for)."""
    have = set(content_keys(unit))
    wanted = set(clause_keys)
    new = [w.lower() for k, w in surface_keys(clause) if k not in have and k in wanted]
    left = [w.lower() for k, w in surface_keys(unit) if k not in wanted]
    return list(dict.fromkeys(new)), list(dict.fromkeys(left))


def words(pairs: list[tuple[list[str], list[str]]]) -> list[str]:
    """Every word ``novelty`` will embed for these clauses."""
    return [w for new, unit in pairs if new and unit for w in (*new, *unit)]


def novelty(pairs: list[tuple[list[str], list[str]]], similarity: SimilarityCache) -> dict[str, float]:
    """The most novel unmatched word, how many are like no word of their unit, the most novel noun."""
    worst = noun = 0.0
    count = 0
    for new, unit in pairs:
        if not new or not unit:
            continue
        vectors = np.asarray(similarity.vectors([*new, *unit]))
        best = (vectors[: len(new)] @ vectors[len(new) :].T).max(axis=1)
        for word, b in zip(new, best, strict=True):
            worst = max(worst, 1.0 - float(b))
            count += int(b < _UNLIKE)
            if noun_only(word):
                noun = max(noun, 1.0 - float(b))
    return {"new_max": worst, "new_count": float(min(count, 4)), "new_noun": noun}
