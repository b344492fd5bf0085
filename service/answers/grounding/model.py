"""The fitted model that turns a claim's signals into a verdict: logistic regression weights.

The weights live in ``data/model.json`` (a few dozen numbers), fitted by ``evals/fit_grounding.py``
on the fitting parts of the labelled pairs only and measured on the held-out parts; one model with
embedding similarity (``semantic``) and one without (``lexical``), for checkers without an
embedder. Refit with::

    inspectqa eval grounding-fit
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MODEL_FILE = Path(__file__).with_name("data") / "model.json"


@dataclass(frozen=True)
class Weights:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float

    def contributions(self, values: dict[str, float]) -> dict[str, float]:
        return {
            f: c * (values[f] - m) / s
            for f, m, s, c in zip(self.features, self.mean, self.scale, self.coef, strict=True)
        }

    def probability(self, values: dict[str, float]) -> float:
        z = self.intercept + sum(self.contributions(values).values())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@lru_cache(maxsize=4)
def load_weights(path: Path = MODEL_FILE) -> dict[str, Weights]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        name: Weights(
            tuple(m["features"]),
            tuple(m["mean"]),
            tuple(m["scale"]),
            tuple(m["coef"]),
            float(m["intercept"]),
            float(m.get("threshold", 0.5)),
        )
        for name, m in data["models"].items()
    }
