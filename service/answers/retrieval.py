"""Hybrid retrieval: dense and lexical candidates fused, then re-scored by looking inside passages.

1. **Candidates.** FAISS inner product on the question's embedding and SQLite FTS5 bm25 on its
   content words, both restricted to the report ids planning chose, fused by reciprocal rank
   (Cormack et al.), which needs no score calibration between the two.
2. **Re-scoring.** A chunk-level embedding cannot see that one sentence of a 250-token passage
   answers the question. So each candidate is also scored by its *best sentence*: the share of
   the question's content words (weighted by inverse document frequency over the whole index, so
   "foster" counts for more than "children") found in that sentence, with a bonus for the
   question's phrases appearing verbatim ('Speaker Box', "annual reviews"). Passages in the
   section a question points at ("what needs to improve", "care leavers") get a boost, as do
   passages of the report's opening summary that name that section's subject (the summary
   states the conclusion on each area); every summary passage gets a little, since that is
   where the report's conclusions are stated.
3. **Diversity.** A greedy pass that skips near-copies of passages already chosen (two councils'
   boilerplate, or one point restated in a summary), so five passages carry five points.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.fusion import reciprocal_rank_fusion
from service.answers.lexicon import SUMMARY_SECTION
from service.answers.records import Passage
from service.answers.text import fold, sentence_spans, stem, stems
from service.answers.tone import agreement, list_ranges, sentence_tone
from service.answers.when import SINCE_LAST

if TYPE_CHECKING:
    from indexer.backend import SearchIndex


@dataclass(frozen=True)
class Weights:
    """How the parts of a passage's score combine (tuned on the development questions)."""

    rrf: float = 20.0  # × the fused rank score (about 1/60 at best per list)
    dense: float = 0.6
    sentence: float = 1.0
    chunk: float = 0.35
    phrase: float = 0.5
    # A passage of the report's opening pages, where inspectors state their conclusions ("the
    # quality of support to care leavers is a standout strength"): among passages that answer
    # about as well, the conclusion rather than one of the details behind it. Chosen on
    # users-tune (0.07 → 0.15: hit@5 0.947 → 0.958); the sentence quoted is then the fitted
    # ranker's (``service.answers.sentence_rank``, whose ``summary`` feature reads this flag).
    summary: float = 0.15
    tone: float = 0.3  # a passage holding a sentence of the tone asked (``Query.tone``)
    change: float = 0.3  # a passage measured from the previous inspection (``Query.change``)
    candidates: int = 60  # from each of dense and lexical
    rescore: int = 40  # fused candidates looked inside


SUMMARY_PAGES = 2  # a report's headline findings and "what needs to improve" open it (or ``SUMMARY_SECTION``)
LEXICAL_TERMS = 8  # the question's rarest words sent to the keyword search
ANALYSIS_CACHE = 8_000  # chunks whose stems are kept (about 10 kB each)


@dataclass(frozen=True)
class Analysis:
    stems: frozenset[str]
    sentences: tuple[frozenset[str], ...]
    joined: str


class TermStats:
    """How many chunks of the index hold each stemmed word, counted once when the service starts.

    ``idf`` lets "Yuva" or "Mockingbird" outweigh "children" and "social" in a question, both in
    choosing which words go to the keyword search and in re-scoring sentences. Ranking by keywords
    is the index's own (FTS5's bm25, or PostgreSQL's ``ts_rank``): there is one keyword scorer.
    """

    def __init__(self, frequencies: Counter[str], documents: int) -> None:
        self.documents = max(documents, 1)
        self.frequencies = frequencies

    @classmethod
    def from_index(cls, index: SearchIndex, batch: int = 2000) -> TermStats:
        report_ids = [meta.report_id for meta in index.reports()]
        rows = [int(r) for r in index.chunk_ids_for_reports(report_ids)] if report_ids else []
        counts: Counter[str] = Counter()
        for first in range(0, len(rows), batch):
            for chunk in index.chunks(rows[first : first + batch]):
                counts.update(set(stems(chunk.text)))
        return cls(counts, len(rows))

    def idf(self, term: str) -> float:
        df = self.frequencies.get(term, 0)
        return math.log(1 + (self.documents - df + 0.5) / (df + 0.5))


@dataclass(frozen=True)
class Query:
    """A retrieval request: what to embed, which words matter, where to look."""

    text: str
    terms: tuple[str, ...]
    report_ids: tuple[str, ...] | None = None
    section_patterns: tuple[re.Pattern[str], ...] = ()
    section_boost: float = 0.25  # "what needs to improve" points at one section: worth more
    # A summary passage that names the section's subject counts as in it (not for "what needs to
    # improve": the report's own list answers that, not a summary that says "improve").
    summary_in_section: bool = True
    phrases: tuple[str, ...] = ()
    # An abbreviation among ``terms`` whose long form's words are there too ("cic": "children",
    # "care"): one concept, not two. Its own weight leaves the total, and a passage that writes
    # the abbreviation counts as holding the long form.
    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    borrowed: tuple[str, ...] = ()  # terms a follow-up took from an earlier question: weighed less
    # -1 shortfalls, +1 strengths: a passage holding a sentence of that tone ranks higher
    # (``Weights.tone``), for a question that asks for a tone of no topic ("what was holding
    # them back") or of an area alone ("anything flagged about help and protection"), which
    # words alone cannot find.
    tone: int = 0
    # A change asked of no topic ("did they keep it up at the next one"): a passage that says how
    # things changed since the previous inspection ranks higher (``Weights.change``).
    change: bool = False
    # The terms naming whom the question is about ("care", "leavers"), when it points at their
    # section: every sentence of a passage in that section is about them, named or not ("Some
    # children live with neglect for too long" in the help and protection section).
    subject: tuple[str, ...] = ()


BORROWED_WEIGHT = 0.5  # of a borrowed term's idf: "and what about accommodation?" is about accommodation


class Retriever:
    """Search one opened ``Index`` with one ``Embedder``; safe to share between threads."""

    def __init__(
        self, index: SearchIndex, embedder: Any, stats: TermStats, weights: Weights | None = None
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.stats = stats
        self.weights = weights or Weights()
        self._lock = threading.Lock()
        self._row_cache: dict[tuple[str, ...], np.ndarray] = {}
        self._analyses: OrderedDict[str, Analysis] = OrderedDict()

    def encode(self, text: str) -> np.ndarray:
        return np.asarray(self.embedder.encode([text]), dtype=np.float32)

    def rows_for(self, report_ids: tuple[str, ...]) -> np.ndarray:
        key = tuple(sorted(report_ids))
        with self._lock:
            rows = self._row_cache.get(key)
        if rows is None:
            rows = np.asarray(self.index.chunk_ids_for_reports(list(key)), dtype=np.int64)
            with self._lock:
                if len(self._row_cache) > 4096:
                    self._row_cache.clear()
                self._row_cache[key] = rows
        return rows

    def search(self, query: Query, k: int = 5, vector: np.ndarray | None = None) -> list[Passage]:
        """The ``k`` best passages for a query, best first."""
        ranked = self.ranked(query, vector)
        return diversify(ranked, k, vocabulary=lambda p: self.analyse_text(p.chunk_id, p.text).stems)

    def ranked(self, query: Query, vector: np.ndarray | None = None, *, widen: int = 1) -> list[Passage]:
        """Every re-scored candidate, best first. ``widen`` multiplies the candidate pool: a
        question about many councils needs the best passage of many reports, not the best few."""
        w = self.weights
        if vector is None:
            vector = self.encode(query.text)
        rows = self.rows_for(query.report_ids) if query.report_ids is not None else None
        if rows is not None and len(rows) == 0:
            return []
        wanted = w.candidates * widen
        n = wanted if rows is None else min(wanted, len(rows))
        dense_hits = self.index.dense_search(vector, n, row_ids=rows)[0]
        # The rarest words only: the keyword search scores every passage holding any word of an
        # OR query, and "children" or "care" are in most of the 37,000 (slow, and nearly no signal).
        rare = sorted(query.terms, key=lambda t: -self.stats.idf(stem(t)))[:LEXICAL_TERMS]
        lexical_text = " ".join(t for t in rare if self.stats.idf(stem(t)) >= 1.0) or query.text
        # A question with no topic words ("and in 2017?", "did they keep it up at the next one") has
        # nothing to search by keyword: its words would rank the passages that happen to say "next".
        lexical_hits = (
            self.index.lexical_search(
                lexical_text, wanted, report_ids=list(query.report_ids) if query.report_ids else None
            )
            if query.terms
            else []
        )
        ranked = [dense_hits, lexical_hits]
        for phrase in query.phrases:
            # A named programme or service: its own words alone find it among thousands of passages.
            ranked.append(
                self.index.lexical_search(
                    phrase, 20, report_ids=list(query.report_ids) if query.report_ids else None
                )
            )
        fusion = reciprocal_rank_fusion(ranked)
        if not fusion:
            return []
        fused = dict(fusion)
        candidates = [row for row, _ in fusion[: w.rescore * widen]]
        dense = {int(r): float(s) for r, s in dense_hits}
        missing = [r for r in candidates if r not in dense]
        if missing:
            for row, score in self.index.dense_search(
                vector, len(missing), row_ids=np.asarray(missing, dtype=np.int64)
            )[0]:
                dense[int(row)] = float(score)
        chunks = self.index.chunks(candidates)
        term_stems = [stem(t) for t in query.terms]
        aliased = {abbr for abbr, _ in query.aliases}
        borrowed = {stem(t) for t in query.borrowed}
        weights = {
            t: self.stats.idf(t) * (BORROWED_WEIGHT if t in borrowed else 1.0)
            for t in term_stems
            if t not in aliased
        }
        scored = [
            self._score(chunk, row, query, fused[row], dense.get(row, 0.0), term_stems, weights)
            for row, chunk in zip(candidates, chunks, strict=True)
        ]
        scored.sort(key=lambda p: -p.score)
        return scored

    def analyse(self, chunk: Any) -> Analysis:
        """A chunk's stems, per sentence and whole, cached by chunk id (texts never change)."""
        return self.analyse_text(chunk.chunk_id, chunk.text)

    def analyse_text(self, chunk_id: str, text: str) -> Analysis:
        with self._lock:
            found = self._analyses.get(chunk_id)
            if found is not None:
                self._analyses.move_to_end(chunk_id)
                return found
        all_stems = stems(text)
        analysis = Analysis(
            stems=frozenset(all_stems),
            sentences=tuple(frozenset(stems(text[a:b])) for a, b in sentence_spans(text)),
            joined=f" {' '.join(all_stems)} ",
        )
        with self._lock:
            self._analyses[chunk_id] = analysis
            if len(self._analyses) > ANALYSIS_CACHE:
                self._analyses.popitem(last=False)
        return analysis

    def _score(
        self,
        chunk: Any,
        row: int,
        query: Query,
        rrf: float,
        dense: float,
        term_stems: Sequence[str],
        weights: dict[str, float],
    ) -> Passage:
        """One candidate's score; ``term_stems`` and their idf ``weights`` are the query's."""
        w = self.weights
        total = sum(weights.values()) or 1.0
        analysis = self.analyse(chunk)

        def held(present: AbstractSet[str]) -> AbstractSet[str]:
            for abbr, long_form in query.aliases:
                if abbr in present:
                    present = present | set(long_form)
            return present

        whole = held(analysis.stems) if query.aliases else analysis.stems
        sentences = [held(p) for p in analysis.sentences] if query.aliases else analysis.sentences
        in_section = any(p.search(chunk.section or "") for p in query.section_patterns)
        if query.subject and in_section:
            subject = {stem(t) for t in query.subject}
            whole = whole | subject
            sentences = [present | subject for present in sentences]
        chunk_cover = sum(v for t, v in weights.items() if t in whole) / total
        best_sentence = max(
            (sum(v for t, v in weights.items() if t in present) / total for present in sentences),
            default=0.0,
        )
        phrase = 0.0
        if query.phrases:
            folded = fold(chunk.text)
            squashed = folded.replace(" ", "")
            if any(p in folded or p.replace(" ", "") in squashed for p in query.phrases):
                phrase = 1.0
        for a, b in itertools.pairwise(term_stems):
            if f" {a} {b} " in analysis.joined:
                phrase = max(phrase, 0.4)
        section = 1.0 if in_section else 0.0
        opening = bool(chunk.pages) and min(chunk.pages) <= SUMMARY_PAGES
        summary = 1.0 if opening or SUMMARY_SECTION.search(chunk.section or "") else 0.0
        if summary and not section and query.summary_in_section:
            # The report's summary states its conclusion on each area ("Care leavers receive
            # ..."): a summary passage on the area asked about is where the question points as
            # much as the area's own section.
            section = 1.0 if any(p.search(chunk.text) for p in query.section_patterns) else 0.0
        toned = self._toned(chunk, query.tone) if query.tone else 0.0
        # Measured from the previous inspection ("Since its last inspection, when services were
        # judged outstanding, ..."), in the words that read the same in a question (``SINCE_LAST``):
        # any change word ("no longer need care") is in most passages and told them nothing apart.
        changed = 1.0 if query.change and SINCE_LAST.search(chunk.text) else 0.0
        parts = {
            "rrf": rrf,
            "dense": dense,
            "sentence": best_sentence,
            "chunk": chunk_cover,
            "phrase": phrase,
            "section": section,
            "summary": summary,
        }
        score = (
            w.rrf * rrf
            + w.dense * dense
            + w.sentence * best_sentence
            + w.chunk * chunk_cover
            + w.phrase * phrase
            + query.section_boost * section
            + w.summary * summary
            + w.tone * toned
            + w.change * changed
        )
        parts["row"] = float(row)
        return passage_from_chunk(chunk, score, parts)

    def _toned(self, chunk: Any, wanted: int) -> float:
        """1 when a chunk holds a sentence whose tone (by words or placement) is the one wanted.

        Whether it holds one, not the share of its sentences that do: a paragraph that opens
        with a strength and then states the shortfall asked for ("The quality of assessments is
        a particular strength. ... A small number of children experience neglect for too long")
        holds that finding as much as the report's list of improvements does, and the share
        ranked the list (every line a shortfall) above every such paragraph."""
        text = chunk.text
        ranges = list_ranges(text)
        return float(
            any(
                agreement(wanted, sentence_tone(text[a:b], chunk.section, ranges, a)) > 0
                for a, b in sentence_spans(text)
            )
        )


def passage_from_chunk(chunk: Any, score: float, scores: dict[str, float] | None = None) -> Passage:
    return Passage(
        chunk_id=chunk.chunk_id,
        report_id=chunk.report_id,
        local_authority=chunk.local_authority,
        publication_date=chunk.publication_date,
        section=chunk.section,
        paragraphs=tuple(chunk.paragraphs),
        pages=tuple(chunk.pages),
        text=chunk.text,
        score=float(score),
        scores=dict(scores or {}),
        page_start=int(getattr(chunk, "page_start", 0)),
    )


def diversify(
    passages: Sequence[Passage],
    k: int,
    threshold: float = 0.6,
    vocabulary: Callable[[Passage], AbstractSet[str]] | None = None,
) -> list[Passage]:
    """Best-first, skipping passages whose words mostly repeat one already chosen.

    ``vocabulary`` gives a passage's stems (the retriever's cached analysis); by default they
    are counted from its text.
    """
    chosen: list[Passage] = []
    chosen_words: list[AbstractSet[str]] = []
    spare: list[Passage] = []
    for passage in passages:
        words = vocabulary(passage) if vocabulary is not None else set(stems(passage.text))
        if any(_jaccard(words, other) > threshold for other in chosen_words):
            spare.append(passage)
            continue
        chosen.append(passage)
        chosen_words.append(words)
        if len(chosen) == k:
            return chosen
    return (chosen + spare)[:k]


def _jaccard(a: AbstractSet[str], b: AbstractSet[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
