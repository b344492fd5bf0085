"""Human reports of evaluation runs: ``report.md`` and a one-file ``report.html`` with plots.

Plots (matplotlib, Agg backend, embedded as base64 PNG so the HTML is a single file that opens
anywhere): hit@k and evidence recall@k for k = 1..10, the main metrics per question type, the latency
histogram, and, for several systems, the systems side by side.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evals.harness import Run

MAIN_METRICS = (
    ("retrieval", "hit@1"),
    ("retrieval", "hit@5"),
    ("retrieval", "hit@10"),
    ("retrieval", "evidence_recall@10"),
    ("retrieval", "mrr"),
    ("retrieval", "report_recall@5"),
    ("answer", "key_fact_recall"),
    ("answer", "cites_gold"),
    ("answer", "cites_gold_report"),
    ("answer", "grounded_sentence_rate"),
    ("answer", "citation_precision"),
    ("answer", "citation_recall"),
    ("abstention", "unanswerable_abstained"),
    ("abstention", "answerable_abstained"),
    ("survey", "set_recall"),
    ("survey", "set_precision"),
    ("latency_ms", "p50"),
    ("latency_ms", "p95"),
)
TYPE_METRICS = (
    ("retrieval", "hit@5"),
    ("retrieval", "mrr"),
    ("answer", "key_fact_recall"),
    ("answer", "cites_gold"),
    ("answer", "cites_gold_report"),
    ("answer", "grounded_sentence_rate"),
)
FAILURE_HELP = {
    "retrieval_miss": "no passage holding the evidence in the top k: retrieval (or query understanding) "
    "looked in the wrong place",
    "ranking": "evidence retrieved, but only below the passages the answer is composed from",
    "answer_composition": "evidence among the answer's passages, but the answer misses key facts or does "
    "not cite the evidence",
    "grounding": "an answer sentence is not supported by the passages it cites",
    "false_abstention": "abstained on a question the reports answer",
    "missed_abstention": "answered a question the reports do not answer",
}


def value(metrics: dict[str, Any], group: str, name: str) -> float | None:
    found = metrics.get(group, {}).get(name)
    return float(found) if isinstance(found, int | float) else None


def fmt(number: float | None, group: str = "") -> str:
    if number is None:
        return "–"
    return f"{number:.0f}" if group == "latency_ms" else f"{number:.3f}"


def hit_curve(run: Run, k: int = 10) -> tuple[list[float], list[float]]:
    """hit@i and evidence recall@i for i = 1..k over the answerable questions."""
    answerable = [s for s in run.scores if s.answerable]
    hits, recalls = [], []
    for i in range(1, k + 1):
        if not answerable:
            hits.append(0.0)
            recalls.append(0.0)
            continue
        hits.append(
            sum(s.first_evidence_rank is not None and s.first_evidence_rank <= i for s in answerable)
            / len(answerable)
        )
        recalls.append(
            sum(
                sum(e.rank is not None and e.rank <= i for e in s.evidence) / len(s.evidence)
                for s in answerable
                if s.evidence
            )
            / len(answerable)
        )
    return hits, recalls


# --- plots ----------------------------------------------------------------------------------------


def _png(figure: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_recall_curves(runs: Sequence[Run]) -> str:
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(6.4, 4))
    ks = list(range(1, 11))
    for run in runs:
        hits, recalls = hit_curve(run)
        (line,) = axis.plot(ks, hits, marker="o", label=f"{run.system} hit@k")
        axis.plot(
            ks, recalls, linestyle="--", color=line.get_color(), label=f"{run.system} evidence recall@k"
        )
    axis.set_xlabel("k (passages)")
    axis.set_ylabel("share of answerable questions")
    axis.set_ylim(0, 1.02)
    axis.set_xticks(ks)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7)
    axis.set_title("Retrieval: hit@k and evidence recall@k")
    return _png(figure)


def plot_by_type(run: Run) -> str:
    plt = _pyplot()
    by_type = run.metrics.get("by_type", {})
    types = [t for t in by_type if "retrieval" in by_type[t]]
    figure, axis = plt.subplots(figsize=(7, 4))
    width = 0.8 / len(TYPE_METRICS)
    for i, (group, name) in enumerate(TYPE_METRICS):
        heights = [value(by_type[t], group, name) or 0.0 for t in types]
        axis.bar([x + i * width for x in range(len(types))], heights, width, label=name)
    axis.set_xticks([x + 0.4 - width / 2 for x in range(len(types))])
    axis.set_xticklabels([f"{t}\n(n={by_type[t]['n_questions']})" for t in types])
    axis.set_ylim(0, 1.05)
    axis.legend(fontsize=7, ncol=3)
    axis.set_title(f"{run.system}: metrics per question type")
    return _png(figure)


def plot_latency(runs: Sequence[Run]) -> str:
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(6.4, 3.6))
    for run in runs:
        latencies = [s.latency_ms for s in run.scores]
        if latencies:
            axis.hist(latencies, bins=30, alpha=0.5, label=run.system)
    axis.set_xlabel("latency per question (ms)")
    axis.set_ylabel("questions")
    axis.legend(fontsize=8)
    axis.set_title("Latency")
    return _png(figure)


def plot_systems(runs: Sequence[Run]) -> str:
    plt = _pyplot()
    shown = [(g, n) for g, n in MAIN_METRICS if g in ("retrieval", "answer")] + [
        ("abstention", "unanswerable_abstained")
    ]
    figure, axis = plt.subplots(figsize=(10, 4))
    width = 0.8 / max(len(runs), 1)
    for i, run in enumerate(runs):
        heights = [value(run.metrics, g, n) or 0.0 for g, n in shown]
        axis.bar([x + i * width for x in range(len(shown))], heights, width, label=run.system)
    axis.set_xticks([x + 0.4 - width / 2 for x in range(len(shown))])
    axis.set_xticklabels([n for _, n in shown], rotation=35, ha="right", fontsize=8)
    axis.set_ylim(0, 1.05)
    axis.legend(fontsize=8)
    axis.set_title("Systems side by side")
    return _png(figure)


# --- text -----------------------------------------------------------------------------------------


def comparison_table(runs: Sequence[Run]) -> str:
    """Markdown: one row per metric, one column per system."""
    lines = ["| metric | " + " | ".join(r.system for r in runs) + " |", "|---|" + "---:|" * len(runs)]
    lines.append("| questions | " + " | ".join(str(r.metrics.get("n_questions")) for r in runs) + " |")
    for group, name in MAIN_METRICS:
        cells = [fmt(value(r.metrics, group, name), group) for r in runs]
        lines.append(f"| {name}{' (ms)' if group == 'latency_ms' else ''} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def type_table(run: Run, by: str = "type") -> str:
    """Per question ``type`` (or per ``style`` with ``by="style"``): the main metrics, and how
    often answerable and unanswerable questions were declined."""
    groups = run.metrics.get(f"by_{by}", {})
    header = f"| {by} | n | " + " | ".join(n for _, n in TYPE_METRICS)
    header += " | answerable declined | unanswerable declined |"
    lines = [header, "|---|---:|" + "---:|" * (len(TYPE_METRICS) + 2)]
    for qtype, metrics in groups.items():
        abstained = metrics.get("abstention", {})
        cells = [fmt(value(metrics, g, n)) for g, n in TYPE_METRICS]
        cells += [fmt(abstained.get("answerable_abstained")), fmt(abstained.get("unanswerable_abstained"))]
        lines.append(f"| {qtype} | {metrics['n_questions']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def failure_lines(run: Run, limit: int = 60) -> list[str]:
    lines = []
    counts = run.metrics.get("failures", {})
    for failure, count in sorted(counts.items(), key=lambda item: -item[1]):
        if failure == "ok":
            continue
        lines.append(f"- **{failure}** ({count}): {FAILURE_HELP.get(failure, '')}")
    failing = [
        (q, s, o) for q, s, o in zip(run.questions, run.scores, run.outputs, strict=True) if s.failure != "ok"
    ]
    if failing:
        lines.append("")
        lines.append("| id | type | failure | first evidence rank | key facts | question |")
        lines.append("|---|---|---|---:|---:|---|")
        for question, score, output in failing[:limit]:
            facts = (
                f"{sum(score.key_facts_found)}/{len(score.key_facts_found)}" if score.key_facts_found else "–"
            )
            rank = score.first_evidence_rank if score.first_evidence_rank is not None else "–"
            note = f" (error: {output.error})" if output.error else ""
            text = question.question.replace("|", "/")
            lines.append(
                f"| {question.id} | {question.type} | {score.failure} | {rank} | {facts} | {text}{note} |"
            )
    return lines


def markdown(runs: Sequence[Run], title: str) -> str:
    parts = [f"# {title}", ""]
    parts += ["## Metrics", "", comparison_table(runs), ""]
    for run in runs:
        parts += [f"## {run.system}: per question type", "", type_table(run), ""]
        parts += [f"## {run.system}: per question style", "", type_table(run, "style"), ""]
        parts += [f"## {run.system}: failures", "", *failure_lines(run), ""]
    return "\n".join(parts)


def _md_table_to_html(table: str) -> str:
    rows = [line.strip().strip("|").split("|") for line in table.splitlines() if line.strip()]
    if len(rows) < 2:
        return ""
    head, body = rows[0], rows[2:]
    out = [
        "<table><thead><tr>",
        *[f"<th>{html.escape(c.strip())}</th>" for c in head],
        "</tr></thead><tbody>",
    ]
    for row in body:
        out.append("<tr>" + "".join(f"<td>{html.escape(c.strip())}</td>" for c in row) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def html_report(runs: Sequence[Run], title: str) -> str:
    images = [("Retrieval", plot_recall_curves(runs))]
    if len(runs) > 1:
        images.append(("Systems side by side", plot_systems(runs)))
    images += [(f"{r.system} per type", plot_by_type(r)) for r in runs if r.metrics.get("by_type")]
    images.append(("Latency", plot_latency(runs)))
    body = [f"<h1>{html.escape(title)}</h1>", "<h2>Metrics</h2>", _md_table_to_html(comparison_table(runs))]
    for caption, data in images:
        body.append(
            f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
    for run in runs:
        body.append(f"<h2>{html.escape(run.system)}: per question type</h2>")
        body.append(_md_table_to_html(type_table(run)))
        body.append(f"<h2>{html.escape(run.system)}: per question style</h2>")
        body.append(_md_table_to_html(type_table(run, "style")))
        lines = failure_lines(run)
        body.append(f"<h2>{html.escape(run.system)}: failures</h2><ul>")
        body += [
            f"<li>{html.escape(line[2:]).replace('**', '')}</li>" for line in lines if line.startswith("- ")
        ]
        body.append("</ul>")
        table = "\n".join(line for line in lines if line.startswith("|"))
        body.append(_md_table_to_html(table))
    style = (
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1b1b1b}"
        "table{border-collapse:collapse;margin:1em 0;font-size:14px}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#f3f3f3}"
        "img{max-width:100%}figure{margin:1.5em 0}figcaption{color:#555;font-size:13px}"
    )
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def write_reports(runs: Sequence[Run], out: Path, title: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(markdown(runs, title) + "\n")
    (out / "report.html").write_text(html_report(runs, title))
