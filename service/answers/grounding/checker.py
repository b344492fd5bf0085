"""The grounding checker: a verdict for one claim against one passage, or for an answer's sentences.

This is the one entry point the service (every answer sentence, on its LLM path too) and the
evaluation call; it puts the parts together in order: a claim that is whole sentences of the passage
passes at once; otherwise its clauses are aligned with the passage (``alignment``), its signals
measured (``features``: support per clause, changed slots), and the fitted model (``model``) weighs
them. The reason names the changed slot that weighed most against the claim, or its weakest clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.answers.grounding.coverage import Thresholds
from service.answers.grounding.features import Signals, signals, to_embed
from service.answers.grounding.model import Weights, load_weights
from service.answers.grounding.similarity import SimilarityCache, StoredVectors, TextEncoder
from service.answers.grounding.tokens import fold
from service.answers.records import SentenceVerdict

_CITATION_MARK = re.compile(r"\s*\[\d+(?:\s*[,;\u2013-]\s*\d+)*\]")


@dataclass(frozen=True)
class Verdict:
    supported: bool
    score: float  # 0..1, higher = better supported
    reason: str  # why, in a few words ("supported", "number 47% not in passage", ...)


class GroundingChecker:
    """Decides whether a claim is supported by a passage (see ``service.answers.grounding``).

    ``embedder`` is optional: without it the checker is lexical only (and a little stricter on
    paraphrases), and weighed by the model fitted without similarity. Passage sentence embeddings
    are cached, since the service checks several sentences against the same few passages, and
    read from ``stored`` (the index generation's, ``indexer.unit_vectors``) when it has them.
    """

    def __init__(
        self,
        embedder: TextEncoder | None = None,
        thresholds: Thresholds | None = None,
        stored: StoredVectors | None = None,
    ) -> None:
        self.embedder = embedder
        self.thresholds = thresholds or Thresholds()
        self._similarity = SimilarityCache(embedder, stored) if embedder is not None else None
        self._model = "semantic" if embedder is not None else "lexical"

    def check(self, claim: str, passage: str) -> Verdict:
        claim = _CITATION_MARK.sub("", claim).strip()
        if not claim or not any(ch.isalnum() for ch in claim):
            return Verdict(True, 1.0, "nothing to check")
        if not passage.strip():
            return Verdict(False, 0.0, "empty passage")
        if _whole_sentences_of(claim, passage):
            return Verdict(True, 1.0, "supported (verbatim)")
        found = self.signals(claim, passage)
        if found.values["cov_mean"] == 0.0:
            # No content word of the claim is in the passage: whatever the fitted weights make of
            # the other signals, nothing here can support it (every such fitting pair is unsupported).
            return Verdict(False, 0.0, "no word of the claim is in the passage")
        weights = self._weights
        probability = weights.probability(found.values)
        if probability >= weights.threshold:
            return Verdict(True, round(probability, 4), "supported")
        return Verdict(False, round(probability, 4), self._why(found))

    def signals(self, claim: str, passage: str) -> Signals:
        """What the model weighs for this claim and passage (``features.signals``)."""
        t = self.thresholds
        return signals(claim, passage, t.min_clause_words, self._similarity, t.candidates)

    @property
    def _embed_settings(self) -> tuple[int, int]:
        return self.thresholds.min_clause_words, self.thresholds.candidates

    @property
    def _weights(self) -> Weights:
        return load_weights()[self._model]

    def _why(self, found: Signals) -> str:
        """The changed slot that weighs most against the claim, else its weakest clause."""
        contributions = self._weights.contributions(found.values)
        fired = sorted(found.slot_reasons, key=lambda slot: contributions.get(slot, 0.0))
        if fired and contributions.get(fired[0], 0.0) < 0:
            return found.slot_reasons[fired[0]]
        if "replaced" in found.slot_reasons:  # a near copy with words put in others' place
            return found.slot_reasons["replaced"]
        return f"clause '{_short(found.weakest)}' not supported ({found.weakest_detail})"

    def check_sentences(
        self, sentences: list[tuple[str, list[int]]], passages: dict[int, str]
    ) -> list[SentenceVerdict]:
        """Each answer sentence against the passages it cites: supported when one of them, or all
        of them read together, support it. A sentence citing nothing is unsupported."""
        if self._similarity is not None:  # one embedding call for the whole answer
            self._similarity.prefetch(
                [
                    t
                    for text, cited in sentences
                    for n in dict.fromkeys(cited)
                    if n in passages
                    for t in to_embed(
                        _CITATION_MARK.sub("", text).strip(), passages[n], *self._embed_settings
                    )
                ]
            )
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


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
