"""The index's own vocabulary: the words its reports use, how often, and the abbreviations they define.

Questions are typed with misspellings ("registerd"), sector shorthand ("CiC", "PLO", "RAA") and
council names in lower case ("bury"). What counts as a real word, which abbreviation stands for
what and whether "bury" is a place are all read from the reports of the index being served, once
when the service starts, so that a new corpus needs no code change:

- ``frequencies``: in how many passages each surface word (lower case, no stemming) appears. The
  spelling corrector (``service.answers.normalise``) corrects a question word only towards these.
- ``definitions``: abbreviations the reports define, "regional adoption agency (RAA)", found by
  matching the letters in brackets against the initials of the words before them; the most
  common long form wins. ``SECTOR_ABBREVIATIONS`` adds the few that people type but the reports
  seldom spell out.
- ``capitalised``: for each word, the share of its occurrences inside a sentence that were written
  with a capital letter: "Bury" (the council, 1.0) against "reading" (a word, about 0.05).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.answers.text import ACRONYMS

VERSION = 1  # of what ``learn`` extracts: a change makes cached vocabularies stale

# Abbreviations people type that the reports rarely define (or define in too many ways to learn),
# on top of ``service.answers.text.ACRONYMS`` (which both sides of retrieval already expand). Sources: the
# Ofsted inspection framework's glossary and the sector's common usage (DfE statistics releases).
SECTOR_ABBREVIATIONS: dict[str, str] = {
    "cic": "children in care",
    "lac": "looked after children",
    "cla": "children looked after",
    "cin": "children in need",
    "cp": "child protection",
    "cpp": "child protection plan",
    "eet": "education employment or training",
    "cce": "child criminal exploitation",
    "send": "special educational needs and disabilities",
    "icb": "integrated care board",
    "asye": "assessed and supported year in employment",
    "dfe": "department for education",
    "yot": "youth offending team",
    "yos": "youth offending service",
    "raa": "regional adoption agency",
    "la": "local authority",
    "las": "local authorities",
    "sw": "social worker",
    "sws": "social workers",
    "fgm": "female genital mutilation",
    "lscp": "local safeguarding children partnership",
    "marac": "multi agency risk assessment conference",
    "mappa": "multi agency public protection arrangements",
    "ehc": "education health and care",
    "uasc": "unaccompanied asylum seeking children",
}
# Abbreviations written in capitals only: as lower-case words they are ordinary English.
CAPITALS_ONLY = frozenset({"send", "la", "las", "cp", "sw"})

# "(RAA)", "(CiC)", "(IROs)": two to seven letters, starting with a capital.
_DEFINED = re.compile(r"\(([A-Z][A-Za-z]{1,6})\)")
_SMALL = frozenset({"and", "of", "the", "for", "in", "with", "to", "on", "or", "a", "at", "by"})
_WORDS = re.compile(r"[a-z0-9]+")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;•]\s*|\n\s*)$")


def english_words(folder: Path | None) -> frozenset[str]:
    """Whole words of the embedding model's WordPiece vocabulary (``vocab.txt``, about 20,000 of
    them): English as the model knows it, so "dentist" is a word even where no report uses it."""
    path = folder / "vocab.txt" if folder is not None else None
    if path is None or not path.is_file():
        return frozenset()
    words = path.read_text(encoding="utf-8").split("\n")
    return frozenset(w for w in words if len(w) >= 2 and w.isalpha() and w.isascii() and w.islower())


def _long_form(before: str, letters: str) -> str | None:
    """The words ending ``before`` whose initials spell ``letters``; small words ("and", "of") may
    be skipped or spell a letter: "Children's Advice and Duty Service" for "CADS"."""
    words = [w.strip("’'").lower() for w in re.split(r"[\s,/-]+", before.strip())]
    words = [w for w in words if w][-12:]
    letters = letters.lower()

    def spell(end: int, remaining: str) -> int | None:
        """Index of the first word when words[:end] end with a spelling of ``remaining``."""
        if not remaining:
            return end
        if end == 0:
            return None
        word = words[end - 1]
        if word[0] == remaining[-1]:
            found = spell(end - 1, remaining[:-1])
            if found is not None:
                return found
        if word in _SMALL and end < len(words):
            return spell(end - 1, remaining)
        return None

    for target in dict.fromkeys(
        (letters, letters[:-1] if letters.endswith("s") and len(letters) > 2 else letters)
    ):
        first = spell(len(words), target)
        if first is not None and words[first] not in _SMALL:
            return " ".join(words[first:]).replace("’s", "'s")
    return None


@dataclass
class Vocabulary:
    """What the reports of one index say about words; built once per service."""

    frequencies: Counter[str] = field(default_factory=Counter)
    definitions: dict[str, str] = field(default_factory=dict)
    capitalised: dict[str, float] = field(default_factory=dict)
    documents: int = 0
    english: frozenset[str] = frozenset()  # ordinary words besides the reports' own (see ``english_words``)

    @classmethod
    def learn(
        cls, texts: Iterable[str], watch_case: Iterable[str] = (), english: frozenset[str] = frozenset()
    ) -> Vocabulary:
        """Count words, definitions and (for the ``watch_case`` words) capitalisation."""
        frequencies: Counter[str] = Counter()
        defined: dict[str, Counter[str]] = defaultdict(Counter)
        watched = {w.lower() for w in watch_case}
        cased = {w: re.compile(rf"\b{re.escape(w)}\b") for w in sorted(watched)}
        upper: Counter[str] = Counter()
        lower: Counter[str] = Counter()
        documents = 0
        for text in texts:
            documents += 1
            lowered = text.lower()
            frequencies.update(set(_WORDS.findall(lowered.replace("’", "'"))))
            if "(" in text:
                for match in _DEFINED.finditer(text):
                    long_form = _long_form(text[max(0, match.start() - 120) : match.start()], match.group(1))
                    if long_form:
                        defined[match.group(1).lower()][long_form] += 1
            for word, pattern in cased.items():
                if word not in lowered:
                    continue
                for match in pattern.finditer(lowered):
                    if _SENTENCE_START.search(text[max(0, match.start() - 3) : match.start()]):
                        continue  # a capital at the start of a sentence says nothing
                    (upper if text[match.start()].isupper() else lower)[word] += 1
        definitions = {abbr: forms.most_common(1)[0][0] for abbr, forms in defined.items()}
        capitalised = {w: upper[w] / (upper[w] + lower[w]) for w in watched if upper[w] + lower[w] > 0}
        return cls(frequencies, definitions, capitalised, documents, english)

    @classmethod
    def from_index(
        cls,
        index: Any,
        watch_case: Iterable[str] = (),
        english: frozenset[str] = frozenset(),
        batch: int = 2000,
    ) -> Vocabulary:
        report_ids = [meta.report_id for meta in index.reports()]
        rows = [int(r) for r in index.chunk_ids_for_reports(report_ids)] if report_ids else []

        def texts() -> Iterable[str]:
            for first in range(0, len(rows), batch):
                for chunk in index.chunks(rows[first : first + batch]):
                    yield chunk.text

        return cls.learn(texts(), watch_case, english)

    @classmethod
    def for_index(
        cls,
        index: Any,
        cache_dir: Path | None,
        watch_case: Iterable[str] = (),
        english: frozenset[str] = frozenset(),
    ) -> Vocabulary:
        """``from_index``, kept in ``cache_dir`` by index generation: learning it reads every
        passage (about 10 s for the full corpus); a later start of the same index reads a file."""
        generation = getattr(index, "generation", None)
        path = None
        if cache_dir is not None and isinstance(generation, str) and generation:
            path = cache_dir / "vocabulary" / f"{generation}-v{VERSION}.json"
            try:
                data = json.loads(path.read_text())
                if sorted(data["watched"]) == sorted({w.lower() for w in watch_case}):
                    return cls(
                        Counter(data["frequencies"]),
                        dict(data["definitions"]),
                        dict(data["capitalised"]),
                        int(data["documents"]),
                        english,
                    )
            except (OSError, ValueError, KeyError, TypeError):
                pass
        learned = cls.from_index(index, watch_case, english)
        if path is not None:
            payload = {
                "watched": sorted({w.lower() for w in watch_case}),
                "frequencies": dict(learned.frequencies),
                "definitions": learned.definitions,
                "capitalised": learned.capitalised,
                "documents": learned.documents,
            }
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_suffix(f".{os.getpid()}.tmp")
                partial.write_text(json.dumps(payload))
                partial.replace(path)
            except OSError:
                pass  # a read-only cache: learn it again next time
        return learned

    def known(self, word: str, minimum: int = 2) -> bool:
        """A word of the reports (in at least ``minimum`` passages, so one-off typos are not words)
        or of ordinary English (``english``): not to be corrected."""
        word = word.lower()
        return word in self.english or self.frequencies.get(word, 0) >= min(minimum, max(self.documents, 1))

    def expansion(self, abbreviation: str, written: str | None = None) -> str | None:
        """The long form of an abbreviation: the documented lists first, then what the reports define.

        ``written`` is the word as typed: abbreviations that are also ordinary words ("send", "la")
        count only in capitals.
        """
        key = abbreviation.lower()
        typed = written or abbreviation
        capitals = sum(c.isupper() for c in typed) >= 2
        if key in CAPITALS_ONLY and not capitals:
            return None
        documented = ACRONYMS.get(key) or SECTOR_ABBREVIATIONS.get(key)
        if documented:
            return documented
        # A learned one that is also a word ("DO", "SAFE", "CHAD") only when typed in capitals.
        if key in self.english and not capitals:
            return None
        return self.definitions.get(key)

    def abbreviations_of(self) -> dict[str, str]:
        """Long form → abbreviation, for the abbreviations the reports define themselves (and that
        ``ACRONYMS`` does not already expand on both sides): "regional adoption agency" → "raa"."""
        return {
            long_form: abbr
            for abbr, long_form in self.definitions.items()
            if abbr not in ACRONYMS and abbr not in CAPITALS_ONLY and len(long_form.split()) > 1
        }
