"""``inspectqa bench index``: our index build against the naive pipeline, on the same reports.

Ours: pypdfium2 extraction with cleaning and structure, paragraph chunks, ONNX int8 embeddings, FAISS +
SQLite (``indexer.build``). Naive: pypdf page text, ``RecursiveCharacterTextSplitter(1000, 200)``,
all-MiniLM-L6-v2 in torch fp32, ``IndexFlatIP``. Each runs in a fresh child process (spawned), so both
pay their own imports and model loading and each one's peak memory is its own. After our build, the
benchmark also times an unchanged rebuild and adding one report to the index.

Embedding throughput is reported in chunks/s and in tokens/s (tokens the model actually reads,
special tokens included: the naive chunks are cut to 256 tokens by the model, ours never are).
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import resource
import shutil
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from inspectqa.settings import Settings


def settings_from_environment(**values: Any) -> Settings:
    """``Settings`` from ``INSPECTQA_*`` variables, with ``values`` over them."""
    return Settings(**values)


def select_corpus(corpus: Path, target: Path, limit: int | None) -> list[str]:
    """A corpus folder at ``target`` of symlinks to the first ``limit`` reports of ``corpus``."""
    from corpus import scan_corpus
    from corpus.subset import link_subset

    sources = sorted(scan_corpus(corpus), key=lambda s: s.report_id)
    if limit is not None:
        sources = sources[:limit]
    target.mkdir(parents=True, exist_ok=True)
    if (corpus / "manifest.csv").is_file():
        link_subset(corpus, target, [s.report_id for s in sources])
        return [s.report_id for s in sources]
    for source in sources:
        link = target / Path(source.path).resolve().relative_to(corpus.resolve())
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(Path(source.path).resolve())
    return [s.report_id for s in sources]


def write_manifest(path: Path, fields: Sequence[str], rows: Sequence[dict[str, str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(fields))
        writer.writeheader()
        writer.writerows(rows)


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_ours(corpus: str, index: str) -> dict[str, Any]:
    """Our build, then an unchanged rebuild and the addition of one report (in a child process)."""
    from dataclasses import asdict

    from indexer.build import build
    from indexer.embedding import load_embedder

    settings = settings_from_environment()
    started = time.perf_counter()
    load_embedder(settings)  # what the build would load first; timed apart, as the baseline's is
    loaded = time.perf_counter()
    report = build(Path(corpus), Path(index), settings, progress=True)
    total = time.perf_counter() - started
    result: dict[str, Any] = {
        "seconds": round(total, 2),
        "model_load_seconds": round(loaded - started, 2),
        "peak_rss_mb": _peak_rss_mb(),
        "build_report": asdict(report),
        "chunks": report.chunks,
        "embedded_chunks": report.embedded_chunks,
        "embed_seconds": report.embed_seconds,
        "prepare_seconds": round(total - (loaded - started) - report.embed_seconds, 2),
        "chunks_per_s": round(report.embedded_chunks / report.embed_seconds, 1)
        if report.embed_seconds
        else 0.0,
        "tokens_per_s": round(report.embedded_tokens / report.embed_seconds, 1)
        if report.embed_seconds
        else 0.0,
        "max_input_tokens": report.max_chunk_tokens,
        "truncated_chunks": 0,
    }
    started = time.perf_counter()
    unchanged = build(Path(corpus), Path(index), settings, progress=False)
    result["rebuild_unchanged_seconds"] = round(time.perf_counter() - started, 2)
    result["rebuild_unchanged_embedded"] = unchanged.embedded_chunks
    # Adding one report: take the last one out (not timed), then time putting it back.
    manifest = Path(corpus) / "manifest.csv"
    if manifest.is_file():
        with manifest.open(newline="") as handle:
            reader = csv.DictReader(handle)
            fields = list(reader.fieldnames or [])
            rows = list(reader)
        write_manifest(manifest, fields, rows[:-1])
        build(Path(corpus), Path(index), settings, progress=False)
        write_manifest(manifest, fields, rows)
        started = time.perf_counter()
        added = build(Path(corpus), Path(index), settings, progress=False)
        result["add_one_report_seconds"] = round(time.perf_counter() - started, 2)
        result["add_one_report_embedded"] = added.embedded_chunks
    return result


def run_naive(corpus: str, settings_batch: int = 32) -> dict[str, Any]:
    """pypdf → RecursiveCharacterTextSplitter(1000, 200) → torch fp32 MiniLM → IndexFlatIP (child)."""
    import faiss
    import numpy as np
    import pypdf
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from tqdm import tqdm

    from corpus import scan_corpus
    from indexer.embedding import load_embedder

    started = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    texts: list[str] = []
    failed = 0
    for source in tqdm(sorted(scan_corpus(Path(corpus)), key=lambda s: s.report_id), desc="naive: pypdf"):
        try:
            reader = pypdf.PdfReader(str(source.path))
            for page in reader.pages:
                texts.extend(splitter.split_text(page.extract_text() or ""))
        except Exception:  # the naive pipeline skips what it cannot read, as people do
            failed += 1
    prepared = time.perf_counter()
    embedder = load_embedder(settings_from_environment(embed_backend="torch"))
    loaded = time.perf_counter()
    vectors = embedder.encode(texts, show_progress=True, batch_size=settings_batch)
    embedded = time.perf_counter()
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors))
    total = time.perf_counter() - started
    counts = embedder.count_tokens_batch(texts)
    seen = [min(count, embedder.max_tokens) for count in counts]
    embed_seconds = embedded - loaded
    return {
        "seconds": round(total, 2),
        "peak_rss_mb": _peak_rss_mb(),
        "chunks": len(texts),
        "failed_files": failed,
        "prepare_seconds": round(prepared - started, 2),
        "model_load_seconds": round(loaded - prepared, 2),
        "embed_seconds": round(embed_seconds, 2),
        "chunks_per_s": round(len(texts) / embed_seconds, 1) if embed_seconds else 0.0,
        "tokens_per_s": round(sum(seen) / embed_seconds, 1) if embed_seconds else 0.0,
        "max_input_tokens": max(counts, default=0),
        "truncated_chunks": sum(count > embedder.max_tokens for count in counts),
    }


def _in_child(function: Any, *args: Any) -> dict[str, Any]:
    """Run one pipeline in a fresh interpreter: its own imports, model load and peak memory."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        result: dict[str, Any] = pool.submit(function, *args).result()
    return result


def run_bench(corpus: Path, limit: int | None = None, naive: bool = True) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="inspectqa-bench-") as tmp:
        selected = Path(tmp) / "corpus"
        report_ids = select_corpus(corpus, selected, limit)
        ours = _in_child(run_ours, str(selected), str(Path(tmp) / "index"))
        baseline = _in_child(run_naive, str(selected)) if naive else None
        shutil.rmtree(selected, ignore_errors=True)
    result: dict[str, Any] = {
        "corpus": str(corpus),
        "reports": len(report_ids),
        "limit": limit,
        "cpus": multiprocessing.cpu_count(),
        "ours": ours,
        "naive": baseline,
    }
    if baseline:
        result["ratio_end_to_end"] = round(baseline["seconds"] / ours["seconds"], 2)
        result["ratio_chunks_per_s"] = round(ours["chunks_per_s"] / baseline["chunks_per_s"], 2)
        result["ratio_tokens_per_s"] = round(ours["tokens_per_s"] / baseline["tokens_per_s"], 2)
        result["ratio_embed_seconds"] = round(baseline["embed_seconds"] / ours["embed_seconds"], 2)
    return result


def render(result: dict[str, Any]) -> str:
    ours, naive = result["ours"], result["naive"]
    lines = [
        f"index build benchmark: {result['reports']} reports of {result['corpus']} on {result['cpus']} CPUs"
    ]
    header = f"{'':24}{'ours':>14}{'naive':>14}"
    lines.append(header)
    rows = [
        ("end to end (s)", "seconds"),
        ("model load (s)", "model_load_seconds"),
        ("extract, chunk, store (s)", "prepare_seconds"),
        ("embedding (s)", "embed_seconds"),
        ("chunks", "chunks"),
        ("chunks/s", "chunks_per_s"),
        ("tokens/s", "tokens_per_s"),
        ("longest input (tokens)", "max_input_tokens"),
        ("truncated chunks", "truncated_chunks"),
        ("peak memory (MB)", "peak_rss_mb"),
    ]
    for label, key in rows:
        theirs = naive.get(key, "") if naive else ""
        lines.append(f"{label:24}{ours.get(key, ''):>14}{theirs:>14}")
    if naive:
        lines.append(
            f"ratio: {result['ratio_end_to_end']}x end to end, "
            f"{result['ratio_embed_seconds']}x embedding time, "
            f"{result['ratio_tokens_per_s']}x tokens/s"
        )
    lines.append(
        f"unchanged rebuild {ours.get('rebuild_unchanged_seconds')} s "
        f"({ours.get('rebuild_unchanged_embedded')} chunks embedded); "
        f"adding one report {ours.get('add_one_report_seconds')} s "
        f"({ours.get('add_one_report_embedded')} chunks embedded)"
    )
    return "\n".join(lines)


def save(result: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
