"""The sentence ranker (``service.answers.sentence_rank``): its features on real passages of the
small real index, and the fitted coefficients file the service reads."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from inspectqa.settings import Settings
from service.answers.qa import QAService
from service.answers.sentence_rank import FEATURES, MODEL_FILE, Ranker
from service.answers.text import stems


@pytest.fixture(scope="module")
def qa(small_index: Path, embedder: Any) -> QAService:
    from indexer import open_index

    settings = Settings(index=small_index)
    return QAService(open_index(small_index, settings), embedder, settings)


def rankings(qa: QAService, question: str) -> list[tuple[str, list[Any]]]:
    qa.composer.record = []
    try:
        qa.ask(question)
        return qa.composer.record
    finally:
        qa.composer.record = None


def test_the_features_of_real_candidate_sentences(qa: QAService) -> None:
    recorded = rankings(qa, "What did Southend's 2016 inspection say about foster carers?")
    kinds = [kind for kind, _ in recorded]
    assert kinds == ["extractive"], kinds
    candidates = recorded[0][1]
    assert len(candidates) >= 10
    at = {name: i for i, name in enumerate(FEATURES)}
    topic = set(stems("foster carers"))
    covers = [v[at["own"]] + 0.5 * v[at["inherited"]] for v, *_ in candidates]
    for (vector, passage, start, end), cover in zip(candidates, covers, strict=True):
        sentence = passage.text[start:end]
        assert len(vector) == len(FEATURES)
        assert passage.report_id == "southend-on-sea-2016-07-07"
        # The topic's words named in the sentence itself, or only in the sentences before it.
        assert (vector[at["own"]] > 0) == bool(topic & set(stems(sentence))), sentence
        assert vector[at["cover_gap"]] == pytest.approx(max(covers) - cover)
        assert vector[at["summary"]] == float(min(passage.pages) <= 2)
        assert vector[at["summary_gap"]] == pytest.approx(vector[at["summary"]] * vector[at["cover_gap"]])
        assert vector[at["first"]] == float(vector[at["rank"]] == 0)
        assert vector[at["opening"]] == float(vector[at["position"]] == 0)
        assert vector[at["length"]] == pytest.approx(math.log1p(len(sentence.split())))
        assert vector[at["dense"]] == pytest.approx(passage.scores["dense"])
        assert 0.0 <= vector[at["fused"]] <= 1.0 + 1e-9
        assert vector[at["grade"]] == 0.0  # only beside a grade
    assert min(v[at["cover_gap"]] for v, *_ in candidates) == 0.0
    assert {v[at["rank"]] for v, *_ in candidates} >= {0.0, 1.0}


def test_the_sentence_beside_a_grade_is_ranked_with_the_grade_features(qa: QAService) -> None:
    recorded = dict(rankings(qa, "How were care leavers judged in Durham's 2019 inspection?"))
    assert "support" in recorded, list(recorded)
    at = {name: i for i, name in enumerate(FEATURES)}
    # Durham's 2019 grade for children in care and care leavers: good.
    for vector, passage, start, end in recorded["support"]:
        named = "good" in passage.text[start:end].lower()
        assert vector[at["grade"]] == float(named)
    assert any(v[at["grade"]] for v, *_ in recorded["support"])


def test_the_fitted_ranker_loads_and_prefers_the_sentence_that_answers(qa: QAService) -> None:
    ranker = Ranker.load()
    assert MODEL_FILE.is_file() and ranker != Ranker.neutral()
    assert ranker.fitted_on and ranker.cv is not None and 0.5 < ranker.cv <= 1.0
    assert qa.composer.ranker == ranker
    # A question of our own (no gold file's) on a real report: of the candidates, the sentence
    # that answers it is ranked above every one that does not.
    recorded = rankings(qa, "how stable are foster placements for children in southend 2016")
    candidates = recorded[0][1]
    scores = {c[1].text[c[2] : c[3]]: ranker.score(c[0]) for c in candidates}
    answering = [s for s in scores if "providing stable and nurturing care" in s]
    assert len(answering) == 1, list(scores)
    assert max(scores, key=lambda s: scores[s]) == answering[0]
