"""``inspectqa index build|info`` and ``inspectqa search``: a thin shell over ``indexer``.

Every option falls back to its ``INSPECTQA_*`` setting (``--corpus`` to ``INSPECTQA_CORPUS``,
``--index`` to ``INSPECTQA_INDEX``). Heavy libraries are imported inside the commands so that
``inspectqa --help`` stays quick. Errors are ``inspectqa.errors`` exceptions, printed as one line by
``inspectqa.cli.main``.
"""

from __future__ import annotations

import json
import resource
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from inspectqa.errors import ConfigError

index_app = typer.Typer(help="Build, update and inspect the index.", no_args_is_help=True)

CorpusOption = Annotated[
    Path | None,
    typer.Option("--corpus", help="Folder of reports (manifest.csv or plain files). [env: INSPECTQA_CORPUS]"),
]
IndexOption = Annotated[Path | None, typer.Option("--index", help="Index directory. [env: INSPECTQA_INDEX]")]
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="PostgreSQL with pgvector to publish the generation to (a new schema, switched to in one "
        "transaction). [env: INSPECTQA_DATABASE_URL]",
    ),
]


def _settings(**overrides: Any) -> Any:
    from pydantic import ValidationError

    from inspectqa.settings import Settings

    try:
        return Settings(**{key: value for key, value in overrides.items() if value is not None})
    except ValidationError as error:
        raise ConfigError(f"invalid settings: {error.errors()[0]['msg']}") from error


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@index_app.command("build")
def build_command(
    corpus: CorpusOption = None,
    index: IndexOption = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=0, help="Index only the first N reports.")
    ] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
    database_url: DatabaseOption = None,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="ADDRESS|local",
            help="Read, chunk and embed on a Ray cluster (`local`: a one-machine cluster on 127.0.0.1).",
        ),
    ] = None,
) -> None:
    """Build the index, or bring it up to date: only new and changed reports are embedded.

    With a database URL, the directory's new generation is then published to PostgreSQL as well.
    """
    settings = _settings(corpus=corpus, index=index, database_url=database_url)
    if ray:
        from indexer.ray_build import build_on_ray

        report = build_on_ray(settings.corpus, settings.index, settings, ray, limit=limit, progress=progress)
    else:
        from indexer.build import build
        from service.answers.grounding.alignment import passage_units  # what grounding compares

        report = build(settings.corpus, settings.index, settings, limit, progress, passage_units)
    rate = report.embedded_chunks / report.embed_seconds if report.embed_seconds else 0.0
    typer.echo(
        f"indexed {report.reports_indexed} reports into {settings.index} in {report.seconds:.1f} s: "
        f"{report.chunks} chunks, {report.pages} pages; "
        f"{report.reports_added} added, {report.reports_updated} updated, {report.reports_removed} removed, "
        f"{report.reports_unchanged} unchanged"
    )
    typer.echo(
        f"embedded {report.embedded_chunks} chunks ({report.embedded_tokens} tokens) in "
        f"{report.embed_seconds:.1f} s ({rate:.1f} chunks/s); "
        f"longest input {report.max_chunk_tokens} tokens; peak memory {_peak_rss_mb()} MB"
    )
    if report.embedded_units:
        typer.echo(
            f"embedded {report.embedded_units} passage units (sentences, pairs, words) for grounding in "
            f"{report.unit_embed_seconds:.1f} s"
        )
    if report.rebuild_reason:
        typer.echo(f"read and embedded every report again: {report.rebuild_reason}")
    if report.reports_failed:
        typer.echo(f"skipped {len(report.reports_failed)} files:")
        for failure in report.reports_failed:
            typer.echo(f"  {failure['file']}: {failure['error']}")
    if settings.database_url is not None:
        _publish(settings, force=False)


def _publish(settings: Any, force: bool) -> None:
    from indexer.generations import open_index
    from indexer.pg import redacted
    from indexer.pg_publish import publish

    url = settings.database_url.get_secret_value()
    opened = open_index(settings.index, settings)
    done = publish(opened, url, force=force, on_step=lambda step: typer.echo(f"publish: {step}", err=True))
    if done.unchanged:
        typer.echo(f"{redacted(url)} already serves generation {opened.generation}")
        return
    typer.echo(
        f"published {done.reports} reports, {done.chunks} chunks to {redacted(url)} as {done.generation} "
        f"in {done.seconds:.1f} s ({done.chunks_reused} reused in the database, {done.chunks_sent} sent)"
    )


@index_app.command("publish")
def publish_command(
    index: IndexOption = None,
    database_url: DatabaseOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Publish even when the database already serves this generation.")
    ] = False,
) -> None:
    """Publish the index directory's current generation to PostgreSQL, switching services to it."""
    settings = _settings(index=index, database_url=database_url)
    if settings.database_url is None:
        raise ConfigError(
            "publish needs a database", hint="pass --database-url or set INSPECTQA_DATABASE_URL"
        )
    _publish(settings, force)


@index_app.command("info")
def info_command(
    index: IndexOption = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="Describe the generation this PostgreSQL serves instead of a directory's. "
            "[env: INSPECTQA_DATABASE_URL]",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest and counts as JSON.")] = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify/--no-verify",
            help="Compare every file with the SHA-256 checksum its build recorded (about 0.1 s per 150 MB).",
        ),
    ] = True,
) -> None:
    """Show the index's manifest (model, chunker, versions, build time), counts and checksum status.

    With a database URL (as the service is given one), the generation that database serves: its
    ids, model, counts as its tables hold them, indexes and the generations kept beside it.
    """
    settings = _settings(index=index, database_url=database_url)
    if settings.database_url is not None:
        _database_info(settings, as_json)
        return
    from indexer.build import read_build_report
    from indexer.generations import open_index

    opened = open_index(settings.index, settings, verify=verify)
    manifest = {key: value for key, value in opened.manifest.items() if key not in {"reports", "failures"}}
    build_report = read_build_report(opened.path)
    check = opened.file_check
    info = {
        "path": str(opened.path),
        **manifest,
        "checksums": {**asdict(check), "status": check.describe()} if check else None,
        "vectors": opened.count(),
        "failures": opened.manifest.get("failures", {}),
        "last_build": build_report,
    }
    if as_json:
        typer.echo(json.dumps(info, indent=2))
        return
    model = manifest["model"]
    counts = manifest["counts"]
    typer.echo(f"index      {opened.path}")
    typer.echo(f"built      {manifest['built_at']} (generation {manifest['generation']})")
    typer.echo(f"corpus     {manifest['corpus']}")
    typer.echo(f"model      {model['name']} ({model['backend']}, {model['dimension']} dimensions)")
    typer.echo(f"chunker    {json.dumps(manifest['chunker'])}")
    extractor = manifest.get("extractor", {}).get("version")
    typer.echo(
        f"extractor  version {extractor}" if extractor else "extractor  not recorded (built before versions)"
    )
    typer.echo(
        f"counts     {counts['reports']} reports, {counts['chunks']} chunks, {counts['pages']} pages, "
        f"{counts['failed']} failed; longest input {counts['max_chunk_tokens']} tokens"
    )
    ann = manifest.get("ann")
    if ann:
        typer.echo(
            f"search     exact below {ann['threshold']:,} passages; {ann['kind']} ({ann['lists']} lists, "
            f"{ann['nprobe']} probed) in {ann['file']}"
        )
    units = manifest.get("unit_vectors")
    typer.echo(
        f"grounding  {units['count']:,} passage units stored ({units['dtype']})"
        if units
        else "grounding  no passage sentence vectors stored (the LLM path's checker embeds them)"
    )
    typer.echo(f"last build {build_report['seconds']} s, {build_report['embedded_chunks']} chunks embedded")
    if check is not None:
        typer.echo(f"checksums  {check.describe()}")
    typer.echo("versions   " + ", ".join(f"{k} {v}" for k, v in manifest["versions"].items()))
    for file, failure in info["failures"].items():
        typer.echo(f"failed     {file}: {failure['error']}")


def _database_info(settings: Any, as_json: bool) -> None:
    from indexer.pg import describe_served
    from indexer.sources import open_database

    database = open_database(settings)
    try:
        info = describe_served(database)
    finally:
        database.close()
    if as_json:
        typer.echo(json.dumps(info, indent=2))
        return
    model, counts, recorded = info["model"], info["counts"], info["manifest_counts"]
    versions = info["versions"]
    server = f"PostgreSQL {versions['postgresql']}, pgvector {versions['pgvector']}"
    typer.echo(f"database   {info['database']} ({server})")
    typer.echo(f"serving    {info['generation']} (schema {info['schema']}, switched {info['switched_at']})")
    typer.echo(f"built      {info['built_at']} (directory generation {info['directory_generation']})")
    typer.echo(
        f"model      {model.get('name')} ({model.get('backend')}, {model.get('dimension')} dimensions)"
    )
    typer.echo(f"chunker    {json.dumps(info['chunker'])}")
    agreement = "as its manifest records" if info["counts_match"] else f"the manifest records {recorded}"
    typer.echo(
        f"counts     {counts['reports']} reports, {counts['chunks']} chunks, {counts['pages']} pages, "
        f"{counts['judgements']} judgements ({agreement})"
    )
    sizes = ", ".join(f"{i['name']} {i['method']} {i['bytes'] / 2**20:.1f} MB" for i in info["indexes"])
    typer.echo(f"chunks     {info['chunks_bytes'] / 2**20:.1f} MB with indexes: {sizes}")
    for kept in info["generations"]:
        mark = "served" if kept["served"] else kept["state"]
        typer.echo(f"generation {kept['generation']} ({mark}, finished {kept['finished_at']})")


def search_command(
    query: Annotated[str, typer.Argument(help="What to look for, in plain words.")],
    index: IndexOption = None,
    k: Annotated[int, typer.Option("-k", "--top", min=1, max=100, help="Passages per list.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the three lists as JSON.")] = False,
) -> None:
    """Show the top passages for a query: dense, lexical and fused (RRF), to inspect the index."""
    from indexer.embedding import load_embedder
    from indexer.fusion import reciprocal_rank_fusion
    from indexer.sources import open_search_index
    from inspectqa.errors import BadQuestion

    if not query.strip():
        raise BadQuestion("the query is empty")
    settings = _settings(index=index)
    opened = open_search_index(settings)
    embedder = load_embedder(settings)
    dense = opened.dense_search(embedder.encode([query]), k * 4)[0]
    lexical = opened.lexical_search(query, k * 4)
    fused = reciprocal_rank_fusion([dense, lexical], limit=k)
    lists = {"dense": dense[:k], "lexical": lexical[:k], "fused": fused}
    chunks = {c_id: c for c_id, c in zip(*_chunk_map(opened, lists), strict=True)}
    result: dict[str, Any] = {"query": query, "index": opened.location}
    for name, ranking in lists.items():
        result[name] = [
            {"row_id": row_id, "score": round(score, 4), **asdict(chunks[row_id])}
            for row_id, score in ranking
        ]
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    for name in lists:
        typer.secho(f"== {name} ==", bold=True)
        if not result[name]:
            typer.echo("  (nothing)")
        for rank, hit in enumerate(result[name], start=1):
            pages = ",".join(str(p) for p in hit["pages"])
            paragraphs = f" ¶{','.join(hit['paragraphs'])}" if hit["paragraphs"] else ""
            typer.echo(
                f"{rank:>2}. {hit['score']:.4f}  {hit['local_authority']} {hit['publication_date'] or ''}  "
                f"p.{pages}{paragraphs}  [{hit['section'][:60]}]  {hit['chunk_id']}"
            )
            snippet = " ".join(hit["text"].split())
            typer.echo(f"      {snippet[:220]}{'…' if len(snippet) > 220 else ''}")


def _chunk_map(opened: Any, lists: dict[str, list[tuple[int, float]]]) -> tuple[list[int], list[Any]]:
    ids = list(dict.fromkeys(row_id for ranking in lists.values() for row_id, _ in ranking))
    return ids, opened.chunks(ids)
