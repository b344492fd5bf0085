"""bench grounding on a few real answers: figures for both checkers and the every-unit baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.bench_grounding import answers, run_bench
from evals.pairs import load_pairs

PAIRS = Path(__file__).resolve().parents[2] / "evals" / "data" / "grounding_pairs_v2.jsonl"


def test_answers_are_six_sentences_over_three_passages() -> None:
    built = answers(load_pairs(PAIRS, "heldout"), 3)
    assert len(built) == 3
    for sentences, passages in built:
        assert len(sentences) == 6 and sorted(passages) == [1, 2, 3]
        assert all(cited[0] in passages for _, cited in sentences)


def test_bench_times_the_checkers_and_the_baseline(embedder: Any) -> None:
    figures = run_bench(PAIRS, embedder, 2)
    assert figures["answers"] == 2
    for name in ("lexical", "semantic", "semantic_every_unit"):
        assert float(figures[f"{name}_cold_median_ms"]) > 0
        assert float(figures[f"{name}_warm_median_ms"]) > 0
    assert float(figures["every_unit_over_candidates_cold"]) > 0
    assert "semantic_cold_median_ms" not in run_bench(PAIRS, None, 1)
