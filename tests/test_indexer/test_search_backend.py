"""The search backend seam: the embedded directory index is a ``SearchIndex``, and the service holds
its index through that protocol only (mypy checks the calls; this checks the runtime shape)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import index_settings

from indexer import open_index
from indexer.backend import SearchIndex
from indexer.generations import current_generation


def test_the_directory_index_is_a_search_index(small_index: Path) -> None:
    index = open_index(small_index, index_settings())
    assert isinstance(index, SearchIndex)
    generation = current_generation(small_index)
    assert generation is not None
    assert index.generation == generation.name == index.manifest["generation"]
    assert index.location == str(generation)
    rows = index.chunk_ids_for_reports([r.report_id for r in index.reports()])
    assert len(rows) == index.count() > 0
    assert list(rows) == sorted(rows)


def test_past_a_size_the_embedded_index_searches_approximately(
    small_index: Path, embedder: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below ``indexer.ann.EXACT_MAX_PASSAGES`` search is exact (the shared corpus is far below it);
    past it an IVF index built at open answers unrestricted searches, close to exact."""
    import numpy as np

    from indexer import ann

    exact = open_index(small_index, index_settings())
    assert exact.approximate is None
    monkeypatch.setattr(ann, "EXACT_MAX_PASSAGES", 100)
    approximate = open_index(small_index, index_settings())
    assert approximate.approximate is not None and approximate.approximate.nlist == ann.ivf_lists(
        exact.count()
    )
    questions = [
        "support for care leavers",
        "foster carer recruitment",
        "child protection plans",
        "early help",
    ]
    vectors = embedder.encode(questions)  # type: ignore[attr-defined]
    overlap = [
        len({r for r, _ in a} & {r for r, _ in b}) / 10
        for a, b in zip(exact.dense_search(vectors, 10), approximate.dense_search(vectors, 10), strict=True)
    ]
    assert np.mean(overlap) >= 0.8, overlap
    rows = exact.chunk_ids_for_reports(["essex-2014-03-21"])  # among given rows: exact on both
    assert exact.dense_search(vectors, 5, row_ids=rows) == approximate.dense_search(vectors, 5, row_ids=rows)
