"""Passage sentence vectors stored at index time and read by the LLM path's grounding check.

A real build of two small real reports with ``unit_vectors`` on writes the vectors of every chunk's
sentences and pairs of sentences into the generation; the LLM answerer's checker then embeds only
the answer's own clauses (checked by counting what the real embedder is asked to encode), and
reaches the same verdicts with the same reasons as the checker that embeds the passage units
itself, on the paraphrases and changed facts of ``test_service_llm``. The 12-report ``small_index``
has no stored vectors (as generations built before them): there the checker still embeds them.
Rebuilds reuse the stored vectors by text instead of embedding them again.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import index_settings, make_corpus, run_cli
from test_service_llm import CHANGED, PARAPHRASES, QUESTION, FakeChatServer, chat_server  # noqa: F401 (a fixture)

from indexer import build, open_index
from indexer.unit_vectors import KEYS_FILE, VECTORS_FILE, UnitVectors
from inspectqa.settings import Settings
from service.answers.grounding import GroundingChecker
from service.answers.grounding.alignment import passage_units
from service.answers.qa import QAService

REPORTS = ("southend-on-sea-2016-07-07", "southend-on-sea-2019-08-27")
pytestmark = pytest.mark.slow


class Counting:
    """The real embedder, recording every text it is asked to encode."""

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder
        self.texts: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.embedder, name)

    def encode(self, texts: Sequence[str], **options: Any) -> np.ndarray:
        self.texts.extend(texts)
        return self.embedder.encode(texts, **options)


@pytest.fixture(scope="module")
def unit_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("unit-index")
    corpus = make_corpus(root / "corpus", REPORTS)
    index = root / "index"
    report = build(
        corpus, index, index_settings(unit_vectors=True), progress=False, passage_units=passage_units
    )
    assert report.embedded_units > 0
    return index


def all_chunks(index: Any) -> list[Any]:
    return index.chunks(index.chunk_ids_for_reports([r.report_id for r in index.reports()]).tolist())


def rewritten_answer(index_dir: Path, embedder: Any, server: FakeChatServer) -> tuple[Any, Any]:
    """The ``rewritten`` LLM answer over ``index_dir``, through a real QAService, and its index."""
    settings = Settings(
        index=index_dir,
        llm_base_url=f"http://127.0.0.1:{server.server_address[1]}/v1",
        llm_model="canned-model",
    )
    index = open_index(index_dir, settings)
    service = QAService(index, embedder, settings)
    server.mode = "rewritten"
    try:
        return service.ask(QUESTION), index
    finally:
        service.close()


def test_the_generation_stores_each_chunks_units_checksummed(unit_index: Path, embedder: Any) -> None:
    index = open_index(unit_index, index_settings())
    stored = index.unit_vectors
    assert stored is not None
    units = {u for chunk in all_chunks(index) for u in passage_units(chunk.text)}
    assert len(stored) == len(units) == index.manifest["unit_vectors"]["count"]
    assert {KEYS_FILE, VECTORS_FILE} <= set(index.manifest["files"])  # verified at every open
    assert stored.keys.dtype == np.uint64 and bool(np.all(np.diff(stored.keys.astype(np.float64)) > 0))
    sample = sorted(units)[:: max(1, len(units) // 20)]
    found = stored.lookup([*sample, "A sentence no report holds."])
    assert set(found) == set(sample)
    fresh = embedder.encode(sample)
    cosines = [float(found[t] @ v) for t, v in zip(sample, fresh, strict=True)]
    # The same model; int8 varies a little by batch, single words (``novelty``) most.
    assert min(cosines) > 0.95, cosines
    shown = run_cli("index", "info", "--index", str(unit_index))
    assert shown.returncode == 0 and f"grounding  {len(units):,} passage units stored" in shown.stdout


def test_the_llm_path_embeds_only_the_answer_and_judges_as_when_it_embeds_passages(
    unit_index: Path,
    small_index: Path,
    embedder: Any,
    chat_server: FakeChatServer,  # noqa: F811 (the fixture imported above)
) -> None:
    with_stored = Counting(embedder)
    answer, index = rewritten_answer(unit_index, with_stored, chat_server)
    assert [s.text for s in answer.sentences] == list(PARAPHRASES), answer.notes
    removed = [note for note in answer.notes if note.startswith("removed: ")]
    assert len(removed) == len(CHANGED)
    for (sentence, why), note in zip(CHANGED.items(), removed, strict=True):
        assert sentence[:40] in note and why in note, note
    units = {u for p in answer.passages for u in passage_units(p.text)}
    assert with_stored.texts and not units & set(with_stored.texts)  # the question and clauses only

    computing = Counting(embedder)  # the old generation: no stored vectors, the same verdicts
    before, old = rewritten_answer(small_index, computing, chat_server)
    assert old.unit_vectors is None
    assert units & set(computing.texts)
    assert [(s.text, s.supported) for s in before.sentences] == [
        (s.text, s.supported) for s in answer.sentences
    ]
    assert [n for n in before.notes if n.startswith("removed: ")] == removed

    # Claim by claim over the retrieved passages: stored and computed vectors, the same verdicts.
    claims = [(s, [1]) for s in (*PARAPHRASES, *CHANGED)]
    passages = {1: next(p.text for p in answer.passages if "Annual reviews of foster carers" in p.text)}
    stored = GroundingChecker(embedder, stored=index.unit_vectors).check_sentences(claims, passages)
    computed = GroundingChecker(embedder).check_sentences(claims, passages)
    assert [(v.supported, v.reason) for v in stored] == [(v.supported, v.reason) for v in computed]
    assert max(abs(a.score - b.score) for a, b in zip(stored, computed, strict=True)) < 0.05


def test_rebuilds_reuse_the_stored_vectors(unit_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(unit_index, index, symlinks=True)
    corpus = make_corpus(tmp_path / "corpus", REPORTS)
    settings = index_settings(unit_vectors=True)
    before = UnitVectors.open((index / "current").resolve())
    assert before is not None
    unchanged = build(corpus, index, settings, progress=False, passage_units=passage_units)
    assert unchanged.embedded_chunks == 0 and unchanged.embedded_units == 0
    smaller = build(corpus, index, settings, limit=1, progress=False, passage_units=passage_units)
    assert smaller.reports_removed == 1 and smaller.embedded_units == 0  # every unit left was stored
    after = UnitVectors.open((index / "current").resolve())
    assert after is not None and 0 < len(after) < len(before)
    assert bool(np.all(np.isin(after.keys, before.keys)))
    off = build(
        corpus,
        index,
        index_settings(unit_vectors=False),
        limit=1,
        progress=False,
        passage_units=passage_units,
    )
    assert off.embedded_units == 0
    assert open_index(index, settings).unit_vectors is None  # the checker embeds, as before
