"""The search backend seam: the embedded directory index is a ``SearchIndex``, and the service holds
its index through that protocol only (mypy checks the calls; this checks the runtime shape)."""

from __future__ import annotations

from pathlib import Path

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


def test_the_database_searches_its_hnsw_harder_past_a_size() -> None:
    """``hnsw.ef_search`` by the generation's passages, as ``bench scale`` measured recall@10."""
    from indexer.pg import ef_search_for

    assert ef_search_for(0) == ef_search_for(36_999) == ef_search_for(100_000) == 100
    assert ef_search_for(100_001) == ef_search_for(369_990) == 400
