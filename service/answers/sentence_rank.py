"""Which sentence of the passages found to quote: a fitted score over a few general features.

The extractive composer used to rank candidate sentences by a sum with hand-set weights (topic
cover, 0.15 a phrase kept whole, 0.35 × the passage's share of the best retrieval score, −0.02 a
rank, 0.3 for a summary sentence answering about as well as the best, and so on), each tuned on
a few questions. Now every part is a feature of its own and the weights are a logistic
regression of "this sentence holds the gold evidence" fitted on the tune side's questions
(``inspectqa eval fit-sentences``, ``evals.fit_sentences``), as the abstention gate is: the
service reads plain coefficients from ``sentence_rank.json`` beside this module and never
imports scikit-learn.

Features of one candidate sentence (``FEATURES``), each general (no word list, nothing of one
question):

- what the sentence holds of the question (``Composer.sentences``): ``own`` (the idf-weighted
  share of the topic's concepts it names), ``inherited`` (the share only earlier sentences of its
  paragraph name), ``cover_gap`` (how far its cover is below the best candidate's), ``pairs``
  (the question's word pairs it keeps whole), ``figure`` (a count next to the topic, for "how
  many"), ``kind`` (names the kind asked for: "which team"), ``change`` (says how things changed,
  for a question about change), ``tone`` (its tone's agreement with the one asked for, −1..1),
  ``grade`` (beside a grade: it puts the grade in words), ``in_list`` (a sentence of the report's
  improvement list, when the question asks for that list);
- where it was found: ``fused`` (its passage's retrieval score as a share of the best
  passage's), ``dense``, ``rrf`` (× 30: about 1 for a passage leading both lists), ``passage_cover``
  (the passage's best sentence cover, retrieval's), ``chunk_cover``, ``phrase``, ``section`` (the
  passage is in the section the question points at), ``summary`` (the report's opening pages,
  where its conclusions are), ``summary_gap`` (``summary`` × ``cover_gap``: a conclusion that
  answers less well than the best), ``rank`` and ``first`` (its passage's place among those
  given), ``page`` (log of its page), ``position`` and ``opening`` (its place in its passage);
- ``length``: the log of its words.

A fitted model that names other features than these is not loaded (``Ranker.load`` gives the
``neutral`` ranker, the topic's cover alone, which is what ``eval fit-sentences`` needs to
collect candidates before any model exists).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from service.answers.records import Passage

FEATURES = (
    "own",
    "inherited",
    "cover_gap",
    "pairs",
    "figure",
    "kind",
    "change",
    "tone",
    "grade",
    "in_list",
    "fused",
    "dense",
    "rrf",
    "passage_cover",
    "chunk_cover",
    "phrase",
    "section",
    "summary",
    "summary_gap",
    "rank",
    "first",
    "page",
    "position",
    "opening",
    "length",
)
MODEL_FILE = Path(__file__).with_name("sentence_rank.json")
MAX_POSITION = 10  # sentences of a passage counted apart; later ones are alike


@dataclass(frozen=True)
class Parts:
    """What ``Composer.sentences`` found in one sentence: the question-side features."""

    own: float = 0.0
    inherited: float = 0.0
    pairs: int = 0
    figure: float = 0.0
    kind: bool = False
    change: bool = False
    tone: float = 0.0
    words: int = 0

    @property
    def cover(self) -> float:
        """The topic's cover, an earlier sentence's concepts at half weight."""
        return self.own + 0.5 * self.inherited


@dataclass(frozen=True)
class Place:
    """Where a candidate sentence sits: its passage, that passage's rank among those given and the
    best retrieval score among them, and the sentence's place in its passage."""

    passage: Passage
    rank: int
    top_score: float
    position: int


def features(
    parts: Parts,
    place: Place,
    best_cover: float,
    *,
    grade: bool = False,
    in_list: bool = False,
) -> tuple[float, ...]:
    """One candidate's feature vector, in the order of ``FEATURES`` (see the module docstring)."""
    passage, scores = place.passage, place.passage.scores
    gap = max(best_cover - parts.cover, 0.0)
    summary = scores.get("summary", 0.0)
    values = {
        "own": parts.own,
        "inherited": parts.inherited,
        "cover_gap": gap,
        "pairs": float(min(parts.pairs, 3)),
        "figure": parts.figure,
        "kind": float(parts.kind),
        "change": float(parts.change),
        "tone": parts.tone,
        "grade": float(grade),
        "in_list": float(in_list),
        "fused": passage.score / place.top_score if place.top_score > 0 else 0.0,
        "dense": scores.get("dense", 0.0),
        "rrf": 30.0 * scores.get("rrf", 0.0),
        "passage_cover": scores.get("sentence", 0.0),
        "chunk_cover": scores.get("chunk", 0.0),
        "phrase": scores.get("phrase", 0.0),
        "section": scores.get("section", 0.0),
        "summary": summary,
        "summary_gap": summary * gap,
        "rank": float(place.rank),
        "first": float(place.rank == 0),
        "page": math.log1p(passage.page),
        "position": min(place.position, MAX_POSITION) / MAX_POSITION,
        "opening": float(place.position == 0),
        "length": math.log1p(parts.words),
    }
    return tuple(float(values[name]) for name in FEATURES)


def as_conclusion(best: tuple[float, ...], *, grade: bool, words: int) -> tuple[float, ...]:
    """The features of the opening sentence of the report's section on a judgement area ("Services
    for care leavers in Sunderland are very strong"), which retrieval did not find: those of the
    best sentence found (``best``), as a conclusion of the report (``summary``, no ``cover_gap``),
    with its own length and whether it puts the grade in words. The tune sets hold too few grade
    questions (about ten) to learn a weight of its own for such a sentence."""
    values = dict(zip(FEATURES, best, strict=True))
    values.update(summary=1.0, cover_gap=0.0, summary_gap=0.0, grade=float(grade), length=math.log1p(words))
    return tuple(values[name] for name in FEATURES)


@dataclass(frozen=True)
class Ranker:
    """Scores a candidate sentence: ``intercept`` plus the weighted sum of its features, the
    log-odds that it holds what the question asks (``probability`` is its logistic)."""

    coef: tuple[float, ...]
    intercept: float = 0.0
    fitted_on: str = ""
    cv: float | None = None  # the fit's grouped cross-validated score, for the record
    c: float | None = None  # the regularisation chosen

    @classmethod
    def neutral(cls) -> Ranker:
        """The topic's cover alone: before any fit, so that candidates can be collected."""
        weights = {"own": 1.0, "inherited": 0.5}
        return cls(tuple(weights.get(name, 0.0) for name in FEATURES), fitted_on="")

    def score(self, vector: tuple[float, ...]) -> float:
        return self.intercept + sum(c * x for c, x in zip(self.coef, vector, strict=True))

    def probability(self, vector: tuple[float, ...]) -> float:
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, self.score(vector)))))

    def to_json(self) -> dict[str, object]:
        return {
            "features": list(FEATURES),
            "coef": [round(c, 6) for c in self.coef],
            "intercept": round(self.intercept, 6),
            "fitted_on": self.fitted_on,
            "cv": self.cv,
            "C": self.c,
        }

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> Ranker:
        """The fitted ranker, or the ``neutral`` one when none is fitted for these features."""
        if not path.is_file():
            return cls.neutral()
        data = json.loads(path.read_text())
        if list(data.get("features", [])) != list(FEATURES):
            return cls.neutral()
        return cls(
            coef=tuple(float(c) for c in data["coef"]),
            intercept=float(data.get("intercept", 0.0)),
            fitted_on=str(data.get("fitted_on", "")),
            cv=data.get("cv"),
            c=data.get("C"),
        )
