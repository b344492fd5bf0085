"""The naive baseline pipeline on one real report: pypdf chunks, torch fp32 vectors, a cached index."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import CORPUS

from evals.naive import CHUNK_SIZE, NaiveIndex, NaiveTooSlow, corpus_key
from inspectqa.settings import Settings, default_cache_dir

REPORT = SimpleNamespace(
    report_id="bexley-2018-08-20",
    local_authority="Bexley",
    content_hash="sha-of-bexley",
    file=str(CORPUS / "reports" / "bexley-2018-08-20.pdf"),
)


def settings() -> Settings:
    return Settings(model_path=None, cache_dir=default_cache_dir())


@pytest.mark.slow
def test_naive_index_is_built_searched_and_cached(tmp_path: Path) -> None:
    naive = NaiveIndex.build([REPORT], tmp_path, settings())
    assert naive.chunks and all(len(c.text) <= CHUNK_SIZE for c in naive.chunks)
    assert naive.index.ntotal == len(naive.chunks)
    hits = naive.search("What was the overall effectiveness judgement for Bexley?", 10)
    assert [h.rank for h in hits] == list(range(1, 11))
    assert all(h.report_id == "bexley-2018-08-20" for h in hits)
    assert hits[0].score >= hits[-1].score
    started = time.perf_counter()
    again = NaiveIndex.build([REPORT], tmp_path, settings())
    assert len(again.chunks) == len(naive.chunks)
    assert time.perf_counter() - started < 30  # loaded from the cache, not re-embedded
    assert (tmp_path / corpus_key([REPORT]) / "index.faiss").is_file()


def test_naive_build_gives_up_when_over_its_budget(tmp_path: Path) -> None:
    reports = [
        SimpleNamespace(**{**vars(REPORT), "report_id": f"copy-{i}", "content_hash": str(i)})
        for i in range(8)
    ]
    with pytest.raises(NaiveTooSlow, match="over the 0 s budget"):
        NaiveIndex.build(reports, tmp_path, settings(), budget_s=0.01)
    assert not any(tmp_path.rglob("index.faiss"))
