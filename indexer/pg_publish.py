"""Publishing an index generation into PostgreSQL: a new schema, switched to in one transaction.

``publish(index, url)`` copies one directory generation (built incrementally by ``indexer.build``,
or by the Ray pipeline) into the database as a new generation, in these steps, each printed by
``on_step`` so an operator (or a test that kills the process) can see where it is:

1. ``locked``: takes the database's build lock (``pg_advisory_lock``, released by the server when
   the connection dies, even on ``kill -9``) and drops what dead publishes left (schemas of
   generations still ``building``, generations older than the previous one);
2. ``created``: a row ``building`` in ``inspectqa.generations`` and a fresh schema ``gen_<id>``,
   in one transaction;
3. ``copied reports``: reports, pages and judgements;
4. ``copied chunks``: passages and vectors. Reports whose content hash is unchanged since the served
   generation, with the same row and chunk ids, are copied inside the database (``INSERT ...
   SELECT`` from the served schema: no vectors cross the network); only new and changed ones are
   sent (``COPY``);
5. ``indexed``: the HNSW index on the vectors, the GIN index on the ``tsvector``, ``ANALYZE``;
6. ``switched``: in ONE transaction, the counts are checked, ``inspectqa.served`` is pointed at the
   new generation and it is marked ``ready``. Until that commit, every reader sees the previous
   generation, whatever happens to the publishing process.

The service connects read-only and never runs any of this.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from indexer.backend import SearchIndex
from indexer.pg import CONTROL_SCHEMA, TEXT_SEARCH_CONFIG, binary_copy, redacted, schema_name
from indexer.store import SQLITE_FILE, Index
from inspectqa.errors import ConfigError, IndexCorrupt, IndexNotFound

BUILD_LOCK = 0x1A5_9E_C7  # pg_advisory_lock key of inspectqa builds
KEEP_PREVIOUS = 1  # ready generations kept besides the served one, for services still reading them
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64
COPY_BATCH = 2000

CONTROL = f"""
CREATE EXTENSION IF NOT EXISTS vector;
CREATE SCHEMA IF NOT EXISTS {CONTROL_SCHEMA};
CREATE TABLE IF NOT EXISTS {CONTROL_SCHEMA}.generations (
    generation TEXT PRIMARY KEY,
    schema_name TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('building', 'ready')),
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS {CONTROL_SCHEMA}.served (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    generation TEXT NOT NULL REFERENCES {CONTROL_SCHEMA}.generations(generation),
    schema_name TEXT NOT NULL,
    manifest JSONB NOT NULL,
    switched_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
"""


def generation_tables(schema: str, dimension: int) -> str:
    return f"""
CREATE TABLE {schema}.reports (
    report_id TEXT PRIMARY KEY, local_authority TEXT NOT NULL, publication_date TEXT,
    inspection_start TEXT, inspection_end TEXT, source_url TEXT, file TEXT NOT NULL, framework TEXT,
    urn TEXT, n_pages INTEGER NOT NULL, content_hash TEXT NOT NULL
);
CREATE TABLE {schema}.pages (
    report_id TEXT NOT NULL, number INTEGER NOT NULL, "offset" INTEGER NOT NULL, text TEXT NOT NULL,
    PRIMARY KEY (report_id, number)
);
CREATE TABLE {schema}.judgements (
    report_id TEXT NOT NULL, seq INTEGER NOT NULL, area TEXT NOT NULL, grade TEXT NOT NULL,
    text TEXT NOT NULL, page INTEGER NOT NULL, PRIMARY KEY (report_id, seq)
);
CREATE TABLE {schema}.chunks (
    row_id BIGINT PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, report_id TEXT NOT NULL,
    local_authority TEXT NOT NULL, publication_date TEXT, section TEXT NOT NULL,
    paragraphs TEXT NOT NULL, pages TEXT NOT NULL, "start" INTEGER NOT NULL, "end" INTEGER NOT NULL,
    page_start INTEGER NOT NULL, page_end INTEGER NOT NULL, text TEXT NOT NULL, n_tokens INTEGER NOT NULL,
    embedding vector({int(dimension)}) NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('{TEXT_SEARCH_CONFIG}', text), 'A')
        || setweight(to_tsvector('{TEXT_SEARCH_CONFIG}', section), 'B')
        || setweight(to_tsvector('{TEXT_SEARCH_CONFIG}', local_authority), 'B')
    ) STORED
);
"""


REPORT_COLUMNS = (
    "report_id, local_authority, publication_date, inspection_start, inspection_end, source_url, "
    "file, framework, urn, n_pages, content_hash"
)
PAGE_COLUMNS = 'report_id, number, "offset", text'
JUDGEMENT_COLUMNS = "report_id, seq, area, grade, text, page"
CHUNK_COLUMNS = (
    "row_id, chunk_id, report_id, local_authority, publication_date, section, paragraphs, pages, "
    '"start", "end", page_start, page_end, text, n_tokens'
)
# The types of CHUNK_COLUMNS and the embedding, for the binary COPY.
CHUNK_TYPES = ("bigint", *["text"] * 7, *["integer"] * 4, "text", "integer", "vector")


@dataclass(frozen=True)
class Published:
    """What one publish did."""

    generation: str
    schema: str
    reports: int
    chunks: int
    chunks_reused: int  # copied inside the database from the served generation
    chunks_sent: int  # sent from the directory generation
    seconds: float
    unchanged: bool = False  # the database already served this directory generation


def connect(url: str) -> Any:
    try:
        import psycopg
    except ImportError as error:  # pragma: no cover - the scale extra is missing
        raise ConfigError("PostgreSQL needs psycopg", hint="pip install 'inspectqa[scale]'") from error
    try:
        return psycopg.connect(url, autocommit=False)
    except psycopg.OperationalError as error:
        raise IndexNotFound(
            f"cannot connect to the database at {redacted(url)}: {error}",
            hint="check INSPECTQA_DATABASE_URL and that the server is running",
        ) from error


def publish(
    index: Index, url: str, *, force: bool = False, on_step: Callable[[str], None] | None = None
) -> Published:
    """Publish the directory generation ``index`` as the database's served generation."""
    started = time.perf_counter()
    step = on_step or (lambda _message: None)
    connection = connect(url)
    try:
        connection.execute("SELECT pg_advisory_lock(%s)", (BUILD_LOCK,))
        connection.execute(CONTROL)
        connection.commit()
        _drop_dead(connection)
        served = _served(connection)
        same = served is not None and served[2].get("generation") == index.manifest.get("generation")
        if same and not force and served is not None:
            step(f"unchanged: the database already serves {index.generation}")
            return Published(served[0], served[1], len(index.reports()), index.count(), 0, 0, 0.0, True)
        step("locked")

        generation = f"{index.generation}.{secrets.token_hex(2)}"
        schema = schema_name(generation)
        dimension = int(index.manifest["model"]["dimension"])
        connection.execute(
            f"INSERT INTO {CONTROL_SCHEMA}.generations (generation, schema_name, state) "
            "VALUES (%s, %s, 'building')",
            (generation, schema),
        )
        connection.execute(f"CREATE SCHEMA {schema}")
        connection.execute(generation_tables(schema, dimension))
        connection.commit()
        step(f"created {schema}")

        source = sqlite3.connect(f"file:{index.path / SQLITE_FILE}?mode=ro&immutable=1", uri=True)
        try:
            reports = _copy_table(connection, source, schema, "reports", REPORT_COLUMNS)
            _copy_table(connection, source, schema, "pages", PAGE_COLUMNS)
            _copy_table(connection, source, schema, "judgements", JUDGEMENT_COLUMNS)
            connection.commit()
            step(f"copied reports: {reports}")
            reused, sent = _copy_chunks(connection, source, index, schema, served)
            connection.commit()
            step(f"copied chunks: {reused} reused in the database, {sent} sent")
        finally:
            source.close()

        connection.execute("SET maintenance_work_mem = '512MB'")
        connection.execute(
            f"CREATE INDEX ON {schema}.chunks USING hnsw (embedding vector_ip_ops) "
            f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})"
        )
        connection.execute(f"CREATE INDEX ON {schema}.chunks USING gin (tsv)")
        connection.execute(f"CREATE INDEX ON {schema}.chunks (report_id)")
        connection.commit()
        connection.execute(f"ANALYZE {schema}.chunks")
        connection.commit()
        step("indexed")

        # The switch: one transaction. Before its commit every reader sees the previous generation.
        count = connection.execute(f"SELECT COUNT(*) FROM {schema}.chunks").fetchone()[0]
        if count != index.count():
            raise IndexCorrupt(f"{schema} received {count} chunks of {index.count()}")
        manifest = {**index.manifest, "database_generation": generation}
        connection.execute(
            f"INSERT INTO {CONTROL_SCHEMA}.served (singleton, generation, schema_name, manifest) "
            "VALUES (TRUE, %s, %s, %s) ON CONFLICT (singleton) DO UPDATE SET "
            "generation = EXCLUDED.generation, schema_name = EXCLUDED.schema_name, "
            "manifest = EXCLUDED.manifest, switched_at = now()",
            (generation, schema, json.dumps(manifest)),
        )
        connection.execute(
            f"UPDATE {CONTROL_SCHEMA}.generations SET state = 'ready', finished_at = now() "
            "WHERE generation = %s",
            (generation,),
        )
        connection.commit()
        step(f"switched to {generation}")
        _drop_old(connection)
        return Published(
            generation, schema, reports, count, reused, sent, round(time.perf_counter() - started, 3)
        )
    finally:
        connection.rollback()
        connection.close()


def _served(connection: Any) -> tuple[str, str, dict[str, Any]] | None:
    row = connection.execute(
        f"SELECT generation, schema_name, manifest FROM {CONTROL_SCHEMA}.served"
    ).fetchone()
    connection.commit()
    return None if row is None else (row[0], row[1], row[2])


def _drop_dead(connection: Any) -> None:
    """Drop generations a dead publish left ``building`` (we hold the lock, so none is alive)."""
    rows = connection.execute(
        f"SELECT generation, schema_name FROM {CONTROL_SCHEMA}.generations WHERE state = 'building'"
    ).fetchall()
    for generation, schema in rows:
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        connection.execute(f"DELETE FROM {CONTROL_SCHEMA}.generations WHERE generation = %s", (generation,))
    connection.commit()


def _drop_old(connection: Any) -> None:
    """Keep the served generation and the ``KEEP_PREVIOUS`` before it; drop older ones."""
    rows = connection.execute(
        f"SELECT g.generation, g.schema_name FROM {CONTROL_SCHEMA}.generations g "
        f"WHERE g.state = 'ready' AND g.generation <> (SELECT generation FROM {CONTROL_SCHEMA}.served) "
        "ORDER BY g.finished_at DESC"
    ).fetchall()
    for generation, schema in rows[KEEP_PREVIOUS:]:
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        connection.execute(f"DELETE FROM {CONTROL_SCHEMA}.generations WHERE generation = %s", (generation,))
    connection.commit()


def _copy_table(connection: Any, source: sqlite3.Connection, schema: str, table: str, columns: str) -> int:
    rows = 0
    with connection.cursor().copy(f"COPY {schema}.{table} ({columns}) FROM STDIN") as copy:
        for row in source.execute(f"SELECT {columns} FROM {table}"):
            copy.write_row(row)
            rows += 1
    return rows


def _copy_chunks(
    connection: Any,
    source: sqlite3.Connection,
    index: Index,
    schema: str,
    served: tuple[str, str, dict[str, Any]] | None,
) -> tuple[int, int]:
    """Chunks and vectors: unchanged reports' rows from the served schema, the rest sent."""
    reusable = _reusable_reports(connection, source, index, served)
    reused = 0
    if reusable and served is not None:
        cursor = connection.execute(
            f"INSERT INTO {schema}.chunks ({CHUNK_COLUMNS}, embedding) "
            f"SELECT {CHUNK_COLUMNS}, embedding FROM {served[1]}.chunks WHERE report_id = ANY(%s)",
            (sorted(reusable),),
        )
        reused = cursor.rowcount
    sent = 0
    rows = [
        row
        for row in source.execute(f"SELECT {CHUNK_COLUMNS} FROM chunks ORDER BY row_id")
        if row[2] not in reusable
    ]
    with binary_copy(connection, f"COPY {schema}.chunks ({CHUNK_COLUMNS}, embedding)", CHUNK_TYPES) as copy:
        for first in range(0, len(rows), COPY_BATCH):
            batch = rows[first : first + COPY_BATCH]
            vectors = index.vectors([row[0] for row in batch])
            for row, vector in zip(batch, vectors, strict=True):
                copy.write_row((*row, vector))
            sent += len(batch)
    return reused, sent


def _reusable_reports(
    connection: Any, source: sqlite3.Connection, index: Index, served: tuple[str, str, dict[str, Any]] | None
) -> set[str]:
    """Reports whose rows in the served schema are this generation's: same model, chunker, extractor
    and content hash, and the very same (row id, chunk id) pairs."""
    if served is None:
        return set()
    old = served[2]
    if any(old.get(key) != index.manifest.get(key) for key in ("model", "chunker", "extractor")):
        return set()
    old_reports = old.get("reports", {})
    candidates = {
        report_id
        for report_id, entry in index.manifest.get("reports", {}).items()
        if old_reports.get(report_id, {}).get("content_hash") == entry.get("content_hash")
    }
    if not candidates:
        return set()
    ids = sorted(candidates)
    mine = _pairs(source.execute(_pairs_sql(len(ids)), ids).fetchall())
    theirs = _pairs(
        connection.execute(
            f"SELECT report_id, row_id, chunk_id FROM {served[1]}.chunks WHERE report_id = ANY(%s)", (ids,)
        ).fetchall()
    )
    return {report_id for report_id in candidates if mine.get(report_id) == theirs.get(report_id)}


def _pairs_sql(n: int) -> str:
    return f"SELECT report_id, row_id, chunk_id FROM chunks WHERE report_id IN ({','.join('?' * n)})"


def _pairs(rows: Sequence[tuple[Any, ...]]) -> dict[str, set[tuple[int, str]]]:
    found: dict[str, set[tuple[int, str]]] = {}
    for report_id, row_id, chunk_id in rows:
        found.setdefault(report_id, set()).add((int(row_id), chunk_id))
    return found


def served_index(url: str, model_name: str) -> SearchIndex:
    """The served generation, opened read-only with a small pool of its own (for CLIs and tests)."""
    from indexer.pg import Database, open_pg_index

    return open_pg_index(Database(url, size=2), model_name)
