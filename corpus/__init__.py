"""The corpus stage: report files in, frozen ``Report`` records out.

``scan_corpus(path)`` lists a folder's reports cheaply (manifest metadata and content hashes);
``load_report(source)`` extracts, cleans and structures one (raising ``CorruptReport`` with a
one-line reason); ``load_reports(path, failures, workers=1)`` does every one, in report-id order,
and goes on past failures. ``inspectqa corpus fetch`` and ``inspectqa corpus info`` are in
``corpus.cli``. ``EXTRACTOR_VERSION`` names the output of all of it, for the indexer.
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

# The version of what this package makes of a file: page text, cleaning, sections, paragraphs,
# judgements, metadata and offsets. The indexer records it in each generation's manifest and reads
# every report again (and embeds it again) when it differs, because an incremental build otherwise
# only re-reads files whose bytes changed. Bump it in the commit that changes corpus/ in a way that
# can change a ``Report`` made from the same bytes (page text, cleaning, sections, paragraphs,
# judgements, metadata, offsets); leave it for changes that cannot (fetching, scanning, speed, error
# messages, ``corpus info``). A bump costs each existing index one full re-extraction and
# re-embedding on its next build (about 40 minutes for the shared corpus on two cores).
EXTRACTOR_VERSION = 1

__all__ = [
    "EXTRACTOR_VERSION",
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
