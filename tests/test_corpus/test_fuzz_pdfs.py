"""Crafted hostile PDFs through the real loader, in a child under a time and memory bound.

What must hold for every file: loading ends within the bound, and nothing hostile is indexed as a
report. A file pdfium can repair to its one real page (a false page count, deep nesting in an
unused object) may load that page; a file that can only be read by exhausting memory must not load.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.bounded import probe
from evals.crafted_pdfs import CRAFTED, plain_report, write_crafted

TIME_BOUND_S = 60.0
MEMORY_BOUND_MB = 2048


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("crafted")
    return {path.stem: path for path in write_crafted(folder)}


def test_the_control_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "plain.pdf"
    path.write_bytes(plain_report())
    result = probe(path, timeout_s=TIME_BOUND_S, memory_mb=MEMORY_BOUND_MB)
    assert result.outcome == "loaded", result


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_pdf_is_handled_within_bounds(crafted: dict[str, Path], name: str) -> None:
    result = probe(crafted[name], timeout_s=TIME_BOUND_S, memory_mb=MEMORY_BOUND_MB)
    assert result.outcome != "timeout", result
    assert result.seconds < TIME_BOUND_S
    if name in {"corrupt-xref", "page-tree-cycle", "not-a-pdf"}:
        assert result.outcome == "rejected", result
        assert result.reason  # a one-line reason for the build report
    elif name == "decompression-bomb":
        # Must never load: it either is refused or exhausts the bound (and only the child dies).
        assert result.outcome in {"rejected", "crashed", "out-of-memory"}, result
    else:
        # Repairable structure: at most the one real page, read quickly and in little memory.
        assert result.outcome in {"rejected", "loaded"}, result
        if result.outcome == "loaded":
            assert result.reason.startswith("1 pages"), result
            assert result.peak_rss_mb < MEMORY_BOUND_MB


@pytest.mark.slow
def test_crafted_files_are_small_but_the_bomb_is_large_inside() -> None:
    bomb = CRAFTED["decompression-bomb"]()
    assert len(bomb) < 5 * 1024 * 1024  # what an upload limit sees
    assert b"/FlateDecode" in bomb
