"""The second labelled claim–passage set (``grounding_pairs_v2.jsonl``): it loads, its split is the
written rule (by report, never one report on both sides), every passage is real text of its report,
and every kind carries the label it stands for. See evals/data/GROUNDING_PAIRS_V2.md."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import check_pair_fields, check_passages_on_their_pages, pair_records

from evals.pairs import load_pairs

DATA = Path(__file__).resolve().parents[2] / "evals" / "data"
V2 = DATA / "grounding_pairs_v2.jsonl"
V1 = DATA / "grounding_pairs.jsonl"

# Floors the finished set meets (raised as batches land).
MIN_PAIRS, MIN_REPORTS, MIN_EACH = 600, 60, 90


def split_of(report_id: str) -> str:
    """The written rule: held out when sha1(report_id)'s first hex digit is 0-6."""
    return "heldout" if hashlib.sha1(report_id.encode()).hexdigest()[0] in "0123456" else "fit"


@pytest.fixture(scope="module")
def records() -> list[dict[str, object]]:
    return pair_records(V2)


def test_loads_with_the_pairs_loader_and_is_large_enough(records: list[dict[str, object]]) -> None:
    pairs = load_pairs(V2)
    assert len(pairs) == len(records) >= MIN_PAIRS
    assert len({p.id for p in pairs}) == len(pairs)
    assert len(load_pairs(V2, split="fit")) + len(load_pairs(V2, split="heldout")) == len(pairs)
    # The old file still loads as before.
    assert len(load_pairs(V1, split="test")) >= 140


def test_fields_and_the_label_of_each_kind(records: list[dict[str, object]]) -> None:
    kinds = check_pair_fields(records)
    assert kinds["paraphrased"] >= MIN_EACH and kinds["wrong_entity"] >= MIN_EACH


def test_split_by_report_follows_the_rule(records: list[dict[str, object]]) -> None:
    sides: dict[str, set[str]] = {}
    for record in records:
        report_id = str(record["report_id"])
        assert record["split"] == split_of(report_id), record["id"]
        sides.setdefault(report_id, set()).add(str(record["split"]))
    assert all(len(s) == 1 for s in sides.values())
    assert len(sides) >= MIN_REPORTS
    held_out = sum(s == {"heldout"} for s in sides.values())
    assert 0.3 <= held_out / len(sides) <= 0.5
    # None of the reports the first set was written from.
    old = {r["report_id"] for r in pair_records(V1)}
    assert not old & set(sides)


@pytest.mark.slow
def test_every_passage_is_text_of_its_report_on_its_page(
    records: list[dict[str, object]], corpus_dir: Path
) -> None:
    years = check_passages_on_their_pages(records, corpus_dir)
    # Every era: the single inspection framework, ILACS 2018-2025 and the 2026 reform.
    assert {2014, 2016, 2017} <= years and {2019, 2022, 2024} <= years and 2026 in years
