"""Hard contradictions: one explicit fact of the claim that its passage gives otherwise.

Each test is cheap and decisive: a number, percentage or date the passage does not hold, a grade
it does not give, a council it does not name while naming another, or a negation or opposite word
that differs from the passage sentences the claim is about. Any one makes the claim unsupported,
however many of its other words the passage covers.
"""

from __future__ import annotations

from service.answers.grounding.facts import grades, is_year, months, numbers
from service.answers.grounding.places import places
from service.answers.grounding.polarity import polarity_conflict


def contradiction(claim: str, passage: str, sentences: list[str]) -> str | None:
    """Why the claim contradicts the passage (``sentences`` are the passage's), or ``None``."""
    claim_numbers, passage_numbers = numbers(claim), numbers(passage)
    passage_years = {n for n in passage_numbers if is_year(n)}
    for value in sorted(claim_numbers - passage_numbers):
        if is_year(value):
            # A year the passage does not mention is context (the report's date), unless the
            # passage dates things and never with this year.
            if passage_years:
                return f"year {value} not in passage"
        elif value.rstrip("%") not in {p.rstrip("%") for p in passage_numbers}:
            return f"number {value} not in passage"
    passage_months = months(passage)
    missing_months = months(claim) - passage_months
    if missing_months and passage_months:
        return f"month {sorted(missing_months)[0]} not in passage"
    missing_grades = grades(claim) - grades(passage)
    if missing_grades:
        return f"grade '{sorted(missing_grades)[0]}' not in passage"
    claim_places, passage_places = places(claim), places(passage)
    if claim_places - passage_places and passage_places:
        return f"place {sorted(claim_places - passage_places)[0]} not in passage"
    return polarity_conflict(claim, sentences)
