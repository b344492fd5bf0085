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

GRADE = re.compile(
    r"(outstanding|good|requires improvement to be good|requires improvement|inadequate|adequate)",
    re.IGNORECASE,
)
_TITLE_GRADE = re.compile(
    r"^(?P<title>.+?)\s*[:–-]\s*(?P<grade>outstanding|good|requires improvement to be good"
    r"|requires improvement|inadequate|adequate)\.?$",
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
_TOC_ENTRY = re.compile(r"\s\d{1,3}$")


def split_heading(title: str) -> tuple[str, str | None]:
    """ "The experiences ... care leavers: requires improvement to be good" -> (title, grade)."""
    match = _TITLE_GRADE.match(title) or _TITLE_BOXED_GRADE.match(title)
    if not match:
        return title, None
    return match.group("title").strip(), match.group("grade").lower()


def assemble(blocks: list[Block], page_count: int) -> Structure:
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
    contents_pages = {
        block.parts[0][0] for block in blocks if block.kind == "heading" and block.text.lower() == "contents"
    }
    section_title, section_grade, section_start = PREAMBLE, None, 0
    for block, block_spans in zip(blocks, spans, strict=True):
        first_page, first_index = block_spans[0]
        last_page, last_index = block_spans[-1]
        start = part_starts[first_page][first_index]
        end = part_starts[last_page][last_index] + len(per_page[last_page][last_index])
        back_matter = section_title != BACK_MATTER and bool(_BACK_MATTER_START.match(block.text))
        # A contents page's entries ("Recommendations 7") are set like headings but are not sections.
        toc_entry = block.parts[0][0] in contents_pages and bool(_TOC_ENTRY.search(block.text))
        if (block.kind == "heading" and block.level == 1 and not toc_entry) or back_matter:
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
