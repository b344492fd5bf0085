"""``inspectqa eval ...`` and ``inspectqa bench ...``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

eval_app = typer.Typer(
    help="Evaluate retrieval, grounding and answers against gold questions.", no_args_is_help=True
)
bench_app = typer.Typer(help="Benchmarks: speed and memory against baselines.", no_args_is_help=True)


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
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only these parts: load, kills, restart, crafted.")
    ] = None,
    workdir: Annotated[Path, typer.Option(help="Scratch folder.")] = Path("var/reliability"),
    out: Annotated[Path | None, typer.Option("--out", help="Write the figures as JSON here.")] = None,
) -> None:
    """Load with an index swap, kill -9 of builds and of the service, crafted PDFs: README figures."""
    import json

    from evals.reliability import render, run_suite

    parts = tuple(only) if only else ("load", "kills", "restart", "crafted")
    result = run_suite(
        index, corpus, gold, workdir, duration_s=duration, clients=clients, kills=kills, parts=parts
    )
    typer.echo(render(result))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")
