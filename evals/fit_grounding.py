"""Fit the grounding checker's model on the fitting parts of the labelled pairs, never the held-out ones.

What it learns from:
- the pairs of each pairs file whose ``split`` is a fitting one (``dev`` in ``grounding_pairs.jsonl``,
  ``fit`` in ``grounding_pairs_v2.jsonl`` and in ``grounding_pairs_v4.jsonl``, which is all ``fit``);
- natural paraphrases: each dev gold question's reference ``answer`` against its evidence quotes
  (supported; a person wrote them to answer, not to test the checker), skipping questions on a report
  that any held-out pair comes from.

It fits a logistic regression (balanced class weights, L2 regularisation chosen by cross-validation
grouped by report, scored with scikit-learn) on standardised signals (``service.answers.grounding.features``),
once with the embedder's similarity and once without, and writes the weights to
``service/answers/grounding/data/model.json``. Run it as ``inspectqa eval grounding-fit``.

Each weight is held to the sign its signal can only have (``SIGNS``): closeness in meaning can only
help, a changed slot, a replaced word or a run of new words can only hurt. Unconstrained, correlated signals
(coverage, runs, counts of new words) took opposite weights that cancel on the pairs but not on an
invented sentence, which then passed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evals.pairs import Pair, load_pairs
from service.answers.grounding import GroundingChecker
from service.answers.grounding.features import LEXICAL_FEATURES, SEMANTIC_FEATURES
from service.answers.grounding.model import MODEL_FILE

FIT_SPLITS = ("dev", "fit")
HELD_OUT_SPLITS = ("test", "heldout")
_CS = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
# +1: can only make a claim more supported; -1: only less; 0: either (size of the claim).
# Coverage is free: on pairs written to test a checker, a near copy is as often a swapped fact as a
# quotation, and a paraphrase covers few words, so how much is covered says little on its own.
_POSITIVE = ("sim_min", "sim_mean", "sim_low_cov", "replaced_sim", "replaced_same")
_FREE = (
    "cov_min",
    "cov_mean",
    "aligned_cov_min",
    "near_mean",
    "near_max",
    "n_keys",
    "n_clauses",
    "uncovered",
    "replaced",
)
SIGNS = {name: 1 if name in _POSITIVE else 0 if name in _FREE else -1 for name in SEMANTIC_FEATURES}


class SignedLogistic:
    """L2-regularised logistic regression with class weights and each weight held to its sign."""

    def __init__(self, c: float, signs: Sequence[int]) -> None:
        self.c, self.signs = c, list(signs)

    def fit(self, z: np.ndarray, y: np.ndarray) -> SignedLogistic:
        from scipy.optimize import minimize

        n, d = z.shape
        weight = np.where(y == 1, n / (2 * max(1, y.sum())), n / (2 * max(1, n - y.sum())))
        sign = np.where(y == 1, 1.0, -1.0)

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            w, b = theta[:d], theta[d]
            margin = sign * (z @ w + b)
            value = float(np.sum(weight * np.logaddexp(0, -margin)) + 0.5 * w @ w / self.c)
            g = -weight * sign / (1 + np.exp(margin))
            return value, np.append(z.T @ g + w / self.c, g.sum())

        bounds = [(0, None) if s > 0 else (None, 0) if s < 0 else (None, None) for s in self.signs]
        result = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", bounds=[*bounds, (None, None)])
        self.coef_, self.intercept_ = result.x[:d], float(result.x[d])
        return self

    def predict(self, z: np.ndarray) -> np.ndarray:
        return (z @ self.coef_ + self.intercept_ >= 0).astype(int)


@dataclass(frozen=True)
class Example:
    pair: Pair
    group: str  # the report it comes from: folds never split a report


def _report_of(pair: Pair, raw: dict[str, Any]) -> str:
    return str(raw.get("report_id") or pair.id.rsplit("-p", 1)[0])


def fitting_examples(pair_files: Sequence[Path], gold: Path | None) -> tuple[list[Example], set[str]]:
    """The fitting pairs of every file plus the gold paraphrases, and the held-out reports."""
    examples: list[Example] = []
    held_out: set[str] = set()
    for path in pair_files:
        raws = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        by_id = {str(r["id"]): r for r in raws}
        for pair in load_pairs(path):
            report = _report_of(pair, by_id[pair.id])
            if pair.split in FIT_SPLITS:
                examples.append(Example(pair, report))
            elif pair.split in HELD_OUT_SPLITS:
                held_out.add(report)
    if gold is not None:
        from evals.gold import load_gold

        for question in load_gold(gold):
            if not question.answerable or not question.answer or not question.evidence:
                continue
            if set(question.report_ids) & held_out:
                continue
            passage = " ".join(e.quote for e in question.evidence)
            pair = Pair(f"gold-{question.id}", question.answer, passage, "supported", "gold_answer", "fit")
            examples.append(Example(pair, question.report_ids[0] if question.report_ids else question.id))
    return examples, held_out


def _matrix(checker: GroundingChecker, examples: Sequence[Example], names: Sequence[str]) -> np.ndarray:
    rows = []
    for example in examples:
        values = checker.signals(example.pair.claim, example.pair.passage).values
        rows.append([values[n] for n in names])
    return np.asarray(rows, dtype=np.float64)


def fit_model(x: np.ndarray, y: np.ndarray, groups: Sequence[str], names: Sequence[str]) -> dict[str, Any]:
    """Standardise, pick C by grouped cross-validation (balanced accuracy), fit on everything."""
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import GroupKFold

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    folds = GroupKFold(n_splits=5)
    signs = [SIGNS[n] for n in names]
    best_c, best_score = _CS[0], -1.0
    for c in _CS:
        scores = []
        for train, test in folds.split(z, y, groups):
            model = SignedLogistic(c, signs).fit(z[train], y[train])
            scores.append(balanced_accuracy_score(y[test], model.predict(z[test])))
        if float(np.mean(scores)) > best_score + 1e-9:
            best_c, best_score = c, float(np.mean(scores))
    model = SignedLogistic(best_c, signs).fit(z, y)
    return {
        "features": list(names),
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "coef": [round(float(v), 6) for v in model.coef_],
        "intercept": round(float(model.intercept_), 6),
        "threshold": 0.5,
        "C": best_c,
        "cv_balanced_accuracy": round(best_score, 4),
    }


def fit(
    pair_files: Sequence[Path], gold: Path | None, embedder: Any, out: Path = MODEL_FILE
) -> dict[str, Any]:
    examples, held_out = fitting_examples(pair_files, gold)
    if not examples:
        raise ValueError("no fitting pairs: the pairs files hold no dev or fit split")
    y = np.asarray([e.pair.label == "supported" for e in examples], dtype=int)
    groups = [e.group for e in examples]
    models = {
        "lexical": fit_model(
            _matrix(GroundingChecker(None), examples, LEXICAL_FEATURES), y, groups, LEXICAL_FEATURES
        )
    }
    if embedder is not None:
        x = _matrix(GroundingChecker(embedder), examples, SEMANTIC_FEATURES)
        models["semantic"] = fit_model(x, y, groups, SEMANTIC_FEATURES)
    kinds: dict[str, int] = {}
    for e in examples:
        kinds[e.pair.kind] = kinds.get(e.pair.kind, 0) + 1
    payload = {
        "about": "Logistic regression weights of the grounding checker, by `inspectqa eval grounding-fit`.",
        "fitted_on": {
            "pairs_files": [p.name for p in pair_files],
            "splits": list(FIT_SPLITS),
            "gold": gold.name if gold is not None else None,
            "examples": len(examples),
            "by_kind": dict(sorted(kinds.items())),
            "reports": len(set(groups)),
            "held_out_reports_excluded": len(held_out),
        },
        "models": models,
    }
    out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    return payload
