"""Fit the abstention gate (``service.answers.abstention``) on question sets, to be measured on others.

``collect`` asks the service every question (with its history) and keeps, for each question that
reached the gate, the evidence features it weighed and whether the question is answerable.
``fit`` then does two things on those rows:

1. **Weights**: a logistic regression (scikit-learn, L2, ``C``, classes balanced, inputs
   standardised) of "answerable" on the gate's ``INPUTS`` (the designed sum of the features and
   ``reworded``), turned back into weights of the raw features and an intercept, so the service
   needs no scikit-learn. The question sets hold few unanswerable questions that reach the gate
   (the rest are declined earlier, for a council or year with no report), so the model has two
   inputs, not one per feature. With no unanswerable row the designed weights stay.
2. **Threshold** on that score, so that at most the ``TARGET`` share of the answerable questions'
   scores fall below it, midway across a gap among that lowest share: of those cuts, the one that
   declines most of the unanswerable questions, then fewest answerable ones, then the one with the
   widest margin (with the designed weights, never below ``FLOOR``).

The result goes to ``service/answers/abstention.json`` with the files it came from; ``inspectqa
eval run`` on other files then measures it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

from evals.gold import GoldQuestion
from service.answers.abstention import FEATURES, INPUTS, Evidence, Gate
from service.answers.records import Turn

TARGET = 0.05  # share of answerable questions the fitted threshold declines at most
FLOOR = 0.0  # the lowest designed threshold: the best sentence's cover no more than the topic's missing share
C = 1.0  # the logistic regression's inverse regularisation (scikit-learn's default)

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class Row:
    question_id: str
    style: str
    answerable: bool
    features: tuple[float, ...]


def collect(service: Any, questions: Sequence[GoldQuestion]) -> list[Row]:
    """The gate's features for every question that reached it."""
    rows = []
    for question in questions:
        history = [Turn(cast(Role, role), content) for role, content in question.history]
        answer = service.ask(question.question, history=history)
        if not answer.evidence:
            continue  # decided before the gate (no such council or year) or by the judgements table
        features = tuple(float(answer.evidence[name]) for name in FEATURES)
        rows.append(Row(question.id, question.style, question.answerable, features))
    return rows


def weigh(rows: Sequence[Row], fitted_on: str = "", target: float = TARGET) -> Gate:
    """The logistic regression of "answerable" on ``INPUTS`` over ``rows``, as a gate (threshold 0);
    the designed weights when the rows hold only one class."""
    if len({r.answerable for r in rows}) < 2:
        return Gate.design(0.0, target, fitted_on)
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    names = list(INPUTS)
    x = np.array([[_input(Evidence(*r.features), name) for name in names] for r in rows])
    y = np.array([int(r.answerable) for r in rows])
    mean, spread = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=1000).fit((x - mean) / spread, y)
    weights = model.coef_[0] / spread
    intercept = float(model.intercept_[0] - (weights * mean).sum())
    return Gate.combine(
        dict(zip(names, (float(w) for w in weights), strict=True)),
        intercept,
        0.0,
        target=target,
        fitted_on=fitted_on,
    )


def _input(evidence: Evidence, name: str) -> float:
    values = dict(zip(FEATURES, evidence.vector(), strict=True))
    return sum(w * values[feature] for feature, w in INPUTS[name].items())


def fit(
    rows: Sequence[Row], fitted_on: str, target: float = TARGET, *, learn: bool = True
) -> tuple[Gate, dict[str, float]]:
    """The gate whose weights are fitted on ``rows`` (``weigh``; the designed ones when not
    ``learn``) and whose threshold declines at most ``target`` of the answerable ``rows``, and its
    rates on ``rows``."""
    scorer = weigh(rows, fitted_on, target) if learn else Gate.design(0.0, target, fitted_on)
    floor = FLOOR if scorer.coef == Gate.design(0.0).coef and scorer.intercept == 0.0 else -math.inf
    answerable = sorted(scorer.score(Evidence(*r.features)) for r in rows if r.answerable)
    if not answerable:
        raise ValueError("fitting the gate needs answerable questions that reach it")
    unanswerable = sorted(scorer.score(Evidence(*r.features)) for r in rows if not r.answerable)
    k = min(int(target * len(answerable)), len(answerable) - 1)
    # Candidate cuts: midway across each gap among the ``k + 1`` lowest answerable scores (and
    # below the lowest, above any unanswerable score there), never below the floor. Of those that
    # decline at most ``k`` answerable questions: the one that declines most unanswerable ones,
    # then fewest answerable ones, then the one farthest from any question's score.
    below = [u for u in unanswerable if u < answerable[0]]
    cuts = [(answerable[0] + below[-1]) / 2 if below else answerable[0]]
    cuts += [(answerable[i - 1] + answerable[i]) / 2 for i in range(1, k + 1)]
    everything = answerable + unanswerable

    def merit(cut: float) -> tuple[int, int, float]:
        declined = sum(a < cut for a in answerable)
        margin = min(abs(cut - x) for x in everything)
        return (sum(u < cut for u in unanswerable), -declined, margin)

    allowed = [c for c in (max(c, floor) for c in cuts) if sum(a < c for a in answerable) <= k]
    threshold = max(allowed or [answerable[0]], key=merit)
    gate = replace(scorer, threshold=round(threshold, 4))
    return gate, rates(gate, rows)


def rates(gate: Gate, rows: Sequence[Row]) -> dict[str, float]:
    """How a gate decides on rows (the rates of declined answerable and unanswerable questions)."""
    declined = [gate.declines(Evidence(*r.features)) for r in rows]
    unanswerable = [d for d, r in zip(declined, rows, strict=True) if not r.answerable]
    answerable = [d for d, r in zip(declined, rows, strict=True) if r.answerable]
    return {
        "questions": float(len(rows)),
        "unanswerable": float(len(unanswerable)),
        "unanswerable_declined": sum(unanswerable) / len(unanswerable) if unanswerable else 0.0,
        "answerable_declined": sum(answerable) / len(answerable) if answerable else 0.0,
    }
