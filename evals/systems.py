"""The systems an evaluation compares, each reduced to ``SystemOutput`` for every question.

- ``inspectqa``: the full service path, exactly what ``/ask`` does (``QAService.ask`` with the
  default ``top_k`` and the question's ``history``, for follow-ups); the ranked passages for the
  retrieval metrics are the passages ``ask`` itself retrieved, in its order, followed by
  ``QAService.search``'s (same query understanding) up to ``k``.
- ``llm``: the same service with the optional LLM answerer configured (``INSPECTQA_LLM_*``).
- ``bm25``: the index's SQLite FTS5 BM25 only, over the same chunks; extractive answer.
- ``dense``: the index's FAISS vectors only, the raw question embedded, no query understanding;
  extractive answer.
- ``naive``: the naive pipeline (``evals.naive``): its own chunks and index, answer = top 4 passages.

The baselines' extractive answer: from each of the top three passages, the sentence sharing the most
words with the question, cited to that passage. Baselines never abstain; that is what they would do.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, cast

from evals.gold import GoldQuestion
from evals.records import AnswerSentence, CitedPassage, RetrievedPassage, SystemOutput
from inspectqa.errors import ConfigError, InspectQAError
from inspectqa.settings import Settings
from service.answers.records import Turn

Role = Literal["user", "assistant"]
SYSTEMS = ("inspectqa", "bm25", "dense", "naive", "llm")

System = Callable[[GoldQuestion], SystemOutput]

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(‘“])")
_WORD = re.compile(r"[a-z0-9]+")
_QUESTION_WORDS = frozenset(
    [
        "what",
        "which",
        "who",
        "whom",
        "how",
        "when",
        "where",
        "why",
        "did",
        "does",
        "do",
        "was",
        "were",
        "is",
        "are",
        "the",
        "a",
        "an",
        "of",
        "in",
        "to",
        "for",
        "and",
        "or",
        "its",
        "their",
        "according",
        "at",
        "by",
        "with",
        "from",
        "on",
        "that",
        "this",
        "there",
        "about",
        "into",
    ]
)


def question_terms(question: str) -> set[str]:
    return {w for w in _WORD.findall(question.lower()) if w not in _QUESTION_WORDS and len(w) > 2}


def extractive_answer(
    question: str, passages: Sequence[RetrievedPassage], n_passages: int = 3
) -> tuple[str, tuple[AnswerSentence, ...], tuple[CitedPassage, ...]]:
    """From each of the top passages, its sentence sharing most words with the question, cited."""
    terms = question_terms(question)
    sentences: list[AnswerSentence] = []
    cited: list[CitedPassage] = []
    for passage in passages[:n_passages]:
        candidates = [
            s.strip() for s in _SENTENCE.split(" ".join(passage.text.split())) if len(s.split()) >= 4
        ]
        if not candidates:
            continue
        best = max(candidates, key=lambda s: len(terms & set(_WORD.findall(s.lower()))))
        n = len(cited) + 1
        cited.append(
            CitedPassage(n, passage.chunk_id, passage.report_id, passage.text, passage.local_authority)
        )
        sentences.append(AnswerSentence(best, (n,)))
    answer = " ".join(f"{s.text} [{s.citations[0]}]" for s in sentences)
    return answer, tuple(sentences), tuple(cited)


def _timed(question: GoldQuestion, work: Callable[[], SystemOutput]) -> SystemOutput:
    started = time.perf_counter()
    try:
        return work()
    except InspectQAError as error:
        ms = (time.perf_counter() - started) * 1000
        return SystemOutput(question.id, (), "", (), (), False, ms, error=str(error))


def _chunks_to_passages(index: Any, hits: Sequence[tuple[int, float]]) -> tuple[RetrievedPassage, ...]:
    chunks = index.chunks([row for row, _ in hits]) if hits else []
    return tuple(
        RetrievedPassage(
            rank,
            chunk.chunk_id,
            chunk.report_id,
            chunk.text,
            float(score),
            tuple(chunk.pages),
            chunk.local_authority,
        )
        for rank, (chunk, (_, score)) in enumerate(zip(chunks, hits, strict=True), start=1)
    )


def bm25_system(index: Any, k: int) -> System:
    def run(question: GoldQuestion) -> SystemOutput:
        def work() -> SystemOutput:
            started = time.perf_counter()
            query = " ".join(sorted(question_terms(question.question))) or question.question
            passages = _chunks_to_passages(index, index.lexical_search(query, k))
            answer, sentences, cited = extractive_answer(question.question, passages)
            ms = (time.perf_counter() - started) * 1000
            return SystemOutput(question.id, passages, answer, sentences, cited, False, ms)

        return _timed(question, work)

    return run


def dense_system(index: Any, embedder: Any, k: int) -> System:
    def run(question: GoldQuestion) -> SystemOutput:
        def work() -> SystemOutput:
            started = time.perf_counter()
            vector = embedder.encode([question.question])
            hits = index.dense_search(vector, k)[0]
            passages = _chunks_to_passages(index, hits)
            answer, sentences, cited = extractive_answer(question.question, passages)
            ms = (time.perf_counter() - started) * 1000
            return SystemOutput(question.id, passages, answer, sentences, cited, False, ms)

        return _timed(question, work)

    return run


def _service_passage(rank: int, passage: Any) -> RetrievedPassage:
    return RetrievedPassage(
        rank,
        passage.chunk_id,
        passage.report_id,
        passage.text,
        float(passage.score),
        tuple(passage.pages),
        passage.local_authority,
    )


def service_system(service: Any, k: int, top_k: int = 5) -> System:
    """``QAService.ask`` as ``/ask`` calls it; ``search`` for the k ranked passages."""

    def run(question: GoldQuestion) -> SystemOutput:
        def work() -> SystemOutput:
            history = [Turn(cast(Role, role), content) for role, content in question.history]
            started = time.perf_counter()
            answer = service.ask(question.question, history=history, top_k=top_k)
            ms = (time.perf_counter() - started) * 1000
            # Ranks: the passages /ask itself retrieved, in its order, then search's to reach k.
            ranked = list(answer.passages)
            seen = {p.chunk_id for p in ranked}
            more = service.search(question.question, k=k, history=history)
            ranked += [p for p in more if p.chunk_id not in seen]
            passages = tuple(_service_passage(r, p) for r, p in enumerate(ranked[:k], start=1))
            by_chunk = {p.chunk_id: p for p in answer.passages}
            cited = []
            for citation in answer.citations:
                source = by_chunk.get(citation.chunk_id)
                text = source.text if source is not None else citation.quote
                cited.append(
                    CitedPassage(
                        citation.n,
                        citation.chunk_id,
                        citation.report_id,
                        text,
                        citation.local_authority,
                        citation.page,
                    )
                )
            sentences = tuple(AnswerSentence(s.text, tuple(s.citations)) for s in answer.sentences)
            items = (answer.data or {}).get("items") or ()
            return SystemOutput(
                question.id,
                passages,
                answer.answer,
                sentences,
                tuple(cited),
                answer.abstained,
                ms,
                named=tuple(str(r) for r in items),
            )

        return _timed(question, work)

    return run


def naive_system(naive: Any, top: int = 4) -> System:
    def run(question: GoldQuestion) -> SystemOutput:
        def work() -> SystemOutput:
            started = time.perf_counter()
            passages = tuple(naive.search(question.question, max(top, 10)))
            shown = passages[:top]
            cited = tuple(
                CitedPassage(p.rank, p.chunk_id, p.report_id, p.text, p.local_authority) for p in shown
            )
            # The answer is the passages themselves, each citing itself.
            sentences = tuple(AnswerSentence(" ".join(p.text.split()), (p.rank,)) for p in shown)
            answer = "\n\n".join(s.text for s in sentences)
            ms = (time.perf_counter() - started) * 1000
            return SystemOutput(question.id, passages, answer, sentences, cited, False, ms)

        return _timed(question, work)

    return run


class Resources:
    """Opens the index, the model and the service once, for however many systems are run."""

    def __init__(self, index_path: Path, settings: Settings, cache_dir: Path | None = None) -> None:
        self.index_path = index_path
        self.settings = settings
        self.cache_dir = cache_dir
        self._index: Any = None
        self._embedder: Any = None

    @property
    def index(self) -> Any:
        if self._index is None:
            from indexer.sources import open_search_index

            self._index = open_search_index(self.settings.model_copy(update={"index": self.index_path}))
        return self._index

    @property
    def embedder(self) -> Any:
        if self._embedder is None:
            from indexer.embedding import load_embedder

            self._embedder = load_embedder(self.settings)
        return self._embedder

    def system(self, name: str, k: int, *, naive_budget_s: float | None = None) -> System:
        if name == "bm25":
            return bm25_system(self.index, k)
        if name == "dense":
            return dense_system(self.index, self.embedder, k)
        if name in ("inspectqa", "llm"):
            from service.answers.qa import QAService

            settings = self.settings
            if name == "llm" and not settings.llm_enabled:
                raise ConfigError(
                    "the llm system needs an LLM server",
                    hint="set INSPECTQA_LLM_BASE_URL and INSPECTQA_LLM_MODEL",
                )
            if name == "inspectqa" and settings.llm_enabled:
                settings = settings.model_copy(update={"llm_base_url": None, "llm_model": None})
            return service_system(QAService.open(settings, index=self.index, embedder=self.embedder), k)
        if name == "naive":
            from evals.naive import NaiveIndex

            cache = self.cache_dir or (self.settings.cache_dir / "naive")
            naive = NaiveIndex.build(self.index.reports(), cache, self.settings, budget_s=naive_budget_s)
            return naive_system(naive)
        raise ConfigError(f"unknown system {name!r}", hint=f"one of {', '.join(SYSTEMS)}")
