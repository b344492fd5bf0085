"""Whether the evidence found answers the question: a calibrated decision from a few features.

The gate used to be a handful of thresholds tuned one dev question at a time; a misspelt or
unfamiliar word then looked like a rare word the reports lack, and the service declined. Now the
question is normalised first (``service.answers.normalise``), and the decision is a score over features
of the evidence with a threshold fitted on one set of questions and measured on others
(``inspectqa eval fit-abstention``; the fitted numbers live in ``abstention.json`` beside this
module, with what they were fitted on). Features, over the best ``TOP`` passages:

- ``cover``: the best sentence's share of the question's topic, each concept counted once (an
  abbreviation and its long form are one concept) and weighed by its rarity across the index;
- ``chunk_cover``: the same over a whole passage;
- ``dense``: the best cosine similarity between the question and a passage;
- ``agreement``: how far the dense and keyword retrievers agree on the best passages (their fused
  reciprocal-rank score, 1.0 when a passage leads both lists);
- ``missing``: the share of the topic's weight carried by rare words (idf ≥ ``RARE_IDF``) that no
  passage holds, and ``unknown``: the share carried by words the index has never seen at all;
- ``absent``: the part of ``missing`` carried by words that no passage of the *reports* the top
  passages come from holds either (a word elsewhere in the report is retrieval's miss, not a
  sign that the report lacks the fact: "since when has the trust run services" is answered by a
  sentence that says "operating since");
- ``reworded``: for a question with ``absent`` words, how much closer the best passages are to the
  question than to the question without those words (dense similarity, the best of ``TOP``): a
  passage that says the same in other words ("operated by the trust since 2018" for "run") is
  nearer with the word; one that only shares the rest of the question ("social workers' pay" and
  a passage on social workers) is not; never above 0 when the best passage is not about the
  question's subject at all (dense similarity below ``OFF_TOPIC_DENSE``);
- ``no_figure`` and ``no_person``: a "how many" question with no count near its topic, a "who was
  the director" question with no named person.

The topic leaves out the words that frame a question rather than name its subject: the listed
ones (``service.answers.lexicon.FRAMING_WORDS``, ``TONE_FRAMING``) and a rare word that no passage
found holds when the model learnt from the tuning questions judges it framing
(``service.answers.framing``: "anything *flagged* about help and protection", "*fine*, the 2024
report then: ..."), so a chat word is never counted as a fact the reports lack.

Whether the named council and year exist is decided before retrieval (``service.answers.planning``):
with none, there is nothing to weigh.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from service.answers.figures import figure_bonus
from service.answers.framing import Framing
from service.answers.lexicon import FRAMING_WORDS, MONEY_WORDS, TONE_FRAMING
from service.answers.records import Passage
from service.answers.text import ACRONYMS, sentence_spans, stem, stems

if TYPE_CHECKING:
    from service.answers.query import QueryIntent
    from service.answers.retrieval import Retriever, TermStats

TOP = 5
RARE_IDF = 4.5  # a word in under about 1% of passages
# The hand-set rules, used when no gate is fitted (tuned on the dev questions): below these, the
# best evidence found does not answer the question.
MIN_SENTENCE_COVER = 0.5
MIN_DENSE = 0.3
OFF_TOPIC_DENSE = 0.35  # nothing in the reports is even about the question's subject
RARE_SHARE = 0.2  # ...missing rare words must carry this much of the question's weight
FIGURE_COVER = 0.25  # a sentence with a count gives "the figure" when it holds this share of the topic
# A named person in the evidence, for "who was the director ...?" ("Mr ...", "Jane Smith, the director").
NAMED_PERSON = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Dr|Professor|Sir|Dame|Councillor|Cllr)\.? [A-Z][a-z]+|"
    r"\b[A-Z][a-z]+ [A-Z][a-z]+, (?:the |who is the )?"
    r"(?:director|chief executive|leader|head|chair|lead member)"
)
FEATURES = (
    "cover",
    "chunk_cover",
    "dense",
    "agreement",
    "missing",
    "unknown",
    "no_figure",
    "no_person",
    "absent",
    "reworded",
)
MODEL_FILE = Path(__file__).with_name("abstention.json")


@dataclass(frozen=True)
class Evidence:
    """The features of one question's evidence (see the module docstring)."""

    cover: float
    chunk_cover: float
    dense: float
    agreement: float
    missing: float
    unknown: float
    no_figure: float = 0.0
    no_person: float = 0.0
    absent: float = 0.0
    reworded: float = 0.0

    def vector(self) -> list[float]:
        return [float(getattr(self, name)) for name in FEATURES]

    def as_dict(self) -> dict[str, float]:
        return {name: round(float(getattr(self, name)), 4) for name in FEATURES}


def concepts(
    terms: Sequence[str], idf: Callable[[str], float], expansions: Mapping[str, str] | None = None
) -> list[tuple[frozenset[str], float]]:
    """The question's words as concepts (stems), an abbreviation and its long form counting once,
    each weighed by the idf of its rarest member."""
    out: list[tuple[frozenset[str], float]] = []
    covered: set[str] = set()
    table = {**ACRONYMS, **(expansions or {})}
    long_forms = {tuple(stem(w) for w in v.split()): k for k, v in table.items()}
    stemmed = [stem(t) for t in terms]
    for term, key in zip(terms, stemmed, strict=True):
        if key in covered:
            continue
        group = {key} | {stem(w) for w in table.get(term.lower(), "").split()}
        if term.lower().startswith(("un", "non")) and len(term) > 5:
            # "unclear" is said as "not always clear": the word without its negation counts too.
            rest = stem(term.lower().removeprefix("non").removeprefix("un").lstrip("-"))
            if idf(rest) < idf(key):
                group.add(rest)
        for words, abbr in long_forms.items():
            if key in words and all(w in stemmed for w in words):
                group |= set(words) | {stem(abbr)}
        group -= covered
        if not group:
            continue
        covered |= group
        out.append((frozenset(group), max(idf(t) for t in group)))
    return out


def measure(
    passages: Sequence[Passage],
    topic: list[tuple[frozenset[str], float]],
    known: Callable[[str], bool],
    analyse: Callable[[Passage], tuple[frozenset[str], Sequence[frozenset[str]]]],
    *,
    no_figure: bool = False,
    no_person: bool = False,
) -> Evidence:
    """The features of the best ``TOP`` passages for a question's ``topic`` concepts.

    ``analyse`` gives a passage's stems, whole and per sentence; ``known`` says whether a stem is
    a word of the index at all.
    """
    top = list(passages[:TOP])
    total = sum(w for _, w in topic) or 1.0
    best_sentence = best_chunk = 0.0
    present: set[str] = set()
    for passage in top:
        whole, sentences = analyse(passage)
        present |= whole
        best_chunk = max(best_chunk, sum(w for g, w in topic if g & whole) / total)
        for sentence in sentences:
            best_sentence = max(best_sentence, sum(w for g, w in topic if g & sentence) / total)
    missing = sum(w for g, w in topic if w >= RARE_IDF and not g & present) / total
    unknown = sum(w for g, w in topic if not any(known(s) for s in g)) / total
    dense = max((p.scores.get("dense", 0.0) for p in top), default=0.0)
    agreement = max((p.scores.get("rrf", 0.0) for p in top), default=0.0) * 61 / 2
    return Evidence(
        cover=best_sentence if topic else 1.0,
        chunk_cover=best_chunk if topic else 1.0,
        dense=dense,
        agreement=min(agreement, 1.5),
        missing=missing,
        unknown=unknown,
        no_figure=float(no_figure),
        no_person=float(no_person),
    )


def passage_stems(passage: Passage) -> tuple[frozenset[str], tuple[frozenset[str], ...]]:
    """A passage's stems, whole and per sentence (uncached: the retriever's cache is faster)."""
    text = passage.text
    return frozenset(stems(text)), tuple(frozenset(stems(text[a:b])) for a, b in sentence_spans(text))


# The designed part of the score (``Gate.design``): the topic's cover for, its missing rare and
# unknown words against, a missing figure or person decisive. The fitted gate
# (``evals.abstention.fit``) is a logistic regression over two inputs, this designed sum and
# ``reworded``: of the tuning questions that reach the gate only six are unanswerable (the rest
# are declined before it: no such council, no report that year), too few to learn a weight for
# every feature (fitted so, ``cover`` and ``dense`` came out negative).
WEIGHTS = {"cover": 1.0, "missing": -1.0, "unknown": -1.0, "no_figure": -10.0, "no_person": -10.0}
# The inputs of the fitted model, each a linear combination of ``FEATURES``.
INPUTS = {"design": WEIGHTS, "reworded": {"reworded": 1.0}}


@dataclass(frozen=True)
class Gate:
    """Declines when ``score`` (``intercept`` plus a weighted sum of the features: the log-odds
    that the evidence answers) is below ``threshold``. ``inspectqa eval fit-abstention`` fits the
    weights (a logistic regression over ``INPUTS``) and then the threshold, on questions that
    reached the gate, so that at most a chosen share (``target``) of the answerable ones is declined."""

    coef: tuple[float, ...]
    threshold: float
    target: float = 0.05
    fitted_on: str = ""
    intercept: float = 0.0

    @classmethod
    def design(cls, threshold: float, target: float = 0.05, fitted_on: str = "") -> Gate:
        return cls(tuple(WEIGHTS.get(name, 0.0) for name in FEATURES), threshold, target, fitted_on)

    @classmethod
    def combine(cls, weights: dict[str, float], intercept: float, threshold: float, **kw: Any) -> Gate:
        """The gate scoring ``intercept + Σ weights[input] × input`` (inputs named in ``INPUTS``)."""
        coef = [
            sum(w * INPUTS[name].get(feature, 0.0) for name, w in weights.items()) for feature in FEATURES
        ]
        return cls(tuple(coef), threshold, intercept=intercept, **kw)

    def score(self, evidence: Evidence) -> float:
        return self.intercept + sum(c * x for c, x in zip(self.coef, evidence.vector(), strict=True))

    def probability(self, evidence: Evidence) -> float:
        """The model's probability that the evidence answers (the logistic of ``score``)."""
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, self.score(evidence)))))

    def declines(self, evidence: Evidence) -> bool:
        return self.score(evidence) < self.threshold

    def to_json(self) -> dict[str, object]:
        return {
            "features": list(FEATURES),
            "coef": [round(c, 6) for c in self.coef],
            "intercept": round(self.intercept, 6),
            "threshold": self.threshold,
            "target": self.target,
            "fitted_on": self.fitted_on,
        }

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> Gate | None:
        """The fitted gate, or None when none has been fitted (or it names other features)."""
        if not path.is_file():
            return None
        data = json.loads(path.read_text())
        if list(data.get("features", [])) != list(FEATURES):
            return None
        return cls(
            coef=tuple(float(c) for c in data["coef"]),
            threshold=float(data["threshold"]),
            target=float(data.get("target", 0.05)),
            fitted_on=str(data.get("fitted_on", "")),
            intercept=float(data.get("intercept", 0.0)),
        )


def reason(evidence: Evidence, missing_words: Sequence[str]) -> str:
    """Why the evidence was judged not to answer, in words, from its weakest feature."""
    if evidence.no_person:
        return "The passages found name no one in that role."
    if evidence.no_figure:
        return "The passages found give no figure for what the question asks."
    if missing_words and (evidence.missing or evidence.unknown):
        return f"None of the passages found mentions {', '.join(repr(t) for t in missing_words[:3])}."
    if evidence.dense < 0.35:
        return "The retrieved passages are not about what the question asks."
    return "No retrieved passage says what the question asks about."


def expansions_of(intent: QueryIntent) -> dict[str, str]:
    """Each abbreviation of the question (documented or defined by the reports) → its long form."""
    table: dict[str, str] = {}
    for written, other in intent.expansions:
        if len(written.split()) == 1:
            table[written] = other
        elif len(other.split()) == 1:
            table[other] = written
    return table


# "How quickly", "how long", "how often": answered by a time, not only a count.
TIMING_ASKED = re.compile(r"\bhow (?:quickly|quick|long|often|soon|fast)\b", re.I)
DURATION = re.compile(
    r"\b(?:an?|one|two|three|four|five|six|\d+|a few|several)\s+(?:working\s+)?"
    r"(?:minutes?|hours?|days?|weeks?|months?|years?)\b|\b(?:daily|weekly|monthly|same day|next day)\b",
    re.I,
)


def subject_text(intent: QueryIntent) -> str:
    """The question with the councils it is about put before it when earlier turns named them.

    ``reworded`` compares the question with and without its absent words; "and what's their
    annual budget" without "annual budget" is "and what's their", near nothing at all, so the drop
    would credit any passage with saying the same in other words. With "Camden" before both, what
    is left is still about the council the passages are about, as it is for a question that names it.
    """
    if not intent.from_history or not intent.places:
        return intent.question
    names = " ".join(dict.fromkeys(p.display for p in intent.places))
    return f"{names} {intent.question}"


# A sum of money: "£2,000", "£3.5m", "2 million pounds".
MONEY = re.compile(r"£\s?\d|\b\d[\d,.]*\s?(?:pounds|million pounds|billion pounds)\b", re.I)


def asks_money(question: str) -> bool:
    """Whether a question's words ask about money (``MONEY_WORDS``): its figure must be a sum."""
    return any(w in MONEY_WORDS for w in re.findall(r"[a-z]+", question.lower()))


class Abstainer:
    """Decides whether the passages found answer an intent: the fitted ``Gate``, else the hand-set rules."""

    def __init__(
        self, stats: TermStats, retriever: Retriever, gate: Gate | None, framing: Framing | None = None
    ) -> None:
        self.stats = stats
        self.retriever = retriever
        self.gate = gate
        self.framing = framing

    def weak(self, intent: QueryIntent, passages: Sequence[Passage], trace: dict[str, float]) -> str | None:
        """Why the evidence does not answer the question, or None when it may.

        The fitted gate decides from the evidence's features, which are kept in ``trace`` (with
        the probability) for the evaluation and for fitting. Without a fitted model the hand-set
        rules below decide: nothing retrieved is close to the question; a distinctive word of it
        (rare across the reports, such as "salary") is in none of the passages found; or it asks
        for a figure or a named person (``intent.wants``) that no passage gives.
        """
        top = list(passages[:TOP])
        # A follow-up's own topic: the words it borrowed ("went back" of "was it still inadequate
        # when ofsted went back?") say what it continues, not what its answer must hold.
        own = [t for t in intent.terms if t not in intent.borrowed] or list(intent.terms)
        # Nor do the words that say how the findings are judged ("what was wrong with", "why was
        # the MASH struggling"): the tone of a sentence answers them, not the word itself.
        topic_terms = [t for t in own if t not in FRAMING_WORDS and t not in TONE_FRAMING]
        topic = concepts(topic_terms, self.stats.idf, expansions_of(intent))
        no_person = intent.wants.person and not any(NAMED_PERSON.search(p.text) for p in top)

        def analyse(passage: Passage) -> tuple[frozenset[str], tuple[frozenset[str], ...]]:
            analysis = self.retriever.analyse_text(passage.chunk_id, passage.text)
            return analysis.stems, analysis.sentences

        # Nor, learnt from the tuning questions, a rare word no passage holds that more likely
        # frames the question than names what it asks ("anything flagged about ...", "fine, ...").
        framed = self.framed(topic_terms, topic, {s for p in top for s in analyse(p)[0]})
        if framed:
            topic_terms = [t for t in topic_terms if t not in framed]
            topic = concepts(topic_terms, self.stats.idf, expansions_of(intent))
        no_figure = intent.wants.figure and not self.has_figure(intent, top, framed)
        evidence = measure(
            top,
            topic,
            lambda s: self.stats.frequencies.get(s, 0) > 0,
            analyse,
            no_figure=no_figure,
            no_person=no_person,
        )
        present: set[str] = set()
        for passage in top:
            present |= analyse(passage)[0]
        # A rare word is missing when nothing of its concept is there ("sif" is there as "single
        # inspection framework"); each concept named once.
        groups = {key: (group, weight) for group, weight in topic for key in group}
        missing: list[str] = []
        absent: list[tuple[str, float]] = []
        reports = sorted({p.report_id for p in top})
        seen: set[frozenset[str]] = set()
        for term in topic_terms:
            group, weight = groups.get(stem(term), (frozenset({stem(term)}), self.stats.idf(stem(term))))
            if group not in seen and weight >= RARE_IDF and not group & present:
                missing.append(term)
                if not self.in_reports(term, reports):
                    absent.append((term, weight))
            seen.add(group)
        if absent:
            # Passages far from the question's subject ("what is the capital of France?") cannot
            # show that they say a word otherwise (its removal moves their similarity by noise),
            # only that they lack it: there rewording counts against, never for.
            reworded = self.reworded(subject_text(intent), [t for t, _ in absent], top)
            if evidence.dense < OFF_TOPIC_DENSE:
                reworded = min(reworded, 0.0)
            evidence = replace(
                evidence,
                absent=sum(w for _, w in absent) / (sum(w for _, w in topic) or 1.0),
                reworded=reworded,
            )
        trace.update(evidence.as_dict())
        if self.gate is not None:
            score = self.gate.score(evidence)
            trace["score"] = round(score, 4)
            trace["probability"] = round(self.gate.probability(evidence), 4)
            return reason(evidence, missing) if score < self.gate.threshold else None
        best_cover = max((p.scores.get("sentence", 0.0) for p in top), default=0.0)
        best_dense = evidence.dense
        if best_dense < OFF_TOPIC_DENSE or (best_dense < MIN_DENSE and best_cover < MIN_SENTENCE_COVER):
            return "The retrieved passages are not about what the question asks."
        if topic_terms and best_cover < MIN_SENTENCE_COVER * 0.6:
            return "No retrieved passage mentions what the question asks about."
        weighty = evidence.missing >= RARE_SHARE
        if missing and weighty and best_cover < MIN_SENTENCE_COVER:
            return f"None of the passages found mentions {', '.join(repr(t) for t in missing[:3])}."
        if no_person:
            return "The passages found name no one in that role."
        if no_figure:
            return "The passages found give no figure for what the question asks."
        return None

    def framed(
        self, terms: Sequence[str], topic: Sequence[tuple[frozenset[str], float]], present: set[str]
    ) -> set[str]:
        """The rare words of ``terms`` that no passage holds (nor their concept) and that the learnt
        model (``service.answers.framing``) judges framing; none without a fitted model."""
        if self.framing is None:
            return set()
        out: set[str] = set()
        for term in terms:
            key = stem(term)
            group, weight = next(
                ((g, w) for g, w in topic if key in g), (frozenset({key}), self.stats.idf(key))
            )
            if weight >= RARE_IDF and not group & present and self.framing.frames(term):
                out.add(term)
        return out

    def in_reports(self, term: str, report_ids: Sequence[str]) -> bool:
        """Whether any passage of these reports holds the word (the index's keyword search)."""
        return bool(report_ids) and bool(self.retriever.index.lexical_search(term, 1, report_ids=report_ids))

    def reworded(self, question: str, words: Sequence[str], passages: Sequence[Passage]) -> float:
        """How much nearer the passages are to ``question`` than to it without ``words`` (best cosine)."""
        rows = np.asarray([int(p.scores["row"]) for p in passages if "row" in p.scores], dtype=np.int64)
        if not len(rows) or self.retriever.embedder is None:
            return 0.0
        drop = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\w*", re.I)
        without = " ".join(drop.sub(" ", question).split()) or question
        vectors = np.asarray(self.retriever.embedder.encode([question, without]), dtype=np.float32)
        index = self.retriever.index
        best = [
            max(
                (s for _, s in index.dense_search(vectors[i : i + 1], len(rows), row_ids=rows)[0]),
                default=0.0,
            )
            for i in range(2)
        ]
        return float(best[0] - best[1])

    def has_figure(
        self, intent: QueryIntent, passages: Sequence[Passage], framed: Collection[str] = ()
    ) -> bool:
        """Whether a sentence of the passages gives a count (not a date or an age) on the topic
        (less the ``framed`` words), or, for "how quickly" or "how long", a time ("within an
        hour", "up to two months"), or, for a question about money, a sum ("£2,000")."""
        timing = bool(TIMING_ASKED.search(intent.question))
        money = asks_money(intent.question)
        # The topic as the gate weighs it: an abbreviation and its long form ("eh", "early help") once.
        terms = [t for t in intent.terms if t not in FRAMING_WORDS and t not in framed]
        topic = concepts(terms, self.stats.idf, expansions_of(intent))
        total = sum(w for _, w in topic) or 1.0
        for passage in passages:
            for start, end in sentence_spans(passage.text):
                sentence = passage.text[start:end]
                if money:
                    if not MONEY.search(sentence):
                        continue  # "how much are they paid": a sum, not a count of something else
                elif not figure_bonus(sentence, frozenset()) and not (timing and DURATION.search(sentence)):
                    continue  # a count, not a date or an age; or the time asked for
                present = set(stems(sentence))
                if sum(w for group, w in topic if group & present) / total >= FIGURE_COVER:
                    return True
        return False
