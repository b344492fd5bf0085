"""Follow-ups read slot by slot, over generated conversations on real councils of the manifest.

Each case is a family of phrasings (written for this test from the grammar the service reads,
not taken from any gold file) asked after an earlier question about real councils with two to
four inspections, checked against what the intent must say: the reports planned, whether a
grade is asked for, and the words the topic carries. No index is needed: ``parse`` and
``with_context`` read the conversation as ``Understanding`` does, without spelling correction.
"""

from __future__ import annotations

import itertools

import pytest
from conftest import councils_with_several_reports

from service.answers.lexicon import TONE_FRAMING
from service.answers.normalise import Normalised
from service.answers.planning import Catalogue, ReportInfo, plan
from service.answers.query import QueryIntent, parse, with_context


def _read(catalogue: Catalogue, *questions: str) -> QueryIntent:
    """The last question read with the ones before it, oldest first (as ``Understanding`` does)."""
    state = None
    for question in questions:
        state = with_context(parse(question, catalogue.gazetteer), state)
    assert state is not None
    return state


def _year(report: ReportInfo) -> int:
    assert report.published is not None
    return report.published.year


def _targets(catalogue: Catalogue, intent: QueryIntent) -> list[tuple[str, ...]]:
    result = plan(intent, catalogue)
    assert result.abstain_reason is None, result.abstain_reason
    return [t.report_ids or () for t in result.targets]


EARLIER_UNDATED = (
    ("{c} latest grade", lambda r: r[-1]),
    ("{c} most recent ofsted", lambda r: r[-1]),
    ("what grade did {c} get", lambda r: r[-1]),
    ("{c} earliest inspection grade", lambda r: r[0]),
    ("what was {c}'s first inspection like", lambda r: r[0]),
)
COMPARE_WITH_YEAR = (
    "how does that compare with {year}",
    "and compared to {year}?",
    "is that different from {year}",
    "how does that compare to the {year} one",
)


def test_comparing_with_a_year_keeps_the_report_discussed_beside_it(catalogue: Catalogue) -> None:
    wrong = []
    cases = itertools.product(councils_with_several_reports(catalogue), EARLIER_UNDATED, COMPARE_WITH_YEAR)
    for reports, (first, discussed_of), then in cases:
        discussed = discussed_of(reports)
        for other in reports:
            if other is discussed:
                continue
            name = reports[0].local_authority.lower()
            intent = _read(catalogue, first.format(c=name), then.format(year=_year(other)))
            expected = sorted([(discussed.report_id,), (other.report_id,)])
            if sorted(_targets(catalogue, intent)) != expected or not intent.is_comparison:
                wrong.append((first.format(c=name), then.format(year=_year(other)), expected))
    assert not wrong, f"{len(wrong)} wrong, e.g. {wrong[:3]}"


def test_a_dated_earlier_question_still_compares_its_own_year(catalogue: Catalogue) -> None:
    reports = councils_with_several_reports(catalogue)[0]
    name, first, last = reports[0].local_authority.lower(), reports[0], reports[-1]
    intent = _read(catalogue, f"{name} {_year(first)} grade", f"how does that compare with {_year(last)}")
    assert sorted(_targets(catalogue, intent)) == sorted([(first.report_id,), (last.report_id,)])
    # A year with no comparison is that year's report alone.
    intent = _read(catalogue, f"{name} latest grade", f"and in {_year(first)}?")
    assert _targets(catalogue, intent) == [(first.report_id,)]


GRADE_QUESTIONS = ("{c} {year} grades", "what grade did {c} get in {year}", "{c} {year} ofsted rating")
# (follow-up, judgement area asked for, or None when it asks about a topic, with the topic's words)
AFTER_A_GRADE: tuple[tuple[str, str | None, tuple[str, ...]], ...] = (
    ("and for care leavers?", "care_leavers", ()),
    ("what about care leavers", "care_leavers", ()),
    ("what did they get for children in care", "children_in_care", ()),
    ("what about housing for care leavers", None, ("housing",)),
    ("and what about pathway plans for care leavers?", None, ("pathway", "plans")),
    ("what about life story work for children in care", None, ("life", "story", "work")),
    ("what about supervision for social workers", None, ("supervision",)),
)


@pytest.mark.parametrize(("then", "area", "topic"), AFTER_A_GRADE)
def test_after_a_grade_naming_what_about_them_asks_about_it_not_for_the_grade(
    catalogue: Catalogue, then: str, area: str | None, topic: tuple[str, ...]
) -> None:
    wrong = []
    for reports, first in itertools.product(councils_with_several_reports(catalogue), GRADE_QUESTIONS):
        name, year = reports[-1].local_authority.lower(), _year(reports[-1])
        intent = _read(catalogue, first.format(c=name, year=year), then)
        asked = intent.judgement_areas[0] if intent.is_judgement else None
        if asked != area or not set(topic) <= set(intent.terms) or not intent.from_history:
            wrong.append((first.format(c=name, year=year), asked, intent.terms))
        if _targets(catalogue, intent) != [(reports[-1].report_id,)]:
            wrong.append((first.format(c=name, year=year), "report", _targets(catalogue, intent)))
    assert not wrong, f"{len(wrong)} wrong, e.g. {wrong[:3]}"


TOPIC_QUESTIONS = (
    ("what did {c}'s {year} report say about caseloads", ("caseloads",)),
    ("{c} {year} inspection supervision", ("supervision",)),
    ("what did ofsted say about return home interviews in {c} in {year}", ("return", "home", "interviews")),
)
# How someone fared as a whole: whom is named, and nothing narrower is asked about them.
HOW_FARED = (
    "and how were care leavers doing",
    "how are children in care getting on",
    "and how well were care leavers supported?",
    "so how did care leavers fare",
    "how good was it for children in care",
)
# Elliptical: a new whom, the same what ("and for children in care?" after caseloads).
SAME_WHAT = ("and for care leavers?", "what about children in care", "same for care leavers")


def test_asking_how_a_group_fared_borrows_no_earlier_topic(catalogue: Catalogue) -> None:
    wrong = []
    cases = itertools.product(
        councils_with_several_reports(catalogue)[:6], TOPIC_QUESTIONS, (*HOW_FARED, *SAME_WHAT)
    )
    for reports, (first, what), then in cases:
        name, year = reports[0].local_authority.lower(), _year(reports[0])
        intent = _read(catalogue, first.format(c=name, year=year), then)
        kept = set(what) <= set(intent.terms)
        if kept != (then in SAME_WHAT) or _targets(catalogue, intent) != [(reports[0].report_id,)]:
            wrong.append((first.format(c=name, year=year), then, intent.terms))
    assert not wrong, f"{len(wrong)} wrong, e.g. {wrong[:3]}"


KEPT_IT_UP = (
    "did they keep it up",
    "did it stay that way?",
    "did they keep it up at the next one",
    "did it stay that way at the next inspection",
    "and did they hold on to their grade at the next one?",
    "did things remain the same at the next inspection",
    "so did they keep that up next time",
)


@pytest.mark.parametrize("then", KEPT_IT_UP)
def test_a_grade_kept_is_a_question_about_change_and_its_idiom_no_topic(
    catalogue: Catalogue, then: str
) -> None:
    wrong = []
    for reports in councils_with_several_reports(catalogue):
        name, year = reports[0].local_authority.lower(), _year(reports[0])
        intent = _read(catalogue, f"{name} {year} ofsted grade", then)
        idiom = {"keep", "kept", "stay", "way", "hold", "remain", "same", "up"} & set(intent.terms)
        if not intent.asks_change or idiom or _targets(catalogue, intent) != [(reports[1].report_id,)]:
            wrong.append((name, intent.asks_change, intent.terms, _targets(catalogue, intent)))
    assert not wrong, f"{len(wrong)} wrong, e.g. {wrong[:3]}"
    # Keeping children safe is a topic, not a change.
    intent = parse("how does Leeds keep children safe at night", catalogue.gazetteer)
    assert not intent.asks_change and "keep" in intent.terms


@pytest.mark.parametrize(
    ("question", "area"),
    [
        ("lancs care leavers since 2024 any good", "care_leavers"),
        ("camdens earliest report how was adoption", "adoption"),
        ("was adoption in leeds good or not in 2017", "adoption"),
        ("how good were children in care in barnet in 2024", "children_in_care"),
        ("essex 2023 how were care leavers?", "care_leavers"),
        ("leeds care leavers up to scratch", "care_leavers"),
    ],
)
def test_how_an_area_did_asked_without_a_grade_word_is_a_grade_question(
    catalogue: Catalogue, question: str, area: str
) -> None:
    intent = parse(question, catalogue.gazetteer)
    assert intent.is_judgement and intent.judgement_areas == (area,), intent


@pytest.mark.parametrize(
    "question",
    [
        "how well were care leavers supported in leeds in 2019",
        "how were care leavers helped into work in leeds",
        "leeds care leavers any good support for housing",
    ],
)
def test_how_well_a_group_was_supported_is_not_a_grade_question(catalogue: Catalogue, question: str) -> None:
    intent = parse(question, catalogue.gazetteer)
    assert not intent.is_judgement or "housing" in question


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("in the 2010s what was bedford's last inspection like for caseloads", ("caseloads",)),
        ("what's it like for care leavers in leeds", ("care", "leavers")),
        ("how was leeds's 2019 inspection like on neglect", ("neglect",)),
    ],
)
def test_what_was_it_like_frames_the_question(
    catalogue: Catalogue, question: str, topic: tuple[str, ...]
) -> None:
    assert parse(question, catalogue.gazetteer).terms == topic
    # ... but "like" as a verb is what was said.
    assert "like" in parse("what did leeds care leavers say they would like", catalogue.gazetteer).terms


def test_a_councils_own_abbreviation_is_no_topic(catalogue: Catalogue) -> None:
    text = "what did ofsted find about early help in bournemouth christchurch and poole in 2021"
    named = Normalised(text, text, (), (("bournemouth christchurch and poole", "bcp"), ("early help", "eh")))
    terms = parse(named, catalogue.gazetteer).terms
    assert "bcp" not in terms and {"early", "help", "eh"} <= set(terms)
    # An abbreviation written outside the council's name still counts ("pa" of "PA support").
    text = "banes care leavers over 21 do they get PA support"
    typed = Normalised(
        text, text, (), (("banes", "bath and north east somerset"), ("pa", "personal adviser"))
    )
    terms = parse(typed, catalogue.gazetteer).terms
    assert not {"bath", "somerset"} & set(terms) and {"pa", "personal", "adviser"} <= set(terms)


HOW_IT_CHANGED = (
    "how had they improved by the next one",
    "how did things change at the next inspection",
    "and how did it get better by the next one?",
    "how have they progressed since then",
)
WHETHER_IT_CHANGED = ("did they improve by the next one", "was it any better at the next one")


def test_asking_how_things_changed_wants_the_findings_and_whether_the_grade(catalogue: Catalogue) -> None:
    wrong = []
    for reports, then in itertools.product(
        councils_with_several_reports(catalogue), (*HOW_IT_CHANGED, *WHETHER_IT_CHANGED)
    ):
        name, year = reports[0].local_authority.lower(), _year(reports[0])
        intent = _read(catalogue, f"was {name} inadequate in {year}", then)
        graded = then in WHETHER_IT_CHANGED
        if intent.is_judgement != graded or not intent.asks_change or intent.relative != "next":
            wrong.append((name, then, intent.is_judgement, intent.asks_change, intent.relative))
        if reports[1].report_id not in {r for t in _targets(catalogue, intent) for r in t}:
            wrong.append((name, then, _targets(catalogue, intent)))
    assert not wrong, f"{len(wrong)} wrong, e.g. {wrong[:3]}"


# The report discussed named by its place, as an index into the council's reports (oldest first).
DISCUSSED_BY_PLACE = (
    ("how did {c} do in its previous inspection", -2),
    ("{c} earliest inspection", 0),
    ("{c} latest grade", -1),
    ("what did {c}'s second inspection say", 1),
)
# (follow-up, the report it asks about as a step from the one discussed, compared beside it?)
STEPS_FROM_IT = (
    ("and the one before?", -1, False),
    ("and the one after that?", 1, False),
    ("and what happened after that?", 1, False),
    ("how does that compare to the one before", -1, True),
)
# (follow-up, a place of its own counted from an end, compared beside the one discussed)
PLACES_BESIDE_IT = (("how does that compare with the first one", 0), ("compared with the latest?", -1))


def test_a_step_from_a_report_discussed_by_its_place(catalogue: Catalogue) -> None:
    wrong = []
    councils = [r for r in councils_with_several_reports(catalogue) if len(r) >= 3]
    assert len(councils) >= 5
    for reports, (first, at) in itertools.product(councils, DISCUSSED_BY_PLACE):
        name, here = reports[0].local_authority.lower(), at % len(reports)
        for then, step, beside in STEPS_FROM_IT:
            there = here + step
            expected = (
                {reports[i].report_id for i in ({there, here} if beside else {there})}
                if (0 <= there < len(reports))
                else set()
            )
            result = plan(_read(catalogue, first.format(c=name), then), catalogue)
            if set(result.report_ids or ()) != expected:
                wrong.append((first.format(c=name), then, sorted(expected), result.report_ids))
        for then, end in PLACES_BESIDE_IT:
            expected = {reports[here].report_id, reports[end].report_id}
            result = plan(_read(catalogue, first.format(c=name), then), catalogue)
            if set(result.report_ids or ()) != expected:
                wrong.append((first.format(c=name), then, sorted(expected), result.report_ids))
    assert not wrong, f"{len(wrong)} wrong, e.g. {wrong[:3]}"


@pytest.mark.parametrize("then", ["and now?", "what about now", "how are they doing now"])
def test_now_after_an_earlier_inspection_is_the_latest(catalogue: Catalogue, then: str) -> None:
    wrong = []
    for reports in councils_with_several_reports(catalogue):
        name, year = reports[0].local_authority.lower(), _year(reports[0])
        intent = _read(catalogue, f"{name} {year} care leavers", then)
        if _targets(catalogue, intent) != [(reports[-1].report_id,)]:
            wrong.append((name, _targets(catalogue, intent)))
    assert not wrong, f"{len(wrong)} wrong, e.g. {wrong[:3]}"


# Asks for findings of a tone, written for this test: shortfalls (-1) and strengths (+1).
TONE_QUESTIONS = (
    ("what concerns did ofsted raise about {c}'s care leavers in {year}", -1),
    ("what were the weaknesses in {c}'s front door in {year}", -1),
    ("what did {c} do well for children in care in {year}", 1),
)
# Elliptical follow-ups that keep the earlier question's frame, and one that asks afresh.
KEEPS_THE_TONE = ("and the one before?", "what about children in care?", "and for care leavers?")


def test_a_follow_up_keeps_the_tone_asked_as_part_of_the_frame(catalogue: Catalogue) -> None:
    wrong = []
    for reports, (first, sign) in itertools.product(councils_with_several_reports(catalogue), TONE_QUESTIONS):
        asked = first.format(c=reports[-1].local_authority.lower(), year=_year(reports[-1]))
        for then in KEEPS_THE_TONE:
            intent = _read(catalogue, asked, then)
            if intent.wants.tone != sign or intent.is_judgement:
                wrong.append((asked, then, intent.wants.tone, intent.is_judgement))
        # A grade asked for is a new frame: no tone.
        intent = _read(catalogue, asked, "and what grade did they get?")
        if intent.wants.tone or not intent.is_judgement:
            wrong.append((asked, "grade", intent.wants.tone, intent.is_judgement))
    assert not wrong, f"{len(wrong)} wrong, e.g. {wrong[:3]}"


# Shortfalls asked after a grade, as people type them (written for this test).
AFTER_A_GRADE_SHORTFALLS = (
    ("any concerns about their care leavers", ("care", "leavers")),
    ("anything flagged about their early help?", ("early", "help")),
    ("what held them back", ()),
    ("so what needs more work", ()),
    ("was it as bad the time before", ()),
    ("what was not quite good enough there", ()),
)


@pytest.mark.parametrize(("then", "topic"), AFTER_A_GRADE_SHORTFALLS)
def test_shortfalls_asked_after_a_grade_are_findings_not_the_grade(
    catalogue: Catalogue, then: str, topic: tuple[str, ...]
) -> None:
    wrong = []
    for reports, first in itertools.product(councils_with_several_reports(catalogue), GRADE_QUESTIONS):
        asked = first.format(c=reports[-1].local_authority.lower(), year=_year(reports[-1]))
        intent = _read(catalogue, asked, then)
        # The grade's framing words ("grade", "judged") are no topic to search for, nor the idiom's.
        if intent.wants.tone != -1 or intent.is_judgement or set(intent.terms) - set(topic) - TONE_FRAMING:
            wrong.append((asked, intent.wants.tone, intent.is_judgement, intent.terms))
        if not topic and not intent.broad_tone:
            wrong.append((asked, "broad", intent.terms))
    assert not wrong, f"{len(wrong)} wrong, e.g. {wrong[:3]}"


@pytest.mark.parametrize(
    "then",
    ["fine, what about the care leavers", "ok thanks. and care leavers?", "right - care leavers then?"],
)
def test_an_acknowledgement_opening_a_turn_is_no_topic(catalogue: Catalogue, then: str) -> None:
    reports = councils_with_several_reports(catalogue)[0]
    intent = _read(catalogue, f"{reports[-1].local_authority.lower()} latest grade", then)
    assert set(intent.terms) == {"care", "leavers"}, intent.terms


def test_a_change_of_things_as_a_whole_asks_for_the_sentences_that_say_so(catalogue: Catalogue) -> None:
    reports = councils_with_several_reports(catalogue)[0]
    first = f"{reports[0].local_authority.lower()} {_year(reports[0])} grade"
    for then in ("had things got better by the next one", "did they keep it up at the next one"):
        assert _read(catalogue, first, then).broad_change, then
    assert not _read(catalogue, first, "had care leavers got better by the next one").broad_change
