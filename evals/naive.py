"""The naive retrieval pipeline everyone starts with, as a baseline to beat.

pypdf page text → LangChain ``RecursiveCharacterTextSplitter(1000, 200)`` per page → all-MiniLM-L6-v2
in torch fp32 → FAISS ``IndexFlatIP`` → top 4 passages as the answer. No cleaning, no structure, no
query understanding. Embedding a whole corpus this way takes a long time on a small CPU, so the built
index is cached under ``cache_dir/<hash of the reports' content hashes and the settings>`` and reused.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from evals.records import RetrievedPassage
from inspectqa.errors import InspectQAError
from inspectqa.settings import Settings

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
VERSION = "naive-v1"
log = logging.getLogger(__name__)


class NaiveTooSlow(InspectQAError):
    """Building the naive index would exceed the time budget given."""


@dataclass(frozen=True)
class NaiveChunk:
    report_id: str
    local_authority: str
    page: int
    text: str


def corpus_key(reports: Sequence[Any]) -> str:
    digest = hashlib.sha256(f"{VERSION}:{CHUNK_SIZE}:{CHUNK_OVERLAP}".encode())
    for report in sorted(reports, key=lambda r: r.report_id):
        digest.update(f"{report.report_id}:{report.content_hash}\n".encode())
    return digest.hexdigest()[:16]


def split_report(report: Any) -> list[NaiveChunk]:
    """pypdf page text of one report, split per page; unreadable files give nothing."""
    import pypdf
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    chunks: list[NaiveChunk] = []
    try:
        reader = pypdf.PdfReader(report.file)
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            chunks.extend(
                NaiveChunk(report.report_id, report.local_authority, number, piece)
                for piece in splitter.split_text(text)
            )
    except Exception as error:  # a naive pipeline skips what pypdf cannot read, whatever the reason
        log.warning("naive: skipped %s: %s", report.report_id, error)
    return chunks


class NaiveIndex:
    def __init__(self, chunks: list[NaiveChunk], index: Any, model: Any) -> None:
        self.chunks = chunks
        self.index = index
        self.model = model

    @classmethod
    def build(
        cls, reports: Sequence[Any], cache_dir: Path, settings: Settings, *, budget_s: float | None = None
    ) -> NaiveIndex:
        """Load from the cache, or build (pypdf, splitter, torch fp32 embeddings) and cache."""
        import faiss

        model = _torch_model(settings)
        folder = cache_dir / corpus_key(reports)
        if (folder / "index.faiss").is_file() and (folder / "chunks.jsonl").is_file():
            with (folder / "chunks.jsonl").open() as handle:
                chunks = [NaiveChunk(**json.loads(line)) for line in handle]
            return cls(chunks, faiss.read_index(str(folder / "index.faiss")), model)
        started = time.monotonic()

        def check_budget(stage: str, done: int, total: int, stage_started: float) -> None:
            """Give up as soon as the projected finish of this stage passes the budget: no point
            spending the budget to learn what the first few steps already show."""
            if budget_s is None or done == 0:
                return
            now = time.monotonic()
            projected = (now - started) + (now - stage_started) / done * (total - done)
            if now - started > budget_s or (done >= 3 and projected > budget_s):
                raise NaiveTooSlow(
                    f"building the naive index would take about {projected / 60:.0f} min ({stage}: {done} of "
                    f"{total} in {now - stage_started:.0f} s), over the {budget_s:.0f} s budget"
                )

        chunks = []
        stage_started = time.monotonic()
        for i, report in enumerate(tqdm(reports, desc="naive: pypdf + split", unit="report"), start=1):
            chunks.extend(split_report(report))
            check_budget("pypdf text", i, len(reports), stage_started)
            if i == 3 and budget_s is not None and len(reports) > 3:
                _probe_whole_build(model, chunks, i, len(reports), time.monotonic() - stage_started, budget_s)
        vectors = []
        batch = 64
        stage_started = time.monotonic()
        starts = range(0, len(chunks), batch)
        for i, start in enumerate(tqdm(starts, desc="naive: embed (torch fp32)", unit="batch"), start=1):
            texts = [c.text for c in chunks[start : start + batch]]
            vectors.append(model.encode(texts, normalize_embeddings=True, convert_to_numpy=True))
            check_budget("embedding", i, len(starts), stage_started)
        matrix = np.vstack(vectors).astype(np.float32) if vectors else np.zeros((0, 384), np.float32)
        index = faiss.IndexFlatIP(matrix.shape[1])
        index.add(matrix)
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / "chunks.jsonl.part"
        with partial.open("w") as handle:
            for chunk in chunks:
                handle.write(json.dumps(asdict(chunk)) + "\n")
        faiss.write_index(index, str(folder / "index.faiss.part"))
        (folder / "index.faiss.part").rename(folder / "index.faiss")
        partial.rename(folder / "chunks.jsonl")
        return cls(chunks, index, model)

    def search(self, question: str, k: int) -> list[RetrievedPassage]:
        vector = self.model.encode([question], normalize_embeddings=True, convert_to_numpy=True)
        scores, rows = self.index.search(np.asarray(vector, dtype=np.float32), k)
        out = []
        for rank, (row, score) in enumerate(zip(rows[0], scores[0], strict=True), start=1):
            if row < 0:
                continue
            chunk = self.chunks[int(row)]
            out.append(
                RetrievedPassage(
                    rank,
                    f"naive:{chunk.report_id}#{row}",
                    chunk.report_id,
                    chunk.text,
                    float(score),
                    (chunk.page,),
                    chunk.local_authority,
                )
            )
        return out


def _probe_whole_build(
    model: Any, chunks: list[NaiveChunk], done: int, total: int, extract_s: float, budget_s: float
) -> None:
    """Embed one batch of the first reports' chunks and project the whole build from both rates,
    so a build that cannot fit its budget stops after a few seconds, not after extracting everything."""
    sample = [c.text for c in chunks[:32]]
    if not sample:
        return
    started = time.monotonic()
    model.encode(sample, normalize_embeddings=True, convert_to_numpy=True)
    per_chunk = (time.monotonic() - started) / len(sample)
    expected_chunks = len(chunks) / done * total
    projected = extract_s / done * total + per_chunk * expected_chunks
    if projected > budget_s:
        raise NaiveTooSlow(
            f"building the naive index would take about {projected / 60:.0f} min "
            f"(pypdf {extract_s / done:.1f} s a report, torch fp32 {1 / per_chunk:.1f} chunks/s, "
            f"~{expected_chunks:,.0f} chunks), over the {budget_s:.0f} s budget"
        )


def _torch_model(settings: Settings) -> Any:
    """all-MiniLM-L6-v2 in plain torch fp32, as a naive pipeline would load it."""
    from sentence_transformers import SentenceTransformer

    from indexer.embedding import model_path

    return SentenceTransformer(str(model_path(settings)), device="cpu")
