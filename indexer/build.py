"""``build``: bring an index directory up to date with a corpus folder, incrementally and atomically.

What it does, in order:
1. Takes the index's build lock, removes what dead builds left behind.
2. Scans the corpus (cheap: manifest metadata and a SHA-256 per file) and compares each report's
   content hash with the current generation's manifest. Unchanged reports are neither re-extracted nor
   re-embedded; files that failed before with the same bytes fail again without being re-read. All of
   it is read and embedded again (and the build says why) when the current generation was made with
   another model, chunker or extraction code (``corpus.EXTRACTOR_VERSION``), or fails its checksums.
3. Writes a new generation in a staging directory: starting from a copy of the current generation's
   SQLite and FAISS files (when the model and chunker are the same), it deletes removed and changed
   reports, then extracts, chunks and embeds added and changed ones. Chunks keep their row ids across
   generations, so an id means the same passage before and after an update. Extraction runs in child
   processes bounded in memory and time (``corpus.bounded``): a decompression bomb or a file pdfium
   spins on fails with its reason, and the build goes on. An unchanged corpus starts no child.
4. Records the size and SHA-256 of every file in the manifest (``indexer.integrity``), fsyncs
   everything and switches ``current`` with one rename (see ``indexer.generations``).

The embedding model is loaded only when something needs embedding: importing it costs seconds, and an
unchanged corpus needs none of it. When files are to be read, it loads while the children start and read.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import logging
import os
import platform
import shutil
import sqlite3
import time
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from tqdm import tqdm

from corpus import EXTRACTOR_VERSION, scan_corpus
from corpus.bounded import load_bounded
from corpus.records import Report, SourceFile
from indexer import unit_vectors
from indexer.ann import write_approximate
from indexer.chunking import chunk, chunker_settings, embedding_text
from indexer.embedding import Embedder, load_embedder, model_fingerprint, model_path, model_window
from indexer.generations import (
    MANIFEST_FORMAT,
    build_lock,
    clean,
    current_generation,
    new_generation_id,
    publish,
    read_manifest,
    staging_directory,
    write_json,
)
from indexer.integrity import record_files, verify_files
from indexer.progress import ProgressWriter
from indexer.records import BuildReport, Chunk
from indexer.store import (
    BUILD_REPORT_FILE,
    FAISS_FILE,
    MANIFEST_FILE,
    SQLITE_FILE,
    create_schema,
    delete_reports,
    insert_chunks,
    insert_report,
    new_faiss_index,
)
from inspectqa.errors import CorruptReport, IndexProblem
from inspectqa.settings import Settings

log = logging.getLogger(__name__)

FLUSH_CHUNKS = 512  # chunks embedded per call: large enough for length-sorted batches with little padding
ReadFile = tuple[SourceFile, Report | str]  # a file with its report or the reason it is not one
EXTRACT_WORKERS = 2  # reading is CPU-bound; more children than cores only share them
VERSIONED = (
    "inspectqa",
    "sentence-transformers",
    "transformers",
    "onnxruntime",
    "optimum-onnx",
    "torch",
    "faiss-cpu",
    "numpy",
    "langchain-text-splitters",
    "pypdfium2",
)


def model_identity(settings: Settings) -> dict[str, Any]:
    """What the vectors depend on, known without loading the model (compared before reusing vectors)."""
    path = model_path(settings)
    window = model_window(path)
    config = chunker_settings(settings)
    return {
        "model": {
            "name": settings.model_name,
            "backend": settings.embed_backend,
            "fingerprint": model_fingerprint(path),
            "max_tokens": window,
        },
        "chunker": dataclasses.replace(config, max_tokens=min(config.max_tokens, window)).as_dict(),
        "extractor": {"version": EXTRACTOR_VERSION},
    }


class _Builder:
    def __init__(
        self,
        corpus: Path,
        index: Path,
        settings: Settings,
        progress: bool,
        tracker: ProgressWriter | None = None,
        passage_units: unit_vectors.PassageUnits | None = None,
    ) -> None:
        self.corpus = corpus
        # What the grounding checker compares chunks by, to store their vectors (None: not stored).
        self.passage_units = passage_units if settings.stores_unit_vectors else None
        # Without a tracker (a subclass's own build), the progress is kept in memory only.
        self.tracker = tracker or ProgressWriter(index, write=False)
        self.index = index
        self.settings = settings
        self.progress = progress
        self._embedder: Embedder | None = None
        self._reused_embedding: Any = None
        self.embedded_chunks = 0
        self.embedded_tokens = 0
        self.embed_seconds = 0.0

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.settings)
        return self._embedder

    def run(self, limit: int | None) -> BuildReport:
        started = time.perf_counter()
        sources = sorted(scan_corpus(self.corpus), key=lambda s: s.report_id)
        if limit is not None:
            sources = sources[: max(limit, 0)]
        identity = model_identity(self.settings)
        previous = current_generation(self.index)
        known = self._previous_manifest(previous)
        rebuild_reason = self._rebuild_reason(previous, known, identity) if known and previous else ""
        if rebuild_reason:
            log.warning("reading and embedding every report again: %s", rebuild_reason)
        manifest = None if rebuild_reason else known  # the previous generation, when it can be reused
        self._reused_embedding = manifest.get("embedding") if manifest else None
        # What the previous generation held, even when none of it is reused: to count updates and removals.
        indexed: dict[str, dict[str, Any]] = known.get("reports", {}) if known else {}
        old_reports: dict[str, dict[str, Any]] = manifest.get("reports", {}) if manifest else {}
        old_failures: dict[str, dict[str, str]] = manifest.get("failures", {}) if manifest else {}

        unchanged: list[SourceFile] = []
        to_load: list[SourceFile] = []
        failures: list[dict[str, str]] = []
        for source in sources:
            old = old_reports.get(source.report_id)
            failed = old_failures.get(_file_key(source))
            if old is not None and old["content_hash"] == source.content_hash:
                unchanged.append(source)
            elif failed is not None and failed["content_hash"] == source.content_hash:
                failures.append({"file": _file_key(source), "error": failed["error"]})
            else:
                to_load.append(source)
        wanted = {s.report_id for s in sources}
        removed = sorted(set(indexed) - wanted)
        changed = [s.report_id for s in to_load if s.report_id in old_reports]
        self.tracker.update(force=True, reports_total=len(to_load), failed=len(failures))

        # Reading starts now (children start up while the previous generation is copied); an unchanged
        # corpus starts no child.
        with self._reading(to_load) as reading:
            generation_id = new_generation_id()
            staging = staging_directory(self.index, generation_id)
            vectors: Any = None
            if manifest is not None and previous is not None:
                shutil.copyfile(previous / SQLITE_FILE, staging / SQLITE_FILE)
                vectors = faiss.read_index(str(previous / FAISS_FILE))
                connection = sqlite3.connect(staging / SQLITE_FILE)
            else:
                connection = sqlite3.connect(staging / SQLITE_FILE)
                create_schema(connection)
            entries = {s.report_id: old_reports[s.report_id] for s in unchanged}
            try:
                gone = delete_reports(connection, [*removed, *changed])
                if vectors is not None and gone:
                    vectors.remove_ids(np.asarray(gone, dtype=np.int64))
                if vectors is None:
                    dimension = manifest["model"]["dimension"] if manifest else self.embedder.dimension
                    vectors = new_faiss_index(int(dimension))
                if to_load:
                    next_row = (connection.execute("SELECT MAX(row_id) FROM chunks").fetchone()[0] or -1) + 1
                    self._add(connection, vectors, reading, len(to_load), next_row, entries, failures)
                if manifest is None:
                    connection.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('optimize')")
                connection.commit()
                counts = self._counts(connection)
                same = manifest is not None and not to_load and not gone
                units = self._unit_vectors(connection, staging, previous if manifest else None, same)
            finally:
                connection.close()
        faiss.write_index(vectors, str(staging / FAISS_FILE))
        # Past a size, the approximate index too, written once here rather than at every open.
        unchanged_vectors = manifest is not None and not to_load and not gone
        ann_record = write_approximate(
            vectors,
            staging,
            self.settings.ann_exact_max_passages,
            previous=self._previous_ivf(previous, manifest) if unchanged_vectors else None,
        )

        loaded = [s.report_id for s in to_load if s.report_id in entries]
        report = BuildReport(
            reports_indexed=counts["reports"],
            reports_failed=sorted(failures, key=lambda f: f["file"]),
            chunks=counts["chunks"],
            pages=counts["pages"],
            seconds=0.0,
            embedded_chunks=self.embedded_chunks,
            reports_added=sum(1 for r in loaded if r not in indexed),
            reports_updated=sum(1 for r in loaded if r in indexed),
            reports_removed=len(removed),
            reports_unchanged=len(unchanged),
            generation=generation_id,
            embedded_tokens=self.embedded_tokens,
            embed_seconds=round(self.embed_seconds, 3),
            max_chunk_tokens=counts["max_tokens"],
            embedded_units=units.embedded if units else 0,
            unit_embed_seconds=units.seconds if units else 0.0,
            rebuild_reason=rebuild_reason,
        )
        dimension = int(vectors.d)
        hashes = {_file_key(s): s.content_hash for s in sources}
        new_manifest = self._manifest(generation_id, identity, dimension, report, entries, sources)
        new_manifest["ann"] = ann_record
        if units is not None:
            new_manifest["unit_vectors"] = units.manifest()
        new_manifest["failures"] = {
            f["file"]: {"content_hash": hashes.get(f["file"], ""), "error": f["error"]}
            for f in report.reports_failed
        }
        report = dataclasses.replace(report, seconds=round(time.perf_counter() - started, 3))
        write_json(staging / BUILD_REPORT_FILE, dataclasses.asdict(report))
        new_manifest["files"] = record_files(staging)  # every file written so far: all but the manifest
        write_json(staging / MANIFEST_FILE, new_manifest)
        publish(self.index, staging, generation_id)
        clean(self.index)
        return report

    # --- pieces -------------------------------------------------------------------------------
    def _previous_manifest(self, previous: Path | None) -> dict[str, Any] | None:
        """The current generation's manifest, or None when there is none or it cannot be read."""
        if previous is None:
            return None
        try:
            return read_manifest(previous)
        except IndexProblem as error:
            log.warning("ignoring the current generation (%s): building from scratch", error)
            return None

    def _previous_ivf(self, previous: Path | None, manifest: dict[str, Any] | None) -> Path | None:
        """The previous generation's IVF file, to copy when the vectors did not change."""
        record = manifest.get("ann") if manifest else None
        if previous is None or not record or record.get("threshold") != self.settings.ann_exact_max_passages:
            return None
        path = previous / str(record.get("file", ""))
        return path if path.is_file() and path.parent == previous else None

    def _rebuild_reason(self, previous: Path, manifest: dict[str, Any], identity: dict[str, Any]) -> str:
        """Why the previous generation's chunks and vectors cannot be reused ("" when they can)."""
        model = manifest.get("model", {})
        if not all(model.get(key) == value for key, value in identity["model"].items()):
            return "the embedding model changed since the last build"
        if manifest.get("chunker") != identity["chunker"]:
            return "the chunker changed since the last build"
        extractor = manifest.get("extractor")
        built_with = extractor.get("version") if isinstance(extractor, dict) else None
        if built_with is None:
            return (
                "the last build recorded no extractor version (it predates them), so its text may come "
                "from older extraction code"
            )
        if built_with != identity["extractor"]["version"]:
            return (
                f"the corpus extraction code changed since the last build (extractor version {built_with} "
                f"then, {identity['extractor']['version']} now)"
            )
        try:
            verify_files(previous, manifest)
        except IndexProblem as error:  # missing or changed files: copying them would keep the damage
            return f"the current generation cannot be reused: {error}"
        return ""

    def _unit_vectors(
        self, connection: sqlite3.Connection, staging: Path, previous: Path | None, unchanged: bool
    ) -> unit_vectors.Written | None:
        """The chunks' unit vectors written into ``staging`` (``indexer.unit_vectors``), or None.

        ``previous`` is the last generation when its vectors can be reused (same model): its files
        are copied when no chunk changed, else the vectors of every unit it holds are.
        """
        if self.passage_units is None:
            return None
        stored = unit_vectors.UnitVectors.open(previous) if previous is not None else None
        if stored is not None and unchanged and previous is not None:
            for name in (unit_vectors.KEYS_FILE, unit_vectors.VECTORS_FILE):
                shutil.copyfile(previous / name, staging / name)
            return unit_vectors.Written(len(stored), 0, 0.0)
        texts = (row[0] for row in connection.execute("SELECT text FROM chunks ORDER BY row_id"))
        return unit_vectors.write(
            staging, texts, self.passage_units, self.embedder, stored, self.settings.batch_size, self.progress
        )

    def _reading(self, sources: Sequence[SourceFile]) -> AbstractContextManager[Iterable[ReadFile]]:
        if not sources:
            return nullcontext(())
        return load_bounded(
            sources,
            memory_mb=self.settings.extract_memory_mb,
            timeout_s=self.settings.extract_timeout_s,
            workers=min(EXTRACT_WORKERS, os.cpu_count() or 1),
        )

    def _add(
        self,
        connection: sqlite3.Connection,
        vectors: Any,
        outcomes: Iterable[ReadFile],
        total: int,
        next_row: int,
        entries: dict[str, dict[str, Any]],
        failures: list[dict[str, str]],
    ) -> None:
        _ = self.embedder  # the model loads while the first children start and read
        pending: list[Chunk] = []
        bar = tqdm(
            outcomes,
            total=total,
            desc="indexing reports",
            unit="report",
            disable=not self.progress,
            dynamic_ncols=True,
        )
        for done, (source, outcome) in enumerate(bar, start=1):
            try:
                if isinstance(outcome, str):
                    failures.append({"file": _file_key(source), "error": _one_line(outcome)})
                    continue
                report = outcome
                try:
                    chunks = chunk(report, self.embedder, self.settings)
                    if not chunks:
                        raise CorruptReport("no text to index (an empty or image-only document?)")
                except CorruptReport as error:
                    failures.append({"file": _file_key(source), "error": _one_line(str(error))})
                    continue
                except Exception as error:  # one bad file must not stop a corpus build
                    log.exception("unexpected failure on %s", source.path)
                    failures.append(
                        {"file": _file_key(source), "error": _one_line(f"{type(error).__name__}: {error}")}
                    )
                    continue
                insert_report(connection, report)
                entries[report.report_id] = _entry(report, source, chunks)
                pending.extend(chunks)
                if len(pending) >= FLUSH_CHUNKS:
                    next_row = self._embed(connection, vectors, pending, next_row)
                    pending = []
            finally:  # after each file, whatever became of it: the bar and INDEX/.build-progress.json
                passages = self.embedded_chunks + len(pending)
                bar.set_postfix(chunks=passages, failed=len(failures), refresh=False)
                self.tracker.update(reports_done=done, passages=passages, failed=len(failures))
        if pending:
            self._embed(connection, vectors, pending, next_row)
        bar.close()

    def _embed(self, connection: sqlite3.Connection, vectors: Any, chunks: list[Chunk], next_row: int) -> int:
        window = self.embedder.max_tokens
        too_long = [c.chunk_id for c in chunks if c.n_tokens > window]
        if too_long:  # the chunker guarantees this; a violation would silently truncate passages
            raise AssertionError(f"chunks over the model's {window}-token window: {too_long[:3]}")
        started = time.perf_counter()
        matrix = self.embedder.encode(
            [embedding_text(c) for c in chunks], batch_size=self.settings.batch_size
        )
        self.embed_seconds += time.perf_counter() - started
        row_ids = np.arange(next_row, next_row + len(chunks), dtype=np.int64)
        vectors.add_with_ids(matrix, row_ids)
        insert_chunks(connection, chunks, row_ids.tolist())
        self.embedded_chunks += len(chunks)
        self.embedded_tokens += sum(c.n_tokens for c in chunks)
        return next_row + len(chunks)

    @staticmethod
    def _counts(connection: sqlite3.Connection) -> dict[str, int]:
        reports = connection.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
        chunks, max_tokens = connection.execute(
            "SELECT COUNT(*), COALESCE(MAX(n_tokens), 0) FROM chunks"
        ).fetchone()
        pages = connection.execute("SELECT COUNT(*) FROM pages").fetchone()[0]
        return {"reports": reports, "chunks": chunks, "pages": pages, "max_tokens": max_tokens}

    def _manifest(
        self,
        generation_id: str,
        identity: dict[str, Any],
        dimension: int,
        report: BuildReport,
        entries: dict[str, dict[str, Any]],
        sources: Sequence[SourceFile],
    ) -> dict[str, Any]:
        hashes = sorted(s.content_hash for s in sources)
        return {
            "format": MANIFEST_FORMAT,
            "generation": generation_id,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "corpus": str(self.corpus.resolve()),
            "corpus_hash": hashlib.sha256("".join(hashes).encode()).hexdigest(),
            "model": {**identity["model"], "dimension": dimension},
            "chunker": identity["chunker"],
            "extractor": identity["extractor"],
            # What computed the vectors (informational: another CPU's int8 target is compatible).
            "embedding": self._embedder.describe() if self._embedder is not None else self._reused_embedding,
            "counts": {
                "reports": report.reports_indexed,
                "chunks": report.chunks,
                "pages": report.pages,
                "failed": len(report.reports_failed),
                "max_chunk_tokens": report.max_chunk_tokens,
            },
            "versions": _versions(),
            "reports": dict(sorted(entries.items())),
        }


def build(
    corpus: Path,
    index: Path,
    settings: Settings,
    limit: int | None = None,
    progress: bool = True,
    passage_units: unit_vectors.PassageUnits | None = None,
) -> BuildReport:
    """Build or update the index at ``index`` from the reports in ``corpus``; see the module docstring.

    With ``passage_units`` (and ``settings.stores_unit_vectors``), the units it cuts each chunk into are
    embedded and stored too, for the grounding checker (``indexer.unit_vectors``)."""
    with build_lock(Path(index)):
        clean(Path(index))
        tracker = ProgressWriter(Path(index))
        try:
            builder = _Builder(Path(corpus), Path(index), settings, progress, tracker, passage_units)
            report = builder.run(limit)
        except BaseException as error:  # KeyboardInterrupt included: the file must not say "building"
            tracker.finish(error=_one_line(str(error)) or type(error).__name__)
            raise
        tracker.update(
            reports_done=tracker.current.reports_total,
            passages=report.chunks,
            failed=len(report.reports_failed),
        )
        tracker.finish()
        return report


def _file_key(source: SourceFile) -> str:
    return os.path.abspath(source.path)


def _one_line(message: str) -> str:
    return " ".join(message.split())[:300]


def _entry(report: Report, source: SourceFile, chunks: Sequence[Chunk]) -> dict[str, Any]:
    return {
        "content_hash": report.content_hash,
        "file": os.path.abspath(source.path),
        "chunks": len(chunks),
        "pages": len(report.pages),
        "max_tokens": max(c.n_tokens for c in chunks),
    }


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for name in VERSIONED:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def read_build_report(generation: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((generation / BUILD_REPORT_FILE).read_text())
    return report
