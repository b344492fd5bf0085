"""Which dense index the embedded backend searches with: exact below a size, approximate above it.

The generation's ``index.faiss`` is always the exact one (``IndexFlatIP``): it is the record of the
vectors, and searches among given rows (one council's reports) score it exactly. An unrestricted
search costs one pass over every vector, linear in passages: 4.2 ms of CPU for the 37,000 of the
shared corpus on one core, 27 ms at ten times the passages. Past ``EXACT_MAX_PASSAGES`` (where
``inspectqa bench scale`` measured an exact search's p95 passing ``TARGET_MS``), ``Index`` builds an
inverted-file index (``IndexIVFFlat``, ``nlist`` about 4·√N lists, ``NPROBE`` of them searched) from
the stored vectors when it opens, and unrestricted searches use it (recall@10 against exact is in
the README's scale table). Below the threshold nothing changes: the shared corpus is searched exactly.
"""

from __future__ import annotations

import math
from typing import Any

import faiss
import numpy as np

TARGET_MS = 10.0  # an unrestricted dense search should stay under this (p95, one core)
EXACT_MAX_PASSAGES = 100_000  # `inspectqa bench scale`: exact p95 4.7 ms at 37,000, 32.6 at 370,000
NPROBE = 64  # bench scale: recall@10 0.961 at 370,000 passages (2,433 lists), 1.35 ms
TRAIN_PER_LIST = 40  # training vectors per list (FAISS warns below 39)
SEED = 1234
KMEANS_ITERATIONS = 10  # FAISS's default is 25; 10 costs 2.5x less at open for nearly the same lists


def wants_approximate(passages: int, threshold: int | None = None) -> bool:
    return passages > (EXACT_MAX_PASSAGES if threshold is None else threshold)


def ivf_lists(passages: int) -> int:
    return int(min(65536, max(16, 4 * math.sqrt(max(passages, 1)))))


def build_ivf(
    vectors: np.ndarray, ids: np.ndarray, *, nprobe: int = NPROBE, niter: int = KMEANS_ITERATIONS
) -> Any:
    """An ``IndexIVFFlat`` (inner product) over ``vectors`` keyed by ``ids``, trained on a sample."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dimension = vectors.shape
    lists = ivf_lists(n)
    quantizer = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFFlat(quantizer, dimension, lists, faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = niter
    sample = min(n, lists * TRAIN_PER_LIST)
    rng = np.random.default_rng(SEED)
    chosen = np.sort(rng.choice(n, size=sample, replace=False)) if sample < n else np.arange(n)
    index.train(vectors[chosen])
    index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))
    index.nprobe = min(nprobe, lists)
    return index
