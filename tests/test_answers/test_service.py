"""``QAService`` on a real index of 11 real reports (the small corpus), with the real model.

What users rely on: the right paragraph cited, the right council and inspection chosen from how the
question names them, judgements as the report states them, plain abstention, follow-ups that keep
their context, and quotes that are the report's own characters.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from inspectqa.errors import BadQuestion, NotFound, UnknownFilter
from inspectqa.settings import Settings
from service.answers.qa import QAService
from service.answers.records import Answer, Filters, Turn


@pytest.fixture(scope="module")
def qa(small_index: Path, embedder: Any) -> QAService:
    from indexer import open_index

    settings = Settings(index=small_index)
    return QAService(open_index(small_index, settings), embedder, settings)


def cited_reports(answer: Answer) -> set[str]:
    return {c.report_id for c in answer.citations}


def test_southend_foster_carer_question_cites_the_annual_reviews_paragraph(qa: QAService) -> None:
    answer = qa.ask("What did Ofsted say about foster carer reviews in Southend-on-Sea?")
    assert not answer.abstained
    assert (
        answer.answer.startswith("In its 2019 inspection of Southend-on-Sea")
        or "Southend-on-Sea" in answer.answer
    )
    quotes = [
        c for c in answer.citations if "annual reviews of foster carers" in " ".join(c.quote.lower().split())
    ]
    assert quotes, answer.answer
    citation = quotes[0]
    assert citation.report_id == "southend-on-sea-2019-08-27"
    assert citation.paragraphs and citation.page >= 1
    assert citation.url.endswith(f"#page={citation.page}")
    assert re.search(r"\[\d\]", answer.answer)
    assert answer.grounding_score == 1.0


@pytest.mark.parametrize(
    ("question", "report_id"),
    [
        (
            "What did inspectors say needed to improve in Hull's inspection in November 2022?",
            "kingston-upon-hull-2023-01-13",
        ),
        (
            "What is the quality of practice with care leavers in BCP?",
            "bournemouth-christchurch-poole-2022-02-11",
        ),
        ("What did Southend's 2016 inspection say about care leavers?", "southend-on-sea-2016-07-07"),
        (
            "What did Durham County Council's latest inspection say about foster carers' annual reviews?",
            "durham-2019-10-21",
        ),
        (
            "What did Barnet's previous inspection say about help for children looked after?",
            "barnet-2017-07-07",
        ),
    ],
)
def test_aliases_and_years_select_the_report(qa: QAService, question: str, report_id: str) -> None:
    answer = qa.ask(question)
    assert not answer.abstained, answer.answer
    assert cited_reports(answer) == {report_id}
    assert all(p.report_id == report_id for p in answer.passages)


def test_improvement_questions_list_the_reports_own_points(qa: QAService) -> None:
    answer = qa.ask("What were the areas for improvement in Durham's 2019 inspection?")
    text = answer.answer.lower()
    for point in ("management oversight", "timebound", "private fostering"):
        assert point in text
    assert all("improve" in c.section.lower() for c in answer.citations)


@pytest.mark.parametrize(
    "question",
    [
        "What judgement did Ofsted give Cardiff's children's services in 2022?",
        "How did Ofsted rate services for care leavers in Belfast?",
        "What was Bexley's overall effectiveness judgement in its 2021 inspection?",
        "What is the best recipe for a chocolate sponge cake?",
        "What is the capital of France?",
        "Who was Durham's director of children's services at the time of its 2019 inspection?",
        "What starting salary did Essex offer newly qualified social workers in 2014?",
    ],
)
def test_places_years_and_topics_outside_the_reports_abstain(qa: QAService, question: str) -> None:
    answer = qa.ask(question)
    assert answer.abstained
    assert answer.citations == ()
    assert "do not appear to answer" in answer.answer


def test_a_year_without_a_report_says_which_years_exist(qa: QAService) -> None:
    answer = qa.ask("What was Bexley's overall effectiveness judgement in its 2021 inspection?")
    assert "no Bexley report from 2021" in answer.answer and "August 2018" in answer.answer


@pytest.mark.parametrize(
    ("question", "report_id", "grade"),
    [
        (
            "What was the overall effectiveness judgement for Bexley in its 2018 inspection?",
            "bexley-2018-08-20",
            "outstanding",
        ),
        ("What overall judgement did Essex receive in its 2014 inspection?", "essex-2014-03-21", "good"),
        (
            "What was the headline judgement for Barnet's children's services in the 2017 inspection?",
            "barnet-2017-07-07",
            "inadequate",
        ),
        (
            "How did Ofsted grade the experiences and progress of children who need help and protection in "
            "Blackpool's 2026 inspection?",
            "blackpool-2026-07-28",
            "good",
        ),
    ],
)
def test_judgements_match_the_report_text_of_each_era(
    qa: QAService, question: str, report_id: str, grade: str
) -> None:
    answer = qa.ask(question)
    assert not answer.abstained
    assert cited_reports(answer) == {report_id}
    first = answer.citations[0]
    stated = {j.text for j in qa.judgements(report_id)}
    assert " ".join(first.quote.split()) in {" ".join(s.split()) for s in stated}
    assert grade in first.quote.lower()
    assert grade in answer.answer.lower()
    assert answer.grounding_score == 1.0


def test_comparison_keeps_reports_apart_and_labelled(qa: QAService) -> None:
    answer = qa.ask(
        "How did Ofsted's overall judgement of Barnet change between the 2017 and 2019 inspections?"
    )
    assert cited_reports(answer) == {"barnet-2017-07-07", "barnet-2019-07-01"}
    first, second = answer.answer.split("\n\n")[:2]
    assert first.startswith("Barnet, 2017 inspection") and "inadequate" in first.lower()
    assert second.startswith("Barnet, 2019 inspection") and "good" in second.lower()


@pytest.mark.parametrize(
    "question",
    [
        "How did Ofsted's view of care leavers in Barnet change between the 2017 and 2019 inspections?",
        "How did foster carer support in Southend-on-Sea differ between the 2016 and 2019 inspections?",
        "How did the front door in Barnet differ between the 2017 and 2019 inspections?",
    ],
)
def test_comparison_quotes_each_side_from_the_passages_whose_sentences_answer(
    qa: QAService, question: str
) -> None:
    """Each inspection's part of a comparison reads the three of its first six passages whose best
    sentence the ranker finds likeliest to answer (as a single answer does), not merely its first
    three as retrieved: a side's finding on the topic is often its fourth or fifth passage."""
    from service.answers.passage_strategies import RERANK_DEPTH

    case = qa.case(question, use_llm=False)
    composer = qa.tools.composer
    read = {
        p.chunk_id
        for group in case.groups
        for p in composer.rerank(case.intent, group, RERANK_DEPTH, keep=3)[:3]
    }
    answer = qa.ask(question, use_llm=False)
    assert len(cited_reports(answer)) == 2, answer.answer
    assert {c.chunk_id for c in answer.citations} <= read, answer.answer


def test_comparison_quotes_a_finding_retrieval_ranked_below_its_sides_first_three(qa: QAService) -> None:
    """Southend-on-Sea 2016 on foster carer support: its finding is quoted from a passage that
    retrieval put fourth or lower among that inspection's passages."""
    question = "How did foster carer support in Southend-on-Sea differ between the 2016 and 2019 inspections?"
    first_three = {p.chunk_id for group in qa.case(question, use_llm=False).groups for p in group[:3]}
    answer = qa.ask(question, use_llm=False)
    assert cited_reports(answer) == {"southend-on-sea-2016-07-07", "southend-on-sea-2019-08-27"}
    assert {c.chunk_id for c in answer.citations} - first_three, answer.answer


def test_follow_ups_keep_council_and_take_the_new_year(qa: QAService) -> None:
    first_question = "What did Southend-on-Sea's 2019 inspection say about foster carers?"
    first = qa.ask(first_question)
    history = [Turn("user", first_question), Turn("assistant", first.answer)]
    follow = qa.ask("And what about in 2016?", history=history)
    assert cited_reports(follow) == {"southend-on-sea-2016-07-07"}
    same = qa.ask("What did they say about care leavers?", history=history)
    assert cited_reports(same) == {"southend-on-sea-2019-08-27"}


def test_every_quote_is_a_verbatim_span_of_its_passage(qa: QAService) -> None:
    questions = [
        "What did Ofsted say about foster carer reviews in Southend-on-Sea?",
        "What were the areas for improvement in Durham's 2019 inspection?",
        "How did Ofsted's overall judgement of Barnet change between the 2017 and 2019 inspections?",
        "What overall judgement did Essex receive in its 2014 inspection?",
        "How long were care proceedings taking in Bristol at its 2014 inspection?",
    ]
    checked = 0
    for question in questions:
        answer = qa.ask(question)
        passages = {p.chunk_id: p for p in answer.passages}
        for citation in answer.citations:
            passage = passages[citation.chunk_id]
            assert citation.quote in passage.text
            assert citation.report_id == passage.report_id and citation.page in passage.pages
            page_text = " ".join(qa.page_text(citation.report_id, citation.page).split())
            assert " ".join(citation.quote.split())[:60] in page_text
            checked += 1
    assert checked >= 10


def test_explicit_filters(qa: QAService) -> None:
    answer = qa.ask(
        "What did inspectors find about care leavers?", filters=Filters(local_authority=("Hull",))
    )
    assert cited_reports(answer) == {"kingston-upon-hull-2023-01-13"}
    passages = qa.search("care leavers", filters=Filters(report_id=("essex-2014-03-21",)), k=5)
    assert passages and {p.report_id for p in passages} == {"essex-2014-03-21"}
    with pytest.raises(UnknownFilter) as raised:
        qa.ask("care leavers", filters=Filters(local_authority=("Southend on See",)))
    assert "Southend-on-Sea" in str(raised.value)


@pytest.mark.parametrize(
    ("question", "history", "message"),
    [
        ("", None, "empty"),
        ("   \n\t ", None, "empty"),
        ("x" * 2001, None, "2,001 characters"),
        ("What about care leavers?", [Turn("user", "hi")] * 21, "history has 21 turns"),
    ],
)
def test_bad_questions_are_refused_with_a_reason(
    qa: QAService, question: str, history: list[Turn] | None, message: str
) -> None:
    with pytest.raises(BadQuestion) as raised:
        qa.ask(question, history=history)
    assert message in str(raised.value)


def test_an_english_council_without_reports_in_this_index_abstains(qa: QAService) -> None:
    answer = qa.ask("What overall effectiveness grade did Wolverhampton receive in its 2019 inspection?")
    assert answer.abstained and "Wolverhampton is not among" in answer.answer


def test_ask_command_prints_the_api_json(small_index: Path, embedder: Any) -> None:
    import json

    from typer.testing import CliRunner

    from inspectqa.cli import app

    result = CliRunner().invoke(
        app,
        [
            "ask",
            "--index",
            str(small_index),
            "--json",
            "What did Durham's 2019 inspection say about foster carers' annual reviews?",
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert {c["report_id"] for c in body["citations"]} == {"durham-2019-10-21"}
    assert set(body) >= {"answer", "abstained", "citations", "passages", "grounding", "timings_ms"}
    plain = CliRunner().invoke(
        app,
        [
            "ask",
            "--index",
            str(small_index),
            "What did Ofsted say about houses of multiple occupation in BCP?",
        ],
    )
    assert plain.exit_code == 0 and "[1]" in plain.output and "#page=" in plain.output


def test_serve_builds_a_missing_index_first(tmp_path: Path, embedder: Any) -> None:
    from conftest import index_settings, make_corpus

    from indexer import open_index
    from service.cli import ensure_index

    corpus = make_corpus(tmp_path / "corpus", ("bexley-2018-08-20",))
    settings = index_settings(corpus=corpus, index=tmp_path / "index")
    building = ensure_index(settings)  # in a child process: the server is meant to start meanwhile
    assert building is not None
    assert building.process.wait(600) == 0
    building.stop()
    index = open_index(settings.index, settings)
    assert [r.report_id for r in index.reports()] == ["bexley-2018-08-20"]
    built = (settings.index / "current").resolve()
    assert ensure_index(settings) is None  # present: nothing is rebuilt
    assert (settings.index / "current").resolve() == built


def test_which_councils_lists_several_councils_each_cited_verbatim(qa: QAService) -> None:
    answer = qa.ask("Which councils had high social worker caseloads?")
    assert not answer.abstained, answer.answer
    councils = {c.local_authority for c in answer.citations}
    assert len(councils) >= 3, answer.answer
    assert answer.grounding_score == 1.0
    passages = {p.chunk_id: p.text for p in answer.passages}
    paragraphs = answer.answer.split("\n\n")
    assert len(paragraphs) == len(answer.citations)
    for citation, paragraph in zip(answer.citations, paragraphs, strict=True):
        assert citation.quote in passages[citation.chunk_id]
        assert re.match(rf"{re.escape(citation.local_authority)}, 20\d\d inspection", paragraph), paragraph
        assert paragraph.endswith(f"[{citation.n}]")
        assert "caseload" in citation.quote.lower()
    assert len({c.report_id for c in answer.citations}) == len(councils)  # one sentence per council


def test_which_council_with_a_distinctive_term_still_answers_from_one_report(qa: QAService) -> None:
    answer = qa.ask("Which council's care leavers drop in to a space called 'Room 42'?")
    assert not answer.abstained, answer.answer
    assert {c.local_authority for c in answer.citations} == {"Kingston upon Hull"}
    assert "Room 42" in answer.answer


def test_which_councils_abstains_when_no_report_matches(qa: QAService) -> None:
    answer = qa.ask("Which councils run a children's services office on the moon?")
    assert answer.abstained and not answer.citations


def test_routes_read_the_index_through_the_service(qa: QAService) -> None:
    """What the HTTP routes, the MCP server and the CLI read comes from ``QAService`` itself."""
    status = qa.status()
    assert status.reports == len(qa.reports()) == 11 and status.chunks > 100
    southend = qa.reports("southend on sea")
    assert [r.report_id for r in southend] == ["southend-on-sea-2016-07-07", "southend-on-sea-2019-08-27"]
    assert [r.report_id for r in qa.reports("Southend-on-Sea", year_from=2019)] == [
        "southend-on-sea-2019-08-27"
    ]
    with pytest.raises(UnknownFilter):
        qa.reports("Atlantis")
    meta = qa.report("barnet-2019-07-01")
    assert qa.council_of(meta) == "Barnet" and qa.source_urls()[meta.report_id] == meta.source_url
    sections = qa.sections("barnet-2019-07-01")
    assert sections and any(grade for _, grade in sections)
    assert "Barnet" in qa.page_text("barnet-2019-07-01", 1)
    with pytest.raises(NotFound):
        qa.report("barnet-1999-01-01")
    timeline = qa.council_timeline("barnet")
    assert len(timeline["inspections"]) == 2
