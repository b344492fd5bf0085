"""``QAService``: the whole question-answering path, usable without HTTP.

``ask`` = validate → understand the question (councils, dates, sections; context from earlier
turns) → plan which reports to search → (questions across councils or about a whole report: the
first strategy of ``service.answers.strategies`` that applies) → hybrid retrieval per
target → compose an answer (the judgements table, extracted sentences, or the optional LLM) →
decide whether to abstain → check every sentence with the shared grounding checker. The HTTP
API, the CLI and the evaluation all call this one object, so they cannot drift apart. It holds only
read-only state (the index, the model, term statistics), so one instance serves concurrent requests.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Self

from inspectqa.errors import BadQuestion, InspectQAError
from inspectqa.settings import Settings
from service.answers import abstention
from service.answers.aliases import COMMON_WORDS
from service.answers.answering import ABSTAIN_TEXT, Composer, Draft, pretty_date
from service.answers.figures import figure_bonus
from service.answers.grounding import GroundingChecker
from service.answers.judgements import JudgementQuery, Selection
from service.answers.normalise import Normaliser
from service.answers.planning import Catalogue, Plan, ReportInfo, in_range, plan
from service.answers.query import SECTION_HINTS, QueryIntent, parse, with_context
from service.answers.records import Answer, Filters, Focus, Passage, Turn
from service.answers.retrieval import Query, Retriever, TermStats, quoted_phrases
from service.answers.strategies import STRATEGIES
from service.answers.strategy_kit import Tools
from service.answers.text import sentence_spans, stem, stems
from service.answers.tone import ASK_WORDS
from service.answers.vocabulary import Vocabulary, english_words

if TYPE_CHECKING:
    from corpus.records import Judgement
    from indexer.backend import SearchIndex
    from indexer.store import ReportMeta

QUESTION_THREADS = 1  # ONNX Runtime threads to embed a question: see indexer.embedding.load_embedder
MAX_TOP_K = 50
# "Which councils ...?": candidates × this, councils weighed, passages kept per council.
SURVEY_WIDEN = 3
SURVEY_COUNCILS = 8
SURVEY_PER_COUNCIL = 2
AT_THE_TIME = re.compile(r"\b(?:at|by|around) the time of\b", re.I)
IMPROVE_SECTION = re.compile(r"needs? to improve|areas? for improvement|recommendations", re.I)

# Below these, the best evidence found does not answer the question (tuned on the dev questions).
MIN_SENTENCE_COVER = 0.5
MIN_DENSE = 0.3
OFF_TOPIC_DENSE = 0.35  # nothing in the reports is even about the question's subject
RARE_IDF = 4.5  # a word in under about 1% of passages
RARE_SHARE = 0.2  # ...missing rare words must carry this much of the question's weight
FIGURE_COVER = 0.25
OVERALL_ASKED = re.compile(r"\boverall\b", re.I)
QUANTITY = re.compile(
    r"\b(?:how many|how much|what (?:proportion|percentage|number|share)|how (?:high|large|big|long))\b", re.I
)
# "Who was the director of children's services?": reports rarely name officials; the answer
# needs a named person in the evidence ("Mr ...", "Jane Smith, the director ...").
WHO_IS = re.compile(
    r"\bwho (?:was|is|were|are)\b.{0,60}\b(?:director|chief executive|leader|head|lead member|chair|"
    r"minister|manager|commissioner|mayor)\b",
    re.I,
)
NAMED_PERSON = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Dr|Professor|Sir|Dame|Councillor|Cllr)\.? [A-Z][a-z]+|"
    r"\b[A-Z][a-z]+ [A-Z][a-z]+, (?:the |who is the )?"
    r"(?:director|chief executive|leader|head|chair|lead member)"
)
# Words that frame a question ("compare", "called", "rated") rather than name its subject: a
# passage that answers it need not contain them.
# fmt: off
FRAMING_WORDS = frozenset((
    "compare", "compared", "comparison", "differ", "differed", "difference", "differences", "change",
    "changed", "changes", "happen", "happened", "called", "named", "name", "names", "stand", "mean",
    "means", "meant", "rated", "rating", "ratings", "judged", "judge", "judgement", "judgment",
    "judgements", "grade", "graded", "grades", "headline", "overall", "done", "use", "uses", "used",
    "using", "like", "large", "high", "low", "many", "much", "proportion", "percentage", "number",
    "increase", "increased", "decrease", "decreased", "carried", "carry", "tackled", "tackle", "rely",
    "relied", "relying", "taking", "take", "took", "get", "got", "receive", "received", "give", "given",
    "provide", "provided", "provides", "kind", "kinds", "type", "types", "example", "examples", "way",
    "ways", "happening", "view", "views", "doing", "approach", "respond", "responded", "response", "deal",
    "dealt", "handle", "handled", "make", "made", "ensure",
    # what a summary question asks for, not what it is about
    "summarise", "summarize", "summary", "main", "key", "overview", "findings", "strengths", "weaknesses",
))
# fmt: on


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
        (the hand-set rules when none is fitted), "rules" always with the rules."""
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
        self.gate = abstention.Gate.load() if gate == "fitted" else None
        self.retriever = Retriever(index, embedder, self.stats)
        self.composer = Composer(index, self.catalogue, self.stats)
        self.tools = Tools(index, self.catalogue, self.composer, embedder)
        # Extracted sentences are verbatim, so the lexical checks decide them; the LLM path,
        # which paraphrases, also uses embedding similarity.
        self.checker = GroundingChecker(None)
        self.llm: Any = None
        if settings.llm_enabled:
            from service.answers.llm import LLMAnswerer

            self.llm = LLMAnswerer(settings, GroundingChecker(embedder))

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
        """Normalise and parse the question (once); a follow-up borrows from earlier turns.

        The conversation is read oldest first, each of the user's questions resolved against the
        ones before it, so "and in 2016?" then "what about care leavers?" keeps the council of the
        first and the year of the second. An assistant answer only lends its council, when the
        user's questions named none (e.g. after "which council runs 'Freedom cards'?"), never its
        wording as a topic. An earlier turn that was declined still lends its council and year.
        """
        state: QueryIntent | None = None
        limit = self.settings.max_question_chars
        for turn in history or ():
            said = turn.content[:limit]
            if turn.role == "user":
                earlier = parse(self.normaliser.normalise(said), self.catalogue.gazetteer)
                state = with_context(earlier, state)
            elif state is None or not (state.places or state.outside_places):
                lent = parse(said, self.catalogue.gazetteer)
                if lent.places:
                    base = state or replace(lent, terms=(), question="")
                    state = replace(base, places=lent.places)
        intent = with_context(parse(self.normaliser.normalise(question), self.catalogue.gazetteer), state)
        # "criticised", "praised": how the question wants the findings, not what they are about;
        # "at the time of its inspection" dates the question, it is not about time.
        framing = ASK_WORDS | ({"time"} if AT_THE_TIME.search(intent.question) else set())
        topic = tuple(t for t in intent.terms if t.lower() not in framing)
        return replace(intent, terms=topic) if topic and topic != intent.terms else intent

    # --- retrieval ----------------------------------------------------------------------------
    def _query(
        self, question: str, intent: QueryIntent, report_ids: tuple[str, ...] | None, filters: Filters | None
    ) -> Query:
        patterns = [p for name, _, p in SECTION_HINTS if name in intent.sections]
        if filters and filters.section:
            patterns.append(re.compile(re.escape(filters.section), re.I))
        return Query(
            text=question,
            terms=intent.terms,
            report_ids=report_ids,
            section_patterns=tuple(patterns),
            section_boost=1.0 if "improve" in intent.sections else 0.25,
            phrases=quoted_phrases(question),
            aliases=intent.aliases,
            borrowed=intent.borrowed,
        )

    def _retrieve(
        self,
        question: str,
        intent: QueryIntent,
        the_plan: Plan,
        filters: Filters | None,
        top_k: int,
        timings: dict[str, float],
    ) -> list[list[Passage]]:
        started = time.perf_counter()
        vector = self.retriever.encode(question)
        timings["embed_ms"] = _ms(started)
        started = time.perf_counter()
        groups = [
            self.retriever.search(self._query(question, intent, target.report_ids, filters), top_k, vector)
            for target in the_plan.targets
        ]
        if filters and filters.section:
            groups = [
                [p for p in g if filters.section.lower() in (p.section or "").lower()] or g for g in groups
            ]
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
        return _interleave(self._retrieve(intent.question, intent, the_plan, filters, k, {}), k)

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
        intent = self.understand(text, history)
        the_plan = plan(intent, self.catalogue, filters)
        trace: dict[str, float] = {}
        answer = self._answer(text, intent, the_plan, filters, top_k, started, trace, use_llm)
        return replace(answer, focus=self.focus(intent, the_plan), evidence=trace)

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
            relative=intent.relative,
            date_basis=intent.date_basis,
            question=intent.question,
            corrections=tuple((c.before, c.after, c.kind) for c in intent.corrections),
        )

    def _answer(
        self,
        text: str,
        intent: QueryIntent,
        the_plan: Plan,
        filters: Filters | None,
        top_k: int,
        started: float,
        trace: dict[str, float],
        use_llm: bool,
    ) -> Answer:
        timings: dict[str, float] = {}
        notes = list(the_plan.notes)
        if the_plan.abstain_reason:
            nearest = self._nearest(intent.question, intent, top_k, timings)
            return self._finish(text, None, the_plan.abstain_reason, nearest, notes, timings, started)

        answered = self._by_strategy(text, intent, the_plan, filters, notes, timings, started)
        if answered is not None:
            return answered

        if intent.asks_which_councils and not intent.places:
            return self._survey(text, intent, the_plan, filters, top_k, notes, timings, started, trace)

        # Retrieval reads the question as understood (normalised); the answer shows it as typed.
        search_text = f"{intent.context} {intent.question}" if intent.context else intent.question
        groups = self._retrieve(search_text, intent, the_plan, filters, top_k, timings)
        passages = _interleave(groups, top_k * max(1, min(len(groups), 3)))
        if not passages:
            return self._finish(
                text,
                None,
                "No passage of the selected reports matches the question.",
                passages,
                notes,
                timings,
                started,
            )
        compose_started = time.perf_counter()
        draft: Draft | None = None
        if intent.is_judgement:
            ids = [r for t in the_plan.targets for r in (t.report_ids or ())]
            if not ids:
                ids = list(dict.fromkeys(p.report_id for p in passages[:1]))
            if OVERALL_ASKED.search(intent.question) and intent.judgement_areas == ("overall_effectiveness",):
                areas = [{j.area for j in self.index.judgements(r)} for r in ids]
                if areas and all(a and "overall_effectiveness" not in a for a in areas):
                    # Inspections from April 2026 judge four areas and give no overall grade.
                    reason = (
                        "The report gives no overall effectiveness grade "
                        "(the framework in use from April 2026 awards none)."
                    )
                    return self._finish(text, None, reason, passages, notes, timings, started)
            draft = self.composer.judgements(intent, ids, passages)
            if not draft.sentences:
                draft = None
        listed: Draft | None = None
        if draft is None and "improve" in intent.sections and len(groups) == 1 and intent.places:
            # "What needs to improve in X?": the report's own list answers it, whatever words it uses.
            listed = self.composer.section_list([passages[0].report_id], IMPROVE_SECTION, topic=intent.terms)
        if draft is None:
            weak = None if listed is not None and listed.sentences else self._weak(intent, passages, trace)
            if weak:
                timings["compose_ms"] = _ms(compose_started)
                return self._finish(text, None, weak, passages, notes, timings, started)
            if self.llm is not None and use_llm:
                draft = self.llm.answer(text, passages, self.composer)
                if draft is not None:
                    notes.extend(draft.notes)
            if draft is None or not draft.sentences:
                draft = listed if listed is not None and listed.sentences else None
            if draft is None:
                draft = self._extract(intent, groups, passages)
        timings["compose_ms"] = _ms(compose_started)
        if not draft.sentences:
            return self._finish(
                text,
                None,
                "No sentence of the retrieved passages answers the question.",
                passages,
                notes,
                timings,
                started,
            )
        return self._finish(text, draft, None, _cited_first(draft, passages), notes, timings, started)

    def _by_strategy(
        self,
        text: str,
        intent: QueryIntent,
        the_plan: Plan,
        filters: Filters | None,
        notes: list[str],
        timings: dict[str, float],
        started: float,
    ) -> Answer | None:
        """The answer of the first strategy of ``service.answers.strategies`` that applies and answers."""
        if intent.ask is None:
            return None
        for strategy in STRATEGIES:
            if not strategy.applies(intent):
                continue
            compose_started = time.perf_counter()
            reply = strategy.answer(self.tools, intent, the_plan, filters)
            if reply is None:
                continue
            timings["compose_ms"] = _ms(compose_started)
            notes.extend(reply.notes)
            notes.append(f"answered by the {strategy.name} strategy")
            passages = reply.passages or list(reply.draft.cited.values())
            return self._finish(text, reply.draft, None, passages, notes, timings, started, reply.data)
        return None

    def _survey(
        self,
        text: str,
        intent: QueryIntent,
        the_plan: Plan,
        filters: Filters | None,
        top_k: int,
        notes: list[str],
        timings: dict[str, float],
        started: float,
        trace: dict[str, float],
    ) -> Answer:
        """ "Which councils ...?": the best passages of many councils, one cited sentence each.

        Retrieval looks at a wider pool than for a single answer, keeps the best passage of each
        report and at most ``SURVEY_PER_COUNCIL`` per council, so one council's several
        inspections cannot fill the list. Councils are ordered by evidence; when two are equally
        strong, the more recent inspection comes first.
        """
        vector = self.retriever.encode(intent.question)
        started_retrieval = time.perf_counter()
        query = self._query(intent.question, intent, the_plan.report_ids, filters)
        ranked = self.retriever.ranked(query, vector, widen=SURVEY_WIDEN)
        if filters and filters.section:
            ranked = [p for p in ranked if filters.section.lower() in (p.section or "").lower()] or ranked
        by_council: dict[str, list[Passage]] = {}
        seen_reports: set[str] = set()
        for passage in ranked:
            if passage.report_id in seen_reports:
                continue
            info = self.catalogue.by_id.get(passage.report_id)
            key = info.key if info else passage.local_authority.lower()
            group = by_council.setdefault(key, [])
            if len(group) < SURVEY_PER_COUNCIL:
                group.append(passage)
                seen_reports.add(passage.report_id)
        councils = sorted(
            by_council.values(),
            key=lambda g: (-round(g[0].score, 3), -_published_ordinal(self.catalogue, g[0].report_id)),
        )[:SURVEY_COUNCILS]
        timings["retrieve_ms"] = _ms(started_retrieval)
        leading = [g[0] for g in councils]
        passages = leading + [p for g in councils for p in g[1:]]
        if not passages:
            return self._finish(text, None, "No passage matches the question.", [], notes, timings, started)
        compose_started = time.perf_counter()
        weak = self._weak(intent, leading, trace)
        draft = None if weak else self.composer.survey(intent, councils, max_councils=5)
        timings["compose_ms"] = _ms(compose_started)
        shown = passages[: max(top_k, len(leading))]
        if draft is None or not draft.sentences:
            reason = weak or "No sentence of the retrieved passages answers the question."
            return self._finish(text, None, reason, shown, notes, timings, started)
        return self._finish(text, draft, None, _cited_first(draft, shown), notes, timings, started)

    def _extract(self, intent: QueryIntent, groups: list[list[Passage]], passages: list[Passage]) -> Draft:
        if len(groups) > 1:
            per_report, limit = 3, min(6, 3 * len(groups))
            pool = _interleave([g[:3] for g in groups], 12)
        elif "improve" in intent.sections:
            # "What needs to improve" is a list in its own section: give its items, in order.
            top_report = [passages[0].report_id] if passages else []
            listed = self.composer.section_list(top_report, IMPROVE_SECTION, topic=intent.terms)
            if listed.sentences:
                return listed
            if self.composer.list_topic(intent.terms):
                # No item of the list is about the question's topic: the best sentences on the
                # topic instead, the list no longer favoured.
                intent = replace(intent, sections=tuple(s for s in intent.sections if s != "improve"))
                per_report, limit, pool = 3, 3, passages[:4]
            else:
                per_report, limit, pool = 6, 6, passages[:3]
        elif intent.asks_which_council and not intent.places and passages:
            # "Which council ...?": answer from the report that best matches, not from several,
            # and name the council as the report's own title does ("Durham County Council").
            best = passages[0].report_id
            pool = [p for p in passages[:4] if p.report_id == best]
            draft = self.composer.extractive(intent, pool, per_report=3, max_sentences=3)
            title = self._title(best)
            if title and draft.groups:
                info = self.catalogue.by_id.get(best)
                when = f"{info.label_year} inspection, " if info and info.label_year else ""
                published = pretty_date(info.published) if info else "date unknown"
                draft.groups[0] = (
                    f"The report “{title}” ({when}published {published}) says:",
                    draft.groups[0][1],
                )
            return draft
        else:
            per_report, limit, pool = 3, 3, passages[:4]
        return self.composer.extractive(intent, pool, per_report=per_report, max_sentences=limit)

    def _title(self, report_id: str) -> str | None:
        """The first line of a report's first page: its title, naming the council."""
        try:
            lines = [line.strip() for line in self.index.page_text(report_id, 1).splitlines() if line.strip()]
        except InspectQAError:
            return None
        return lines[0] if lines and len(lines[0].split()) <= 14 else None

    def _weak(self, intent: QueryIntent, passages: list[Passage], trace: dict[str, float]) -> str | None:
        """Why the evidence does not answer the question, or None when it may.

        The fitted gate (``service.answers.abstention``) decides from the evidence's features, which are
        kept in ``trace`` (with the probability) for the evaluation and for fitting. Without a
        fitted model the hand-set rules below decide: nothing retrieved is close to the question;
        a distinctive word of it (rare across the reports, such as "salary") is in none of the
        passages found; or it asks for a figure or a named person that no passage gives.
        """
        top = passages[:5]
        # A follow-up's own topic: the words it borrowed ("went back" of "was it still inadequate
        # when ofsted went back?") say what it continues, not what its answer must hold.
        own = [t for t in intent.terms if t not in intent.borrowed] or list(intent.terms)
        topic_terms = [t for t in own if t not in FRAMING_WORDS]
        topic = abstention.concepts(topic_terms, self.stats.idf, self.normaliser_expansions(intent))
        no_person = bool(WHO_IS.search(intent.question)) and not any(NAMED_PERSON.search(p.text) for p in top)
        no_figure = bool(QUANTITY.search(intent.question)) and not self._has_figure(intent, top)

        def analyse(passage: Passage) -> tuple[frozenset[str], tuple[frozenset[str], ...]]:
            analysis = self.retriever.analyse_text(passage.chunk_id, passage.text)
            return analysis.stems, analysis.sentences

        evidence = abstention.measure(
            top,
            topic,
            lambda s: self.stats.frequencies.get(s, 0) > 0,
            analyse,
            no_figure=no_figure,
            no_person=no_person,
        )
        trace.update(evidence.as_dict())
        present: set[str] = set()
        for passage in top:
            present |= analyse(passage)[0]
        # A rare word is missing when nothing of its concept is there ("sif" is there as "single
        # inspection framework"); each concept named once.
        groups = {key: (group, weight) for group, weight in topic for key in group}
        missing: list[str] = []
        seen: set[frozenset[str]] = set()
        for term in topic_terms:
            group, weight = groups.get(stem(term), (frozenset({stem(term)}), self.stats.idf(stem(term))))
            if group not in seen and weight >= RARE_IDF and not group & present:
                missing.append(term)
            seen.add(group)
        if self.gate is not None:
            score = self.gate.score(evidence)
            trace["score"] = round(score, 4)
            return abstention.reason(evidence, missing) if score < self.gate.threshold else None
        best_cover = max((p.scores.get("sentence", 0.0) for p in top), default=0.0)
        best_dense = evidence.dense
        if best_dense < OFF_TOPIC_DENSE or (best_dense < MIN_DENSE and best_cover < MIN_SENTENCE_COVER):
            return "The retrieved passages are not about what the question asks."
        if topic_terms and best_cover < MIN_SENTENCE_COVER * 0.6:
            return "No retrieved passage mentions what the question asks about."
        weighty = evidence.missing >= RARE_SHARE
        if missing and weighty and best_cover < MIN_SENTENCE_COVER:
            return f"None of the passages found mentions {', '.join(repr(t) for t in missing[:3])}."
        if no_person:
            return "The passages found name no one in that role."
        if no_figure:
            return "The passages found give no figure for what the question asks."
        return None

    @staticmethod
    def normaliser_expansions(intent: QueryIntent) -> dict[str, str]:
        """Each abbreviation of the question (documented or defined by the reports) → its long form."""
        table: dict[str, str] = {}
        for written, other in intent.expansions:
            if len(written.split()) == 1:
                table[written] = other
            elif len(other.split()) == 1:
                table[other] = written
        return table

    def _has_figure(self, intent: QueryIntent, passages: list[Passage]) -> bool:
        # The topic as the gate weighs it: an abbreviation and its long form ("eh", "early help") once.
        terms = [t for t in intent.terms if t not in FRAMING_WORDS]
        topic = abstention.concepts(terms, self.stats.idf, self.normaliser_expansions(intent))
        total = sum(w for _, w in topic) or 1.0
        for passage in passages:
            for start, end in sentence_spans(passage.text):
                sentence = passage.text[start:end]
                if not figure_bonus(sentence, frozenset()):  # a count, not a date or an age
                    continue
                present = set(stems(sentence))
                if sum(w for group, w in topic if group & present) / total >= FIGURE_COVER:
                    return True
        return False

    def _nearest(
        self, question: str, intent: QueryIntent, top_k: int, timings: dict[str, float]
    ) -> list[Passage]:
        started = time.perf_counter()
        query = self._query(question, intent, None, None)
        found = self.retriever.search(query, top_k)
        timings["retrieve_ms"] = _ms(started)
        return found

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


def _cited_first(draft: Draft, passages: list[Passage]) -> list[Passage]:
    """The passages the answer quotes, in citation order, then the rest as retrieved."""
    first: list[Passage] = []
    for n in sorted(draft.cited):
        passage = draft.cited[n]
        if all(p.chunk_id != passage.chunk_id for p in first):
            match = next((p for p in passages if p.chunk_id == passage.chunk_id), passage)
            first.append(match)
    seen = {p.chunk_id for p in first}
    return first + [p for p in passages if p.chunk_id not in seen]


def _interleave(groups: Sequence[Sequence[Passage]], limit: int) -> list[Passage]:
    """Round-robin over groups, so a comparison's top passages include every side."""
    out: list[Passage] = []
    seen: set[str] = set()
    depth = max((len(g) for g in groups), default=0)
    for i in range(depth):
        for group in groups:
            if i < len(group) and group[i].chunk_id not in seen:
                seen.add(group[i].chunk_id)
                out.append(group[i])
    return out[:limit]


def _published_ordinal(catalogue: Catalogue, report_id: str) -> int:
    info = catalogue.by_id.get(report_id)
    return info.published.toordinal() if info and info.published else 0


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
