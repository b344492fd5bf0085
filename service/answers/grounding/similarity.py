"""Embedding similarity between a claim's clauses and its passage, with the vectors cached.

A paraphrase ("leaders know the service well" for "senior leaders have a good understanding of
the service") shares few words with its passage; the MiniLM embedder sees that the meaning is the
same. The service checks several sentences of an answer against the same few passages, and the
evaluation checks many claims against one passage, so passage and claim vectors are kept in small
least-recently-used caches, guarded by a lock since the service checks answers on several threads.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np

_MAX_PASSAGES = 512
_MAX_CLAIMS = 2048
_MAX_UNITS = 64


class TextEncoder(Protocol):
    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray: ...


class SimilarityCache:
    """Best cosine similarity of each clause to a passage's sentences, or two adjacent ones."""

    def __init__(self, embedder: TextEncoder) -> None:
        self.embedder = embedder
        self._passages: OrderedDict[str, tuple[list[str], np.ndarray]] = OrderedDict()
        self._claims: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def best(self, clauses: list[str], passage: str, sentences: list[str]) -> np.ndarray:
        _, unit_vectors = self._passage_vectors(passage, sentences)
        vectors = np.stack(self._vectors(clauses))
        return (vectors @ unit_vectors.T).max(axis=1)

    def _vectors(self, texts: list[str]) -> list[np.ndarray]:
        """The texts' vectors, the ones not cached yet encoded in one call."""
        with self._lock:
            found = {t: self._claims[t] for t in texts if t in self._claims}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            encoded = np.asarray(self.embedder.encode(missing), dtype=np.float32)
            with self._lock:
                for text, vector in zip(missing, encoded, strict=True):
                    found[text] = vector
                    self._claims[text] = vector
                while len(self._claims) > _MAX_CLAIMS:
                    self._claims.popitem(last=False)
        return [found[t] for t in texts]

    def _passage_vectors(self, passage: str, sentences: list[str]) -> tuple[list[str], np.ndarray]:
        with self._lock:
            hit = self._passages.get(passage)
            if hit is not None:
                self._passages.move_to_end(passage)
                return hit
        # Sentences, their clauses and adjacent pairs: a claim may be a part of one or span two.
        units = list(sentences)
        units.extend(f"{a} {b}" for a, b in itertools.pairwise(sentences))
        units = list(dict.fromkeys(units))[:_MAX_UNITS] or [passage]
        vectors = np.asarray(self.embedder.encode(units), dtype=np.float32)
        with self._lock:
            self._passages[passage] = (units, vectors)
            if len(self._passages) > _MAX_PASSAGES:
                self._passages.popitem(last=False)
        return units, vectors
