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
