"""Is a claim supported by a passage? An offline checker, fast enough to run on every answer.

Why not an entailment model: nothing may be fetched from a hub, and the service calls this on every
sentence of every answer, so it must take milliseconds. Why not lexical overlap alone: a claim that
flips a negation, changes a number or a grade, or names another council keeps almost every word of
its passage, and those are exactly the errors that matter in inspection reports. So the checker has
two parts:

1. **Hard contradictions** (``contradictions``), each a cheap explicit test against the passage: a
   number, percentage or date of the claim that the passage does not hold (``facts``); an Ofsted
   grade ("outstanding", "good", "requires improvement (to be good)", "inadequate") the passage does
   not give (``facts``); a local authority the passage does not name while it names another
   (``places``); a negation ("not", "no", "never", "lack", ...) or polarity ("effective" /
   "ineffective", "improved" / "declined") that differs from the passage clause the claim aligns
   with (``polarity``, over the word lists of ``vocabulary``). Any one makes the claim unsupported.
2. **Support** (``coverage``), measured per clause of the claim (so an added, unsupported clause
   cannot hide behind a well-supported one): the share of the clause's content words (crudely
   stemmed, ``tokens``) found in the passage, and, when an embedder is given, the best cosine
   similarity between the clause and the passage's sentences (``similarity``), which lets a
   paraphrase through. The claim's score is its weakest clause's.

``checker.GroundingChecker`` puts them together. Thresholds were tuned on the ``dev`` split of
``evals/data/grounding_pairs.jsonl`` only; the ``test`` split is held out (see
``evals/data/GROUNDING_PAIRS.md``).
"""

from __future__ import annotations

from service.grounding.checker import GroundingChecker, Verdict
from service.grounding.contradictions import contradiction
from service.grounding.coverage import Thresholds
from service.grounding.facts import grades, is_year, months, numbers
from service.grounding.places import places
from service.grounding.polarity import negation_conflict, negation_count, polarity_conflict
from service.grounding.similarity import TextEncoder
from service.grounding.tokens import content_stems, fold, split_clauses, split_sentences, stem, words

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
