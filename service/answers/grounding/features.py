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
from collections.abc import Callable
from dataclasses import dataclass

from service.answers.grounding.alignment import (
    Edit,
    align,
    candidates,
    closest,
    content_keys,
    coverage,
    key,
    uncovered_run,
    view,
)
from service.answers.grounding.entities import local_swaps
from service.answers.grounding.facts import is_year, numbers
from service.answers.grounding.novelty import NOVELTY, novelty, unmatched
from service.answers.grounding.novelty import words as novelty_words
from service.answers.grounding.places import place_words
from service.answers.grounding.polarity import negation_count
from service.answers.grounding.replacements import Replacement, read
from service.answers.grounding.similarity import SimilarityCache
from service.answers.grounding.slots import SLOTS, compare
from service.answers.grounding.tokens import split_clauses
from service.answers.grounding.valence import valence

SUPPORT = ("cov_min", "cov_mean", "cov_low", "aligned_cov_min", "run_max", "uncovered", "n_keys", "n_clauses")
EDITS = (
    "near_mean",
    "near_max",
    "replaced",
    "replaced_near",
    "replaced_same",
    "replaced_who",
    "replaced_thing",
    "replaced_listed",
    "replaced_scale",
    "replaced_turned",
    "one_change",
    "added_near",
    "negations_differ",
    "valence_gap",
)
SEMANTIC = ("sim_min", "sim_mean", "sim_low_cov")
LEXICAL_FEATURES = SUPPORT + EDITS + SLOTS
SEMANTIC_FEATURES = SUPPORT + EDITS + SEMANTIC + NOVELTY + SLOTS
_WHOLE_NEAR = 0.75  # a whole claim that copies this much of one unit is read as one copy
_CLOSE = 0.85  # a copy this close with one stretch replaced: the replacement is the claim's news
_NEAR = 0.5  # share of a clause's words matched in order that makes it a copy of its unit


def replacements(edits: list[Edit]) -> list[tuple[Edit, Replacement]]:
    """The words put in others' place in the clauses that are near copies, each read once."""
    found = [(e, read(a, b)) for e in edits if e.near >= _NEAR for a, b in e.replaced]
    return list({(r.said, r.instead): (e, r) for e, r in reversed(found)}.values())


def _copied(found: list[tuple[Edit, Replacement]], what: Callable[[Replacement], float]) -> float:
    """How close a copy holds a replacement of this kind: 0 at half its words copied, 1 at all,
    times ``what`` the replacement is (1.0 for yes, or how far it turns the judgement)."""
    return max((min(1.0, (e.near - _NEAR) / (1 - _NEAR)) * what(r) for e, r in found), default=0.0)


def _edit_values(
    clause_edits: list[Edit], edits: list[Edit], found: list[tuple[Edit, Replacement]]
) -> dict[str, float]:
    """A near copy (most words matched in order) in which words were put in others' place."""
    changed = [(e, r) for e, r in found if not r.same]
    return {
        "near_mean": sum(e.near for e in clause_edits) / len(clause_edits),
        "near_max": max(e.near for e in edits),
        "replaced": float(min(len(changed), 2)),
        "replaced_near": max((e.near for e, _ in changed), default=0.0),
        "replaced_same": float(min(len(found) - len(changed), 2)),
        "replaced_who": _copied(changed, lambda r: float(r.who)),
        "replaced_thing": _copied(changed, lambda r: float(r.thing and not r.who)),
        "replaced_listed": _copied(changed, lambda r: float(r.listed)),
        "replaced_scale": _copied(changed, lambda r: float(r.scale)),
        "replaced_turned": _copied(changed, lambda r: min(r.turned, 3.0)),
        "one_change": 1.0 if any(_one_change(e) for e in edits) else 0.0,
        "added_near": float(min(max((e.added for e in edits if e.near >= _NEAR), default=0), 5)),
    }


def _one_change(e: Edit) -> bool:
    """A close copy (``_CLOSE``) with exactly one short stretch put in another's place, and that
    one a changed fact of a kind the replacement reading knows (listed together, a scale, a
    turned judgement, who)."""
    if e.near < _CLOSE:
        return False
    changed = [read(a, b) for a, b in e.replaced if not read(a, b).same]
    if len(changed) != 1:
        return False
    r = changed[0]
    if len(r.instead.split()) > min(3, len(r.said.split()) + 1):
        return False
    return r.listed or r.scale or r.turned > 0.5 or r.who


def _valence_gap(clauses: list[str], units: list[str]) -> float:
    """How far a clause and the passage text it rests on lean opposite ways (0.0 when they agree)."""
    gaps = []
    for clause, unit in zip(clauses, units, strict=True):
        a, b = valence(clause), valence(unit)
        gaps.append(min(abs(a), abs(b)) if a * b < 0 else 0.0)
    return min(max(gaps), 4.0)


@dataclass(frozen=True)
class Signals:
    values: dict[str, float]
    slot_reasons: dict[str, str]
    weakest: str  # the weakest clause, for the reason when support is what fails
    weakest_detail: str


def _clause_keys(claim: str, clauses: list[str], passage: str) -> list[list[str]]:
    """Each clause's words as keys, less the council and year the claim names as context."""
    # The council and year a claim names as context are compared as slots (``slots``), not as words
    # the passage must hold: retrieved text seldom repeats whose report it is.
    context = {key(w) for w in place_words(claim)}
    if not any(is_year(n) for n in numbers(passage)):
        context |= {n for n in numbers(claim) if is_year(n)}
    return [[k for k in content_keys(c) if k not in context] or content_keys(c) for c in clauses]


def to_embed(claim: str, passage: str, min_clause_words: int, k: int = 3) -> list[str]:
    """The texts ``signals`` will embed for this claim and passage (to embed an answer's at once)."""
    pv = view(passage)
    clauses = split_clauses(claim, min_clause_words)
    keys = _clause_keys(claim, clauses, passage)
    news = [unmatched(c, ck, align(ck, pv)) for c, ck in zip(clauses, keys, strict=True)]
    return [*clauses, *(u for clause in keys for u in candidates(clause, pv, k)), *novelty_words(news)]


def signals(
    claim: str, passage: str, min_clause_words: int, similarity: SimilarityCache | None, k: int = 3
) -> Signals:
    """The signals of ``claim`` against ``passage``; ``k`` passage units per clause are compared by
    meaning when a ``similarity`` is given."""
    pv = view(passage)
    clauses = split_clauses(claim, min_clause_words)
    keys = _clause_keys(claim, clauses, passage)
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
        "n_clauses": float(min(len(clauses), 2)),  # more clauses: each must be covered, no more
    }
    nearest = [closest(c, pv) for c in clauses]
    edits = [e for _, e in nearest]
    # The claim as a whole too, when it is a closer copy than some clause: a copied sentence cut
    # into clauses copies each part less closely (claims stitched from fragments are the reverse).
    whole = closest(claim, pv)[1] if len(clauses) > 1 else edits[0]
    if whole.near < _WHOLE_NEAR or whole.near <= min(e.near for e in edits):
        whole = edits[0]
    found = replacements([*edits, whole])
    values.update(_edit_values(edits, [*edits, whole], found))
    values["valence_gap"] = _valence_gap(clauses, aligned)
    # Negation cues counted in each clause and the unit it rests on: "not" added or dropped.
    values["negations_differ"] = float(
        min(max(abs(negation_count(c) - negation_count(a)) for c, a in zip(clauses, aligned, strict=True)), 2)
    )
    weakest = min(range(len(clauses)), key=lambda i: (covs[i], -runs[i]))
    detail = f"coverage {covs[weakest]:.2f}"
    if similarity is not None:
        sims = [float(s) for s in similarity.best(clauses, [candidates(clause, pv, k) for clause in keys])]
        values["sim_min"] = min(sims)
        values["sim_mean"] = sum(sims) / len(sims)
        # A paraphrase: low word coverage but close in meaning.
        values["sim_low_cov"] = min(sims) * (1.0 - min(covs))
        # Words the aligned unit lacks: other words for what it says, or new facts (``novelty``).
        news = [unmatched(c, ck, a) for c, ck, a in zip(clauses, keys, aligned, strict=True)]
        values.update(novelty(news, similarity))
        weakest = min(range(len(clauses)), key=lambda i: covs[i] + sims[i])
        detail = f"coverage {covs[weakest]:.2f}, similarity {sims[weakest]:.2f}"
    reasons = compare(claim, passage, list(pv.sentences), aligned, [u for u, _ in nearest])
    # Who a near copy names against who its sentence names, rare names too (``entities.named``).
    local = [
        s for c, (u, e) in zip(clauses, nearest, strict=True) if e.near >= _NEAR for s in local_swaps(c, u)
    ]
    if local:
        said, other = local[0]
        reasons["entity_swap_copy"] = f"'{said.name}' where the passage sentence names '{other.name}'"
    changed = [r for _, r in found if not r.same]
    if changed:
        first = max(changed, key=lambda r: (r.scale, r.listed, r.turned > 0, r.who))
        reasons["replaced"] = f"'{first.said}' where the passage says '{first.instead}'"
    for slot in SLOTS:
        values[slot] = 1.0 if slot in reasons else 0.0
    return Signals(values, reasons, clauses[weakest], detail)
