"""What retrieval and answering need from an index, whatever stores it: the ``SearchIndex`` protocol.

Two backends implement it:

- ``indexer.store.Index``: the embedded default, one generation directory (FAISS + SQLite/FTS5)
  opened in the serving process (``indexer.open_index``);
- ``indexer.pg.PgIndex``: one generation held in PostgreSQL with pgvector (tables in a schema of
  its own, an HNSW index on the vectors, a ``tsvector`` GIN index for keywords), shared by any
  number of stateless service processes (``indexer.pg.open_pg_index``).

Everything above this seam (fusion, re-scoring, answers, grounding) is application code that reads
the index only through these methods, so both backends answer alike. Row ids are the backends'
shared key for a passage: stable across generations, the FAISS id in one and the primary key in
the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from corpus.records import Judgement
from indexer.records import Chunk
from indexer.store import ReportMeta
from indexer.unit_vectors import UnitVectors

DenseHits = list[list[tuple[int, float]]]  # per query vector: (row id, cosine), best first
LexicalHits = list[tuple[int, float]]  # (row id, score), higher is better


@runtime_checkable
class SearchIndex(Protocol):
    """One immutable index generation, readable from many threads at once."""

    @property
    def generation(self) -> str:
        """The generation's id: a new build, a new id (what a reload compares)."""
        ...

    @property
    def location(self) -> str:
        """Where it is, for people: a directory, or a database URL without its password plus schema."""
        ...

    @property
    def manifest(self) -> dict[str, Any]:
        """The build's manifest (model, chunker, counts, per-report content hashes, versions)."""
        ...

    @property
    def unit_vectors(self) -> UnitVectors | None:
        """The passages' sentence vectors for the grounding checker, when the build stored them."""
        ...

    def count(self) -> int:
        """Passages in the generation."""
        ...

    def reports(self) -> list[ReportMeta]:
        """Every report, by council then publication date."""
        ...

    def report(self, report_id: str) -> ReportMeta:
        """One report (``NotFound`` when there is none with this id)."""
        ...

    def judgements(self, report_id: str) -> list[Judgement]:
        """A report's judgements in the order the report gives them (``NotFound`` for no report)."""
        ...

    def page_text(self, report_id: str, page: int) -> str:
        """The cleaned text of one page (``NotFound`` for no such report or page)."""
        ...

    def chunks(self, row_ids: Sequence[int]) -> list[Chunk]:
        """The passages with these row ids, in the order asked (``NotFound`` for unknown ids)."""
        ...

    def chunk_ids_for_reports(self, report_ids: Sequence[str]) -> np.ndarray:
        """The row ids of these reports' passages, ascending (int64)."""
        ...

    def dense_search(self, query_vectors: np.ndarray, k: int, row_ids: np.ndarray | None = None) -> DenseHits:
        """Top ``k`` by cosine per query vector; with ``row_ids``, exactly among those rows only."""
        ...

    def lexical_search(self, query: str, k: int, report_ids: Sequence[str] | None = None) -> LexicalHits:
        """Top ``k`` by keyword relevance for arbitrary user text (never raises on odd input);
        with ``report_ids``, only those reports' passages."""
        ...

    def close(self) -> None:
        """Release what this thread or process holds (connections); the generation stays."""
        ...
