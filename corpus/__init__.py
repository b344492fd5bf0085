"""The corpus stage: report files in, frozen ``Report`` records out.

``scan_corpus(path)`` lists a folder's reports cheaply (manifest metadata and content hashes);
``load_report(source)`` extracts, cleans and structures one (raising ``CorruptReport`` with a
one-line reason); ``load_reports(path, failures, workers=1)`` does every one, in report-id order,
and goes on past failures. ``inspectqa corpus fetch`` and ``inspectqa corpus info`` are in
``corpus.cli``.
"""

from corpus.loading import load_report, load_reports
from corpus.records import (
    JUDGEMENT_AREAS,
    PAGE_SEPARATOR,
    Judgement,
    LoadFailure,
    Page,
    Paragraph,
    Report,
    Section,
    SourceFile,
)
from corpus.scanning import scan_corpus

__all__ = [
    "JUDGEMENT_AREAS",
    "PAGE_SEPARATOR",
    "Judgement",
    "LoadFailure",
    "Page",
    "Paragraph",
    "Report",
    "Section",
    "SourceFile",
    "load_report",
    "load_reports",
    "scan_corpus",
]
