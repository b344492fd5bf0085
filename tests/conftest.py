"""Fixtures shared by every test.

Real parts on small data: real reports from ``../shared/corpus/ilacs``, the real embedding model
(loaded once per session), real FAISS. Every test builds what it writes in ``tmp_path``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus" / "ilacs"
GOLD = SHARED / "gold" / "dev.jsonl"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No INSPECTQA_* variable of the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("INSPECTQA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing at {CORPUS}")
    return CORPUS
