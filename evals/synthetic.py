"""Synthetic corpora for ``inspectqa bench scale``: N copies of a real index, as a real generation.

Copy 0 is the real index; copy c has every council renamed ("Essex" → "Essex c7", in report ids,
councils, chunk and page texts, judgements), its row ids moved by c × (largest row id + 1) and its
vectors perturbed (``perturbed``: Gaussian noise of norm ``noise``, made unit again, cosine to the
original about 0.96), so copies are near neighbours, not duplicates. ``write_generation`` writes
them as a generation directory the service opens like any other (``index.sqlite`` with FTS5,
``index.faiss``, the IVF past the threshold as a build writes it, a manifest with checksums), so a
``QAService`` answers from it: the cost of ``/ask`` and of keyword search at that size.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from indexer.ann import write_approximate
from indexer.generations import write_json
from indexer.integrity import record_files
from indexer.store import FAISS_FILE, MANIFEST_FILE, SQLITE_FILE, Index, create_schema, new_faiss_index

SEED = 7
DATED = re.compile(r"([-_ ]?\d{4}-\d{2}-\d{2})$")
TABLES = ("reports", "pages", "sections", "judgements", "chunks")


def perturbed(base: np.ndarray, copy: int, noise: float) -> np.ndarray:
    """Copy ``copy`` of the base vectors: itself for 0, else each moved by noise of norm ``noise``."""
    if copy == 0:
        return base
    rng = np.random.default_rng(SEED + copy)
    moved = base + rng.standard_normal(base.shape, dtype=np.float32) * (noise / np.sqrt(base.shape[1]))
    moved /= np.linalg.norm(moved, axis=1, keepdims=True)
    return moved.astype(np.float32)


def renamed(text: str, councils: re.Pattern[str], copy: int) -> str:
    return text if copy == 0 else councils.sub(lambda m: f"{m.group(0)} c{copy}", text)


def renamed_id(report_id: str, copy: int) -> str:
    """``essex-2014-03-21`` → ``essex-c7-2014-03-21`` (the council's part renamed, the date kept)."""
    if copy == 0:
        return report_id
    moved, found = DATED.subn(rf"-c{copy}\1", report_id, count=1)
    return moved if found else f"{report_id}-c{copy}"


def council_pattern(names: list[str]) -> re.Pattern[str]:
    """Any of these council names, longest first (so "North Yorkshire" wins over "York")."""
    ordered = sorted(set(names), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(name) for name in ordered) + r")\b")


def write_generation(
    source: Index,
    copies: int,
    folder: Path,
    vectors_of: Callable[[int], np.ndarray],
    *,
    exact_max_passages: int | None = None,
) -> tuple[Path, dict[str, Any]]:
    """``copies`` copies of ``source`` as a generation directory in ``folder``; returns it and what
    writing it cost (seconds for SQLite + FTS5, FAISS, the IVF; bytes). ``vectors_of(c)``: copy
    c's vectors, in the order of ``source``'s rows ascending."""
    digest = hashlib.sha256(f"{source.generation}:{copies}".encode()).hexdigest()[:8]
    generation = folder / f"synthetic-{copies}x-{digest}"
    generation.mkdir(parents=True)
    councils = council_pattern([meta.local_authority for meta in source.reports()])
    rows = source.chunk_ids_for_reports([meta.report_id for meta in source.reports()])
    stride = int(rows.max()) + 1 if len(rows) else 1
    costs: dict[str, Any] = {}

    started = time.perf_counter()
    connection = sqlite3.connect(generation / SQLITE_FILE)
    create_schema(connection)
    connection.execute(
        "ATTACH DATABASE ? AS real", (f"file:{source.path / SQLITE_FILE}?mode=ro&immutable=1",)
    )
    for copy in range(copies):
        connection.create_function(
            "moved", 1, lambda text, c=copy: renamed(text, councils, c), deterministic=True
        )
        connection.create_function("moved_id", 1, lambda rid, c=copy: renamed_id(rid, c), deterministic=True)
        for table in TABLES:
            columns = [row[1] for row in connection.execute(f"PRAGMA real.table_info({table})")]
            chosen = ", ".join(_moved(column, copy, stride) for column in columns)
            connection.execute(f"INSERT INTO main.{table} SELECT {chosen} FROM real.{table}")
    connection.execute(
        "INSERT INTO chunks_fts(rowid, text, section, local_authority) "
        "SELECT row_id, text, section, local_authority FROM chunks"
    )
    connection.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('optimize')")
    connection.commit()
    counts = {
        table: int(connection.execute(f"SELECT COUNT(*) FROM main.{table}").fetchone()[0])
        for table in ("reports", "chunks", "pages")
    }
    connection.execute("DETACH DATABASE real")
    connection.close()
    costs["sqlite_s"] = round(time.perf_counter() - started, 2)

    started = time.perf_counter()
    exact = new_faiss_index(int(source.manifest["model"]["dimension"]))
    for copy in range(copies):
        exact.add_with_ids(vectors_of(copy), rows + copy * stride)
    faiss.write_index(exact, str(generation / FAISS_FILE))
    costs["faiss_s"] = round(time.perf_counter() - started, 2)
    ann = write_approximate(exact, generation, exact_max_passages)
    del exact
    costs["ivf_s"] = ann["seconds"] if ann else None

    manifest = {
        key: value for key, value in source.manifest.items() if key not in {"reports", "failures", "files"}
    }
    manifest.update(
        generation=generation.name,
        synthetic={"source": source.generation, "copies": copies},
        counts={**manifest.get("counts", {}), **counts, "failed": 0},
        ann=ann,
        reports={},
        failures={},
    )
    manifest["files"] = record_files(generation)
    write_json(generation / MANIFEST_FILE, manifest)
    costs["bytes"] = sum(path.stat().st_size for path in generation.iterdir())
    return generation, costs


def _moved(column: str, copy: int, stride: int) -> str:
    """The SQL that copies one column of copy ``copy``: ids renamed and moved, texts renamed."""
    quoted = f'"{column}"'
    if column == "report_id":
        return "moved_id(report_id)"
    if column == "row_id":
        return f"row_id + {copy * stride}"
    if column == "chunk_id":
        return "moved_id(report_id) || substr(chunk_id, length(report_id) + 1)"
    if column in {"local_authority", "text"}:
        return f"moved({quoted})"
    return quoted
