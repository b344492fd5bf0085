"""Reciprocal rank fusion: one ranking from a dense one and lexical ones.

Why RRF: the scores (cosine, BM25) live on unrelated scales, so they are not added; a passage's
fused score is the sum over rankings of ``1 / (k + rank)``, which rewards passages several retrievers
place high and needs no tuning beyond ``k`` (60, as in Cormack et al., 2009). The service's retrieval
and ``inspectqa search`` both fuse with this one function.
"""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[tuple[int, float]]], k: int = RRF_K, limit: int | None = None
) -> list[tuple[int, float]]:
    """Fused (row id, score) best first; ties keep the order of first appearance. Row ids come back
    as plain ``int`` whatever the rankings held (FAISS hands out numpy integers)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, (row_id, _) in enumerate(ranking, start=1):
            scores[int(row_id)] = scores.get(int(row_id), 0.0) + 1.0 / (k + rank)
    fused = sorted(scores.items(), key=lambda item: -item[1])
    return fused[:limit] if limit is not None else fused
