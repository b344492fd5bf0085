"""Which question words only frame a question: the committed model with the real embedder, and
the fitting of its threshold. Words and examples made up for this test."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from evals.framing import Example, fit, threshold
from service.answers.framing import Framing, FramingModel


def test_the_committed_model_tells_words_that_frame_from_facts_asked_for(embedder: Any) -> None:
    model = FramingModel.load()
    assert model is not None and "users-tune.jsonl" in model.fitted_on
    assert model.examples > 100 and 0.5 <= model.threshold < 1.0
    framing = Framing(model, embedder)
    # Chat and framing words, including ones no tuning question used ("rubbish", "alright").
    for word in ("flagged", "fine", "percent", "rubbish", "alright"):
        assert framing.frames(word), word
    # Facts a question can ask for that the reports lack, including unseen ones ("mortgage").
    for word in ("salary", "pension", "overspend", "mortgage", "canteen", "uniform"):
        assert not framing.frames(word), word
    assert framing.probability("Fine") == framing.probability("fine")  # one cached vector per word


def test_without_a_usable_model_every_word_is_content(embedder: Any) -> None:
    model = FramingModel.load()
    assert model is not None
    assert Framing(None, embedder).probability("fine") == 0.0
    assert not Framing(model, None).frames("fine")

    class Smaller:  # an embedder of another size: the weights do not apply to its vectors
        dimension = 8
        model_name = model.model_name

    assert Framing(model, Smaller()).model is None


def test_the_threshold_lets_few_rare_content_words_through() -> None:
    def example(i: int, frames: bool, idf: float = 6.0) -> Example:
        return Example(f"w{i}", f"w{i}", int(frames), int(not frames), idf)

    content = [example(i, False) for i in range(40)]
    framing = [example(100 + i, True) for i in range(10)]
    common = [example(200, False, idf=1.0)]  # a common word: the gate never asks about it
    examples = content + framing + common
    probabilities = np.array([0.3 + 0.01 * i for i in range(40)] + [0.9] * 10 + [0.99])
    # Two of forty rare content words (5%) may reach the cut: midway below the two highest.
    assert threshold(examples, probabilities) == pytest.approx((0.67 + 0.68) / 2)
    # Never below 0.5: a word must more likely frame than not.
    assert threshold(examples, probabilities * 0.5) == 0.5


def test_fitting_learns_the_direction_of_framing_words() -> None:
    rng = np.random.default_rng(0)
    examples = [Example(f"f{i}", f"f{i}", 1, 0, 6.0) for i in range(30)]
    examples += [Example(f"c{i}", f"c{i}", 0, 1, 6.0) for i in range(30)]
    direction = np.zeros(16)
    direction[0] = 1.0

    def embed(words: Any) -> np.ndarray:
        sign = np.array([1.0 if w.startswith("f") else -1.0 for w in words])[:, None]
        return direction * sign + rng.normal(0, 0.3, (len(words), 16))

    model, measured = fit(examples, embed, fitted_on="made up")
    assert model.fitted_on == "made up" and model.examples == 60 and len(model.coef) == 16
    assert model.probability(direction) > 0.9 > 0.1 > model.probability(-direction)
    assert measured["auc"] > 0.9 and measured["rare_content_judged_framing"] <= 0.05
