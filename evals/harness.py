"""Run systems over gold questions and write what was measured: metrics, per-question results, reports.

``evaluate`` runs one system and returns its ``Run``; ``write_run`` writes ``metrics.json``,
``results.jsonl``, ``report.md`` and ``report.html`` into a folder; ``compare`` runs several systems
on the same index and questions and writes one side-by-side table and report.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from evals.evidence import find_quote
from evals.gold import GoldQuestion
from evals.metrics import Check, aggregate, score_question
from evals.records import QuestionScore, SystemOutput
from evals.systems import System


@dataclass(frozen=True)
class Run:
    system: str
    metrics: dict[str, Any]
    scores: tuple[QuestionScore, ...]
    outputs: tuple[SystemOutput, ...]
    questions: tuple[GoldQuestion, ...]


def evaluate(
    name: str, system: System, questions: Sequence[GoldQuestion], check: Check, k: int = 10, **context: Any
) -> Run:
    """Every question through ``system``, scored."""
    outputs: list[SystemOutput] = []
    scores: list[QuestionScore] = []
    started = time.perf_counter()
    for question in tqdm(questions, desc=f"eval {name}", unit="q"):
        output = system(question)
        outputs.append(output)
        scores.append(score_question(question, output, check, k))
    metrics = aggregate(
        scores,
        system=name,
        k=k,
        seconds=round(time.perf_counter() - started, 2),
        errors=sum(1 for o in outputs if o.error),
        **context,
    )
    return Run(name, metrics, tuple(scores), tuple(outputs), tuple(questions))


def result_record(question: GoldQuestion, output: SystemOutput, score: QuestionScore) -> dict[str, Any]:
    """One line of results.jsonl: everything needed to see why a question passed or failed."""
    evidence_by_quote = {(e.report_id, e.quote) for e in question.evidence}

    def holds_evidence(report_id: str, text: str) -> bool:
        return any(r == report_id and find_quote(q, text) for r, q in evidence_by_quote)

    return {
        "id": question.id,
        "question": question.question,
        "type": question.type,
        "style": question.style,
        "answerable": question.answerable,
        "gold_reports": list(question.report_ids),
        "failure": score.failure,
        "latency_ms": round(output.latency_ms, 2),
        "error": output.error,
        "retrieved": [
            {
                "rank": p.rank,
                "chunk_id": p.chunk_id,
                "report_id": p.report_id,
                "score": round(p.score, 4),
                "pages": list(p.pages),
                "holds_evidence": holds_evidence(p.report_id, p.text),
            }
            for p in output.passages
        ],
        "abstained": output.abstained,
        "answer": output.answer,
        "citations": [
            {"n": c.n, "chunk_id": c.chunk_id, "report_id": c.report_id, "page": c.page}
            for c in output.citations
        ],
        "sentences": [asdict(s) for s in score.sentences],
        "evidence": [asdict(e) for e in score.evidence],
        "key_facts": [
            {"fact": fact, "found": found}
            for fact, found in zip(question.key_facts, score.key_facts_found, strict=False)
        ],
    }


def write_run(run: Run, out: Path) -> None:
    """metrics.json, results.jsonl, report.md and report.html of one system."""
    from evals.report import write_reports

    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(run.metrics, indent=2) + "\n")
    with (out / "results.jsonl").open("w") as handle:
        for question, output, score in zip(run.questions, run.outputs, run.scores, strict=True):
            handle.write(json.dumps(result_record(question, output, score), ensure_ascii=False) + "\n")
    write_reports([run], out, title=f"inspectqa evaluation: {run.system}")


def compare(runs: Sequence[Run], out: Path, skipped: dict[str, str] | None = None) -> str:
    """Write each run into ``out/<system>/`` and the side-by-side ``comparison.md`` and
    ``report.html``/``report.md`` into ``out``; returns the comparison table (markdown)."""
    from evals.report import comparison_table, write_reports

    for run in runs:
        write_run(run, out / run.system)
    table = comparison_table(runs)
    notes = [f"- {name}: skipped ({why})" for name, why in (skipped or {}).items()]
    text = "\n".join(["# inspectqa: systems side by side", "", table, "", *notes]).rstrip() + "\n"
    (out / "comparison.md").write_text(text)
    (out / "comparison.json").write_text(
        json.dumps({run.system: run.metrics for run in runs} | {"skipped": skipped or {}}, indent=2) + "\n"
    )
    write_reports(runs, out, title="inspectqa: systems side by side")
    return text


def make_check(resources: Any, lexical_only: bool = False) -> Check:
    """The grounding checker the metrics use: with embeddings (so paraphrases are judged fairly)
    unless ``lexical_only``."""
    from service.answers.grounding import GroundingChecker

    return GroundingChecker(None if lexical_only else resources.embedder).check


def run_systems(
    resources: Any,
    questions: Sequence[GoldQuestion],
    systems: Sequence[str],
    k: int = 10,
    *,
    naive_budget_s: float | None = None,
    lexical_only: bool = False,
) -> tuple[list[Run], dict[str, str]]:
    """Each named system on the same questions; systems that cannot run are reported, not fatal
    (an LLM that is not configured, a naive index over its time budget)."""
    from inspectqa.errors import InspectQAError

    check = make_check(resources, lexical_only)
    runs: list[Run] = []
    skipped: dict[str, str] = {}
    for name in systems:
        try:
            system = resources.system(name, k, naive_budget_s=naive_budget_s)
        except InspectQAError as error:
            if len(systems) == 1:
                raise
            skipped[name] = str(error)
            continue
        runs.append(evaluate(name, system, questions, check, k, index=str(resources.index_path)))
    return runs, skipped
