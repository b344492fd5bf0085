"""From raw page lines to clean text blocks: one block per heading, paragraph or bullet.

What is removed: running headers and footers (lines repeated at the top or foot of many pages,
digits ignored, so "8 to 19 June 2026 2" on every page goes), lone page numbers, and superscript
footnote markers. What is repaired: pypdfium2's U+FFFE at a line-end hyphen ("longer\\ufffeterm"
becomes "longer-term": in these reports it only ever marks a real compound's hyphen, never a word
split by hyphenation), wrapped lines (joined with one space), and paragraphs split by a page
break (one block whose parts lie on two pages). Bullets keep a leading bullet glyph, one per block.

Paragraph ends come from layout, not punctuation: a wrapped line sits one line-height (about 1.2
font sizes) below the previous baseline, a new paragraph well over 1.45. Numbered paragraphs are
recognised only when their number follows the previous one, so a wrapped line starting "2015. The"
is not taken for paragraph 2015.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from corpus.extraction import SOFT_HYPHEN, Line

BULLETS = "◼■▪●•◦‣∙○□➢➤✓-–―\uf06e\uf0b7\uf0a7\uf0d8\uf0fc\uf076\uf0a8\uf02d\uf0be"
# Symbol/Wingdings glyphs in the Private Use Area: squares and dots become "•", the Symbol font's
# dashes (sub-bullets) "–"; inside a line the Symbol hyphen is a hyphen.
_PRIVATE_BULLETS = {c: "•" for c in "\uf06e\uf0b7\uf0a7\uf0d8\uf0fc\uf076\uf0a8"} | {
    "\uf02d": "–",
    "\uf0be": "–",
}
_PRIVATE_INLINE = {"\uf02d": "-", "\uf0be": "–"}
NUMBERED = re.compile(r"^(\d{1,3})\.{1,2}(?:$|\s+(?=\S)|(?=[A-Z‘'“(]))")
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,3}(?:\s+of\s+\d{1,3})?$", re.IGNORECASE)
_TERMINAL = (".", "!", "?", ":", ";", ".)", ".’", ".”", "’", "”")
_GRADE_ONLY = re.compile(
    r"^(?:outstanding|good|requires improvement(?: to be good)?|inadequate|adequate"
    r"|grade \d\s*\((?:outstanding|good|adequate|inadequate)\))$",
    re.IGNORECASE,
)
# How many lines at each end of a page may be running headers or footers.
_EDGE = 3


@dataclass
class Block:
    """A heading, numbered paragraph, bullet or plain paragraph; ``parts`` are its (page, text)
    pieces, more than one when it runs over a page break."""

    kind: str  # "heading", "numbered", "bullet" or "text"
    size: float
    bold: bool
    number: str | None = None
    level: int = 0  # headings: 1 = section, 2 = sub-heading
    parts: list[tuple[int, str]] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(text for _, text in self.parts)

    def add(self, line: Line) -> None:
        text = line.text
        if self.parts and self.parts[-1][0] == line.page:
            page, previous = self.parts[-1]
            self.parts[-1] = (page, join_lines(previous, text))
        else:
            if self.parts:
                page, previous = self.parts[-1]
                self.parts[-1] = (page, previous.replace(SOFT_HYPHEN, "-"))
            self.parts.append((line.page, text))
        self.lines.append(line)


def join_lines(previous: str, following: str) -> str:
    """Join a wrapped line to the text before it, repairing a line-end hyphen."""
    if previous.endswith(SOFT_HYPHEN):
        return previous[:-1] + "-" + following
    if previous.endswith("-") and len(previous) > 1 and previous[-2].isalpha():
        return previous + following
    return f"{previous} {following}"


def normalise(text: str) -> str:
    """Plain spaces and hyphens for their no-break twins, so that searching "multi-agency" finds
    every spelling of it; Symbol-font glyphs as the characters they show."""
    text = text.replace(SOFT_HYPHEN, "-").replace("\u2011", "-").replace("\t", " ")
    text = text.replace("\u00a0", " ").replace("\u202f", " ")
    for glyph, inline in _PRIVATE_INLINE.items():
        text = text.replace(glyph, inline)
    for glyph, bullet in _PRIVATE_BULLETS.items():
        text = text.replace(glyph, bullet)
    return re.sub(r" {2,}", " ", text).strip()


def body_size(pages: list[list[Line]]) -> float:
    """The font size most of the text is set in (by characters)."""
    sizes: Counter[float] = Counter()
    for page in pages:
        for line in page:
            sizes[line.size] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def strip_running_lines(pages: list[list[Line]]) -> list[list[Line]]:
    """Drop running headers/footers, lone page numbers and superscript footnote markers."""
    body = body_size(pages)
    keys: Counter[str] = Counter()
    for page in pages:
        edge = {_edge_key(line) for line in page[:_EDGE] + page[-_EDGE:] if line.text}
        keys.update(edge)
    # A line carrying a page number ("... board: Hull 9") is a running header even when only one
    # part of a report repeats it; any other line must recur on many pages.
    threshold = max(3, int(0.4 * len(pages)))
    running = {key for key, count in keys.items() if count >= (3 if key.endswith("#") else threshold)}
    cleaned: list[list[Line]] = []
    for page in pages:
        kept: list[Line] = []
        for position, line in enumerate(page):
            at_edge = position < _EDGE or position >= len(page) - _EDGE
            if at_edge and line.text and (_edge_key(line) in running or _PAGE_NUMBER.match(line.text)):
                continue
            if body and line.size and line.size < 0.8 * body and re.fullmatch(r"\d{1,2}", line.text):
                continue  # a superscript footnote marker on a line of its own
            kept.append(line)
        cleaned.append(kept)
    return cleaned


def _edge_key(line: Line) -> str:
    """Digits ignored, font size kept: the first page's title ("Inspection of Bracknell Forest local
    authority children's services", 26 pt) is not the running header of the same words (8 pt)."""
    return f"{round(line.size)}|" + re.sub(r"\d+", "#", line.text.strip().lower())


def build_blocks(pages: list[list[Line]]) -> list[Block]:
    """Group the cleaned lines of all pages into blocks, in reading order."""
    body = body_size(pages)
    widths = _full_widths(pages)
    blocks: list[Block] = []
    last_number = 0
    previous: Line | None = None
    for page in pages:
        for raw in page:
            if not raw.text:  # a blank line of a text file: a paragraph break
                previous = None
                continue
            line = _normalised(raw)
            if not line.text:
                continue
            current = blocks[-1] if blocks else None
            number = _paragraph_number(line.text, last_number)
            heading_level = _heading_level(line, body, number)
            if line.top is None and current is not None and previous is not None:
                heading_level = _plain_heading_level(line, previous, current, number, heading_level)
            starts = (
                current is None
                or previous is None
                or number is not None
                or (line.text[0] in BULLETS and not line.text[0:2].isalnum())
                or (heading_level > 0) != (current.kind == "heading")
                or line.heading != previous.heading
                # Text without layout: each known heading is a heading of its own.
                or (line.top is None and heading_level > 0 and _KNOWN_HEADING.match(line.text) is not None)
                or _layout_break(previous, line, current, widths[previous.page])
            )
            if starts:
                current = _new_block(line, number, heading_level)
                if number is not None:
                    last_number = int(number)
                blocks.append(current)
            assert current is not None
            current.add(line)
            previous = line
    for block in blocks:
        if _plain_text_heading(block):
            block.kind, block.level = "heading", 1
    for block in blocks:
        normalised = [(index, normalise(text)) for index, text in block.parts]
        block.parts = [(index, text) for index, text in normalised if text]
        if block.kind == "heading" and block.parts:
            # A footnote reference glued to a heading: "What needs to improve?1".
            index, text = block.parts[-1]
            block.parts[-1] = (index, re.sub(r"(?<=[a-z?)])\d{1,2}$", "", text) or text)
    return [block for block in blocks if block.parts]


def _plain_text_heading(block: Block) -> bool:
    """In a .txt report nothing marks a heading but its shape: one short line of its own, starting
    with a capital, without a sentence's closing punctuation."""
    if block.kind != "text" or len(block.lines) != 1:
        return False
    line = block.lines[0]
    if line.top is not None or line.heading:
        return False
    text = line.text.strip()
    return len(text) <= 150 and text[:1].isupper() and not text.endswith((".", ",", ";", "!"))


def _full_widths(pages: list[list[Line]]) -> dict[int, int]:
    """Characters in a full line of body text, per page index (the 80th percentile of lengths)."""
    widths: dict[int, int] = {}
    for page in pages:
        lengths = sorted(len(line.text) for line in page if line.text)
        if lengths:
            widths[page[0].page] = lengths[int(0.8 * (len(lengths) - 1))]
    return widths


def _normalised(line: Line) -> Line:
    text = line.text
    if not (text and text[0] in BULLETS and (len(text) == 1 or text[1] == " ")):
        return line
    glyph = _PRIVATE_BULLETS.get(text[0], text[0])
    text = f"{glyph} {text[1:].strip()}".rstrip()
    return Line(
        text=text,
        page=line.page,
        bold=line.bold,
        size=line.size,
        top=line.top,
        bottom=line.bottom,
        left=line.left,
        heading=line.heading,
    )


def _paragraph_number(text: str, last_number: int) -> str | None:
    match = NUMBERED.match(text)
    if not match:
        return None
    number = int(match.group(1))
    if number == 1 or last_number < number <= last_number + 3:
        return match.group(1)
    return None


# Ofsted's standard section headings, for text without layout (a .txt report without blank lines
# between paragraphs, an HTML report whose headings are plain paragraphs).
_KNOWN_HEADING = re.compile(
    r"^(?:The experiences and progress of\b|The impact of leaders on\b|What needs to improve"
    r"|Executive summary$|Recommendations$|Summary for children|Information about this\b"
    r"|Inspection findings|Leadership, management and governance|The Local Safeguarding Children Board"
    r"|Summary of (?:key )?findings|What does the (?:local authority|LSCB) need to improve"
    r"|Contents$|About this inspection$|Areas for improvement|Progress since the last inspection)",
    re.IGNORECASE,
)


def _plain_heading_level(line: Line, previous: Line, current: Block, number: str | None, level: int) -> int:
    """Headings of text without layout: a known heading after a finished sentence starts one; a
    wrapped heading's lower-case second line ("protection: good") or a lone grade continues it."""
    if number is not None or line.text[0] in BULLETS:
        return 0
    if current.kind == "heading" and (line.text[0].islower() or _GRADE_ONLY.match(line.text)):
        return current.level
    ended = previous.text.rstrip().endswith((*_TERMINAL, ")")) or current.kind == "heading"
    if ended and len(line.text) <= 150 and _KNOWN_HEADING.match(line.text):
        return 1
    return level


def _heading_level(line: Line, body: float, number: str | None) -> int:
    if number is not None or len(line.text) > 220 or line.text[0] in BULLETS:
        return 0
    if line.heading:
        return 1
    if not body or not line.size:
        return 0
    if line.size >= body + 1.5 and (line.bold or line.size >= body + 4):
        return 1
    if line.bold and abs(line.size - body) <= 1.0:
        return 2
    return 0


def _new_block(line: Line, number: str | None, level: int) -> Block:
    if level:
        kind = "heading"
    elif number is not None:
        kind = "numbered"
    elif line.text[0] in BULLETS or line.text[0] == "•":
        kind = "bullet"
    else:
        kind = "text"
    return Block(kind=kind, size=line.size, bold=line.bold, number=number, level=level)


def _layout_break(previous: Line, line: Line, block: Block, full_width: int) -> bool:
    """Whether ``line`` starts a new block, judged from the layout."""
    if block.kind == "heading":
        if line.page != previous.page:
            return True  # a heading never runs on over a page break
        if _GRADE_ONLY.match(line.text):
            return False  # the grade set beside a heading: "... permanence" | "Requires improvement"
        return abs(line.size - previous.size) > 0.6 or _gap_break(previous, line, factor=1.9)
    if line.page != previous.page:
        return _page_break_ends_block(previous, line, block, full_width)
    # A change of font size alone is no reason: pdfium misreports single lines' sizes often enough
    # (a paragraph number set larger, a scaled font), and footnotes sit well below the text anyway.
    return _gap_break(previous, line, factor=1.45)


def _gap_break(previous: Line, line: Line, *, factor: float) -> bool:
    if previous.bottom is None or line.top is None or line.page != previous.page:
        return False
    size = max(previous.size, line.size) or 12.0
    delta = previous.bottom - line.top
    if abs(delta) < 0.3 * size:
        return False  # the same visual line, split by pdfium (e.g. around a superscript)
    return delta > factor * size or delta < 0


def _page_break_ends_block(previous: Line, line: Line, block: Block, full_width: int) -> bool:
    """A paragraph runs on over a page break unless its text visibly ended."""
    if block.kind == "numbered" and len(block.lines) > 1 and line.left is not None:
        hanging = block.lines[-1].left
        if hanging is not None and block.lines[0].left is not None and hanging > block.lines[0].left + 4:
            return abs(line.left - hanging) > 4
    if line.text[:1].islower():
        return False
    if previous.text.rstrip().endswith(_TERMINAL):
        return True
    # A short last line ("Quality assurance manager: Marie McGuinness") ended its paragraph even
    # without a full stop; a paragraph broken by the page fills its last line.
    return len(previous.text) < 0.6 * full_width
