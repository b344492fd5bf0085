"""Sentence splitting and term matching for report text, shared by retrieval and answering.

Report text has numbered paragraphs ("27. Foster carers ..."), bullet lists, abbreviations
("e.g.", "Dr.") and figures ("2.5 days"), so the splitter works on character spans: every
sentence it yields is ``text[start:end]``, which keeps each citation's quote a verbatim span of
its passage. ``stem`` is deliberately crude (suffix stripping): it only has to make "reviews",
"reviewed" and "review" meet, for both the question and the passage.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "etc",
        "no",
        "nos",
        "dr",
        "mr",
        "mrs",
        "ms",
        "st",
        "vs",
        "cf",
        "approx",
        "para",
        "paras",
        "fig",
        "p",
        "pp",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "inc",
        "ltd",
    ]
)
_BOUNDARY = re.compile(r"([.!?])([’'\")\]]*)\s+(?=[“‘\"'(\[]?[A-Z0-9•▪●■◼◾◆])|\s*\n\s*")
_BULLET = re.compile(r"\s*(?:[•▪●■◼◾◆\-–]|\d{1,3}\.)\s+")
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_SUFFIXES = (
    "ational",
    "ations",
    "ation",
    "ments",
    "ment",
    "ness",
    "ings",
    "ing",
    "ies",
    "ied",
    "ers",
    "er",
    "ed",
    "es",
    "ly",
    "s",
)


# Suffixes before which English doubles a final consonant ("plan" → "planning", "refer" →
# "referred"); not "ff", "ll", "ss", "zz", which end words of their own ("staff" → "staffing").
_DOUBLING = frozenset(("ing", "ings", "ed"))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text``, trimmed of whitespace, bullets and numbers."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.group(1) == ".":
            before = text[max(0, match.start() - 12) : match.start()]
            word = re.split(r"[\s(]", before)[-1].lower()
            if word in _ABBREVIATIONS:
                continue
            if re.fullmatch(r"\d{1,3}", word) and _only_number_before(text, start, match.start()):
                # "27. Foster carers ..." — a paragraph number, not the end of a sentence.
                continue
        elif match.group(1) is None and _continues(text, match.start(), match.end()):
            continue
        end = match.end(2) if match.group(1) else match.start()
        spans.append((start, end))
        start = match.end()
    spans.append((start, len(text)))
    out = []
    for begin, end in spans:
        begin, end = _trim(text, begin, end)
        if end - begin >= 3:
            out.append((begin, end))
    return out


def _continues(text: str, before: int, after: int) -> bool:
    """A line break inside a sentence (a page break mid-sentence): lower case runs on."""
    previous = text[before - 1] if before > 0 else ""
    following = text[after] if after < len(text) else ""
    return bool(previous) and (previous.islower() or previous in ",;(") and following.islower()


def _only_number_before(text: str, start: int, position: int) -> bool:
    return bool(re.fullmatch(r"\s*\d{1,3}", text[start:position]))


def _trim(text: str, begin: int, end: int) -> tuple[int, int]:
    while begin < end and text[begin].isspace():
        begin += 1
    while end > begin and text[end - 1].isspace():
        end -= 1
    bullet = _BULLET.match(text, begin, end)
    if bullet:
        begin = bullet.end()
    return begin, end


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def fold(text: str) -> str:
    """Lower case, typographic quotes straightened, whitespace folded: for comparisons."""
    text = plain(text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"'))
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", text)
    return " ".join(text.lower().split())


@functools.lru_cache(maxsize=262_144)
def stem(word: str) -> str:
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            if suffix in _DOUBLING and word[-1] == word[-2] and word[-1] not in "aeiouflsz":
                word = word[:-1]  # "planning", "planned" meet "plans"; "referred" meets "refers"
            break
    else:
        if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) >= 4:
            word = word[:-1]  # "olds", "days": short plurals meet their singular
    # "agree"/"agreed", "take"/"taking", "house"/"housing" meet without their final e.
    if word.endswith("e") and len(word) >= 5:
        word = word[:-1]
    return word


def _accent_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {code: None for code in range(0x300, 0x370)}  # combining marks
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        if base != char and base.isascii() and base:
            table[code] = base
    return table


_ACCENTS = _accent_table()


def plain(text: str) -> str:
    """Accents dropped ("Café" → "Cafe"), whichever way the PDF encoded them."""
    return text if text.isascii() else text.translate(_ACCENTS)


def words(text: str) -> list[str]:
    return _WORD.findall(plain(text).lower().replace("’", "'"))


# Acronyms the reports use for their long forms ("IROs' caseloads" answers a question about
# "independent reviewing officers' caseloads"): an acronym also counts as its long form's words.
ACRONYMS = {
    "iro": "independent reviewing officer",
    "iros": "independent reviewing officers",
    "mash": "multi agency safeguarding hub",
    "lado": "local authority designated officer",
    "cse": "child sexual exploitation",
    "plo": "public law outline",
    "dcs": "director of children's services",
    "lscb": "local safeguarding children board",
    "uasc": "unaccompanied asylum seeking children",
    "neet": "not in education employment or training",
    "ehcp": "education health and care plan",
    "sgo": "special guardianship order",
    "camhs": "child and adolescent mental health services",
    "rhi": "return home interview",
    "rhis": "return home interviews",
    "pa": "personal adviser",
    "pas": "personal advisers",
}
_EXPANDED = {key: [stem(w) for w in value.split()] for key, value in ACRONYMS.items()}


def stems(text: str) -> list[str]:
    out: list[str] = []
    for word in words(text):
        out.append(stem(word))
        expansion = _EXPANDED.get(word)
        if expansion:
            out.extend(expansion)
    return out


def clean_sentence(text: str) -> str:
    """A sentence as it reads in an answer: whitespace folded, hyphenated line breaks joined."""
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
    return " ".join(text.split())
