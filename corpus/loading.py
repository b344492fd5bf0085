"""Turn a ``SourceFile`` into a ``Report``, or say in one line why it cannot be one.

The pipeline: sniff the bytes (an HTML error page saved as ``.pdf`` is refused before pdfium sees
it), extract lines, strip running headers/footers, build blocks, lay out pages/sections/paragraphs,
parse judgements, and fill metadata the manifest lacks from the report's own first page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from corpus.cleaning import build_blocks, strip_running_lines
from corpus.extraction import Line, html_lines, html_title, pdf_lines, sniff, text_lines
from corpus.judgements import parse_judgements
from corpus.metadata import (
    display_name,
    inspection_dates,
    local_authority,
    publication_date,
)
from corpus.records import LoadFailure, Report, SourceFile
from corpus.scanning import scan_corpus
from corpus.structure import assemble
from inspectqa.errors import CorruptReport

# Fewer characters than this over the whole file: an image-only scan or an empty document.
MIN_TEXT_CHARS = 200
# An HTML page with less text than this is an error page or a fragment, not a report (the shortest
# real report has tens of thousands of characters; Ofsted's "Report not found" page a few hundred).
MIN_REPORT_CHARS = 1500
# Words every inspection report of children's services uses; a file with none of them is not one.
_REPORT_WORDS = re.compile(r"\b(ofsted|inspection|inspectors?|children)\b", re.IGNORECASE)


def read_lines(source: SourceFile) -> list[list[Line]]:
    path = source.path
    if not path.is_file():
        raise CorruptReport("file not found")
    data = path.read_bytes()
    if not data:
        raise CorruptReport("empty file (0 bytes)")
    kind = sniff(data)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        if kind == "html":
            raise CorruptReport("an HTML page saved with a .pdf name, not a PDF")
        if kind == "empty":
            raise CorruptReport("empty file (only whitespace)")
        if kind != "pdf":
            raise CorruptReport("not a PDF (no %PDF- header)")
        return pdf_lines(path, data)
    if suffix in (".html", ".htm"):
        lines = html_lines(data)
        if sum(len(line.text) for line in lines[0]) < MIN_REPORT_CHARS:
            title = html_title(data) or "untitled"
            raise CorruptReport(f"not an inspection report: an HTML page titled {title!r}")
        return lines
    if suffix == ".txt":
        if b"\x00" in data[:4096]:
            raise CorruptReport("binary data in a .txt file")
        return text_lines(data)
    raise CorruptReport(f"unsupported file type {suffix or '(none)'}")


def load_report(source: SourceFile) -> Report:
    """One report, cleaned and structured; raises CorruptReport with a one-line reason.

    Anything else that goes wrong inside (a PDF that trips pdfium or the parser in a way not met
    before) is a CorruptReport too, so that one odd file never stops a build.
    """
    try:
        return _load(source)
    except CorruptReport:
        raise
    except (OSError, ValueError, IndexError, KeyError, TypeError, UnicodeError, MemoryError) as error:
        detail = " ".join(str(error).split())[:200]
        raise CorruptReport(f"could not be read ({type(error).__name__}: {detail})") from error


def _load(source: SourceFile) -> Report:
    pages = read_lines(source)
    characters = sum(len(line.text) for page in pages for line in page)
    if not pages or characters < MIN_TEXT_CHARS:
        raise CorruptReport(
            f"no extractable text ({characters} characters in {len(pages)} "
            f"page{'' if len(pages) == 1 else 's'}): image-only or empty"
        )
    cleaned = strip_running_lines(pages)
    blocks = build_blocks(cleaned)
    structure = assemble(blocks, len(cleaned))
    text = "\n".join(page.text for page in structure.pages[:3])
    if len(_REPORT_WORDS.findall(text)) < 3:
        raise CorruptReport("not an inspection report (no mention of Ofsted, inspection or children)")
    judgements = parse_judgements(structure.pages, structure.sections)
    first_page = structure.pages[0].text if structure.pages else ""
    start, end = inspection_dates(text)
    return Report(
        report_id=source.report_id,
        local_authority=_authority(source, first_page),
        publication_date=source.publication_date or publication_date(text, source.path.stem),
        source=source,
        pages=structure.pages,
        sections=structure.sections,
        paragraphs=structure.paragraphs,
        judgements=judgements,
        inspection_start=source.inspection_start or start,
        inspection_end=source.inspection_end or end,
    )


def _authority(source: SourceFile, first_page: str) -> str:
    """The manifest's name, shaped for display, so that every report of one authority carries the
    same name (filters depend on it; the reports themselves vary: "St. Helens", "St Helens");
    without a manifest, the name the report gives itself."""
    if source.local_authority:
        return display_name(source.local_authority)
    written = local_authority(first_page)
    # Last resort: the file name without its date ("durham-2019-10-21" -> "Durham").
    stem = re.sub(r"[-_ ]?\d{4}-\d{2}-\d{2}$", "", source.report_id) or source.report_id
    return written or display_name(stem.replace("-", " ").replace("_", " "))


def load_reports(
    path: Path, failures: list[LoadFailure] | None = None, *, workers: int = 1
) -> Iterator[Report]:
    """Every loadable report of a corpus folder, in report-id order; each failure is appended to
    ``failures`` (when given) with its one-line reason, and loading goes on.

    ``workers`` > 1 extracts in that many processes (pdfium is not thread-safe); reports still
    come out in order.
    """
    sources = scan_corpus(path)
    if workers <= 1 or len(sources) < 2:
        outcomes: Iterator[Report | str] = map(_load_or_reason, sources)
        yield from _collect(sources, outcomes, failures)
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
    try:
        yield from _collect(sources, pool.map(_load_or_reason, sources, chunksize=4), failures)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _load_or_reason(source: SourceFile) -> Report | str:
    try:
        return load_report(source)
    except CorruptReport as error:
        return str(error)


def _collect(
    sources: list[SourceFile], outcomes: Iterator[Report | str], failures: list[LoadFailure] | None
) -> Iterator[Report]:
    for source, outcome in zip(sources, outcomes, strict=True):
        if isinstance(outcome, Report):
            yield outcome
        elif failures is not None:
            failures.append(LoadFailure(file=str(source.path), error=outcome))
