"""How well a passage supports each clause of a claim: word coverage, then embedding similarity.

The share of a clause's content words that its passage holds settles most sentences, since cited
sentences are mostly near-verbatim. Where it does not, the clause's best cosine similarity to a
passage sentence lets a paraphrase through, unless the clause carries a run of new words in a row,
which reads as an added detail rather than a rewording. Each clause gets a score in 0..1 with 0.5
as the decision boundary, so that one number per claim (its weakest clause) says how well it is
supported. The thresholds were tuned on the dev split of ``evals/data/grounding_pairs.jsonl`` only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    """Clause settings. ``GroundingChecker`` reads ``min_clause_words`` and ``candidates`` only (the
    fitted model in ``model`` decides support); the rest serve ``weakest_clause``, kept for its callers."""

    coverage: float = 0.75  # lexical coverage that supports a clause on its own
    similarity: float = 0.6  # embedding similarity that supports a clause...
    coverage_with_similarity: float = 0.4  # ...when at least this much of it is also covered
    min_clause_words: int = 3  # shorter fragments are judged with their neighbour
    candidates: int = 3  # passage units per clause compared by meaning (those best by words)
    max_uncovered_run: int = 3  # this many new content words in a row read as an added detail...
    similarity_despite_run: float = 0.85  # ...unless the clause is this close to a passage sentence


def coverage(claim_stems: list[str], passage_stems: set[str]) -> float:
    """The share of the claim's content stems that the passage holds (1.0 for a claim with none)."""
    if not claim_stems:
        return 1.0
    return sum(1 for s in claim_stems if s in passage_stems) / len(claim_stems)


def uncovered_run(claim_stems: list[str], passage_stems: set[str]) -> int:
    """The longest run of consecutive content words of the claim that the passage lacks: an added
    detail ("... has led to several prosecutions") shows as a run, a paraphrase as scattered words."""
    longest = run = 0
    for s in claim_stems:
        run = run + 1 if s not in passage_stems else 0
        longest = max(longest, run)
    return longest


def needs_similarity(coverage_of_clause: float, t: Thresholds) -> bool:
    """Words alone do not settle this clause: covered too little to pass, too much to fail."""
    return t.coverage_with_similarity <= coverage_of_clause < t.coverage


def clause_score(coverage: float, similarity: float | None, uncovered_run: int, t: Thresholds) -> float:
    """Map a clause's coverage (and similarity) to 0..1 where 0.5 is the decision boundary."""
    lexical = 0.5 * coverage / t.coverage if coverage < t.coverage else 0.5 + 0.5 * coverage
    if uncovered_run >= t.max_uncovered_run:
        lexical = min(lexical, 0.45)
    if similarity is None or coverage < t.coverage_with_similarity:
        return min(lexical, 1.0)
    if uncovered_run >= t.max_uncovered_run and similarity < t.similarity_despite_run:
        return min(lexical, 0.5 * similarity / t.similarity_despite_run)
    semantic = 0.5 * similarity / t.similarity if similarity < t.similarity else 0.5 + 0.5 * float(similarity)
    return min(max(lexical, semantic), 1.0)


def weakest_clause(
    clauses: list[str],
    stems: list[list[str]],
    passage_stems: set[str],
    similarities: list[float | None],
    t: Thresholds,
) -> tuple[float, str]:
    """The lowest clause score and, when below 1.0, which clause and why."""
    worst, why = 1.0, "supported"
    for i, clause in enumerate(clauses):
        covered = coverage(stems[i], passage_stems)
        run = uncovered_run(stems[i], passage_stems)
        score = clause_score(covered, similarities[i], run, t)
        if score < worst:
            worst = score
            sim = f", similarity {similarities[i]:.2f}" if similarities[i] is not None else ""
            why = f"clause '{_short(clause)}' not supported (coverage {covered:.2f}{sim})"
    return worst, why


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
