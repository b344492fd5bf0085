"""How likely a word of a question only frames what is asked, learnt from tuning questions.

The abstention gate (``service.answers.abstention``) counts a rare word of the question that no
passage found holds as a sign that the reports lack the fact: "what salary does Doncaster's
director get" is rightly declined for "salary". People also type words that say how they ask, not
what about: "anything *flagged* about help and protection", "*fine*, the 2024 report then: what
support do care leavers get", "what *percent* of care leavers ...". Those are as rare in the
reports as "salary", so counted the same way they declined answerable questions. The hand lists
(``service.answers.lexicon.FRAMING_WORDS``) cannot hold every such word.

So the chance that a word frames is learnt: ``inspectqa eval fit-framing`` (``evals.framing``)
labels each word of the tuning questions, *framing* when the gold evidence quotes of the question
do not hold it (the answer needed no such word) and *content* when they do, or when it is a rare
word of an unanswerable question that the reports found lack (the fact asked for). A logistic
regression over the word's embedding (the service's sentence model, the word alone) then carries
what it learnt to words no tuning question used: "flagged" lies with "highlighted" and "noted",
"fine" with "good" and "okay", "salary" with "pay" and "pension". The weights are in
``framing.json`` beside this module, with the files they came from; the service needs no
scikit-learn.

The gate leaves a rare word that no passage found holds out of the question's topic when its
chance is at or above the fitted threshold (``Framing.frames``), as it leaves out the listed
framing words; a word a passage holds is never judged, so the model decides only whether a
word's absence counts against the evidence.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MODEL_FILE = Path(__file__).with_name("framing.json")
CACHE_SIZE = 4096  # words kept embedded; a question has a handful of rare words at most


@dataclass(frozen=True)
class FramingModel:
    """A logistic regression over a word's unit embedding: ``intercept + coef · vector`` is the
    log-odds that the word frames the question rather than names its subject."""

    coef: tuple[float, ...]
    intercept: float
    threshold: float = 0.5  # at or above it, a word frames
    model_name: str = ""
    fitted_on: str = ""
    examples: int = 0

    def probability(self, vector: Sequence[float] | np.ndarray) -> float:
        score = self.intercept + float(np.dot(np.asarray(self.coef, dtype=np.float64), np.asarray(vector)))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, score))))

    def to_json(self) -> dict[str, object]:
        return {
            "model_name": self.model_name,
            "fitted_on": self.fitted_on,
            "examples": self.examples,
            "threshold": self.threshold,
            "intercept": round(self.intercept, 6),
            "coef": [round(c, 6) for c in self.coef],
        }

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> FramingModel | None:
        """The fitted model, or None when none has been fitted."""
        if not path.is_file():
            return None
        data = json.loads(path.read_text())
        return cls(
            coef=tuple(float(c) for c in data["coef"]),
            intercept=float(data["intercept"]),
            threshold=float(data.get("threshold", 0.5)),
            model_name=str(data.get("model_name", "")),
            fitted_on=str(data.get("fitted_on", "")),
            examples=int(data.get("examples", 0)),
        )


class Framing:
    """The fitted model with the service's embedder: each word embedded alone (a batch of one, so
    its vector does not depend on what it was batched with), once per word.

    With no model, no embedder, or an embedder of another model or size, every word is content
    (probability 0): the gate then weighs missing words as it did before this was learnt."""

    def __init__(self, model: FramingModel | None, embedder: Any) -> None:
        usable = (
            model is not None
            and embedder is not None
            and getattr(embedder, "dimension", len(model.coef)) == len(model.coef)
            and (
                not model.model_name or getattr(embedder, "model_name", model.model_name) == model.model_name
            )
        )
        self.model = model if usable else None
        self.embedder = embedder
        self._cache: dict[str, float] = {}
        self._lock = threading.Lock()

    def probability(self, word: str) -> float:
        """The chance that ``word`` only frames the question (0.0 when nothing was fitted)."""
        if self.model is None:
            return 0.0
        key = word.lower()
        with self._lock:
            known = self._cache.get(key)
        if known is not None:
            return known
        vector = np.asarray(self.embedder.encode([key]), dtype=np.float32)[0]
        value = self.model.probability(vector)
        with self._lock:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = value
        return value

    def frames(self, word: str) -> bool:
        """Whether ``word`` more likely frames the question than names its subject (the fitted cut)."""
        return self.model is not None and self.probability(word) >= self.model.threshold
