"""``inspectqa eval ...`` and ``inspectqa bench ...``.

Both need the ``eval`` extra (``pip install 'inspectqa[eval]'``: matplotlib for the reports' charts,
psutil for the benchmarks' memory figures, pypdf for the naive baseline), which a plain install for
serving leaves out; without it every command here stops at once and says how to install it.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from evals.systems import Resources

EVAL_EXTRA = ("matplotlib", "psutil", "pypdf")  # the `eval` extra of pyproject.toml, by import name


def require_eval_extra() -> None:
    """Raise ``ConfigError`` naming the missing packages of the ``eval`` extra, if any are missing."""
    from inspectqa.errors import ConfigError

    missing = []
    for name in EVAL_EXTRA:
        try:
            import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ConfigError(
            f"`inspectqa eval` and `inspectqa bench` need {', '.join(missing)}, which a plain install"
            " (for serving) leaves out",
            hint="install them with pip install 'inspectqa[eval]'",
        )


eval_app = typer.Typer(
    help="Evaluate retrieval, grounding and answers against gold questions (needs the eval extra).",
    no_args_is_help=True,
    callback=require_eval_extra,
)
bench_app = typer.Typer(
    help="Benchmarks: speed and memory against baselines (needs the eval extra).",
    no_args_is_help=True,
    callback=require_eval_extra,
)


@bench_app.command("query")
def bench_query_command(
    index: Annotated[Path, typer.Option("--index", help="The index to serve (e.g. of the full corpus).")],
    gold: Annotated[Path, typer.Option("--gold", help="Questions to ask (JSONL).")] = Path(
        "../shared/gold/dev.jsonl"
    ),
    requests: Annotated[int, typer.Option(help="Requests in the concurrent run.")] = 240,
    clients: Annotated[int, typer.Option(help="Concurrent clients.")] = 8,
    naive: Annotated[bool, typer.Option("--naive/--no-naive", help="Also time the naive baseline.")] = True,
    out: Annotated[Path | None, typer.Option("--out", help="Write the figures as JSON here.")] = None,
) -> None:
    """/ask latency (1 and N clients), throughput, errors and memory over a real server on loopback."""
    import json

    from evals.bench_query import render, run_bench

    result = run_bench(index, gold, requests=requests, clients=clients, with_naive=naive)
    typer.echo(render(result))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")


@bench_app.command("grounding")
def bench_grounding_command(
    pairs: Annotated[Path, typer.Option("--pairs", help="Labelled pairs to build answers from.")] = Path(
        "evals/data/grounding_pairs_v2.jsonl"
    ),
    answers: Annotated[int, typer.Option("--answers", min=1, help="How many 6-sentence answers.")] = 60,
    lexical_only: Annotated[bool, typer.Option("--lexical-only", help="Without embeddings.")] = False,
) -> None:
    """Grounding check of a 6-sentence answer against its 3 passages: median ms, cold and cached."""
    import json

    from evals.bench_grounding import run_bench
    from indexer.embedding import load_embedder
    from inspectqa.settings import Settings
    from service.answers.qa import QUESTION_THREADS

    # The embedder as the service loads it (the LLM path checks with the service's).
    embedder = None if lexical_only else load_embedder(Settings(), threads=QUESTION_THREADS)
    typer.echo(json.dumps(run_bench(pairs, embedder, answers), indent=2))


@bench_app.command("index")
def bench_index_command(
    corpus: Annotated[
        Path | None, typer.Option("--corpus", help="Reports to index. [env: INSPECTQA_CORPUS]")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N reports.")] = None,
    naive: Annotated[bool, typer.Option("--naive/--no-naive", help="Also build the naive baseline.")] = True,
    out: Annotated[Path | None, typer.Option("--out", help="Write the figures as JSON here.")] = None,
) -> None:
    """Index build: ours vs the naive pipeline on the same reports; times, chunks/s, tokens/s, memory."""
    from evals.bench_index import render, run_bench, save, settings_from_environment

    result = run_bench(corpus or settings_from_environment().corpus, limit=limit, naive=naive)
    typer.echo(render(result))
    if out is not None:
        save(result, out)


@bench_app.command("scale")
def bench_scale_command(
    index: Annotated[
        Path, typer.Option("--index", help="The real index to grow from (e.g. the full corpus).")
    ],
    gold: Annotated[Path, typer.Option("--gold", help="Questions whose embeddings are the queries.")] = Path(
        "../shared/gold/dev.jsonl"
    ),
    factors: Annotated[
        str, typer.Option(help="Corpus sizes, as multiples of the index's passages.")
    ] = "1,10,100",
    pg_factors: Annotated[
        str, typer.Option(help="Sizes also loaded into PostgreSQL + pgvector ('' for none).")
    ] = "1",
    index_max: Annotated[
        int,
        typer.Option(help="Largest size written as a real generation, for the keyword and /ask figures."),
    ] = 500_000,
    only: Annotated[
        str,
        typer.Option(help="Engines to measure, of exact, ivf, keyword, ask, pgvector (exact always runs)."),
    ] = "exact,ivf,keyword,ask,pgvector",
    database_url: Annotated[
        str | None,
        typer.Option(help="A scratch PostgreSQL with pgvector; default: one started in a temporary folder."),
    ] = None,
    scratch: Annotated[
        Path | None,
        typer.Option(help="Folder for the synthetic generations and the local PostgreSQL (default: /tmp)."),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the figures as JSON here.")] = None,
    merge: Annotated[
        bool,
        typer.Option(
            help="Merge into the figures already in --out, size by size, instead of replacing them."
        ),
    ] = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write the latency plot (PNG) here.")] = None,
) -> None:
    """Cost against corpus size: exact and IVF FAISS, keywords, /ask end to end, pgvector; recall@10."""
    import json

    from evals.bench_scale import ENGINES, merged, render, run_bench
    from evals.bench_scale import plot as draw

    def numbers(text: str) -> list[int]:
        return [int(part) for part in text.split(",") if part.strip()]

    engines = [part.strip() for part in only.split(",") if part.strip()]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        raise typer.BadParameter(f"unknown engine {unknown[0]!r}: choose among {', '.join(ENGINES)}")
    result = run_bench(
        index,
        gold,
        factors=numbers(factors),
        pg_factors=numbers(pg_factors),
        database_url=database_url,
        index_max=index_max,
        only=engines,
        scratch=scratch,
    )
    if merge and out is not None and out.is_file():
        result = merged(json.loads(out.read_text()), result, engines)
    typer.echo(render(result))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")
    if plot is not None:
        draw(result, plot)


@bench_app.command("reliability")
def bench_reliability_command(
    index: Annotated[
        Path, typer.Option("--index", help="The index to serve under load (e.g. the full corpus).")
    ],
    corpus: Annotated[
        Path, typer.Option("--corpus", help="Reports for the kill -9 builds (a few are used).")
    ] = Path("../shared/corpus/ilacs"),
    gold: Annotated[Path, typer.Option("--gold", help="Questions to ask (JSONL).")] = Path(
        "../shared/gold/dev.jsonl"
    ),
    duration: Annotated[float, typer.Option(help="Seconds of load.")] = 60.0,
    clients: Annotated[int, typer.Option(help="Concurrent clients.")] = 16,
    kills: Annotated[int, typer.Option(help="Index builds to kill -9.")] = 20,
    workers: Annotated[
        int, typer.Option(help="Server processes for the load (beside a 1-worker baseline).")
    ] = 2,
    think: Annotated[
        float, typer.Option(help="Mean seconds a client pauses between questions in the last load run.")
    ] = 1.0,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Run only these parts: load, kills, restart, crafted, fuzz."),
    ] = None,
    workdir: Annotated[Path, typer.Option(help="Scratch folder.")] = Path("var/reliability"),
    out: Annotated[Path | None, typer.Option("--out", help="Write the figures as JSON here.")] = None,
) -> None:
    """Load with an index swap, kill -9 of builds and service, crafted PDFs, API fuzzing: README figures."""
    import json

    from evals.reliability import render, run_suite

    parts = tuple(only) if only else ("load", "kills", "restart", "crafted", "fuzz")
    result = run_suite(
        index,
        corpus,
        gold,
        workdir,
        duration_s=duration,
        clients=clients,
        kills=kills,
        parts=parts,
        workers=workers,
        think_s=think,
    )
    typer.echo(render(result))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")


# --- evaluation (owner: evals) ---------------------------------------------------------------------
IndexOption = Annotated[
    Path | None,
    typer.Option("--index", envvar="INSPECTQA_INDEX", help="Index directory (built by `index build`)."),
]
# The question files a fit command learns from (fit-framing, fit-abstention, fit-sentences).
FitGoldOption = Annotated[
    list[Path], typer.Option("--gold", help="Question files to fit on (repeat the option for several).")
]
GoldOption = Annotated[Path, typer.Option("--gold", help="Gold questions, JSONL as in gold/FORMAT.md.")]
OutOption = Annotated[Path, typer.Option("--out", help="Folder for metrics.json, results.jsonl and reports.")]
KOption = Annotated[int, typer.Option("--k", min=1, max=50, help="Passages retrieved per question.")]
LimitOption = Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N questions.")]


def _resources(index: Path | None, naive_cache: Path | None = None) -> Resources:
    from evals.systems import Resources
    from inspectqa.settings import Settings

    overrides: dict[str, object] = {}  # everything else from INSPECTQA_* variables
    settings = Settings(**overrides)  # type: ignore[arg-type]
    return Resources(index or settings.index, settings, naive_cache)


@eval_app.command("run")
def eval_run_command(
    gold: GoldOption,
    out: OutOption,
    index: IndexOption = None,
    system: Annotated[
        str, typer.Option("--system", help="inspectqa, bm25, dense, naive or llm (when configured).")
    ] = "inspectqa",
    k: KOption = 10,
    limit: LimitOption = None,
    lexical_grounding: Annotated[
        bool, typer.Option("--lexical-grounding", help="Judge grounding without embeddings.")
    ] = False,
) -> None:
    """Run one system over gold questions; write metrics.json, results.jsonl, report.md, report.html.

    Every figure is also given per question type and per style (casual, followup, temporal, ...;
    see gold/FORMAT.md); follow-up questions are asked with their ``history``."""
    from evals.gold import load_gold
    from evals.harness import run_systems, write_run
    from evals.report import comparison_table, type_table

    questions = load_gold(gold)[:limit]
    runs, _ = run_systems(_resources(index), questions, [system], k, lexical_only=lexical_grounding)
    write_run(runs[0], out)
    typer.echo(comparison_table(runs))
    typer.echo("")
    typer.echo(type_table(runs[0]))
    typer.echo("")
    typer.echo(type_table(runs[0], "style"))
    typer.echo(f"wrote {out}/metrics.json, results.jsonl, report.md, report.html")


@eval_app.command("grades")
def eval_grades_command(
    out: OutOption,
    index: IndexOption = None,
    per_council: Annotated[int, typer.Option("--per-council", min=1, help="Questions per council.")] = 6,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the sampling (same seed, same questions).")
    ] = 12,
    councils: Annotated[
        int | None, typer.Option("--councils", min=1, help="Only the first N councils (by name).")
    ] = None,
    split: Annotated[
        str,
        typer.Option("--split", help="all, tune or heldout (councils split as evals/data/USERS_SETS.md)."),
    ] = "all",
) -> None:
    """Grade questions generated from the judgements table (latest, previous, earliest, in/since/before
    YEAR, follow-ups; casual, short and misspelt council names), asked and scored: does the answer
    cite the right report and state the right grade? Writes metrics.json and results.jsonl."""
    import json

    from evals.grade_questions import render, run
    from service.answers.qa import QAService

    if split not in ("all", "tune", "heldout"):
        raise typer.BadParameter("--split is all, tune or heldout")
    resources = _resources(index)
    service = QAService.open(resources.settings, index=resources.index, embedder=resources.embedder)
    results, metrics = run(service, per_council, seed, councils, split)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    with (out / "results.jsonl").open("w") as handle:
        for result in results:
            handle.write(json.dumps(result.record(), ensure_ascii=False) + "\n")
    for by in ("family", "form", "area"):
        typer.echo(render(metrics[f"by_{by}"], by) + "\n")
    typer.echo(f"wrote {out}/metrics.json and results.jsonl ({len(results)} questions)")


@eval_app.command("compare")
def eval_compare_command(
    gold: GoldOption,
    out: OutOption,
    index: IndexOption = None,
    systems: Annotated[
        str, typer.Option("--systems", help="Comma-separated systems; llm is skipped when not configured.")
    ] = "inspectqa,bm25,dense,naive,llm",
    k: KOption = 10,
    limit: LimitOption = None,
    naive_budget: Annotated[
        float,
        typer.Option(
            "--naive-budget",
            help="Seconds allowed to build the naive index, projected from its first reports; skipped beyond "
            "(the full corpus needs about an hour: raise it to include naive).",
        ),
    ] = 900.0,
    naive_cache: Annotated[
        Path | None, typer.Option("--naive-cache", help="Where the naive index is cached (by corpus hash).")
    ] = None,
) -> None:
    """Run every system on the same index and questions; write one side-by-side table and report."""
    from evals.gold import load_gold
    from evals.harness import compare, run_systems

    questions = load_gold(gold)[:limit]
    names = [s.strip() for s in systems.split(",") if s.strip()]
    runs, skipped = run_systems(
        _resources(index, naive_cache), questions, names, k, naive_budget_s=naive_budget
    )
    typer.echo(compare(runs, out, skipped))
    typer.echo(f"wrote {out}/comparison.md, report.html and one folder per system")


@eval_app.command("check")
def eval_check_command(
    metrics: Annotated[Path, typer.Option("--metrics", help="metrics.json of the new run.")],
    baseline: Annotated[Path, typer.Option("--baseline", help="The committed baseline metrics.")],
    tolerance: Annotated[float, typer.Option("--tolerance", min=0.0, help="Allowed absolute drop.")] = 0.05,
) -> None:
    """Fail (exit 1) naming every metric that dropped more than the tolerance below the baseline."""
    from evals.gate import compare_metrics, load_metrics

    drops = compare_metrics(load_metrics(metrics), load_metrics(baseline), tolerance)
    if drops:
        for drop in drops:
            typer.secho(f"dropped: {drop}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1)
    typer.echo(f"ok: no metric dropped more than {tolerance} below {baseline}")


_PAIRS_FILES = [
    Path("evals/data/grounding_pairs.jsonl"),
    Path("evals/data/grounding_pairs_v2.jsonl"),
    Path("evals/data/grounding_pairs_v4.jsonl"),
]


@eval_app.command("grounding")
def eval_grounding_command(
    pairs: Annotated[
        list[Path] | None,
        typer.Option("--pairs", help="Labelled claim–passage pairs (JSONL); repeat for several files."),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write per-pair verdicts (JSONL) here.")] = None,
    split: Annotated[
        list[str] | None,
        typer.Option("--split", help="Only these splits (repeat: --split test --split heldout)."),
    ] = None,
    lexical_only: Annotated[bool, typer.Option("--lexical-only", help="Without embeddings.")] = False,
    unit_vectors: Annotated[
        bool,
        typer.Option(
            "--unit-vectors",
            help="Embed and store the passages' sentences first, as an index build does, and check "
            "with those (as the LLM path over an index built with unit vectors).",
        ),
    ] = False,
) -> None:
    """Score the grounding checker per pairs file and overall: accuracy, balanced accuracy, per kind.

    Without --pairs, every pairs file of evals/data that exists.
    """
    import json

    from evals.gold import BadGoldFile
    from evals.pairs import format_summary, judge, load_pairs, summarise, verdict_record
    from service.answers.grounding import GroundingChecker

    files = pairs or [p for p in _PAIRS_FILES if p.is_file()]
    loaded = {path: load_pairs(path, split, allow_empty=True) for path in files}
    if not any(loaded.values()):
        raise BadGoldFile(f"no pairs in split(s) {split} of {', '.join(map(str, files))}")
    embedder = None if lexical_only else _resources(None).embedder
    stored = None
    if unit_vectors and embedder is not None:
        import shutil
        import tempfile

        from indexer.unit_vectors import UnitVectors, write
        from service.answers.grounding.alignment import passage_units

        folder = Path(tempfile.mkdtemp(prefix="eval-units-"))
        passages = [p.passage for chosen in loaded.values() for p in chosen]
        written = write(folder, passages, passage_units, embedder)
        stored = UnitVectors.open(folder)
        shutil.rmtree(folder)  # the arrays stay mapped until the process ends
        typer.echo(f"stored {written.units} passage units in {written.seconds:.1f} s\n")
    checker = GroundingChecker(embedder, stored=stored)
    every = []
    for path, chosen in loaded.items():
        if not chosen:
            typer.echo(f"{path}: no pairs in split(s) {split}\n")
            continue
        verdicts = judge(checker, chosen)
        every.extend(verdicts)
        splits = ", ".join(sorted({v.pair.split or "-" for v in verdicts}))
        typer.echo(f"{path} (split {splits}):\n{format_summary(summarise(verdicts))}\n")
    if len([c for c in loaded.values() if c]) > 1:
        typer.echo(f"all files together:\n{format_summary(summarise(every))}")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w") as handle:
            for verdict in every:
                handle.write(json.dumps(verdict_record(verdict), ensure_ascii=False) + "\n")
        typer.echo(f"wrote {len(every)} verdicts to {out}")


@eval_app.command("grounding-fit")
def eval_grounding_fit_command(
    pairs: Annotated[
        list[Path] | None,
        typer.Option(
            "--pairs", help="Pairs files to fit on (their dev/fit splits only); repeat for several."
        ),
    ] = None,
    gold: Annotated[
        Path | None,
        typer.Option("--gold", help="Gold questions whose reference answers are paraphrase positives."),
    ] = Path("../shared/gold/dev.jsonl"),
    out: Annotated[Path | None, typer.Option("--out", help="Where to write the weights.")] = None,
) -> None:
    """Refit the grounding checker's model on the fitting splits (dev, fit); never on test or heldout."""
    from evals.fit_grounding import fit
    from service.answers.grounding.model import MODEL_FILE

    files = pairs or [p for p in _PAIRS_FILES if p.is_file()]
    payload = fit(
        files,
        gold if gold is not None and gold.is_file() else None,
        _resources(None).embedder,
        out or MODEL_FILE,
    )
    for name, model in payload["models"].items():
        typer.echo(
            f"{name}: C={model['C']}, cross-validated balanced accuracy {model['cv_balanced_accuracy']}"
        )
    typer.echo(f"fitted on {payload['fitted_on']['examples']} examples; wrote {out or MODEL_FILE}")


@eval_app.command("baseline")
def eval_baseline_command(
    metrics: Annotated[
        Path, typer.Option("--metrics", help="metrics.json of a run to keep as the baseline.")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="The baseline file to write (e.g. evals/baselines/...).")
    ],
) -> None:
    """Keep a run's overall metrics as a baseline for `eval check` (per-type and timings left out)."""
    import json

    from evals.gate import baseline_from, load_metrics

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(baseline_from(load_metrics(metrics)), indent=2) + "\n")
    typer.echo(f"wrote {out}")


@eval_app.command("fit-framing")
def eval_fit_framing_command(
    gold: FitGoldOption,
    index: IndexOption = None,
    out: Annotated[Path, typer.Option("--out", help="Where to write the fitted model.")] = Path(
        "service/answers/framing.json"
    ),
) -> None:
    """Fit which question words only frame a question (the abstention gate's); write it where the
    service reads it. Refit the gate after it (``eval fit-abstention``): its features change."""
    import json
    from collections.abc import Sequence
    from typing import Any

    from evals.framing import embed_words, fit, label
    from evals.gold import load_gold
    from service.answers.qa import QAService

    resources = _resources(index)
    # The rules gate: the labels must not depend on a framing model fitted before.
    service = QAService(resources.index, resources.embedder, resources.settings, gate="rules")
    examples = label(service, [q for path in gold for q in load_gold(path)])

    def embed(words: Sequence[str]) -> Any:
        return embed_words(resources.embedder, words)

    model, measured = fit(
        examples, embed, model_name=resources.settings.model_name, fitted_on=", ".join(p.name for p in gold)
    )
    out.write_text(json.dumps(model.to_json(), indent=1) + "\n")
    typer.echo(f"fitted on {model.fitted_on}: {json.dumps(measured)}")
    typer.echo(f"wrote {out}")


@eval_app.command("fit-abstention")
def eval_fit_abstention_command(
    gold: FitGoldOption,
    index: IndexOption = None,
    check: Annotated[
        list[Path] | None,
        typer.Option("--check", help="Question files to measure the fitted gate on (never fitted on)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Where to write the fitted gate.")] = Path(
        "service/answers/abstention.json"
    ),
) -> None:
    """Fit the abstention gate's threshold on gold questions; write it where the service reads it."""
    import json

    from evals.abstention import collect, fit, rates
    from evals.gold import load_gold
    from service.answers.qa import QAService

    resources = _resources(index)
    service = QAService(resources.index, resources.embedder, resources.settings)
    rows = [row for path in gold for row in collect(service, load_gold(path))]
    gate, fitted = fit(rows, fitted_on=", ".join(p.name for p in gold))
    out.write_text(json.dumps(gate.to_json(), indent=2) + "\n")
    typer.echo(f"fitted on {gate.fitted_on}: {json.dumps(fitted)}")
    for path in check or []:
        measured = rates(gate, collect(service, load_gold(path)))
        typer.echo(f"measured on {path.name}: {json.dumps(measured)}")
    typer.echo(f"wrote {out}")


@eval_app.command("fit-sentences")
def eval_fit_sentences_command(
    gold: FitGoldOption,
    index: IndexOption = None,
    out: Annotated[Path, typer.Option("--out", help="Where to write the fitted ranker.")] = Path(
        "service/answers/sentence_rank.json"
    ),
) -> None:
    """Fit the sentence ranker on gold questions (grouped cross-validation by council chooses its
    regularisation); write it where the service reads it and print its cross-validated score."""
    import json

    from evals.fit_sentences import collect, describe, fit
    from evals.gold import load_gold
    from service.answers.qa import QAService

    resources = _resources(index)
    service = QAService(resources.index, resources.embedder, resources.settings)
    rankings = [r for path in gold for r in collect(service, load_gold(path))]
    ranker, figures = fit(rankings, ", ".join(p.name for p in gold), service.composer.ranker)
    out.write_text(json.dumps(ranker.to_json(), indent=2) + "\n")
    typer.echo(f"fitted on {ranker.fitted_on}: {json.dumps(figures)}")
    typer.echo(describe(ranker))
    typer.echo(f"wrote {out}")
