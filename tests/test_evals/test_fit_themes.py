"""The themes' cut-off criterion: the mean silhouette peaks where findings split into their true groups."""

from __future__ import annotations

import numpy as np

from evals.fit_themes import curve, silhouette
from service.answers.themes import cluster


def _groups(seed: int, spread: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.eye(8)[:3]  # three orthogonal directions: cosine distance 1 between groups
    vectors = np.vstack([c + rng.normal(scale=spread, size=(10, 8)) for c in centres])
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_the_criterion_prefers_a_cut_between_the_groups() -> None:
    vectors = _groups(0, 0.08)
    scores = curve([vectors], (0.05, 0.4, 0.99))
    assert scores[0.4] > scores[0.05] and scores[0.4] > scores[0.99]
    assert len(set(cluster(vectors, 0.4).tolist())) == 3


def test_all_in_one_theme_or_all_alone_scores_zero() -> None:
    vectors = _groups(1, 0.08)
    assert silhouette(vectors, 1.5) == 0.0
    assert silhouette(vectors[:1], 0.4) == 0.0
