"""Index integrity: checksums recorded by builds and verified on open, and the extractor version.

Every test that changes an index works on a private copy (real copies, never hard links, since the
session's index must stay as built).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import shutil
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import index_settings, make_corpus, run_cli, serving, wait_for

import corpus
from indexer import build, open_index
from indexer.generations import current_generation
from inspectqa.errors import IndexCorrupt

SMALL = ("bexley-2018-08-20", "birmingham-2012-10-19")  # one short report and one HTML page named .pdf
QUESTION = "What did Ofsted say about foster carer reviews in Southend-on-Sea?"


def private_copy(index: Path, target: Path) -> Path:
    """A copy of ``index`` whose files are new files (so changing them cannot reach ``index``)."""
    shutil.copytree(index, target, symlinks=True)
    return target


def served(index: Path) -> Path:
    generation = current_generation(index)
    assert generation is not None
    return generation


def flip_byte(path: Path, at: int | None = None) -> None:
    """Invert one byte of ``path`` (the middle one by default), keeping its size."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2 if at is None else at] ^= 0xFF
    path.unlink()  # a new file: never write through a link shared with another copy
    path.write_bytes(bytes(data))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def strip_checksums(generation: Path) -> None:
    """Make ``generation``'s manifest look like one written before checksums and extractor versions."""
    path = generation / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["files"] = {
        name: {"bytes": entry["bytes"]}
        for name, entry in manifest["files"].items()
        if name in {"index.faiss", "index.sqlite"}
    }
    del manifest["extractor"]
    path.unlink()
    path.write_text(json.dumps(manifest, indent=2) + "\n")


# --- checksums ------------------------------------------------------------------------------------
def test_a_build_records_the_size_and_checksum_of_every_file(small_index: Path) -> None:
    generation = served(small_index)
    manifest = json.loads((generation / "manifest.json").read_text())
    on_disk = {p.name for p in generation.iterdir() if p.is_file()} - {"manifest.json"}
    assert set(manifest["files"]) == on_disk == {"index.faiss", "index.sqlite", "build-report.json"}
    for name, entry in manifest["files"].items():
        assert entry == {"bytes": (generation / name).stat().st_size, "sha256": sha256(generation / name)}
    assert manifest["extractor"] == {"version": corpus.EXTRACTOR_VERSION}
    opened = open_index(small_index, index_settings())
    assert opened.file_check is not None
    assert (opened.file_check.checksums, opened.file_check.verified) == (3, True)


@pytest.mark.parametrize("name", ["index.faiss", "index.sqlite", "build-report.json"])
def test_one_flipped_byte_is_refused_naming_the_generation_and_the_file(
    small_index: Path, tmp_path: Path, name: str
) -> None:
    index = private_copy(small_index, tmp_path / "index")
    generation = served(index)
    flip_byte(generation / name)
    with pytest.raises(IndexCorrupt) as caught:
        open_index(index, index_settings())
    message = str(caught.value)
    assert f"index generation {generation.name}: {name} does not match its checksum" in message
    assert "\n" not in message


def test_without_checksums_a_flipped_vector_byte_would_be_served(small_index: Path, tmp_path: Path) -> None:
    """Why the checksums matter: FAISS reads a changed vector without complaint."""
    index = private_copy(small_index, tmp_path / "index")
    flip_byte(served(index) / "index.faiss")
    unverified = open_index(index, index_settings(), verify=False)
    assert unverified.count() == open_index(small_index, index_settings()).count()
    assert unverified.file_check is not None and not unverified.file_check.verified


def test_a_file_of_another_size_or_missing_is_refused(small_index: Path, tmp_path: Path) -> None:
    index = private_copy(small_index, tmp_path / "index")
    generation = served(index)
    with (generation / "index.sqlite").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(IndexCorrupt, match=r"index\.sqlite has \d+ bytes, the manifest records \d+"):
        open_index(index, index_settings())
    (generation / "index.sqlite").unlink()
    shutil.copyfile(served(small_index) / "index.sqlite", generation / "index.sqlite")
    (generation / "build-report.json").unlink()
    with pytest.raises(IndexCorrupt, match=r"build-report\.json is missing"):
        open_index(index, index_settings())


def test_reading_a_generation_never_changes_its_files(
    small_index: Path, tmp_path: Path, embedder: Any
) -> None:
    """SQLite is opened read-only and immutable: no journal, no lock bytes, no checkpoint on close."""
    index = private_copy(small_index, tmp_path / "index")
    generation = served(index)
    before = {p.name: (p.stat().st_mtime_ns, sha256(p)) for p in generation.iterdir()}
    opened = open_index(index, index_settings())
    vector = embedder.encode(["foster carers"])

    def read() -> None:
        for meta in opened.reports():
            opened.page_text(meta.report_id, 1)
            opened.judgements(meta.report_id)
        hits = opened.lexical_search("foster carer reviews", 10)
        opened.chunks([row for row, _ in hits])
        opened.dense_search(vector, 10)

    threads = [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    read()
    opened.close()
    after = {p.name: (p.stat().st_mtime_ns, sha256(p)) for p in generation.iterdir()}
    assert after == before
    check = open_index(index, index_settings()).file_check
    assert check is not None and check.verified


def test_a_generation_built_before_checksums_opens_with_one_warning(
    small_index: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    index = private_copy(small_index, tmp_path / "index")
    strip_checksums(served(index))
    with caplog.at_level(logging.WARNING, logger="indexer"):
        first = open_index(index, index_settings())
        second = open_index(index, index_settings())
    assert first.count() == second.count() > 0
    assert first.file_check is not None
    assert first.file_check.checksums == 0
    assert first.file_check.describe() == "none recorded (built before checksums)"
    warnings = [r for r in caplog.records if "records no checksums" in r.getMessage()]
    assert len(warnings) == 1 and served(index).name in warnings[0].getMessage()
    # Sizes are still checked.
    with (served(index) / "index.faiss").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(IndexCorrupt, match=r"index\.faiss has"):
        open_index(index, index_settings())


@pytest.mark.slow
def test_index_info_says_whether_checksums_were_verified(small_index: Path, tmp_path: Path) -> None:
    verified = run_cli("index", "info", "--index", str(small_index))
    assert verified.returncode == 0, verified.stderr
    assert "checksums  verified (3 files" in verified.stdout
    assert f"extractor  version {corpus.EXTRACTOR_VERSION}" in verified.stdout
    skipped = run_cli("index", "info", "--index", str(small_index), "--no-verify", "--json")
    assert json.loads(skipped.stdout)["checksums"]["verified"] is False

    old = private_copy(small_index, tmp_path / "old")
    strip_checksums(served(old))
    unrecorded = run_cli("index", "info", "--index", str(old))
    assert unrecorded.returncode == 0, unrecorded.stderr
    assert "checksums  none recorded (built before checksums)" in unrecorded.stdout
    assert "extractor  not recorded" in unrecorded.stdout

    tampered = private_copy(small_index, tmp_path / "tampered")
    flip_byte(served(tampered) / "index.sqlite")
    refused = run_cli("index", "info", "--index", str(tampered))
    assert refused.returncode == 3
    assert "index.sqlite does not match its checksum" in refused.stderr and "Traceback" not in refused.stderr


# --- the running service --------------------------------------------------------------------------


@pytest.mark.slow
def test_a_running_service_refuses_a_tampered_generation_and_keeps_serving(
    small_index: Path, tmp_path: Path
) -> None:
    from evals.reliability import point_current, swappable_copy
    from inspectqa.settings import Settings
    from service.web.app import create_app

    index = swappable_copy(small_index, tmp_path / "index")  # g0: hard links, only ever read
    settings = Settings(
        index=index, uploads_dir=tmp_path / "uploads", rate_limit_per_minute=0, reload_poll_s=0.2
    )
    with serving(create_app(settings)) as url:
        before = httpx.post(f"{url}/ask", json={"question": QUESTION}, timeout=60)
        assert before.status_code == 200
        tampered = index / "generations" / "tampered"
        shutil.copytree(served(index), tampered)  # real copies
        flip_byte(tampered / "index.sqlite")
        point_current(index, "tampered")

        def refused() -> bool:
            error = httpx.get(f"{url}/readyz", timeout=10).json()["reload"]["last_reload_error"]
            return error is not None

        assert wait_for(refused)
        status = httpx.get(f"{url}/readyz", timeout=10).json()
        assert status["ready"] is True
        assert status["reload"]["generation"] == "g0"
        reason = status["reload"]["last_reload_error"]
        assert "index generation tampered: index.sqlite does not match its checksum" in reason
        after = httpx.post(f"{url}/ask", json={"question": QUESTION}, timeout=60)
        assert after.status_code == 200
        assert after.json()["answer"] == before.json()["answer"]


# --- the extractor version ------------------------------------------------------------------------
@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    """A corpus of one report (and an HTML page named .pdf) and its freshly built index."""
    folder = make_corpus(tmp_path / "corpus", SMALL)
    index = tmp_path / "index"
    first = build(folder, index, index_settings(), progress=False)
    assert first.reports_indexed == 1 and first.embedded_chunks == first.chunks > 0
    assert first.rebuild_reason == ""
    return folder, index


@pytest.mark.slow
def test_a_new_extractor_version_reads_and_embeds_every_report_again(
    tiny: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    folder, index = tiny
    unchanged = build(folder, index, index_settings(), progress=False)
    assert unchanged.embedded_chunks == 0 and unchanged.reports_unchanged == 1

    # The build records and compares the version it imported from corpus (``indexer.build`` is also the
    # name of the function the package exports, hence the module by import_module).
    builder = importlib.import_module("indexer.build")
    monkeypatch.setattr(builder, "EXTRACTOR_VERSION", corpus.EXTRACTOR_VERSION + 1)
    with caplog.at_level(logging.WARNING, logger="indexer"):
        again = build(folder, index, index_settings(), progress=False)
    expected = f"extractor version {corpus.EXTRACTOR_VERSION} then, {corpus.EXTRACTOR_VERSION + 1} now"
    assert expected in again.rebuild_reason
    assert any(expected in r.getMessage() for r in caplog.records)
    assert (again.reports_updated, again.reports_unchanged, again.reports_added) == (1, 0, 0)
    assert again.embedded_chunks == again.chunks == unchanged.chunks
    assert len(again.reports_failed) == 1  # the HTML page is read again too, and fails again
    manifest = open_index(index, index_settings()).manifest
    assert manifest["extractor"] == {"version": corpus.EXTRACTOR_VERSION + 1}

    settled = build(folder, index, index_settings(), progress=False)
    assert settled.embedded_chunks == 0 and settled.rebuild_reason == ""


@pytest.mark.slow
def test_an_index_built_before_extractor_versions_is_read_again(tiny: tuple[Path, Path]) -> None:
    folder, index = tiny
    strip_checksums(served(index))
    again = build(folder, index, index_settings(), progress=False)
    assert "recorded no extractor version" in again.rebuild_reason
    assert again.embedded_chunks == again.chunks > 0 and again.reports_updated == 1
    assert open_index(index, index_settings()).file_check is not None


@pytest.mark.slow
def test_an_incremental_build_does_not_copy_a_damaged_generation(tiny: tuple[Path, Path]) -> None:
    folder, index = tiny
    damaged = served(index)
    flip_byte(damaged / "index.sqlite")
    again = build(folder, index, index_settings(), progress=False)
    reason = f"index generation {damaged.name}: index.sqlite does not match its checksum"
    assert reason in again.rebuild_reason
    assert again.embedded_chunks == again.chunks > 0
    repaired = open_index(index, index_settings())
    assert repaired.path != damaged and repaired.count() == again.chunks
