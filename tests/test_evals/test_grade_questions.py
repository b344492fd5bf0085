"""Generated grade questions (``evals.grade_questions``) asked of the real small index: each must
cite the report its relative date or conversation picks, and no other report of that council."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import small_service

from evals.grade_questions import FAMILIES, FORMS, ask_all, generate, inspections, split_of


@pytest.fixture(scope="module")
def service(small_index: Path, embedder: Any) -> Any:
    return small_service(small_index, embedder)[1]


def test_truth_comes_from_the_judgements_table(service: Any) -> None:
    barnet = inspections(service.council_timeline("barnet"))
    assert [i.report_id for i in barnet] == ["barnet-2017-07-07", "barnet-2019-07-01"]
    assert [i.grade("overall_effectiveness") for i in barnet] == ["inadequate", "good"]
    # 2018-2023 reports grade children in care and care leavers together: that row answers both.
    assert barnet[1].grade("care_leavers") == barnet[1].grade("children_in_care") is not None
    assert split_of("barnet") in ("tune", "heldout")


def test_sampling_is_seeded_and_covers_the_grammar(service: Any) -> None:
    first = generate(service, per_council=len(FAMILIES), seed=3)
    again = generate(service, per_council=len(FAMILIES), seed=3)
    assert [q.question for q in first] == [q.question for q in again]
    # No council of the small index has three reports, which "second" and "since YEAR" need.
    assert {q.family for q in first} == set(FAMILIES) - {"second", "since_year"}
    assert {q.form for q in first} <= set(FORMS)
    followups = [q for q in first if q.family.startswith("fu_")]
    assert followups and all(len(q.history) == 2 and q.history[0].role == "user" for q in followups)


def test_every_generated_question_cites_the_right_report(service: Any) -> None:
    questions = [q for seed in (1, 2) for q in generate(service, per_council=len(FAMILIES), seed=seed)]
    results = ask_all(service, questions)
    wrong = [
        (r.question.family, r.question.question, [f.report_id for f in r.question.expected], r.cited)
        for r in results
        if not (r.cites and r.only)
    ]
    assert not wrong, wrong
    assert sum(r.grade for r in results) >= 0.8 * len(results)
