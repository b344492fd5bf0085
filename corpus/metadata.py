"""Metadata a report states about itself: its local authority and its dates.

Used for plain folders (no manifest) and to give manifest names their written form. Ofsted's
first pages name the authority in a few ways over the years: "Southend-on-Sea Borough Council"
(2018-2021), "Inspection of Hull local authority children's services" (2022+), "Southend-on-Sea"
or "Essex County Council" above "Inspection of services for children in need..." (2014-2017),
"London Borough of Barnet".
"""

from __future__ import annotations

import re
from datetime import date

_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_MONTHS = {name: index for index, name in enumerate(_MONTH_NAMES, 1)}
_DATE = r"(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})"
_SHORT_START = r"(\d{1,2})(?:\s+([A-Za-z]+))?(?:\s+(\d{4}))?"
_INSPECTION_DATES = re.compile(
    r"Inspection dates?\s*:?\s*" + _SHORT_START + r"\s*(?:to|–|-|and)\s*" + _DATE, re.IGNORECASE
)
_PUBLISHED = re.compile(r"(?:Report published|Publication date|Published)\s*:?\s*" + _DATE, re.IGNORECASE)
_STEM_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_SUFFIXES = re.compile(
    r"\s+(?:metropolitan\s+)?(?:borough|county|city|district)?\s*council$|\s+council$", re.IGNORECASE
)
_PREFIXES = re.compile(
    r"^(?:the\s+)?(?:london\s+borough\s+of|royal\s+borough\s+of|city\s+of)\s+", re.IGNORECASE
)
_ILACS_TITLE = re.compile(r"^Inspection of (.+?) local authority children[’']?s services", re.IGNORECASE)
_OLD_TITLE = re.compile(r"^(.+?) children[’']?s services inspection", re.IGNORECASE)
_GENERIC = re.compile(
    r"^(?:inspection|review|judgement|report|ofsted|contents|lead inspector|\d)", re.IGNORECASE
)
_SMALL = {"and", "of", "upon", "on", "with", "the", "in", "under"}


def _date(day: str, month: str, year: str) -> date | None:
    number = _MONTHS.get(month.lower())
    try:
        return date(int(year), number, int(day)) if number else None
    except ValueError:
        return None


def inspection_dates(text: str) -> tuple[date | None, date | None]:
    """ "Inspection dates: 8 to 19 June 2026" -> (2026-06-08, 2026-06-19)."""
    match = _INSPECTION_DATES.search(text)
    if not match:
        return None, None
    day, month, year, end_day, end_month, end_year = match.groups()
    end = _date(end_day, end_month, end_year)
    start = _date(day, month or end_month, year or end_year)
    return start, end


def publication_date(text: str, stem: str = "") -> date | None:
    """ "Report published: 7 July 2016", else a date in the file name ("barnet-2019-07-01")."""
    match = _PUBLISHED.search(text)
    if match:
        found = _date(*match.groups())
        if found:
            return found
    stem_match = _STEM_DATE.search(stem)
    if stem_match:
        try:
            return date(*(int(part) for part in stem_match.groups()))
        except ValueError:
            return None
    return None


def display_name(name: str) -> str:
    """ "southend-on-sea" -> "Southend-on-Sea", "barking and dagenham" -> "Barking and Dagenham"."""
    words = []
    for index, word in enumerate(name.strip().split()):
        parts = word.split("-")
        shaped = [
            part if part in _SMALL and (index or position) else part[:1].upper() + part[1:]
            for position, part in enumerate(parts)
        ]
        words.append("-".join(shaped))
    return " ".join(words)


def normalise_authority(name: str) -> str:
    """A comparable form: lower case, no "Borough Council" and the like, "&" spelled "and"."""
    name = _PREFIXES.sub("", _SUFFIXES.sub("", name.strip()))
    name = name.replace("&", "and").replace("’", "'")
    return re.sub(r"[\s-]+", " ", name).strip().lower()


def local_authority(first_page: str) -> str | None:
    """The authority named at the top of a report's first page, without "Council" and the like."""
    lines = [line.strip() for line in first_page.splitlines() if line.strip()]
    for line in lines[:8]:
        for pattern in (_ILACS_TITLE, _OLD_TITLE):
            match = pattern.match(line)
            if match:
                return _strip_name(match.group(1))
    for line in lines[:4]:
        if not _GENERIC.match(line) and len(line) < 80 and not line.endswith("."):
            return _strip_name(line)
    return None


def _strip_name(name: str) -> str:
    name = _PREFIXES.sub("", _SUFFIXES.sub("", name.strip()))
    return name.strip(" ,")
