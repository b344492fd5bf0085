"""The grounding checker's slots on a claim that says what its passage says in other words: the same
fact written another way fires no slot, while the fact turned over still does."""

from __future__ import annotations

import pytest

from service.answers.grounding import GroundingChecker

# Real report sentences (North Yorkshire 2013, Southend 2014, Wiltshire 2019, Richmond 2019,
# a care leavers' section of 2018), as the reports print them (curly apostrophes included).
CULTURE = (
    "A change in culture has been led by the new Director of Children\u2019s Services and his leadership "
    "team, underpinned by a strong leadership pledge."
)
ADVISER = (
    "Young people know their worker well and many feel their personal advisor provides a good level "
    "of support."
)
CONTACTS = (
    "However, some low-level contacts are not recorded, so there is no way of checking whether the "
    "referrer subsequently proceeded with the referral to the daytime team."
)
TOOL = (
    "The use of a CSE indicator tool is established and used by most agencies, however this is yet to "
    "be embedded in schools."
)
HEALTH = (
    "Children's identified health needs are generally well met, although initial health assessments "
    "are not always completed quickly enough when children first come into care."
)


@pytest.fixture(scope="module")
def lexical() -> GroundingChecker:
    return GroundingChecker(None)


def slots(checker: GroundingChecker, claim: str, passage: str) -> set[str]:
    return set(checker.signals(claim, passage).slot_reasons)


def test_a_name_is_found_whatever_its_apostrophe_and_spelling(lexical: GroundingChecker) -> None:
    reworded = "A new director of children's services and his leadership team have led a change in culture."
    assert not {"entity_missing", "entity_swap"} & slots(lexical, reworded, CULTURE)
    # "adviser" and "advisor" are one word in the reports.
    claim = "Many young people feel their personal adviser gives them a good level of support."
    assert not {"entity_missing", "entity_swap"} & slots(lexical, claim, ADVISER)
    swapped = "Many young people feel their social worker gives them a good level of support."
    assert slots(lexical, swapped, ADVISER) & {"entity_missing", "entity_swap", "entity_swap_aligned"}


def test_a_negative_prefix_agrees_with_a_negated_word(lexical: GroundingChecker) -> None:
    claim = "Some minor contacts go unrecorded, so nobody can check whether the referrer went on to refer."
    assert "antonym" not in slots(lexical, claim, CONTACTS)
    turned = CONTACTS.replace("are not recorded", "are recorded")
    assert "antonym" in slots(lexical, claim, turned)


def test_yet_to_is_a_negation(lexical: GroundingChecker) -> None:
    claim = "Most agencies use a tool that flags indicators of CSE, but schools have not yet embedded it."
    assert "negation" not in slots(lexical, claim, TOOL)
    flipped = "Most agencies use a tool that flags indicators of CSE, and it is embedded in schools."
    assert "negation" in slots(lexical, flipped, TOOL)


def test_not_always_is_a_step_below_always(lexical: GroundingChecker) -> None:
    claim = "When children first come into care, health assessments are sometimes completed too slowly."
    assert "quantity" not in slots(lexical, claim, HEALTH)
    never = "When children first come into care, initial health assessments are never completed quickly."
    assert "quantity" in slots(lexical, never, HEALTH)
    # "Always" for "not always" is the negation turned over, and read as that.
    always = "When children first come into care, initial health assessments are always completed quickly."
    assert {"negation", "quantity"} & slots(lexical, always, HEALTH) == {"negation"}
