"""The grounding checker: a verdict for one claim against one passage, or for an answer's sentences.

This is the one entry point the service (every answer sentence, on its LLM path too) and the
evaluation call; it puts the parts together in order: a verbatim claim passes at once, then any
hard contradiction fails the claim, then the claim's weakest clause decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.grounding.contradictions import contradiction
from service.grounding.coverage import Thresholds, coverage, needs_similarity, weakest_clause
from service.grounding.similarity import SimilarityCache, TextEncoder
from service.grounding.tokens import content_stems, fold, split_clauses, split_sentences
from service.records import SentenceVerdict

_CITATION_MARK = re.compile(r"\s*\[\d+(?:\s*[,;\u2013-]\s*\d+)*\]")


@dataclass(frozen=True)
class Verdict:
    supported: bool
    score: float  # 0..1, higher = better supported
    reason: str  # why, in a few words ("supported", "number 47% not in passage", ...)


class GroundingChecker:
    """Decides whether a claim is supported by a passage (see ``service.grounding``).

    ``embedder`` is optional: without it the checker is lexical only (and a little stricter on
    paraphrases). Passage sentence embeddings are cached, since the service checks several
    sentences against the same few passages.
    """

    def __init__(self, embedder: TextEncoder | None = None, thresholds: Thresholds | None = None) -> None:
        self.embedder = embedder
        self.thresholds = thresholds or Thresholds()
        self._similarity = SimilarityCache(embedder) if embedder is not None else None

    def check(self, claim: str, passage: str) -> Verdict:
        claim = _CITATION_MARK.sub("", claim).strip()
        if not claim or not any(ch.isalnum() for ch in claim):
            return Verdict(True, 1.0, "nothing to check")
        if not passage.strip():
            return Verdict(False, 0.0, "empty passage")
        if _whole_sentences_of(claim, passage):
            return Verdict(True, 1.0, "supported (verbatim)")
        sentences = split_sentences(passage)
        contradicted = contradiction(claim, passage, sentences)
        support, why = self._support(claim, passage, sentences)
        if contradicted:
            return Verdict(False, round(min(support, 0.2), 4), contradicted)
        supported = support >= 0.5
        return Verdict(supported, round(support, 4), "supported" if supported else why)

    def check_sentences(
        self, sentences: list[tuple[str, list[int]]], passages: dict[int, str]
    ) -> list[SentenceVerdict]:
        """Each answer sentence against the passages it cites: supported when one of them, or all
        of them read together, support it. A sentence citing nothing is unsupported."""
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

    def _support(self, claim: str, passage: str, sentences: list[str]) -> tuple[float, str]:
        """The weakest clause's score, embeddings asked only where words alone do not settle it
        (most cited sentences are near-verbatim)."""
        t = self.thresholds
        passage_stems = set(content_stems(passage))
        clauses = split_clauses(claim, t.min_clause_words)
        stems = [content_stems(c) for c in clauses]
        similarities: list[float | None] = [None] * len(clauses)
        unsettled = [i for i, s in enumerate(stems) if needs_similarity(coverage(s, passage_stems), t)]
        if self._similarity is not None and unsettled:
            sims = self._similarity.best([clauses[i] for i in unsettled], passage, sentences)
            for i, sim in zip(unsettled, sims, strict=True):
                similarities[i] = float(sim)
        return weakest_clause(clauses, stems, passage_stems, similarities, t)


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
