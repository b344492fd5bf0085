"""Questions as people type them: normalisation against the real manifest's councils and the
vocabulary of the real small index (its reports' words, definitions and capitalisation)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from rapidfuzz.distance import OSA

from service.answers.aliases import COMMON_WORDS
from service.answers.normalise import Normaliser
from service.answers.planning import Catalogue
from service.answers.query import parse
from service.answers.text import ACRONYMS
from service.answers.vocabulary import SECTOR_ABBREVIATIONS, Vocabulary, _long_form, english_words


@pytest.fixture(scope="module")
def vocabulary(small_index: Path, embedder: Any) -> Vocabulary:
    from indexer import open_index
    from inspectqa.settings import Settings

    index = open_index(small_index, Settings(index=small_index))
    return Vocabulary.from_index(index, COMMON_WORDS, english_words(embedder.source))


@pytest.fixture(scope="module")
def normaliser(catalogue: Catalogue, vocabulary: Vocabulary) -> Normaliser:
    return Normaliser(catalogue.gazetteer, vocabulary)


def councils(normaliser: Normaliser, catalogue: Catalogue, question: str) -> list[str]:
    return [p.key for p in parse(normaliser.normalise(question), catalogue.gazetteer).places]


def test_no_council_name_of_the_manifest_is_ever_taken_for_another(
    normaliser: Normaliser, catalogue: Catalogue
) -> None:
    names = normaliser.bounds
    manifest = sorted({info.local_authority for info in catalogue.by_id.values()})
    assert len(manifest) >= 150
    for name in manifest:
        typed = name.lower().replace(",", "").replace("&", "and").replace("-", " ")
        (key,) = catalogue.gazetteer.resolve(name)
        assert normaliser.match_council(typed) in catalogue.gazetteer.names, name
        assert catalogue.gazetteer.names[normaliser.match_council(typed) or ""] == (key,), name
    # Every pair of distinct councils' names is further apart than both bounds together, so no
    # typed string can be within the bound of two councils.
    for a, b in itertools.combinations(sorted(names), 2):
        if set(normaliser._targets[a]) == set(normaliser._targets[b]):
            continue
        assert OSA.distance(a, b) > names[a] + names[b], (a, b)


def test_one_typo_in_a_long_council_name_still_finds_it(normaliser: Normaliser, catalogue: Catalogue) -> None:
    checked = 0
    for name, bound in normaliser.bounds.items():
        if bound < 1 or " " in name:
            continue
        keys = normaliser._targets[name]
        middle = len(name) // 2
        for typo in (name[:middle] + name[middle + 1 :], name[:middle] + "x" + name[middle:]):
            found = normaliser.match_council(typo)
            assert found is not None and normaliser._targets[found] == keys, (name, typo)
            checked += 1
    assert checked > 100
    for typed, key in [
        ("middlesborough", "middlesbrough"),
        ("peterbrough", "peterborough"),
        ("north yorkshre", "north yorkshire"),
        ("hartlepol", "hartlepool"),
    ]:
        assert councils(normaliser, catalogue, f"what did ofsted say about {typed} care leavers") == [key]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("whats kents care leaver offer like", ["kent"]),
        ("do cornwalls CiC get a say in there reviews", ["cornwall"]),
        ("hants MASH thresholds ok?", ["hampshire"]),
        ("what did derbys last inspection say about PLO", ["derbyshire"]),
        ("central beds early help", ["central bedfordshire"]),
        ("B&NES care leavers", ["bath and north east somerset"]),
        ("RBKC adoption 2019", ["kensington and chelsea"]),
        ("lancs 2018 still inadequate", ["lancashire"]),
        ("mk golden triangle what is it", ["milton keynes"]),
        ("staffs 2019 vs 2024 ofsted", ["staffordshire"]),
        ("hull LAC 16 to 18 NEET rate", ["kingston upon hull"]),
        ("SOUTHEND foster carers", ["southend on sea"]),
        ("north yorks always here approach", ["north yorkshire"]),
        ("kingston upon hull care leavers", ["kingston upon hull"]),
        # A compass point as its initial, for every name with one.
        ("cheshire e 2015 lado referrals", ["cheshire east"]),
        ("n somerset care leavers", ["north somerset"]),
        ("ne lincs latest inspection", ["north east lincolnshire"]),
        ("the reading age of children in care", []),
        ("bath time for babies in foster care", []),
    ],
)
def test_councils_in_any_case_with_or_without_apostrophes_and_short_forms(
    normaliser: Normaliser, catalogue: Catalogue, question: str, expected: list[str]
) -> None:
    assert councils(normaliser, catalogue, question) == expected


def test_misspelt_words_are_corrected_towards_the_reports_own_words(normaliser: Normaliser) -> None:
    normalised = normaliser.normalise("how many children went mising from care in southend")
    assert "missing" in normalised.text
    assert ("mising", "missing", "spelling") in [(c.before, c.after, c.kind) for c in normalised.corrections]
    assert normaliser.normalise("whats the offer").text == "what is the offer"
    # Names in a well-formed question, quoted names and known abbreviations are left alone.
    for kept in (
        "What did the Zxqwv project achieve in Southend?",
        "What is the 'Fosterline' scheme?",
        "how many CiC and UASC in care",
    ):
        assert normaliser.normalise(kept).text == kept
    # The question is kept as typed beside the text that is understood.
    assert normalised.original == "how many children went mising from care in southend"


def test_abbreviations_are_learned_from_the_reports_and_read_both_ways(
    vocabulary: Vocabulary, normaliser: Normaliser, catalogue: Catalogue
) -> None:
    assert _long_form("was transferred to the regional adoption agency ", "RAA") == "regional adoption agency"
    assert (
        _long_form("the Children's Advice and Duty Service ", "CADS") == "children's advice and duty service"
    )
    assert _long_form("seen by the team ", "RAA") is None
    # Defined in the small index's reports ("... multi-agency safeguarding hub (MASH)").
    assert vocabulary.definitions.get("mash") == "multi agency safeguarding hub"
    assert len(vocabulary.definitions) >= 20
    documented = set(ACRONYMS) | set(SECTOR_ABBREVIATIONS)
    learned = {abbr: form for abbr, form in vocabulary.definitions.items() if abbr not in documented}
    assert len(learned) >= 10
    long_form, abbr = next((f, a) for f, a in vocabulary.abbreviations_of().items() if a in learned)
    assert abbr in parse(normaliser.normalise(f"what is the {long_form}"), catalogue.gazetteer).terms
    terms = parse(normaliser.normalise("how do CiC get PLO support"), catalogue.gazetteer).terms
    assert {"cic", "children", "care", "plo", "public", "law", "outline"} <= set(terms)
    # "send" is a word; "SEND" the abbreviation.
    assert "special" not in parse(normaliser.normalise("did they send letters"), catalogue.gazetteer).terms
    assert "special" in parse(normaliser.normalise("SEND support in Kent"), catalogue.gazetteer).terms


def test_capitalisation_is_read_from_the_reports(vocabulary: Vocabulary) -> None:
    # Of the ordinary-word council names, the small index's reports write "Hull" and "Poole" with a
    # capital and "reading" without.
    assert vocabulary.capitalised["hull"] >= 0.9
    assert vocabulary.capitalised["reading"] < 0.5
