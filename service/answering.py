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
from typing import Any

from service.planning import Catalogue, ReportInfo
from service.query import QueryIntent
from service.records import Citation, Passage
from service.retrieval import TermStats
from service.text import ACRONYMS, clean_sentence, fold, sentence_spans, stem, stems

# A question about one area is also answered by the combined area of older frameworks.
AREA_FALLBACKS = {
    "care_leavers": ("children_in_care_and_care_leavers",),
    "children_in_care": ("children_in_care_and_care_leavers",),
}

# A council joins a "which councils" answer only with evidence this close to the strongest council's.
SURVEY_KEEP = 0.6

ABSTAIN_TEXT = (
    "The indexed Ofsted reports do not appear to answer this question. "
    "The nearest passages are listed below for you to judge."
)


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

    def __init__(self, index: Any, catalogue: Catalogue, stats: TermStats) -> None:
        self.index = index
        self.catalogue = catalogue
        self.stats = stats

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
    def sentence_score(
        self, sentence: str, weights: dict[str, float], total: float, pairs: Sequence[str] = ()
    ) -> float:
        """Share of the question's (idf-weighted) words in the sentence, plus its phrases kept whole."""
        sentence_stems = stems(sentence)
        present = set(sentence_stems)
        cover = sum(v for t, v in weights.items() if t in present) / total
        joined = f" {' '.join(sentence_stems)} "
        return cover + 0.15 * sum(1 for pair in pairs if f" {pair} " in joined)

    def extractive(
        self, intent: QueryIntent, passages: Sequence[Passage], *, per_report: int, max_sentences: int = 6
    ) -> Draft:
        """Pick the sentences that best answer the question, grouped and labelled by report."""
        ordered = [stem(t) for t in intent.terms]
        pairs = [f"{a} {b}" for a, b in itertools.pairwise(ordered)]
        weights = {t: self.stats.idf(t) for t in ordered}
        total = sum(weights.values()) or 1.0
        top_score = max((p.score for p in passages), default=1.0) or 1.0
        list_mode = "improve" in intent.sections
        wants_figure = bool(QUANTITY_ASKED.search(intent.question))
        candidates: list[tuple[float, int, int, Passage, int, int]] = []
        for rank, passage in enumerate(passages):
            spans = sentence_spans(passage.text)
            in_list = list_mode and re.search(r"improve|recommendation", passage.section or "", re.I)
            for position, (start, end) in enumerate(spans):
                sentence = passage.text[start:end]
                if not prose_like(sentence):
                    continue
                cover = self.sentence_score(sentence, weights, total, pairs)
                score = cover + 0.35 * (passage.score / top_score) - 0.02 * rank
                if in_list:
                    score += 0.5
                if wants_figure and re.search(r"\d", sentence):
                    score += 0.15  # "how many", "how high": the sentence with the figure
                candidates.append((score, rank, position, passage, start, end))
        candidates.sort(key=lambda c: -c[0])
        if not candidates:
            return Draft()
        best = candidates[0][0]
        chosen: list[tuple[float, int, int, Passage, int, int]] = []
        per: dict[str, int] = {}
        seen: list[set[str]] = []
        for candidate in candidates:
            score, _rank, _pos, passage, start, end = candidate
            if score < 0.55 * best or len(chosen) >= max_sentences:
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

    def survey(
        self, intent: QueryIntent, councils: Sequence[Sequence[Passage]], *, max_councils: int = 5
    ) -> Draft:
        """One sentence per council for "which councils ...?", each led by council and year.

        ``councils`` holds each council's best passages, strongest council first. Each council
        gives the one sentence of its passages that best matches the question, quoted as it
        stands; a council whose best sentence is much weaker than the strongest's is left out
        rather than padded in. Equal evidence puts the more recent inspection first.
        """
        ordered = [stem(t) for t in intent.terms]
        pairs = [f"{a} {b}" for a, b in itertools.pairwise(ordered)]
        concepts = self._concepts(intent.terms)
        total = sum(weight for _, weight in concepts) or 1.0
        top_score = max((p.score for group in councils for p in group), default=1.0) or 1.0
        best: list[tuple[float, float, Passage, int, int]] = []
        for group in councils:
            found: tuple[float, float, Passage, int, int] | None = None
            for passage in group:
                for start, end in sentence_spans(passage.text):
                    sentence = passage.text[start:end]
                    if not prose_like(sentence):
                        continue
                    sentence_stems = stems(sentence)
                    present = set(sentence_stems)
                    joined = f" {' '.join(sentence_stems)} "
                    cover = sum(w for group, w in concepts if group & present) / total
                    cover += 0.15 * sum(1 for pair in pairs if f" {pair} " in joined)
                    score = cover + 0.35 * passage.score / top_score
                    if found is None or score > found[0]:
                        found = (score, cover, passage, start, end)
            if found is not None:
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
        for next_start, next_end in sentence_spans(passage.text):
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

    def section_list(self, report_ids: Sequence[str], pattern: re.Pattern[str], limit: int = 6) -> Draft:
        """The items of a section such as "What needs to improve", in the report's order."""
        passages: list[Passage] = []
        for report_id in report_ids:
            rows = self.index.chunk_ids_for_reports([report_id])
            chunks = [c for c in self.index.chunks(list(rows)) if pattern.search(c.section or "")]
            passages.extend(_as_passage(c) for c in sorted(chunks, key=lambda c: c.start))
        chosen = []
        per: dict[str, int] = {}
        for rank, passage in enumerate(passages):
            for position, (start, end) in enumerate(sentence_spans(passage.text)):
                if per.get(passage.report_id, 0) >= limit or not prose_like(passage.text[start:end]):
                    continue
                chosen.append((1.0, rank, position, passage, start, end))
                per[passage.report_id] = per.get(passage.report_id, 0) + 1
        return self._assemble(chosen)

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
                follow = self._following_sentence(passage, end)
                if follow is not None and judgement.area == "overall_effectiveness":
                    f_start, f_end = follow
                    f_n = self.cite(draft, passage, f_start, f_end)
                    group.append((clean_sentence(passage.text[f_start:f_end]), [f_n]))
            if group:
                draft.groups.append((report_label(info, None, lead=len(infos) == 1), group))
        return draft

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

    def _following_sentence(self, passage: Passage, after: int) -> tuple[int, int] | None:
        """The headline sentence after a judgements table, when it reads as prose."""
        for start, end in sentence_spans(passage.text):
            if start >= after:
                sentence = passage.text[start:end]
                return (start, end) if prose_like(sentence) and sentence.rstrip().endswith(".") else None
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


QUANTITY_ASKED = re.compile(
    r"\b(?:how many|how much|how (?:high|large|long|big)|what (?:proportion|percentage|number)|caseloads?)\b",
    re.I,
)


def judgement_sentence(stated: str, grade: str) -> str:
    """ "Overall effectiveness Good" → "Overall effectiveness: good.": the report's words, punctuated."""
    text = clean_sentence(stated).rstrip(" .")
    if text.lower().endswith(grade.lower()):
        head = text[: len(text) - len(grade)].rstrip(" :–-")
        if head and not head.lower().endswith((" is", " are", " requires", " require")):
            return f"{head}: {grade}."
    return f"{text}."


_TABLE_WORDS = re.compile(r"\b(?:Inspection dates|Lead inspector|Judgement Grade|Contents)\b")
# Sentences every report of an era carries word for word: they say nothing about the council.
_BOILERPLATE = re.compile(
    r"It is Ofsted[’']s expectation that|Ofsted is the Office for Standards|This publication is available|"
    r"Crown copyright|You can obtain copies|Piccadilly Gate|This inspection was carried out under section",
    re.I,
)


def prose_like(sentence: str) -> bool:
    """A sentence worth quoting: 4-70 words of prose, not a table row or a heading run-on."""
    words = sentence.split()
    if not 4 <= len(words) <= 70 or not re.search(r"[a-z]", sentence) or _TABLE_WORDS.search(sentence):
        return False
    if _BOILERPLATE.search(sentence):
        return False
    capitalised = sum(1 for w in words if w[:1].isupper())
    return capitalised / len(words) <= 0.5


def _published(info: ReportInfo | None) -> date:
    return info.published if info is not None and info.published is not None else date.min


def _as_passage(chunk: Any) -> Passage:
    from service.retrieval import passage_from_chunk

    return passage_from_chunk(chunk, 0.0)
