"""The grounding checker: explicit contradictions, and its accuracy on the held-out labelled pairs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from evals.pairs import judge, load_pairs, summarise
from service.grounding import GroundingChecker, negation_conflict, numbers, places

PAIRS = Path(__file__).resolve().parents[1] / "evals" / "data" / "grounding_pairs.jsonl"
PASSAGE = (
    "Following feedback from the inspection team, the local authority commissioned a review of all "
    "contacts received during a single week in the previous month. This identified that 84% of "
    "decisions were appropriate. The local authority took action immediately to address this "
    "shortfall in practice, but this change was too recent to have shown impact during the inspection."
)


@pytest.fixture(scope="module")
def lexical() -> GroundingChecker:
    return GroundingChecker(None)


@pytest.mark.parametrize(
    ("claim", "supported", "reason"),
    [
        ("A review identified that 84% of decisions were appropriate.", True, "supported"),
        ("A review identified that 74% of decisions were appropriate.", False, "number 74%"),
        ("The local authority did not address this shortfall in practice.", False, "negation"),
        ("In Thurrock, 84% of decisions were appropriate.", True, "supported"),  # the passage names no place
        ("The review was carried out by an independent consultancy firm in London.", False, "clause"),
    ],
)
def test_check_on_a_real_paragraph(
    lexical: GroundingChecker, claim: str, supported: bool, reason: str
) -> None:
    verdict = lexical.check(claim, PASSAGE)
    assert verdict.supported is supported
    assert verdict.reason.startswith(reason)
    assert 0.0 <= verdict.score <= 1.0


def test_another_council_named_is_a_contradiction(lexical: GroundingChecker) -> None:
    passage = "Southend: " + PASSAGE
    assert lexical.check("In Southend, 84% of decisions were appropriate.", passage).supported
    verdict = lexical.check("In Thurrock, 84% of decisions were appropriate.", passage)
    assert not verdict.supported and "Thurrock" in verdict.reason


def test_grades_are_read_longest_first(lexical: GroundingChecker) -> None:
    passage = "The experiences and progress of care leavers: requires improvement to be good."
    assert lexical.check("Care leavers: requires improvement to be good.", passage).supported
    assert not lexical.check(
        "The experiences and progress of care leavers are outstanding.", passage
    ).supported
    assert not lexical.check(
        "The experiences and progress of care leavers are inadequate.", passage
    ).supported


def test_helpers() -> None:
    assert numbers("47 per cent, seven workers and 2,300 children") == {"47%", "7", "2300"}
    assert places("Leicestershire and North Lincolnshire, not Hull") == {
        "Leicestershire",
        "North Lincolnshire",
        "Kingston upon Hull",
    }
    assert negation_conflict("training is not yet available.", "Training is now available.") == "available"
    assert negation_conflict("training is not yet available.", "Training is still not available.") is None


def test_check_sentences_uses_each_sentences_own_citations(lexical: GroundingChecker) -> None:
    passages = {1: PASSAGE, 2: "Care leavers have access to a health passport."}
    verdicts = lexical.check_sentences(
        [
            ("84% of decisions were appropriate [1].", [1]),
            ("84% of decisions were appropriate [2].", [2]),
            ("No citation here.", []),
            ("Care leavers have a health passport and 84% of decisions were appropriate.", [1, 2]),
        ],
        passages,
    )
    assert [v.supported for v in verdicts] == [True, False, False, True]
    assert verdicts[2].reason == "cites nothing"


def test_held_out_pairs_lexical_only_floor(lexical: GroundingChecker) -> None:
    pairs = load_pairs(PAIRS, split="test")
    assert len(load_pairs(PAIRS)) >= 150 and len(pairs) >= 140
    verdicts = judge(lexical, pairs)
    overall = summarise(verdicts)["overall"]
    # Without embeddings paraphrases suffer, but bad claims are still caught.
    assert overall["unsupported_recall"] >= 0.9
    assert overall["accuracy"] >= 0.8


@pytest.mark.slow
def test_held_out_pairs_with_embeddings_floor(embedder) -> None:
    checker = GroundingChecker(embedder)
    verdicts = judge(checker, load_pairs(PAIRS, split="test"))
    overall = summarise(verdicts)["overall"]
    assert overall["accuracy"] >= 0.88
    assert overall["unsupported_recall"] >= 0.88
    # Fast enough for the service once the passages' sentences are cached: re-check every pair.
    started = time.perf_counter()
    judge(checker, load_pairs(PAIRS, split="test"))
    assert (time.perf_counter() - started) / len(verdicts) < 0.05
