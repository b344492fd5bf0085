"""The indexer stage: reports in, an inspectable index directory out.

``chunk(report, embedder, settings)`` cuts a report into passages of whole paragraphs of one section;
``build(corpus, index, settings)`` updates an index directory incrementally and atomically;
``open_index(index, settings)`` opens its current generation for reading.
"""

from indexer.chunking import chunk, embedding_text

__all__ = ["chunk", "embedding_text"]
