"""Fit which question words only frame a question (``service.answers.framing``) on tuning questions.

``label`` reads every question as the service understands it (its history included) and labels
each of its own topic words, counted per stem:

- **framing** when the question is answerable and none of its gold evidence quotes holds the word
  (nor the word's abbreviation or long form): the answer did not need it ("anything *flagged*
  about help and protection", "*fine*, the 2024 report then: ...");
- **content** when a gold quote holds it, or when it is a rare word (idf ≥ ``RARE_IDF``) of an
  unanswerable question that reached the abstention gate and that no passage of the reports found
  holds (the fact asked for and not there: "salary", "pension", "overspend").

Numbers and the words of a council's name are left out: neither is a topic word the gate weighs
as such. A stem is framing when at least half of its uses were.

``fit`` embeds each stem's commonest written form alone with the service's sentence model and fits
a logistic regression (scikit-learn, L2, ``C``, classes balanced) of "framing" on the vector, so
that words no tuning question used are judged by their meaning. The threshold is fitted on
probabilities cross-validated over folds of stems (each from a model not fitted on it, as a new
word would be): at most ``TARGET`` of the rare content words may reach it, so that a word like
"salary" stays a reason to decline.

    inspectqa eval fit-framing --index var/index-full --gold evals/data/users-tune.jsonl ...
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np

from evals.gold import GoldQuestion
from service.answers.abstention import RARE_IDF, TOP, concepts, expansions_of
from service.answers.framing import FramingModel
from service.answers.records import Turn
from service.answers.text import stem, stems

C = 1.0  # the logistic regression's inverse regularisation (scikit-learn's default)
FOLDS = 10  # cross-validation folds of stems, for the threshold
SEEDS = 5  # ways of drawing the folds, averaged
TARGET = 0.05  # share of the rare content words that the threshold judges framing at most

Role = Literal["user", "assistant"]
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Example:
    """One stem of the tuning questions: its commonest written form and how often it was each."""

    stem: str
    word: str
    framing: int
    content: int
    idf: float = 0.0  # across the index's passages

    @property
    def frames(self) -> bool:
        return self.framing >= self.content


def label(service: Any, questions: Sequence[GoldQuestion]) -> list[Example]:
    """The stems of ``questions``' topic words, each labelled framing or content (module docstring)."""
    framing: Counter[str] = Counter()
    content: Counter[str] = Counter()
    written: dict[str, Counter[str]] = {}
    for question in questions:
        history = [Turn(cast(Role, role), text) for role, text in question.history]
        intent = service.understand(question.question, history)
        own = [t for t in intent.terms if t not in intent.borrowed] or list(intent.terms)
        names = [p.display for p in intent.places] + list(intent.outside_places)
        place_words = {w for name in names for w in _WORD.findall(name.lower())}
        terms = [t for t in own if not t.isdigit() and t not in place_words]
        if question.answerable:
            if not question.evidence:
                continue
            quoted = {s for evidence in question.evidence for s in stems(evidence.quote)}
            groups = concepts(terms, service.stats.idf, expansions_of(intent))
            for term in terms:
                key = stem(term)
                group = next((g for g, _ in groups if key in g), frozenset({key}))
                (content if group & quoted else framing)[key] += 1
                written.setdefault(key, Counter())[term] += 1
            continue
        rare = [t for t in terms if service.stats.idf(stem(t)) >= RARE_IDF]
        if not rare:
            continue
        answer = service.ask(question.question, history=history)
        if not answer.evidence:
            continue  # declined before the gate: no such council or year, so no word was weighed
        reports = sorted({p.report_id for p in answer.passages[:TOP]})
        abstainer = service.tools.abstainer
        for term in rare:
            if not abstainer.in_reports(term, reports):
                content[stem(term)] += 1
                written.setdefault(stem(term), Counter())[term] += 1
    return [
        Example(key, forms.most_common(1)[0][0], framing[key], content[key], service.stats.idf(key))
        for key, forms in sorted(written.items())
    ]


def embed_words(embedder: Any, words: Sequence[str]) -> np.ndarray:
    """Each word's unit vector, one word a batch (as ``service.answers.framing.Framing`` embeds it)."""
    return np.vstack([np.asarray(embedder.encode([w.lower()]), dtype=np.float32) for w in words])


def _regression(x: np.ndarray, y: np.ndarray, c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(x, y)


def _labels(examples: Sequence[Example]) -> np.ndarray:
    y = np.array([int(e.frames) for e in examples])
    if len(set(y.tolist())) < 2:
        raise ValueError("fitting the framing model needs both framing and content words")
    return y


def cross_validated(x: np.ndarray, examples: Sequence[Example], *, c: float = C) -> np.ndarray:
    """Each stem's probability from models not fitted on it: ``FOLDS`` folds of stems, the mean over
    ``SEEDS`` ways of drawing them."""
    y = _labels(examples)
    out = np.zeros((SEEDS, len(examples)))
    for seed in range(SEEDS):
        fold = np.random.default_rng(seed).integers(0, FOLDS, len(examples))
        for f in range(FOLDS):
            held = fold == f
            if held.any() and len(set(y[~held].tolist())) == 2:
                out[seed, held] = _regression(x[~held], y[~held], c).predict_proba(x[held])[:, 1]
    return out.mean(axis=0)


def threshold(examples: Sequence[Example], probabilities: np.ndarray, target: float = TARGET) -> float:
    """The cut on the probability: of the rare content words' (idf ≥ ``RARE_IDF``: the only words
    the gate asks about) cross-validated probabilities, at most ``target`` lie at or above it,
    midway across the gap below them; never below 0.5."""
    content = sorted(
        (
            float(p)
            for e, p in zip(examples, probabilities, strict=True)
            if e.idf >= RARE_IDF and not e.frames
        ),
        reverse=True,
    )
    if not content:
        return 0.5
    k = min(int(target * len(content)), len(content) - 1)  # the content words allowed at or above
    cut = (content[k - 1] + content[k]) / 2 if k else (content[0] + 1.0) / 2
    return round(max(cut, 0.5), 4)


def fit(
    examples: Sequence[Example],
    embed: Callable[[Sequence[str]], np.ndarray],
    *,
    model_name: str = "",
    fitted_on: str = "",
    c: float = C,
) -> tuple[FramingModel, dict[str, float]]:
    """The logistic regression of "framing" on the examples' word vectors, its threshold fitted
    on cross-validated probabilities (``threshold``), and how those decide on the rare words."""
    x = embed([e.word for e in examples])
    y = _labels(examples)
    held = cross_validated(x, examples, c=c)
    cut = threshold(examples, held)
    model = _regression(x, y, c)
    fitted = FramingModel(
        coef=tuple(float(v) for v in model.coef_[0]),
        intercept=float(model.intercept_[0]),
        threshold=cut,
        model_name=model_name,
        fitted_on=fitted_on,
        examples=len(examples),
    )
    return fitted, measured(examples, held, cut)


def measured(examples: Sequence[Example], probabilities: np.ndarray, cut: float) -> dict[str, float]:
    """The ROC AUC of held-out probabilities over all stems, and the shares of the rare framing and
    content stems that the cut judges framing."""
    from sklearn.metrics import roc_auc_score

    y = _labels(examples)
    rare = [
        (e.frames, float(p) >= cut) for e, p in zip(examples, probabilities, strict=True) if e.idf >= RARE_IDF
    ]
    framing = [judged for frames, judged in rare if frames]
    content = [judged for frames, judged in rare if not frames]
    return {
        "stems": float(len(examples)),
        "framing_stems": float(y.sum()),
        "auc": round(float(roc_auc_score(y, probabilities)), 4),
        "threshold": cut,
        "rare_framing_judged_framing": round(sum(framing) / len(framing), 4) if framing else 0.0,
        "rare_content_judged_framing": round(sum(content) / len(content), 4) if content else 0.0,
    }
