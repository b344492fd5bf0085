"""``inspectqa eval ...`` and ``inspectqa bench ...``."""

from __future__ import annotations

import typer

eval_app = typer.Typer(
    help="Evaluate retrieval, grounding and answers against gold questions.", no_args_is_help=True
)
bench_app = typer.Typer(help="Benchmarks: speed and memory against baselines.", no_args_is_help=True)
