"""The regression gate fails when a metric drops, and the CLI commands around it behave."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from evals.gate import compare_metrics
from inspectqa.cli import app

REPO = Path(__file__).resolve().parents[2]
BASELINE = {
    "n_questions": 20,
    "retrieval": {"hit@5": 0.9, "mrr": 0.8},
    "answer": {"key_fact_recall": 0.7},
    "abstention": {"unanswerable_abstained": 1.0, "answerable_abstained": 0.05},
    "latency_ms": {"p50": 100.0},
    "by_type": {"factoid": {"retrieval": {"hit@5": 1.0}}},
}


def degraded(changes: dict[str, float] | None = None) -> dict[str, Any]:
    metrics: dict[str, Any] = json.loads(json.dumps(BASELINE))
    for dotted, number in (changes or {}).items():
        *path, last = dotted.split(".")
        node = metrics
        for part in path:
            node = node[part]
        node[last] = number
    return metrics


def test_equal_or_better_passes() -> None:
    assert compare_metrics(BASELINE, BASELINE) == []
    assert compare_metrics(degraded({"retrieval.mrr": 0.99, "latency_ms.p50": 900.0}), BASELINE) == []
    assert (
        compare_metrics(degraded({"retrieval.mrr": 0.76}), BASELINE, tolerance=0.05) == []
    )  # within tolerance


def test_abstention_directions() -> None:
    # Abstaining less on unanswerable questions is worse; abstaining more on answerable ones is worse.
    assert [
        d.metric for d in compare_metrics(degraded({"abstention.unanswerable_abstained": 0.5}), BASELINE)
    ] == ["abstention.unanswerable_abstained"]
    assert compare_metrics(degraded({"abstention.answerable_abstained": 0.0}), BASELINE) == []


def test_each_dropped_metric_is_named() -> None:
    changes = {
        "retrieval.mrr": 0.5,
        "abstention.answerable_abstained": 0.3,
        "by_type.factoid.retrieval.hit@5": 0.0,
    }
    drops = compare_metrics(degraded(changes), BASELINE)
    assert {d.metric for d in drops} == set(changes)
    metrics = degraded()
    del metrics["answer"]["key_fact_recall"]
    assert [str(d) for d in compare_metrics(metrics, BASELINE)] == [
        "answer.key_fact_recall: missing (baseline 0.700)"
    ]


def test_check_command_exit_codes(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(BASELINE))
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(BASELINE))
    bad.write_text(json.dumps(degraded({"retrieval.hit@5": 0.8, "answer.key_fact_recall": 0.1})))
    runner = CliRunner()
    ok = runner.invoke(app, ["eval", "check", "--metrics", str(good), "--baseline", str(baseline)])
    assert ok.exit_code == 0, ok.output
    failed = runner.invoke(app, ["eval", "check", "--metrics", str(bad), "--baseline", str(baseline)])
    assert failed.exit_code == 1
    assert "answer.key_fact_recall" in failed.output and "retrieval.hit@5" in failed.output
    loose = runner.invoke(
        app, ["eval", "check", "--metrics", str(bad), "--baseline", str(baseline), "--tolerance", "0.7"]
    )
    assert loose.exit_code == 0


def test_grounding_command_scores_a_pairs_file(tmp_path: Path) -> None:
    out = tmp_path / "verdicts.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "grounding",
            "--pairs",
            str(REPO / "evals/data/grounding_pairs.jsonl"),
            "--split",
            "test",
            "--lexical-only",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "overall" in result.output and "wrong_number" in result.output
    verdicts = [json.loads(line) for line in out.read_text().splitlines()]
    assert verdicts and all(v["split"] == "test" for v in verdicts)
    assert {"id", "label", "predicted", "correct", "reason"} <= set(verdicts[0])


def test_grounding_command_reports_each_held_out_part_and_both_together() -> None:
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "grounding",
            "--pairs",
            str(REPO / "evals/data/grounding_pairs.jsonl"),
            "--pairs",
            str(REPO / "evals/data/grounding_pairs_v2.jsonl"),
            "--split",
            "test",
            "--split",
            "heldout",
            "--lexical-only",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "grounding_pairs.jsonl (split test)" in result.output
    assert "grounding_pairs_v2.jsonl (split heldout)" in result.output
    assert "all files together" in result.output and "bal.acc" in result.output
    assert "wrong_entity" in result.output and "paraphrased" in result.output
