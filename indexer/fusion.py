"""Reciprocal rank fusion: one ranking from a dense and a lexical one.

Why RRF: the two scores (cosine, BM25) live on unrelated scales, so they are not added; a passage's
fused score is the sum over rankings of ``1 / (k + rank)``, which rewards passages both retrievers
place high and needs no tuning beyond ``k`` (60, as in Cormack et al., 2009).
"""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[tuple[int, float]]], k: int = RRF_K, limit: int | None = None
) -> list[tuple[int, float]]:
    """Fused (row id, score) best first; ties keep the order of first appearance."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, (row_id, _) in enumerate(ranking, start=1):
            scores[row_id] = scores.get(row_id, 0.0) + 1.0 / (k + rank)
    fused = sorted(scores.items(), key=lambda item: -item[1])
    return fused[:limit] if limit is not None else fused
