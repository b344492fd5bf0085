"""How long the grounding checker takes on a 6-sentence answer against the passages it cites.

The LLM path checks every sentence of an answer against its cited passages before the answer is
returned, so this is latency a user waits for. Answers are built from the held-out labelled pairs:
six claims (a mix of supported and unsupported) over the three passages they were written against,
each sentence citing its own passage, as ``LLMAnswerer`` hands them to ``check_sentences``. Each
answer is timed on a fresh checker with every cache of passage text emptied (the passages are new,
as for a new question; the per-word caches of lemmas and stems are kept full, as in a service that
has answered a few questions: one untimed pass over the answers fills them), and again on the same
checker (passages cached). The figures are medians over answers, wall-clock, the thread's CPU
time (which a loaded machine inflates less) and the process's (ONNX Runtime's threads included),
with the load average beside them. With an embedder,
the same answers are also checked against the baseline that compares every sentence and adjacent
pair of every cited passage by meaning, not only the few units each clause aligns with best by
words, and the ratio of the two cold medians is given (same command, same load). With an embedder,
the answers are also checked as the LLM path checks passages that come from an index built with
unit vectors (``semantic_index``): the units of the answers' passages are embedded and stored first
as an index build stores them (``indexer.unit_vectors``, untimed), so a cold check embeds only the
answer's clauses. Ratios of the cold medians against ``semantic_index`` are given too. Run
``inspectqa bench grounding``.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from evals.pairs import Pair, load_pairs
from indexer import unit_vectors
from service.answers.grounding import GroundingChecker, Thresholds, alignment, entities, tokens, valence

# The baseline: every sentence and adjacent pair of every cited passage compared by meaning (as the
# checker did before it compared only the few units each clause aligns with best by words).
_EVERY_UNIT = Thresholds(candidates=10_000)


def _forget_passages() -> None:
    for cache in (alignment.view, alignment._content_keys, alignment._surface_keys, tokens._content_stems):
        cache.cache_clear()
    alignment._edit.cache_clear()
    entities._mentions.cache_clear()
    valence.valence.cache_clear()


def answers(pairs: list[Pair], n: int) -> list[tuple[list[tuple[str, list[int]]], dict[int, str]]]:
    """Up to ``n`` answers of six sentences over three passages each (two claims a passage)."""
    by_passage: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        by_passage[pair.passage].append(pair)
    groups = [claims[:2] for claims in by_passage.values() if len(claims) >= 2]
    out = []
    for i in range(0, len(groups) - 2, 3):
        passages = {k + 1: groups[i + k][0].passage for k in range(3)}
        sentences = [(p.claim, [k + 1]) for k in range(3) for p in groups[i + k]]
        out.append((sentences, passages))
        if len(out) >= n:
            break
    return out


def run_bench(pairs_file: Path, embedder: Any, n: int = 60) -> dict[str, float | int]:
    built = answers(
        load_pairs(pairs_file, ("heldout", "test"), allow_empty=True) or load_pairs(pairs_file), n
    )
    figures: dict[str, float | int] = {"answers": len(built)}
    with tempfile.TemporaryDirectory(prefix="bench-units-") as folder:
        stored = None
        if embedder is not None:  # what an index build stores for these passages
            texts = [text for _, passages in built for text in passages.values()]
            written = unit_vectors.write(Path(folder), texts, alignment.passage_units, embedder)
            stored = unit_vectors.UnitVectors.open(Path(folder))
            figures["stored_units"] = written.units
        runs = (
            ("lexical", None, Thresholds(), None),
            ("semantic", embedder, Thresholds(), None),
            ("semantic_index", embedder, Thresholds(), stored),
            ("semantic_every_unit", embedder, _EVERY_UNIT, None),
        )
        for name, encoder, thresholds, store in runs:
            if name.startswith("semantic") and encoder is None:
                continue
            figures.update(_timed(name, built, encoder, thresholds, store))
    if "semantic_index_cold_median_ms" in figures:
        index_cold = float(figures["semantic_index_cold_median_ms"])
        for name in ("semantic", "semantic_every_unit"):
            figures[f"{name}_over_index_cold"] = round(
                float(figures[f"{name}_cold_median_ms"]) / index_cold, 2
            )
    if "semantic_every_unit_cold_median_ms" in figures:
        figures["every_unit_over_candidates_cold"] = round(
            float(figures["semantic_every_unit_cold_median_ms"]) / float(figures["semantic_cold_median_ms"]),
            2,
        )
    figures["load_average_1min"] = round(os.getloadavg()[0], 2)
    return figures


def _timed(
    name: str,
    built: list[tuple[list[tuple[str, list[int]]], dict[int, str]]],
    encoder: Any,
    thresholds: Thresholds,
    stored: Any,
) -> dict[str, float]:
    """Cold and warm medians of one way of checking the answers (see the module docstring)."""
    figures: dict[str, float] = {}
    for sentences, passages in built:  # untimed: load the tables, fill the per-word caches
        GroundingChecker(encoder, thresholds, stored).check_sentences(sentences, passages)
    cold, warm, cpu, process = [], [], [], []
    for sentences, passages in built:
        _forget_passages()
        checker = GroundingChecker(encoder, thresholds, stored)
        started, started_cpu, started_process = time.perf_counter(), time.thread_time(), time.process_time()
        checker.check_sentences(sentences, passages)
        cold.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        process.append((time.process_time() - started_process) * 1000)
        started = time.perf_counter()
        checker.check_sentences(sentences, passages)
        warm.append((time.perf_counter() - started) * 1000)
    figures[f"{name}_cold_median_ms"] = round(statistics.median(cold), 2)
    figures[f"{name}_cold_cpu_median_ms"] = round(statistics.median(cpu), 2)
    # Every thread of the process: ONNX Runtime's own threads too, which the thread's time leaves out.
    figures[f"{name}_cold_process_cpu_median_ms"] = round(statistics.median(process), 2)
    figures[f"{name}_cold_p95_ms"] = round(sorted(cold)[int(0.95 * (len(cold) - 1))], 2)
    figures[f"{name}_warm_median_ms"] = round(statistics.median(warm), 2)
    return figures
