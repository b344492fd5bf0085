"""Questions across councils and about whole reports, on the real 11-report index with the real model.

The judgements table answers grade lists, counts and trends completely, each item cited to the
report text that states it; ``GET /judgements`` and ``GET /councils/{name}`` serve the same data
over a real server (JSON and CSV); summaries quote one report's grades, findings and improvements;
recurring themes read every report and their counts match the sentences they cite.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import serving

from inspectqa.settings import Settings
from service.answers.qa import QAService
from service.answers.records import Answer
from service.answers.text import fold
from service.answers.tone import list_ranges, sentence_tone


@pytest.fixture(scope="module")
def qa(small_index: Path, embedder: Any) -> QAService:
    from indexer import open_index

    settings = Settings(index=small_index)
    return QAService(open_index(small_index, settings), embedder, settings)


@pytest.fixture(scope="module")
def client(qa: QAService) -> Iterator[httpx.Client]:
    from service.web.app import create_app

    with (
        serving(create_app(qa.settings, service=qa)) as url,
        httpx.Client(base_url=url, timeout=120) as session,
    ):
        yield session


def on_its_page(qa: QAService, report_id: str, page: int, quote: str) -> bool:
    """The quote starts on its stated page (a paragraph may run onto the next)."""
    text = qa.page_text(report_id, page)
    if page < qa.report(report_id).n_pages:
        text += "\n\n" + qa.page_text(report_id, page + 1)
    return fold(quote) in fold(text) and fold(quote)[:40] in fold(qa.page_text(report_id, page))


def assert_cited_verbatim(qa: QAService, answer: Answer) -> None:
    assert answer.citations and answer.grounding_score == 1.0, answer.answer
    for citation in answer.citations:
        assert on_its_page(qa, citation.report_id, citation.page, citation.quote), citation


# --- reading what is asked ------------------------------------------------------------------------
ASKS = [
    ("Which councils were judged inadequate in 2023?", "grades", ("inadequate",), ()),
    ("how many councils got outstanding for care leavers since 2020", "count", ("outstanding",),
     ("care_leavers",)),
    ("List the local authorities rated good for help and protection in 2019", "grades", ("good",),
     ("help_and_protection",)),
    ("which councils improved from inadequate to good between inspections?", "trend", ("good", "inadequate"),
     ()),
    ("Which councils went down at their latest inspection?", "trend", (), ()),
    ("How has Barnet's grade changed over time?", "trend", (), ()),
    ("Summarise Ofsted's 2019 inspection of Southend-on-Sea", "summary", (), ()),
    ("What were the main strengths and weaknesses in Southend's 2019 inspection?", "summary", (), ()),
    ("how did durham do", "summary", (), ()),
    ("What are the most common weaknesses in care leavers services across councils?", "themes", (),
     ("care_leavers",)),
    ("which councils were judged inadequate at two inspections in a row", "trend", ("inadequate",), ()),
    ("How many councils kept their outstanding grade for help and protection?", "count", ("outstanding",),
     ("help_and_protection",)),
    ("what overall effectiveness grades did councils get under the new 2026 framework", "grades", (),
     ("overall_effectiveness",)),
    ("Which councils were praised for good practice in care proceedings?", "councils", (), ()),
    ("Which councils were criticised for drift in care proceedings?", "councils", (), ()),
]  # fmt: skip


@pytest.mark.parametrize(("question", "kind", "grades", "areas"), ASKS)
def test_the_ask_is_read_once_from_the_question(
    qa: QAService, question: str, kind: str, grades: tuple[str, ...], areas: tuple[str, ...]
) -> None:
    ask = qa.understand(question).ask
    assert ask is not None and ask.kind == kind, ask
    assert ask.grades == grades and ask.areas == areas


@pytest.mark.parametrize(
    "question",
    [
        "What did Ofsted say about foster carer reviews in Southend-on-Sea?",
        "What was Durham's overall judgement in 2019?",
        "what needs to improve in southend 2019",
    ],
)
def test_questions_about_one_passage_keep_the_existing_path(qa: QAService, question: str) -> None:
    assert qa.understand(question).ask is None


# --- grade lists, counts and trends -----------------------------------------------------------------
def test_which_councils_were_inadequate_in_2022_is_the_complete_cited_list(qa: QAService) -> None:
    answer = qa.ask("Which councils were judged inadequate in 2022?")
    assert answer.reports == ("bournemouth-christchurch-poole-2022-02-11",)
    assert "1 council was judged inadequate for overall effectiveness" in answer.answer
    assert "inadequate" in answer.citations[0].quote.lower()
    assert_cited_verbatim(qa, answer)
    assert answer.data is not None and answer.data["count_reports"] == 1
    assert answer.data["csv_url"].startswith("/judgements?")


def test_an_area_a_framework_did_not_grade_gets_a_note(qa: QAService) -> None:
    answer = qa.ask("How many councils were judged inadequate?")
    # Barnet 2017 (single inspection framework) and BCP 2022; Blackpool 2026 has no overall grade.
    assert set(answer.reports) == {"barnet-2017-07-07", "bournemouth-christchurch-poole-2022-02-11"}
    assert any("April 2026 reform" in note for note in answer.notes)
    assert "April 2026 reform" in answer.answer
    care = qa.ask("Which councils got outstanding for care leavers since 2020?")
    assert care.reports == ("blackpool-2026-07-28",)
    assert any("combined grade" in note for note in care.notes)


def test_each_council_in_a_list_of_area_grades_gets_the_opening_of_that_areas_section(qa: QAService) -> None:
    """Beside each grade, the first sentence of the report's own section on the area: a list of
    councils says what the inspectors found, for the single inspection framework's layout (Barnet
    2017, "Summary" then prose) as for the ILACS one (BCP 2022)."""
    from corpus.judgements import heading_area

    answer = qa.ask("Which councils were judged inadequate for help and protection?")
    assert {"barnet-2017-07-07", "bournemouth-christchurch-poole-2022-02-11"} <= set(answer.reports)
    assert_cited_verbatim(qa, answer)
    for report_id in ("barnet-2017-07-07", "bournemouth-christchurch-poole-2022-02-11"):
        grade, opening = [c for c in answer.citations if c.report_id == report_id]
        assert "inadequate" in grade.quote.lower()
        assert heading_area(opening.section) == "help_and_protection", (report_id, opening.section)
        assert opening.quote[0].isupper() and not opening.quote.lower().startswith("summary"), opening.quote


def test_a_council_trend_gives_every_inspection_in_order_with_its_sentence(qa: QAService) -> None:
    answer = qa.ask("How has Barnet's grade changed?")
    assert answer.reports == ("barnet-2017-07-07", "barnet-2019-07-01")
    assert "inadequate (2017) → good (2019); up" in answer.answer
    assert_cited_verbatim(qa, answer)
    assert answer.data is not None and [i["report_id"] for i in answer.data["timeline"]["inspections"]] == [
        "barnet-2017-07-07",
        "barnet-2019-07-01",
    ]


def test_councils_that_improved_from_inadequate_to_good_cite_both_inspections(qa: QAService) -> None:
    answer = qa.ask("Which councils improved from inadequate to good between inspections?")
    assert answer.reports == ("barnet-2017-07-07", "barnet-2019-07-01")
    assert_cited_verbatim(qa, answer)
    down = qa.ask("Which councils went down between inspections?")
    assert down.data is not None and all(c["direction"] == "down" for c in down.data["changes"])


def test_the_same_grade_at_consecutive_inspections_is_a_run_of_them(qa: QAService) -> None:
    ask = qa.understand("which councils were judged inadequate at two inspections in a row").ask
    assert ask is not None and (ask.change, ask.repeat, ask.consecutive) == ("same", 2, True)
    twice = qa.understand("Which councils were judged inadequate three times?").ask
    assert twice is not None and (twice.repeat, twice.consecutive) == (3, False)
    # Barnet went from inadequate to good: no council of the small index was inadequate twice running.
    none = qa.ask("which councils were judged inadequate at two inspections in a row")
    assert (
        none.data is not None
        and none.data["items"] == []
        and "No council was judged inadequate" in none.answer
    )
    # Southend-on-Sea required improvement in 2016 and again in 2019: both inspections, both cited.
    kept = qa.ask("Which councils stayed requires improvement at consecutive inspections?")
    assert kept.data is not None and kept.data["kind"] == "runs"
    assert kept.data["items"] == ["southend-on-sea-2016-07-07", "southend-on-sea-2019-08-27"]
    assert set(kept.reports) == set(kept.data["items"])
    for run in kept.data["runs"]:
        assert len({row["grade"].startswith("requires improvement") for row in run}) == 1
    assert "requires improvement (2016) → requires improvement (2019)" in kept.answer
    assert_cited_verbatim(qa, kept)


def test_grades_asked_without_a_grade_account_for_every_report_in_scope(qa: QAService) -> None:
    reform = qa.ask("what overall effectiveness grades did councils get under the new 2026 framework")
    assert reform.data is not None and reform.data["kind"] == "spread"
    # The reformed framework awards no overall grade: the one reformed report is named, with a note.
    assert reform.data["items"] == ["blackpool-2026-07-28"] and reform.data["by_grade"] == {}
    assert "None of the 1 report in scope has a grade" in reform.answer
    assert any("April 2026 reform" in note for note in reform.notes)
    assert_cited_verbatim(qa, reform)
    spread = qa.ask("What grades did councils get in 2019?")
    assert spread.data is not None
    published_2019 = {"southend-on-sea-2019-08-27", "durham-2019-10-21", "barnet-2019-07-01"}
    assert set(spread.data["items"]) == published_2019
    assert spread.data["by_grade"] == {"good": 1, "requires improvement": 2}
    assert "good (1)" in spread.answer.lower() and "requires improvement (2)" in spread.answer.lower()
    assert_cited_verbatim(qa, spread)


# --- whole-report summaries ------------------------------------------------------------------------
def test_a_summary_gives_grades_findings_and_improvements_within_a_minute(qa: QAService) -> None:
    answer = qa.ask("Summarise Ofsted's 2019 inspection of Southend-on-Sea")
    assert set(answer.reports) == {"southend-on-sea-2019-08-27"}
    assert answer.answer.startswith("In its 2019 inspection of Southend-on-Sea")
    assert "Overall effectiveness: requires improvement to be good." in answer.answer
    assert "What needs to improve" in answer.answer
    assert len(answer.answer.split()) <= 320
    assert_cited_verbatim(qa, answer)
    assert answer.data is not None
    cited = {c.n for c in answer.citations}
    for area in answer.data["areas"]:
        for item in area["strengths"] + area["weaknesses"]:
            assert item["citation"] in cited
    assert len(answer.data["improve"]) >= 3


def test_a_summary_quotes_the_ilacs_headline_paragraphs_once(qa: QAService) -> None:
    # An ILACS report's headline paragraphs open it under its title; a 2026 report gives no overall
    # grade, so nothing else quotes them.
    for question in ("Summarise Blackpool's 2026 inspection", "sum up hull 2023 ofsted"):
        answer = qa.ask(question)
        assert "In summary:" in answer.answer, answer.answer
        summary = answer.answer.split("In summary:")[1].split("\n\n")[0]
        numbers = [int(n) for n in re.findall(r"\[(\d+)\]", summary)]
        assert numbers and all(answer.citations[n - 1].page <= 2 for n in numbers), summary
        quotes = [" ".join(c.quote.split()) for c in answer.citations]
        assert len(quotes) == len(set(quotes))  # no sentence quoted twice
        assert_cited_verbatim(qa, answer)


# --- recurring themes ------------------------------------------------------------------------------
def test_theme_counts_match_the_sentences_they_cite(qa: QAService) -> None:
    answer = qa.ask("What weaknesses come up most often in care leavers services?")
    assert not answer.abstained and answer.data is not None
    data = answer.data
    assert data["reports_read"] == len(qa.reports()) and f"{len(qa.reports())} reports read" in answer.answer
    by_n = {c.n: c for c in answer.citations}
    assert data["themes"]
    counts = [t["councils"] for t in data["themes"]]
    assert counts == sorted(counts, reverse=True)
    for theme in data["themes"]:
        members = theme["members"]
        assert theme["councils"] == len({m["local_authority"] for m in members})
        assert theme["sentences"] == len(members)
        for member in members:
            assert on_its_page(qa, member["report_id"], member["page"], member["text"]), member
        texts = {fold(m["text"]) for m in members}
        for n in theme.get("citations", []):
            citation = by_n[n]
            assert fold(citation.quote) in texts
            passage = next(p for p in answer.passages if p.chunk_id == citation.chunk_id)
            start = passage.text.index(citation.quote)
            assert sentence_tone(citation.quote, passage.section, list_ranges(passage.text), start) < 0
        if "citations" in theme:
            assert f"In {theme['councils']} council" in answer.answer
    assert_cited_verbatim(qa, answer)


def test_which_councils_were_criticised_lists_every_council_whose_report_says_so(qa: QAService) -> None:
    answer = qa.ask("Which councils were criticised for drift in care proceedings?")
    assert answer.data is not None and answer.data["kind"] == "councils"
    data = answer.data
    assert data["reports_read"] == len(qa.catalogue) and f"{len(qa.catalogue)} reports read" in answer.answer
    # Every council found is listed and cited, beyond the five a text search would give.
    assert (
        data["count_councils"]
        == len(data["councils"])
        == len({e["local_authority"] for e in data["councils"]})
    )
    assert f"{data['count_councils']} councils" in answer.answer
    assert set(answer.reports) == set(data["items"])
    by_n = {c.n: c for c in answer.citations}
    for entry in data["councils"]:
        citation = by_n[entry["citation"]]
        assert citation.report_id == entry["report_id"] and fold(citation.quote) == fold(entry["text"])
        assert "drift" in citation.quote.lower() or "proceedings" in citation.quote.lower()
        passage = next(p for p in answer.passages if p.chunk_id == citation.chunk_id)
        start = passage.text.index(citation.quote)
        assert sentence_tone(citation.quote, passage.section, list_ranges(passage.text), start) < 0
    assert_cited_verbatim(qa, answer)


# --- the data API over a real server ---------------------------------------------------------------
def test_judgements_inadequate_2022_as_json_and_csv(client: httpx.Client, qa: QAService) -> None:
    response = client.get("/judgements", params={"grade": "inadequate", "year": 2022})
    assert response.status_code == 200
    body = response.json()
    rows = body["rows"]
    assert {r["report_id"] for r in rows} == {"bournemouth-christchurch-poole-2022-02-11"}
    assert {r["area"] for r in rows} == {"overall_effectiveness", "help_and_protection", "impact_of_leaders"}
    assert body["reports_in_scope"] == 1 and body["count_councils"] == 1
    for row in rows:
        assert row["grade"] == "inadequate" and "inadequate" in row["text"].lower()
        assert on_its_page(qa, row["report_id"], row["page"], row["text"])
    as_csv = client.get("/judgements", params={"grade": "inadequate", "year": 2022, "format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(r["report_id"], r["area"], r["grade"]) for r in table] == [
        (r["report_id"], r["area"], r["grade"]) for r in rows
    ]
    negotiated = client.get("/judgements?grade=inadequate&year=2022", headers={"Accept": "text/csv"})
    assert negotiated.text == as_csv.text


def test_council_endpoint_lists_every_inspection_in_order(client: httpx.Client) -> None:
    body = client.get("/councils/Barnet").json()
    assert [i["report_id"] for i in body["inspections"]] == ["barnet-2017-07-07", "barnet-2019-07-01"]
    assert body["inspections"][0]["framework"] == "sif"
    overall = [
        j["grade"]
        for i in body["inspections"]
        for j in i["judgements"]
        if j["area"] == "overall_effectiveness"
    ]
    assert overall == ["inadequate", "good"]


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/judgements?area=fostering", 422, "no area called 'fostering'"),
        ("/judgements?grade=brilliant", 422, "no grade called 'brilliant'"),
        ("/judgements?framework=ofsted-1990", 422, "no framework called"),
        ("/judgements?year=1999", 422, "year"),
        ("/councils/Gotham", 422, "Gotham"),
    ],
)
def test_bad_data_filters_are_a_clear_4xx(client: httpx.Client, path: str, status: int, message: str) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert message in response.json()["detail"]


def test_ask_response_carries_the_whole_list(client: httpx.Client) -> None:
    body = client.post("/ask", json={"question": "Which councils were judged good in 2019?"}).json()
    assert body["data"]["kind"] == "grades"
    assert {r["report_id"] for r in body["data"]["rows"]} == set(body["reports"])


# --- the evaluation of complete answer sets ----------------------------------------------------------
def test_eval_scores_the_reports_a_survey_names_against_the_complete_set(qa: QAService) -> None:
    from evals.gold import parse_lines
    from evals.harness import evaluate
    from evals.systems import service_system
    from service.answers.grounding import GroundingChecker

    def line(qid: str, question: str, complete: list[str]) -> str:
        first = complete[0]
        record = {
            "id": qid,
            "question": question,
            "type": "survey",
            "answerable": True,
            "style": "survey",
            "report_ids": [first],
            "complete_report_ids": complete,
            "evidence": [{"report_id": first, "page": 1, "quote": "Overall effectiveness"}],
            "answer": "",
            "key_facts": [],
        }
        return json.dumps(record)

    questions = parse_lines(
        [
            line(
                "s1",
                "Which councils were judged inadequate in 2022?",
                ["bournemouth-christchurch-poole-2022-02-11"],
            ),
            # A deliberately wrong set: Barnet 2019 was good, so recall and precision are both 1/2.
            line(
                "s2",
                "Which councils were judged inadequate overall?",
                ["barnet-2017-07-07", "barnet-2019-07-01"],
            ),
        ]
    )
    run = evaluate("inspectqa", service_system(qa, 10), questions, GroundingChecker(None).check)
    survey = run.metrics["survey"]
    assert survey["n"] == 2
    assert [s.named_recall for s in run.scores] == [1.0, 0.5]
    assert [s.named_precision for s in run.scores] == [1.0, 0.5]
    assert survey["set_recall"] == pytest.approx(0.75) and survey["exact_set"] == pytest.approx(0.5)
    assert run.metrics["by_type"]["survey"]["survey"]["set_precision"] == pytest.approx(0.75)


def test_a_survey_after_a_council_question_is_not_held_to_that_council(qa: QAService) -> None:
    from service.answers.records import Turn

    history = [
        Turn("user", "How has Barnet's grade changed?"),
        Turn(
            "assistant", "Barnet's overall effectiveness over 2 inspections: inadequate (2017) → good (2019)."
        ),
    ]
    answer = qa.ask("Which councils were judged inadequate in 2022?", history=history)
    assert answer.reports == ("bournemouth-christchurch-poole-2022-02-11",)
    follow = qa.ask("and how did it do in 2019?", history=history)
    assert not follow.abstained and "barnet-2019-07-01" in follow.reports
