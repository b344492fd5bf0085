"""Embedding similarity between a claim's clauses and its passage, with the vectors cached.

A paraphrase ("leaders know the service well" for "senior leaders have a good understanding of
the service") shares few words with its passage; the MiniLM embedder sees that the meaning is the
same. The service checks several sentences of an answer against the same few passages, and the
evaluation checks many claims against one passage, so vectors are kept in a least-recently-used
cache, guarded by a lock since the service checks answers on several threads. Passage units the
index build embedded (``indexer.unit_vectors``: every chunk's sentences and pairs) are read from
the generation instead of embedded, so an answer over indexed passages embeds only its own clauses.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np

_MAX_TEXTS = 16384  # clauses and passage units, about 25 MB of vectors


class TextEncoder(Protocol):
    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray: ...


class StoredVectors(Protocol):
    """Vectors embedded before, by text (``indexer.unit_vectors.UnitVectors``)."""

    def lookup(self, texts: Iterable[str]) -> dict[str, np.ndarray]: ...


class SimilarityCache:
    """Best cosine similarity of each clause to the passage units it could rest on.

    Only the units a clause aligns with best by words (``alignment.candidates``) are embedded, not
    every sentence and pair of every passage: a passage that is new (a new question's) costs a few
    short texts, not dozens. Vectors are kept per text, so units shared by several claims, and
    passages checked again, cost nothing; ``prefetch`` embeds an answer's texts in one call.
    """

    def __init__(self, embedder: TextEncoder, stored: StoredVectors | None = None) -> None:
        self.embedder = embedder
        self.stored = stored
        self._vectors_by_text: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def best(self, clauses: list[str], candidates: list[list[str]]) -> np.ndarray:
        """Each clause's best similarity to one of its candidate units."""
        vectors = self.vectors([*clauses, *(u for units in candidates for u in units)])
        clause_vectors, unit_vectors = vectors[: len(clauses)], vectors[len(clauses) :]
        out, at = [], 0
        for vector, units in zip(clause_vectors, candidates, strict=True):
            mine = unit_vectors[at : at + len(units)]
            at += len(units)
            out.append(max((float(vector @ u) for u in mine), default=0.0))
        return np.asarray(out, dtype=np.float32)

    def prefetch(self, texts: Sequence[str]) -> None:
        self.vectors(list(texts))

    def vectors(self, texts: list[str]) -> list[np.ndarray]:
        """The texts' vectors: cached, else stored by the index build, else encoded in one call."""
        with self._lock:
            found = {t: self._vectors_by_text[t] for t in texts if t in self._vectors_by_text}
            for text in found:
                self._vectors_by_text.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        known = self.stored.lookup(missing) if self.stored is not None and missing else {}
        missing = [t for t in missing if t not in known]
        if missing:
            encoded = np.asarray(self.embedder.encode(missing), dtype=np.float32)
            known.update(zip(missing, encoded, strict=True))
        if known:
            with self._lock:
                for text, vector in known.items():
                    found[text] = vector
                    self._vectors_by_text[text] = vector
                while len(self._vectors_by_text) > _MAX_TEXTS:
                    self._vectors_by_text.popitem(last=False)
        return [found[t] for t in texts]
