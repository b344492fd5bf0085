"""Which dense index the embedded backend searches with: exact below a size, approximate above it.

The generation's ``index.faiss`` is always the exact one (``IndexFlatIP``): it is the record of the
vectors, and searches among given rows (one council's reports) score it exactly. An unrestricted
search costs one pass over every vector, linear in passages: 4.2 ms of CPU for the 37,000 of the
shared corpus on one core, 27 ms at ten times the passages. Past ``EXACT_MAX_PASSAGES`` (where
``inspectqa bench scale`` measured an exact search's p95 passing ``TARGET_MS``; the setting
``INSPECTQA_ANN_EXACT_MAX_PASSAGES`` moves it), the build also writes an inverted-file index
(``IndexIVFFlat``, ``nlist`` about 4·√N lists, ``NPROBE`` of them searched) into the generation as
``index.ivf``, checksummed like its other files and described by the manifest's ``ann`` record;
``Index`` reads it when it opens and answers unrestricted searches with it (recall@10 against exact
is in the README's scale table). Below the threshold the manifest says ``"ann": null`` and nothing
changes: the shared corpus is searched exactly.

A generation built before this was recorded (no ``ann`` key) and over the threshold gets its IVF
built when it is opened, as it used to (134 s at 370,000 passages on a loaded machine), with a
warning: the next build writes it.
"""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path
from typing import Any, cast

import faiss
import numpy as np

from inspectqa.settings import ANN_EXACT_MAX_PASSAGES

TARGET_MS = 10.0  # an unrestricted dense search should stay under this (p95, one core)
# `inspectqa bench scale`: exact p95 4.7 ms at 37,000, 32.6 at 370,000 passages
EXACT_MAX_PASSAGES = ANN_EXACT_MAX_PASSAGES
NPROBE = 64  # bench scale: recall@10 0.961 at 370,000 passages (2,433 lists), 1.35 ms
TRAIN_PER_LIST = 40  # training vectors per list (FAISS warns below 39)
SEED = 1234
KMEANS_ITERATIONS = 10  # FAISS's default is 25; 10 costs 2.5x less for nearly the same lists
IVF_FILE = "index.ivf"
KIND = "IVFFlat"


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


def flat_contents(exact: Any) -> tuple[np.ndarray, np.ndarray]:
    """The vectors (a view, no copy) and ids of an ``IndexIDMap2`` over ``IndexFlatIP``."""
    flat: Any = faiss.downcast_index(exact.index)
    total, dimension = int(exact.ntotal), int(exact.d)
    vectors = faiss.rev_swig_ptr(flat.get_xb(), total * dimension).reshape(total, dimension)
    return vectors, faiss.vector_to_array(exact.id_map).astype(np.int64)


def write_approximate(
    exact: Any, generation: Path, threshold: int | None = None, previous: Path | None = None
) -> dict[str, Any] | None:
    """The manifest's ``ann`` record for a generation whose exact index is ``exact``: None at or
    below ``threshold`` passages, else the IVF written to ``generation/index.ivf``. ``previous``: a
    generation with the very same vectors whose IVF is copied instead of trained again."""
    passages = int(exact.ntotal)
    if not wants_approximate(passages, threshold):
        return None
    target = generation / IVF_FILE
    started = time.perf_counter()
    if previous is not None:
        shutil.copyfile(previous, target)
        index = cast(Any, faiss.read_index(str(target)))
    else:
        vectors, ids = flat_contents(exact)
        index = build_ivf(vectors, ids)
        faiss.write_index(index, str(target))
    return {
        "kind": KIND,
        "file": IVF_FILE,
        "passages": passages,
        "lists": int(index.nlist),
        "nprobe": int(index.nprobe),
        "threshold": EXACT_MAX_PASSAGES if threshold is None else int(threshold),
        "seconds": round(time.perf_counter() - started, 2),
        "reused": previous is not None,
    }


def read_approximate(generation: Path, record: dict[str, Any], passages: int, dimension: int) -> Any:
    """The IVF a build wrote (``record``: the manifest's ``ann``), checked against the exact index."""
    index = cast(Any, faiss.read_index(str(generation / str(record["file"]))))
    if int(index.ntotal) != passages or int(index.d) != dimension:
        raise ValueError(
            f"{record['file']} holds {index.ntotal} vectors of dimension {index.d}, "
            f"the exact index {passages} of {dimension}"
        )
    faiss.extract_index_ivf(index).nprobe = int(record.get("nprobe", NPROBE))
    return index
