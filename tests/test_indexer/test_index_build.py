"""Builds of real reports: the index directory, incremental updates, bad files, crashes, wrong models."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CORPUS, REPO, index_settings, make_corpus

from indexer import Index, build, open_index
from indexer.generations import CURRENT, GENERATIONS, TMP_PREFIX, current_generation
from inspectqa.errors import IndexCorrupt, IndexNotFound, ModelMismatch

ADDED = "knowsley-2021-12-03"  # a short real report, not in the small corpus


def _copy(small_corpus: Path, small_index: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Private copies of the session's corpus (symlinks) and index, for a test that changes them."""
    corpus = tmp_path / "corpus"
    shutil.copytree(small_corpus, corpus, symlinks=True)
    index = tmp_path / "index"
    shutil.copytree(small_index, index, symlinks=True)
    return corpus, index


def _add_to_manifest(corpus: Path, report_id: str) -> None:
    lines = (CORPUS / "manifest.csv").read_text().splitlines()
    row = next(line for line in lines if line.startswith(f"{report_id},"))
    with (corpus / "manifest.csv").open("a") as handle:
        handle.write(row + "\n")
    (corpus / "reports" / f"{report_id}.pdf").symlink_to(CORPUS / "reports" / f"{report_id}.pdf")


def _row_ids(index: Index) -> dict[str, int]:
    rows = index.chunk_ids_for_reports([meta.report_id for meta in index.reports()]).tolist()
    return {c.chunk_id: row for row, c in zip(rows, index.chunks(rows), strict=True)}


def _generations(index: Path) -> list[str]:
    return sorted(p.name for p in (index / GENERATIONS).iterdir())


def test_small_index_layout_and_build_report(small_index: Path) -> None:
    generation = current_generation(small_index)
    assert generation is not None
    assert (small_index / CURRENT).is_symlink()
    assert os.readlink(small_index / CURRENT) == f"{GENERATIONS}/{generation.name}"
    for name in ("index.faiss", "index.sqlite", "manifest.json", "build-report.json"):
        assert (generation / name).is_file()
    report = json.loads((generation / "build-report.json").read_text())
    for key, kind in {
        "reports_indexed": int,
        "reports_failed": list,
        "chunks": int,
        "pages": int,
        "seconds": float,
        "embedded_chunks": int,
    }.items():
        assert isinstance(report[key], kind), key
    assert report["reports_indexed"] == 11
    assert report["embedded_chunks"] == report["chunks"] > 300
    assert report["max_chunk_tokens"] <= 256
    [failure] = report["reports_failed"]
    assert failure["file"].endswith("birmingham-2012-10-19.pdf")
    assert "\n" not in failure["error"] and "HTML" in failure["error"]

    manifest = json.loads((generation / "manifest.json").read_text())
    assert manifest["model"]["name"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert manifest["model"]["backend"] == "onnx-int8"
    assert manifest["model"]["dimension"] == 384
    assert manifest["chunker"]["max_tokens"] == 256
    assert manifest["counts"]["chunks"] == report["chunks"]
    assert set(manifest["versions"]) >= {"faiss-cpu", "sentence-transformers", "onnxruntime", "python"}
    assert len(manifest["reports"]) == 11
    for entry in manifest["reports"].values():
        assert len(entry["content_hash"]) == 64
    index = open_index(small_index, index_settings())
    assert index.count() == report["chunks"]
    assert index.path == generation


def test_unchanged_rebuild_embeds_nothing(small_corpus: Path, small_index: Path, tmp_path: Path) -> None:
    corpus, index = _copy(small_corpus, small_index, tmp_path)
    before = open_index(index, index_settings())
    ids_before = _row_ids(before)
    started = time.perf_counter()
    report = build(corpus, index, index_settings(), progress=False)
    assert time.perf_counter() - started < 10
    assert report.embedded_chunks == 0
    assert report.reports_unchanged == 11 and report.reports_added == report.reports_updated == 0
    assert report.chunks == before.count()
    assert len(report.reports_failed) == 1  # the HTML page fails again, from the manifest, unread
    after = open_index(index, index_settings())
    assert after.path != before.path
    # Row ids are stable across generations: an id means the same passage before and after.
    assert _row_ids(after) == ids_before
    # The previous generation is kept for readers that opened it; both are complete.
    assert _generations(index) == sorted([before.path.name, after.path.name])
    assert before.chunks([0])[0] == after.chunks([0])[0]


def test_added_changed_and_removed_reports(small_corpus: Path, small_index: Path, tmp_path: Path) -> None:
    corpus, index = _copy(small_corpus, small_index, tmp_path)
    before = open_index(index, index_settings())
    counts = {entry: data["chunks"] for entry, data in before.manifest["reports"].items()}

    _add_to_manifest(corpus, ADDED)
    # Changed bytes, same report: a copy of the PDF with a byte appended after %%EOF.
    changed = corpus / "reports" / "bexley-2018-08-20.pdf"
    data = changed.read_bytes()
    changed.unlink()
    changed.write_bytes(data + b"\n")
    # Removed: drop Essex from the manifest.
    manifest = corpus / "manifest.csv"
    manifest.write_text(
        "".join(line for line in manifest.read_text().splitlines(keepends=True) if "essex" not in line)
    )

    report = build(corpus, index, index_settings(), progress=False)
    assert report.reports_added == 1
    assert report.reports_updated == 1
    assert report.reports_removed == 1
    assert report.reports_unchanged == 9
    after = open_index(index, index_settings())
    added = after.manifest["reports"][ADDED]["chunks"]
    assert report.embedded_chunks == added + counts["bexley-2018-08-20"]
    assert report.chunks == sum(counts.values()) - counts["essex-2014-03-21"] + added
    assert after.count() == report.chunks
    ids = {m.report_id for m in after.reports()}
    assert ADDED in ids and "essex-2014-03-21" not in ids
    assert len(after.chunk_ids_for_reports(["essex-2014-03-21"])) == 0
    assert after.lexical_search("Essex", 50, report_ids=["essex-2014-03-21"]) == []
    assert after.report("bexley-2018-08-20").content_hash != before.report("bexley-2018-08-20").content_hash
    # New rows take new ids; unchanged ones keep theirs.
    durham = before.chunk_ids_for_reports(["durham-2019-10-21"])
    assert after.chunks(durham) == before.chunks(durham)


def test_bad_files_are_reported_and_skipped(small_corpus: Path, small_index: Path, tmp_path: Path) -> None:
    corpus, index = _copy(small_corpus, small_index, tmp_path)
    real = (CORPUS / "reports" / "barnet-2019-07-01.pdf").read_bytes()
    bad = {
        "zero-byte": b"",
        "truncated": real[: len(real) // 3],
        "not-a-pdf": b"Minutes of the parish council meeting.\n" * 20,
    }
    lines = (corpus / "manifest.csv").read_text().splitlines()
    header = lines[0].split(",")
    for name, content in bad.items():
        (corpus / "reports" / f"{name}.pdf").write_bytes(content)
        row = dict.fromkeys(header, "")
        row.update(report_id=name, file=f"reports/{name}.pdf", local_authority="Nowhere")
        lines.append(",".join(row[column] for column in header))
    (corpus / "manifest.csv").write_text("\n".join(lines) + "\n")

    report = build(corpus, index, index_settings(), progress=False)
    failed = {Path(f["file"]).stem: f["error"] for f in report.reports_failed}
    assert set(failed) >= {"zero-byte", "truncated", "birmingham-2012-10-19"}
    for error in failed.values():
        assert error and "\n" not in error and "Traceback" not in error
    assert report.reports_indexed >= 11
    assert report.reports_unchanged == 11
    # Unchanged bad files fail again from the manifest, without being read again.
    again = build(corpus, index, index_settings(), progress=False)
    assert again.reports_failed == report.reports_failed
    assert again.embedded_chunks == 0


@pytest.mark.slow
def test_interrupted_build_leaves_the_old_index_usable(
    small_corpus: Path, small_index: Path, tmp_path: Path
) -> None:
    corpus, index = _copy(small_corpus, small_index, tmp_path)
    _add_to_manifest(corpus, ADDED)
    _add_to_manifest(corpus, "newham-2019-03-25")
    before = open_index(index, index_settings())
    script = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[3]);"
        "from conftest import index_settings; from indexer import build;"
        "build(Path(sys.argv[1]), Path(sys.argv[2]), index_settings(), progress=False)"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(corpus), str(index), str(REPO / "tests")], cwd=REPO, env=env
    )
    try:
        # Kill it as soon as its new generation is being written (its staging directory has a
        # database): on a fast machine the rest of a two-report build takes under a second.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            staging = [
                p for p in (index / GENERATIONS).glob(f"{TMP_PREFIX}*") if (p / "index.sqlite").exists()
            ]
            if staging:
                break
            time.sleep(0.02)
        assert child.poll() is None, "the build finished before it could be interrupted"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(30)
    assert child.returncode == -signal.SIGKILL
    assert any(p.name.startswith(TMP_PREFIX) for p in (index / GENERATIONS).iterdir())

    survivor = open_index(index, index_settings())
    assert survivor.path == before.path
    assert survivor.count() == before.count()
    assert survivor.chunks([0]) == before.chunks([0])

    report = build(corpus, index, index_settings(), progress=False)
    assert report.reports_added == 2
    assert not any(p.name.startswith(TMP_PREFIX) for p in (index / GENERATIONS).iterdir())
    assert open_index(index, index_settings()).count() == report.chunks > before.count()


def test_index_built_with_another_model_is_refused(small_index: Path) -> None:
    with pytest.raises(ModelMismatch) as caught:
        open_index(small_index, index_settings(model_name="BAAI/bge-small-en-v1.5"))
    message = str(caught.value)
    assert "sentence-transformers/all-MiniLM-L6-v2" in message and "BAAI/bge-small-en-v1.5" in message


def test_missing_and_corrupt_indexes(small_index: Path, tmp_path: Path) -> None:
    with pytest.raises(IndexNotFound):
        open_index(tmp_path / "nowhere", index_settings())
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexNotFound):
        open_index(tmp_path / "empty", index_settings())
    index = tmp_path / "index"
    shutil.copytree(small_index, index, symlinks=True)
    generation = current_generation(index)
    assert generation is not None
    faiss_file = generation / "index.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:1000])
    with pytest.raises(IndexCorrupt):
        open_index(index, index_settings())


@pytest.mark.slow
def test_a_changed_chunker_rebuilds_everything(small_index: Path, tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", ("bexley-2018-08-20",))
    index = tmp_path / "index"
    first = build(corpus, index, index_settings(), progress=False)
    assert first.embedded_chunks == first.chunks > 0
    smaller = build(corpus, index, index_settings(chunk_max_tokens=128), progress=False)
    assert smaller.embedded_chunks == smaller.chunks > first.chunks
    assert smaller.max_chunk_tokens <= 128
