"""Words the reports list side by side, so that one put in the other's place is a changed fact.

Inspectors list the members of a set together ("neglect, domestic abuse and exploitation",
"adoption and special guardianship", "senior and frontline managers") and never two words for one
thing; the pairs listed together in enough reports are mined into ``data/coordinated.json`` by
``evals/mine_coordination.py``. A claim that copies its passage but for "fostering" where the passage
says "adoption" names another member of the set; "funding" for "money" is a rewording, and never
listed so.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from service.answers.grounding.alignment import content_keys

_DATA = Path(__file__).with_name("data") / "coordinated.json"


@lru_cache(maxsize=1)
def _pairs() -> frozenset[tuple[str, str]]:
    data = json.loads(_DATA.read_text(encoding="utf-8"))["coordinated"]
    return frozenset((a, b) for a, partners in data.items() for b in partners)


def coordinated(said: str, instead: str) -> bool:
    """Some word of ``said`` is listed beside some word of ``instead`` in the reports (and the two
    spans share no word: "senior managers" for "managers" is not a swap)."""
    a, b = set(content_keys(said)), set(content_keys(instead))
    if not a or not b or a & b or len(a) > 3:
        return False
    pairs = _pairs()
    return any(((x, y) if x < y else (y, x)) in pairs for x in a for y in b)
