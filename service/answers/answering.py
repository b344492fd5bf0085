"""The default answerer: offline, deterministic, and every sentence a sentence of a report.

Why extractive: a sentence copied from the retrieved paragraph cannot misstate it, and its
citation's quote is that very sentence, so each claim is traceable to characters of one page.
The answer leads with the report(s) it draws on ("In its 2019 inspection of Southend-on-Sea
(report published 27 August 2019), Ofsted found:"), keeps several reports apart under their own
labels, and marks every sentence with ``[n]``. Judgement questions are answered from the grades
parsed at index time, each cited to the report text that states it. When the evidence is weak
the answer says so (``abstained``) and still shows the nearest passages.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from corpus.judgements import heading_area
from service.answers.figures import figure_bonus
from service.answers.lexicon import (
    CHANGE_SENTENCE,
    FRAMING_WORDS,
    IMPROVE_HINT,
    LIST_FRAMING,
    SUMMARY_SECTION,
    TONE_FRAMING,
)
from service.answers.lists import (
    ITEM_SENTENCES,
    LIST_ITEMS,
    LIST_TOPIC_COVER,
    LIST_TOPIC_WEIGHT,
    covers,
    list_items,
    list_spans,
)
from service.answers.planning import Catalogue, ReportInfo
from service.answers.query import SECTION_HINTS, QueryIntent
from service.answers.quoting import REFERENCE_ONLY, prose_like, quote_span
from service.answers.records import Citation, Passage
from service.answers.retrieval import BORROWED_WEIGHT, TermStats
from service.answers.sentence_rank import Parts, Place, Ranker, as_conclusion, features
from service.answers.text import ACRONYMS, clean_sentence, fold, sentence_spans, stem, stems
from service.answers.tone import (
    agreement,
    heading_like,
    list_ranges,
    section_tone,
    sentence_tone,
)

if TYPE_CHECKING:
    from indexer.backend import SearchIndex

# A candidate sentence as the ranker sees it: its features, its passage and where it is in it.
Candidate = tuple[tuple[float, ...], Passage, int, int]

# A question about one area is also answered by the combined area of older frameworks.
AREA_FALLBACKS = {
    "care_leavers": ("children_in_care_and_care_leavers",),
    "children_in_care": ("children_in_care_and_care_leavers",),
}

# A council joins a "which councils" answer only with evidence this close to the strongest council's.
SURVEY_KEEP = 0.6
# Share of a concept's weight a sentence gets when only an earlier sentence of its paragraph names it.
CONTEXT = 0.5
TONE_WEIGHT = 0.4  # × the tone's agreement with the one asked for (a shortfall for "what concerns ...?")
# A sentence holding this share of the question's topic is about it: when one of the tone asked
# for (or neutral) is found, sentences of the opposite tone are left out.
ON_TOPIC = 0.5
# The designed sum of a sentence's parts (``Scored.score``), which the survey of councils
# compares: a phrase of the question kept whole, the kind of thing asked for named ("team" for
# "which team ...?"), a change stated, the tone asked for. Answers from passages weigh the same
# parts by the fitted ranker (``service.answers.sentence_rank``).
PAIR_WEIGHT = 0.15
KIND_WEIGHT = 0.15
# A sentence saying how things changed from an earlier inspection, when the question asks that
# (``QueryIntent.asks_change``, ``CHANGE_SENTENCE``): "have deteriorated since the previous
# inspection in 2015", "has improved so that this is now outstanding", "are no longer inadequate".
CHANGE_WEIGHT = 0.4
# A sentence beside a grade must hold this share of the question's topic (or say how it changed).
SUPPORT_COVER = 0.5
# What opens a judgement's section before its first sentence: the single inspection framework's
# "Summary" heading, a paragraph number ("39. Services provided for ...").
SECTION_LEAD = re.compile(r"\s*(?:summary\b\s*)?(?:\d{1,3}\.\s*)?", re.IGNORECASE)
# Sentences beside one area's grade: the inspectors say it in the area's own section and again in
# the headline ("the quality of support to care leavers is a standout strength"), and the users
# sets quote either. Two, not one: users-tune key facts 0.897 -> 0.904 ("hull help and protection
# still inadequate 2023": "no longer inadequate" is the second), the other tuning files and
# dev.jsonl unchanged; measured after, users-heldout 0.872 -> 0.882 (relative dates 0.69 -> 0.73),
# users-blind and users-blind2 unchanged. An overall grade keeps its headline and one sentence
# (two cost dev.jsonl a hit@5: the sentence cited pushed the gold passage out of the five shown).
SUPPORT_SENTENCES = 2
# An answer's sentences: those at least this share as likely to hold the answer as the best one
# (``sentence_rank.Ranker.probability``), up to the answer's limits. Chosen on users-tune and
# dev.jsonl so that answers keep as many sentences as the hand-weighted score gave (2.2 and 2.8
# a question; 0.55, that score's own share, kept 1.8 and 2.3 on the probability scale).
KEEP = 0.1
# Sentences of a report's headline quoted after its overall grade: the first often only sets the
# scene ("Some services for children have declined since the last inspection.") and the second
# says what was found ("Widespread and serious weaknesses mean that too many children ...").
HEADLINE_SENTENCES = 2


def restates(sentence: str, given: Sequence[set[str]]) -> bool:
    """Whether a sentence says again what one already quoted says (most of its stems shared)."""
    vocabulary = set(stems(sentence))
    return any(len(vocabulary & g) / max(len(vocabulary | g), 1) > 0.6 for g in given)


ABSTAIN_TEXT = (
    "The indexed Ofsted reports do not appear to answer this question. "
    "The nearest passages are listed below for you to judge."
)


@dataclass(frozen=True)
class Asks:
    """What a question asks of its answer's sentences, beyond its topic."""

    figure: bool = False  # "how many", "what proportion": a sentence with a number
    figure_stems: frozenset[str] = frozenset()  # the words a figure should stand next to
    tone: int = 0  # -1 criticism, +1 praise (``service.answers.asking.Wants``)
    improvements: bool = False  # "what needs to improve": the report's list of them
    topic: tuple[str, ...] = ()  # the question's words that say what it is about
    kind: str | None = None  # "which team ...?": the stem of the kind of thing asked for
    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()  # abbreviation stem → its long form's stems
    borrowed: frozenset[str] = frozenset()  # stems a follow-up borrowed: weighed less
    change: bool = False  # "how has it changed since ...": a sentence saying how (``CHANGE_SENTENCE``)
    # A tone asked with no topic ("what was holding them back", "was it that bad at the previous
    # one too"): the question is about the report as a whole, so every sentence is on its topic.
    broad: bool = False
    # Whom the question is about ("care", "leavers") and the sections that are about them: a
    # sentence of such a section is about them whether it names them or not (as in retrieval).
    subject: frozenset[str] = frozenset()
    subject_sections: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def of(cls, intent: QueryIntent) -> Asks:
        """What the intent's ``wants`` ask of sentences, with the topic left once the tone is asked."""
        wants = intent.wants
        topic = intent.terms
        if wants.tone:
            # "What concerns did inspectors raise about X?": the sentence's tone answers "concerns".
            topic = tuple(t for t in intent.terms if t.lower() not in TONE_FRAMING) or intent.terms
        kind = stem(wants.kind) if wants.kind else None
        return cls(
            figure=wants.figure,
            figure_stems=frozenset(stem(t) for t in topic),
            tone=wants.tone,
            improvements=intent.asks_list,
            topic=topic,
            kind=kind if kind in {stem(t) for t in topic} else None,
            aliases=intent.aliases,
            borrowed=frozenset(stem(t) for t in intent.borrowed),
            change=intent.asks_change,
            broad=intent.broad_tone,
            subject=frozenset(stem(t) for t in intent.slots[0]) if not intent.slots[1] else frozenset(),
            subject_sections=tuple(p for name, _, p in SECTION_HINTS if name in intent.sections),
        )

    def holds_subject(self, passage: Passage) -> bool:
        """Whether a passage is of a section about whom the question asks."""
        return bool(self.subject) and any(p.search(passage.section or "") for p in self.subject_sections)

    def weight(self, term_stem: str, idf: float) -> float:
        return idf * (BORROWED_WEIGHT if term_stem in self.borrowed else 1.0)


@dataclass(frozen=True)
class Scored:
    """A sentence of a passage (``text[start:end]``) with its topic cover and what else it holds
    (``parts``: the features ``sentence_rank`` weighs). ``score`` is the designed sum of those
    parts, which the survey of councils compares across councils; answers from passages rank
    sentences by the fitted ``sentence_rank.Ranker`` instead."""

    score: float
    cover: float
    position: int
    start: int
    end: int
    agrees: float = 0.0  # how far its tone goes the way the question asks (``tone.agreement``)
    parts: Parts = field(default_factory=Parts)


@dataclass
class Draft:
    """An answer being put together: labelled groups of cited sentences, and their citations."""

    groups: list[tuple[str, list[tuple[str, list[int]]]]] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    cited: dict[int, Passage] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Extracted sentences are checked against the span they quote; paraphrases against the passage.
    check_quotes: bool = True

    @property
    def sentences(self) -> list[tuple[str, list[int]]]:
        return [s for _, group in self.groups for s in group]

    def text(self) -> str:
        parts = []
        for label, group in self.groups:
            body = " ".join(f"{sentence} {''.join(f'[{n}]' for n in numbers)}" for sentence, numbers in group)
            parts.append(f"{label} {body}".strip())
        return "\n\n".join(parts)


def pretty_date(value: date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else "date unknown"


def report_label(info: ReportInfo | None, passage: Passage | None = None, *, lead: bool) -> str:
    """ "In its 2019 inspection of Durham (report published 21 October 2019), Ofsted found:"."""
    if info is None:
        council = passage.local_authority if passage else "the council"
        return f"The report on {council} says:" if lead else f"{council}:"
    year = info.label_year
    published = pretty_date(info.published)
    if lead:
        when = (
            f"In its {year} inspection of {info.local_authority}"
            if year
            else f"In its report on {info.local_authority}"
        )
        return f"{when} (report published {published}), Ofsted found:"
    return f"{info.local_authority}, {year} inspection (published {published}):"


class Composer:
    """Builds drafts from passages; needs the index only for page texts and judgements."""

    def __init__(
        self, index: SearchIndex, catalogue: Catalogue, stats: TermStats, ranker: Ranker | None = None
    ) -> None:
        self.index = index
        self.catalogue = catalogue
        self.stats = stats
        self.ranker = ranker or Ranker.load()
        # ``eval fit-sentences`` sets a list here: each ranking of candidates is appended to it as
        # (kind, [(features, passage, start, end), ...]). None when serving.
        self.record: list[tuple[str, list[Candidate]]] | None = None

    # --- citations ------------------------------------------------------------------------------
    def cite(self, draft: Draft, passage: Passage, start: int, end: int) -> int:
        quote = passage.text[start:end]
        for existing in draft.citations:
            if existing.chunk_id == passage.chunk_id and existing.quote == quote:
                return existing.n
        n = len(draft.citations) + 1
        page = self.page_of(passage, quote)
        info = self.catalogue.by_id.get(passage.report_id)
        base = info.source_url if info and info.source_url else f"/reports/{passage.report_id}/pdf"
        draft.citations.append(
            Citation(
                n=n,
                report_id=passage.report_id,
                local_authority=info.local_authority if info else passage.local_authority,
                publication_date=passage.publication_date,
                section=passage.section,
                paragraphs=passage.paragraphs,
                page=page,
                quote=quote,
                url=f"{base}#page={page}",
                chunk_id=passage.chunk_id,
            )
        )
        draft.cited[n] = passage
        return n

    def page_of(self, passage: Passage, quote: str) -> int:
        """The page that holds a quote: the passage's only page, else the first whose text has it."""
        if len(passage.pages) <= 1:
            return passage.page
        probe = fold(quote)[:80]
        for page in passage.pages:
            try:
                if probe in fold(self.index.page_text(passage.report_id, page)):
                    return page
            except Exception:
                break
        return passage.page

    # --- extractive answers -----------------------------------------------------------------------
    def extractive(
        self, intent: QueryIntent, passages: Sequence[Passage], *, per_report: int, max_sentences: int = 6
    ) -> Draft:
        """Pick the sentences that best answer the question, grouped and labelled by report."""
        candidates: list[tuple[float, int, int, Passage, int, int]] = []
        opposite: list[tuple[float, int, int, Passage, int, int]] = []
        on_topic = False
        agreeing: set[tuple[str, int]] = set()
        broad = Asks.of(intent).broad
        for score, rank, passage, found in self.ranked_sentences(intent, passages):
            item = (score, rank, found.position, passage, found.start, found.end)
            (opposite if found.agrees < 0 else candidates).append(item)
            about = broad or found.cover >= ON_TOPIC
            on_topic = on_topic or (found.agrees >= 0 and about)
            if found.agrees > 0 and about:
                agreeing.add((passage.chunk_id, found.start))
        if not on_topic:
            # Praise does not answer "what concerns ...?" (nor a shortfall "what was praised?"),
            # but when nothing else on the topic is found, what the report does say is shown.
            candidates += opposite
        # A sentence on the topic of the tone asked for comes before a neutral one: "what concerns
        # ...?" is answered by the concerns first (the tune sets hold too few such questions for
        # the ranker to learn the tone's weight), each tier in the ranker's order.
        candidates.sort(key=lambda c: (-((c[3].chunk_id, c[4]) in agreeing), -c[0]))
        if not candidates:
            return Draft()
        best = candidates[0][0]
        chosen: list[tuple[float, int, int, Passage, int, int]] = []
        per: dict[str, int] = {}
        seen: list[set[str]] = []
        for candidate in candidates:
            score, _rank, _pos, passage, start, end = candidate
            if score < KEEP * best or len(chosen) >= max_sentences:
                break
            if per.get(passage.report_id, 0) >= per_report:
                continue
            vocabulary = set(stems(passage.text[start:end]))
            if any(len(vocabulary & other) / max(len(vocabulary | other), 1) > 0.7 for other in seen):
                continue
            chosen.append(candidate)
            seen.append(vocabulary)
            per[passage.report_id] = per.get(passage.report_id, 0) + 1
        if len(chosen) < min(2, max_sentences, per_report):
            follow = self._next_sentence(chosen[0])
            if follow is not None:
                chosen.append(follow)
        return self._assemble(chosen)

    def append(self, draft: Draft, extra: Draft, topic: dict[str, float], wanted: int = 0) -> None:
        """Add those of ``extra``'s sentences that are about ``topic`` (stems with their idf, as
        ``list_topic`` gives them: at least ``LIST_TOPIC_COVER`` of its weight, as for an item of
        the list) and, when a tone is ``wanted``, state it, to the last group of ``draft``, cited
        anew, leaving out any that restate a sentence ``draft`` already quotes."""
        if not draft.groups:
            return
        given = [set(stems(c.quote)) for c in draft.citations]
        group = draft.groups[-1][1]
        total = sum(topic.values()) or 1.0
        for sentence, numbers in extra.sentences:
            citation = extra.citations[numbers[0] - 1]
            passage = extra.cited[numbers[0]]
            present = set(stems(citation.quote))
            if sum(v for t, v in topic.items() if t in present) / total < LIST_TOPIC_COVER:
                continue
            if restates(citation.quote, given):
                continue
            start = passage.text.find(citation.quote)
            if start < 0:
                continue
            placed = sentence_tone(citation.quote, passage.section, list_ranges(passage.text), start)
            if wanted and agreement(wanted, placed) <= 0:
                continue
            group.append((sentence, [self.cite(draft, passage, start, start + len(citation.quote))]))
            given.append(set(stems(citation.quote)))

    def rerank(
        self, intent: QueryIntent, passages: Sequence[Passage], depth: int, keep: int
    ) -> list[Passage]:
        """The ``keep`` passages of the first ``depth`` whose best sentence is likeliest to answer
        (the fitted ranker; ties keep retrieval's order), in retrieval's order so that each
        keeps the rank it was fitted with, then the rest as retrieved. Not while ``record``
        collects candidates for fitting: what is collected then does not depend on the ranker."""
        head = list(passages[:depth])
        if len(head) <= keep or self.record is not None:
            return list(passages)
        # As ``extractive`` orders sentences: one on the topic of the tone asked for first.
        broad = Asks.of(intent).broad
        best: dict[str, tuple[bool, float]] = {}
        for score, _rank, passage, found in self.ranked_sentences(intent, head, kind="rerank"):
            agrees = found.agrees > 0 and (broad or found.cover >= ON_TOPIC)
            best[passage.chunk_id] = max(best.get(passage.chunk_id, (False, 0.0)), (agrees, score))
        order = sorted(range(len(head)), key=lambda i: best.get(head[i].chunk_id, (False, 0.0)), reverse=True)
        chosen = sorted(order[:keep])
        rest = [head[i] for i in range(len(head)) if i not in chosen]
        return [head[i] for i in chosen] + rest + list(passages[depth:])

    def ranked_sentences(
        self, intent: QueryIntent, passages: Sequence[Passage], *, kind: str = "extractive"
    ) -> list[tuple[float, int, Passage, Scored]]:
        """Every candidate sentence of ``passages`` with the fitted ranker's probability that it
        answers (``sentence_rank``), its passage's rank and the passage, in the passages' order."""
        asks = Asks.of(intent)
        ordered = [stem(t) for t in asks.topic]
        pairs = [f"{a} {b}" for a, b in itertools.pairwise(ordered)]
        aliased = {abbr for abbr, _ in asks.aliases}
        weights = {t: asks.weight(t, self.stats.idf(t)) for t in ordered if t not in aliased}
        concepts = [(frozenset((t,)), w) for t, w in weights.items()]
        top_score = max((p.score for p in passages), default=1.0) or 1.0
        scored, _ = self._scored(passages, concepts, pairs, asks)
        best_cover = max((found.cover for _, _, found in scored), default=0.0)
        out: list[tuple[float, int, Passage, Scored]] = []
        recorded: list[Candidate] = []
        for rank, passage, found in scored:
            in_list = bool(asks.improvements and IMPROVE_HINT.search(passage.section or ""))
            place = Place(passage, rank, top_score, found.position)
            vector = features(found.parts, place, best_cover, in_list=in_list)
            recorded.append((vector, passage, found.start, found.end))
            out.append((self.ranker.probability(vector), rank, passage, found))
        if self.record is not None:
            self.record.append((kind, recorded))
        return out

    def sentences(
        self,
        passage: Passage,
        concepts: Sequence[tuple[frozenset[str], float]],
        pairs: Sequence[str],
        asks: Asks,
    ) -> list[Scored]:
        """Every quotable sentence of a passage, scored for the question (the one sentence scorer: the
        strategies that read whole reports call it too).

        The score is the share of the question's (idf-weighted) concepts the sentence holds, plus
        its phrases kept whole. A sentence also gets ``CONTEXT`` of the weight of concepts that
        only earlier sentences of its paragraph hold: "They have high caseloads" is about the IROs
        the paragraph named first. Then what the question asks of the answer: a figure for "how
        many", the kind named by "which team", a shortfall for "what concerns", a strength for
        "what was praised".
        """
        total = sum(weight for _, weight in concepts) or 1.0
        text = passage.text
        ranges = list_ranges(text) if asks.tone else []
        # Items of an improvement list may lack a full stop; elsewhere such a line is a heading.
        list_section = section_tone(passage.section) != 0
        out: list[Scored] = []
        previous: set[str] = set()
        previous_end: int | None = None
        subject = asks.subject if asks.holds_subject(passage) else frozenset()
        for position, span in enumerate(sentence_spans(text)):
            start, end = quote_span(text, *span)
            sentence = text[start:end]
            sentence_stems = stems(sentence)
            present = set(sentence_stems) | subject
            for abbr, long_form in asks.aliases:
                if abbr in present:  # "CADS" holds "children's advice and duty service"
                    present |= set(long_form)
            if previous_end is None or "\n" in text[previous_end:start]:
                previous = set()  # a new paragraph: nothing to refer back to
            inherited = previous
            previous, previous_end = previous | present, end
            if not prose_like(sentence) or REFERENCE_ONLY.fullmatch(sentence):
                continue
            if heading_like(sentence) and not list_section:
                continue  # "The impact of leaders on social work practice ...": a title, not a finding
            own = sum(w for group, w in concepts if group & present)
            borrowed = sum(w for group, w in concepts if group & inherited and not group & present)
            joined = f" {' '.join(sentence_stems)} "
            cover = (own + CONTEXT * borrowed) / total
            agrees = 0.0
            if asks.tone:
                agrees = agreement(asks.tone, sentence_tone(sentence, passage.section, ranges, start))
            parts = Parts(
                own=own / total,
                inherited=borrowed / total,
                pairs=sum(1 for pair in pairs if f" {pair} " in joined),
                figure=figure_bonus(sentence, asks.figure_stems) if asks.figure else 0.0,
                kind=bool(asks.kind and asks.kind in present),
                change=bool(asks.change and CHANGE_SENTENCE.search(sentence)),
                tone=agrees,
                words=len(sentence.split()),
            )
            score = (
                cover
                + PAIR_WEIGHT * parts.pairs
                + parts.figure
                + KIND_WEIGHT * parts.kind
                + CHANGE_WEIGHT * parts.change
                + TONE_WEIGHT * agrees
            )
            out.append(Scored(score, cover, position, start, end, agrees, parts))
        return out

    def concepts(self, terms: Sequence[str]) -> list[tuple[frozenset[str], float]]:
        return self._concepts(terms)

    def headline(self, passage: Passage, after: int) -> tuple[Passage, int, int] | None:
        """The report's headline sentence after a judgements table ending at ``after``."""
        found = self._headline(passage, after, 1)
        return found[0] if found else None

    def survey(
        self, intent: QueryIntent, councils: Sequence[Sequence[Passage]], *, max_councils: int = 5
    ) -> Draft:
        """One sentence per council for "which councils ...?", each led by council and year.

        ``councils`` holds each council's best passages, strongest council first. Each council
        gives the one sentence of its passages that best matches the question, quoted as it
        stands; a council whose best sentence is much weaker than the strongest's is left out
        rather than padded in. Equal evidence puts the more recent inspection first. When the
        question asks for criticism (or praise), a council joins only when its sentence states a
        shortfall (or a strength): "plans are timely" does not answer "criticised for delays",
        nor does a plain description of the service.
        """
        asks = Asks.of(intent)
        ordered = [stem(t) for t in asks.topic]
        pairs = [f"{a} {b}" for a, b in itertools.pairwise(ordered)]
        concepts = self._concepts(asks.topic)
        top_score = max((p.score for group in councils for p in group), default=1.0) or 1.0
        best: list[tuple[float, float, Passage, int, int]] = []
        for group in councils:
            found: tuple[float, float, Passage, int, int] | None = None
            for passage in group:
                for scored in self.sentences(passage, concepts, pairs, asks):
                    score = scored.score + 0.35 * passage.score / top_score
                    if found is None or score > found[0]:
                        found = (score, scored.cover, passage, scored.start, scored.end)
            if found is None:
                continue
            if asks.tone:
                passage, start = found[2], found[3]
                placed = sentence_tone(
                    passage.text[start : found[4]], passage.section, list_ranges(passage.text), start
                )
                if agreement(asks.tone, placed) <= 0:
                    continue  # neither criticised nor praised for it, whichever was asked
            best.append(found)
        if not best:
            return Draft()
        top = max(b[0] for b in best)
        top_cover = max(b[1] for b in best)
        kept = [b for b in best if b[0] >= SURVEY_KEEP * top and b[1] >= SURVEY_KEEP * top_cover]
        kept.sort(
            key=lambda b: (-round(b[0], 2), -_published(self.catalogue.by_id.get(b[2].report_id)).toordinal())
        )
        draft = Draft()
        for _score, _cover, passage, start, end in kept[:max_councils]:
            n = self.cite(draft, passage, start, end)
            label = report_label(self.catalogue.by_id.get(passage.report_id), passage, lead=False)
            draft.groups.append((label, [(clean_sentence(passage.text[start:end]), [n])]))
        return draft

    def _concepts(self, terms: Sequence[str]) -> list[tuple[frozenset[str], float]]:
        """The question's words as weighted concepts: an acronym and its spelled-out words
        ("PLO", "public law outline") count once, so that a topic named both ways does not
        outweigh what the question says about it ("delays")."""
        concepts: list[tuple[frozenset[str], float]] = []
        covered: set[str] = set()
        for term in terms:
            key = stem(term)
            if key in covered:
                continue
            group = {key} | {stem(w) for w in ACRONYMS.get(term.lower(), "").split()}
            covered |= group
            concepts.append((frozenset(group), max(self.stats.idf(t) for t in group)))
        return concepts

    @staticmethod
    def _next_sentence(
        item: tuple[float, int, int, Passage, int, int],
    ) -> tuple[float, int, int, Passage, int, int] | None:
        """The sentence after the best one, when the answer would otherwise be a single sentence:
        "X receive a good service." is usually followed by how."""
        score, rank, position, passage, _start, end = item
        for span in sentence_spans(passage.text):
            next_start, next_end = quote_span(passage.text, *span)
            if next_start >= end:
                sentence = passage.text[next_start:next_end]
                return (
                    (score, rank, position + 1, passage, next_start, next_end)
                    if prose_like(sentence)
                    else None
                )
        return None

    def _assemble(self, chosen: list[tuple[float, int, int, Passage, int, int]]) -> Draft:
        draft = Draft()
        order: list[str] = []
        by_report: dict[str, list[tuple[float, int, int, Passage, int, int]]] = {}
        for item in chosen:
            report_id = item[3].report_id
            if report_id not in by_report:
                order.append(report_id)
                by_report[report_id] = []
            by_report[report_id].append(item)
        # Several reports read oldest first, so changes over time read in order.
        infos = {r: self.catalogue.by_id.get(r) for r in order}
        if len(order) > 1:
            order.sort(key=lambda r: _published(infos[r]))
        for report_id in order:
            items = sorted(by_report[report_id], key=lambda c: (c[1], c[2]))
            group = []
            for _score, _rank, _pos, passage, start, end in items:
                n = self.cite(draft, passage, start, end)
                group.append((clean_sentence(passage.text[start:end]), [n]))
            info = infos[report_id]
            label = report_label(info, items[0][3], lead=len(order) == 1)
            draft.groups.append((label, group))
        return draft

    def section_list(
        self,
        report_ids: Sequence[str],
        pattern: re.Pattern[str],
        limit: int = LIST_ITEMS,
        topic: Sequence[str] = (),
    ) -> Draft:
        """The items of a list such as "What needs to improve", in the report's order.

        Items are read as ``service.answers.lists`` finds them, up to ``limit``, each with its first
        ``ITEM_SENTENCES`` sentences. With a ``topic`` ("what needs to improve for care leavers?")
        only the items about it are given, and none when no item is.
        """
        weights = self.list_topic(topic)
        chosen: list[tuple[float, int, int, Passage, int, int]] = []
        for report_id in report_ids:
            rows = self.index.chunk_ids_for_reports([report_id])
            chunks = sorted(self.index.chunks(list(rows)), key=lambda c: c.start)
            items = list_items(list_spans(chunks, pattern))
            if weights:
                items = [item for item in items if covers(item, weights) >= LIST_TOPIC_COVER]
            for item in items[:limit]:
                chosen.extend((1.0, *sentence) for sentence in item[:ITEM_SENTENCES])
        return self._assemble(chosen)

    def list_topic(self, terms: Sequence[str]) -> dict[str, float]:
        """The words of "what needs to improve for care leavers?" that pick items of the list
        (stems with their idf), or nothing when the question asks for the whole list."""
        weights = {stem(t): self.stats.idf(stem(t)) for t in terms if t.lower() not in LIST_FRAMING}
        # "children" alone says nothing about which items are wanted.
        return weights if sum(weights.values()) >= LIST_TOPIC_WEIGHT else {}

    # --- judgements ---------------------------------------------------------------------------
    def judgements(
        self, intent: QueryIntent, report_ids: Sequence[str], passages: Sequence[Passage]
    ) -> Draft:
        """Grades from the judgements table, each cited to the report text that states it."""
        draft = Draft()
        infos = [self.catalogue.by_id[r] for r in report_ids if r in self.catalogue.by_id]
        infos.sort(key=lambda i: i.published or date.min)
        for info in infos:
            found = list(self.index.judgements(info.report_id))
            if not found:
                continue
            wanted = self._wanted(intent.judgement_areas, [j.area for j in found])
            group: list[tuple[str, list[int]]] = []
            for judgement in found:
                if judgement.area not in wanted:
                    continue
                located = self.locate(info.report_id, judgement.text, judgement.page, passages)
                if located is None:
                    continue
                passage, start, end = located
                n = self.cite(draft, passage, start, end)
                group.append((judgement_sentence(passage.text[start:end], judgement.grade), [n]))
                if judgement.area == "overall_effectiveness":
                    for f_passage, f_start, f_end in self._headline(passage, end, HEADLINE_SENTENCES):
                        f_n = self.cite(draft, f_passage, f_start, f_end)
                        group.append((clean_sentence(f_passage.text[f_start:f_end]), [f_n]))
            if group and (intent.asks_change or "overall_effectiveness" not in wanted):
                grades = tuple(j.grade for j in found if j.area in wanted)
                # One area asked for by name: its own section opens with the inspectors'
                # conclusion on it ("Services provided for care-experienced young people in
                # Sunderland are very strong"), a candidate beside the sentences found.
                areas = [j for j in found if j.area in wanted and j.area in intent.judgement_areas]
                opening = self.area_opening(info.report_id, areas[0]) if len(areas) == 1 else None
                # An area's grade comes with two sentences that say it; the overall grade has
                # its headline already, and one more for a question about change.
                count = 1 if "overall_effectiveness" in wanted else SUPPORT_SENTENCES
                supports = self._support(intent, info.report_id, passages, draft, grades, opening)
                for support in supports[:count]:
                    s_passage, s_start, s_end = support
                    group.append(
                        (clean_sentence(s_passage.text[s_start:s_end]), [self.cite(draft, *support)])
                    )
            if group:
                draft.groups.append((report_label(info, None, lead=len(infos) == 1), group))
        return draft

    def _support(
        self,
        intent: QueryIntent,
        report_id: str,
        passages: Sequence[Passage],
        draft: Draft,
        grades: Sequence[str] = (),
        opening: tuple[Passage, int, int] | None = None,
    ) -> list[tuple[Passage, int, int]]:
        """Beside the grade of one area, or of a question about change ("lancs 2018 still
        inadequate or not"), the report's sentence that best says it: on the question's topic
        (``SUPPORT_COVER``) or saying how things changed (``CHANGE_SENTENCE``), never a
        restatement of a grade already given; the ``opening`` of the area's own section is a
        candidate too, as answering as well as the best sentence found and as a conclusion
        (``sentence_rank.as_conclusion``). The fitted ranker chooses among them, with whether a
        sentence puts the grade in words ("for care leavers are inadequate") among its
        features; a tie goes to the sentence found first. Up to ``SUPPORT_SENTENCES``, best first,
        none restating another."""
        asks = Asks.of(intent)
        # "How were care leavers judged?": the grade answers "judged"; the sentence beside it is
        # chosen for the topic, not for the word "judgement".
        topic = [t for t in asks.topic if t.lower() not in FRAMING_WORDS] or list(asks.topic)
        ordered = [stem(t) for t in topic]
        pairs = [f"{a} {b}" for a, b in itertools.pairwise(ordered)]
        aliased = {abbr for abbr, _ in asks.aliases}
        concepts = [(frozenset((t,)), asks.weight(t, self.stats.idf(t))) for t in ordered if t not in aliased]
        given = [set(stems(c.quote)) for c in draft.citations]
        words = [g.split(" to be ")[0].lower() for g in grades]

        def names_grade(sentence: str) -> bool:
            return any(w and w in sentence.lower() for w in words)

        own = [p for p in passages if p.report_id == report_id]
        top_score = max((p.score for p in own), default=1.0) or 1.0
        scored, _ = self._scored(own, concepts, pairs, asks)
        best_cover = max((found.cover for _, _, found in scored), default=0.0)
        pool: list[Candidate] = []
        covers: list[float] = []
        for rank, passage, found in scored:
            sentence = passage.text[found.start : found.end]
            if restates(sentence, given):
                continue  # the grade's own line, or one restating it
            changed = asks.change and CHANGE_SENTENCE.search(sentence)
            if found.cover < SUPPORT_COVER and not changed:
                continue
            place = Place(passage, rank, top_score, found.position)
            vector = features(found.parts, place, best_cover, grade=names_grade(sentence))
            pool.append((vector, passage, found.start, found.end))
            covers.append(found.cover)
        if opening is not None and not restates(opening[0].text[opening[1] : opening[2]], given):
            o_passage, o_start, o_end = opening
            sentence = o_passage.text[o_start:o_end]
            if not pool:
                return [opening]
            # The best found by cover, so that the features do not depend on the ranker in use.
            best_found = pool[max(range(len(pool)), key=lambda i: covers[i])][0]
            vector = as_conclusion(best_found, grade=names_grade(sentence), words=len(sentence.split()))
            pool.append((vector, o_passage, o_start, o_end))
        if self.record is not None:
            self.record.append(("support", pool))
        if not pool:
            return []
        ranked = sorted(pool, key=lambda c: -self.ranker.score(c[0]))  # the first of equals first
        chosen: list[tuple[Passage, int, int]] = []
        for _vector, passage, start, end in ranked:
            if len(chosen) >= SUPPORT_SENTENCES:
                break
            sentence = passage.text[start:end]
            if chosen and restates(sentence, [set(stems(p.text[a:b])) for p, a, b in chosen]):
                continue
            chosen.append((passage, start, end))
        return chosen

    @staticmethod
    def _wanted(requested: Sequence[str], available: Sequence[str]) -> set[str]:
        if "*" in requested:
            return set(available)
        wanted: set[str] = set()
        for area in requested:
            if area in available:
                wanted.add(area)
            else:
                wanted.update(a for a in AREA_FALLBACKS.get(area, ()) if a in available)
        if not wanted and "overall_effectiveness" in requested:
            # After the April 2026 reform there is no overall grade: give every area instead.
            wanted = set(available)
        return wanted

    def _scored(
        self,
        passages: Sequence[Passage],
        concepts: list[tuple[frozenset[str], float]],
        pairs: list[str],
        asks: Asks,
    ) -> tuple[list[tuple[int, Passage, Scored]], float]:
        """Every sentence of ``passages`` scored for the question, with its passage's rank, and
        the best sentence's designed score."""
        scored = [
            (rank, passage, found)
            for rank, passage in enumerate(passages)
            for found in self.sentences(passage, concepts, pairs, asks)
        ]
        return scored, max((found.score for _, _, found in scored), default=0.0)

    def area_opening(self, report_id: str, judgement: Any) -> tuple[Passage, int, int] | None:
        """The first sentence of the report's section on a judgement's area: the first chunk whose
        section heading names the area (``corpus.judgements.heading_area``): "The experiences and
        progress of care leavers" in the ILACS reports; "The graded judgement for adoption
        performance is that it" or "Leadership, management and governance" in the single
        inspection framework's, where a section opens with "Summary" or a paragraph number before
        its first sentence. None where no section is headed so, or it opens with no prose or with a
        list of what to improve (the 2014 reports open the LSCB's section so), which is no verdict."""
        rows = self.index.chunk_ids_for_reports([report_id])
        chunks = sorted(self.index.chunks(list(rows)), key=lambda c: c.start)
        for chunk in chunks:
            if heading_area(chunk.section or "") != judgement.area:
                continue
            passage = _as_passage(chunk)
            listed = list_ranges(passage.text)
            for start, end in sentence_spans(passage.text)[:2]:
                lead = SECTION_LEAD.match(passage.text, start)
                start = lead.end() if lead else start
                if any(r.start <= start < r.end for r in listed):
                    return None
                if start < end and prose_like(passage.text[start:end]):
                    return passage, start, end
            return None
        return self._graded_summary(chunks, judgement)

    def _graded_summary(self, chunks: Sequence[Any], judgement: Any) -> tuple[Passage, int, int] | None:
        """The first sentence after a body table that grades the judgement's area and opens its
        summary ("Key judgement Judgement grade / Leadership, management and governance /
        Outstanding / Summary / Strong governance arrangements ..."), as the 2014-2015 reports of
        the single inspection framework lay a section out when no heading was read for it."""
        wording = re.sub(re.escape(judgement.grade) + r"\W*$", "", judgement.text, flags=re.IGNORECASE)
        words = re.findall(r"\w+", re.sub(r"^[\d.\s]+", "", wording))
        if not words:
            return None
        grade = r"\W+".join(map(re.escape, judgement.grade.split()))
        heading = r"\W+".join(map(re.escape, words))
        table = re.compile(heading + r"\W+" + grade + r"\W+summary\b", re.IGNORECASE)
        for chunk in chunks:  # the report's, in order
            found = table.search(chunk.text)
            if found:
                return self._following_sentence(_as_passage(chunk), found.end())
        return None

    def _headline(self, passage: Passage, after: int, count: int) -> list[tuple[Passage, int, int]]:
        """Up to ``count`` sentences of the report's headline on its overall grade, whose
        judgements table ends at ``after`` in ``passage``: the opening of its summary section
        where it has one (the single inspection framework's "Executive summary" or "Summary of
        key findings": there the sentences after the table are the framework's set words, "The
        local authority leads effective services that meet the requirements for good", or more
        of the table), else the prose that follows the table (the ILACS headline paragraph)."""
        grade = set(stems(passage.text[max(0, after - 200) : after]))
        opening = self._summary_opening(passage.report_id, grade)
        first = opening or self._following_sentence(passage, after)
        if first is None:
            return []
        found = [first]
        while len(found) < count:
            f_passage, _start, f_end = found[-1]
            spans = [quote_span(f_passage.text, a, b) for a, b in sentence_spans(f_passage.text)]
            following = [(a, b) for a, b in spans if a >= f_end]
            if not following:
                break
            start, end = following[0]
            sentence = f_passage.text[start:end]
            if not (prose_like(sentence) and sentence.rstrip().endswith(".")):
                break
            found.append((f_passage, start, end))
        return found

    def _summary_opening(self, report_id: str, grade: set[str]) -> tuple[Passage, int, int] | None:
        """The first sentence of a report's summary section (``SUMMARY_SECTION``), when the report
        has one and it opens with prose other than the grade (``grade``: the stems of the text
        stating it); None for the ILACS reports, which have none."""
        rows = self.index.chunk_ids_for_reports([report_id])
        for chunk in sorted(self.index.chunks(list(rows)), key=lambda c: c.start):
            if not SUMMARY_SECTION.search(chunk.section or ""):
                continue
            passage = _as_passage(chunk)
            for start, end in sentence_spans(passage.text)[:1]:
                start, end = quote_span(passage.text, start, end)
                sentence = passage.text[start:end]
                if prose_like(sentence) and not restates(sentence, [grade]):
                    return passage, start, end
        return None

    def _following_sentence(self, passage: Passage, after: int) -> tuple[Passage, int, int] | None:
        """The headline sentence after a judgements table, when it reads as prose: in the same
        passage, or first in the next one when the table ends its passage ("Overall effectiveness
        Inadequate" closes one chunk, "Since the last inspection ... deterioration" opens the next)."""
        following = [(passage, a, b) for a, b in sentence_spans(passage.text) if a >= after]
        if not following:
            after_passage = self._next_passage(passage)
            spans = sentence_spans(after_passage.text) if after_passage else []
            following = [(after_passage, a, b) for a, b in spans[:1] if after_passage]
        for found, start, end in following[:1]:
            sentence = found.text[start:end]
            if prose_like(sentence) and sentence.rstrip().endswith("."):
                return found, start, end
        return None

    def _next_passage(self, passage: Passage) -> Passage | None:
        """The chunk after a passage in its report, as a passage (None for the last, or a page)."""
        rows = self.index.chunk_ids_for_reports([passage.report_id])
        chunks = sorted(self.index.chunks(list(rows)), key=lambda c: c.start)
        for current, after in itertools.pairwise(chunks):
            if current.chunk_id == passage.chunk_id:
                return _as_passage(after)
        return None

    def locate(
        self, report_id: str, stated: str, page: int, passages: Sequence[Passage]
    ) -> tuple[Passage, int, int] | None:
        """A passage holding the text that states a judgement, and where in it."""
        pattern = re.compile(r"\s+".join(re.escape(w) for w in stated.split()), re.IGNORECASE)
        pool = [p for p in passages if p.report_id == report_id]
        rows = self.index.chunk_ids_for_reports([report_id])
        for chunk in self.index.chunks(list(rows)):
            if page in chunk.pages:
                pool.append(_as_passage(chunk))
        for passage in pool:
            match = pattern.search(passage.text)
            if match:
                return passage, match.start(), match.end()
        text = self.index.page_text(report_id, page)
        match = pattern.search(text)
        if not match:
            return None
        info = self.catalogue.by_id.get(report_id)
        page_passage = Passage(
            chunk_id=f"{report_id}#page-{page}",
            report_id=report_id,
            local_authority=info.local_authority if info else "",
            publication_date=info.published.isoformat() if info and info.published else None,
            section="Judgements",
            paragraphs=(),
            pages=(page,),
            text=text,
            score=0.0,
        )
        return page_passage, match.start(), match.end()


def judgement_sentence(stated: str, grade: str) -> str:
    """ "Overall effectiveness Good" → "Overall effectiveness: good.": the report's words, punctuated."""
    text = clean_sentence(stated).rstrip(" .")
    if text.lower().endswith(grade.lower()):
        head = text[: len(text) - len(grade)].rstrip(" :–-")
        if head and not head.lower().endswith((" is", " are", " requires", " require")):
            return f"{head}: {grade}."
    return f"{text}."


def _published(info: ReportInfo | None) -> date:
    return info.published if info is not None and info.published is not None else date.min


def _as_passage(chunk: Any) -> Passage:
    from service.answers.retrieval import passage_from_chunk

    return passage_from_chunk(chunk, 0.0)
