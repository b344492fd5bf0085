"""``QAService``: the whole question-answering path, usable without HTTP.

``ask`` = validate → understand the question once (``service.answers.understanding``: councils,
dates, sections, what is asked; context from earlier turns) → plan which reports to read → walk
the ordered table of answer strategies (``service.answers.strategies.STRATEGIES``: the judgements
table, surveys, judgements, abstention, the optional LLM, comparison, the improvement list, the
extractive answer), which retrieve on first need → check every sentence of the answer with the
shared grounding checker. The HTTP API, the CLI and the evaluation all call this one object, so
they cannot drift apart. It holds only read-only state (the index, the model, term statistics), so
one instance serves concurrent requests.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Self

from inspectqa.errors import BadQuestion
from inspectqa.settings import Settings
from service.answers import abstention
from service.answers.aliases import COMMON_WORDS
from service.answers.answering import ABSTAIN_TEXT, Composer, Draft
from service.answers.framing import Framing, FramingModel
from service.answers.grounding import GroundingChecker
from service.answers.judgements import JudgementQuery, Selection
from service.answers.normalise import Normaliser
from service.answers.planning import Catalogue, Plan, ReportInfo, in_range, plan
from service.answers.query import QueryIntent
from service.answers.records import Answer, Filters, Focus, Passage, Turn
from service.answers.retrieval import Retriever, TermStats
from service.answers.strategies import walk
from service.answers.strategy_kit import Case, Tools, in_section, interleave, retrieval_query
from service.answers.understanding import Understanding
from service.answers.vocabulary import Vocabulary, english_words

if TYPE_CHECKING:
    from corpus.records import Judgement
    from indexer.backend import SearchIndex
    from indexer.store import ReportMeta

QUESTION_THREADS = 1  # ONNX Runtime threads to embed a question: see indexer.embedding.load_embedder
MAX_TOP_K = 50


@dataclass(frozen=True)
class IndexStatus:
    """The loaded index, as ``/readyz`` shows it."""

    reports: int
    chunks: int
    location: str
    model: str


class QAService:
    """Answers questions from one opened index; safe to share between threads."""

    def __init__(
        self,
        index: SearchIndex,
        embedder: Any,
        settings: Settings,
        *,
        stats: TermStats | None = None,
        gate: str = "fitted",
    ) -> None:
        """``gate``: "fitted" decides abstention with the model in ``service/answers/abstention.json``
        (the hand-set rules when none is fitted) and the framing words' model in ``framing.json``,
        "rules" always with the rules."""
        self.index = index
        self.embedder = embedder
        # One query is a single small search: FAISS's OpenMP threads only spin against the
        # other requests being served (28 ms instead of well under 1 ms on two busy cores).
        import faiss

        faiss.omp_set_num_threads(1)
        self.settings = settings
        self.catalogue = Catalogue(index.reports())
        self.stats = stats or TermStats.from_index(index)
        english = english_words(getattr(embedder, "source", None))
        self.vocabulary = Vocabulary.for_index(index, settings.cache_dir, COMMON_WORDS, english)
        self.normaliser = Normaliser(self.catalogue.gazetteer, self.vocabulary)
        self.understanding = Understanding(
            self.normaliser, self.catalogue.gazetteer, settings.max_question_chars
        )
        self.gate = abstention.Gate.load() if gate == "fitted" else None
        # The learnt chance that a rare question word only frames the question (the fitted gate's).
        framing = Framing(FramingModel.load(), embedder) if gate == "fitted" else None
        self.retriever = Retriever(index, embedder, self.stats)
        self.composer = Composer(index, self.catalogue, self.stats)
        # Extracted sentences are verbatim, so the lexical checks decide them; the LLM path,
        # which paraphrases, also uses embedding similarity.
        self.checker = GroundingChecker(None)
        self.llm: Any = None
        if settings.llm_enabled:
            from service.answers.llm import LLMAnswerer

            self.llm = LLMAnswerer(settings, GroundingChecker(embedder, stored=index.unit_vectors))
        self.tools = Tools(
            index,
            self.catalogue,
            self.composer,
            embedder,
            retriever=self.retriever,
            abstainer=abstention.Abstainer(self.stats, self.retriever, self.gate, framing),
            llm=self.llm,
        )

    @classmethod
    def open(cls, settings: Settings, *, index: SearchIndex | None = None, embedder: Any = None) -> Self:
        """The service for ``settings``, as the app, a live reload, the CLI and the evaluation build it:
        the index ``settings`` names (``indexer.sources``: the directory's current generation, or the
        database's) unless one already opened is given, and the embedding model with
        ``QUESTION_THREADS`` unless one already loaded is shared (raises ``IndexProblem``)."""
        if index is None:
            from indexer.sources import open_search_index

            index = open_search_index(settings)
        if embedder is None:
            from indexer.embedding import load_embedder

            embedder = load_embedder(settings, threads=QUESTION_THREADS)
        return cls(index, embedder, settings)

    def close(self) -> None:
        """Release the LLM client's connections (the index and model are shared, not owned)."""
        if self.llm is not None:
            self.llm.close()

    # --- what the routes read: the index only through this object ------------------------------
    def status(self) -> IndexStatus:
        """What ``/readyz`` reports of the loaded index."""
        return IndexStatus(
            reports=len(self.catalogue),
            chunks=int(self.index.count()),
            location=self.index.location,
            model=self.settings.model_name,
        )

    def source_urls(self) -> dict[str, str | None]:
        """Each report's page on Ofsted's site, by report id (the links of citations)."""
        return {rid: info.source_url for rid, info in self.catalogue.by_id.items()}

    def reports(
        self, council: str | None = None, year_from: int | None = None, year_to: int | None = None
    ) -> list[ReportInfo]:
        """The indexed reports, oldest first, optionally of one council (as people write its name)
        and published or inspected between two years (raises ``UnknownFilter`` for no such council)."""
        keys = self.catalogue.resolve_council(council) if council else None
        return [
            info
            for info in self.catalogue.all_reports()
            if (keys is None or info.key in keys) and in_range(info, year_from, year_to)
        ]

    def report(self, report_id: str) -> ReportMeta:
        """One report's metadata (raises ``NotFound``)."""
        return self.index.report(report_id)

    def council_of(self, meta: ReportMeta) -> str:
        """The council's name as the catalogue spells it, else as the index stored it."""
        info = self.catalogue.by_id.get(meta.report_id)
        return info.local_authority if info is not None else meta.local_authority

    def judgements(self, report_id: str) -> list[Judgement]:
        """One report's graded judgements, as its own text states them (raises ``NotFound``)."""
        return self.index.judgements(report_id)

    def page_text(self, report_id: str, page: int) -> str:
        """The cleaned text of one page, numbered from 1 as citations are (raises ``NotFound``)."""
        return str(self.index.page_text(report_id, page))

    def sections(self, report_id: str) -> list[tuple[str, str | None]]:
        """A report's sections in order, each with its grade where the index knows it."""
        return sections_of(self.index, report_id)

    def resolve_council(self, name: str) -> tuple[str, ...]:
        """The council keys a name as people write it stands for (raises ``UnknownFilter``)."""
        return self.catalogue.resolve_council(name)

    def select_judgements(self, query: JudgementQuery) -> Selection:
        """The judgements table's rows for ``query`` (``GET /judgements`` and the MCP tool)."""
        return self.tools.table.select(query)

    def council_timeline(self, name: str) -> dict[str, Any]:
        """A council's every inspection with its grades, oldest first (``GET /councils/{name}``)."""
        return self.tools.timeline(self.resolve_council(name)[0])

    # --- input --------------------------------------------------------------------------------
    def validate(self, question: str, history: Sequence[Turn] | None, top_k: int) -> str:
        text = " ".join((question or "").split())
        if not text:
            raise BadQuestion("the question is empty", hint="ask something about the inspection reports")
        if len(question) > self.settings.max_question_chars:
            raise BadQuestion(
                f"the question is {len(question):,} characters long; the limit is "
                f"{self.settings.max_question_chars:,}",
                hint="shorten it to the question itself",
            )
        if history and len(history) > self.settings.max_history_turns:
            raise BadQuestion(
                f"the conversation history has {len(history)} turns; the limit is "
                f"{self.settings.max_history_turns}",
                hint="send only the most recent turns",
            )
        if not 1 <= top_k <= MAX_TOP_K:
            raise BadQuestion(f"top_k must be between 1 and {MAX_TOP_K}, not {top_k}")
        return text

    def understand(self, question: str, history: Sequence[Turn] | None = None) -> QueryIntent:
        """The question read once, with its conversation (``service.answers.understanding``)."""
        return self.understanding(question, history)

    # --- retrieval ----------------------------------------------------------------------------
    def _retrieve(
        self,
        intent: QueryIntent,
        the_plan: Plan,
        filters: Filters | None,
        top_k: int,
        timings: dict[str, float],
        *,
        with_context: bool = True,
    ) -> list[list[Passage]]:
        """The best passages of each target of the plan (one group per council or inspection compared);
        ``with_context`` reads a follow-up with the earlier question it continues, as answers do."""
        started = time.perf_counter()
        vector = self.retriever.encode(intent.search_text if with_context else intent.question)
        timings["embed_ms"] = _ms(started)
        started = time.perf_counter()
        groups = []
        for target in the_plan.targets:
            query = retrieval_query(intent, target.report_ids, filters, with_context=with_context)
            groups.append(in_section(self.retriever.search(query, top_k, vector), filters))
        timings["retrieve_ms"] = _ms(started)
        return groups

    def search(
        self,
        question: str,
        filters: Filters | None = None,
        k: int = 10,
        history: Sequence[Turn] | None = None,
    ) -> list[Passage]:
        """Passages only, ranked, with the same understanding and filters as ``ask``."""
        text = self.validate(question, history, k)
        intent = self.understand(text, history)
        the_plan = plan(intent, self.catalogue, filters)
        if the_plan.abstain_reason:
            return []
        return interleave(self._retrieve(intent, the_plan, filters, k, {}, with_context=False), k)

    # --- answers ------------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        filters: Filters | None = None,
        history: list[Turn] | None = None,
        top_k: int = 5,
        *,
        use_llm: bool = True,
    ) -> Answer:
        """The cited answer; ``use_llm=False`` keeps to extracted sentences even when an LLM is set up."""
        started = time.perf_counter()
        text = self.validate(question, history, top_k)
        case = self.case(text, filters, history, top_k, use_llm=use_llm)
        walk_started = time.perf_counter()
        strategy, reply = walk(case)
        composing = time.perf_counter() - walk_started - case.searching_s
        case.timings.setdefault("compose_ms", round(composing * 1000, 2))
        notes = [*case.plan.notes, *case.notes, *reply.notes]
        if reply.data is not None:
            notes.append(f"answered by the {strategy.name} strategy")
        if reply.draft is None:
            answer = self._finish(text, None, reply.reason, reply.passages, notes, case.timings, started)
        else:
            passages = reply.passages or list(reply.draft.cited.values())
            answer = self._finish(text, reply.draft, None, passages, notes, case.timings, started, reply.data)
        return replace(answer, focus=self.focus(case.intent, case.plan), evidence=case.trace)

    def case(
        self,
        question: str,
        filters: Filters | None = None,
        history: Sequence[Turn] | None = None,
        top_k: int = 5,
        *,
        use_llm: bool = True,
    ) -> Case:
        """A (validated) question understood and planned, ready for the strategies; retrieval on first use."""
        intent = self.understand(question, history)
        the_plan = plan(intent, self.catalogue, filters)
        timings: dict[str, float] = {}
        return Case(
            self.tools,
            intent,
            the_plan,
            filters,
            top_k,
            lambda: self._retrieve(intent, the_plan, filters, top_k, timings),
            use_llm=use_llm,
            timings=timings,
        )

    def focus(self, intent: QueryIntent, the_plan: Plan) -> Focus:
        """What an answer is about: the plan's councils and inspections, as the intent read them."""
        councils = [t.council for t in the_plan.targets if t.council]
        if not the_plan.targets:
            councils = [p.display for p in intent.places] + list(intent.outside_places)
        years = [t.year for t in the_plan.targets if t.year]
        if not years:
            years = [y.year for y in intent.years]
        return Focus(
            councils=tuple(dict.fromkeys(councils)),
            years=tuple(dict.fromkeys(years)),
            report_ids=the_plan.report_ids or (),
            from_history=intent.from_history,
            topic_from_history=intent.borrowed,
            relative=intent.relative,
            date_basis=intent.date_basis,
            question=intent.question,
            corrections=tuple((c.before, c.after, c.kind) for c in intent.corrections),
        )

    def _finish(
        self,
        question: str,
        draft: Draft | None,
        reason: str | None,
        passages: list[Passage],
        notes: list[str],
        timings: dict[str, float],
        started: float,
        data: dict[str, Any] | None = None,
    ) -> Answer:
        if draft is None:
            text = f"{ABSTAIN_TEXT}" if not reason else f"{ABSTAIN_TEXT} {reason}"
            timings["total_ms"] = _ms(started)
            return Answer(
                question=question,
                answer=text,
                abstained=True,
                citations=(),
                passages=tuple(passages),
                sentences=(),
                grounding_score=0.0,
                timings_ms=timings,
                notes=tuple(notes),
            )
        grounding_started = time.perf_counter()
        # Whitespace folded: a grade split over a line break ("requires\nimprovement") still reads as one.
        if draft.check_quotes:
            cited = {c.n: " ".join(c.quote.split()) for c in draft.citations}
        else:
            cited = {n: " ".join(p.text.split()) for n, p in draft.cited.items()}
        verdicts = self.checker.check_sentences(draft.sentences, cited)
        timings["grounding_ms"] = _ms(grounding_started)
        timings["total_ms"] = _ms(started)
        reports = tuple(dict.fromkeys(c.report_id for c in draft.citations))
        councils = tuple(dict.fromkeys(c.local_authority for c in draft.citations))
        supported = sum(v.supported for v in verdicts)
        return Answer(
            question=question,
            answer=draft.text(),
            abstained=False,
            citations=tuple(draft.citations),
            passages=tuple(passages),
            sentences=tuple(verdicts),
            grounding_score=round(supported / len(verdicts), 4) if verdicts else 0.0,
            reports=reports,
            local_authorities=councils,
            timings_ms=timings,
            notes=tuple(notes),
            data=data,
        )


def sections_of(index: Any, report_id: str) -> list[tuple[str, str | None]]:
    """A report's sections in order: with their grades from an index that keeps a sections table
    (the embedded one), else the titles its passages carry (any ``SearchIndex``; no grades)."""
    table = getattr(index, "sections", None)
    if table is not None:
        return [(s["title"], s["grade"] or None) for s in table(report_id)]
    chunks = index.chunks(index.chunk_ids_for_reports([report_id]).tolist())
    return [(title, None) for title in dict.fromkeys(c.section for c in chunks)]


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
