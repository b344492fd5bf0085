"""Vectors of the passage units the grounding checker compares by meaning, stored in the generation.

The LLM path checks every sentence of a written answer against the passages it cites, and the
checker compares each claim with a few passage units (sentences, pairs of adjacent sentences, and
words) by MiniLM similarity. Embedding those units when the answer comes cost ten times the rest of
the check (about 260 of 285 ms for a 6-sentence answer on this machine), yet the units are known
when the index is built: every cited passage is a chunk. So the build embeds each chunk's units once and
writes two arrays into the generation, beside ``index.faiss``:

- ``unit-keys.npy``: the 64-bit BLAKE2b key of each unit's text, ascending (uint64);
- ``unit-vectors.npy``: the unit vectors in the same order (float16: half the disk of float32,
  and within 0.001 in cosine, far below what int8 quantisation already varies by batch).

Keyed by text, not by chunk: the same sentence in two chunks is stored once; a later build reuses
the vectors of every text it still holds and embeds only new ones (content decides, as for chunks);
and a text the splitter of a later version cuts otherwise is simply not found and is embedded when
checked, so a lookup can never return another text's vector (short of a 64-bit collision). What a
unit is belongs to the checker, not to the indexer: the build is given the function that cuts a
passage into its units (``PassageUnits``). The files are opened by memory map, so a service pays
for the pages its passages touch, not for the whole array. Generations built without them still
work: the checker embeds what it needs.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tqdm import tqdm

KEYS_FILE = "unit-keys.npy"
VECTORS_FILE = "unit-vectors.npy"
DTYPE = "float16"
EMBED_BATCH = 4096  # units per encode call: the encoder sorts each call's texts by length

PassageUnits = Callable[[str], Sequence[str]]  # a passage's text -> the units the checker compares


class Encoder(Protocol):
    @property
    def dimension(self) -> int: ...

    def encode(
        self, texts: Sequence[str], *, show_progress: bool = False, batch_size: int = 32
    ) -> np.ndarray: ...


def text_key(text: str) -> int:
    """The 64-bit key a unit's text is stored under."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


class UnitVectors:
    """Stored unit vectors, looked up by text (``lookup``)."""

    def __init__(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        if keys.ndim != 1 or vectors.ndim != 2 or len(keys) != len(vectors):
            raise ValueError(f"{len(keys)} unit keys for {len(vectors)} unit vectors")
        self.keys = keys
        self.vectors = vectors

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def dimension(self) -> int:
        return int(self.vectors.shape[1])

    def lookup(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored vectors (float32 copies) of those of ``texts`` that are stored."""
        wanted = list(dict.fromkeys(texts))
        keys = np.fromiter((text_key(t) for t in wanted), dtype=np.uint64, count=len(wanted))
        at, hit = self.find(keys)
        return {
            text: np.asarray(self.vectors[i], dtype=np.float32)
            for text, i, found in zip(wanted, at.tolist(), hit.tolist(), strict=True)
            if found
        }

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each key's row here and whether it is stored (the row is meaningless where it is not)."""
        if not len(self.keys):
            return np.zeros(len(keys), dtype=np.int64), np.zeros(len(keys), dtype=bool)
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return at, self.keys[at] == keys

    @classmethod
    def open(cls, generation: Path) -> UnitVectors | None:
        """The generation's stored unit vectors by memory map, or None when it has none."""
        keys_path, vectors_path = generation / KEYS_FILE, generation / VECTORS_FILE
        if not keys_path.is_file() or not vectors_path.is_file():
            return None
        return cls(np.load(keys_path, mmap_mode="r"), np.load(vectors_path, mmap_mode="r"))


@dataclass(frozen=True)
class Written:
    """What ``write`` stored: units in all, of which embedded now (the rest reused), and the time."""

    units: int
    embedded: int
    seconds: float

    def manifest(self) -> dict[str, Any]:
        return {"keys": KEYS_FILE, "vectors": VECTORS_FILE, "dtype": DTYPE, "count": self.units}


def write(
    target: Path,
    passages: Iterable[str],
    units: PassageUnits,
    embedder: Encoder,
    previous: UnitVectors | None = None,
    batch_size: int = 32,
    progress: bool = False,
) -> Written:
    """Embed the units of ``passages`` (those ``previous`` lacks) and write both arrays to ``target``.

    ``previous`` is the last generation's store, made with the same model (the caller checks that).
    """
    by_key: dict[int, str] = {}
    for passage in passages:
        for text in units(passage):
            by_key.setdefault(text_key(text), text)
    keys = np.fromiter(sorted(by_key), dtype=np.uint64, count=len(by_key))
    vectors = np.zeros((len(keys), embedder.dimension), dtype=DTYPE)
    reused = np.zeros(len(keys), dtype=bool)
    if previous is not None and previous.dimension == embedder.dimension:
        at, reused = previous.find(keys)
        vectors[reused] = previous.vectors[at[reused]]
    missing = np.flatnonzero(~reused)
    started = time.perf_counter()
    with tqdm(total=len(missing), desc="embedding sentences", unit="unit", disable=not progress) as bar:
        for start in range(0, len(missing), EMBED_BATCH):
            rows = missing[start : start + EMBED_BATCH]
            vectors[rows] = embedder.encode([by_key[k] for k in keys[rows].tolist()], batch_size=batch_size)
            bar.update(len(rows))
    seconds = time.perf_counter() - started
    np.save(target / KEYS_FILE, keys)
    np.save(target / VECTORS_FILE, vectors)
    return Written(len(keys), len(missing), round(seconds, 3))
