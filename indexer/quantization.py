"""The ONNX export of the model and its int8 quantisation for a CPU target, made once per machine.

Targets are ONNX Runtime's dynamic quantisation configs (``optimum``'s ``AutoQuantizationConfig``):
``avx2``, ``avx512``, ``avx512_vnni`` and ``arm64``. ``quantization_target`` picks the one that suits
this CPU from its flags (or takes ``INSPECTQA_QUANTIZATION_TARGET``). Every target's int8 model runs on
any CPU ONNX Runtime supports; the target only chooses the weights' layout that is fastest there.

The quantised file's name is never assumed: optimum names it after the config's weight type
(``model_quint8_avx2.onnx`` has unsigned weights, ``model_qint8_avx512_vnni.onnx`` signed ones), so
the file the export actually wrote is found by comparing the folder before and after, and recorded in
``onnx/quantized.json`` (target -> file). Exports made before that record are found by name.

Layout of one export, in ``cache_dir/models/<slug>-<hash of the model files>``: the model's folder
(tokenizer, pooling config) with ``onnx/model.onnx`` (fp32) and one ``onnx/model_*_<target>.onnx`` per
target used. The fp32 export is written to a temporary directory and renamed into place, so a second
process starting at the same time either sees a complete export or makes its own; each int8 file is
moved in with one rename as well.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import platform
import tempfile
import warnings
from pathlib import Path
from typing import Literal, get_args

from inspectqa.errors import ConfigError

log = logging.getLogger(__name__)

Target = Literal["avx2", "avx512", "avx512_vnni", "arm64"]
TARGETS: tuple[str, ...] = get_args(Target)
FP32_FILE = "onnx/model.onnx"
RECORD = "onnx/quantized.json"


def quantization_target(
    setting: str = "auto", *, machine: str | None = None, flags: set[str] | None = None
) -> str:
    """The ONNX Runtime quantisation config for this CPU, or ``setting`` when it names one.

    ``machine`` (``platform.machine()``) and ``flags`` (``/proc/cpuinfo``) are read when not given.
    """
    if setting != "auto":
        if setting not in TARGETS:
            raise ConfigError(
                f"unknown quantisation target {setting!r}", hint=f"use auto or one of {', '.join(TARGETS)}"
            )
        return setting
    machine = (machine if machine is not None else platform.machine()).lower()
    if machine in {"arm64", "aarch64"}:
        return "arm64"
    flags = cpu_flags() if flags is None else flags
    if "avx512_vnni" in flags or "avx512vnni" in flags:
        return "avx512_vnni"
    if "avx512f" in flags:
        return "avx512"
    return "avx2"


def cpu_flags() -> set[str]:
    """The CPU's feature flags from ``/proc/cpuinfo`` (empty where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def export_folder(path: Path, cache_dir: Path, fingerprint: str) -> Path:
    """Where the export of the model at ``path`` (with files hashing to ``fingerprint``) is kept."""
    slug = path.name if path.name != "model" else path.parent.name
    return cache_dir / "models" / f"{slug}-{fingerprint}"


def quantized_file(folder: Path, target: str) -> str | None:
    """The int8 file for ``target`` in an export folder (relative, e.g. ``onnx/model_quint8_avx2.onnx``)."""
    recorded = _read_record(folder).get(target)
    if recorded and (folder / recorded).is_file():
        return recorded
    # Exports from before the record: optimum's names end with the target, after the weight type.
    found = sorted(p for p in (folder / "onnx").glob(f"model_*int8_{target}.onnx") if p.is_file())
    return f"onnx/{found[0].name}" if len(found) == 1 else None


def export_fp32(path: Path, folder: Path) -> Path:
    """``folder`` holding the model's fp32 ONNX export (``onnx/model.onnx``), made if missing."""
    if (folder / FP32_FILE).is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    log.info("exporting %s to ONNX in %s; done once", path, folder)
    from sentence_transformers import SentenceTransformer

    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{folder.name}.tmp-") as tmp:
        staging = Path(tmp) / "export"
        with warnings.catch_warnings():
            # The torch tracer and optimum warn about constants folded into the graph: expected for
            # a fixed-architecture export, and noise to a person running a build.
            warnings.simplefilter("ignore")
            model = SentenceTransformer(str(path), device="cpu", backend="onnx", local_files_only=True)
            model.save_pretrained(str(staging))
            # optimum keeps its export in a TemporaryDirectory owned by the model: release it here,
            # where its implicit-clean-up warning is expected, rather than at interpreter exit.
            del model
            gc.collect()
        if not (staging / FP32_FILE).is_file():
            raise ConfigError(f"the ONNX export of {path} did not produce {FP32_FILE}")
        _fsync_tree(staging)
        try:
            os.rename(staging, folder)  # atomic: others see nothing or a whole export
        except OSError:
            if not (folder / FP32_FILE).is_file():
                raise
    return folder


def quantize(folder: Path, target: str) -> str:
    """The int8 file for ``target`` in the export ``folder`` (relative to it), quantised if missing."""
    existing = quantized_file(folder, target)
    if existing is not None:
        return existing
    log.info("quantising %s to int8 for %s; done once", folder, target)
    from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{folder.name}.q-") as tmp:
        staging = Path(tmp)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = SentenceTransformer(
                str(folder),
                device="cpu",
                backend="onnx",
                local_files_only=True,
                model_kwargs={"file_name": FP32_FILE},
            )
            export_dynamic_quantized_onnx_model(model, target, str(staging))
            del model
            gc.collect()
        written = sorted(p for p in (staging / "onnx").glob("*.onnx") if p.is_file())
        if len(written) != 1:
            raise ConfigError(
                f"quantising {folder} for {target} wrote {len(written)} ONNX files, expected one: "
                f"{', '.join(p.name for p in written) or 'none'}"
            )
        name = f"onnx/{written[0].name}"
        _fsync_tree(staging)
        os.replace(written[0], folder / name)
    _write_record(folder, {**_read_record(folder), target: name})
    return name


def _read_record(folder: Path) -> dict[str, str]:
    try:
        record = json.loads((folder / RECORD).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in record.items()} if isinstance(record, dict) else {}


def _write_record(folder: Path, record: dict[str, str]) -> None:
    staging = folder / f"{RECORD}.{os.getpid()}.tmp"
    staging.write_text(json.dumps(dict(sorted(record.items())), indent=2) + "\n")
    os.replace(staging, folder / RECORD)


def _fsync_tree(root: Path) -> None:
    for file in root.rglob("*"):
        if file.is_file():
            with file.open("rb") as handle:
                os.fsync(handle.fileno())
