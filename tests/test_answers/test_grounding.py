"""The grounding checker: changed slots, entities from the reports, the fitted model, and its accuracy
on the held-out labelled pairs (the old ``test`` split and the v2 ``heldout`` split)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.pairs import judge, load_pairs, summarise
from service.answers.grounding import GroundingChecker, negation_conflict, numbers, places, polarity_conflict
from service.answers.grounding.entities import local_swaps, named, swaps, vocabulary
from service.answers.grounding.features import LEXICAL_FEATURES, SEMANTIC_FEATURES
from service.answers.grounding.model import MODEL_FILE
from service.answers.grounding.replacements import read
from service.answers.grounding.tokens import split_clauses

DATA = Path(__file__).resolve().parents[2] / "evals" / "data"
PAIRS = DATA / "grounding_pairs.jsonl"
PAIRS_V2 = DATA / "grounding_pairs_v2.jsonl"
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
        ("Most decisions were found to be appropriate by a review of a week's contacts.", True, "supported"),
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


def test_a_claim_sharing_no_word_with_the_passage_is_never_supported(lexical: GroundingChecker) -> None:
    # A dev quote against a passage on another matter: the refit on v4 scored it 0.503 through the
    # signals that lean towards support when a claim copies nothing (near_max, n_clauses).
    claim = (
        "The timeliness and consistency with which child protection strategy meetings are held, "
        "primarily, within the First Assessment Service (FAS) when children may be at risk of "
        "significant harm."
    )
    verdict = lexical.check(claim, "Inspectors reviewed a sample of case files during the inspection week.")
    assert not verdict.supported
    assert verdict.reason == "no word of the claim is in the passage"


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


def test_a_negation_reaches_the_words_after_it_not_its_whole_sentence() -> None:
    """Claims and passages of the v2 fitting pairs (Bromley 2019, Isle of Wight 2023, Richmond
    2025, Southwark 2017, Oldham 2024). A negation elsewhere in a sentence ("without delay", "are not
    clear") does not negate what it states; a passage that negates the span too agrees with the claim
    whatever another sentence says; "not only" and "less effective" state nothing the other way."""
    permanence = (
        "Early permanence (foster to adopt) is always considered as an option for a child and an "
        "effective family finding system supports children to achieve permanence without delay."
    )
    missing = (
        "When children go missing, they are offered a return home conversation, although current "
        "recording problems mean that take-up rates are not clear."
    )
    assert (
        polarity_conflict(
            "Early permanence (foster to adopt) is not always considered as an option.", [permanence]
        )
        is not None
    )
    assert polarity_conflict(
        "When children go missing, they are not offered a return home conversation.", [missing]
    )
    richmond = [
        "Children in care in Richmond are not placed in unregistered children’s homes.",
        "There is strong oversight and monitoring of children’s placements by senior leaders and by the "
        "commissioning team to avoid the use of these placements.",
    ]
    assert (
        polarity_conflict(
            "Children in care in Richmond are not placed in unregistered children’s homes.", richmond
        )
        is None
    )
    board = [
        "The partners’ commitment to the Board is apparent, not only in the time that they give to the "
        "LSCB, but also in the financial contributions made."
    ]
    claim = "Partners show their commitment to the Board both through the time they devote to the LSCB."
    assert polarity_conflict(claim, board) is None
    oldham = [
        "For a small number of children, arrangements for progressing permanence in long-term foster care "
        "are not as effective."
    ]
    claim = (
        "For a small number of children, permanence arrangements in long-term foster care are less effective."
    )
    assert polarity_conflict(claim, oldham) is None


def test_opposites_and_steps_meet_in_any_form_of_the_word() -> None:
    """v2 fitting pairs (Devon 2025, Camden 2017, Somerset 2026): "deteriorated" against
    "improvements" and "occasional" against "regular" are met whatever form either is written in; a
    word the claim itself negates ("not working together effectively") is no opposite of "ineffective"."""
    devon = [
        "1. An increasingly stable senior leadership team has brought about improvements in services for "
        "some children in need of help and protection, including those in need of targeted early help."
    ]
    claim = "Services for some children in need of help and protection have deteriorated under a stable team."
    assert polarity_conflict(claim, devon) == "'deteriorated' contradicts passage"
    assert read("occasional", "regular").scale
    somerset = [
        "Strengthening partnership arrangements has been a key area of focus for leaders since the JTAI in "
        "2024, which found ineffective partnership working between agencies in Somerset."
    ]
    claim = "Since the 2024 JTAI, which found that agencies were not working together effectively, leaders "
    claim += "have concentrated on strengthening partnership arrangements."
    assert polarity_conflict(claim, somerset) is None


def test_who_a_near_copy_names_is_compared_with_its_own_sentence() -> None:
    """v2 fitting pairs (Bradford 2018, Dudley 2016): the claim copies one sentence but names a team
    or role that the passage names elsewhere ("assessment teams"), or too rarely across reports to be
    mined ("elected members")."""
    bradford = (
        "Inspectors did see examples of good work throughout children’s services, but more consistently in "
        "the throughcare teams."
    )
    claim = "Inspectors saw good work throughout children's services, but more in the assessment teams."
    assert [(a.name, b.name) for a, b in local_swaps(claim, bradford)] == [
        ("assessment teams", "throughcare teams")
    ]
    dudley = "Elected members’ involvement as corporate parents is inadequate."
    assert local_swaps("Senior leaders’ involvement as corporate parents is inadequate.", dudley)


def test_a_describing_word_no_mined_name_holds_is_no_other_team() -> None:
    """A paraphrase of the v2 fitting pairs (Warrington 2019) says "introduced" for "implemented":
    the same service structure, described, not another service. Modifiers the reports do name
    teams and roles by still make a name of their own ("elected members", "senior leaders",
    "throughcare teams")."""
    warrington = (
        "A recently implemented service structure ensures that children can receive support from the same "
        "social worker, from the point of an assessment through to the stage when the case is stepped down "
        "to early help or closed."
    )
    claim = "A recently introduced service structure ensures that children can receive support from the same "
    claim += "social worker."
    assert local_swaps(claim, warrington) == []
    names = {e.name for e in named("Elected members, senior leaders and the throughcare teams met.")}
    assert {"elected members", "senior leaders", "throughcare teams"} <= names


def test_a_clause_is_cut_at_a_conjunction_not_inside_a_word() -> None:
    """A claim of the v2 fitting pairs (Bolton 2014) on "police, social workers and health services"
    once lost "so" from "social", read as the conjunction "so"."""
    claim = "Staff from agencies, such as police, social workers and health services, do not always meet."
    assert split_clauses(claim, 3)[1].startswith("social workers and health services")


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


def test_a_swapped_team_or_group_of_children_is_named_in_the_reason(lexical: GroundingChecker) -> None:
    passage = (
        "The response to referrals by the multi-agency safeguarding hub (MASH) is good. "
        "Care leavers receive a health passport from their personal advisers."
    )
    assert lexical.check("Personal advisers give care leavers a health passport.", passage).supported
    assert lexical.check("The MASH responds well to referrals.", passage).supported
    swapped = lexical.check(
        "Children in care receive a health passport from their personal advisers.", passage
    )
    assert not swapped.supported and "children in care" in swapped.reason
    said, instead = swaps("The response to referrals by the early help hub is good.", passage)[0]
    assert (said.cls, instead.name) == ("unit", "multi-agency safeguarding hub")
    # Names of one group in other words, or its acronym, are the same group, not a swap.
    assert not swaps("Looked after children are visited.", "Children in care are visited.")
    assert not swaps("The MASH is good.", passage)


def test_a_quantity_moved_along_its_scale_is_a_changed_slot(lexical: GroundingChecker) -> None:
    passage = "Most children are seen regularly by their social workers, who know them well."
    assert lexical.check(
        "Most children are seen regularly by social workers who know them well.", passage
    ).supported
    for claim in (
        "A few children are seen regularly by their social workers, who know them well.",
        "All children are seen regularly by their social workers, who know them well.",
        "Most children are rarely seen by their social workers, who know them well.",
    ):
        assert not lexical.check(claim, passage).supported, claim


def test_the_vocabulary_is_mined_from_the_reports_and_the_model_matches_the_features(
    small_corpus: Path,
) -> None:
    from evals.mine_entities import documents, mine

    entities = json.loads((MODEL_FILE.parent / "entities.json").read_text())["entities"]
    assert {"care leavers", "multi-agency safeguarding hub", "independent reviewing officers"} <= set(
        entities
    )
    assert "MASH" in entities["multi-agency safeguarding hub"]["acronyms"]
    assert {e.cls for e in vocabulary().mentions("the MASH, care leavers, the police and foster carers")} == {
        "unit",
        "cohort",
        "agency",
        "role",
    }
    # The miner itself, on the 12 real reports of the test corpus.
    mined = mine(documents(small_corpus), min_reports=3)
    assert {"care leavers", "social workers", "foster carers"} <= set(mined)
    assert mined["care leavers"]["class"] == "cohort" and mined["social workers"]["class"] == "role"
    assert any(e["acronyms"] for e in mined.values())
    models = json.loads(MODEL_FILE.read_text())["models"]
    assert models["lexical"]["features"] == list(LEXICAL_FEATURES)
    assert models["semantic"]["features"] == list(SEMANTIC_FEATURES)


def test_a_name_joined_to_a_mined_name_of_people_is_mined_with_its_class() -> None:
    # "elected" is a participle, which the modifier patterns reject; "and social workers" names it.
    from evals.mine_entities import mine

    text = "Social workers visit children. Elected members and social workers meet (report {})."
    texts = [text.format(n) for n in range(4)]
    mined = mine(texts, min_reports=3)
    assert mined["social workers"]["class"] == "role"
    assert mined["elected members"]["class"] == "role"
    shipped = json.loads((MODEL_FILE.parent / "entities.json").read_text())["entities"]
    assert shipped["elected members"]["class"] == "role"


def _held_out() -> list:
    return load_pairs(PAIRS, split="test") + load_pairs(PAIRS_V2, split="heldout")


def test_held_out_pairs_lexical_only_floor(lexical: GroundingChecker) -> None:
    pairs = _held_out()
    assert len(pairs) >= 900
    summary = summarise(judge(lexical, pairs))
    overall = summary["overall"]
    # Floors a little under what README reports (0.863 / 0.864), so a regression fails and noise does not.
    assert overall["accuracy"] >= 0.83
    assert overall["balanced_accuracy"] >= 0.83
    weak = {kind: round(m["accuracy"], 3) for kind, m in summary["by_kind"].items() if m["accuracy"] < 0.6}
    assert not {kind for kind in weak if summary["by_kind"][kind]["n"] >= 20}, weak


@pytest.mark.slow
def test_held_out_pairs_with_embeddings_floor(embedder) -> None:
    checker = GroundingChecker(embedder)
    overall = summarise(judge(checker, _held_out()))["overall"]
    assert overall["accuracy"] >= 0.84  # README: 0.872 / 0.872 on both held-out parts
    assert overall["balanced_accuracy"] >= 0.84
