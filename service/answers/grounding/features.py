"""The signals the fitted model weighs, for one claim against one passage.

Support, per clause of the claim (so an added clause cannot hide behind a well-supported one), on
the clause's lemmas: how much of it the passage holds, how much the passage unit it aligns with
holds, the longest run of new words (an added detail shows as a run, a rewording as scattered
words) and, with an embedder, the clause's best similarity to a passage sentence. The claim gets
its weakest clause's figures and their mean. Slots (``slots``): one feature per kind of changed
fact, 1.0 when it fires.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from service.answers.grounding.alignment import (
    Edit,
    align,
    content_keys,
    coverage,
    edit,
    key,
    uncovered_run,
    view,
)
from service.answers.grounding.entities import CLASS_HEADS
from service.answers.grounding.facts import is_year, numbers
from service.answers.grounding.lemmas import lemma
from service.answers.grounding.places import place_words
from service.answers.grounding.polarity import negation_count
from service.answers.grounding.similarity import SimilarityCache
from service.answers.grounding.slots import SLOTS, compare
from service.answers.grounding.tokens import split_clauses

SUPPORT = ("cov_min", "cov_mean", "cov_low", "aligned_cov_min", "run_max", "uncovered", "n_keys", "n_clauses")
EDITS = ("near_mean", "replaced", "replaced_near", "replaced_who", "added_near", "negations_differ")
_WHO = frozenset().union(*CLASS_HEADS.values())
SEMANTIC = ("sim_min", "sim_mean", "sim_low_cov")
LEXICAL_FEATURES = SUPPORT + EDITS + SLOTS
SEMANTIC_FEATURES = SUPPORT + EDITS + SEMANTIC + SLOTS


def _who(span: str) -> bool:
    """A span that names who: a head noun of a class, an acronym or a capitalised name."""
    return any(
        lemma(w.lower()) in _WHO or (len(w) >= 2 and w.isupper()) or (i > 0 and w[:1].isupper())
        for i, w in enumerate(span.split())
    )


def _edit_values(edits: list[Edit]) -> dict[str, float]:
    """A near copy (most words matched in order) in which words were put in others' place."""
    near = [e for e in edits if e.near >= 0.5]
    replaced = [pair for e in near for pair in e.replaced]
    return {
        "near_mean": sum(e.near for e in edits) / len(edits),
        "replaced": float(min(len(replaced), 2)),
        "replaced_near": max((e.near for e in near if e.replaced), default=0.0),
        "replaced_who": 1.0 if any(_who(a) or _who(b) for a, b in replaced) else 0.0,
        "added_near": float(min(max((e.added for e in near), default=0), 5)),
    }


@dataclass(frozen=True)
class Signals:
    values: dict[str, float]
    slot_reasons: dict[str, str]
    weakest: str  # the weakest clause, for the reason when support is what fails
    weakest_detail: str


def signals(claim: str, passage: str, min_clause_words: int, similarity: SimilarityCache | None) -> Signals:
    pv = view(passage)
    clauses = split_clauses(claim, min_clause_words)
    # The council and year a claim names as context are compared as slots (``slots``), not as words
    # the passage must hold: retrieved text seldom repeats whose report it is.
    context = {key(w) for w in place_words(claim)}
    if not any(is_year(n) for n in numbers(passage)):
        context |= {n for n in numbers(claim) if is_year(n)}
    keys = [[k for k in content_keys(c) if k not in context] or content_keys(c) for c in clauses]
    aligned = [align(k, pv) for k in keys]
    covs = [coverage(k, pv.keys) for k in keys]
    aligned_covs = [coverage(k, frozenset(content_keys(a))) for k, a in zip(keys, aligned, strict=True)]
    runs = [uncovered_run(k, pv.keys) for k in keys]
    values: dict[str, float] = {
        "cov_min": min(covs),
        "cov_mean": sum(covs) / len(covs),
        "aligned_cov_min": min(aligned_covs),
        "run_max": float(min(max(runs), 6)),
        # Most of a clause missing from the passage: invented, however many words it has.
        "cov_low": max(0.0, 0.5 - min(covs)),
        "uncovered": float(min(sum(1 for k in keys for s in k if s not in pv.keys), 4)),
        "n_keys": math.log1p(sum(len(k) for k in keys)),
        "n_clauses": float(min(len(clauses), 4)),
    }
    edits = [edit(c, a) for c, a in zip(clauses, aligned, strict=True)]
    values.update(_edit_values(edits))
    # Negation cues counted in each clause and the unit it rests on: "not" added or dropped.
    values["negations_differ"] = float(
        min(max(abs(negation_count(c) - negation_count(a)) for c, a in zip(clauses, aligned, strict=True)), 2)
    )
    weakest = min(range(len(clauses)), key=lambda i: (covs[i], -runs[i]))
    detail = f"coverage {covs[weakest]:.2f}"
    if similarity is not None:
        sims = [float(s) for s in similarity.best(clauses, passage, list(pv.sentences))]
        values["sim_min"] = min(sims)
        values["sim_mean"] = sum(sims) / len(sims)
        # A paraphrase: low word coverage but close in meaning.
        values["sim_low_cov"] = min(sims) * (1.0 - min(covs))
        weakest = min(range(len(clauses)), key=lambda i: covs[i] + sims[i])
        detail = f"coverage {covs[weakest]:.2f}, similarity {sims[weakest]:.2f}"
    reasons = compare(claim, passage, list(pv.sentences), aligned)
    replaced = [pair for e in edits if e.near >= 0.5 for pair in e.replaced]
    if replaced:
        said, instead = replaced[0]
        reasons["replaced"] = f"'{said}' where the passage says '{instead}'"
    for slot in SLOTS:
        values[slot] = 1.0 if slot in reasons else 0.0
    return Signals(values, reasons, clauses[weakest], detail)
