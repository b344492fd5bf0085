"""``inspectqa index build|info`` and ``inspectqa search`` as a user runs them: real processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def _inspectqa(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("INSPECTQA_")} | {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "inspectqa.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=environment,
        timeout=300,
    )


def test_search_json_lists_dense_lexical_and_fused(small_index: Path) -> None:
    result = _inspectqa(
        "search", "--index", str(small_index), "care leavers in Southend", "-k", "3", "--json"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["query"] == "care leavers in Southend"
    for name in ("dense", "lexical", "fused"):
        assert len(data[name]) == 3
        for hit in data[name]:
            assert {"row_id", "score", "chunk_id", "report_id", "pages", "text", "section"} <= set(hit)
    assert data["fused"][0]["report_id"].startswith("southend-on-sea")


def test_search_text_output_and_environment_fallback(small_index: Path) -> None:
    result = _inspectqa("search", "how is the front door working", env={"INSPECTQA_INDEX": str(small_index)})
    assert result.returncode == 0, result.stderr
    for heading in ("== dense ==", "== lexical ==", "== fused =="):
        assert heading in result.stdout
    assert " p." in result.stdout


def test_search_errors_are_one_line(tmp_path: Path, small_index: Path) -> None:
    missing = _inspectqa("search", "--index", str(tmp_path / "none"), "care leavers")
    assert missing.returncode == 3
    assert missing.stderr.startswith("error: no index at") and "Traceback" not in missing.stderr
    other = _inspectqa(
        "search", "--index", str(small_index), "care", env={"INSPECTQA_MODEL_NAME": "BAAI/bge-small-en-v1.5"}
    )
    assert other.returncode == 3
    assert "BAAI/bge-small-en-v1.5" in other.stderr and "Traceback" not in other.stderr


def test_index_info(small_index: Path) -> None:
    result = _inspectqa("index", "info", "--index", str(small_index), "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["model"]["name"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert info["counts"]["reports"] == 11
    assert info["vectors"] == info["counts"]["chunks"]
    assert info["last_build"]["embedded_chunks"] == info["counts"]["chunks"]
    text = _inspectqa("index", "info", "--index", str(small_index))
    assert text.returncode == 0 and "all-MiniLM-L6-v2" in text.stdout and "birmingham" in text.stdout


def test_index_build_updates_and_summarises(small_corpus: Path, small_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(small_index, index, symlinks=True)
    result = _inspectqa(
        "index", "build", "--corpus", str(small_corpus), "--index", str(index), "--no-progress"
    )
    assert result.returncode == 0, result.stderr
    assert "indexed 11 reports" in result.stdout
    assert "embedded 0 chunks" in result.stdout
    assert "skipped 1 files" in result.stdout and "birmingham-2012-10-19.pdf" in result.stdout
    missing = _inspectqa("index", "build", "--corpus", str(tmp_path / "nothing"), "--index", str(index))
    assert missing.returncode == 2 and missing.stderr.startswith("error:")
