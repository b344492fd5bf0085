"""The fourth labelled claim–passage set (``grounding_pairs_v4.jsonl``), a fitting one: it loads (split
``fit`` only), every kind carries its label, a verbatim claim uses the passage's own words, none of its
reports or councils is one of v1, v2 or v3, and every passage is text of its report starting on its page.
See evals/data/GROUNDING_PAIRS_V4.md."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from conftest import (
    PAIR_FIELDS,
    check_new_reports,
    check_passages_on_their_pages,
    check_verbatim_claims,
    pair_records,
)

from evals.pairs import LABEL_OF_KIND, load_pairs

DATA = Path(__file__).resolve().parents[2] / "evals" / "data"
V4 = DATA / "grounding_pairs_v4.jsonl"
EARLIER = tuple(DATA / f"grounding_pairs{suffix}.jsonl" for suffix in ("", "_v2", "_v3"))
# The four kinds v4 was written for (GROUNDING_PAIRS_V4.md): the two weak unsupported kinds, and
# supported claims against the same passages so that the set is not one-sided.
KINDS = {"supported", "paraphrased", "unsupported_detail", "antonym"}


@pytest.fixture(scope="module")
def records() -> list[dict[str, object]]:
    return pair_records(V4)


def test_loads_as_one_fit_split(records: list[dict[str, object]]) -> None:
    pairs = load_pairs(V4, split="fit")
    assert len(pairs) == len(records) >= 150
    assert len({p.id for p in pairs}) == len(pairs)
    assert not load_pairs(V4, split=["heldout", "blind", "dev", "test"], allow_empty=True)


def test_fields_kinds_and_labels(records: list[dict[str, object]]) -> None:
    for record in records:
        assert set(record) == PAIR_FIELDS, record["id"]
        assert record["label"] == LABEL_OF_KIND[str(record["kind"])], record["id"]
        assert str(record["claim"]).strip(), record["id"]
    kinds = Counter(str(r["kind"]) for r in records)
    assert set(kinds) == KINDS
    assert kinds["unsupported_detail"] >= 40 and kinds["antonym"] >= 40 and kinds["paraphrased"] >= 50


def test_verbatim_claims_use_the_passages_words(records: list[dict[str, object]]) -> None:
    check_verbatim_claims(records)


def test_no_report_or_council_of_the_earlier_sets(records: list[dict[str, object]], corpus_dir: Path) -> None:
    check_new_reports(records, EARLIER, corpus_dir, 20)


@pytest.mark.slow
def test_every_passage_is_text_of_its_report_on_its_page(
    records: list[dict[str, object]], corpus_dir: Path
) -> None:
    years = check_passages_on_their_pages(records, corpus_dir)
    # Both eras: the single inspection framework (2013-2017) and ILACS (2018 on).
    assert {2015, 2016, 2017} <= years and {2019, 2022, 2024} <= years
