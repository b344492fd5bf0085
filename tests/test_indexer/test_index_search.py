"""The read side of a real index: reports, pages, judgements, dense and lexical search, fusion."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import index_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer import Index, open_index, store
from indexer.embedding import Embedder
from indexer.fusion import reciprocal_rank_fusion
from indexer.store import fts_query
from inspectqa.errors import NotFound


@pytest.fixture(scope="module")
def index(small_index: Path) -> Index:
    return open_index(small_index, index_settings())


def test_report_metadata(index: Index) -> None:
    reports = {meta.report_id: meta for meta in index.reports()}
    assert len(reports) == 11 and "birmingham-2012-10-19" not in reports
    durham = index.report("durham-2019-10-21")
    assert durham == reports["durham-2019-10-21"]
    assert durham.local_authority == "Durham"
    assert durham.publication_date == "2019-10-21"
    assert durham.source_url and durham.source_url.startswith("https://files.ofsted.gov.uk/")
    assert Path(durham.file).is_absolute() and Path(durham.file).name == "durham-2019-10-21.pdf"
    assert durham.n_pages == 12
    assert len(durham.content_hash) == 64
    with pytest.raises(NotFound):
        index.report("atlantis-2020-01-01")


def test_pages_and_judgements(index: Index) -> None:
    assert "care leavers" in index.page_text("durham-2019-10-21", 8).lower()
    with pytest.raises(NotFound):
        index.page_text("durham-2019-10-21", 99)
    judgements = {j.area: j.grade for j in index.judgements("durham-2019-10-21")}
    assert judgements["children_in_care_and_care_leavers"] == "good"
    assert judgements["overall_effectiveness"].startswith("requires improvement")


def test_chunks_keep_order_and_citations_resolve(index: Index) -> None:
    chunks = index.chunks([5, 1, 3])
    assert [c.chunk_id for c in chunks] == [index.chunks([i])[0].chunk_id for i in (5, 1, 3)]
    for c in index.chunks(range(0, index.count(), 37)):
        page = index.page_text(c.report_id, c.pages[0])
        if len(c.pages) == 1:
            assert page[c.page_start : c.page_end] == c.text
        else:
            assert c.text.startswith(page[c.page_start :].rstrip())
    with pytest.raises(NotFound):
        index.chunks([10**9])


def test_dense_search_finds_the_council_asked_about(index: Index, embedder: Embedder) -> None:
    query = embedder.encode(["How well are care leavers supported in Durham?"])
    hits = index.dense_search(query, 5)[0]
    assert len(hits) == 5
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0.6
    top = index.chunks([hits[0][0]])[0]
    assert top.report_id == "durham-2019-10-21" and "care leavers" in top.text.lower()


def test_dense_search_within_some_reports(index: Index, embedder: Embedder) -> None:
    query = embedder.encode(["the multi-agency safeguarding hub"])
    allowed = index.chunk_ids_for_reports(["barnet-2017-07-07", "barnet-2019-07-01"])
    assert len(allowed) > 20
    hits = index.dense_search(query, 8, row_ids=allowed)[0]
    assert {index.chunks([row])[0].report_id for row, _ in hits} <= {"barnet-2017-07-07", "barnet-2019-07-01"}
    # The same as the unfiltered ranking restricted to those rows (exact search both ways).
    everything = index.dense_search(query, index.count())[0]
    expected = [row for row, _ in everything if row in set(allowed.tolist())][:8]
    assert [row for row, _ in hits] == expected
    assert index.dense_search(query, 3, row_ids=np.array([], dtype=np.int64)) == [[]]


def test_lexical_search_stems_and_filters(index: Index) -> None:
    hits = index.lexical_search("drop-in centre staying put", 5)
    top = index.chunks([hits[0][0]])[0]
    assert top.report_id == "southend-on-sea-2019-08-27" and "drop-in centre" in top.text
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)
    # Porter stemming: "fostering" finds "foster carers".
    assert index.lexical_search("fostering", 3)
    only = index.lexical_search("care leavers", 10, report_ids=["bexley-2018-08-20"])
    assert only and {index.chunks([row])[0].report_id for row, _ in only} == {"bexley-2018-08-20"}
    assert index.lexical_search("care leavers", 10, report_ids=[]) == []


HOSTILE = [
    "",
    "   ",
    '"',
    '""unbalanced "quote',
    "care AND OR NOT leavers",
    "NEAR(care leavers, 3)",
    "text: care",
    "care*",
    "^care",
    "(care OR",
    "-care +leavers",
    "'; DROP TABLE chunks; --",
    "café naïve Ōfsted 児童 🙂",
    "\x00\x01",
    "a " * 500,
    "the of and",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_lexical_search_never_raises_on_user_text(index: Index, query: str) -> None:
    hits = index.lexical_search(query, 5)
    assert isinstance(hits, list)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=80))
def test_fts_query_is_always_valid(index: Index, text: str) -> None:
    expression = fts_query(text)
    assert expression is None or expression.count('"') % 2 == 0
    index.lexical_search(text, 3)


def test_concurrent_readers(index: Index, embedder: Embedder) -> None:
    query = embedder.encode(["children's views are listened to"])
    expected = (index.dense_search(query, 5), index.lexical_search("children views", 5))
    results: list[object] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(20):
                results.append((index.dense_search(query, 5), index.lexical_search("children views", 5)))
                index.chunks([1, 2, 3])
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=read) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert all(result == expected for result in results)


def test_reciprocal_rank_fusion() -> None:
    fused = reciprocal_rank_fusion([[(1, 0.9), (2, 0.8), (3, 0.1)], [(3, 12.0), (1, 4.0)]])
    assert [row for row, _ in fused] == [1, 3, 2]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert reciprocal_rank_fusion([[], []]) == []
    assert len(reciprocal_rank_fusion([[(i, 1.0) for i in range(10)]], limit=3)) == 3


@pytest.mark.parametrize("query", ["foster carers", "children's homes", "care leavers accommodation", "PLO"])
def test_restricted_keyword_search_gives_the_same_rows_by_ranges_and_by_join(
    index: Index, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports = [meta.report_id for meta in index.reports()][::2]
    by_ranges = index.lexical_search(query, 30, report_ids=reports)
    monkeypatch.setattr(store, "MAX_ROW_RANGES", 0)  # the join kept for many scattered reports
    by_join = index.lexical_search(query, 30, report_ids=reports)
    assert by_ranges and by_ranges == by_join
    allowed = set(index.chunk_ids_for_reports(reports).tolist())
    assert {row for row, _ in by_ranges} <= allowed
