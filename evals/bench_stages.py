"""Where a first index build spends its time: extraction, chunking, tokenisation, the int8 graph.

``python -m evals.bench_stages --corpus ../shared/corpus/ilacs --limit 12 --targets avx2,auto``
reads the first ``limit`` reports once (timed), chunks them (timed), then for each quantisation
target embeds the same chunks twice over, timing tokenisation and the ONNX graph apart, in this one
process. Figures taken in the same run compare fairly on a shared machine even when its load makes
the absolute ones drift; each stage's tokens/s counts the tokens the model reads (special tokens
included, no padding).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from inspectqa.settings import Settings


def _time(function: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def measure(corpus: Path, limit: int, targets: list[str], batch_size: int = 32) -> dict[str, Any]:
    from corpus import load_report, scan_corpus
    from indexer.chunking import chunk, embedding_text
    from indexer.embedding import load_embedder
    from indexer.onnx_encoder import OnnxEncoder

    sources = sorted(scan_corpus(corpus), key=lambda s: s.report_id)[:limit]
    reports = []
    started = time.perf_counter()
    for source in sources:
        try:
            reports.append(load_report(source))
        except Exception:  # a file that is not a report is skipped, as in a build
            continue
    extraction = time.perf_counter() - started
    base = load_embedder(Settings())
    chunks, chunking = _time(lambda: [c for r in reports for c in chunk(r, base, Settings())])
    texts = [embedding_text(c) for c in chunks]
    tokens = sum(base.count_tokens_batch(texts))
    result: dict[str, Any] = {
        "reports": len(reports),
        "chunks": len(chunks),
        "tokens": tokens,
        "extraction_s": round(extraction, 2),
        "chunking_s": round(chunking, 2),
        "targets": {},
    }
    reference: np.ndarray | None = None
    for target in targets:
        embedder = load_embedder(Settings(quantization_target=target))
        engine = embedder._engine
        assert isinstance(engine, OnnxEncoder)
        engine.encode(texts[: batch_size * 2], batch_size=batch_size)  # warm-up
        tokenise = graph = 0.0
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            batch = [texts[i] for i in order[start : start + batch_size]]
            feeds, seconds = _time(engine.feeds, batch)
            tokenise += seconds
            _, seconds = _time(engine.run, feeds)
            graph += seconds
        vectors, whole = _time(embedder.encode, texts, batch_size=batch_size)
        if reference is None:
            reference = vectors
        result["targets"][f"{target} ({embedder.quantization})"] = {
            "file": embedder.file_name,
            "tokenise_s": round(tokenise, 2),
            "graph_s": round(graph, 2),
            "encode_s": round(whole, 2),
            "tokens_per_s": round(tokens / whole),
            "graph_tokens_per_s": round(tokens / graph),
            "min_cosine_to_first_target": round(float(np.min(np.sum(vectors * reference, axis=1))), 4),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus/ilacs"))
    parser.add_argument("--limit", type=int, default=12, help="reports to read")
    parser.add_argument("--targets", default="avx2,auto", help="quantisation targets, comma-separated")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    result = measure(args.corpus, args.limit, args.targets.split(","), args.batch_size)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
