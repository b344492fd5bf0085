"""The indexer stage: reports in, an inspectable index directory out.

``chunk(report, embedder, settings)`` cuts a report into passages of whole paragraphs of one section;
``build(corpus, index, settings)`` updates an index directory incrementally and atomically;
``open_index(index, settings)`` opens its current generation for reading (an ``Index``).
"""

from indexer.build import build
from indexer.chunking import chunk, embedding_text
from indexer.generations import open_index
from indexer.records import BuildReport, Chunk
from indexer.store import Index, ReportMeta

__all__ = ["BuildReport", "Chunk", "Index", "ReportMeta", "build", "chunk", "embedding_text", "open_index"]
