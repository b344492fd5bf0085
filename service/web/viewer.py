"""Show a cited sentence where it stands in the PDF: render a page and find the quote's character boxes.

A citation's quote is a span of the *stored* text, which the corpus stage cleaned: running headers
removed, line-break hyphenation repaired, whitespace collapsed. The PDF's own text layer still has
``\\r\\n`` line ends, ``ill\\ufffehealth`` soft hyphens, ``assess-\\r\\nment`` breaks and ligatures. So
both sides are reduced to a *key* — NFKC, case-folded, letters and digits only — with a map from each
key character back to the PDF character it came from. An exact key match highlights the whole
sentence; otherwise (a quote that crosses a page break, or text the cleaning changed more deeply) the
long runs the quote shares with the page are highlighted and ``Highlight.matched`` says how much of the
quote was found.

PDFium is a C library that is not thread-safe, and FastAPI runs sync handlers in a thread pool, so
every call into it holds ``_PDFIUM_LOCK`` (one lock for the process, as PDFium's state is global).
"""

from __future__ import annotations

import ctypes
import io
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from inspectqa.errors import CorruptReport, NotFound

_PDFIUM_LOCK = threading.Lock()

# Shared runs shorter than this (in key characters) are coincidences, not the quote.
MIN_RUN = 12
CLOSING = frozenset(".,;:!?)]'\"’”")
# Render width in pixels: sharp on a laptop screen and under 300 KB of PNG for a text page.
DEFAULT_WIDTH = 1240
MAX_WIDTH = 2400


@dataclass(frozen=True)
class Box:
    """A highlight rectangle as fractions of the rendered page (origin top left), so any display
    size of the image can place it."""

    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class Highlight:
    page: int  # 1-based
    boxes: tuple[Box, ...]
    matched: float  # share of the quote's letters and digits found on this page, 0..1
    aspect: float = 1.4142  # page height / width, to size the page image before it loads

    @property
    def found(self) -> bool:
        return bool(self.boxes)


@dataclass(frozen=True)
class PageImage:
    png: bytes
    width: int
    height: int


@contextmanager
def _open(pdf_path: Path) -> Iterator[pdfium.PdfDocument]:
    with _PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(str(pdf_path))
        except (pdfium.PdfiumError, FileNotFoundError, OSError) as error:
            raise CorruptReport(f"cannot open {pdf_path.name} as a PDF: {error}") from error
        try:
            yield document
        finally:
            document.close()


def _page(document: pdfium.PdfDocument, number: int, pdf_path: Path) -> pdfium.PdfPage:
    if not 1 <= number <= len(document):
        raise NotFound(f"{pdf_path.stem} has no page {number}", hint=f"it has pages 1 to {len(document)}")
    return document[number - 1]


def page_count(pdf_path: Path) -> int:
    with _open(pdf_path) as document:
        return len(document)


def render_page(pdf_path: Path, number: int, *, width: int = DEFAULT_WIDTH) -> PageImage:
    """The page as a PNG ``width`` pixels wide (clamped to 200..MAX_WIDTH)."""
    width = max(200, min(width, MAX_WIDTH))
    with _open(pdf_path) as document:
        page = _page(document, number, pdf_path)
        page_width, _ = page.get_size()
        bitmap = page.render(scale=width / page_width)
        image = bitmap.to_pil()
    # 64 colours keep anti-aliased text and the logos crisp at a quarter of the RGB PNG's size.
    buffer = io.BytesIO()
    image.quantize(colors=64, method=Image.Quantize.FASTOCTREE).save(buffer, format="PNG")
    return PageImage(png=buffer.getvalue(), width=image.width, height=image.height)


def text_key(text: str) -> tuple[str, list[int]]:
    """Letters and digits of ``text``, NFKC-normalised and case-folded, with each one's source index.

    Everything else (whitespace, hyphens, soft hyphens, U+FFFE, quotes, punctuation) is dropped, which
    is what makes cleaned and raw text comparable.
    """
    key: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char.isascii():
            if char.isalnum():
                key.append(char.lower())
                origin.append(index)
            continue
        for folded in unicodedata.normalize("NFKC", char).casefold():
            if folded.isalnum():
                key.append(folded)
                origin.append(index)
    return "".join(key), origin


def match_spans(page_key: str, quote_key: str) -> tuple[list[tuple[int, int]], int]:
    """Spans ``[start, end)`` of ``page_key`` that hold the quote, and how many quote characters they
    cover. An exact occurrence wins; otherwise the long runs the two share, in order."""
    if not quote_key:
        return [], 0
    start = page_key.find(quote_key)
    if start >= 0:
        return [(start, start + len(quote_key))], len(quote_key)
    matcher = SequenceMatcher(None, page_key, quote_key, autojunk=False)
    least = min(MIN_RUN, len(quote_key))
    blocks = [block for block in matcher.get_matching_blocks() if block.size >= least]
    return [(block.a, block.a + block.size) for block in blocks], sum(block.size for block in blocks)


def _page_chars(text_page: pdfium.PdfTextPage) -> str:
    # One character per PDFium index (get_text_range may merge surrogates), so indices line up.
    count = text_page.count_chars()
    return "".join(
        chr(pdfium_c.FPDFText_GetUnicode(text_page.raw, index) or 0xFFFE) for index in range(count)
    )


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    """Consecutive PDF character indices grouped as (first, count)."""
    runs: list[tuple[int, int]] = []
    for index in indices:
        if runs and index <= runs[-1][0] + runs[-1][1]:
            first, count = runs[-1]
            runs[-1] = (first, max(count, index - first + 1))
        else:
            runs.append((index, 1))
    return runs


def _boxes(page: pdfium.PdfPage, text_page: pdfium.PdfTextPage, runs: list[tuple[int, int]]) -> list[Box]:
    # Page space -> device space with PDFium's own transform, so crop boxes and /Rotate are honoured
    # exactly as the renderer honours them.
    size = 100_000
    page_width, page_height = page.get_size()
    device_w = size
    device_h = round(size * page_height / page_width)
    out_x, out_y = ctypes.c_int(), ctypes.c_int()

    def to_device(x: float, y: float) -> tuple[float, float]:
        pdfium_c.FPDF_PageToDevice(
            page.raw, 0, 0, device_w, device_h, 0, x, y, ctypes.byref(out_x), ctypes.byref(out_y)
        )
        return out_x.value / device_w, out_y.value / device_h

    boxes: list[Box] = []
    for first, count in runs:
        for rect_index in range(text_page.count_rects(first, count)):
            left, bottom, right, top = text_page.get_rect(rect_index)
            x1, y1 = to_device(left, top)
            x2, y2 = to_device(right, bottom)
            x_lo, x_hi, y_lo, y_hi = min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2)
            if x_hi - x_lo <= 0 or y_hi - y_lo <= 0:
                continue
            boxes.append(Box(left=x_lo, top=y_lo, width=x_hi - x_lo, height=y_hi - y_lo))
    return merge_lines(boxes)


def merge_lines(boxes: list[Box]) -> list[Box]:
    """One box per line of text: PDFium gives a rectangle per text object (often a word or two),
    which draws as a ragged row of patches instead of one highlighted line."""
    lines: list[Box] = []
    for box in sorted(boxes, key=lambda b: (b.top, b.left)):
        if lines:
            last = lines[-1]
            overlap = min(last.top + last.height, box.top + box.height) - max(last.top, box.top)
            if overlap > 0.5 * min(last.height, box.height):
                left, top = min(last.left, box.left), min(last.top, box.top)
                right = max(last.left + last.width, box.left + box.width)
                bottom = max(last.top + last.height, box.top + box.height)
                lines[-1] = Box(left=left, top=top, width=right - left, height=bottom - top)
                continue
        lines.append(box)
    return lines


def find_quote(pdf_path: Path, number: int, quote: str) -> Highlight:
    """Where ``quote`` (cleaned text) stands on page ``number`` of the PDF, as highlight boxes."""
    quote_key, _ = text_key(quote)
    with _open(pdf_path) as document:
        page = _page(document, number, pdf_path)
        page_width, page_height = page.get_size()
        text_page = page.get_textpage()
        try:
            chars = _page_chars(text_page)
            page_key, origin = text_key(chars)
            spans, covered = match_spans(page_key, quote_key)
            indices = [origin[i] for start, end in spans for i in range(start, end)]
            # The key has no punctuation: take the sentence's closing mark into the highlight too.
            while indices and indices[-1] + 1 < len(chars) and chars[indices[-1] + 1] in CLOSING:
                indices.append(indices[-1] + 1)
            boxes = _boxes(page, text_page, _runs(indices)) if indices else []
        finally:
            text_page.close()
    matched = covered / len(quote_key) if quote_key else 0.0
    return Highlight(
        page=number, boxes=tuple(boxes), matched=round(matched, 3), aspect=page_height / page_width
    )


def locate_quote(pdf_path: Path, number: int, quote: str) -> Highlight:
    """The quote on the cited page, or on a neighbouring page when it is (mostly) there instead: a
    paragraph cited by its first page may carry the quoted sentence over the page break."""
    best = find_quote(pdf_path, number, quote)
    if best.matched >= 0.999 or not text_key(quote)[0]:
        return best
    pages = page_count(pdf_path)
    for neighbour in (number + 1, number - 1):
        if 1 <= neighbour <= pages:
            candidate = find_quote(pdf_path, neighbour, quote)
            if candidate.matched > best.matched + 0.25:
                best = candidate
    return best
