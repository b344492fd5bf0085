"""Fit the recurring themes' clustering cut-off on tuning topics; measure it on held-out topics.

``service.answers.themes`` joins near-duplicate findings by average-linkage clustering on cosine
distance, cut at ``DISTANCE``. No gold says which findings are "the same theme", so the cut-off is
fitted on an internal criterion: the mean silhouette (cosine) of the clustering of each topic's
findings, the standard measure of how much closer a finding is to its own theme than to the
nearest other one (a finding alone in its theme scores 0, so cutting too low earns nothing, and
merging distinct findings lowers it). The cut-off with the best mean over ``TUNE_TOPICS`` is chosen;
``HELD_OUT_TOPICS`` (other areas of practice, never looked at while fitting) report the same
criterion at that cut-off and at the one in use.

Run it on the full index (it reads every report for each topic, as a themes question does)::

    python -m evals.fit_themes --index var/index-full
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from service.answers.themes import DISTANCE, cluster, embed, gather, topic_of

TUNE_TOPICS = (
    "What weaknesses come up most often in care leavers services?",
    "What do inspectors praise most in help and protection?",
    "What are the most common weaknesses in management oversight and supervision?",
    "What are the most common criticisms of independent reviewing officers?",
    "What strengths come up most often in services for children in care?",
)
HELD_OUT_TOPICS = (
    "What weaknesses come up most often in private fostering arrangements?",
    "What are the most common weaknesses at the front door and in the MASH?",
    "What do inspectors praise most in adoption services?",
    "What are the most common weaknesses in services for disabled children?",
    "What strengths come up most often in early help?",
)
CUTS = tuple(round(float(c), 2) for c in np.arange(0.20, 0.62, 0.02))


def topic_vectors(qa: Any, question: str) -> np.ndarray:
    """The unit vectors of the findings a themes question groups (every report read)."""
    intent = qa.understand(question)
    if intent.ask is None or intent.ask.kind != "themes":
        raise ValueError(f"not read as a themes question: {question!r}")
    findings = gather(qa.tools, None, topic_of(intent), intent.ask.tone)
    return embed([f.text for f in findings], qa.tools.embedder, qa.tools.vectors)


def silhouette(vectors: np.ndarray, cut: float) -> float:
    """Mean cosine silhouette of the clustering cut at ``cut`` (0 when all or none are merged)."""
    from sklearn.metrics import silhouette_score

    labels = cluster(vectors, cut)
    if not 2 <= len(set(labels.tolist())) <= len(vectors) - 1:
        return 0.0
    return float(silhouette_score(vectors, labels, metric="cosine"))


def curve(topics: Sequence[np.ndarray], cuts: Sequence[float] = CUTS) -> dict[float, float]:
    """Mean silhouette over topics at each cut-off."""
    return {cut: float(np.mean([silhouette(v, cut) for v in topics])) for cut in cuts}


def fit(qa: Any) -> dict[str, Any]:
    """The cut-off fitted on the tuning topics, and the criterion on both sides (plain floats)."""
    tune = [topic_vectors(qa, q) for q in TUNE_TOPICS]
    held = [topic_vectors(qa, q) for q in HELD_OUT_TOPICS]
    tune_curve = curve(tune)
    best = max(tune_curve, key=lambda c: (tune_curve[c], -abs(c - DISTANCE)))
    held_curve = curve(held, sorted({best, DISTANCE}))
    return {
        "best_cut": best,
        "in_use": DISTANCE,
        "tune_silhouette_at_best": tune_curve[best],
        "tune_silhouette_in_use": curve(tune, [DISTANCE])[DISTANCE],
        "heldout_silhouette_at_best": held_curve[best],
        "heldout_silhouette_in_use": held_curve[DISTANCE],
        "tune_curve": tune_curve,
        "findings": {"tune": [len(v) for v in tune], "heldout": [len(v) for v in held]},
    }


def main(argv: Sequence[str] | None = None) -> None:
    from inspectqa.settings import Settings
    from service.answers.qa import QAService

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="Index directory (the full corpus).")
    parser.add_argument("--out", type=Path, help="Write the result as JSON here too.")
    args = parser.parse_args(argv)
    qa = QAService.open(Settings(index=args.index))
    result = fit(qa)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
