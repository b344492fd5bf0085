"""``inspectqa corpus ...``: fetch and inspect report corpora."""

from __future__ import annotations

import typer

app = typer.Typer(help="Fetch and inspect report corpora.", no_args_is_help=True)
