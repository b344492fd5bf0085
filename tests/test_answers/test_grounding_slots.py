"""The grounding checker's reading of near copies: which replaced words change a fact, as the reports
tell (words listed side by side, how favourably a word leans, steps of a scale), and the miners that
learn those from real reports."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from service.answers.grounding import GroundingChecker
from service.answers.grounding.alignment import closest, edit, view
from service.answers.grounding.coordination import coordinated
from service.answers.grounding.replacements import read
from service.answers.grounding.valence import lean, valence

# Real report sentences (Devon 2025, Bromley 2019, Brent 2026, Reading 2016, Surrey 2018).
FAILURES = (
    "However, while some progress has been made, there continue to be serious failures in the response "
    "to some children, such as those at risk from neglect, domestic abuse and extra-familial harm."
)
HANDOVER = (
    "Effective handover arrangements, aided by the daily MASH meeting, mean that children and families "
    "experience a seamless service and receive a prompt response to out-of-hours issues."
)
FRONT_DOOR = (
    "Children and families who require help and support receive a prompt response at the Brent Family "
    "Front Door (BFFD). Children receive the right level of intervention at the earliest opportunity."
)
ATTENDANCE = "The school attendance of a significant minority of children looked after is poor."
RANKING = (
    "Surrey looks after the third highest number of unaccompanied asylum-seeking children of any local "
    "authority in England."
)


@pytest.fixture(scope="module")
def lexical() -> GroundingChecker:
    return GroundingChecker(None)


@pytest.fixture(scope="module", params=["lexical", "semantic"])
def checker(request: pytest.FixtureRequest) -> GroundingChecker:
    """Both checkers: without embeddings (extractive answers) and with them (the LLM path)."""
    if request.param == "lexical":
        return GroundingChecker(None)
    return GroundingChecker(request.getfixturevalue("embedder"))


def test_words_the_reports_list_together_are_members_of_one_set() -> None:
    assert coordinated("neglect", "domestic abuse")
    assert coordinated("fostering", "adoption")
    assert coordinated("the dentist", "the optician")
    # Two words for one thing are never listed side by side.
    assert not coordinated("extra", "additional")
    assert not coordinated("funding", "money")
    assert not coordinated("senior managers", "managers")  # a shared word: not a swap


def test_valence_is_mined_lean_turned_over_by_negation() -> None:
    assert lean("prompt") > 0 > lean("delayed")
    assert lean("regular") > 0 > lean("occasional")
    assert valence("a prompt response") > 0 > valence("a delayed response")
    assert valence("the response is not timely and not effective") < 0


def test_a_replacement_is_read_for_what_it_changes() -> None:
    assert read("weekly", "daily").scale
    assert read("second", "third").scale
    assert read("small", "significant").scale
    assert read("delayed", "prompt").turned > 0
    assert read("IROs", "independent reviewing officers").same
    swapped = read("police", "multi-agency safeguarding hub")
    assert swapped.who and not swapped.same
    assert not read("additional", "extra").listed


def test_a_near_copy_is_aligned_with_one_sentence_not_with_the_next_one_too() -> None:
    passage = FRONT_DOOR + " Early help is offered by the family front door and the police."
    unit, found = closest("Children and families receive a prompt response from the police.", view(passage))
    assert unit in FRONT_DOOR and found.replaced
    # A part of a sentence copied: the words it leaves out are not replaced.
    assert not edit("receive a prompt response at the Brent Family Front Door", FRONT_DOOR).replaced


@pytest.mark.parametrize(
    ("passage", "claim", "reason"),
    [
        (FAILURES, FAILURES.replace("extra-familial harm", "child sexual exploitation"), "'child sexual"),
        (HANDOVER, HANDOVER.replace("daily", "weekly"), "'weekly' where"),
        (FRONT_DOOR, FRONT_DOOR.replace("a prompt", "a delayed"), "'delayed' where"),
        (ATTENDANCE, ATTENDANCE.replace("significant", "small"), "'small"),
        (RANKING, RANKING.replace("third", "second"), "'second' where"),
    ],
)
def test_a_copy_with_one_fact_changed_is_unsupported_and_says_which(
    checker: GroundingChecker, passage: str, claim: str, reason: str
) -> None:
    assert checker.check(passage, passage).supported
    verdict = checker.check(claim, passage)
    assert not verdict.supported, verdict
    assert reason in verdict.reason, verdict.reason


def test_good_is_a_grade_only_where_something_is_judged(lexical: GroundingChecker) -> None:
    passage = "Children's wishes are used well by social workers to influence and shape their plans."
    assert (
        "grade"
        not in lexical.signals("Social workers make good use of what children want.", passage).slot_reasons
    )
    judged = lexical.signals("The help children receive from social workers is good.", passage)
    assert "grade" in judged.slot_reasons


def test_the_miners_learn_from_real_reports(small_corpus: Path) -> None:
    from evals.mine_coordination import mine as mine_lists
    from evals.mine_entities import documents
    from evals.mine_valence import mine as mine_lean

    texts = list(documents(small_corpus))
    leaning, sentences = mine_lean(texts, min_sentences=5, min_lean=0.3)
    assert sentences["favourable"] > 100 and sentences["unfavourable"] > 100
    assert leaning["good"] > 0 > leaning["poor"]
    partners = mine_lists(texts, min_reports=2)
    assert sum(len(v) for v in partners.values()) > 100
    assert all(a < b for a, listed in partners.items() for b in listed)
    shipped = json.loads(
        (Path(__file__).resolve().parents[2] / "service/answers/grounding/data/valence.json").read_text()
    )
    assert shipped["reports"] >= 400  # the shipped tables come from the whole corpus


class _Counting:
    """The real embedder, counting what it is asked to embed."""

    def __init__(self, embedder: Any) -> None:
        self.embedder, self.calls, self.texts, self.words = embedder, 0, 0, 0

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> Any:
        self.calls += 1
        self.words += sum(1 for t in texts if " " not in t)  # single words (``novelty``)
        self.texts += sum(1 for t in texts if " " in t)
        return self.embedder.encode(texts)


def test_an_answer_is_embedded_in_one_call_and_only_the_units_its_clauses_align_with(embedder: Any) -> None:
    passage = " ".join((FAILURES, HANDOVER, FRONT_DOOR, ATTENDANCE, RANKING))
    counting = _Counting(embedder)
    checker = GroundingChecker(counting)
    answer = [
        ("Handovers are effective, helped by the MASH meeting held every day [1].", [1]),
        ("Surrey looks after the third highest number of unaccompanied children in England [1].", [1]),
    ]
    verdicts = checker.check_sentences(answer, {1: passage})
    assert all(v.supported for v in verdicts), verdicts
    assert counting.calls == 1  # the whole answer at once, nothing more per sentence
    units = view(passage).units
    assert counting.texts < len(units)  # not every sentence and pair of the passage
    assert 0 < counting.words < len(set(passage.lower().split()))  # only words the clauses leave
    checker.check_sentences(answer, {1: passage})
    assert counting.calls == 1  # checked again: every vector cached


def test_a_word_the_passage_lacks_is_read_as_another_word_or_a_new_fact(embedder: Any) -> None:
    from service.answers.grounding.alignment import content_keys
    from service.answers.grounding.novelty import novelty, unmatched
    from service.answers.grounding.similarity import SimilarityCache

    unit = "Strategy meetings are held swiftly and the police attend them."
    similarity = SimilarityCache(embedder)

    def read_claim(claim: str) -> dict[str, float]:
        return novelty([unmatched(claim, content_keys(claim), unit)], similarity)

    reworded = read_claim("Strategy meetings are held quickly and the police attend them.")
    swapped = read_claim("Strategy meetings are held swiftly and the magistrates attend them.")
    assert read_claim(unit) == {"new_max": 0.0, "new_count": 0.0, "new_noun": 0.0}
    assert reworded["new_max"] < swapped["new_max"]
    assert swapped["new_noun"] == swapped["new_max"] > 0.3 and reworded["new_noun"] == 0.0


def test_a_number_written_in_several_words_is_one_figure() -> None:
    from service.answers.grounding.facts import numbers

    assert numbers("There were one hundred and eleven unaccompanied children.") == {"111"}
    assert numbers("Twenty-five per cent of care leavers") == {"25%"}
    assert numbers("Quality differs from one case to another.") == set()
    assert numbers("between one and two hundred") == {"1", "2", "100"}  # not one figure
