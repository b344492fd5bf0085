"""The ``inspectqa`` command: a thin shell over the packages' functions.

Each stage owns its sub-commands (``corpus.cli``, ``indexer.cli``, ``service.cli``, ``evals.cli``);
this module only assembles them and turns ``InspectQAError`` into a clean one-line message and an
exit code. Heavy libraries (torch, faiss) are imported inside commands, so ``--help`` stays quick.
"""

from __future__ import annotations

import sys

import typer

from corpus.cli import app as corpus_app
from evals.cli import bench_app, eval_app
from indexer.cli import index_app, search_command
from inspectqa.errors import InspectQAError
from service.cli import ask_command, mcp_command, serve_command

app = typer.Typer(
    name="inspectqa",
    help="Question answering over Ofsted inspection reports, every claim cited.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(corpus_app, name="corpus")
app.add_typer(index_app, name="index")
app.command("search")(search_command)
app.command("ask")(ask_command)
app.command("serve")(serve_command)
app.command("mcp")(mcp_command)
app.add_typer(eval_app, name="eval")
app.add_typer(bench_app, name="bench")


def main() -> None:
    try:
        app()
    except InspectQAError as error:
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        sys.exit(error.exit_code)


if __name__ == "__main__":
    main()
