"""``inspectqa bench scale``: how search and answering cost grow with the corpus, from the real index up.

From a real index (its vectors and texts), synthetic corpora of 1×, 10×, 100× its passages
(``evals.synthetic``: copy 0 is the real index, copy c its vectors perturbed by noise of norm
``noise`` and its councils renamed, "Essex" → "Essex c7"). The queries are the gold questions,
embedded by the real model. For each size:

- **exact** (``IndexFlatIP``): add time, memory, p50/p95 of one query on one thread; its top 10 is
  the truth for recall. Past ``exact_max`` passages the vectors do not fit this shared machine at
  once, so the exact search is run over one copy at a time (per-query time summed over copies);
- **IVF** (``indexer.ann``: the ``index.ivf`` the synthetic generation's build step wrote, or
  ``IVF-SQ8`` past ``exact_max`` to fit in memory): build time, memory, p50/p95 over a sweep of
  ``nprobe``, recall@10 against exact;
- up to ``index_max`` passages, the copies are written as a real generation directory
  (``evals.synthetic.write_generation``) and opened as the service opens an index:
  **keyword** is ``Index.lexical_search`` of each whole question (FTS5, bm25 as the service ranks);
  **ask** is ``QAService.ask`` of each question end to end in this process (planning, retrieval,
  re-scoring, answer, grounding), with the service's start time and, from a recording wrapper
  around the index, the CPU of the keyword and dense searches it made;
- **pgvector** (PostgreSQL + pgvector HNSW, ``hnsw.ef_search`` 100, ``tsvector``/GIN keywords) for
  the sizes in ``pg_factors``: load (binary ``COPY``) + index time, size, the server's CPU per
  search, recall@10.

``only`` runs some of these (exact always runs: it is the truth). CPU times are of this thread (one
search) or this process (an ``/ask``, whose embedding and searches all run in it); the machine is
shared, so each size records the load average before and after it, and ratios within one run mean
more than absolute figures.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import tempfile
import time
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from evals.synthetic import council_pattern, perturbed, renamed, write_generation
from indexer.ann import IVF_FILE, build_ivf, ivf_lists
from indexer.pg import local_postgres
from indexer.store import SQLITE_FILE

K = 10
SEED = 7
ENGINES = ("exact", "ivf", "keyword", "ask", "pgvector")
KEYWORD_LIMIT = 60  # keyword hits a search asks for, as the benchmark always has
NPROBES = (8, 16, 32, 64, 128)
EF_SEARCHES = (40, 100, 200, 400)  # pgvector's default is 40; the service asks for at least 100
TARGET_RECALL = 0.95  # the IVF figures are those of the smallest nprobe reaching it
KMEANS_ITERATIONS = 10
TARGET_LINE_MS = 10.0  # indexer.ann.TARGET_MS, drawn on the plot


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
    vectors_of: Any,
    copies: int,
    queries: np.ndarray,
    truth: list[list[int]],
    quantised: bool,
    built: tuple[Path, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """IVF figures; ``built``: a synthetic generation and its ``ann`` record, whose IVF (written as
    a build writes it) is read rather than trained again. Its ids are the generation's row ids, so
    the truth's positions are mapped to them (``copy * stride + row``)."""
    base = vectors_of(0)
    n, dimension = copies * len(base), base.shape[1]
    started = time.perf_counter()
    if built is not None:
        generation, record = built
        index = faiss.read_index(str(generation / IVF_FILE))
        build_s = float(record["seconds"])
        kind = f"IVFFlat nlist={record['lists']} (built with the generation)"
    elif not quantised:
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
    if built is None:
        build_s = time.perf_counter() - started
    to_position = _position_map(built[0], len(base)) if built is not None else None

    def search(q: np.ndarray) -> list[int]:
        ids = [int(i) for i in index.search(q, K)[1][0]]
        return ids if to_position is None else [to_position(i) for i in ids]

    ivf = faiss.extract_index_ivf(index)
    sweep = []
    for nprobe in NPROBES:
        ivf.nprobe = nprobe
        cpu, wall, found = timed_searches(search, queries)
        sweep.append({"nprobe": nprobe, "recall@10": recall(found, truth), **percentiles(cpu, wall)})
    chosen = next((row for row in sweep if row["recall@10"] >= TARGET_RECALL), sweep[-1])
    per_vector = dimension if quantised else dimension * 4
    memory = n * (per_vector + 8) + int(ivf.nlist) * dimension * 4
    return {
        "kind": kind,
        "build_s": round(build_s, 2),
        "memory_mb": round(memory / 2**20, 1),
        **chosen,
        "sweep": sweep,
    }


def _position_map(generation: Path, per_copy: int) -> Any:
    """Row id in a synthetic generation → position among all copies' vectors (the truth's ids)."""
    connection = sqlite3.connect(f"file:{generation / SQLITE_FILE}?mode=ro&immutable=1", uri=True)
    rows = np.asarray([r[0] for r in connection.execute("SELECT row_id FROM chunks ORDER BY row_id")])
    connection.close()
    # Copies are written in order, each a block of the real index's rows moved by a stride.
    positions = {int(row): position for position, row in enumerate(rows)}
    if len(positions) % per_copy:
        raise ValueError("the synthetic generation does not hold whole copies")
    return lambda row: positions.get(row, -1)


def keyword(index: Any, questions: Sequence[str]) -> dict[str, Any]:
    """``lexical_search`` of each whole question (the service sends fewer words: see ``ask``)."""
    cpu, wall = [], []
    for question in questions:
        started, started_cpu = time.perf_counter(), time.thread_time()
        index.lexical_search(question, KEYWORD_LIMIT)
        cpu.append(time.thread_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    return percentiles(cpu, wall)


class RecordingIndex:
    """An index that passes every call through and records the CPU of each search made through it."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.searches: dict[str, list[float]] = {"keyword": [], "dense": [], "dense_among_rows": []}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def lexical_search(self, *args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return self._inner.lexical_search(*args, **kwargs)
        finally:
            self.searches["keyword"].append(time.thread_time() - started)

    def dense_search(self, query_vectors: Any, k: int, row_ids: Any = None) -> Any:
        started = time.thread_time()
        try:
            return self._inner.dense_search(query_vectors, k, row_ids)
        finally:
            kind = "dense" if row_ids is None else "dense_among_rows"
            self.searches[kind].append(time.thread_time() - started)


def ask(index: Any, embedder: Any, questions: Sequence[str], settings: Any) -> dict[str, Any]:
    """``QAService.ask`` of each question, in this process: CPU and wall per answer, the service's
    start, and the searches it made (CPU per call)."""
    from service.answers.qa import QAService

    recording = RecordingIndex(index)
    started, started_cpu = time.perf_counter(), time.process_time()
    service = QAService(recording, embedder, settings)
    start = {
        "start_s": round(time.perf_counter() - started, 2),
        "start_cpu_s": round(time.process_time() - started_cpu, 2),
    }
    service.ask(questions[0])  # warm: the first answer loads what later ones reuse
    for calls in recording.searches.values():
        calls.clear()
    cpu, wall, abstained = [], [], 0
    for question in questions:
        started, started_cpu = time.perf_counter(), time.process_time()
        answer = service.ask(question)
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
        abstained += int(bool(getattr(answer, "abstained", False)))
    searches = {
        kind: {"calls_per_ask": round(len(calls) / len(questions), 2), **percentiles(calls)}
        for kind, calls in recording.searches.items()
        if calls
    }
    service.close()
    return {**start, **percentiles(cpu, wall), "abstained": abstained, "searches": searches}


def pgvector(
    url: str,
    vectors_of: Any,
    texts: Sequence[tuple[str, str, str]],
    councils: re.Pattern[str],
    copies: int,
    queries: np.ndarray,
    questions: Sequence[str],
    truth: list[list[int]],
    with_keywords: bool = True,
) -> dict[str, Any]:
    """HNSW figures over a sweep of ``hnsw.ef_search`` (those of the smallest reaching the target
    recall, as for IVF; the service's are ``indexer.pg.ef_search_for``) and, with
    ``with_keywords``, ``ts_rank`` keyword search."""
    import psycopg

    from indexer.pg import binary_copy, query_words, vector_literal

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
        statement = "COPY bench_scale (row_id, embedding, text)"
        with binary_copy(connection, statement, ("bigint", "vector", "text")) as copy:
            for c in range(copies):
                block = vectors_of(c)
                for i in range(n):
                    copy.write_row((c * n + i, block[i], renamed(texts[i][0], councils, c)))
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
        # One search, one core: a parallel worker's CPU would not show in this backend's /proc figures.
        connection.execute("SET max_parallel_workers_per_gather = 0")
        size_row = connection.execute("SELECT pg_total_relation_size('bench_scale')").fetchone()
        size = int(size_row[0]) if size_row else 0

        def search(q: np.ndarray) -> list[int]:
            literal = vector_literal(q[0])
            rows = connection.execute(
                "SELECT row_id FROM bench_scale ORDER BY embedding <#> %s::vector LIMIT %s", (literal, K)
            ).fetchall()
            return [int(r[0]) for r in rows]

        backend = int(connection.execute("SELECT pg_backend_pid()").fetchone()[0])  # type: ignore[index]
        sweep: list[dict[str, Any]] = []
        for ef_search in EF_SEARCHES:
            connection.execute(f"SET hnsw.ef_search = {int(ef_search)}")
            before = _process_cpu(backend)
            _cpu, wall, found = timed_searches(search, queries)
            after = _process_cpu(backend)
            sweep.append(
                {
                    "ef_search": ef_search,
                    "recall@10": recall(found, truth),
                    **percentiles([], wall),
                    # The server's CPU per search (its backend process, from /proc; None for a remote server).
                    "cpu_mean_ms": _mean_ms(before, after, len(queries)),
                }
            )
        keywords: dict[str, Any] = {}
        if with_keywords:
            keyword_wall = []
            before = _process_cpu(backend)
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
            figures = percentiles([], keyword_wall)
            keywords = {
                "keyword_cpu_mean_ms": _mean_ms(before, _process_cpu(backend), len(keyword_wall)),
                "keyword_wall_p50_ms": figures["wall_p50_ms"],
                "keyword_wall_p95_ms": figures["wall_p95_ms"],
            }
        connection.execute("DROP TABLE bench_scale")
    chosen = next((row for row in sweep if row["recall@10"] >= TARGET_RECALL), sweep[-1])
    return {
        "load_s": round(load_s, 2),
        "hnsw_s": round(hnsw_s, 2),
        "gin_s": round(gin_s, 2),
        "size_mb": round(size / 2**20, 1),
        **chosen,
        "sweep": sweep,
        **keywords,
    }


def _process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) a local process has used, or None when it is not on this machine."""
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
    index_max: int = 500_000,
    pg_factors: Sequence[int] = (1,),
    database_url: str | None = None,
    questions_limit: int | None = None,
    only: Collection[str] = ENGINES,
    scratch: Path | None = None,
) -> dict[str, Any]:
    """The figures for each of ``factors``; ``scratch``: where synthetic generations and the local
    PostgreSQL go (a temporary folder by default; they need up to some 2 GB a 10x)."""
    from evals.gold import load_gold
    from indexer import open_index
    from indexer.embedding import load_embedder
    from inspectqa.settings import Settings
    from service.answers.qa import QUESTION_THREADS

    unknown = set(only) - set(ENGINES)
    if unknown:
        raise ValueError(f"unknown engines {sorted(unknown)}: choose among {', '.join(ENGINES)}")
    faiss.omp_set_num_threads(1)
    settings = Settings(index=index_path)
    index = open_index(index_path, settings)
    rows = index.chunk_ids_for_reports([r.report_id for r in index.reports()])
    base = index.vectors(rows)
    chunks = index.chunks(rows.tolist())
    texts = [(c.text, c.section, c.local_authority) for c in chunks]
    councils = council_pattern([c.local_authority for c in chunks])
    questions = [q.question for q in load_gold(gold)][:questions_limit]
    embedder = load_embedder(settings, threads=QUESTION_THREADS)
    queries = np.asarray(embedder.encode(questions), dtype=np.float32)
    cache: dict[int, np.ndarray] = {}

    def vectors_of(copy: int) -> np.ndarray:
        if copy not in cache:
            if len(cache) > 12:
                cache.clear()
            cache[copy] = perturbed(base, copy, noise)
        return cache[copy]

    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="inspectqa-bench-scale-", dir=scratch) as folder:
        for factor in factors:
            passages = factor * len(base)
            row: dict[str, Any] = {"factor": factor, "passages": passages, "load_before": _load()}
            whole = passages <= exact_max
            exact, truth = (exact_whole if whole else exact_streamed)(vectors_of, factor, queries)
            row["exact"] = exact
            served: Any = None
            built: tuple[Path, dict[str, Any]] | None = None
            if passages <= index_max and {"keyword", "ask"} & set(only):
                if factor == 1:
                    served = index  # copy 0 is the real index itself
                else:
                    generation, costs = write_generation(
                        index,
                        factor,
                        Path(folder),
                        vectors_of,
                        exact_max_passages=settings.ann_exact_max_passages,
                    )
                    row["generation"] = costs
                    served = open_index(generation, Settings(index=generation))
                    if served.manifest.get("ann"):
                        built = (generation, served.manifest["ann"])
            if "ivf" in only:
                row["ivf"] = approximate(vectors_of, factor, queries, truth, quantised=not whole, built=built)
            if served is not None and "keyword" in only:
                row["keyword"] = keyword(served, questions)
            if served is not None and "ask" in only:
                row["ask"] = ask(
                    served, embedder, questions, Settings(index=Path(served.location), reload_poll_s=0)
                )
            if served is not None and served is not index:
                served.close()
            if "pgvector" in only and factor in pg_factors:
                before = _load()
                with local_postgres(database_url, Path(folder) / "pg") as url:
                    row["pgvector"] = pgvector(
                        url, vectors_of, texts, councils, factor, queries, questions, truth, "keyword" in only
                    )
                row["pgvector"]["load"] = [before[0], _load()[0]]
            row["load_after"] = _load()
            results.append(row)
            print(json.dumps(row), flush=True)
    return {
        "base_passages": len(base),
        "queries": len(questions),
        "noise": noise,
        "k": K,
        "cpus": os.cpu_count(),
        "sizes": results,
    }


def merged(previous: dict[str, Any], result: dict[str, Any], engines: Collection[str]) -> dict[str, Any]:
    """``previous`` with ``result``'s figures for ``engines`` added, size by size (``--merge``: an
    engine measured in a run of its own). The exact figures, which every run makes for its truth,
    stay those of ``previous`` where it has them; an engine's dict is merged one level deep."""
    sizes = {row["factor"]: dict(row) for row in previous.get("sizes", [])}
    for row in result["sizes"]:
        old = sizes.setdefault(row["factor"], {"factor": row["factor"], "passages": row["passages"]})
        for key in (*engines, "exact", "load_before", "load_after"):
            if key not in row or (key in old and key in {"exact", "load_before", "load_after"}):
                continue
            value = row[key]
            old[key] = (
                {**old[key], **value} if isinstance(value, dict) and isinstance(old.get(key), dict) else value
            )
    return {**previous, "sizes": [sizes[f] for f in sorted(sizes)]}


def _load() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def _pair(figures: dict[str, Any] | None, first: str = "p50_ms", second: str = "p95_ms") -> str:
    if not figures or figures.get(first) is None:
        return "-"
    return f"{_short(figures[first])} / {_short(figures[second])}"


def _short(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _service_keyword(row: dict[str, Any]) -> dict[str, Any] | None:
    searches = row.get("ask", {}).get("searches", {})
    figures: dict[str, Any] | None = searches.get("keyword")
    return figures


# Columns of the table: (header, cell of one size's figures).
COLUMNS: tuple[tuple[str, Any], ...] = (
    ("passages", lambda r: f"{r['passages']:,}" + (" (earlier run)" if r.get("source") else "")),
    ("exact", lambda r: _pair(r["exact"]) + (" (streamed)" if r["exact"].get("streamed") else "")),
    ("IVF", lambda r: _pair(r.get("ivf"))),
    (
        "IVF nprobe, recall@10",
        lambda r: f"{r['ivf']['nprobe']}, {r['ivf']['recall@10']}" if "ivf" in r else "-",
    ),
    ("IVF build s", lambda r: str(r["ivf"]["build_s"]) if "ivf" in r else "-"),
    ("keyword (whole question)", lambda r: _pair(r.get("keyword"))),
    ("keyword (the service's)", lambda r: _pair(_service_keyword(r))),
    ("/ask", lambda r: _pair(r.get("ask"))),
    ("/ask wall", lambda r: _pair(r.get("ask"), "wall_p50_ms", "wall_p95_ms")),
    ("service start s", lambda r: str(r["ask"]["start_s"]) if "ask" in r else "-"),
    ("pgvector", lambda r: str(r["pgvector"]["cpu_mean_ms"]) if "pgvector" in r else "-"),
    (
        "pgvector ef_search, recall@10",
        lambda r: (
            f"{r['pgvector'].get('ef_search', 100)}, {r['pgvector']['recall@10']}" if "pgvector" in r else "-"
        ),
    ),
    ("pgvector load / HNSW s", lambda r: _pair(r.get("pgvector"), "load_s", "hnsw_s")),
    ("load avg", lambda r: f"{r['load_before'][0]}–{r['load_after'][0]}" if "load_before" in r else "-"),
)
# What the ratios line compares between the smallest size and each larger one (p50 CPU).
RATIOS: tuple[tuple[str, Any], ...] = (
    ("exact", lambda r: r["exact"].get("p50_ms")),
    ("IVF", lambda r: r.get("ivf", {}).get("p50_ms")),
    ("keyword", lambda r: r.get("keyword", {}).get("p50_ms")),
    ("service keyword", lambda r: (_service_keyword(r) or {}).get("p50_ms")),
    ("/ask", lambda r: r.get("ask", {}).get("p50_ms")),
    ("pgvector", lambda r: r.get("pgvector", {}).get("cpu_mean_ms")),
)


def render(result: dict[str, Any]) -> str:
    """A Markdown table (CPU ms, p50 / p95; pgvector: the server's mean per search) and the ratios
    of each larger size to the smallest."""
    lines = [
        f"base {result['base_passages']:,} passages, {result['queries']} queries, k={result['k']}, "
        f"noise {result['noise']}; CPU ms (p50 / p95; pgvector: the server's mean per search)",
        "| " + " | ".join(header for header, _ in COLUMNS) + " |",
        "|" + "---:|" * len(COLUMNS),
    ]
    for row in result["sizes"]:
        lines.append("| " + " | ".join(cell(row) for _, cell in COLUMNS) + " |")
    sizes = result["sizes"]
    for row in sizes[1:]:
        parts = []
        for name, value in RATIOS:
            first, this = value(sizes[0]), value(row)
            if first and this:
                parts.append(f"{name} {this / first:.1f}x")
        if parts:
            lines.append(f"{row['factor']}x against {sizes[0]['factor']}x (p50 CPU): " + ", ".join(parts))
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
        ("keyword", "SQLite FTS5 keywords (whole question)", "^-"),
        ("pgvector", "pgvector HNSW (server CPU, recall@10 >= 0.95)", "D-"),
        ("ask", "/ask end to end (in process)", "*-"),
    )
    for key, label, style in series:
        points = []
        for row in sizes:
            value = _typical(row.get(key))
            if value is not None:
                points.append((row["passages"], value))
        if points:
            axis.plot([x for x, _ in points], [y for _, y in points], style, label=label)
    axis.axhline(TARGET_LINE_MS, color="grey", linestyle=":", linewidth=1)
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("passages")
    axis.set_ylabel("CPU ms per search or answer (p50; pgvector: mean)")
    axis.set_title("Cost against corpus size (synthetic copies of the real index)")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _typical(figures: dict[str, Any] | None) -> float | None:
    """A series' point: the p50 of CPU, or the mean where only that is known (pgvector's server)."""
    if not figures:
        return None
    value = figures.get("p50_ms") or figures.get("cpu_mean_ms")
    return float(value) if value else None
