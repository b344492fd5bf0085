"""The third labelled claim–passage set (``grounding_pairs_v3.jsonl``), a blind one: it loads (split
``blind`` only), every kind carries its label, none of its reports or councils is one the first two
sets were written from, and every passage is text of its report starting on its page. See
evals/data/GROUNDING_PAIRS_V3.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import check_new_reports, check_pair_fields, check_passages_on_their_pages, pair_records

from evals.pairs import load_pairs

DATA = Path(__file__).resolve().parents[2] / "evals" / "data"
V3 = DATA / "grounding_pairs_v3.jsonl"
EARLIER = (DATA / "grounding_pairs.jsonl", DATA / "grounding_pairs_v2.jsonl")

MIN_PAIRS, MIN_REPORTS = 300, 30
# Sentence ends inside a passage (as the set's passages were cut): one to four sentences each.
SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z‘“(])")


@pytest.fixture(scope="module")
def records() -> list[dict[str, object]]:
    return pair_records(V3)


def test_loads_as_one_blind_split(records: list[dict[str, object]]) -> None:
    pairs = load_pairs(V3, split="blind")
    assert len(pairs) == len(records) >= MIN_PAIRS
    assert len({p.id for p in pairs}) == len(pairs)
    assert {p.split for p in pairs} == {"blind"}
    assert not load_pairs(V3, split=["fit", "heldout", "dev", "test"], allow_empty=True)


def test_fields_and_the_label_of_each_kind(records: list[dict[str, object]]) -> None:
    kinds = check_pair_fields(records)
    assert kinds["paraphrased"] >= 100 and kinds["wrong_entity"] >= 60
    for record in records:
        assert 1 <= len(SENTENCE_END.findall(str(record["passage"]))) + 1 <= 4, record["id"]


def test_no_report_or_council_of_the_earlier_sets(records: list[dict[str, object]], corpus_dir: Path) -> None:
    check_new_reports(records, EARLIER, corpus_dir, MIN_REPORTS)


@pytest.mark.slow
def test_every_passage_is_text_of_its_report_on_its_page(
    records: list[dict[str, object]], corpus_dir: Path
) -> None:
    years = check_passages_on_their_pages(records, corpus_dir)
    # Both eras: the single inspection framework (2013-2017) and ILACS (2018 on).
    assert {2015, 2016, 2017} <= years and {2019, 2024, 2025} <= years
