"""The third labelled claim–passage set (``grounding_pairs_v3.jsonl``), a blind one: it loads (split
``blind`` only), every kind carries its label, none of its reports or councils is one the first two
sets were written from, and every passage is text of its report starting on its page. See
evals/data/GROUNDING_PAIRS_V3.md."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from corpus.loading import load_report
from corpus.records import PAGE_SEPARATOR
from corpus.scanning import scan_corpus
from evals.pairs import LABEL_OF_KIND, load_pairs

DATA = Path(__file__).resolve().parents[2] / "evals" / "data"
V3 = DATA / "grounding_pairs_v3.jsonl"
EARLIER = (DATA / "grounding_pairs.jsonl", DATA / "grounding_pairs_v2.jsonl")

MIN_PAIRS, MIN_REPORTS = 300, 30
# Words a verbatim or stitched ("supported") claim may add to the passage's own.
CONNECTIVES = {"and", "but", "which", "although", "however", "so"}
FIELDS = {"id", "claim", "passage", "label", "kind", "split", "report_id", "page"}
# Sentence ends inside a passage (as the set's passages were cut): one to four sentences each.
SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z‘“(])")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "'").replace("\u2018", "'"))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def records() -> list[dict[str, object]]:
    return _records(V3)


def test_loads_as_one_blind_split(records: list[dict[str, object]]) -> None:
    pairs = load_pairs(V3, split="blind")
    assert len(pairs) == len(records) >= MIN_PAIRS
    assert len({p.id for p in pairs}) == len(pairs)
    assert {p.split for p in pairs} == {"blind"}
    assert not load_pairs(V3, split=["fit", "heldout", "dev", "test"], allow_empty=True)


def test_fields_and_the_label_of_each_kind(records: list[dict[str, object]]) -> None:
    for record in records:
        assert set(record) == FIELDS, record["id"]
        assert record["label"] == LABEL_OF_KIND[str(record["kind"])], record["id"]
        claim, passage = str(record["claim"]), str(record["passage"])
        assert claim.strip() and _squash(claim) != _squash(passage), record["id"]
        assert 1 <= len(SENTENCE_END.findall(passage)) + 1 <= 4, record["id"]
        if record["kind"] == "supported":
            # Verbatim, trimmed or stitched: nothing but the passage's own words and a connective.
            assert set(_words(claim)) - set(_words(passage)) <= CONNECTIVES, record["id"]
    kinds = Counter(str(r["kind"]) for r in records)
    assert set(kinds) == set(LABEL_OF_KIND)
    assert kinds["paraphrased"] >= 100 and kinds["wrong_entity"] >= 60
    labels = Counter(str(r["label"]) for r in records)
    assert abs(labels["supported"] - labels["unsupported"]) <= 0.1 * len(records)


def test_no_report_or_council_of_the_earlier_sets(records: list[dict[str, object]], corpus_dir: Path) -> None:
    reports = {str(r["report_id"]) for r in records}
    assert len(reports) >= MIN_REPORTS
    earlier = {str(r["report_id"]) for path in EARLIER for r in _records(path)}
    assert not reports & earlier
    with (corpus_dir / "manifest.csv").open(newline="") as handle:
        council = {row["report_id"]: row["local_authority"] for row in csv.DictReader(handle)}
    assert not {council[r] for r in reports} & {council[r] for r in earlier}
    assert len({council[r] for r in reports}) == len(reports)


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
        years.add(int(report_id.rsplit("-", 3)[1]))
        pages = {page.number: _squash(page.text) for page in report.pages}
        text = _squash(report.text)
        for record in group:
            passage = _squash(str(record["passage"]))
            assert passage in text, record["id"]
            # The page is where the passage starts (its text up to a page break, if it crosses one).
            head = _squash(str(record["passage"]).split(PAGE_SEPARATOR)[0])[:40]
            assert head in pages[int(str(record["page"]))], record["id"]
    # Both eras: the single inspection framework (2013-2017) and ILACS (2018 on).
    assert {2015, 2016, 2017} <= years and {2019, 2024, 2025} <= years
