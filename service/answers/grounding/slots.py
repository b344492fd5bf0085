"""Compare the slots of a claim with those of the passage text it is aligned with.

Each comparison is one cheap, explicit test that names what changed: a number, year, month, grade
or council the passage does not hold; a negation or an opposite word (``polarity``); a quantity or
frequency moved along its scale ("most" for "some", "rarely" for "often"); a team, agency, role or
group of children swapped for another member of its class (``entities``). Each gives a feature for
the fitted model (``model``) and, when it fires, the reason shown to the user.
"""

from __future__ import annotations

import itertools
import re

from service.answers.grounding.entities import swaps, unmatched
from service.answers.grounding.facts import grades, is_year, months, numbers
from service.answers.grounding.places import places
from service.answers.grounding.polarity import polarity_conflict
from service.answers.grounding.tokens import words
from service.answers.grounding.vocabulary import FREQUENCY, NEGATIONS, PROPORTION

SLOTS = (
    "number",
    "number_elsewhere",
    "year",
    "month",
    "grade",
    "place",
    "negation",
    "antonym",
    "quantity",
    "quantity_added",
    "entity_swap",
    "entity_swap_aligned",
    "entity_swap_copy",
    "entity_missing",
)


_TOP = 5  # the top step of both scales: "always", "all"


def _ranked(text: str, scale: dict[str, int]) -> dict[str, int]:
    tokens = words(text)
    found = {w: scale[w] for w in tokens if w in scale}
    found.update(
        {f"{a} {b}": scale[f"{a} {b}"] for a, b in itertools.pairwise(tokens) if f"{a} {b}" in scale}
    )
    for phrase in [p for p in found if " " in p]:  # "small minority" ranks as itself, not as "minority"
        found.pop(phrase.split()[1], None)
    for i, word in enumerate(tokens):  # "not always", "do not give every": any step short of the top
        if scale.get(word) == _TOP and any(
            t in NEGATIONS or t.endswith("n't") for t in tokens[max(0, i - 3) : i]
        ):
            found.pop(word, None)
            found.update({f"not {word}~{step}": step for step in range(1, _TOP)})
    return found


def _percent_steps(text: str) -> dict[str, int]:
    """Percentages as steps of the proportion scale: "84%" is "most", "12%" "a few", "100%" "all"."""
    out = {}
    for value in numbers(text):
        if value.endswith("%"):
            share = float(value.rstrip("%"))
            steps = (0,) if share == 0 else (1,) if share < 25 else (2,) if share < 50 else (3, 4)
            steps = (5,) if share >= 100 else (4,) if share >= 70 else steps
            out.update({f"{value}~{step}": step for step in steps})
    return out


# "All" and "every" that quantify nothing: "above all", "at all", "each day" (a frequency).
_NOT_QUANTITIES = re.compile(
    r"\b(?:above all|at all|after all|all but"
    r"|(?:each|every) (?:day|week|fortnight|month|year|time|occasion))\b"
)


def _bare(word: str) -> str:
    return word.split("~")[0].removeprefix("not ")


def _quantity_change(claim: str, aligned: str) -> tuple[str, str] | None:
    """A quantity or frequency of the claim on another step of its scale than the passage's
    (``quantity``), or an "all"/"always" where the passage gives none (``quantity_added``)."""
    claim = _NOT_QUANTITIES.sub(" ", claim.lower())
    for scale in (FREQUENCY, PROPORTION):
        said, have = _ranked(claim, scale), _ranked(aligned, scale)
        if scale is PROPORTION:
            have.update(_percent_steps(aligned))
        steps: dict[str, set[int]] = {}  # each quantity of the claim with the steps it may mean
        for word, rank in said.items():
            steps.setdefault(word.split("~")[0], set()).add(rank)
        # "all" for "not all" is a negation turned over (the negation slot's), not a step moved.
        theirs = {h.split("~")[0] for h in have}
        for word, ranks in sorted(steps.items()):
            if word not in theirs and _bare(word) in {_bare(h) for h in theirs}:
                continue
            if have and not ranks & set(have.values()):
                return "quantity", f"'{word}' changes how many or how often the passage says"
            if not have and _TOP in ranks:
                return "quantity_added", f"'{word}' says more than the passage does"
    return None


# "Good" is a grade where something is judged good, not in "good use" or "a good rapport".
_JUDGED = re.compile(
    r"\b(?:is|are|was|were|be|been|being|remains?|remained|judged|rated|graded|as|now)\s+"
    r"(?:(?:now|still|also|consistently|overall|judged|rated)\s+)?good\b(?!\s+(?:at|use|quality|and\s+\w+ing))"
)


def _grade_change(claim: str, passage: str) -> str | None:
    said, have = grades(claim), grades(passage)
    missing = said - have
    if missing == {"good"} and not have and not _JUDGED.search(" ".join(claim.lower().split())):
        return None
    return f"grade '{sorted(missing)[0]}' not in passage" if missing else None


def compare(
    claim: str, passage: str, sentences: list[str], aligned: list[str], copied: list[str]
) -> dict[str, str]:
    """The slots of ``claim`` that differ from the passage, each with its reason.

    ``aligned`` are the passage units the claim's clauses rest on (``alignment.align``), ``copied``
    those they are the nearest copies of (``alignment.closest``).
    """
    out: dict[str, str] = {}
    claim_numbers, passage_numbers = numbers(claim), numbers(passage)
    passage_years = {n for n in passage_numbers if is_year(n)}
    bare = {p.rstrip("%") for p in passage_numbers}
    aligned_text = " ".join(aligned)
    aligned_numbers = {n.rstrip("%") for n in numbers(aligned_text)}
    for value in sorted(claim_numbers):
        if is_year(value):
            if value not in passage_numbers and passage_years:
                out.setdefault("year", f"year {value} not in passage")
        elif value.rstrip("%") not in bare:
            out.setdefault("number", f"number {value} not in passage")
        elif value.rstrip("%") not in aligned_numbers:
            out.setdefault("number_elsewhere", f"number {value} is about something else in the passage")
    passage_months = months(passage)
    missing_months = months(claim) - passage_months
    if missing_months and passage_months:
        out["month"] = f"month {sorted(missing_months)[0]} not in passage"
    grade = _grade_change(claim, passage)
    if grade:
        out["grade"] = grade
    claim_places, passage_places = places(claim), places(passage)
    if claim_places - passage_places and passage_places:
        out["place"] = f"place {sorted(claim_places - passage_places)[0]} not in passage"
    polarity = polarity_conflict(claim, sentences)
    if polarity:
        out["negation" if polarity.startswith("negation") else "antonym"] = polarity
    quantity = _quantity_change(claim, aligned_text)
    if quantity:
        out[quantity[0]] = quantity[1]
    swapped = swaps(claim, passage)
    if swapped:
        said, other = swapped[0]
        out["entity_swap"] = f"'{said.name}' where the passage names '{other.name}'"
    else:
        local = swaps(claim, " ".join(dict.fromkeys(copied)))
        if local:
            said, other = local[0]
            out["entity_swap_aligned"] = f"'{said.name}' where the passage sentence names '{other.name}'"
        missing = unmatched(claim, passage)
        if missing:
            out["entity_missing"] = f"'{missing[0].name}' not in passage"
    return out
