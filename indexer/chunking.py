"""Structure-aware chunking: whole paragraphs of one section, sized by the model's own tokenizer.

Why this shape:
- A citation quotes a chunk, so a chunk is the report's own text, ``Report.text[start:end]`` exactly,
  and never crosses a section: a passage about care leavers must not borrow the grade of the section
  before it.
- all-MiniLM-L6-v2 reads at most 256 tokens (special tokens included) and silently drops the rest, and
  it was trained on inputs of at most 128 tokens. Report paragraphs have a median of about 60 tokens
  and 90% are under 140, so a chunk is one numbered paragraph together with the short text around it
  (headings, bullets, one-line paragraphs): consecutive paragraphs of a section are packed while the
  embedded input stays within ``TARGET_TOKENS`` (192). A chunk is then about one paragraph: precise
  enough to cite, large enough to carry its context. A single paragraph over the window (a few in a
  thousand) is split on sentence boundaries with langchain's ``RecursiveCharacterTextSplitter`` measuring
  length with the model's tokenizer.
- Dense retrieval cannot tell councils apart from generic prose ("Social workers visit children
  regularly"), so the embedded input starts with a short context header: local authority, year and
  section title. The header counts against the window; ``Chunk.n_tokens`` is the token
  count of the whole embedded input, special tokens included, and never exceeds ``max_tokens``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from corpus.records import Paragraph, Report
from indexer.records import Chunk
from inspectqa.settings import Settings

CHUNKER_VERSION = 1
TARGET_TOKENS = 192  # packing target of the embedded input; a single paragraph may go up to the window
SENTENCE_SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ": ", ", ", " ", ""]


@dataclass(frozen=True)
class ChunkerSettings:
    """What decides the chunks; recorded in the manifest so a changed chunker rebuilds everything."""

    max_tokens: int
    target_tokens: int = TARGET_TOKENS
    header: bool = True
    version: int = CHUNKER_VERSION

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "paragraphs-of-one-section",
            "max_tokens": self.max_tokens,
            "target_tokens": self.target_tokens,
            "header": self.header,
            "separators": SENTENCE_SEPARATORS,
            "version": self.version,
        }


def chunker_settings(settings: Settings, counter: object | None = None) -> ChunkerSettings:
    """The chunker's settings: the window is the smaller of the setting and the model's own."""
    window = settings.chunk_max_tokens
    model_window = getattr(counter, "max_tokens", None)
    if isinstance(model_window, int):
        window = min(window, model_window)
    return ChunkerSettings(max_tokens=window, target_tokens=min(TARGET_TOKENS, window))


def context_header(local_authority: str, publication_date: str | None, section: str) -> str:
    """The short line embedded before a chunk's text (never part of ``Chunk.text``)."""
    year = publication_date[:4] if publication_date else ""
    where = f"{local_authority} {year}".strip()
    return f"{where}. {section}".strip(". ") + ".\n" if section else f"{where}.\n"


def embedding_text(chunk: Chunk, header: bool = True) -> str:
    """What the model reads for ``chunk``: the context header and the report's own text."""
    if not header:
        return chunk.text
    return context_header(chunk.local_authority, chunk.publication_date, chunk.section) + chunk.text


def chunk(report: Report, embedder_or_tokenizer: object, settings: Settings) -> list[Chunk]:
    """The chunks of ``report``, in reading order, each within the model's window."""
    counter = _as_counter(embedder_or_tokenizer)
    config = chunker_settings(settings, embedder_or_tokenizer)
    return Chunker(report, counter, config).chunks()


def _as_counter(embedder_or_tokenizer: object) -> Callable[[str], int]:
    """Accept an ``Embedder`` (anything with ``count_tokens``) or a transformers tokenizer."""
    count = getattr(embedder_or_tokenizer, "count_tokens", None)
    if callable(count):
        return count
    if callable(embedder_or_tokenizer):
        tokenizer = embedder_or_tokenizer

        def count_with_tokenizer(text: str) -> int:
            return len(tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

        return count_with_tokenizer
    raise TypeError(f"need an Embedder or a tokenizer, got {type(embedder_or_tokenizer).__name__}")


@dataclass(frozen=True)
class _Span:
    """A piece of one section: a whole paragraph or, for an over-long one, a run of its sentences."""

    start: int
    end: int
    section: str
    number: str | None


class Chunker:
    def __init__(self, report: Report, count: Callable[[str], int], config: ChunkerSettings) -> None:
        self.report = report
        self.text = report.text
        self._count = count
        self._counted: dict[str, int] = {}  # this report's texts counted so far: packing asks again
        self.config = config
        self.publication_date = report.publication_date.isoformat() if report.publication_date else None
        self._page_offsets = {page.number: page.offset for page in report.pages}

    def header(self, section: str) -> str:
        if not self.config.header:
            return ""
        return context_header(self.report.local_authority, self.publication_date, section)

    def count(self, text: str) -> int:
        """Tokens of ``text`` (special tokens included), each distinct text tokenised once."""
        known = self._counted.get(text)
        if known is None:
            known = self._counted[text] = self._count(text)
        return known

    def tokens(self, section: str, start: int, end: int) -> int:
        return self.count(self.header(section) + self.text[start:end])

    def chunks(self) -> list[Chunk]:
        groups: list[list[_Span]] = []
        for section, spans in self._sections():
            groups.extend(self._pack(section, spans))
        return [self._make(seq, group) for seq, group in enumerate(groups)]

    def _sections(self) -> list[tuple[str, list[_Span]]]:
        """Paragraph spans grouped by section, in reading order (consecutive runs of one section)."""
        result: list[tuple[str, list[_Span]]] = []
        for paragraph in self._paragraphs():
            span = _Span(paragraph.start, paragraph.end, paragraph.section, paragraph.number)
            if result and result[-1][0] == paragraph.section:
                result[-1][1].append(span)
            else:
                result.append((paragraph.section, [span]))
        return result

    def _paragraphs(self) -> list[Paragraph]:
        paragraphs = [p for p in self.report.paragraphs if p.text.strip()]
        if paragraphs:
            return sorted(paragraphs, key=lambda p: p.start)
        # A report without recognised paragraphs (e.g. a plain text file): blank-line blocks.
        found = []
        for match in re.finditer(r"\S(?:.*?\S)?(?=\n\s*\n|\s*\Z)", self.text, flags=re.DOTALL):
            found.append(
                Paragraph(
                    number=None,
                    section=self._section_at(match.start()),
                    start=match.start(),
                    end=match.end(),
                    text=match.group(),
                )
            )
        return found

    def _section_at(self, offset: int) -> str:
        title = ""
        for section in self.report.sections:
            if section.start <= offset:
                title = section.title
        return title

    def _pack(self, section: str, spans: Sequence[_Span]) -> list[list[_Span]]:
        """Greedy packing of consecutive whole paragraphs within the target; long ones split."""
        groups: list[list[_Span]] = []
        current: list[_Span] = []
        for paragraph in spans:
            if self.tokens(section, paragraph.start, paragraph.end) > self.config.max_tokens:
                if current:
                    groups.append(current)
                    current = []
                groups.extend([piece] for piece in self._split(section, paragraph))
                continue
            if current and self.tokens(section, current[0].start, paragraph.end) > self.config.target_tokens:
                groups.append(current)
                current = []
            current.append(paragraph)
        if current:
            groups.append(current)
        return groups

    def _split(self, section: str, paragraph: _Span) -> list[_Span]:
        """An over-long paragraph cut on sentence boundaries into balanced pieces within the window."""
        text = self.text[paragraph.start : paragraph.end]
        overhead = self.count(self.header(section))  # header + [CLS] + [SEP]
        budget = self.config.max_tokens - overhead
        total = self.count(text) - 2
        pieces_needed = max(2, math.ceil(total / budget))
        size = min(budget, math.ceil(total / pieces_needed) + 16)
        while size > 8:
            pieces = self._split_text(text, size)
            spans = self._locate(paragraph, text, pieces)
            if all(self.tokens(section, s.start, s.end) <= self.config.max_tokens for s in spans):
                return spans
            size -= 8  # token counts of pieces are not exactly additive: tighten and retry
        raise ValueError(f"cannot split a paragraph of {self.report.report_id} within {budget} tokens")

    def _split_text(self, text: str, size: int) -> list[str]:
        # Imported here: few paragraphs need it, and it costs most of a second to import.
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(
            separators=SENTENCE_SEPARATORS,
            keep_separator="end",
            chunk_size=size,
            chunk_overlap=0,
            length_function=lambda piece: self.count(piece) - 2,
            strip_whitespace=True,
        )
        return splitter.split_text(text)

    @staticmethod
    def _locate(paragraph: _Span, text: str, pieces: Sequence[str]) -> list[_Span]:
        spans = []
        cursor = 0
        for piece in pieces:
            at = text.find(piece, cursor)
            if at < 0:  # the splitter returns substrings; anything else is a bug worth stopping for
                raise ValueError(f"split piece not found in paragraph at {paragraph.start}")
            spans.append(
                _Span(
                    paragraph.start + at,
                    paragraph.start + at + len(piece),
                    paragraph.section,
                    paragraph.number,
                )
            )
            cursor = at + len(piece)
        return spans

    def _make(self, seq: int, group: Sequence[_Span]) -> Chunk:
        start, end = group[0].start, group[-1].end
        section = group[0].section
        numbers = tuple(dict.fromkeys(span.number for span in group if span.number))
        pages = self.report.pages_between(start, end)
        _, page_start = self.report.locate(start)
        page_end = end - self._page_offsets[pages[-1]]
        text = self.text[start:end]
        return Chunk(
            chunk_id=f"{self.report.report_id}#{seq:04d}",
            report_id=self.report.report_id,
            local_authority=self.report.local_authority,
            publication_date=self.publication_date,
            section=section,
            paragraphs=numbers,
            pages=pages,
            start=start,
            end=end,
            page_start=page_start,
            page_end=page_end,
            text=text,
            n_tokens=self.count(self.header(section) + text),
        )
