"""``inspectqa index build|info`` and ``inspectqa search`` as a user runs them: real processes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_cli


def test_search_json_lists_dense_lexical_and_fused(small_index: Path) -> None:
    result = run_cli("search", "--index", str(small_index), "care leavers in Southend", "-k", "3", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["query"] == "care leavers in Southend"
    for name in ("dense", "lexical", "fused"):
        assert len(data[name]) == 3
        for hit in data[name]:
            assert {"row_id", "score", "chunk_id", "report_id", "pages", "text", "section"} <= set(hit)
    assert data["fused"][0]["report_id"].startswith("southend-on-sea")


def test_search_text_output_and_environment_fallback(small_index: Path) -> None:
    result = run_cli("search", "how is the front door working", env={"INSPECTQA_INDEX": str(small_index)})
    assert result.returncode == 0, result.stderr
    for heading in ("== dense ==", "== lexical ==", "== fused =="):
        assert heading in result.stdout
    assert " p." in result.stdout


def test_search_errors_are_one_line(tmp_path: Path, small_index: Path) -> None:
    missing = run_cli("search", "--index", str(tmp_path / "none"), "care leavers")
    assert missing.returncode == 3
    assert missing.stderr.startswith("error: no index at") and "Traceback" not in missing.stderr
    other = run_cli(
        "search", "--index", str(small_index), "care", env={"INSPECTQA_MODEL_NAME": "BAAI/bge-small-en-v1.5"}
    )
    assert other.returncode == 3
    assert "BAAI/bge-small-en-v1.5" in other.stderr and "Traceback" not in other.stderr


def test_index_info(small_index: Path) -> None:
    result = run_cli("index", "info", "--index", str(small_index), "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["model"]["name"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert info["counts"]["reports"] == 11
    assert info["vectors"] == info["counts"]["chunks"]
    assert info["last_build"]["embedded_chunks"] == info["counts"]["chunks"]
    text = run_cli("index", "info", "--index", str(small_index))
    assert text.returncode == 0 and "all-MiniLM-L6-v2" in text.stdout and "birmingham" in text.stdout


@pytest.mark.slow
def test_index_build_updates_and_summarises(small_corpus: Path, small_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(small_index, index, symlinks=True)
    result = run_cli("index", "build", "--corpus", str(small_corpus), "--index", str(index), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "indexed 11 reports" in result.stdout
    assert "embedded 0 chunks" in result.stdout
    assert "skipped 1 files" in result.stdout and "birmingham-2012-10-19.pdf" in result.stdout
    missing = run_cli("index", "build", "--corpus", str(tmp_path / "nothing"), "--index", str(index))
    assert missing.returncode == 2 and missing.stderr.startswith("error:")
