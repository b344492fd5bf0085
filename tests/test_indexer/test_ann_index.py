"""The approximate (IVF) index past a size: written by the build into the generation, checksummed,
read from disk when the index opens; built at open only for a generation from before (no ``ann``).

The small real index has about a thousand passages, so the threshold is lowered to 100 through the
setting; everything else is real: real reports, real vectors, real FAISS files.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import index_settings

from indexer import build, open_index
from indexer import store as store_module
from indexer.ann import IVF_FILE
from indexer.generations import current_generation
from indexer.integrity import file_sha256
from inspectqa.errors import IndexCorrupt

THRESHOLD = 100


def _copy(small_corpus: Path, small_index: Path, tmp_path: Path) -> tuple[Path, Path]:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(small_corpus, corpus, symlinks=True)
    shutil.copytree(small_index, index, symlinks=True)
    return corpus, index


def _no_build_at_open(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the IVF was trained at open instead of read from the generation")

    monkeypatch.setattr(store_module, "build_ivf", refuse)


def _self_recall(index: object, rows: np.ndarray) -> float:
    """Each stored vector as a query must find itself first among unrestricted results."""
    vectors = index.vectors(rows)  # type: ignore[attr-defined]
    hits = index.dense_search(vectors, 10)  # type: ignore[attr-defined]
    return float(np.mean([found[0][0] == int(row) for found, row in zip(hits, rows, strict=True)]))


def test_the_build_writes_the_ivf_and_open_reads_it(
    small_corpus: Path, small_index: Path, embedder: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, index = _copy(small_corpus, small_index, tmp_path)
    exact = open_index(index, index_settings())
    assert exact.manifest["ann"] is None and exact.approximate is None  # below the default threshold

    settings = index_settings(ann_exact_max_passages=THRESHOLD)
    report = build(corpus, index, settings, progress=False)
    assert report.embedded_chunks == 0  # nothing to embed: only the IVF is new
    generation = current_generation(index)
    assert generation is not None
    manifest = json.loads((generation / "manifest.json").read_text())
    record = manifest["ann"]
    assert record["file"] == IVF_FILE and record["passages"] == exact.count() and not record["reused"]
    assert record["lists"] >= 16 and record["threshold"] == THRESHOLD
    assert manifest["files"][IVF_FILE]["sha256"] == file_sha256(generation / IVF_FILE)

    _no_build_at_open(monkeypatch)
    opened = open_index(index, settings)
    assert opened.approximate is not None and opened.approximate.ntotal == opened.count()
    assert opened.file_check is not None and opened.file_check.checksums == len(manifest["files"])
    rows = opened.chunk_ids_for_reports([r.report_id for r in opened.reports()])[::7]
    assert _self_recall(opened, rows) >= 0.95
    questions = [
        "support for care leavers",
        "foster carer recruitment",
        "child protection plans",
        "early help",
    ]
    vectors = embedder.encode(questions)  # type: ignore[attr-defined]
    overlap = [
        len({r for r, _ in a} & {r for r, _ in b}) / 10
        for a, b in zip(exact.dense_search(vectors, 10), opened.dense_search(vectors, 10), strict=True)
    ]
    assert np.mean(overlap) >= 0.8, overlap  # real questions: close to the exact top 10
    # The setting decides at build time only: a generation with an IVF uses it whatever is configured.
    assert open_index(index, index_settings()).approximate is not None
    # Searches among given rows stay exact: the same rows and scores as the exact generation's.
    some = exact.chunk_ids_for_reports(["durham-2019-10-21"])
    assert opened.dense_search(vectors, 8, row_ids=some) == exact.dense_search(vectors, 8, row_ids=some)

    # A rebuild with the same vectors copies the IVF; one without a report trains it again.
    again = build(corpus, index, settings, progress=False)
    copied = json.loads((index / "current" / "manifest.json").read_text())
    assert again.embedded_chunks == 0 and copied["ann"]["reused"]
    assert copied["files"][IVF_FILE]["sha256"] == manifest["files"][IVF_FILE]["sha256"]
    listing = corpus / "manifest.csv"
    listing.write_text(
        "".join(line for line in listing.read_text().splitlines(keepends=True) if "essex" not in line)
    )
    build(corpus, index, settings, progress=False)
    smaller = open_index(index, settings)
    assert not smaller.manifest["ann"]["reused"]
    assert smaller.approximate.ntotal == smaller.count() < opened.count()
    assert smaller.dense_search(opened.vectors(smaller.chunk_ids_for_reports(["durham-2019-10-21"])[:2]), 5)


def test_a_changed_ivf_file_is_refused(
    small_corpus: Path, small_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, index = _copy(small_corpus, small_index, tmp_path)
    settings = index_settings(ann_exact_max_passages=THRESHOLD)
    build(corpus, index, settings, progress=False)
    path = index / "current" / IVF_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match=IVF_FILE):
        open_index(index, settings)
    path.unlink()
    with pytest.raises(IndexCorrupt, match=f"{IVF_FILE} is missing"):
        open_index(index, settings)


def test_an_older_generation_builds_its_ivf_at_open(
    small_index: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A generation from before builds wrote the IVF: no ``ann`` in its manifest, no file."""
    old = tmp_path / "old"
    shutil.copytree(small_index / "current", old)
    manifest = json.loads((old / "manifest.json").read_text())
    del manifest["ann"]
    (old / "manifest.json").write_text(json.dumps(manifest))
    assert open_index(old, index_settings()).approximate is None  # below the threshold: exact
    with caplog.at_level(logging.WARNING, logger="indexer.store"):
        opened = open_index(old, index_settings(ann_exact_max_passages=THRESHOLD))
    assert opened.approximate is not None and opened.approximate.ntotal == opened.count()
    assert "no approximate index on disk" in caplog.text
    rows = opened.chunk_ids_for_reports([r.report_id for r in opened.reports()])[::11]
    assert _self_recall(opened, rows) >= 0.95
