"""``inspectqa ask`` and ``inspectqa serve``: thin shells over ``QAService`` and ``create_app``.

Every option falls back to its ``INSPECTQA_*`` environment variable (through ``Settings``), so a
deployment configures the CLI and the server the same way. ``ask --json`` prints exactly the
body ``POST /ask`` returns.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from inspectqa.settings import Settings

if TYPE_CHECKING:
    from service.web.building import BackgroundBuild

IndexOption = Annotated[
    Path | None, typer.Option("--index", help="Index directory [env: INSPECTQA_INDEX; default var/index].")
]


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def ask_command(
    question: Annotated[str, typer.Argument(help="The question, in plain words.")],
    index: IndexOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the same JSON as POST /ask.")] = False,
    local_authority: Annotated[
        list[str] | None, typer.Option("--la", help="Only this council's reports (repeatable).")
    ] = None,
    report_id: Annotated[
        list[str] | None, typer.Option("--report", help="Only this report (repeatable).")
    ] = None,
    year_from: Annotated[int | None, typer.Option(help="Earliest year.")] = None,
    year_to: Annotated[int | None, typer.Option(help="Latest year.")] = None,
    top_k: Annotated[int, typer.Option("-k", "--top-k", help="Passages to retrieve.")] = 5,
    after: Annotated[
        list[str] | None,
        typer.Option(
            "--after",
            help="An earlier question of the conversation (repeatable, oldest first): each is answered "
            "in turn, so QUESTION can be a follow-up such as 'and in 2016?'.",
        ),
    ] = None,
) -> None:
    """Answer a question from the index, with citations."""
    from service.answers.qa import QAService
    from service.answers.records import Filters, Turn
    from service.web.schemas import AskResponse

    settings = _settings(index=index)
    service = QAService.open(settings)
    filters = Filters(tuple(local_authority or ()), tuple(report_id or ()), year_from, year_to)
    history: list[Turn] = []
    for earlier in after or []:
        reply = service.ask(earlier, filters=filters, history=list(history), top_k=top_k)
        history += [Turn("user", earlier), Turn("assistant", reply.answer)]
    answer = service.ask(question, filters=filters, history=history, top_k=top_k)
    if as_json:
        sources = service.source_urls()
        typer.echo(json.dumps(AskResponse.of(answer, sources).model_dump(), ensure_ascii=False, indent=2))
        return
    if answer.focus is not None and answer.focus.label:
        carried = " (from the conversation)" if answer.focus.from_history else ""
        typer.secho(f"{answer.focus.label}{carried}", fg=typer.colors.GREEN)
    typer.echo(answer.answer)
    if answer.citations:
        typer.echo("")
    for citation in answer.citations:
        paragraphs = f", paragraph {', '.join(citation.paragraphs)}" if citation.paragraphs else ""
        typer.secho(
            f"[{citation.n}] {citation.local_authority} ({citation.publication_date}), {citation.section}"
            f"{paragraphs}, page {citation.page}: {citation.url}",
            fg=typer.colors.BLUE,
        )
    if answer.abstained and answer.passages:
        typer.echo("\nNearest passages:")
        for passage in answer.passages[:3]:
            typer.echo(
                f"- {passage.local_authority} ({passage.publication_date}), page {passage.page}: "
                f"{' '.join(passage.text.split())[:200]}…"
            )


def ensure_index(settings: Settings) -> BackgroundBuild | None:
    """Start building the index from ``settings.corpus`` in the background when none can be opened at
    ``settings.index`` (returns the build; None when there is an index to serve)."""
    from indexer import open_index
    from inspectqa.errors import IndexNotFound
    from service.web.building import start_background_build

    if settings.database_url is not None:  # served from PostgreSQL: builds publish there
        return None
    try:
        open_index(settings.index, settings)
        return None
    except IndexNotFound:
        pass
    typer.secho(
        f"no index at {settings.index}: building it from {settings.corpus} in the background (this takes "
        "a while once); the service answers when it is done, and /readyz and the page show the progress",
        fg=typer.colors.YELLOW,
        err=True,
    )
    return start_background_build(settings)


def serve_command(
    index: IndexOption = None,
    corpus: Annotated[
        Path | None,
        typer.Option("--corpus", help="Reports to index when the index is missing [env: INSPECTQA_CORPUS]."),
    ] = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on [env: INSPECTQA_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port [env: INSPECTQA_PORT].")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, max=32, help="Server processes, e.g. one per core [env: INSPECTQA_WORKERS]."
        ),
    ] = None,
    build_missing: Annotated[
        bool,
        typer.Option(
            "--build/--no-build",
            help="Build the index in the background when it is missing, serving at once.",
        ),
    ] = True,
) -> None:
    """Run the HTTP service; a missing index is built in the background while it already listens."""
    from service.web.workers import serve

    settings = _settings(index=index, corpus=corpus, host=host, port=port, workers=workers)
    building = ensure_index(settings) if build_missing else None
    processes = f", {settings.workers} worker processes" if settings.workers > 1 else ""
    typer.secho(
        f"serving on http://{settings.host}:{settings.port} (index {settings.index}{processes})", err=True
    )
    try:
        serve(settings)
    finally:
        if building is not None:
            building.stop()


def mcp_command(index: IndexOption = None) -> None:
    """Serve the MCP tools (ask, search, get_report, judgements) over stdin/stdout, for desktop assistants.

    Only MCP messages go to stdout (whatever loading the index and model prints goes to stderr).
    `inspectqa serve` serves the same tools over HTTP at /mcp.
    """
    from service.web.mcp_server import run_stdio

    run_stdio(_settings(index=index))
