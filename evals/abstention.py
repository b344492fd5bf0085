"""Fit the abstention gate (``service.answers.abstention``) on question sets, to be measured on others.

``collect`` asks the service every question (with its history) and keeps, for each question that
reached the gate, the evidence features it weighed and whether the question is answerable.
``fit`` sets the threshold of the gate's score (``service.answers.abstention.WEIGHTS``) at the ``TARGET``
quantile of the answerable questions' scores (midway between the last declined and the first
kept): at most that share of answerable questions like them is declined, and the unanswerable
ones, which score low when their topic is missing, are measured on other files. (The question
sets hold too few unanswerable questions that reach the gate to fit weights on: the rest are
declined earlier, for a council or year with no report.) The result goes to
``service/answers/abstention.json`` with the files it came from; ``inspectqa eval run`` on other
files then measures it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from evals.gold import GoldQuestion
from service.answers.abstention import FEATURES, Evidence, Gate
from service.answers.records import Turn

TARGET = 0.05  # share of answerable questions the fitted threshold declines

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


def fit(rows: Sequence[Row], fitted_on: str, target: float = TARGET) -> tuple[Gate, dict[str, float]]:
    """The gate whose threshold declines ``target`` of the answerable ``rows`` (the score's
    ``target`` quantile over them), and its rates on ``rows``."""
    answerable = sorted(Gate.design(0.0).score(Evidence(*r.features)) for r in rows if r.answerable)
    if not answerable:
        raise ValueError("fitting the gate needs answerable questions that reach it")
    k = min(int(target * len(answerable)), len(answerable) - 1)
    # Midway between the highest score declined and the lowest kept: the same decisions on the
    # rows, with the widest margin on either side for questions it was not fitted on.
    threshold = (answerable[k - 1] + answerable[k]) / 2 if k > 0 else answerable[0]
    gate = Gate.design(round(threshold, 4), target, fitted_on)
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
