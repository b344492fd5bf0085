"""Builds on Ray: a real one-machine Ray cluster (on 127.0.0.1, stopped afterwards) gives the same
chunks, row ids and vectors as the in-process build of the small corpus, and is incremental."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import index_settings

from indexer import open_index
from indexer.ray_build import build_on_ray

pytestmark = pytest.mark.slow


def test_the_ray_build_matches_the_in_process_build(
    small_corpus: Path, small_index: Path, tmp_path: Path
) -> None:
    settings = index_settings()
    target = tmp_path / "ray-index"
    report = build_on_ray(small_corpus, target, settings, "local", progress=False)
    local = open_index(small_index, settings)
    remote = open_index(target, settings)
    assert report.reports_indexed == len(local.reports()) and len(report.reports_failed) == 1
    assert remote.reports() == local.reports()
    report_ids = [r.report_id for r in local.reports()]
    rows = local.chunk_ids_for_reports(report_ids)
    assert np.array_equal(remote.chunk_ids_for_reports(report_ids), rows)
    assert remote.chunks(rows.tolist()) == local.chunks(rows.tolist())  # same ids, texts, offsets, pages
    a, b = local.vectors(rows), remote.vectors(rows)
    cosine = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert cosine.min() > 0.999, cosine.min()
    manifest = remote.manifest
    assert {k: v["content_hash"] for k, v in manifest["reports"].items()} == {
        k: v["content_hash"] for k, v in local.manifest["reports"].items()
    }

    again = build_on_ray(small_corpus, target, settings, "local", progress=False)  # incremental
    assert again.embedded_chunks == 0 and again.reports_unchanged == report.reports_indexed
