"""One generation of the index on disk: ``index.faiss`` + ``index.sqlite`` + ``manifest.json``.

Why two files: FAISS holds the vectors (``IndexIDMap2`` over ``IndexFlatIP``: exact inner product on
unit vectors, i.e. cosine), keyed by the chunk's row id; SQLite holds everything a person or the service
reads (reports with their metadata, page texts for the citation viewer, judgements, sections, chunks)
and an FTS5 table with porter stemming for keyword search. Both can be opened with standard tools.

A generation is written once by ``indexer.build`` and never changed after it is published, so any
number of readers can use it at once; ``Index`` keeps one read-only SQLite connection per thread,
opened ``immutable`` so that reading never writes to the file (no journal, no lock bytes, no
checkpoint): the generation keeps the bytes its manifest's checksums describe.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import faiss
import numpy as np

from corpus.records import Judgement, Report
from indexer import ann
from indexer.ann import build_ivf, flat_contents, read_approximate
from indexer.records import Chunk, FileCheck
from indexer.unit_vectors import UnitVectors
from inspectqa.errors import IndexCorrupt, NotFound

FAISS_FILE = "index.faiss"
SQLITE_FILE = "index.sqlite"
MANIFEST_FILE = "manifest.json"
BUILD_REPORT_FILE = "build-report.json"

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE reports (
    report_id TEXT PRIMARY KEY,
    local_authority TEXT NOT NULL,
    publication_date TEXT,
    inspection_start TEXT,
    inspection_end TEXT,
    source_url TEXT,
    file TEXT NOT NULL,
    framework TEXT,
    urn TEXT,
    n_pages INTEGER NOT NULL,
    content_hash TEXT NOT NULL
);
CREATE TABLE pages (
    report_id TEXT NOT NULL REFERENCES reports(report_id),
    number INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (report_id, number)
);
CREATE TABLE sections (
    report_id TEXT NOT NULL REFERENCES reports(report_id),
    seq INTEGER NOT NULL,
    title TEXT NOT NULL,
    grade TEXT,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    PRIMARY KEY (report_id, seq)
);
CREATE TABLE judgements (
    report_id TEXT NOT NULL REFERENCES reports(report_id),
    seq INTEGER NOT NULL,
    area TEXT NOT NULL,
    grade TEXT NOT NULL,
    text TEXT NOT NULL,
    page INTEGER NOT NULL,
    PRIMARY KEY (report_id, seq)
);
CREATE TABLE chunks (
    row_id INTEGER PRIMARY KEY,  -- the FAISS id
    chunk_id TEXT NOT NULL UNIQUE,
    report_id TEXT NOT NULL REFERENCES reports(report_id),
    local_authority TEXT NOT NULL,
    publication_date TEXT,
    section TEXT NOT NULL,
    paragraphs TEXT NOT NULL,  -- JSON list of paragraph numbers
    pages TEXT NOT NULL,  -- JSON list of page numbers
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    page_start INTEGER NOT NULL,
    page_end INTEGER NOT NULL,
    text TEXT NOT NULL,
    n_tokens INTEGER NOT NULL
);
CREATE INDEX chunks_report ON chunks(report_id);
CREATE VIRTUAL TABLE chunks_fts USING fts5(
    text, section, local_authority,
    content='chunks', content_rowid='row_id',
    tokenize='porter unicode61 remove_diacritics 2'
);
"""

# Words that match nearly every chunk: dropped from keyword queries unless nothing else is left.
_STOPWORDS = (
    "a an and are as at be been by for from has have how in is it its of on or that the their this to "
    "was were what when where which who why will with"
)
STOPWORDS = frozenset(_STOPWORDS.split(" "))
MAX_QUERY_TERMS = 64
# A filtered keyword search asks FTS5 for each range of consecutive row ids, up to this many.
MAX_ROW_RANGES = 16


@dataclass(frozen=True)
class ReportMeta:
    """A report as the index knows it (no text): what lists, filters and citations need."""

    report_id: str
    local_authority: str
    publication_date: str | None
    inspection_start: str | None
    inspection_end: str | None
    source_url: str | None
    file: str
    framework: str | None
    n_pages: int
    content_hash: str


def create_schema(connection: sqlite3.Connection) -> None:
    connection.executescript(SCHEMA)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def insert_report(connection: sqlite3.Connection, report: Report) -> None:
    """The report's rows (metadata, pages, sections, judgements); its chunks go in ``insert_chunks``."""
    source = report.source
    connection.execute(
        "INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            report.report_id,
            report.local_authority,
            _iso(report.publication_date),
            _iso(report.inspection_start or source.inspection_start),
            _iso(report.inspection_end or source.inspection_end),
            source.source_url,
            str(Path(source.path).resolve()),
            source.framework,
            source.urn,
            len(report.pages),
            report.content_hash,
        ),
    )
    connection.executemany(
        "INSERT INTO pages VALUES (?, ?, ?, ?)",
        [(report.report_id, page.number, page.offset, page.text) for page in report.pages],
    )
    connection.executemany(
        "INSERT INTO sections VALUES (?, ?, ?, ?, ?, ?)",
        [(report.report_id, i, s.title, s.grade, s.start, s.end) for i, s in enumerate(report.sections)],
    )
    connection.executemany(
        "INSERT INTO judgements VALUES (?, ?, ?, ?, ?, ?)",
        [(report.report_id, i, j.area, j.grade, j.text, j.page) for i, j in enumerate(report.judgements)],
    )


def insert_chunks(connection: sqlite3.Connection, chunks: Sequence[Chunk], row_ids: Sequence[int]) -> None:
    rows = [
        (
            row_id,
            c.chunk_id,
            c.report_id,
            c.local_authority,
            c.publication_date,
            c.section,
            json.dumps(list(c.paragraphs)),
            json.dumps(list(c.pages)),
            c.start,
            c.end,
            c.page_start,
            c.page_end,
            c.text,
            c.n_tokens,
        )
        for c, row_id in zip(chunks, row_ids, strict=True)
    ]
    connection.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    connection.executemany(
        "INSERT INTO chunks_fts(rowid, text, section, local_authority) VALUES (?, ?, ?, ?)",
        [(row[0], row[12], row[5], row[3]) for row in rows],
    )


def delete_reports(connection: sqlite3.Connection, report_ids: Iterable[str]) -> list[int]:
    """Remove reports and everything of theirs; returns the row ids of their chunks (for FAISS)."""
    removed: list[int] = []
    for report_id in report_ids:
        rows = connection.execute(
            "SELECT row_id, text, section, local_authority FROM chunks WHERE report_id = ?", (report_id,)
        ).fetchall()
        # External-content FTS5: a row leaves the full-text index by a 'delete' with its old values.
        connection.executemany(
            "INSERT INTO chunks_fts(chunks_fts, rowid, text, section, local_authority) "
            "VALUES ('delete', ?, ?, ?, ?)",
            rows,
        )
        removed.extend(row[0] for row in rows)
        for table in ("chunks", "judgements", "sections", "pages", "reports"):
            connection.execute(f"DELETE FROM {table} WHERE report_id = ?", (report_id,))
    return removed


def new_faiss_index(dimension: int) -> Any:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))


def fts_query(text: str) -> str | None:
    """A safe FTS5 MATCH expression for arbitrary user text: quoted word tokens joined by OR.

    Every term is a double-quoted string of word characters, so no user input can be read as FTS5
    syntax (quotes, AND/OR/NOT/NEAR, column filters, ``*``, ``^``, parentheses). ``None`` when the
    text has no words at all.
    """
    words = [w.lower() for w in re.findall(r"\w+", text, flags=re.UNICODE)]
    words = [w for w in words if w.strip("_")]
    content = [w for w in words if w not in STOPWORDS] or words
    unique = list(dict.fromkeys(content))[:MAX_QUERY_TERMS]
    if not unique:
        return None
    return " OR ".join(f'"{word}"' for word in unique)


class Index:
    """The read side of one generation: thread-safe for concurrent readers."""

    def __init__(
        self, path: Path, manifest: dict[str, Any], *, exact_max_passages: int | None = None
    ) -> None:
        """``exact_max_passages``: for a generation built before the build wrote its IVF (no ``ann`` in
        its manifest), the size past which one is built here (``indexer.ann``)."""
        self.path = path
        self.manifest = manifest
        self.file_check: FileCheck | None = None  # set by ``open_index``: what it verified
        self._local = threading.local()
        self._faiss: Any = cast(Any, faiss.read_index(str(path / FAISS_FILE)))
        dimension = int(manifest["model"]["dimension"])
        if self._faiss.d != dimension:
            raise IndexCorrupt(f"{path / FAISS_FILE} has dimension {self._faiss.d}, the manifest {dimension}")
        total = int(self._faiss.ntotal)
        self._vectors, self._ids = flat_contents(self._faiss)
        self._position = {int(row_id): position for position, row_id in enumerate(self._ids)}
        # Past a size, unrestricted searches use an approximate index: the one the build wrote, or
        # for an older generation one made here from these vectors (indexer.ann).
        self.approximate: Any = None
        record = manifest.get("ann")
        if record:
            self.approximate = read_approximate(path, record, total, dimension)
        elif "ann" not in manifest and ann.wants_approximate(total, exact_max_passages):
            log.warning(
                "index generation %s has %d passages and no approximate index on disk (built before "
                "builds wrote one): building its IVF now; the next `inspectqa index build` writes it",
                path,
                total,
            )
            self.approximate = build_ivf(self._vectors, self._ids)
        stored = self._sql().execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        if stored != total:
            raise IndexCorrupt(f"{path} has {total} vectors but {stored} chunks", hint="rebuild the index")
        # The passages' sentence vectors for the grounding checker, when the build stored them.
        self.unit_vectors: UnitVectors | None = UnitVectors.open(path) if "unit_vectors" in manifest else None
        if self.unit_vectors is not None and self.unit_vectors.dimension != dimension:
            raise IndexCorrupt(f"{path} has unit vectors of dimension {self.unit_vectors.dimension}")

    # --- connections ---------------------------------------------------------------------------
    def _sql(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            uri = f"file:{self.path / SQLITE_FILE}?mode=ro&immutable=1"
            connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            connection.row_factory = sqlite3.Row
            self._local.connection = connection
        return connection

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    # --- what it is ------------------------------------------------------------------------------
    @property
    def generation(self) -> str:
        """The generation's id: its directory's name (``generations/<id>``)."""
        return self.path.name

    @property
    def location(self) -> str:
        return str(self.path)

    # --- reports -----------------------------------------------------------------------------
    def count(self) -> int:
        return int(self._faiss.ntotal)

    def reports(self) -> list[ReportMeta]:
        rows = self._sql().execute(
            f"SELECT {', '.join(_REPORT_FIELDS)} FROM reports ORDER BY local_authority, publication_date"
        )
        return [ReportMeta(*row) for row in rows]

    def report(self, report_id: str) -> ReportMeta:
        row = (
            self._sql()
            .execute(f"SELECT {', '.join(_REPORT_FIELDS)} FROM reports WHERE report_id = ?", (report_id,))
            .fetchone()
        )
        if row is None:
            raise NotFound(f"no report {report_id!r} in the index")
        return ReportMeta(*row)

    def judgements(self, report_id: str) -> list[Judgement]:
        self.report(report_id)
        rows = self._sql().execute(
            "SELECT area, grade, text, page FROM judgements WHERE report_id = ? ORDER BY seq", (report_id,)
        )
        return [Judgement(area=r[0], grade=r[1], text=r[2], page=r[3]) for r in rows]

    def sections(self, report_id: str) -> list[dict[str, Any]]:
        rows = self._sql().execute(
            'SELECT title, grade, start, "end" FROM sections WHERE report_id = ? ORDER BY seq', (report_id,)
        )
        return [dict(row) for row in rows]

    def page_text(self, report_id: str, page: int) -> str:
        row = (
            self._sql()
            .execute("SELECT text FROM pages WHERE report_id = ? AND number = ?", (report_id, page))
            .fetchone()
        )
        if row is None:
            self.report(report_id)
            raise NotFound(f"report {report_id!r} has no page {page}")
        return str(row[0])

    # --- chunks ------------------------------------------------------------------------------
    def chunks(self, row_ids: Sequence[int]) -> list[Chunk]:
        """The chunks with these row ids, in the order asked (unknown ids raise ``NotFound``)."""
        ids = [int(i) for i in row_ids]
        if not ids:
            return []
        found: dict[int, Chunk] = {}
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            marks = ",".join("?" * len(batch))
            cursor = self._sql().cursor()
            cursor.row_factory = None  # plain tuples, read by position: faster than named rows
            for row in cursor.execute(
                f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE row_id IN ({marks})", batch
            ):
                found[row[0]] = _chunk(row)
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"no chunks with row ids {missing[:5]} in the index")
        return [found[i] for i in ids]

    def chunk_ids_for_reports(self, report_ids: Sequence[str]) -> np.ndarray:
        ids: list[int] = []
        for start in range(0, len(report_ids), 500):
            batch = list(report_ids[start : start + 500])
            marks = ",".join("?" * len(batch))
            rows = self._sql().execute(
                f"SELECT row_id FROM chunks WHERE report_id IN ({marks}) ORDER BY row_id", batch
            )
            ids.extend(row[0] for row in rows)
        return np.asarray(sorted(ids), dtype=np.int64)

    def vectors(self, row_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """The stored vectors of these rows (a copy), e.g. to reuse them in the next generation."""
        positions = [self._position[int(i)] for i in row_ids]
        return np.array(self._vectors[positions], dtype=np.float32)

    def dense_search(
        self, query_vectors: np.ndarray, k: int, row_ids: np.ndarray | None = None
    ) -> list[list[tuple[int, float]]]:
        """Top ``k`` (row id, cosine) per query vector, optionally only among ``row_ids``."""
        queries = np.ascontiguousarray(np.atleast_2d(query_vectors), dtype=np.float32)
        if k <= 0 or self.count() == 0:
            return [[] for _ in range(len(queries))]
        if row_ids is None:
            searcher = self.approximate if self.approximate is not None else self._faiss
            scores, ids = searcher.search(queries, min(k, self.count()))
            return [
                [(int(i), float(s)) for i, s in zip(id_row, score_row, strict=True) if i >= 0]
                for id_row, score_row in zip(ids, scores, strict=True)
            ]
        # A filter (some reports): exact scores over just those rows, straight from the stored matrix.
        allowed = np.asarray([i for i in np.asarray(row_ids).tolist() if int(i) in self._position])
        if allowed.size == 0:
            return [[] for _ in range(len(queries))]
        positions = np.asarray([self._position[int(i)] for i in allowed])
        similarity = queries @ self._vectors[positions].T
        results = []
        top = min(k, allowed.size)
        for row in similarity:
            best = np.argpartition(-row, top - 1)[:top]
            best = best[np.argsort(-row[best], kind="stable")]
            results.append([(int(allowed[b]), float(row[b])) for b in best])
        return results

    def lexical_search(
        self, query: str, k: int, report_ids: Sequence[str] | None = None
    ) -> list[tuple[int, float]]:
        """Top ``k`` (row id, score) by FTS5 BM25 with porter stemming; higher is better; never raises.

        With ``report_ids``, FTS5 is asked only for the row-id ranges of those reports' chunks
        (their rows are consecutive): a join on ``chunks.report_id`` would first score every
        passage of the corpus that holds a word ("children": nearly all), 15-25 ms, to keep a
        few. The scores are the same (BM25's statistics are the whole index's either way), and
        the rows reach the sort in the same order, so the same rows come back.
        """
        expression = fts_query(query)
        if expression is None or k <= 0:
            return []
        select = "SELECT chunks_fts.rowid, bm25(chunks_fts, 1.0, 0.5, 0.5) AS score FROM chunks_fts"
        params: list[Any] = []
        if report_ids is not None:
            if not report_ids:
                return []
            runs = _runs(self.chunk_ids_for_reports(report_ids).tolist())
            if not runs:
                return []
            if len(runs) <= MAX_ROW_RANGES:
                parts = []
                for first, last in runs:
                    parts.append(f"{select} WHERE chunks_fts MATCH ? AND chunks_fts.rowid BETWEEN ? AND ?")
                    params.extend((expression, first, last))
                sql = f"SELECT * FROM ({' UNION ALL '.join(parts)})"
            else:
                marks = ",".join("?" * len(report_ids))
                sql = (
                    f"{select} JOIN chunks ON chunks.row_id = chunks_fts.rowid"
                    f" WHERE chunks_fts MATCH ? AND chunks.report_id IN ({marks})"
                )
                params.append(expression)
                params.extend(report_ids)
        else:
            sql = f"{select} WHERE chunks_fts MATCH ?"
            params.append(expression)
        sql += " ORDER BY score LIMIT ?"
        params.append(int(k))
        rows = self._sql().execute(sql, params).fetchall()
        return [(int(row[0]), -float(row[1])) for row in rows]


def _runs(rows: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted row ids as (first, last) ranges of consecutive ids."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and row == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


_REPORT_FIELDS = (
    "report_id",
    "local_authority",
    "publication_date",
    "inspection_start",
    "inspection_end",
    "source_url",
    "file",
    "framework",
    "n_pages",
    "content_hash",
)


_CHUNK_COLUMNS = (
    "row_id, chunk_id, report_id, local_authority, publication_date, section, paragraphs, pages, "
    '"start", "end", page_start, page_end, text, n_tokens'
)


def _chunk(row: tuple[Any, ...]) -> Chunk:
    """A ``Chunk`` from a row of ``_CHUNK_COLUMNS``."""
    return Chunk(
        chunk_id=row[1],
        report_id=row[2],
        local_authority=row[3],
        publication_date=row[4],
        section=row[5],
        paragraphs=_json_tuple(row[6]),
        pages=_json_tuple(row[7]),
        start=row[8],
        end=row[9],
        page_start=row[10],
        page_end=row[11],
        text=row[12],
        n_tokens=row[13],
    )


@functools.lru_cache(maxsize=4096)
def _json_tuple(text: str) -> tuple[Any, ...]:
    """A stored JSON list (paragraph or page numbers) as a tuple; the same few lists recur."""
    return tuple(json.loads(text))
