"""The second labelled claim–passage set (``grounding_pairs_v2.jsonl``): it loads, its split is the
written rule (by report, never one report on both sides), every passage is real text of its report,
and every kind carries the label it stands for. See evals/data/GROUNDING_PAIRS_V2.md."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from corpus.loading import load_report
from corpus.scanning import scan_corpus
from evals.pairs import LABEL_OF_KIND, load_pairs

DATA = Path(__file__).resolve().parents[2] / "evals" / "data"
V2 = DATA / "grounding_pairs_v2.jsonl"
V1 = DATA / "grounding_pairs.jsonl"

# Floors the finished set meets (raised as batches land).
MIN_PAIRS, MIN_REPORTS, MIN_EACH = 600, 60, 90
# Words a verbatim or stitched ("supported") claim may add to the passage's own.
CONNECTIVES = {"and", "but", "which", "although", "however", "so"}
FIELDS = {"id", "claim", "passage", "label", "kind", "split", "report_id", "page"}


def split_of(report_id: str) -> str:
    """The written rule: held out when sha1(report_id)'s first hex digit is 0-6."""
    return "heldout" if hashlib.sha1(report_id.encode()).hexdigest()[0] in "0123456" else "fit"


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "'").replace("\u2018", "'"))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def records() -> list[dict[str, object]]:
    return [json.loads(line) for line in V2.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_loads_with_the_pairs_loader_and_is_large_enough(records: list[dict[str, object]]) -> None:
    pairs = load_pairs(V2)
    assert len(pairs) == len(records) >= MIN_PAIRS
    assert len({p.id for p in pairs}) == len(pairs)
    assert len(load_pairs(V2, split="fit")) + len(load_pairs(V2, split="heldout")) == len(pairs)
    # The old file still loads as before.
    assert len(load_pairs(V1, split="test")) >= 140


def test_fields_and_the_label_of_each_kind(records: list[dict[str, object]]) -> None:
    for record in records:
        assert set(record) == FIELDS, record["id"]
        assert record["label"] == LABEL_OF_KIND[str(record["kind"])], record["id"]
        assert str(record["claim"]).strip() and str(record["claim"]) != str(record["passage"])
        if record["kind"] == "supported":
            # Verbatim, trimmed or stitched from the passage's own words: nothing new but a connective.
            words = set(_words(str(record["passage"])))
            assert set(_words(str(record["claim"]))) - words <= CONNECTIVES, record["id"]
    kinds = Counter(str(r["kind"]) for r in records)
    assert set(kinds) == set(LABEL_OF_KIND)
    assert kinds["paraphrased"] >= MIN_EACH and kinds["wrong_entity"] >= MIN_EACH
    labels = Counter(str(r["label"]) for r in records)
    assert abs(labels["supported"] - labels["unsupported"]) <= 0.1 * len(records)


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
    old = {json.loads(line)["report_id"] for line in V1.read_text(encoding="utf-8").splitlines()}
    assert not old & set(sides)


@pytest.mark.slow
def test_every_passage_is_text_of_its_report_on_its_page(
    records: list[dict[str, object]], corpus_dir: Path
) -> None:
    sources = {source.report_id: source for source in scan_corpus(corpus_dir)}
    by_report: dict[str, list[dict[str, object]]] = {}
    for record in records:
        by_report.setdefault(str(record["report_id"]), []).append(record)
    years = set()
    for report_id, group in sorted(by_report.items()):
        report = load_report(sources[report_id])
        years.add(report_id.rsplit("-", 3)[1])
        pages = {page.number: _squash(page.text) for page in report.pages}
        text = _squash(report.text)
        for record in group:
            passage = _squash(str(record["passage"]))
            assert passage in text, record["id"]
            # The page is where the passage starts.
            assert passage[:40] in pages[int(str(record["page"]))], record["id"]
    # Every era: the single inspection framework, ILACS 2018-2025 and the 2026 reform.
    assert {"2014", "2016", "2017"} <= years and {"2019", "2022", "2024"} <= years and "2026" in years
