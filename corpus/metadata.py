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
_MONTHS = (
    {name: index for index, name in enumerate(_MONTH_NAMES, 1)}
    | {name[:3]: index for index, name in enumerate(_MONTH_NAMES, 1)}
    | {"sept": 9}
)
_WORD_DATE = r"\d{1,2}\s+[A-Za-z]{3,9}\.?,?\s+\d{4}"  # 7 July 2016, 18 Feb 2014
_NUMERIC_DATE = r"\d{1,2}/\d{1,2}/\d{4}"  # 12/09/2016
_DATE = rf"(?:{_NUMERIC_DATE}|{_WORD_DATE})"
_START = (
    rf"(?:{_NUMERIC_DATE}|\d{{1,2}}(?:\s+[A-Za-z]{{3,9}}\.?)?(?:\s+\d{{4}})?)"  # 8 | 8 June | 8 June 2026
)
_RANGE_DASH = r"(?:to|and|–|—|─|-)"
_INSPECTION_DATES = re.compile(
    rf"Inspection dates?\s*:?\s*(?P<start>{_START})\s*(?:{_RANGE_DASH}\s*(?P<end>{_DATE}))?", re.IGNORECASE
)
_PUBLISHED = re.compile(
    rf"(?:Report published|Publication date|Published)\s*:?\s*(?P<date>{_DATE})", re.IGNORECASE
)
_STEM_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_SUFFIXES = re.compile(
    r"(?:,?\s+(?:metropolitan\s+)?(?:borough|county|city|district)?\s*council"
    r"|\s+metropolitan borough|\s+unitary authority|\s+children[’']?s services"
    r"|\s+safeguarding children board|,?\s+city of|\s+borough|\s+district|\s+city)$",
    re.IGNORECASE,
)
_PREFIXES = re.compile(
    r"^(?:the\s+)?(?:council of the\s+|london\s+borough\s+of\s+|royal\s+borough\s+of\s+"
    r"|metropolitan\s+borough\s+of\s+|borough\s+of\s+|city\s+of\s+(?!london\b)|the\s+)",
    re.IGNORECASE,
)
_ILACS_TITLE = re.compile(r"^Inspection of (.+?)(?: local authority)? children[’']?s services", re.IGNORECASE)
# Services run by a trust for the council: "Inspection of Bradford Children and Families Trust".
_TRUST_TITLE = re.compile(r"^Inspection of (.+?) Children and Families Trust\b", re.IGNORECASE)
# "Inspection of local authority children's services" (2018-2020) names no authority.
_NOT_NAMES = frozenset({"local authority", "the local authority", "local authority's", ""})
_RUN_ON_TITLE = re.compile(
    r"^(?:\d{1,3}\s+)?(.{2,60}?)\s+(?:Inspection of services for children|Inspection of children[’']?s social"
    r"|Inspection of local authority children[’']?s|Inspection of looked after children)",
    re.IGNORECASE,
)
_OLD_TITLE = re.compile(r"^(.+?) children[’']?s services inspection", re.IGNORECASE)
_GENERIC = re.compile(
    r"^(?:inspection|review|judgement|report|ofsted|contents|lead inspector|\d)", re.IGNORECASE
)
_SMALL = {"and", "of", "upon", "on", "with", "the", "in", "under"}


def parse_date(text: str, *, month: int | None = None, year: int | None = None) -> date | None:
    """ "7 July 2016", "18 Feb 2014", "12/09/2016" (day first, as in England); a start date
    written without its month or year ("8 to 19 June") takes them from the end date."""
    text = text.strip().rstrip(".,")
    numeric = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    try:
        if numeric:
            day, month_number, year_number = (int(part) for part in numeric.groups())
            return date(year_number, month_number, day)
        parts = re.split(r"[\s.,]+", text)
        day = int(parts[0])
        if len(parts) > 1 and not parts[1].isdigit():
            month = _MONTHS.get(parts[1].lower())
        if parts[-1].isdigit() and len(parts[-1]) == 4:
            year = int(parts[-1])
        return date(year, month, day) if month and year else None
    except ValueError:
        return None


def inspection_dates(text: str) -> tuple[date | None, date | None]:
    """ "Inspection dates: 8 to 19 June 2026" -> (2026-06-08, 2026-06-19); a single date is both."""
    match = _INSPECTION_DATES.search(text)
    if not match:
        return None, None
    if match.group("end") is None:
        single = parse_date(match.group("start"))
        return single, single
    end = parse_date(match.group("end"))
    if end is None:
        return None, None
    return parse_date(match.group("start"), month=end.month, year=end.year), end


def publication_date(text: str, stem: str = "") -> date | None:
    """ "Report published: 7 July 2016", else a date in the file name ("barnet-2019-07-01")."""
    match = _PUBLISHED.search(text)
    if match:
        found = parse_date(match.group("date"))
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
    name = name.replace("&", "and").replace("’", "'").replace(".", "")
    return re.sub(r"[\s-]+", " ", name).strip().lower()


def local_authority(first_page: str) -> str | None:
    """The authority named at the top of a report's first page, without "Council" and the like."""
    lines = [line.strip() for line in first_page.splitlines() if line.strip()]
    for line in lines[:8]:
        for pattern in (_ILACS_TITLE, _OLD_TITLE, _TRUST_TITLE):
            match = pattern.match(line)
            if match and match.group(1).strip().lower() not in _NOT_NAMES:
                return _strip_name(match.group(1))
    for line in lines[:3]:
        # A text file without line breaks runs the name into the title: "Southend-on-Sea Inspection
        # of services for children in need of help and protection, ...".
        match = _RUN_ON_TITLE.match(line)
        if match:
            return _strip_name(match.group(1))
    for line in lines[:4]:
        if not _GENERIC.match(line) and len(line) < 80 and not line.endswith("."):
            return _strip_name(line)
    return None


def _strip_name(name: str) -> str:
    name = _PREFIXES.sub("", _SUFFIXES.sub("", name.strip()))
    return name.strip(" ,")
