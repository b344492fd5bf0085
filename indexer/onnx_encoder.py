"""Running the exported int8 model with ONNX Runtime and the fast tokenizer alone, without torch.

Why: sentence-transformers' ONNX backend computes the same thing (tokenise, run the graph, mean-pool over
the attention mask, L2-normalise), but importing it imports torch and transformers, which costs about
seven seconds on this machine before the first vector. A build that adds one report, ``inspectqa
search`` and the service's start-up pay that each time. This class loads in well under a second and
gives the same vectors as sentence-transformers' ONNX backend over the same file (tested: cosine
> 0.9999). The export itself (done once) still goes through sentence-transformers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


class OnnxEncoder:
    """A mean-pooling, normalising sentence encoder over one ONNX file of a sentence-transformers folder."""

    def __init__(self, folder: Path, file_name: str, max_tokens: int, *, threads: int | None = None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
        if pooling.get("pooling_mode", "mean") != "mean" and not pooling.get("pooling_mode_mean_tokens"):
            raise ValueError(f"{folder} does not use mean pooling; use the torch backend")
        self.dimension = int(pooling["embedding_dimension"])
        self.max_tokens = max_tokens
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        if threads is not None:
            options.intra_op_num_threads = threads
        self._session = onnxruntime.InferenceSession(
            str(folder / file_name), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer: Any = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=max_tokens)
        pad_id = self._tokenizer.token_to_id("[PAD]") or 0
        self._tokenizer.enable_padding(pad_id=pad_id, pad_token="[PAD]")

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: Any = None) -> np.ndarray:
        # Longest first, as sentence-transformers does: batches of similar length waste little padding.
        order = np.argsort([-len(text) for text in texts], kind="stable")
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            batch = order[start : start + batch_size]
            out[batch] = self._encode_batch([texts[i] for i in batch])
            if progress is not None:
                progress.update(len(batch))
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=True)
        ids = np.asarray([e.ids for e in encodings], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.asarray([e.type_ids for e in encodings], dtype=np.int64)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
