"""Pages, sections and paragraphs of a report from its blocks, with exact offsets.

Each page's text is its blocks' parts joined by one newline; ``Report.text`` joins pages with
``PAGE_SEPARATOR``. A paragraph's ``start``/``end`` index ``Report.text`` and its ``text`` is
exactly ``Report.text[start:end]``; for a paragraph that runs over a page break that slice holds the
page separator (and, rarely, a footnote set between the two halves), which is what a reader of the
PDF sees too. A section runs from its heading to the start of the next section heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.cleaning import Block
from corpus.records import PAGE_SEPARATOR, Page, Paragraph, Section

_GRADES = r"outstanding|good|requires improvement to be good|requires improvement|inadequate|adequate"
# "<title>: <grade>", "<title> is: <grade>", "<title> is <grade>", "<title> requires improvement",
# "<title> Grade 3 (Adequate)" (2013 looked after children inspections).
_TITLE_GRADE = re.compile(
    rf"^(?P<title>.+?)(?:\s+(?:is|are))?\s*[:–-]\s*(?P<grade>{_GRADES})\.?$"
    rf"|^(?P<title2>.+?)\s+(?:is|are)(?: judged to be)?\s+(?P<grade2>{_GRADES})\.?$"
    rf"|^(?P<title3>.+?)\s+(?P<grade3>requires improvement(?: to be good)?)\.?$"
    rf"|^(?P<title4>.+?)\s+Grade \d\s*\((?P<grade4>{_GRADES})\)$",
    re.IGNORECASE,
)
# Set like headings on a report's first page, but metadata, not sections.
_METADATA_LINE = re.compile(
    r"^(?:Inspection dates?|Report published|Published|Lead inspector|Reporting inspector|Age group)\b",
    re.IGNORECASE,
)
# Ofsted's closing page (copyright, contact details) starts with one of these; it becomes its own
# section so that it never trails the last finding of a report.
BACK_MATTER = "About this publication"
_BACK_MATTER_START = re.compile(
    r"^(?:The Office for Standards in Education, Children[’']s Services and Skills \(Ofsted\) regulates"
    r"|Ofsted will use the information from this inspection"
    r"|If you would like a copy of this document in a different format)"
)
# Before the first section heading (a report's opening lines), paragraphs belong to this section.
PREAMBLE = "Summary"


@dataclass(frozen=True)
class Structure:
    pages: tuple[Page, ...]
    sections: tuple[Section, ...]
    paragraphs: tuple[Paragraph, ...]


# 2014-2017 headings carry the grade in a box beside them: "... protection Requires improvement".
_TITLE_BOXED_GRADE = re.compile(
    r"^(?P<title>.+?)\s+(?P<grade>Outstanding|Good|Requires improvement to be good"
    r"|Requires improvement|Inadequate|Adequate)$"
)


def split_heading(title: str) -> tuple[str, str | None]:
    """ "The experiences ... care leavers: requires improvement to be good" -> (title, grade)."""
    match = _TITLE_GRADE.match(title) or _TITLE_BOXED_GRADE.match(title)
    if not match:
        return title, None
    groups = {name: value for name, value in match.groupdict().items() if value}
    title_part = next(value for name, value in groups.items() if name.startswith("title"))
    grade_part = next(value for name, value in groups.items() if name.startswith("grade"))
    return title_part.strip(), grade_part.lower()


def assemble(blocks: list[Block], page_count: int) -> Structure:
    """Pages, sections and paragraphs from blocks in reading order. Headings that open no section
    (sub-headings, contents entries, "Inspection dates: ...") stay in the text as unnumbered
    paragraphs, so that nothing a reader sees is lost to the index."""
    # Lay the parts out page by page and remember where each part lands.
    per_page: list[list[str]] = [[] for _ in range(page_count)]
    spans: list[list[tuple[int, int]]] = []  # per block, (page, index in page) of each part
    for block in blocks:
        spans.append([])
        for page, text in block.parts:
            spans[-1].append((page, len(per_page[page])))
            per_page[page].append(text)
    page_texts = ["\n".join(texts) for texts in per_page]
    offsets: list[int] = []
    position = 0
    for text in page_texts:
        offsets.append(position)
        position += len(text) + len(PAGE_SEPARATOR)
    part_starts: list[list[int]] = []
    for texts, base in zip(per_page, offsets, strict=True):
        starts, cursor = [], base
        for text in texts:
            starts.append(cursor)
            cursor += len(text) + 1
        part_starts.append(starts)
    full_text = PAGE_SEPARATOR.join(page_texts)
    pages = tuple(
        Page(number=index + 1, text=text, offset=offset)
        for index, (text, offset) in enumerate(zip(page_texts, offsets, strict=True))
    )

    sections: list[Section] = []
    paragraphs: list[Paragraph] = []
    contents = [
        index
        for index, block in enumerate(blocks)
        if block.kind == "heading" and block.text.lower() == "contents"
    ]
    # A contents page's entries ("Recommendations 7") are set like headings but are not sections.
    toc_entries = {
        index
        for first in contents
        for index in range(first + 1, len(blocks))
        if blocks[index].parts[0][0] == blocks[first].parts[0][0]
    }
    section_title, section_grade, section_start = PREAMBLE, None, 0
    for position, (block, block_spans) in enumerate(zip(blocks, spans, strict=True)):
        first_page, first_index = block_spans[0]
        last_page, last_index = block_spans[-1]
        start = part_starts[first_page][first_index]
        end = part_starts[last_page][last_index] + len(per_page[last_page][last_index])
        back_matter = section_title != BACK_MATTER and bool(_BACK_MATTER_START.match(block.text))
        section_heading = (
            block.kind == "heading"
            # A sub-heading that states a grade ("The experiences of children in care: outstanding")
            # opens a judged area: a section too.
            and (block.level == 1 or split_heading(block.text)[1] is not None)
            and position not in toc_entries
            and not _METADATA_LINE.match(block.text)
        )
        if section_heading or back_matter:
            if start > section_start or sections or section_title != PREAMBLE:
                sections.append(
                    Section(section_title, section_grade, section_start, _trim_end(full_text, start))
                )
            section_title, section_grade = (BACK_MATTER, None) if back_matter else split_heading(block.text)
            section_start = start
            if not back_matter:
                continue
        paragraphs.append(
            Paragraph(
                number=block.number,
                section=section_title,
                start=start,
                end=end,
                text=full_text[start:end],
            )
        )
    sections.append(Section(section_title, section_grade, section_start, len(full_text)))
    return Structure(pages=pages, sections=tuple(sections), paragraphs=tuple(paragraphs))


def _trim_end(text: str, end: int) -> int:
    """A section ends at the last non-space character before the next heading."""
    while end > 0 and text[end - 1] in "\n ":
        end -= 1
    return end
