"""Text out of a report file, one list of ``Line`` per page, with the layout hints cleaning needs.

Why lines with geometry rather than plain page text: pypdfium2's page text tells neither where a
paragraph ends (a wrapped line and a last line look alike) nor which lines are headings. One font
and one box query per line (not per character) gives both for a few hundred thousand calls over the
whole corpus, so extraction stays at pypdfium2's speed. HTML and plain-text reports get the same
``Line`` shape with the hints their markup offers.
"""

from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from inspectqa.errors import CorruptReport

# pypdfium2 marks a soft hyphen at a line end with U+FFFE ("longer\ufffeterm"); it is kept here and
# repaired in cleaning, where the line it joins is known.
SOFT_HYPHEN = "\ufffe"


@dataclass(frozen=True)
class Line:
    """One text line of a page. ``top``/``bottom`` are baselines in PDF points measured up from the
    page's foot (None for HTML and text files); ``size`` is the font size of its first character."""

    text: str
    page: int  # 0-based page index
    bold: bool = False
    size: float = 0.0
    top: float | None = None  # baseline of the line's first character
    bottom: float | None = None  # baseline of its last character (a line may wrap at a soft hyphen)
    left: float | None = None
    heading: bool = False  # markup says it is a heading (HTML <h1>..<h6>)


def sniff(data: bytes) -> str:
    """What a file's leading bytes say it is: "pdf", "html", "empty" or "other"."""
    if not data.strip():
        return "empty"
    head = data[:2048].lstrip().lower()
    if data[:1024].find(b"%PDF-") != -1:
        return "pdf"
    if head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")) or b"<html" in head:
        return "html"
    return "other"


def pdf_lines(path: Path, data: bytes) -> list[list[Line]]:
    """The lines of every page of a PDF; raises CorruptReport for what pdfium cannot open."""
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise CorruptReport(_pdfium_reason(str(error))) from None
    try:
        pages: list[list[Line]] = []
        for index in range(len(document)):
            page = document[index]
            try:
                textpage = page.get_textpage()
                try:
                    pages.append(_page_lines(textpage, index))
                finally:
                    textpage.close()
            finally:
                page.close()
        return pages
    except pdfium.PdfiumError as error:
        raise CorruptReport(f"unreadable PDF page: {error}") from None
    finally:
        document.close()


def _pdfium_reason(message: str) -> str:
    lowered = message.lower()
    if "password" in lowered or "security" in lowered:
        return "encrypted PDF (password required)"
    if "format" in lowered or "file" in lowered:
        return "corrupt or truncated PDF (pdfium could not parse it)"
    return f"unreadable PDF ({message})"


def _page_lines(textpage: pdfium.PdfTextPage, page_index: int) -> list[Line]:
    """The page's lines with four pdfium queries for most of them (font size, weight, two origins):
    these calls, not pdfium's own text extraction, are what layout analysis adds to the time."""
    text = textpage.get_text_range()
    x, y = ctypes.c_double(), ctypes.c_double()
    matrix = pdfium_c.FS_MATRIX()
    font_size = pdfium_c.FPDFText_GetFontSize
    origin = pdfium_c.FPDFText_GetCharOrigin
    lines: list[Line] = []
    position = 0
    for raw in text.split("\r\n"):
        start = position
        position += len(raw) + 2
        stripped = raw.strip()
        if not stripped:
            continue
        first = start + (len(raw) - len(raw.lstrip()))
        last = start + len(raw.rstrip()) - 1
        # The size of the first letter after the line's first two characters: a bullet glyph is
        # often set larger than its text, and the space after a paragraph number may report a
        # nonsense size.
        index = first + _first_letter(stripped)
        size = font_size(textpage, index)
        # Some producers set every font at size 1 and scale it with the text matrix.
        if size < 4 and pdfium_c.FPDFText_GetMatrix(textpage, index, matrix):
            scale = abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5
            if scale > 0:
                size *= scale
        # Bold throughout (a heading), not a bold lead-in: the last character is asked only when
        # the first is bold.
        bold = _is_bold(textpage, first) and (last == first or _is_bold(textpage, last))
        origin(textpage, first, x, y)
        line_left = x.value
        # The baseline of that letter, not of the first character: a footnote's number is raised.
        if index != first:
            origin(textpage, index, x, y)
        line_top = line_bottom = y.value
        if SOFT_HYPHEN in stripped:
            # pdfium runs two visual lines into one at a soft hyphen: the line ends lower down.
            origin(textpage, last, x, y)
            line_bottom = y.value
        lines.append(
            Line(
                text=stripped,
                page=page_index,
                bold=bold,
                size=round(size, 1),
                top=line_top,
                bottom=line_bottom,
                left=line_left,
            )
        )
    return lines


def _first_letter(text: str) -> int:
    for index in range(min(2, len(text) - 1), min(len(text), 10)):
        if text[index].isalpha():
            return index
    return 0


def _is_bold(textpage: pdfium.PdfTextPage, index: int) -> bool:
    weight = pdfium_c.FPDFText_GetFontWeight(textpage, index)
    if weight > 0:
        return bool(weight >= 600)
    buffer = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    pdfium_c.FPDFText_GetFontInfo(textpage, index, buffer, 128, flags)
    return b"bold" in buffer.value.lower()


class _HTMLLines(HTMLParser):
    """Block-level text of an HTML report, headings marked, scripts and styles dropped."""

    BLOCKS = frozenset({"p", "div", "li", "br", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "table"})
    HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[Line] = []
        self._buffer: list[str] = []
        self._skip = 0
        self._heading = 0
        self._bullet = False
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_title = tag == "title"
        if tag in ("script", "style", "head", "nav"):
            self._skip += 1
        elif tag in self.BLOCKS:
            self._flush()
            self._heading += tag in self.HEADINGS
            self._bullet = tag == "li"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False
        if tag in ("script", "style", "head", "nav"):
            self._skip = max(self._skip - 1, 0)
        elif tag in self.BLOCKS:
            self._flush()
            if tag in self.HEADINGS:
                self._heading = max(self._heading - 1, 0)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if not self._skip:
            self._buffer.append(data)

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self._buffer)).strip()
        self._buffer = []
        if text:
            if self._bullet and not text.startswith("•"):
                text = f"• {text}"
            self.lines.append(Line(text=text, page=0, heading=self._heading > 0, bold=self._heading > 0))
            # Each HTML block is a paragraph of its own: an empty line tells cleaning so.
            self.lines.append(Line(text="", page=0))
        self._bullet = False

    def close(self) -> None:
        super().close()
        self._flush()


def html_title(data: bytes) -> str:
    """The <title> of an HTML page, for saying what a page that is not a report is."""
    parser = _HTMLLines()
    parser.feed(data[:65536].decode("utf-8", errors="replace"))
    return re.sub(r"\s+", " ", parser.title).strip()


def html_lines(data: bytes) -> list[list[Line]]:
    """An HTML report as one page of lines (HTML has no pages)."""
    parser = _HTMLLines()
    parser.feed(data.decode("utf-8", errors="replace"))
    parser.close()
    return [parser.lines]


def text_lines(data: bytes) -> list[list[Line]]:
    """A plain-text report; form feeds separate pages, blank lines separate paragraphs (kept as
    empty-text markers so that cleaning can see them)."""
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    pages: list[list[Line]] = []
    for index, chunk in enumerate(text.split("\f")):
        lines = [Line(text=line.strip(), page=index) for line in chunk.split("\n")]
        pages.append(lines)
    return pages
