"""Relative dates resolved against each council's own inspections (``service.answers.when``).

Table-driven: phrasings generated from a small grammar (an end or a step, a noun, a frame around
it), asked of real councils of the shared manifest with two to four inspections, and checked
against the report ids the council's own reports give: (question, council's inspections) -> the
chosen reports. No index is needed; every case is a real council and real report dates.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import pytest
from conftest import councils_with_several_reports

from service.answers.planning import Catalogue, ReportInfo, plan
from service.answers.query import parse
from service.answers.when import pick_relative, read_dates

Pick = Callable[[Sequence[ReportInfo]], Sequence[ReportInfo]]

# Places among a council's reports, each written several ways, with the reports they mean.
PLACES: dict[str, tuple[Pick, tuple[str, ...]]] = {
    "latest": (
        lambda r: r[-1:],
        (
            "latest inspection",
            "most recent inspection",
            "last inspection",
            "most recent Ofsted report",
            "newest report",
            "last Ofsted report",
            "current inspection",
        ),
    ),
    "previous": (
        lambda r: r[-2:-1],
        (
            "previous inspection",
            "inspection before its most recent one",
            "inspection before the latest one",
            "inspection before last",
            "penultimate inspection",
            "second most recent inspection",
            "last but one inspection",
            "second-to-last inspection",
            "inspection prior to its latest",
            "report preceding the most recent one",
            "2nd most recent inspection",
            "next-to-latest report",
            "ofsted before the latest one",
        ),
    ),
    "earliest": (
        lambda r: r[:1],
        (
            "earliest inspection",
            "first inspection",
            "oldest report",
            "first Ofsted inspection",
            "earliest report",
            "1st inspection",
            "first ever Ofsted",
        ),
    ),
    "second": (
        lambda r: r[1:2],
        (
            "second inspection",
            "inspection after its earliest one",
            "inspection after its first",
            "inspection that followed its first one",
            "2nd inspection",
        ),
    ),
}
FRAMES = (
    "What did {C}'s {place} say about care leavers?",
    "What was {C}'s overall grade at its {place}?",
    "In {C}'s {place}, how were children in care judged?",
    "{c} {place} what did it say about neglect",
    "Summarise the {place} of {C}.",
    "According to the {place} of {C}, how good is early help?",
)


def _chosen(catalogue: Catalogue, question: str) -> tuple[str, ...]:
    result = plan(parse(question, catalogue.gazetteer), catalogue)
    assert result.abstain_reason is None, (question, result.abstain_reason)
    return result.report_ids or ()


def test_places_among_a_councils_inspections(catalogue: Catalogue) -> None:
    councils = councils_with_several_reports(catalogue)
    assert len(councils) >= 15
    wrong = []
    for reports, (pick, phrasings), frame in itertools.product(councils, PLACES.values(), FRAMES):
        name = reports[0].local_authority
        expected = tuple(r.report_id for r in pick(reports))
        for phrasing in phrasings:
            question = frame.format(C=name, c=name.lower(), place=phrasing)
            if _chosen(catalogue, question) != expected:
                wrong.append((question, expected))
    assert not wrong, f"{len(wrong)} wrong, e.g. {wrong[:5]}"


def _published(report: ReportInfo) -> int:
    assert report.published is not None
    return report.published.year


def test_ranges_and_steps_from_a_year(catalogue: Catalogue) -> None:
    wrong = []
    for reports in councils_with_several_reports(catalogue):
        name, years = reports[0].local_authority, [_published(r) for r in reports]
        cases: list[tuple[str, list[ReportInfo]]] = []
        for i in range(1, len(reports)):
            year, before = years[i], years[i - 1]
            cases += [
                (f"What did {name}'s inspections since {year} say about care leavers?", reports[i:]),
                (
                    f"What did {name}'s most recent inspection before {year} say about neglect?",
                    [reports[i - 1]],
                ),
                (f"What was {name}'s grade at the inspection before {year}?", [reports[i - 1]]),
                (f"What did {name}'s inspections after {before} find about care leavers?", reports[i:]),
                (f"What did {name}'s first inspection since {year} say about care leavers?", [reports[i]]),
                (
                    f"What did {name}'s report published between {before} and {year} say?",
                    reports[i - 1 : i + 1],
                ),
                (f"What did {name}'s inspection before the {year} one say about neglect?", [reports[i - 1]]),
                (f"What did {name}'s inspection after the {before} one say about neglect?", [reports[i]]),
                (
                    f"What did {name}'s reports from {before} to {year} say about neglect?",
                    reports[i - 1 : i + 1],
                ),
                # Ranges typed around the year: before it ("pre-2018") or after ("2020 onwards").
                (f"What did {name}'s pre-{year} inspections say about neglect?", reports[:i]),
                (f"{name} post {before} inspections care leavers", reports[i:]),
                (f"What did {name}'s reports from {year} onwards say about neglect?", reports[i:]),
                (f"What did {name}'s reports {year} or later say about care leavers?", reports[i:]),
                (f"{name} inspections {before} or earlier what about neglect", reports[:i]),
                (f"What did {name}'s inspections in or after {year} say about neglect?", reports[i:]),
                (f"What did {name}'s reports no later than {before} say about neglect?", reports[:i]),
                (f"{name} reports since the start of {year} on care leavers", reports[i:]),
                (f"What did {name}'s reports before the end of {before} say?", reports[:i]),
                (
                    f"What did {name}'s inspections {before} to {year} say about neglect?",
                    reports[i - 1 : i + 1],
                ),
            ]
        cases += [
            (f"What did {name}'s last two inspections say about care leavers?", reports[-2:]),
            (f"What did the first two reports on {name} say about neglect?", reports[:2]),
            (f"What did {name}'s recent inspections since {years[1]} say about neglect?", reports[1:]),
        ]
        tens = [r for r in reports if 2010 <= _published(r) <= 2019]
        if tens:
            cases.append((f"What did {name}'s inspections in the 2010s say about care leavers?", tens))
        for question, expected in cases:
            if _chosen(catalogue, question) != tuple(r.report_id for r in expected):
                wrong.append((question, [r.report_id for r in expected]))
    assert not wrong, f"{len(wrong)} wrong, e.g. {wrong[:5]}"


def test_inspected_in_and_published_in_read_different_dates(catalogue: Catalogue) -> None:
    # Hull's inspection of November 2022 was published in January 2023.
    hull = [r.report_id for r in catalogue.council_reports("kingston upon hull")]
    assert _chosen(catalogue, "What did Hull's inspection carried out in 2022 find?") == (
        "kingston-upon-hull-2023-01-13",
    )
    published_2023 = _chosen(catalogue, "What did Hull's report published in 2023 find?")
    assert published_2023 == tuple(r for r in hull if r.startswith("kingston-upon-hull-2023"))
    assert parse("Inspections of Hull carried out since 2020", catalogue.gazetteer).date_basis == "inspection"
    assert parse("Reports on Hull since 2020", catalogue.gazetteer).date_basis == "publication"


@pytest.mark.parametrize(
    ("question", "relative", "year_from", "year_to"),
    [
        # The report compared with is not the report asked about.
        (
            "What did Leeds's latest inspection say compared with the previous judgement?",
            "latest",
            None,
            None,
        ),
        ("Has Leeds's MASH improved since the previous grade?", "latest", None, None),
        ("What did the latest report say about progress from the previous inspection?", "latest", None, None),
        # The report asked about is named first.
        (
            "In Leeds's earliest inspection, how did care leavers fare before the one after it?",
            "earliest",
            None,
            None,
        ),
        ("What did Leeds's inspection in the late 2010s say?", None, 2016, 2019),
        ("how did leeds do from 2018 to 2022", None, None, None),  # two years compared, not a range
        ("What did Leeds's inspections 2018-2022 say?", None, 2018, 2022),
        ("How is Leeds currently doing on neglect?", "latest", None, None),
        ("What did Leeds's third most recent inspection say?", "third-latest", None, None),
        ("What did Ofsted find about care leavers when it first inspected Leeds?", "earliest", None, None),
        ("What grade did Leeds get the last time it was inspected?", "latest", None, None),
    ],
)
def test_read_dates(question: str, relative: str | None, year_from: int | None, year_to: int | None) -> None:
    dates = read_dates(question)
    assert (dates.relative, dates.year_from, dates.year_to) == (relative, year_from, year_to)


def test_words_that_date_a_question_are_no_topic(catalogue: Catalogue) -> None:
    terms = parse(
        "What did Leeds's penultimate inspection say about care leavers?", catalogue.gazetteer
    ).terms
    assert "penultimate" not in terms and {"care", "leavers"} <= set(terms)
    # ... but the noun they date can be what is asked: "latest grade".
    assert "grade" in parse("What is Leeds's latest grade?", catalogue.gazetteer).terms


def test_a_place_the_councils_reports_do_not_reach_gives_nothing(catalogue: Catalogue) -> None:
    reports = next(r for r in catalogue.by_key.values() if len(r) == 2)
    assert pick_relative(reports, "third") == []
    assert pick_relative(reports, "third-latest") == []
    assert pick_relative(reports, "next") == []  # nothing named to step from
    assert pick_relative(reports, "next", anchored=0) == [reports[1]]
    assert pick_relative(reports, "previous", anchor_year=2100) == [reports[-1]]


def test_a_step_past_either_end_is_no_report_not_the_end(catalogue: Catalogue) -> None:
    # "The inspection before its first one" is none (issue 12), not the first one itself.
    for question in (
        "what did croydon get at the inspection before its first one",
        "Croydon's report prior to its earliest inspection",
        "the croydon inspection after its latest one",
    ):
        assert read_dates(question).relative == "none", question
        result = plan(parse(question, catalogue.gazetteer), catalogue)
        assert result.abstain_reason, question
    assert read_dates("the croydon inspection after its first one").relative == "second"


def test_a_future_inspection_is_the_next_one_which_nothing_precedes(catalogue: Catalogue) -> None:
    for question in ("when will ofsted next inspect croydon", "when will inspectors come back to croydon"):
        assert read_dates(question).relative == "next", question
        assert plan(parse(question, catalogue.gazetteer), catalogue).abstain_reason, question
    # Past tense in a conversation: the one after the report discussed.
    assert read_dates("when ofsted next visited was it still good").relative == "next"


# A place named around the council's name, the present in everyday words, the last visit.
AROUND_THE_NAME: tuple[tuple[str, Pick], ...] = (
    ("What did the previous {C} report say about care leavers?", lambda r: r[-2:-1]),
    ("In the inspection before {C}'s most recent one, what was the grade?", lambda r: r[-2:-1]),
    ("what did {c}'s first ever ofsted say about neglect", lambda r: r[:1]),
    ("what did the first {C} inspection say about neglect", lambda r: r[:1]),
    ("What did the latest {C} Ofsted report say about neglect?", lambda r: r[-1:]),
    ("{c} previous ofsted neglect", lambda r: r[-2:-1]),
    ("How is {C} doing on neglect at the moment?", lambda r: r[-1:]),
    ("how does {c} handle neglect these days", lambda r: r[-1:]),
    ("{c} care leavers as things stand", lambda r: r[-1:]),
    ("how is {c} doing on neglect now", lambda r: r[-1:]),
    ("What did Ofsted find about neglect when it last visited {C}?", lambda r: r[-1:]),
    ("{c} care leavers last time ofsted came", lambda r: r[-1:]),
    ("{c} care leavers the time before last", lambda r: r[-2:-1]),
    # The noun left out before the step: "barnsley before its latest report".
    ("{c} before its latest report, care leavers grade", lambda r: r[-2:-1]),
    ("what was {c} like before its most recent inspection on neglect", lambda r: r[-2:-1]),
    ("{c} after its first inspection, how was neglect", lambda r: r[1:2]),
)


def test_places_around_the_councils_name_and_the_present(catalogue: Catalogue) -> None:
    wrong = []
    for reports, (frame, pick) in itertools.product(
        councils_with_several_reports(catalogue), AROUND_THE_NAME
    ):
        name = reports[0].local_authority
        question = frame.format(C=name, c=name.lower())
        intent = parse(question, catalogue.gazetteer)
        leaked = {"last", "moment", "days", "stand", "today"} & set(intent.terms)
        if _chosen(catalogue, question) != tuple(r.report_id for r in pick(reports)) or leaked:
            wrong.append((question, leaked))
    assert not wrong, f"{len(wrong)} wrong, e.g. {wrong[:5]}"


def test_change_since_the_last_inspection_in_a_year_is_the_one_after_it(catalogue: Catalogue) -> None:
    wrong = []
    for reports in councils_with_several_reports(catalogue):
        name = reports[0].local_authority
        for before, after in itertools.pairwise(reports):
            question = f"How had {name} improved since the last inspection in {_published(before)}?"
            if _chosen(catalogue, question) != (after.report_id,):
                wrong.append(question)
    assert not wrong, f"{len(wrong)} wrong, e.g. {wrong[:5]}"
    # ... and since the previous inspection, with no year: the latest, which says what changed.
    reports = councils_with_several_reports(catalogue)[0]
    question = f"What has improved in {reports[0].local_authority} since the previous inspection?"
    assert _chosen(catalogue, question) == (reports[-1].report_id,)


def test_a_year_of_figures_is_the_inspection_at_its_end(catalogue: Catalogue) -> None:
    # "2013-14" is a financial or school year: the report of an inspection in 2014 gives its figures
    # (Hull was inspected late in 2014, published February 2015), and "14" is no topic word.
    for question in ("whats the adoption rate in Hull 2013-14", "Hull adoption figures for 2013/14"):
        intent = parse(question, catalogue.gazetteer)
        assert [y.year for y in intent.years] == [2014] and "14" not in intent.terms, question
        assert _chosen(catalogue, question) == ("kingston-upon-hull-2015-02-10",), question
    # Two years that do not follow each other, or written in full, are not one year of figures.
    assert [y.year for y in read_dates("hull 2013-15 caseloads").years] == [2013]
    assert read_dates("hull reports 2013-2014").year_from == 2013
