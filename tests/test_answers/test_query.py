"""Query understanding against the real corpus's catalogue (its manifest: 497 reports, 153 councils).

No index is needed: planning works on report metadata, so these run in milliseconds and pin down
the part of retrieval that dense embeddings cannot do (which council, which inspection).
"""

from __future__ import annotations

import pytest

from inspectqa.errors import UnknownFilter
from service.answers.planning import Catalogue, plan
from service.answers.query import parse, quoted_phrases, with_context
from service.answers.records import Filters
from service.answers.text import sentence_spans, stem


def ids(catalogue: Catalogue, question: str, filters: Filters | None = None) -> tuple[str, ...] | None:
    result = plan(parse(question, catalogue.gazetteer), catalogue, filters)
    assert result.abstain_reason is None, result.abstain_reason
    return result.report_ids


@pytest.mark.parametrize(
    ("question", "council"),
    [
        ("What did Southend say about foster carers?", "southend on sea"),
        ("What needed to improve in Hull?", "kingston upon hull"),
        ("What is the 333 hub in BCP?", "bournemouth christchurch and poole"),
        ("What is the 333 hub in Bournemouth, Christchurch and Poole?", "bournemouth christchurch and poole"),
        ("How is Durham County Council doing?", "durham"),
        ("What about Telford & Wrekin?", "telford and wrekin"),
        ("Tell me about Stoke-on-Trent", "stoke on trent"),
        ("Did St. Helens improve?", "st helens"),
    ],
)
def test_councils_are_found_by_short_and_formal_names(
    catalogue: Catalogue, question: str, council: str
) -> None:
    assert parse(question, catalogue.gazetteer).council_keys == (council,)


def test_ordinary_words_are_not_councils(catalogue: Catalogue) -> None:
    intent = parse(
        "How do children's reading ages compare, and who would bury the issue?", catalogue.gazetteer
    )
    assert intent.council_keys == ()
    assert parse("What did Reading do?", catalogue.gazetteer).council_keys == ("reading",)


def test_a_council_named_in_the_question_selects_only_its_reports(catalogue: Catalogue) -> None:
    found = ids(catalogue, "What did Durham's 2019 inspection say about foster carers' annual reviews?")
    assert found == ("durham-2019-10-21",)
    every_hull = ids(catalogue, "What did Ofsted say about Hull's front door?")
    assert every_hull and all(r.startswith("kingston-upon-hull-") for r in every_hull) and len(every_hull) > 1


def test_inspection_month_maps_to_the_report_published_after_it(catalogue: Catalogue) -> None:
    assert ids(
        catalogue, "What did inspectors say needed to improve in Hull's inspection in November 2022?"
    ) == ("kingston-upon-hull-2023-01-13",)
    assert ids(
        catalogue,
        "What overall effectiveness grade did Knowsley get in the inspection carried out in November 2024?",
    ) == ("knowsley-2025-01-20",)
    assert ids(
        catalogue,
        "How many return home interviews were on time in Sandwell, according to the "
        "inspection published in January 2018?",
    ) == ("sandwell-2018-01-29",)


def test_relative_dates(catalogue: Catalogue) -> None:
    barnet = [r.report_id for r in catalogue.council_reports("barnet")]
    assert ids(catalogue, "What did Barnet's most recent inspection find?") == (barnet[-1],)
    assert ids(catalogue, "What did Barnet's previous inspection find?") == (barnet[-2],)
    since = ids(catalogue, "How has Barnet done since 2019?")
    assert since and set(since) == {r for r in barnet if int(r[-10:-6]) >= 2019}


def test_places_and_years_the_index_lacks_abstain_plainly(catalogue: Catalogue) -> None:
    for question in (
        "What judgement did Ofsted give Cardiff's children's services in 2022?",
        "What overall effectiveness grade did Glasgow City Council's children's services get in 2023?",
        "How did Ofsted rate services for care leavers in Belfast?",
    ):
        result = plan(parse(question, catalogue.gazetteer), catalogue)
        assert result.abstain_reason and "not among" in result.abstain_reason
    camden = plan(
        parse(
            "What was Camden's overall effectiveness judgement in its 2020 inspection?", catalogue.gazetteer
        ),
        catalogue,
    )
    assert camden.abstain_reason and "no Camden report from 2020" in camden.abstain_reason


def test_comparisons_get_one_target_per_report(catalogue: Catalogue) -> None:
    intent = parse(
        "How did Ofsted's judgement of Barnet change between the 2017 and 2019 inspections?",
        catalogue.gazetteer,
    )
    result = plan(intent, catalogue)
    assert intent.is_comparison
    assert [t.report_ids for t in result.targets] == [("barnet-2017-07-07",), ("barnet-2019-07-01",)]
    paired = plan(
        parse(
            "How did IRO caseloads in Liverpool's 2014 inspection compare with those in Derby's "
            "2017 inspection?",
            catalogue.gazetteer,
        ),
        catalogue,
    )
    assert [t.report_ids for t in paired.targets] == [("liverpool-2014-07-18",), ("derby-2017-06-13",)]


def test_questions_naming_no_council_search_everything(catalogue: Catalogue) -> None:
    assert ids(catalogue, "Which council's Children in Care Council is called 'Speaker Box'?") is None


def test_explicit_filters_and_their_errors(catalogue: Catalogue) -> None:
    assert ids(
        catalogue,
        "What about care leavers?",
        Filters(local_authority=("Hull",), year_from=2023, year_to=2024),
    ) == ("kingston-upon-hull-2023-01-13",)
    with pytest.raises(UnknownFilter) as raised:
        plan(
            parse("care leavers", catalogue.gazetteer),
            catalogue,
            Filters(local_authority=("Southend on see",)),
        )
    assert "Southend-on-Sea" in raised.value.suggestions
    with pytest.raises(UnknownFilter):
        plan(parse("care leavers", catalogue.gazetteer), catalogue, Filters(report_id=("durham-2099-01-01",)))


def test_follow_ups_keep_council_and_year(catalogue: Catalogue) -> None:
    first = parse("What did Southend-on-Sea's 2019 inspection say about foster carers?", catalogue.gazetteer)
    follow = with_context(parse("And what about in 2016?", catalogue.gazetteer), first)
    assert ids(catalogue, "x") is None  # sanity: a bare word searches everything
    assert plan(follow, catalogue).report_ids == ("southend-on-sea-2016-07-07",)
    same = with_context(parse("What did they say about care leavers?", catalogue.gazetteer), first)
    assert plan(same, catalogue).report_ids == ("southend-on-sea-2019-08-27",)
    fresh = with_context(parse("And in Essex?", catalogue.gazetteer), first)
    assert fresh.council_keys == ("essex",)


@pytest.mark.parametrize(
    ("question", "areas"),
    [
        (
            "What was the overall effectiveness judgement for Bexley in its 2018 inspection?",
            ("overall_effectiveness",),
        ),
        (
            "How were the experiences and progress of care leavers judged in Kent's inspection?",
            ("care_leavers",),
        ),
        ("How did Doncaster's judgements change between its 2022 and 2025 inspections?", ("*",)),
    ],
)
def test_judgement_questions(catalogue: Catalogue, question: str, areas: tuple[str, ...]) -> None:
    intent = parse(question, catalogue.gazetteer)
    assert intent.is_judgement and intent.judgement_areas == areas


def test_context_words_are_not_judgement_questions(catalogue: Catalogue) -> None:
    question = "What did Liverpool's director say publicly in response to the 2023 inadequate judgement?"
    assert not parse(question, catalogue.gazetteer).is_judgement


def test_section_hints(catalogue: Catalogue) -> None:
    assert "improve" in parse("What needs to improve in Brent?", catalogue.gazetteer).sections
    assert "care_leavers" in parse("What about care leavers in Brent?", catalogue.gazetteer).sections


def test_sentence_spans_are_verbatim_and_skip_paragraph_numbers() -> None:
    text = (
        "27. Foster carers’ annual reviews are timely, e.g. within 12 months. Dr. Smith said 2.5 days.\n"
        "• Bullet one.\n• Bullet two\n28. Next paragraph."
    )
    spans = sentence_spans(text)
    found = [text[a:b] for a, b in spans]
    assert found == [
        "Foster carers’ annual reviews are timely, e.g. within 12 months.",
        "Dr. Smith said 2.5 days.",
        "Bullet one.",
        "Bullet two",
        "Next paragraph.",
    ]


def test_a_doubled_final_consonant_meets_its_word() -> None:
    # "planning for looked after children" is about "some plans for looked after children".
    assert stem("planning") == stem("planned") == stem("plans") == stem("plan")
    assert stem("referred") == stem("refers") and stem("committed") == stem("commitment")
    # Words that end in a double letter of their own keep it.
    assert stem("staffing") == stem("staff") and stem("filled") == stem("fills")
    assert stem("called") == stem("calls") and stem("added") != "ad"


def test_change_over_time_compares_every_report_and_current_questions_take_the_latest(
    catalogue: Catalogue,
) -> None:
    changed = plan(
        parse("How has Barnet's overall judgement changed since 2017?", catalogue.gazetteer), catalogue
    )
    assert [t.report_ids for t in changed.targets] == [
        (r.report_id,) for r in catalogue.council_reports("barnet") if r.label_year and r.label_year >= 2017
    ]
    latest = catalogue.council_reports("leeds")[-1].report_id
    assert ids(catalogue, "What needs to improve in Leeds?") == (latest,)
    assert ids(catalogue, "What change has Newcastle made to support for care leavers over 21?") == tuple(
        r.report_id for r in catalogue.council_reports("newcastle upon tyne")
    )


def test_a_sentence_broken_by_a_page_break_stays_whole() -> None:
    text = "Screening in the MASH is ineffective despite sizeable\n\ncommitment from partners. Next one."
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Screening in the MASH is ineffective despite sizeable\n\ncommitment from partners.",
        "Next one.",
    ]


@pytest.mark.parametrize(
    "question",
    [
        "Which councils were criticised for pre-proceedings (PLO) delays?",
        "Which local authorities use the Mockingbird model?",
        "In which areas were care leavers' pathway plans out of date?",
        "Name councils that use family group conferences.",
        "What councils had high social worker caseloads?",
    ],
)
def test_questions_about_several_councils_are_surveys(catalogue: Catalogue, question: str) -> None:
    intent = parse(question, catalogue.gazetteer)
    assert intent.asks_which_councils, question
    assert plan(intent, catalogue).report_ids is None


@pytest.mark.parametrize(
    "question",
    [
        "Which council's Children in Care Council is called 'Speaker Box'?",
        "Which local authority commissioned a service called 'Miss U'?",
        "What were the areas for improvement in Durham's 2019 inspection?",
        "Which areas of practice need to improve in Brent?",
        "Which councils in Essex's region were visited?",  # names a council: not a survey
    ],
)
def test_one_council_questions_are_not_surveys(catalogue: Catalogue, question: str) -> None:
    assert not parse(question, catalogue.gazetteer).asks_which_councils


@pytest.mark.parametrize(
    ("question", "phrases"),
    [
        ("What did Durham's 2019 inspection say about foster carers' reviews?", ()),
        ("What did inspectors say about children's homes in Barnet's 2019 report?", ()),
        ("What did Ofsted say about 'Speaker Box' in Bexley?", ("speaker box",)),
        ("What is ‘Signs of Safety’ in Essex?", ("signs of safety",)),
        ('What about the "Mockingbird" programme?', ("mockingbird",)),
        ("How is the Safe@last service rated?", ("safe@last",)),
    ],
)
def test_quoted_names_are_phrases_and_apostrophes_not_quotes(question: str, phrases: tuple[str, ...]) -> None:
    assert quoted_phrases(question) == phrases


def test_questions_about_change_from_an_earlier_inspection(catalogue: Catalogue) -> None:
    worse = parse("did York get worse since 2016", catalogue.gazetteer)
    assert worse.asks_change and "worse" not in worse.terms and "2016" in worse.terms
    # The first report after the 2016 inspection (published in 2017) says how things changed from it.
    assert ids(catalogue, "did York get worse since 2016") == ("york-2022-05-04",)
    assert parse("lancs 2018 still inadequate or not", catalogue.gazetteer).asks_change
    assert parse(
        "How had Lewisham's services changed since its previous inspection?", catalogue.gazetteer
    ).asks_change
    for question in ("What needs to improve in Leeds?", "Plymouth still in touch with care leavers 2019"):
        assert not parse(question, catalogue.gazetteer).asks_change, question
    # "ever been better": every report since, not the first after.
    ever = "Since 2015, has Bristol's overall grade ever been better than requires improvement?"
    assert len(ids(catalogue, ever) or ()) > 1


def test_a_question_with_no_topic_asks_for_the_headline_judgement(catalogue: Catalogue) -> None:
    for question in ("Greenwich most recent ofsted", "Camden 2022 inspection overall"):
        intent = parse(question, catalogue.gazetteer)
        assert intent.is_judgement and intent.judgement_areas == ("overall_effectiveness",), question
    assert not parse("Greenwich 2024 young carers", catalogue.gazetteer).is_judgement
    earliest = parse("BANES earliest ofsted", catalogue.gazetteer)
    assert earliest.relative == "earliest"


def test_why_typed_after_the_council_asks_for_the_findings_behind_the_grade(catalogue: Catalogue) -> None:
    from service.answers.understanding import _reasons

    intent = _reasons(parse("Halton 2024 why inadequate", catalogue.gazetteer))
    # A grade and nothing it grades: the shortfalls of the report as a whole, not the grade again.
    assert intent.wants.tone == -1 and not intent.is_judgement and intent.broad_tone
    intent = _reasons(parse("Wirral earliest report why were care leavers inadequate", catalogue.gazetteer))
    assert intent.wants.tone == -1 and {"care", "leavers"} <= set(intent.terms)


def test_how_long_names_the_figure_asked_for_not_a_topic(catalogue: Catalogue) -> None:
    terms = parse("Lewisham early help waiting list how long 2019", catalogue.gazetteer).terms
    assert "long" not in terms and {"early", "help", "waiting", "list"} <= set(terms)


def test_a_district_or_region_named_after_a_council_is_not_that_council(catalogue: Catalogue) -> None:
    # A compass point or "greater" before a council's name makes another place (issue 12): a
    # district named after its county, a region after its city. Known names with one are kept.
    for question, place in (
        ("Greater Manchester children's services Ofsted judgement", "Greater Manchester"),
        ("north devon childrens services grade", "North Devon"),
        ("how is north norfolk doing on care leavers", "North Norfolk"),
    ):
        intent = parse(question, catalogue.gazetteer)
        assert not intent.places and intent.outside_places == (place,), question
        result = plan(intent, catalogue)
        assert result.abstain_reason, question
        assert ("area of England" if place == "Greater Manchester" else "not among") in result.abstain_reason
    for question, council in (
        ("north east lincolnshire latest grade", "North East Lincolnshire"),
        ("west berks lado", "West Berkshire"),
        ("east sussex grade", "East Sussex"),
        ("manchester's latest grade", "Manchester"),
    ):
        assert [p.display for p in parse(question, catalogue.gazetteer).places] == [council], question


def test_an_area_of_england_that_is_no_council_is_declined_alone(catalogue: Catalogue) -> None:
    # Regions, metropolitan and abolished counties and everyday areas (``aliases.ENGLISH_AREAS``)
    # have no report of their own; their words are in the reports ("Adoption East Midlands").
    for question, area in (
        ("south yorkshire childrens services ofsted rating", "South Yorkshire"),
        ("what did ofsted say about children's services in the north east", "North East"),
        ("black country childrens services inspection outcome", "Black Country"),
        ("cleveland county council childrens services ofsted", "Cleveland"),
    ):
        intent = parse(question, catalogue.gazetteer)
        assert not intent.places and intent.regions == (area,), question
        reason = plan(intent, catalogue).abstain_reason
        assert reason and "area of England" in reason, question
    # Councils whose names hold an area's words stay councils, and a borough of London is the borough.
    for question, council in (
        ("north east lincolnshire latest grade", "north east lincolnshire"),
        ("redcar and cleveland grade", "redcar and cleveland"),
        ("bath and north east somerset 2022", "bath and north east somerset"),
        ("the London Borough of Hackney in 2019", "hackney"),
        ("north yorkshire childrens services ofsted rating", "north yorkshire"),
    ):
        intent = parse(question, catalogue.gazetteer)
        assert intent.council_keys == (council,) and not intent.regions, question
    # Beside a council, an area is context; across councils it only narrows a survey.
    beside = parse("how did thurrock compare with others in the east of england", catalogue.gazetteer)
    assert beside.council_keys == ("thurrock",) and plan(beside, catalogue).abstain_reason is None
    survey = parse("which councils in the north east were judged outstanding", catalogue.gazetteer)
    assert plan(survey, catalogue).abstain_reason is None


def test_a_follow_up_naming_an_area_keeps_the_council_unless_it_names_only_the_area(
    catalogue: Catalogue,
) -> None:
    earlier = parse("how did sheffield do in 2023", catalogue.gazetteer)
    compare = with_context(
        parse("how do their care leavers compare with the rest of south yorkshire", catalogue.gazetteer),
        earlier,
    )
    assert compare.council_keys == ("sheffield",) and plan(compare, catalogue).abstain_reason is None
    typical = with_context(parse("is that typical for the north east", catalogue.gazetteer), earlier)
    assert typical.council_keys == ("sheffield",)
    for question in ("and south yorkshire?", "ok and what about the black country"):
        alone = with_context(parse(question, catalogue.gazetteer), earlier)
        assert not alone.places and plan(alone, catalogue).abstain_reason, question


def test_the_grade_of_a_school_home_or_other_inspection_is_not_in_a_council_report(
    catalogue: Catalogue,
) -> None:
    # ``service.answers.remit``: a place Ofsted grades on its own, or another inspection's outcome.
    for question, named in (
        ("what ofsted grade did st marys primary school in bolton get", "st marys primary school"),
        ("Bradford College ofsted grade", "Bradford College"),
        ("is little acorns nursery in york rated good", "little acorns nursery"),
        ("what did ofsted rate the maple lodge childrens home in salford", "maple lodge childrens home"),
        ("best primary schools in sheffield", "schools"),
        ("school league tables in bolton", "schools"),
        ("ofsted ratings of warringtons secondary schools", "schools"),
        ("what was the outcome of lincolnshires send area inspection", "SEND"),
        ("What rating did HM Inspectorate of Probation give Doncaster's youth justice service?", "Probation"),
        ("what was the cqc rating for camhs in devon", "Care Quality Commission"),
        ("what did ofsted rate the fostering agency in derby", "fostering agency"),
        ("what is the ofsted rating of the regional adoption agency for lancashire", "adoption agency"),
        ("what was kirklees judged in its 2024 focused visit", "focused visit"),
    ):
        intent = parse(question, catalogue.gazetteer)
        assert intent.other_inspection and named in intent.other_inspection, question
        reason = plan(intent, catalogue).abstain_reason
        assert reason and "another inspection" in reason, question
    # What a council's report does say about schools, homes and SEND is left to it.
    for question in (
        "What did Ofsted say about Coventry's own children's homes in 2014?",
        "are hartlepool's children's homes rated good",
        "how well do schools in solihull support children in care",
        "do most children in care in wirral attend good or outstanding schools",
        "how good is kent's virtual school",
        "how well does stockport support children with send",
        "what did ofsted say about the secure children's home in 2019 in st helens",
        "how many children in care in bolton attend schools rated good",
        "which councils had the best support for children in schools",
        "how good is the local area send offer in york",
        "how did bolton's social workers work with the cqc",
        "how well does the regional adoption agency support lancashire adopters",
        "how many focused visits did wirral have before that",
        "has wirral been judged better since the focused visit",
        "what grade did derby get for adoption in 2017",
        "how did children in care in salford do in their gcse grades at schools",
    ):
        assert parse(question, catalogue.gazetteer).other_inspection is None, question


def test_an_abolished_councils_services_are_not_its_successors(catalogue: Catalogue) -> None:
    # FORMAT.md: abolished councils are unanswerable; their successors' reports are their own.
    for question in (
        "What were the main weaknesses Ofsted found in Cumbria County Council's children's services?",
        "how were care leavers doing in northamptonshire",
    ):
        intent = parse(question, catalogue.gazetteer)
        reason = plan(intent, catalogue).abstain_reason
        assert intent.abolished and reason and "abolished" in reason, question
    # A grade is still read with the successors (their first reports give the predecessor's), and a
    # successor named is itself.
    assert (
        plan(parse("northamptonshire ofsted rating", catalogue.gazetteer), catalogue).abstain_reason is None
    )
    assert not parse("cumberland care leavers", catalogue.gazetteer).abolished
    later = with_context(
        parse("and their care leavers?", catalogue.gazetteer),
        parse("what did ofsted say about early help in cumbria", catalogue.gazetteer),
    )
    assert later.abolished == ("cumbria",) and plan(later, catalogue).abstain_reason


def test_the_askers_own_case_is_in_no_report(catalogue: Catalogue) -> None:
    for question in ("who was my social worker in luton", "is my child safe in bolton"):
        reason = plan(parse(question, catalogue.gazetteer), catalogue).abstain_reason
        assert reason and "anonymised" in reason, question
    for question in (
        "can my council help care leavers in bolton",
        "how are our children in care doing in bolton",
    ):
        assert not parse(question, catalogue.gazetteer).own_case, question


def test_a_sum_of_money_asked_for_wants_a_figure(catalogue: Catalogue) -> None:
    # "what is their annual budget" asks for a sum (abstention then wants "£3.5m" on the topic);
    # "what did the report say about the budget" asks for findings.
    for question in (
        "and what is their annual budget",
        "and the overspend?",
        "what is north tynesides childrens services budget for 2025",
        "what is the council tax in walsall",
    ):
        assert parse(question, catalogue.gazetteer).wants.figure, question
    for question in (
        "What did Blackburn with Darwen's earliest inspection say about the children's services budget?",
        "did they put more money into early help",
    ):
        assert not parse(question, catalogue.gazetteer).wants.figure, question


def test_a_bare_council_whose_name_is_no_word_is_a_place_the_index_lacks(catalogue: Catalogue) -> None:
    words = {"the", "local", "their", "neighbouring", "kent"}
    intent = parse("midsomer council childrens services rating", catalogue.gazetteer, words.__contains__)
    assert intent.outside_places == ("Midsomer",)
    assert plan(intent, catalogue).abstain_reason
    # An ordinary word before "council" is no place; a known council stays itself.
    assert not parse(
        "what has the local council done", catalogue.gazetteer, words.__contains__
    ).outside_places
    kent = parse("has kent council improved", catalogue.gazetteer, words.__contains__)
    assert [p.display for p in kent.places] == ["Kent"] and not kent.outside_places


def test_a_grade_asked_of_no_council_the_index_holds_abstains(catalogue: Catalogue) -> None:
    # A town or place the index does not know: any council's grade would be a wrong answer.
    for question in ("perth childrens services ofsted rating", "what grade did paisley get"):
        result = plan(parse(question, catalogue.gazetteer), catalogue)
        assert result.abstain_reason and "names no council" in result.abstain_reason, question
    # Asked across councils, it is a survey and is planned over the whole index.
    for question in (
        "which councils were rated outstanding in 2023",
        "were any london boroughs judged outstanding",
        "how many councils were inadequate in 2019",
    ):
        assert plan(parse(question, catalogue.gazetteer), catalogue).abstain_reason is None, question


def test_a_named_official_asked_for_by_abbreviation_wants_a_person(catalogue: Catalogue) -> None:
    from service.answers.normalise import Normalised

    typed = Normalised(
        "who is the dcs in camden",
        "who is the dcs in camden",
        (),
        (("dcs", "director of children's services"),),
    )
    assert parse(typed, catalogue.gazetteer).wants.person
