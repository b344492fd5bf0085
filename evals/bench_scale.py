"""``inspectqa bench scale``: how search cost grows with the corpus, from the real index upwards.

From a real index (its vectors and texts), synthetic corpora of 1×, 10×, 100× its passages: copy 0 is
the real index, copy c its vectors each perturbed by Gaussian noise of norm ``noise`` (then made unit
again: cosine to the original about 0.96) and its texts with every council renamed ("Essex" → "Essex
c7"), so copies are near neighbours, not duplicates. The queries are the gold questions, embedded by the
real model. For each size:

- **exact** (``IndexFlatIP``, what the embedded default uses today): add time, memory, p50/p95 of one
  query on one thread; its top 10 is the truth for recall. Past ``exact_max`` passages the vectors do
  not fit this shared machine at once, so the exact search is run over one copy at a time (the same
  arithmetic; its per-query time summed over copies) and no flat index is kept;
- **IVF** (``indexer.ann``: ``IndexIVFFlat``, or ``IVF-SQ8`` past ``exact_max`` to fit in memory):
  train + add time, memory, p50/p95, recall@10 against exact;
- **keyword** (SQLite FTS5 with porter stemming, bm25 as the service ranks): build time, size, p50/p95
  of the service's query form, up to ``keyword_max`` passages (dense-only beyond);
- **pgvector** (PostgreSQL + pgvector HNSW, ``hnsw.ef_search`` 100, and ``tsvector``/GIN keywords) for
  the sizes in ``pg_factors``: load + index time, table + index size, p50/p95 and recall@10.

Timings are of single queries on one thread, the way one service request searches; the machine is
shared, so ratios within one run mean more than absolute figures.
"""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from indexer.ann import build_ivf, ivf_lists
from indexer.pg import local_postgres
from indexer.store import fts_query

K = 10
SEED = 7
NPROBES = (8, 16, 32, 64, 128)
TARGET_RECALL = 0.95  # the IVF figures are those of the smallest nprobe reaching it
KMEANS_ITERATIONS = 10
TARGET_LINE_MS = 10.0  # indexer.ann.TARGET_MS, drawn on the plot


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


def percentiles(cpu_s: Sequence[float], wall_s: Sequence[float] | None = None) -> dict[str, float]:
    """p50/p95 in ms of CPU time (what a search costs, whatever the queue of a shared machine) and,
    when given, of wall time."""
    figures: dict[str, float] = {}
    for prefix, values in (("", cpu_s), ("wall_", wall_s)):
        if values is None or len(values) == 0:
            continue
        ms = np.asarray(values) * 1000
        figures[f"{prefix}p50_ms"] = round(float(np.percentile(ms, 50)), 3)
        figures[f"{prefix}p95_ms"] = round(float(np.percentile(ms, 95)), 3)
        if not prefix:
            figures["cpu_mean_ms"] = round(float(np.mean(ms)), 3)
    return figures


def timed_searches(search: Any, queries: np.ndarray) -> tuple[list[float], list[float], list[list[int]]]:
    """Each query alone: CPU seconds of this thread, wall seconds, and the ids found, per query."""
    cpu, wall, found = [], [], []
    for query in queries:
        started, started_cpu = time.perf_counter(), time.thread_time()
        ids = search(query[None, :])
        cpu.append(time.thread_time() - started_cpu)
        wall.append(time.perf_counter() - started)
        found.append(ids)
    return cpu, wall, found


def recall(found: Sequence[Sequence[int]], truth: Sequence[Sequence[int]]) -> float:
    return round(
        float(np.mean([len(set(f[:K]) & set(t[:K])) / K for f, t in zip(found, truth, strict=True)])), 4
    )


def exact_whole(vectors_of: Any, copies: int, queries: np.ndarray) -> tuple[dict[str, Any], list[list[int]]]:
    """A flat index of every copy at once (what fits in memory)."""
    base = vectors_of(0)
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(base.shape[1]))
    started = time.perf_counter()
    for copy in range(copies):
        block = vectors_of(copy)
        index.add_with_ids(block, np.arange(copy * len(base), (copy + 1) * len(base), dtype=np.int64))
    build_s = time.perf_counter() - started

    def search(q: np.ndarray) -> list[int]:
        return [int(i) for i in index.search(q, K)[1][0]]

    cpu, wall, truth = timed_searches(search, queries)
    memory = int(index.ntotal) * base.shape[1] * 4 + int(index.ntotal) * 8
    return {
        "build_s": round(build_s, 2),
        "memory_mb": round(memory / 2**20, 1),
        **percentiles(cpu, wall),
    }, truth


def exact_streamed(
    vectors_of: Any, copies: int, queries: np.ndarray
) -> tuple[dict[str, Any], list[list[int]]]:
    """The same exact search, one copy in memory at a time: per-query time summed over the copies."""
    n = len(vectors_of(0))
    totals = np.zeros(len(queries))
    best: list[list[tuple[float, int]]] = [[] for _ in queries]
    for copy in range(copies):
        block = faiss.IndexFlatIP(vectors_of(0).shape[1])
        block.add(vectors_of(copy))
        for q, query in enumerate(queries):
            started = time.thread_time()
            scores, ids = block.search(query[None, :], K)
            totals[q] += time.thread_time() - started
            best[q] = sorted(
                best[q] + [(float(s), int(i) + copy * n) for s, i in zip(scores[0], ids[0], strict=True)],
                reverse=True,
            )[:K]
    truth = [[i for _s, i in row] for row in best]
    memory = copies * n * (vectors_of(0).shape[1] * 4 + 8)
    return {
        "build_s": None,
        "memory_mb": round(memory / 2**20, 1),
        "streamed": True,
        **percentiles(list(totals)),
    }, truth


def approximate(
    vectors_of: Any, copies: int, queries: np.ndarray, truth: list[list[int]], quantised: bool
) -> dict[str, Any]:
    base = vectors_of(0)
    n, dimension = copies * len(base), base.shape[1]
    started = time.perf_counter()
    if not quantised:
        everything = np.concatenate([vectors_of(c) for c in range(copies)])
        index = build_ivf(everything, np.arange(n, dtype=np.int64), niter=KMEANS_ITERATIONS)
        del everything
        kind = f"IVFFlat nlist={ivf_lists(n)}"
    else:
        lists = min(ivf_lists(n), 1024)  # k-means on a 2-core machine: bounded training
        quantizer = faiss.IndexFlatIP(dimension)
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, dimension, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        rng = np.random.default_rng(SEED)
        sample = np.concatenate(
            [
                vectors_of(c)[
                    rng.choice(len(base), size=min(len(base), lists * 40 // copies + 1), replace=False)
                ]
                for c in range(copies)
            ]
        )
        index.cp.niter = KMEANS_ITERATIONS
        index.train(sample)
        for copy in range(copies):
            index.add_with_ids(
                vectors_of(copy), np.arange(copy * len(base), (copy + 1) * len(base), dtype=np.int64)
            )
        index.nprobe = 32
        kind = f"IVF-SQ8 nlist={lists}"
    build_s = time.perf_counter() - started

    def search(q: np.ndarray) -> list[int]:
        return [int(i) for i in index.search(q, K)[1][0]]

    sweep = []
    for nprobe in NPROBES:
        index.nprobe = nprobe
        cpu, wall, found = timed_searches(search, queries)
        sweep.append({"nprobe": nprobe, "recall@10": recall(found, truth), **percentiles(cpu, wall)})
    chosen = next((row for row in sweep if row["recall@10"] >= TARGET_RECALL), sweep[-1])
    per_vector = dimension if quantised else dimension * 4
    memory = n * (per_vector + 8) + ivf_lists(n) * dimension * 4
    return {
        "kind": kind,
        "build_s": round(build_s, 2),
        "memory_mb": round(memory / 2**20, 1),
        **chosen,
        "sweep": sweep,
    }


def keyword(
    rows: Sequence[tuple[str, str, str]],
    councils: re.Pattern[str],
    copies: int,
    questions: Sequence[str],
    folder: Path,
) -> dict[str, Any]:
    """FTS5 over every copy's texts; the service's query form (rare words, OR, bm25 1.0/0.5/0.5)."""
    path = folder / f"keyword-{copies}.sqlite"
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE VIRTUAL TABLE f USING fts5(text, section, local_authority, "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    started = time.perf_counter()
    for copy in range(copies):
        connection.executemany(
            "INSERT INTO f VALUES (?, ?, ?)",
            ((renamed(t, councils, copy), s, renamed(la, councils, copy)) for t, s, la in rows),
        )
    connection.commit()
    connection.execute("INSERT INTO f(f) VALUES ('optimize')")
    connection.commit()
    build_s = time.perf_counter() - started
    expressions = [e for e in (fts_query(q) for q in questions) if e]
    cpu, wall = [], []
    for expression in expressions:
        started, started_cpu = time.perf_counter(), time.thread_time()
        connection.execute(
            "SELECT rowid, bm25(f, 1.0, 0.5, 0.5) AS s FROM f WHERE f MATCH ? ORDER BY s LIMIT 60",
            (expression,),
        ).fetchall()
        cpu.append(time.thread_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    connection.close()
    size = path.stat().st_size
    path.unlink()
    return {"build_s": round(build_s, 2), "size_mb": round(size / 2**20, 1), **percentiles(cpu, wall)}


def pgvector(
    url: str,
    vectors_of: Any,
    texts: Sequence[tuple[str, str, str]],
    councils: re.Pattern[str],
    copies: int,
    queries: np.ndarray,
    questions: Sequence[str],
    truth: list[list[int]],
) -> dict[str, Any]:
    import psycopg

    from indexer.pg import query_words, vector_literal

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
        connection.execute("DROP TABLE IF EXISTS bench_scale")
        dimension = vectors_of(0).shape[1]
        connection.execute(
            f"CREATE TABLE bench_scale (row_id BIGINT PRIMARY KEY, embedding vector({dimension}) NOT NULL, "
            "text TEXT NOT NULL, "
            "tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED)"
        )
        n = len(texts)
        started = time.perf_counter()
        with connection.cursor().copy("COPY bench_scale (row_id, embedding, text) FROM STDIN") as copy:
            for c in range(copies):
                block = vectors_of(c)
                for i in range(n):
                    copy.write_row((c * n + i, vector_literal(block[i]), renamed(texts[i][0], councils, c)))
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        connection.execute("SET maintenance_work_mem = '1GB'")
        connection.execute(
            "CREATE INDEX ON bench_scale USING hnsw (embedding vector_ip_ops) "
            "WITH (m = 16, ef_construction = 64)"
        )
        hnsw_s = time.perf_counter() - started
        started = time.perf_counter()
        connection.execute("CREATE INDEX ON bench_scale USING gin (tsv)")
        gin_s = time.perf_counter() - started
        connection.execute("ANALYZE bench_scale")
        connection.execute("SET hnsw.ef_search = 100")
        size_row = connection.execute("SELECT pg_total_relation_size('bench_scale')").fetchone()
        size = int(size_row[0]) if size_row else 0

        def search(q: np.ndarray) -> list[int]:
            literal = vector_literal(q[0])
            rows = connection.execute(
                "SELECT row_id FROM bench_scale ORDER BY embedding <#> %s::vector LIMIT %s", (literal, K)
            ).fetchall()
            return [int(r[0]) for r in rows]

        backend = int(connection.execute("SELECT pg_backend_pid()").fetchone()[0])  # type: ignore[index]
        before = _process_cpu(backend)
        _cpu, wall, found = timed_searches(search, queries)
        after = _process_cpu(backend)
        keyword_wall = []
        for question in questions:
            words = query_words(question)
            if not words:
                continue
            terms = " || ".join(["plainto_tsquery('english', %s)"] * len(words))
            started = time.perf_counter()
            connection.execute(
                f"SELECT row_id, ts_rank(tsv, q, 1) AS s FROM bench_scale, (SELECT {terms}) AS t(q) "
                "WHERE tsv @@ q ORDER BY s DESC LIMIT 60",
                words,
            ).fetchall()
            keyword_wall.append(time.perf_counter() - started)
        keyword_after = _process_cpu(backend)
        connection.execute("DROP TABLE bench_scale")
    keyword_figures = percentiles([], keyword_wall)
    return {
        "load_s": round(load_s, 2),
        "hnsw_s": round(hnsw_s, 2),
        "gin_s": round(gin_s, 2),
        "size_mb": round(size / 2**20, 1),
        "recall@10": recall(found, truth),
        **percentiles([], wall),
        # The server's CPU per search (its backend process, from /proc; None for a remote server).
        "cpu_mean_ms": _mean_ms(before, after, len(queries)),
        "keyword_cpu_mean_ms": _mean_ms(after, keyword_after, len(keyword_wall)),
        "keyword_wall_p50_ms": keyword_figures["wall_p50_ms"],
        "keyword_wall_p95_ms": keyword_figures["wall_p95_ms"],
    }


def _process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) a local process has used, or None when it is not on this machine."""
    import os

    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _mean_ms(before: float | None, after: float | None, n: int) -> float | None:
    if before is None or after is None or n == 0:
        return None
    return round((after - before) * 1000 / n, 3)


def run_bench(
    index_path: Path,
    gold: Path,
    *,
    factors: Sequence[int] = (1, 10, 100),
    noise: float = 0.3,
    exact_max: int = 1_000_000,
    keyword_max: int = 500_000,
    pg_factors: Sequence[int] = (1,),
    database_url: str | None = None,
    questions_limit: int | None = None,
) -> dict[str, Any]:
    from evals.gold import load_gold
    from indexer import open_index
    from indexer.embedding import load_embedder
    from inspectqa.settings import Settings

    faiss.omp_set_num_threads(1)
    settings = Settings(index=index_path)
    index = open_index(index_path, settings)
    rows = index.chunk_ids_for_reports([r.report_id for r in index.reports()])
    base = index.vectors(rows)
    chunks = index.chunks(rows.tolist())
    texts = [(c.text, c.section, c.local_authority) for c in chunks]
    names = sorted({c.local_authority for c in chunks}, key=len, reverse=True)
    councils = re.compile("|".join(re.escape(name) for name in names))
    questions = [q.question for q in load_gold(gold)][:questions_limit]
    queries = np.asarray(load_embedder(settings).encode(questions), dtype=np.float32)
    cache: dict[int, np.ndarray] = {}

    def vectors_of(copy: int) -> np.ndarray:
        if copy not in cache:
            if len(cache) > 12:
                cache.clear()
            cache[copy] = perturbed(base, copy, noise)
        return cache[copy]

    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="inspectqa-bench-scale-") as scratch:
        for factor in factors:
            passages = factor * len(base)
            row: dict[str, Any] = {"factor": factor, "passages": passages}
            whole = passages <= exact_max
            exact, truth = (exact_whole if whole else exact_streamed)(vectors_of, factor, queries)
            row["exact"] = exact
            row["ivf"] = approximate(vectors_of, factor, queries, truth, quantised=not whole)
            if passages <= keyword_max:
                row["keyword"] = keyword(texts, councils, factor, questions, Path(scratch))
            if factor in pg_factors:
                with local_postgres(database_url, Path(scratch) / "pg") as url:
                    row["pgvector"] = pgvector(
                        url, vectors_of, texts, councils, factor, queries, questions, truth
                    )
            results.append(row)
            print(json.dumps(row), flush=True)
    return {"base_passages": len(base), "queries": len(questions), "noise": noise, "k": K, "sizes": results}


def _pair(figures: dict[str, Any] | None, first: str = "p50_ms", second: str = "p95_ms") -> str:
    return f"{figures[first]} / {figures[second]}" if figures else "-"


def render(result: dict[str, Any]) -> str:
    lines = [
        f"base {result['base_passages']:,} passages, {result['queries']} queries, k={result['k']}, "
        f"noise {result['noise']}; CPU ms per search (p50 / p95; pgvector: the server's mean), wall ms",
        "| passages | exact CPU | exact wall | exact MB | IVF CPU | IVF nprobe, recall@10 | IVF build s "
        "| FTS5 CPU | FTS5 wall | pgvector CPU mean | pgvector wall | pgvector recall@10 "
        "| pgvector load / HNSW s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["sizes"]:
        e, i = row["exact"], row["ivf"]
        k, p = row.get("keyword"), row.get("pgvector")
        streamed = " (streamed)" if e.get("streamed") else ""
        cells = [
            f"{row['passages']:,}",
            _pair(e) + streamed,
            _pair(e, "wall_p50_ms", "wall_p95_ms") if "wall_p50_ms" in e else "-",
            f"{e['memory_mb']:,}",
            _pair(i),
            f"{i['nprobe']}, {i['recall@10']}",
            str(i["build_s"]),
            _pair(k),
            _pair(k, "wall_p50_ms", "wall_p95_ms"),
            str(p["cpu_mean_ms"]) if p else "-",
            _pair(p, "wall_p50_ms", "wall_p95_ms"),
            str(p["recall@10"]) if p else "-",
            _pair(p, "load_s", "hnsw_s"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = result["sizes"]
    figure, axis = plt.subplots(figsize=(7, 4.2))
    series = (
        ("exact", "FAISS exact (flat)", "o-"),
        ("ivf", "FAISS IVF (recall@10 >= 0.95)", "s-"),
        ("keyword", "SQLite FTS5 keywords", "^-"),
        ("pgvector", "pgvector HNSW (server CPU)", "D-"),
    )
    for key, label, style in series:
        points = [
            (row["passages"], row[key]["cpu_mean_ms"]) for row in sizes if row.get(key, {}).get("cpu_mean_ms")
        ]
        if points:
            axis.plot([x for x, _ in points], [y for _, y in points], style, label=label)
    axis.axhline(TARGET_LINE_MS, color="grey", linestyle=":", linewidth=1)
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("passages")
    axis.set_ylabel("CPU ms per search (mean, one thread)")
    axis.set_title("Search cost against corpus size (synthetic copies of the real index)")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
