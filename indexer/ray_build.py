"""``build(..., ray=ADDRESS)``: the same incremental build, its reading, chunking and embedding on Ray.

Everything that decides *what* to build stays in ``indexer.build`` (the lock, content hashes, which
reports are unchanged, the staging generation, row ids, the manifest, the atomic publish): this module
only replaces the two stages that cost CPU, as one Ray Data pipeline::

    sources ─▶ read (tasks, READ_BATCH reports each, every file in a memory- and time-bounded child as
               in-process) ─▶ chunk + embed (an actor pool: each actor loads the model once) ─▶ driver

The driver receives each report with its chunks and vectors *in the sources' order*
(``preserve_order``), so row ids are given exactly as the in-process build gives them, and writes
SQLite and FAISS as it does. ``ADDRESS`` is a running cluster's (``ray://host:10001`` or
``host:6379``), or ``local`` for a one-machine cluster started here on 127.0.0.1 and stopped after.
Workers of a remote cluster need ``inspectqa`` installed and the corpus at the same path (on shared
or object storage). ``ray`` is imported only here.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, cast

import numpy as np
from tqdm import tqdm

from corpus.bounded import load_bounded
from corpus.records import Report, SourceFile
from indexer.build import _Builder, _file_key, _one_line, build_lock, clean
from indexer.chunking import chunk, embedding_text
from indexer.records import BuildReport, Chunk
from inspectqa.errors import ConfigError, CorruptReport
from inspectqa.settings import Settings

READ_BATCH = 2  # reports per read task: amortises the bounded child's start over a few files
IN_FLIGHT = 2  # embedding groups queued per actor
ChunkedReport = tuple[SourceFile, Report | str, list[Chunk]]


class _Counter:
    """The model's tokenizer only (no ONNX session): what chunking needs, cheap to load in a task."""

    def __init__(self, settings: Settings) -> None:
        from tokenizers import Tokenizer

        from indexer.embedding import model_path, model_window

        path = model_path(settings)
        self.max_tokens = model_window(path)
        self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=True).ids)


def _read_and_chunk(batch: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """A Ray task: read a few reports, each in a bounded child (as ``indexer.build`` does); chunk them."""
    sources = [pickle.loads(blob) for blob in batch["source"]]
    counter = _Counter(settings)
    outcomes, chunk_lists = [], []
    with load_bounded(
        sources, memory_mb=settings.extract_memory_mb, timeout_s=settings.extract_timeout_s, workers=1
    ) as reading:
        for _source, outcome in reading:
            chunks: list[Chunk] = []
            if isinstance(outcome, Report):
                try:
                    chunks = chunk(outcome, counter, settings)
                    if not chunks:
                        raise CorruptReport("no text to index (an empty or image-only document?)")
                except CorruptReport as error:
                    outcome, chunks = _one_line(str(error)), []
                except Exception as error:  # one bad file must not stop a corpus build
                    outcome, chunks = _one_line(f"{type(error).__name__}: {error}"), []
            outcomes.append(pickle.dumps(outcome))
            chunk_lists.append(pickle.dumps(chunks))
    return {
        "position": batch["position"],
        "source": batch["source"],
        "outcome": outcomes,
        "chunks": chunk_lists,
    }


class _Embedder:
    """A Ray actor: the embedding model loaded once, embedding the groups of passages it is sent."""

    def __init__(self, settings: Settings, threads: int) -> None:
        from indexer.embedding import load_embedder

        self.settings = settings
        self.embedder = load_embedder(settings, threads=threads)

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.embedder.encode(texts, batch_size=self.settings.batch_size)


def chunked_reports(sources: Sequence[SourceFile], settings: Settings) -> Iterator[ChunkedReport]:
    """Ray Data: each source with its report (or why not) and chunks, in the sources' order."""
    import ray

    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    items = [{"position": i, "source": pickle.dumps(s)} for i, s in enumerate(sources)]
    dataset = ray.data.from_items(items, override_num_blocks=max(1, len(items) // READ_BATCH)).map_batches(
        cast(Any, _read_and_chunk), fn_kwargs={"settings": settings}, batch_size=READ_BATCH, num_cpus=1
    )
    for row in dataset.iter_rows():
        yield pickle.loads(row["source"]), pickle.loads(row["outcome"]), pickle.loads(row["chunks"])


def embedded(
    reports: Iterable[ChunkedReport], settings: Settings, actors: int, threads: int
) -> Iterator[tuple[list[ChunkedReport], np.ndarray]]:
    """Reports grouped as the in-process build groups them (``FLUSH_CHUNKS`` passages or more, in
    order), each group embedded by an actor of the pool; groups come back in order.

    The same groups matter: the int8 model quantises each batch's activations with one scale, so a
    passage's vector depends slightly on the passages embedded beside it (cosine about 0.99 between
    two groupings); embedding the same groups gives the in-process vectors.
    """
    import ray
    from ray.util import ActorPool

    from indexer.build import FLUSH_CHUNKS

    remote: Any = ray.remote(num_cpus=threads)(_Embedder)
    pool = ActorPool([remote.remote(settings, threads) for _ in range(actors)])
    groups: list[list[ChunkedReport]] = []
    pending: list[ChunkedReport] = []

    def submit(group: list[ChunkedReport]) -> None:
        texts = [embedding_text(c) for _s, _o, chunks in group for c in chunks]
        pool.submit(lambda actor, value: actor.encode.remote(value), texts)
        groups.append(group)

    for item in reports:
        pending.append(item)
        if sum(len(chunks) for _s, _o, chunks in pending) >= FLUSH_CHUNKS:
            submit(pending)
            pending = []
            while len(groups) > actors * IN_FLIGHT:
                yield groups.pop(0), pool.get_next()
    if pending:
        submit(pending)
    while groups:
        yield groups.pop(0), pool.get_next()


@contextmanager
def ray_cluster(address: str) -> Iterator[Any]:
    """Connect to the cluster at ``address``, or start a one-machine one on loopback for ``local``."""
    try:
        import ray
    except ImportError as error:
        raise ConfigError("--ray needs Ray", hint="pip install 'inspectqa[scale]'") from error
    if ray.is_initialized():
        yield ray
        return
    scratch = None
    if address == "local":
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        scratch = tempfile.mkdtemp(prefix="inspectqa-ray-")  # its sockets and logs, removed after
        ray.init(
            num_cpus=os.cpu_count() or 1,
            include_dashboard=False,
            _node_ip_address="127.0.0.1",
            _temp_dir=scratch,
            log_to_driver=False,
            configure_logging=False,
        )
    else:
        ray.init(address=address, log_to_driver=False, configure_logging=False)
    try:
        yield ray
    finally:
        ray.shutdown()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


class RayBuilder(_Builder):
    """``_Builder`` with reading, chunking and embedding done by the Ray pipeline."""

    def __init__(
        self, corpus: Path, index: Path, settings: Settings, progress: bool, actors: int, threads: int
    ) -> None:
        super().__init__(corpus, index, settings, progress)
        self.actors = actors
        self.threads = threads

    def _reading(self, sources: Sequence[SourceFile]) -> AbstractContextManager[Iterable[Any]]:
        if not sources:
            return nullcontext(())
        return nullcontext(chunked_reports(sources, self.settings))

    def _add(
        self,
        connection: Any,
        vectors: Any,
        outcomes: Iterable[Any],
        total: int,
        next_row: int,
        entries: dict[str, dict[str, Any]],
        failures: list[dict[str, str]],
    ) -> None:
        from indexer.build import _entry
        from indexer.store import insert_chunks, insert_report

        bar = tqdm(total=total, desc="indexing reports (ray)", unit="report", disable=not self.progress)
        for group, matrix in embedded(outcomes, self.settings, self.actors, self.threads):
            offset = 0
            for source, outcome, chunks in group:
                bar.update(1)
                if isinstance(outcome, str):
                    failures.append({"file": _file_key(source), "error": _one_line(outcome)})
                    continue
                insert_report(connection, outcome)
                entries[outcome.report_id] = _entry(outcome, source, chunks)
                row_ids = np.arange(next_row, next_row + len(chunks), dtype=np.int64)
                part = np.ascontiguousarray(matrix[offset : offset + len(chunks)], dtype=np.float32)
                vectors.add_with_ids(part, row_ids)
                insert_chunks(connection, chunks, row_ids.tolist())
                offset += len(chunks)
                next_row += len(chunks)
                self.embedded_chunks += len(chunks)
                self.embedded_tokens += sum(c.n_tokens for c in chunks)
        bar.close()


def build_on_ray(
    corpus: Path,
    index: Path,
    settings: Settings,
    address: str,
    limit: int | None = None,
    progress: bool = True,
    actors: int | None = None,
) -> BuildReport:
    """``indexer.build`` with its reading, chunking and embedding on the Ray cluster at ``address``."""
    with build_lock(Path(index)):
        clean(Path(index))
        with ray_cluster(address) as ray:
            cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
            pool = actors or max(1, cpus // 2)
            threads = max(1, cpus // (2 * pool))
            return RayBuilder(Path(corpus), Path(index), settings, progress, pool, threads).run(limit)
