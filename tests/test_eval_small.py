"""The small evaluation the test command runs: the real service on the small real index, its gold
questions, and the regression gate against the committed baseline (which must be able to fail)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import GOLD, SMALL_REPORTS
from typer.testing import CliRunner

from evals.gold import load_gold, select_for_reports
from inspectqa.cli import app

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "evals" / "baselines" / "small-inspectqa.json"


@pytest.fixture(scope="module")
def small_gold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dev.jsonl questions whose reports are all in the small index, plus four unanswerable ones."""
    questions = select_for_reports(load_gold(GOLD), SMALL_REPORTS, unanswerable=4)
    chosen = {q.id for q in questions}
    assert len(chosen) >= 15 and sum(1 for q in questions if not q.answerable) == 4
    path = tmp_path_factory.mktemp("gold") / "small.jsonl"
    lines = [
        line for line in GOLD.read_text().splitlines() if line.strip() and json.loads(line)["id"] in chosen
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.slow
def test_small_evaluation_meets_the_baseline(
    small_index: Path, small_gold: Path, tmp_path: Path, embedder: object
) -> None:
    out = tmp_path / "inspectqa"
    code, output = invoke(
        "eval", "run", "--index", str(small_index), "--gold", str(small_gold), "--out", str(out),
        "--system", "inspectqa",
    )  # fmt: skip
    assert code == 0, output
    for name in ("metrics.json", "results.jsonl", "report.md", "report.html"):
        assert (out / name).stat().st_size > 0, name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_questions"] == len(small_gold.read_text().splitlines())
    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert all(r["failure"] in {"ok", "retrieval_miss", "ranking", "answer_composition", "grounding",
                                "false_abstention", "missed_abstention"} for r in results)  # fmt: skip
    code, output = invoke(
        "eval", "check", "--metrics", str(out / "metrics.json"), "--baseline", str(BASELINE)
    )
    assert code == 0, output

    # The gate fails on a real regression: BM25 with an extractive answer in place of the service.
    weaker = tmp_path / "bm25"
    code, output = invoke(
        "eval", "run", "--index", str(small_index), "--gold", str(small_gold), "--out", str(weaker),
        "--system", "bm25",
    )  # fmt: skip
    assert code == 0, output
    code, output = invoke(
        "eval", "check", "--metrics", str(weaker / "metrics.json"), "--baseline", str(BASELINE)
    )
    assert code == 1
    assert "abstention.unanswerable_abstained" in output and "answer.key_fact_recall" in output
