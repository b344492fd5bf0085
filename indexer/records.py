"""Records of the indexing stage."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: whole paragraphs of one section of one report.

    ``start``/``end`` are offsets into ``Report.text`` (see ``corpus.records``); ``page_start`` and
    ``page_end`` are the same two points as offsets into the text of the first and last page.
    """

    chunk_id: str  # f"{report_id}#{seq:04d}"
    report_id: str
    local_authority: str
    publication_date: str | None  # ISO date
    section: str
    paragraphs: tuple[str, ...]  # paragraph numbers, e.g. ("26", "27"); empty when unnumbered
    pages: tuple[int, ...]
    start: int
    end: int
    page_start: int
    page_end: int
    text: str
    n_tokens: int


@dataclass(frozen=True)
class BuildReport:
    """What ``indexer.build`` did; written as ``build-report.json``."""

    reports_indexed: int
    reports_failed: list[dict[str, str]] = field(default_factory=list)  # [{"file", "error"}]
    chunks: int = 0
    pages: int = 0
    seconds: float = 0.0
    embedded_chunks: int = 0  # embedded in this run only: 0 for an unchanged corpus
    reports_added: int = 0
    reports_updated: int = 0
    reports_removed: int = 0
    reports_unchanged: int = 0
    generation: str = ""  # the generation directory this build published
    embedded_tokens: int = 0  # tokens (special tokens and context headers included) embedded in this run
    embed_seconds: float = 0.0  # time spent in the embedding model
    max_chunk_tokens: int = 0  # the longest embedded input of the whole index, in tokens
    embedded_units: int = 0  # passage units (sentences, pairs) embedded in this run for grounding
    unit_embed_seconds: float = 0.0  # time spent embedding them
    # Why every report was read and embedded again instead of reusing the previous generation ("" when
    # it was reused or there was none): a new model, chunker or extractor version, or a damaged index.
    rebuild_reason: str = ""


@dataclass(frozen=True)
class FileCheck:
    """What ``open_index`` checked of a generation's files before opening it (see ``indexer.integrity``)."""

    files: int  # files the manifest records (sizes at least)
    checksums: int  # of which with a recorded SHA-256; 0 for a generation built before checksums
    verified: bool  # whether those checksums were compared with the files' bytes
    seconds: float = 0.0  # time the check took

    def describe(self) -> str:
        if self.checksums == 0:
            return "none recorded (built before checksums)"
        if not self.verified:
            return f"recorded for {self.checksums} files, not verified (--no-verify)"
        return f"verified ({self.checksums} files, {self.seconds:.2f} s)"
