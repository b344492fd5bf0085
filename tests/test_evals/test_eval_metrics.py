"""The metrics on hand-made systems with known answers, built from real gold questions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from conftest import GOLD

from evals.gold import BadGoldFile, GoldQuestion, load_gold, parse_lines
from evals.metrics import aggregate, flatten, score_question
from evals.records import AnswerSentence, CitedPassage, RetrievedPassage, SystemOutput
from service.answers.grounding import GroundingChecker

CHECK = GroundingChecker(None).check
FILLER = "Inspectors reviewed a sample of case files during the inspection week."


@pytest.fixture(scope="module")
def gold() -> list[GoldQuestion]:
    questions = load_gold(GOLD)
    # every type, a manageable number of each
    chosen: list[GoldQuestion] = []
    for qtype in ("factoid", "summary", "judgement", "comparison", "unanswerable"):
        chosen += [q for q in questions if q.type == qtype][:4]
    return chosen


def perfect(question: GoldQuestion) -> SystemOutput:
    if not question.answerable:
        return SystemOutput(question.id, (), "The reports do not say.", (), (), True, 12.0)
    passages = tuple(
        RetrievedPassage(i + 1, f"{e.report_id}#{i:04d}", e.report_id, f"{FILLER}\n{e.quote}")
        for i, e in enumerate(question.evidence)
    )
    cited = tuple(CitedPassage(p.rank, p.chunk_id, p.report_id, p.text) for p in passages)
    sentences = tuple(AnswerSentence(e.quote, (i + 1,)) for i, e in enumerate(question.evidence))
    answer = " ".join(s.text for s in sentences)
    return SystemOutput(question.id, passages, answer, sentences, cited, False, 20.0)


def empty(question: GoldQuestion) -> SystemOutput:
    return SystemOutput(question.id, (), "", (), (), False, 5.0)


def run(gold: list[GoldQuestion], system: Callable[[GoldQuestion], SystemOutput]) -> dict[str, Any]:
    return aggregate([score_question(q, system(q), CHECK) for q in gold])


def test_a_perfect_system_scores_one(gold: list[GoldQuestion]) -> None:
    metrics = run(gold, perfect)
    for group in ("retrieval", "answer"):
        for name, value in metrics[group].items():
            assert value == pytest.approx(1.0), f"{group}.{name}"
    assert metrics["abstention"] == {"unanswerable_abstained": 1.0, "answerable_abstained": 0.0}
    assert metrics["n_questions"] == len(gold)
    assert set(metrics["by_type"]) == {"factoid", "summary", "judgement", "comparison", "unanswerable"}
    assert metrics["by_type"]["comparison"]["retrieval"]["report_recall@5"] == 1.0
    assert metrics["failures"] == {"ok": len(gold)}


def test_a_system_that_returns_nothing_scores_zero(gold: list[GoldQuestion]) -> None:
    metrics = run(gold, empty)
    for group in ("retrieval", "answer"):
        for name, value in metrics[group].items():
            assert value == 0.0, f"{group}.{name}"
    assert metrics["abstention"]["unanswerable_abstained"] == 0.0
    assert metrics["failures"] == {"retrieval_miss": 16, "missed_abstention": 4}


def test_citing_the_wrong_paragraph_loses_cites_gold_and_precision(gold: list[GoldQuestion]) -> None:
    def wrong_citation(question: GoldQuestion) -> SystemOutput:
        right = perfect(question)
        if not question.answerable:
            return right
        # Evidence is retrieved and the answer states it, but every sentence cites another paragraph.
        decoy = CitedPassage(1, "decoy#0001", question.report_ids[0], FILLER)
        return SystemOutput(question.id, right.passages, right.answer, right.sentences, (decoy,), False, 20.0)

    metrics = run(gold, wrong_citation)
    assert metrics["retrieval"]["hit@1"] == 1.0
    assert metrics["answer"]["key_fact_recall"] == 1.0
    assert metrics["answer"]["cites_gold"] == 0.0
    assert metrics["answer"]["cites_gold_report"] == 1.0  # the right report, another paragraph
    assert metrics["answer"]["citation_precision"] == 0.0
    assert metrics["answer"]["grounded_sentence_rate"] == 0.0
    assert metrics["failures"]["answer_composition"] == 16


def test_citing_another_report_loses_cites_gold_report(gold: list[GoldQuestion]) -> None:
    def other_report(question: GoldQuestion) -> SystemOutput:
        right = perfect(question)
        if not question.answerable:
            return right
        decoy = CitedPassage(1, "decoy#0001", "another-council-2020-01-01", FILLER)
        return SystemOutput(question.id, right.passages, right.answer, right.sentences, (decoy,), False, 20.0)

    assert run(gold, perfect)["answer"]["cites_gold_report"] == 1.0
    metrics = run(gold, other_report)
    assert metrics["answer"]["cites_gold"] == 0.0
    assert metrics["answer"]["cites_gold_report"] == 0.0


def test_ranks_and_partial_credit(gold: list[GoldQuestion]) -> None:
    question = next(q for q in gold if q.answerable and len(q.evidence) == 2)
    passages = tuple(
        RetrievedPassage(rank, f"x#{rank}", question.evidence[0].report_id, FILLER) for rank in range(1, 11)
    )
    # the first quote at rank 3 only, the second not retrieved; the answer holds no key fact
    passages = (
        *passages[:2],
        RetrievedPassage(3, "x#3", question.evidence[0].report_id, question.evidence[0].quote),
        *passages[3:],
    )
    output = SystemOutput(question.id, passages, "Something else.", (), (), False, 1.0)
    score = score_question(question, output, CHECK)
    assert score.first_evidence_rank == 3
    assert [e.rank for e in score.evidence] == [3, None]
    metrics = aggregate([score])
    assert metrics["retrieval"]["hit@1"] == 0.0 and metrics["retrieval"]["hit@5"] == 1.0
    assert metrics["retrieval"]["mrr"] == pytest.approx(1 / 3)
    assert metrics["retrieval"]["evidence_recall@10"] == 0.5
    assert score.failure == "answer_composition"


def test_a_quote_from_another_report_does_not_count(gold: list[GoldQuestion]) -> None:
    question = next(q for q in gold if q.answerable)
    quote = question.evidence[0].quote
    output = SystemOutput(
        question.id, (RetrievedPassage(1, "other#1", "some-other-report", quote),), "", (), (), False, 1.0
    )
    assert score_question(question, output, CHECK).first_evidence_rank is None


def test_abstaining_on_an_answerable_question(gold: list[GoldQuestion]) -> None:
    question = next(q for q in gold if q.answerable)
    output = SystemOutput(question.id, perfect(question).passages, "", (), (), True, 1.0)
    score = score_question(question, output, CHECK)
    assert score.failure == "false_abstention"
    assert aggregate([score])["abstention"]["answerable_abstained"] == 1.0


def test_flatten_gives_dotted_numbers(gold: list[GoldQuestion]) -> None:
    flat = flatten(run(gold, perfect))
    assert flat["retrieval.hit@5"] == 1.0
    assert flat["by_type.factoid.answer.cites_gold"] == 1.0


def test_gold_errors_name_the_line() -> None:
    with pytest.raises(BadGoldFile, match="gold:2"):
        first = (
            '{"id": "a", "question": "q", "type": "unanswerable", "answerable": false, '
            '"report_ids": [], "evidence": [], "answer": "", "key_facts": []}'
        )
        parse_lines([first, "{not json"])
    with pytest.raises(BadGoldFile, match="unknown type"):
        parse_lines(
            [
                '{"id": "a", "question": "q", "type": "trivia", "answerable": true, '
                '"report_ids": [], "evidence": [], "answer": "", "key_facts": []}'
            ]
        )
    assert len(load_gold(GOLD)) == 120


def test_styles_and_history_are_read_and_every_figure_is_given_per_style(gold: list[GoldQuestion]) -> None:
    record = {
        "id": "u1",
        "question": "and what about their care leavers",
        "type": "unanswerable",
        "answerable": False,
        "report_ids": [],
        "evidence": [],
        "answer": "",
        "key_facts": [],
        "style": "followup",
        "history": [
            {"role": "user", "content": "how is Barnet doing"},
            {"role": "assistant", "content": "ok"},
        ],
    }
    (followup,) = parse_lines([json.dumps(record)])
    assert followup.style == "followup"
    assert followup.history == (("user", "how is Barnet doing"), ("assistant", "ok"))
    # The dev set has no style field: formal, and its unanswerable questions their own style.
    assert {q.style for q in gold} == {"formal", "unanswerable"}
    metrics = run([*gold, followup], perfect)
    assert set(metrics["by_style"]) == {"formal", "unanswerable", "followup"}
    assert metrics["by_style"]["formal"]["retrieval"]["hit@5"] == 1.0
    assert metrics["by_style"]["followup"]["abstention"] == {"unanswerable_abstained": 1.0}
    for bad, message in (({"style": "shouty"}, "unknown style"), ({"history": [{"role": "x"}]}, "history")):
        with pytest.raises(BadGoldFile, match=message):
            parse_lines([json.dumps(record | bad)])
