"""The abstention gate: its features measured by the real service on the real small index, the
committed fitted threshold, and the fitting itself. Questions written for this test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evals.abstention import collect, fit, rates
from evals.gold import GoldQuestion
from inspectqa.settings import Settings
from service.answers.abstention import FEATURES, Evidence, Gate
from service.answers.qa import QAService


@pytest.fixture(scope="module")
def qa(small_index: Path, embedder: Any) -> QAService:
    from indexer import open_index

    settings = Settings(index=small_index)
    return QAService(open_index(small_index, settings), embedder, settings)


def question(qid: str, text: str, answerable: bool) -> GoldQuestion:
    return GoldQuestion(
        id=qid,
        question=text,
        type="factoid" if answerable else "unanswerable",
        answerable=answerable,
        report_ids=(),
        evidence=(),
        answer="",
        key_facts=(),
        style="casual",
    )


def test_the_committed_gate_is_fitted_and_reads_the_features() -> None:
    gate = Gate.load()
    assert gate is not None and "users-tune" in gate.fitted_on
    assert gate.intercept != 0.0  # the logistic regression's, not the designed sum alone
    covered = Evidence(cover=0.8, chunk_cover=0.9, dense=0.6, agreement=1.0, missing=0.0, unknown=0.0)
    # A rare word in no passage of the report, and the passages no nearer with it than without.
    lacking = Evidence(0.2, 0.3, 0.6, 1.0, missing=0.6, unknown=0.0, absent=0.6, reworded=-0.04)
    # The same word absent, but the passages say it in other words: nearer with it.
    reworded = Evidence(0.4, 0.4, 0.7, 1.0, missing=0.6, unknown=0.0, absent=0.6, reworded=0.01)
    assert not gate.declines(covered) and gate.declines(lacking) and not gate.declines(reworded)
    assert gate.probability(covered) > 0.5 > gate.probability(lacking)
    assert gate.declines(Evidence(0.9, 0.9, 0.7, 1.0, 0.0, 0.0, no_figure=1.0))


def test_a_misspelt_word_is_not_a_rare_word_the_reports_lack(qa: QAService) -> None:
    typed = qa.ask("what did ofsted say about foster carers anual reveiws in southend 2016")
    assert not typed.abstained
    assert typed.evidence["missing"] == 0.0 and typed.evidence["unknown"] == 0.0
    assert {c.report_id for c in typed.citations} == {"southend-on-sea-2016-07-07"}


def test_a_fact_the_reports_do_not_give_is_declined(qa: QAService) -> None:
    answer = qa.ask("what salary did southend pay its newly qualified social workers in 2019")
    assert answer.abstained and answer.evidence["missing"] > 0
    # "salary" is in no passage of the report either, and the passages are no nearer with it.
    assert answer.evidence["absent"] > 0 and answer.evidence["reworded"] < 0
    assert set(answer.evidence) >= set(FEATURES) | {"score", "probability"}


def test_a_rare_word_elsewhere_in_the_report_is_not_absent(qa: QAService) -> None:
    # Only the passages found are searched for "missing"; "absent" searches the whole report.
    from service.answers.abstention import Abstainer

    abstainer = qa.tools.abstainer
    assert isinstance(abstainer, Abstainer)
    assert abstainer.in_reports("caseloads", ["durham-2019-10-21"])
    assert not abstainer.in_reports("salary", ["durham-2019-10-21"])
    assert not abstainer.in_reports("caseloads", [])


def test_reworded_measures_what_the_word_adds_to_the_question(qa: QAService) -> None:
    from service.answers.abstention import Abstainer

    abstainer = qa.tools.abstainer
    assert isinstance(abstainer, Abstainer)
    found = qa.search("durham 2019 how good is the fostering service", k=5)
    # A word the passages are about brings them nearer; one they never touch does not.
    assert abstainer.reworded("durham 2019 how good is the fostering service", ["fostering"], found) > 0
    assert abstainer.reworded("durham 2019 how good is the bitcoin service", ["bitcoin"], found) < 0


def test_fitting_sets_the_threshold_at_the_share_of_answerable_questions(qa: QAService) -> None:
    questions = [
        question("a1", "southend foster carers annual reviews 2016", True),
        question("a2", "how do barnet social workers see children 2019", True),
        question("a3", "durham 2019 care leavers support", True),
        question("a4", "bexley MASH 2018 how quick", True),
        question("a5", "essex 2014 adoption what was good", True),
        question("u1", "what was barnet's children's services budget in 2019", False),
        question("u2", "what bitcoin scheme did durham run for care leavers in 2019", False),
    ]
    rows = collect(qa, questions)
    assert {r.question_id for r in rows} >= {"a1", "a2", "a3", "u1", "u2"}
    gate, fitted = fit(rows, "hand-written", target=0.0)
    assert fitted["answerable_declined"] == 0.0
    assert gate.fitted_on == "hand-written" and gate.intercept != 0.0
    # Measured on the same rows with a stricter target, more answerable ones are declined.
    stricter, _ = fit(rows, "hand-written", target=0.5)
    assert rates(stricter, rows)["answerable_declined"] >= fitted["answerable_declined"]


def test_the_threshold_declines_the_unanswerable_within_the_share_of_answerable_questions() -> None:
    from evals.abstention import Row

    def rows(answerable: list[float], unanswerable: list[float]) -> list[Row]:
        made = [(c, True) for c in answerable] + [(c, False) for c in unanswerable]
        return [
            Row(f"q{i}", "casual", ok, tuple(Evidence(c, c, 0.5, 1.0, 0.0, 0.0).vector()))
            for i, (c, ok) in enumerate(made)
        ]

    scores = [0.05] + [0.5 + 0.01 * i for i in range(39)]
    # No unanswerable question to decline: none of the answerable ones is (the designed weights stay).
    gate, fitted = fit(rows(scores, []), "made up", target=0.05)
    assert gate.threshold == pytest.approx(0.05) and fitted["answerable_declined"] == 0.0
    # One scoring between the outlier and the rest: the cut lies midway across that gap, declining
    # it and the outlier (two of forty may go), not the dense run above.
    gate, fitted = fit(rows(scores, [0.1]), "made up", target=0.05, learn=False)
    assert gate.threshold == pytest.approx((0.05 + 0.5) / 2)
    assert fitted["unanswerable_declined"] == 1.0 and fitted["answerable_declined"] == pytest.approx(1 / 40)
    # Never below the floor, where more of the topic is missing than found.
    gate, _ = fit(rows([-0.4, *scores[1:]], [-0.6]), "made up", target=0.05, learn=False)
    assert gate.threshold >= 0.0


def test_the_weights_are_a_logistic_regression_over_the_designed_sum_and_rewording() -> None:
    from evals.abstention import Row, weigh

    def row(i: int, cover: float, reworded: float, answerable: bool) -> Row:
        evidence = Evidence(cover, cover, 0.6, 1.0, 1 - cover, 0.0, absent=1 - cover, reworded=reworded)
        return Row(f"q{i}", "casual", answerable, tuple(evidence.vector()))

    answerable = [row(i, 0.5 + 0.01 * i, 0.01 * (i % 3), True) for i in range(30)]
    unanswerable = [row(100 + i, 0.2 + 0.05 * i, -0.03 - 0.01 * i, False) for i in range(4)]
    gate = weigh(answerable + unanswerable, "made up")
    weights = dict(zip(FEATURES, gate.coef, strict=True))
    # Both inputs count for answering; the designed sum's features keep its proportions.
    assert weights["reworded"] > 0 and weights["cover"] > 0
    assert weights["missing"] == pytest.approx(-weights["cover"])
    assert weights["no_figure"] == pytest.approx(-10 * weights["cover"])
    assert weights["dense"] == 0.0 and weights["absent"] == 0.0
    # One class only: nothing to learn, the designed weights.
    assert weigh(answerable, "made up").coef == Gate.design(0.0).coef


def test_words_that_judge_a_finding_are_not_a_topic_the_reports_lack(qa: QAService) -> None:
    # "properly", "wrong": how the question wants the finding judged, answered by a sentence's tone.
    answer = qa.ask("durham 2019 were thresholds applied properly")
    assert not answer.abstained and answer.evidence["missing"] == 0.0
    assert {c.report_id for c in answer.citations} == {"durham-2019-10-21"}


def test_a_word_that_only_frames_a_casual_question_is_not_a_fact_the_reports_lack(qa: QAService) -> None:
    # "flagged", "fine", "percent": as rare in the reports as "salary", but the answer needs none
    # of them; the learnt framing model (service.answers.framing) leaves them out of the topic.
    for text, report in (
        ("anything flagged about care leavers in durham 2019", "durham-2019-10-21"),
        ("fine, and what about bexley 2018 care leavers", "bexley-2018-08-20"),
        (
            "what percent of bexley 2018 care leavers were in education employment or training",
            "bexley-2018-08-20",
        ),
    ):
        answer = qa.ask(text)
        assert not answer.abstained, text
        assert answer.evidence["missing"] == 0.0 and report in {c.report_id for c in answer.citations}
    # A rare word that names the fact asked for is still one the reports lack.
    overspend = qa.ask("how much did durham overspend on childrens services in 2019")
    assert overspend.abstained and overspend.evidence["missing"] > 0


def test_a_question_about_money_wants_a_sum_not_any_count() -> None:
    from service.answers.abstention import MONEY, asks_money

    # "how much are social workers paid": a count of something else does not answer it (issue 12).
    assert asks_money("how much are social workers paid in lambeth")
    assert asks_money("how much does bristol spend on childrens services a year")
    assert not asks_money("how many children were missing from care")
    assert MONEY.search("The setting up home grant is set at £2,000.")
    assert MONEY.search("an investment of 3.5 million pounds")
    assert not MONEY.search("Nine care leavers went on to secure paid employment in 2014.")


def test_asked_for_by_name_wants_a_named_person() -> None:
    from service.answers.asking import read_wants

    assert read_wants("whats the name of essexs director of childrens services").person
    assert read_wants("who is the director of children's services").person
    assert not read_wants("what did the director of children's services change").person


def test_rewording_of_a_follow_up_is_measured_with_the_council_it_is_about() -> None:
    from service.answers.abstention import subject_text
    from service.answers.aliases import PlaceMention
    from service.answers.query import QueryIntent

    camden = PlaceMention("camden", "Camden", 0, 6, True)
    # Without its council, "and what is their annual budget" less "annual budget" is near nothing.
    followup = QueryIntent("and what is their annual budget", places=(camden,), from_history=True)
    assert subject_text(followup) == "Camden and what is their annual budget"
    named = QueryIntent("Camden annual budget", places=(camden,))
    assert subject_text(named) == "Camden annual budget"


def test_a_money_question_with_no_sum_in_the_report_is_declined(qa: QAService) -> None:
    answer = qa.ask("how much did southend spend on foster carers in 2016")
    assert answer.abstained and answer.evidence["no_figure"] == 1.0
