"""Is a claim supported by a passage? An offline checker, fast enough to run on every answer.

Why not an entailment model: nothing may be fetched from a hub, and the service calls this on every
sentence of every answer. Why not word overlap alone: a claim that flips a negation, changes a
number, a grade, a council or who did something keeps almost every word of its passage, while a
faithful paraphrase changes most of them. So the checker (``checker.GroundingChecker``):

1. **aligns** each clause of the claim with the passage sentence, or pair of sentences, that holds
   most of its words as lemmas (``alignment``, ``lemmas``);
2. **compares slots** on that alignment (``slots``): numbers, years, months and grades (``facts``),
   councils (``places``), negation and opposite words (``polarity``, over ``vocabulary``),
   quantities and frequencies on one scale, and teams, agencies, roles and groups of children from a
   vocabulary mined from the reports (``entities``, ``data/entities.json``), compared with the whole
   passage and, in a near copy, with the one sentence copied, rare names too (``entities.local_swaps``).
   In a near copy of one sentence (``alignment.closest``), each stretch of words put in another's
   place is read for what it changes (``replacements``): words the reports list side by side
   (``coordination``, ``data/coordinated.json``), words that lean the other way in inspectors'
   sentences (``valence``, ``data/valence.json``), steps of a scale, or the same thing in other words;
3. **measures support** (``features``): word coverage per clause, the word-by-word edit against the
   aligned sentence (a near copy with a word replaced is a changed fact) and, with an embedder,
   MiniLM similarity (``similarity``);
4. **weighs** it all with a logistic regression fitted on the fitting splits of the labelled pairs
   and measured on the held-out ones (``model``, ``data/model.json``; ``inspectqa eval grounding-fit``).

``contradiction`` (the older all-or-nothing checks) stays for callers that want one reason.
"""

from __future__ import annotations

from service.answers.grounding.checker import GroundingChecker, Verdict
from service.answers.grounding.contradictions import contradiction
from service.answers.grounding.coverage import Thresholds
from service.answers.grounding.facts import grades, is_year, months, numbers
from service.answers.grounding.places import places
from service.answers.grounding.polarity import negation_conflict, negation_count, polarity_conflict
from service.answers.grounding.similarity import TextEncoder
from service.answers.grounding.tokens import content_stems, fold, split_clauses, split_sentences, stem, words

__all__ = [
    "GroundingChecker",
    "TextEncoder",
    "Thresholds",
    "Verdict",
    "content_stems",
    "contradiction",
    "fold",
    "grades",
    "is_year",
    "months",
    "negation_conflict",
    "negation_count",
    "numbers",
    "places",
    "polarity_conflict",
    "split_clauses",
    "split_sentences",
    "stem",
    "words",
]
