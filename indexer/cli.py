"""``inspectqa index ...`` and ``inspectqa search``."""

from __future__ import annotations

import typer

index_app = typer.Typer(help="Build, update and inspect the index.", no_args_is_help=True)


def search_command(query: str) -> None:
    """Show the top passages for a query: dense, lexical and fused."""
    raise typer.Exit(1)
