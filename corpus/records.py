"""The records the corpus stage hands on: frozen, so later stages can trust them.

Offsets: a report's full text is its pages' cleaned texts joined by ``PAGE_SEPARATOR``
(``Report.text``). ``Page.offset`` is where a page starts in that text; ``Paragraph.start``/``end``
and ``Section.start``/``end`` are offsets into it. ``Report.locate(offset)`` turns a report offset
into ``(page_number, offset_within_page)``, so every later citation can point at the exact
characters of one page.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

PAGE_SEPARATOR = "\n\n"

# The judgement areas we recognise, in the order reports list them.
JUDGEMENT_AREAS = (
    "overall_effectiveness",
    "impact_of_leaders",
    "help_and_protection",
    "children_in_care",
    "care_leavers",
    "children_in_care_and_care_leavers",
    "adoption",
    "lscb",
)


@dataclass(frozen=True)
class SourceFile:
    """One file of a corpus, with the metadata known before it is opened.

    ``content_hash`` is the SHA-256 of the file's bytes: it decides whether a report is re-indexed.
    """

    report_id: str
    path: Path
    content_hash: str
    local_authority: str | None = None
    publication_date: date | None = None
    source_url: str | None = None
    urn: str | None = None
    framework: str | None = None
    inspection_start: date | None = None
    inspection_end: date | None = None
    # The manifest's judgement columns: noisy hints only, the report text is the authority.
    manifest_grades: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Page:
    number: int  # 1-based, as a PDF viewer counts
    text: str  # cleaned: running headers/footers and page numbers removed, hyphenation repaired
    offset: int  # where this page starts in Report.text


@dataclass(frozen=True)
class Section:
    title: str  # as written, e.g. "The experiences and progress of children in care and care leavers"
    grade: str | None  # the grade in the heading, e.g. "requires improvement to be good"
    start: int
    end: int


@dataclass(frozen=True)
class Paragraph:
    number: str | None  # "27" for a numbered paragraph; None for unnumbered text and bullet lists
    section: str  # title of the section it belongs to
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Judgement:
    area: str  # one of JUDGEMENT_AREAS
    grade: str  # as written, lower case: "good", "requires improvement to be good", "inadequate", ...
    text: str  # the report text that states it (a table row or headline sentence)
    page: int


@dataclass(frozen=True)
class Report:
    report_id: str
    local_authority: str  # display name, e.g. "Southend-on-Sea"
    publication_date: date | None
    source: SourceFile
    pages: tuple[Page, ...]
    sections: tuple[Section, ...]
    paragraphs: tuple[Paragraph, ...]
    judgements: tuple[Judgement, ...]
    inspection_start: date | None = None
    inspection_end: date | None = None

    @property
    def text(self) -> str:
        return PAGE_SEPARATOR.join(page.text for page in self.pages)

    @property
    def content_hash(self) -> str:
        return self.source.content_hash

    def locate(self, offset: int) -> tuple[int, int]:
        """Page number and offset within that page of a ``Report.text`` offset."""
        starts = [page.offset for page in self.pages]
        index = max(bisect.bisect_right(starts, offset) - 1, 0)
        page = self.pages[index]
        return page.number, min(offset - page.offset, len(page.text))

    def pages_between(self, start: int, end: int) -> tuple[int, ...]:
        """The page numbers a span of ``Report.text`` touches."""
        first, _ = self.locate(start)
        last, _ = self.locate(max(start, end - 1))
        return tuple(range(first, last + 1))


@dataclass(frozen=True)
class LoadFailure:
    """A file skipped by a build, with a one-line reason for the build report."""

    file: str
    error: str
