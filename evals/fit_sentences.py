"""Fit the sentence ranker (``service.answers.sentence_rank``) on the tune side's questions.

``collect`` asks the service every answerable question (with its history) and keeps each
ranking the composer made (``Composer.record``): every candidate sentence it weighed, with its
features, labelled **positive** when it holds what the gold says the answer should: it holds a
gold evidence quote of its report, lies within one (a quote of two sentences), or holds a key
fact (``evals.evidence``, ``evals.metrics.normalise_fact``). The features do not depend on the
ranker in use (while collecting, the composer leaves the passages in retrieval's order:
``Composer.rerank``), so the same files and index give the same fit whatever model is installed.

``fit`` keeps the rankings that hold both a positive and a negative candidate (the others say
nothing about which to prefer) and fits a logistic regression (scikit-learn, L2, inputs
standardised, then folded back into weights of the raw features so the service needs no
scikit-learn). Its regularisation ``C`` is chosen by cross-validation grouped by council (a
council's questions are never both fitted and scored), on the share of rankings whose top
candidate is positive (``precision@1``, the sentence an answer leads with); ties go to the
stronger regularisation. Everything is deterministic: folds by council in sorted order,
lbfgs from zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from evals.evidence import find_quote
from evals.gold import GoldQuestion
from evals.metrics import normalise_fact
from service.answers.records import Passage, Turn
from service.answers.sentence_rank import FEATURES, Ranker

GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # the C values cross-validation chooses from
FOLDS = 5

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class Ranking:
    """One ranking the composer made for one question: its candidates' features and labels."""

    question_id: str
    style: str
    council: str  # what cross-validation groups by
    kind: str  # "extractive" or "support" (the sentence beside a grade)
    features: tuple[tuple[float, ...], ...]
    labels: tuple[bool, ...]

    @property
    def informative(self) -> bool:
        return any(self.labels) and not all(self.labels)


def holds_gold(gold: GoldQuestion, passage: Passage, sentence: str) -> bool:
    """Whether a sentence of ``passage`` holds what the gold answer needs (see the module docstring)."""
    quotes = [e.quote for e in gold.evidence if e.report_id == passage.report_id]
    if not quotes and passage.report_id not in gold.report_ids:
        return False
    if any(find_quote(q, sentence) or find_quote(sentence, q) for q in quotes):
        return True
    haystack = f" {normalise_fact(sentence)} "
    return any(f" {normalise_fact(fact)} " in haystack for fact in gold.key_facts if fact.strip())


def collect(service: Any, questions: Sequence[GoldQuestion]) -> list[Ranking]:
    """Every ranking of candidate sentences the composer made for the answerable ``questions``."""
    out: list[Ranking] = []
    composer = service.composer
    for question in questions:
        if not question.answerable or not question.evidence:
            continue
        history = [Turn(cast(Role, role), content) for role, content in question.history]
        composer.record = []
        try:
            service.ask(question.question, history=history)
            recorded = composer.record
        finally:
            composer.record = None
        info = service.catalogue.by_id.get(question.evidence[0].report_id)
        council = info.local_authority if info else question.evidence[0].report_id.rsplit("-", 3)[0]
        for kind, candidates in recorded:
            labels = tuple(holds_gold(question, p, p.text[a:b]) for _, p, a, b in candidates)
            vectors = tuple(v for v, _, _, _ in candidates)
            out.append(Ranking(question.id, question.style, council, kind, vectors, labels))
    return out


def precision_at_1(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """1.0 when the best-scored candidate (the first of equals) is positive."""
    best = max(range(len(scores)), key=lambda i: scores[i])
    return float(labels[best])


def evaluate(ranker: Ranker, rankings: Sequence[Ranking]) -> float:
    """Mean ``precision_at_1`` of a ranker over informative rankings."""
    kept = [r for r in rankings if r.informative]
    if not kept:
        return 0.0
    return sum(precision_at_1([ranker.score(v) for v in r.features], r.labels) for r in kept) / len(kept)


def _fit(rankings: Sequence[Ranking], c: float, fitted_on: str = "") -> Ranker:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x = np.array([v for r in rankings for v in r.features], dtype=float)
    y = np.array([int(label) for r in rankings for label in r.labels])
    mean, spread = x.mean(axis=0), x.std(axis=0)
    spread[spread < 1e-9] = 1.0  # a feature constant over the rows: weight 0 after fitting
    model = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / spread, y)
    weights = model.coef_[0] / spread
    intercept = float(model.intercept_[0] - (weights * mean).sum())
    return Ranker(tuple(float(w) for w in weights), intercept, fitted_on=fitted_on, c=c)


def folds(rankings: Sequence[Ranking], k: int = FOLDS) -> list[set[str]]:
    """Councils dealt into ``k`` folds in sorted order, so every run makes the same folds."""
    councils = sorted({r.council for r in rankings})
    return [set(councils[i::k]) for i in range(min(k, len(councils)))]


def cross_validate(rankings: Sequence[Ranking], c: float) -> float:
    """``precision@1`` on each council fold of a model fitted on the others, pooled over rankings."""
    kept = [r for r in rankings if r.informative]
    hits = total = 0.0
    for held in folds(kept):
        train = [r for r in kept if r.council not in held]
        test = [r for r in kept if r.council in held]
        if not train or not test or len({label for r in train for label in r.labels}) < 2:
            continue
        ranker = _fit(train, c)
        hits += evaluate(ranker, test) * len(test)
        total += len(test)
    return hits / total if total else 0.0


def fit(
    rankings: Sequence[Ranking], fitted_on: str, current: Ranker | None = None
) -> tuple[Ranker, dict[str, float]]:
    """The ranker fitted on all informative ``rankings`` with the cross-validated ``C``, and the
    figures of the fit (cross-validated precision@1 per C, the chosen one's, and the neutral
    and ``current`` rankers' on the same rankings)."""
    kept = [r for r in rankings if r.informative]
    if not kept:
        raise ValueError("fitting the ranker needs rankings with a positive and a negative candidate")
    scores = {c: cross_validate(kept, c) for c in GRID}
    chosen = max(GRID, key=lambda c: (round(scores[c], 6), -c))
    ranker = _fit(kept, chosen, fitted_on)
    ranker = Ranker(ranker.coef, ranker.intercept, fitted_on, round(scores[chosen], 4), chosen)
    figures = {
        "rankings": float(len(kept)),
        "candidates": float(sum(len(r.labels) for r in kept)),
        "positives": float(sum(sum(r.labels) for r in kept)),
        "councils": float(len({r.council for r in kept})),
        "C": chosen,
        "cv_precision_at_1": round(scores[chosen], 4),
        "neutral_precision_at_1": round(evaluate(Ranker.neutral(), kept), 4),
        "fitted_precision_at_1": round(evaluate(ranker, kept), 4),
        **({"current_precision_at_1": round(evaluate(current, kept), 4)} if current else {}),
        **{f"cv_C={c}": round(s, 4) for c, s in scores.items()},
    }
    return ranker, figures


def describe(ranker: Ranker) -> str:
    """The fitted weights, largest first, one a line."""
    pairs = sorted(zip(FEATURES, ranker.coef, strict=True), key=lambda p: -abs(p[1]))
    return "\n".join(f"  {name:>14} {weight:+.3f}" for name, weight in pairs)
