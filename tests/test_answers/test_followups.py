"""Follow-ups and relative dates through the real service on the real small index.

Conversations are written for this test (not taken from any gold file): the council and year
come only from earlier turns, and the response says what it answered about.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from inspectqa.settings import Settings
from service.answers.lexicon import CHANGE_SENTENCE, IMPROVE_TITLE
from service.answers.qa import QAService
from service.answers.records import Answer, Passage, Turn
from service.answers.retrieval import Query, Retriever
from service.answers.tone import tone
from service.answers.when import SINCE_LAST


@pytest.fixture(scope="module")
def qa(small_index: Path, embedder: Any) -> QAService:
    from indexer import open_index

    settings = Settings(index=small_index)
    return QAService(open_index(small_index, settings), embedder, settings)


def conversation(qa: QAService, *questions: str) -> Answer:
    """Ask each question in turn with the conversation so far; the last answer."""
    history: list[Turn] = []
    answer = None
    for question in questions:
        answer = qa.ask(question, history=list(history))
        history += [Turn("user", question), Turn("assistant", answer.answer)]
    assert answer is not None
    return answer


def reports(answer: Answer) -> set[str]:
    return {c.report_id for c in answer.citations}


def test_a_bare_year_keeps_the_council_and_the_question(qa: QAService) -> None:
    answer = conversation(qa, "What was Barnet's overall effectiveness grade in 2017?", "and in 2019?")
    assert not answer.abstained and reports(answer) == {"barnet-2019-07-01"}
    assert answer.focus is not None and answer.focus.from_history
    assert answer.focus.label == "Answering about Barnet, 2019"


def test_the_previous_inspection_is_the_one_before_the_report_discussed(qa: QAService) -> None:
    answer = conversation(qa, "how did southend do in 2019", "what about the previous inspection?")
    assert answer.focus is not None and answer.focus.report_ids == ("southend-on-sea-2016-07-07",)
    answer = conversation(qa, "barnet 2019 grade", "and the one before that?")
    assert answer.focus is not None and answer.focus.report_ids == ("barnet-2017-07-07",)


def test_an_elliptical_follow_up_asks_the_same_of_another_area(qa: QAService) -> None:
    answer = conversation(
        qa, "How were children in care judged in Barnet's 2017 inspection?", "and for care leavers?"
    )
    assert not answer.abstained and reports(answer) == {"barnet-2017-07-07"}
    assert "care leavers" in answer.answer.lower()


def test_pronouns_point_back_at_the_council(qa: QAService) -> None:
    answer = conversation(qa, "durham 2019 inspection", "what did they say about there foster carers")
    assert not answer.abstained and reports(answer) == {"durham-2019-10-21"}


def test_a_follow_up_after_a_declined_question_keeps_the_declined_place(qa: QAService) -> None:
    first = qa.ask("What did Ofsted say about Swansea's care leavers?")
    assert first.abstained
    answer = conversation(
        qa, "What did Ofsted say about Swansea's care leavers?", "what about their foster carers?"
    )
    assert answer.abstained and "Swansea" in answer.answer
    # A council with no report in the year asked for: declined, then the next year is answered.
    answer = conversation(
        qa, "What did Ofsted find about foster carers in Southend in 2017?", "what about 2019 then?"
    )
    assert not answer.abstained and reports(answer) <= {"southend-on-sea-2019-08-27"}


@pytest.mark.parametrize(
    ("question", "report_ids"),
    [
        (
            "What did the earliest inspection of Southend say about foster carers?",
            ("southend-on-sea-2016-07-07",),
        ),
        ("Southend's most recent inspection: what about foster carers?", ("southend-on-sea-2019-08-27",)),
        ("Barnet's grade at the inspection before its most recent one", ("barnet-2017-07-07",)),
        ("What was Barnet's grade at the inspection before 2019?", ("barnet-2017-07-07",)),
        ("barnet after 2017 what needs to improve", ("barnet-2019-07-01",)),
        (
            "What did Barnet's inspection after its earliest one say about social workers?",
            ("barnet-2019-07-01",),
        ),
        ("southend in the 2010s foster carers", ("southend-on-sea-2016-07-07", "southend-on-sea-2019-08-27")),
        (
            "What did Barnet's inspection between 2016 and 2018 say about social workers?",
            ("barnet-2017-07-07",),
        ),
        ("What has improved in Southend since the last inspection?", ("southend-on-sea-2019-08-27",)),
        ("What overall grades has Barnet had since 2017?", ("barnet-2017-07-07", "barnet-2019-07-01")),
    ],
)
def test_relative_dates_resolve_against_the_councils_reports(
    qa: QAService, question: str, report_ids: tuple[str, ...]
) -> None:
    answer = qa.ask(question)
    assert answer.focus is not None
    assert set(answer.focus.report_ids) == set(report_ids), answer.focus
    assert answer.focus.date_basis == "publication"


def test_the_original_question_is_shown_and_the_corrections_listed(qa: QAService) -> None:
    answer = qa.ask("what did ofsted say about barnets foster carers in 2019")
    assert answer.question == "what did ofsted say about barnets foster carers in 2019"
    assert answer.focus is not None
    assert ("barnets", "Barnet's", "council") in answer.focus.corrections
    assert answer.focus.councils == ("Barnet",) and not answer.focus.from_history


def test_an_overall_grade_that_the_2026_framework_no_longer_gives_is_declined(qa: QAService) -> None:
    answer = qa.ask("blackpool overall effectiveness 2026")
    assert answer.abstained and "no overall effectiveness grade" in answer.answer
    # Its four judgements are still answered when asked for.
    assert not qa.ask("How was help and protection judged in Blackpool's 2026 inspection?").abstained


def test_a_question_with_no_topic_asks_for_the_headline(qa: QAService) -> None:
    # "barnet most recent ofsted", then "what did they get in 2017 then": the overall grade each time.
    answer = conversation(qa, "barnet most recent ofsted", "what did they get in 2017 then")
    assert not answer.abstained and reports(answer) == {"barnet-2017-07-07"}
    assert "barnet are inadequate" in answer.answer.lower()  # the 2017 framework's overall grade


def test_a_question_about_change_is_answered_from_the_report_after_the_baseline(qa: QAService) -> None:
    answer = qa.ask("did barnet get any better since 2017")
    assert answer.focus is not None and answer.focus.report_ids == ("barnet-2019-07-01",)
    # The report's own sentence on the change from the 2017 inspection.
    assert not answer.abstained and "improved" in answer.answer and "2017" in answer.answer


def test_an_abbreviation_names_the_judgement_area(qa: QAService) -> None:
    answer = qa.ask("barnet 2019 how were CiC judged")
    assert not answer.abstained and reports(answer) == {"barnet-2019-07-01"}
    assert "experiences and progress of children in care" in answer.answer.lower()
    assert "overall effectiveness" not in answer.answer.lower()


# --- what a follow-up carries over, slot by slot (issue 12f) ----------------------------------


def history_of(*questions: str) -> list[Turn]:
    """Earlier user turns with a neutral assistant reply between them (the intent reads the user's)."""
    turns: list[Turn] = []
    for question in questions:
        turns += [Turn("user", question), Turn("assistant", "Noted.")]
    return turns


def test_an_earlier_grade_question_lends_its_council_and_year_but_no_topic(qa: QAService) -> None:
    # "grade", "get" frame the earlier question: the follow-up's topic is its own.
    intent = qa.understand(
        "and what about their caseloads", history_of("what grade did barnet get in its 2019 inspection")
    )
    assert intent.from_history and intent.council_keys == ("barnet",)
    assert [y.year for y in intent.years] == [2019]
    assert intent.borrowed == () and not {"grade", "get"} & set(intent.terms)
    answer = conversation(
        qa, "what grade did barnet get in its 2019 inspection", "and what about their caseloads"
    )
    assert not answer.abstained and reports(answer) == {"barnet-2019-07-01"}
    assert "caseloads" in answer.answer.lower()


def test_what_about_x_replaces_the_topic_and_keeps_whom_it_was_about(qa: QAService) -> None:
    first = "What proportion of Bexley's care leavers were in education, employment or training in 2018?"
    intent = qa.understand("and what about accommodation?", history_of(first))
    assert intent.borrowed == ("care", "leavers") and "care_leavers" in intent.sections
    assert not {"education", "employment", "training", "proportion"} & set(intent.terms)
    answer = conversation(qa, first, "and what about accommodation?")
    assert answer.focus is not None and answer.focus.topic_from_history == ("care", "leavers")
    assert not answer.abstained and reports(answer) == {"bexley-2018-08-20"}
    assert "accommodation" in answer.answer.lower()


def test_naming_another_group_keeps_what_was_asked_about_them(qa: QAService) -> None:
    first = "What proportion of Bexley's care leavers were in education, employment or training in 2018?"
    intent = qa.understand("and for children in care?", history_of(first))
    assert {"education", "employment", "training"} <= set(intent.borrowed)
    assert not {"leavers", "proportion"} & set(intent.borrowed)
    # Named as one judgement area after another: the grade, with nothing borrowed from the first.
    intent = qa.understand(
        "and for care leavers?", history_of("How were children in care judged in Barnet's 2017 inspection?")
    )
    assert intent.is_judgement and intent.judgement_areas == ("care_leavers",)
    assert not {"children", "cic", "judged"} & set(intent.borrowed)


def test_a_follow_up_of_filler_words_continues_the_whole_earlier_question(qa: QAService) -> None:
    first = "How many Bexley care leavers were in education, employment or training in 2018?"
    intent = qa.understand("had that got any better?", history_of(first))
    assert {"care", "leavers", "education", "employment", "training"} <= set(intent.terms)
    assert "got" not in intent.terms and intent.context == first


def test_asking_why_after_a_grade_wants_the_findings_behind_it(qa: QAService) -> None:
    history = history_of("barnet 2017 inspection overall")
    intent = qa.understand("so why was help and protection inadequate", history)
    assert not intent.is_judgement and intent.wants.tone == -1
    intent = qa.understand("why werent children in care good", history)
    assert not intent.is_judgement and intent.wants.tone == -1
    # A grade limited by "only" asks why it was not better; unlimited, the strengths behind it.
    assert qa.understand("how come care leavers only got good then", history).wants.tone == -1
    assert qa.understand("why were care leavers good", history).wants.tone == 1
    # "Why did X need to improve": the reasons, not the report's list of recommendations.
    assert not qa.understand("why did care leavers need to improve", history).asks_list
    answer = conversation(qa, "barnet 2017 inspection overall", "so why was help and protection inadequate")
    assert not answer.abstained and reports(answer) == {"barnet-2017-07-07"}
    assert "help and protection: inadequate" not in answer.answer.lower()  # not the grade again


@pytest.mark.parametrize(
    ("first", "then", "report_ids"),
    [
        # Relative to the inspection the conversation was about, in words that need one.
        ("barnet 2017 grade", "and the one after?", ("barnet-2019-07-01",)),
        ("barnet 2019 grade", "was it any better in the one before", ("barnet-2017-07-07",)),
        # A change in a grade is told with both grades: the one discussed and the next.
        (
            "was barnet inadequate in 2017",
            "have they turned it round since",
            ("barnet-2017-07-07", "barnet-2019-07-01"),
        ),
        ("southend earliest inspection", "and the one after?", ("southend-on-sea-2019-08-27",)),
        # A comparison keeps the inspection discussed beside the one it names.
        (
            "southend 2016 overall",
            "how does that compare with 2019",
            ("southend-on-sea-2016-07-07", "southend-on-sea-2019-08-27"),
        ),
        (
            "barnet most recent ofsted grade",
            "how does that compare to the one before",
            ("barnet-2017-07-07", "barnet-2019-07-01"),
        ),
        # After a declined question, a bare year is asked the same way.
        ("barnet 2018 grade", "try 2019", ("barnet-2019-07-01",)),
    ],
)
def test_a_follow_up_picks_its_inspection_from_the_one_discussed(
    qa: QAService, first: str, then: str, report_ids: tuple[str, ...]
) -> None:
    answer = conversation(qa, first, then)
    assert answer.focus is not None and set(answer.focus.report_ids) == set(report_ids), answer.focus
    assert not answer.abstained and reports(answer) == set(report_ids)


def test_what_is_left_to_fix_asks_for_the_list_of_improvements(qa: QAService) -> None:
    intent = qa.understand("so whats left for them to fix", history_of("barnet 2019 inspection"))
    assert intent.asks_list and [y.year for y in intent.years] == [2019]
    intent = qa.understand("have they turned it round since", history_of("was barnet inadequate in 2017"))
    assert intent.asks_change and intent.relative == "next"
    assert not {"turned", "round"} & set(intent.terms)


def test_a_change_in_things_as_a_whole_borrows_no_topic(qa: QAService) -> None:
    history = history_of("durham 2019 inspection what about the front door")
    intent = qa.understand("did things get better by the next one", history)
    assert intent.asks_change and intent.relative == "next" and intent.from_history
    assert not {"front", "door"} & set(intent.terms) and intent.sections == ()
    # "That" points at the earlier topic.
    intent = qa.understand("had that got any better by the next one", history)
    assert {"front", "door"} <= set(intent.terms)
    answer = conversation(
        qa, "durham 2019 inspection what about the front door", "did things get better by the next one"
    )
    # The small index holds no later Durham report: declined, not answered from the 2019 one.
    assert answer.abstained and not answer.citations


def test_a_shortfall_asked_of_no_topic_is_answered_with_shortfalls(qa: QAService) -> None:
    # "What was holding them back" after a grade names no topic: the report's shortfalls as a
    # whole, found by their tone (the idiom's words are no search words) and quoted first.
    intent = qa.understand("so what was holding them back", history_of("bexley 2018 ofsted grade"))
    assert intent.wants.tone == -1 and intent.broad_tone and not intent.is_judgement
    answer = conversation(qa, "bexley 2018 ofsted grade", "so what was holding them back")
    assert not answer.abstained and reports(answer) == {"bexley-2018-08-20"}
    # Each quote states a shortfall, in its words or as an item of the report's list of improvements.
    shortfalls = [c for c in answer.citations if tone(c.quote) < 0 or IMPROVE_TITLE.search(c.section or "")]
    assert len(shortfalls) == len(answer.citations) >= 2, answer.answer


@pytest.mark.parametrize(
    ("first", "then", "later"),
    [
        ("barnet 2017 grade", "had things got better by the next one", "barnet-2019-07-01"),
        ("southend earliest inspection", "did they keep it up at the next one", "southend-on-sea-2019-08-27"),
    ],
)
def test_a_change_of_things_as_a_whole_is_answered_with_the_sentences_that_say_so(
    qa: QAService, first: str, then: str, later: str
) -> None:
    # A change asked of no topic: the later report's own words on how services changed since
    # the inspection discussed (``lexicon.CHANGE_SENTENCE``), from the passages that say so.
    answer = conversation(qa, first, then)
    assert not answer.abstained and later in reports(answer)
    assert any(CHANGE_SENTENCE.search(c.quote) for c in answer.citations), answer.answer


def test_a_broad_ask_ranks_the_passages_of_the_kind_asked(qa: QAService) -> None:
    # Asked of no topic, a change or a tone has no words to search for: retrieval favours the
    # passages that say how things changed since the last inspection (``Query.change``), or that
    # hold a sentence of the tone asked (``Query.tone``).
    def changes(passages: list[Passage]) -> int:
        return sum(bool(CHANGE_SENTENCE.search(p.text)) for p in passages)

    def shortfalls(passages: list[Passage]) -> int:
        return sum(1 for p in passages for s in p.text.split(". ") if tone(s) < 0)

    text = "southend 2016 grade had things got better by the next one"
    southend = ("southend-on-sea-2019-08-27",)
    plain = qa.retriever.search(Query(text=text, terms=(), report_ids=southend), 5)
    changed = qa.retriever.search(Query(text=text, terms=(), report_ids=southend, change=True), 5)
    assert changes(changed) > changes(plain)
    text = "bexley 2018 ofsted grade so what was holding them back"
    bexley = ("bexley-2018-08-20",)
    plain = qa.retriever.search(Query(text=text, terms=(), report_ids=bexley), 5)
    toned = qa.retriever.search(Query(text=text, terms=(), report_ids=bexley, tone=-1), 5)
    assert shortfalls(toned) > shortfalls(plain)


def test_a_question_with_no_topic_words_is_not_searched_by_keyword(qa: QAService) -> None:
    # "Did they keep it up at the next one" has no topic words: a keyword search on its words would
    # rank the passages that happen to say "next" or "keep"; the dense search alone reads it.
    class Recording:
        def __init__(self, index: Any) -> None:
            self.index, self.searched = index, []

        def __getattr__(self, name: str) -> Any:
            return getattr(self.index, name)

        def lexical_search(self, text: str, *args: Any, **kwargs: Any) -> Any:
            self.searched.append(text)
            return self.index.lexical_search(text, *args, **kwargs)

    recording = Recording(qa.retriever.index)
    retriever = Retriever(recording, qa.retriever.embedder, qa.retriever.stats)  # type: ignore[arg-type]
    southend = ("southend-on-sea-2019-08-27",)
    text = "southend 2016 grade did they keep it up at the next one"
    assert retriever.search(Query(text=text, terms=(), report_ids=southend), 5)
    assert recording.searched == []
    assert retriever.search(Query(text=text, terms=("foster",), report_ids=southend), 5)
    assert recording.searched == ["foster"]


def test_a_tone_asked_of_an_area_alone_reads_every_sentence_of_its_section(qa: QAService) -> None:
    # "Anything flagged about help and protection" names whom and nothing about them: every
    # passage of that section is about them, whether its sentences name them or not, and the
    # passages that hold a shortfall are the ones asked for.
    intent = qa.understand("anything flagged about help and protection", history_of("barnet 2017 grade"))
    assert intent.area_tone and not intent.broad_tone and intent.wants.tone == -1
    assert intent.slots == (("help", "protection"), ())
    barnet = ("barnet-2017-07-07",)
    pattern = re.compile("help and protection", re.I)
    query = Query(text="help and protection", terms=("help", "protection"), report_ids=barnet)
    ranked = qa.retriever.ranked(replace(query, section_patterns=(pattern,), subject=("help", "protection")))
    in_section = [p for p in ranked if pattern.search(p.section or "")]
    assert in_section and all(p.scores["sentence"] == 1.0 for p in in_section)
    answer = conversation(qa, "barnet 2017 grade", "anything flagged about help and protection")
    assert not answer.abstained and reports(answer) == {"barnet-2017-07-07"}
    assert any(tone(c.quote) < 0 for c in answer.citations), answer.answer


def test_a_change_asked_of_no_topic_ranks_the_passages_measured_from_the_last_inspection(
    qa: QAService,
) -> None:
    # Any change word ("no longer", "have improved") is in most passages; the report says how
    # services changed measured from the inspection before, as a question would say it.
    text = "southend 2016 grade had things got better by the next one"
    southend = ("southend-on-sea-2019-08-27",)
    changed = qa.retriever.search(Query(text=text, terms=(), report_ids=southend, change=True), 5)
    assert SINCE_LAST.search(changed[0].text), changed[0].text[:200]


def test_a_pronoun_beside_a_topic_of_its_own_stands_for_whom(qa: QAService) -> None:
    # "Them" after "how many care leavers were NEET" are the care leavers: the follow-up asks
    # about contact with them, not about NEET care leavers.
    first = "How many Bexley care leavers were NEET in 2018?"
    intent = qa.understand("was the council even in touch with most of them?", history_of(first))
    assert "touch" in intent.terms and intent.borrowed == ("care", "leavers")
    assert not {"neet", "education", "employment", "training"} & set(intent.terms)
    # With no topic of its own, "that" still continues the earlier question whole.
    intent = qa.understand("had that got any better?", history_of(first))
    assert {"care", "leavers", "neet"} <= set(intent.terms)


def test_another_council_alone_is_asked_the_earlier_question(qa: QAService) -> None:
    # A topic: the new council's findings on it, not its headline grade.
    topic = conversation(qa, "bexley care leavers", "and durham?")
    assert reports(topic) == {"durham-2019-10-21"} and "Overall effectiveness" not in topic.answer
    assert re.search(r"care leavers", topic.answer, re.I), topic.answer
    # A grade of one area: the same area's grade for the new council.
    graded = conversation(qa, "what was bexleys care leavers grade", "and durham?")
    assert reports(graded) == {"durham-2019-10-21"}
    assert "care leavers" in graded.answer.split("[1]")[0].lower(), graded.answer


def test_comparing_with_another_council_sets_both_side_by_side_on_the_topic(qa: QAService) -> None:
    answer = conversation(qa, "southend 2019 care leavers", "how does that compare with durham")
    assert reports(answer) == {"southend-on-sea-2019-08-27", "durham-2019-10-21"}, answer.answer
    assert answer.focus is not None and set(answer.focus.councils) == {"Southend-on-Sea", "Durham"}
    assert all(re.search(r"care leav|young people|PAs?\b", c.quote, re.I) for c in answer.citations)
    graded = conversation(qa, "what was barnets overall grade in 2019", "how does that compare with durham")
    assert reports(graded) == {"barnet-2019-07-01", "durham-2019-10-21"}, graded.answer
    assert graded.answer.count("Overall effectiveness:") == 2, graded.answer
