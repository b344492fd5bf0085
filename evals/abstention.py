"""Fit the abstention gate (``service.answers.abstention``) on question sets, to be measured on others.

``collect`` asks the service every question (with its history) and keeps, for each question that
reached the gate, the evidence features it weighed and whether the question is answerable.
``fit`` sets the threshold of the gate's score (``service.answers.abstention.WEIGHTS``) so that at
most the ``TARGET`` share of the answerable questions' scores fall below it, midway across a gap
among that lowest share (and not below ``FLOOR``): of those cuts, the one that declines most of
the unanswerable questions that reached the gate, then fewest answerable ones, then the one with
the widest margin. The questions of other files then measure it. (The question
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

TARGET = 0.05  # share of answerable questions the fitted threshold declines at most
FLOOR = 0.0  # the lowest threshold: the best sentence's cover no more than the topic's missing share

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
    unanswerable = sorted(Gate.design(0.0).score(Evidence(*r.features)) for r in rows if not r.answerable)
    k = min(int(target * len(answerable)), len(answerable) - 1)
    # Candidate cuts: midway across each gap among the ``k + 1`` lowest answerable scores (and
    # below the lowest, above any unanswerable score there), never below ``FLOOR``, since evidence
    # missing more of the topic than it holds never answers. Of those that decline at most ``k``
    # answerable questions: the one that declines most unanswerable ones, then fewest answerable
    # ones, then the one farthest from any question's score (the widest margin either side).
    below = [u for u in unanswerable if u < answerable[0]]
    cuts = [(answerable[0] + below[-1]) / 2 if below else answerable[0]]
    cuts += [(answerable[i - 1] + answerable[i]) / 2 for i in range(1, k + 1)]
    everything = answerable + unanswerable

    def merit(cut: float) -> tuple[int, int, float]:
        declined = sum(a < cut for a in answerable)
        margin = min(abs(cut - x) for x in everything)
        return (sum(u < cut for u in unanswerable), -declined, margin)

    allowed = [c for c in (max(c, FLOOR) for c in cuts) if sum(a < c for a in answerable) <= k]
    threshold = max(allowed or [answerable[0]], key=merit)
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
