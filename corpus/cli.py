"""``inspectqa corpus ...``: fetch and inspect report corpora.

A thin shell over ``corpus.fetch.fetch_corpus`` and ``corpus.info.corpus_info``; ``--corpus``
falls back on the ``INSPECTQA_CORPUS`` setting.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(help="Fetch and inspect report corpora.", no_args_is_help=True)


@app.command("fetch")
def fetch_command(
    manifest: Annotated[
        Path, typer.Option("--manifest", help="CSV with report_id, source_url and (optionally) file columns.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder to download into; becomes a loadable corpus.")],
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N rows.")] = None,
    retries: Annotated[int, typer.Option(min=0, help="Retries of a 5xx answer or a timeout.")] = 4,
    backoff: Annotated[
        float, typer.Option(min=0.0, help="First wait between retries in seconds; doubles each time.")
    ] = 1.0,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds to wait for one answer.")] = 60.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Download the reports a manifest lists: resumable, verified as PDFs, retried with backoff."""
    from corpus.fetch import fetch_corpus

    summary = fetch_corpus(
        manifest, out, limit=limit, retries=retries, backoff=backoff, timeout=timeout, progress=not quiet
    )
    typer.echo(
        f"downloaded {summary.count('downloaded')}, already present {summary.count('present')}, "
        f"failed {summary.count('failed')} ({summary.seconds:.1f} s)"
    )
    for outcome in summary.failed:
        typer.echo(f"  failed {outcome.report_id}: {outcome.error}", err=True)
    if summary.manifest is not None:
        typer.echo(f"wrote {summary.manifest} ({summary.listed} reports)")
    if summary.failed:
        raise typer.Exit(1)


@app.command("info")
def info_command(
    corpus: Annotated[
        Path,
        typer.Option(
            "--corpus", envvar="INSPECTQA_CORPUS", help="Corpus folder (manifest.csv or plain files)."
        ),
    ] = Path("../shared/corpus/ilacs"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Processes extracting reports in parallel.")] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Load every report of a corpus and print counts, judgements found and failures."""
    from corpus.info import corpus_info
    from inspectqa.settings import Settings

    overrides: dict[str, Any] = {"corpus": corpus} if corpus is not None else {}
    info = corpus_info(Settings(**overrides).corpus, progress=not quiet and not as_json, workers=workers)
    if as_json:
        typer.echo(json.dumps(info.as_dict(), indent=2))
        return
    numbered = info.numbered_paragraphs / info.paragraphs if info.paragraphs else 0.0
    lines = [
        f"corpus            {info.folder}",
        f"files             {info.files}",
        f"reports loaded    {info.reports} ({info.local_authorities} local authorities)",
        f"failures          {len(info.failures)}",
        f"pages             {info.pages}",
        f"characters        {info.characters:,}",
        f"sections          {info.sections}",
        f"paragraphs        {info.paragraphs} ({numbered:.0%} numbered)",
        f"with judgements   {info.reports_with_judgements}; "
        f"with overall effectiveness {info.reports_with_overall}",
        "judgements        "
        + ", ".join(f"{area} {count}" for area, count in info.judgements_by_area.items()),
        "by year           " + ", ".join(f"{year}: {count}" for year, count in info.reports_by_year.items()),
        f"seconds           {info.seconds}",
    ]
    typer.echo("\n".join(lines))
    for failure in info.failures:
        typer.echo(f"  skipped {failure.file}: {failure.error}")
