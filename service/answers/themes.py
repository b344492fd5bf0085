"""Recurring themes across reports: "what weaknesses come up most often in care leavers services?".

Top-k retrieval cannot say what recurs: it sees a handful of passages. Here every report in scope
is read: ``gather`` takes each report's passages on the topic (full-text search over the reports
in scope, deep enough to reach every report's passages holding the topic's words), scores every
sentence with the composer's own scorer (``Composer.sentences``: topic cover, with what earlier
sentences of its paragraph name, and the tone the question asks for, ``service.answers.tone``) and keeps
each report's best ``PER_REPORT`` sentences stating a shortfall (or a strength). ``group`` embeds
them with the service's MiniLM model and joins near-duplicates with SciPy's
hierarchical clustering (average linkage on cosine distance, cut at ``DISTANCE``), so "personal
advisers do not visit often enough" and "not all care leavers see their adviser regularly" make
one theme. Themes are ranked by how many councils they occur in; each is shown with its most
typical sentence and further examples from other councils, all cited, and the answer says how many
reports were read.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from service.answers.answering import Asks, Draft
from service.answers.judgements import AREA_NAMES
from service.answers.lexicon import THEME_FRAMING, TONE_FRAMING
from service.answers.planning import Plan
from service.answers.query import QueryIntent
from service.answers.records import Passage
from service.answers.retrieval import passage_from_chunk
from service.answers.strategy_kit import Case, Reply, Tools
from service.answers.text import clean_sentence, stem
from service.answers.tone import ListRange, agreement, list_ranges, sentence_tone

PER_REPORT = 2  # sentences of one report that can join themes (its strongest on the topic)
ON_TOPIC = 0.5  # share of the topic's weight a sentence must hold (with its paragraph's help)
DEPTH = 60  # passages searched per report in scope: every report's passages on the topic
PER_REPORT_PASSAGES = 6  # of which each report's best by full-text score are read sentence by sentence
MIN_WORDS = 6  # shorter lines are headings or list labels, not findings
DISTANCE = 0.34  # cosine distance at which findings stop being merged (fitted: evals/fit_themes.py)
THEMES_SHOWN = 5
EXAMPLES = 3
TONES_KEPT = 300_000  # sentence tones remembered between questions (about the whole corpus's)
BATCH = 64  # sentences embedded per call, so other questions' embeddings interleave


@dataclass(frozen=True)
class Finding:
    """One sentence of one report stating a shortfall (or strength) on the topic."""

    passage: Passage
    start: int
    end: int
    council: str
    score: float

    @property
    def text(self) -> str:
        return clean_sentence(self.passage.text[self.start : self.end])


@dataclass(frozen=True)
class Theme:
    members: tuple[Finding, ...]  # the most typical first

    @property
    def councils(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.council for f in self.members))


def topic_of(intent: QueryIntent) -> tuple[str, ...]:
    """The question's words that name its topic: not its tone, nor "most often", "across councils".

    An abbreviation the question did not type, brought in for its long form ("cic" for "children
    in care"), is one concept with those words, not another word every sentence must hold: it is
    left out, so a finding on "children in care" counts without the abbreviation.
    """
    framing = TONE_FRAMING | THEME_FRAMING
    typed = {stem(w) for w in re.findall(r"\w+", intent.question.lower())}
    added = {abbr for abbr, _ in intent.aliases if abbr not in typed}
    return tuple(t for t in intent.terms if t.lower() not in framing and stem(t.lower()) not in added)


def gather(
    tools: Tools, report_ids: tuple[str, ...] | None, topic: tuple[str, ...], tone: int
) -> list[Finding]:
    """Each report's best sentences on ``topic`` with the asked ``tone``, over every report in scope."""
    composer = tools.composer
    scope = list(report_ids) if report_ids is not None else list(tools.catalogue.by_id)
    hits = tools.index.lexical_search(
        " ".join(topic), DEPTH * len(scope), scope if report_ids is not None else None
    )
    rows: list[int] = []
    per_report: dict[str, int] = {}
    for row, _ in hits:  # best first: each report's best passages on the topic
        report_id = tools.report_of_row(row)
        if per_report.get(report_id, 0) < PER_REPORT_PASSAGES:
            per_report[report_id] = per_report.get(report_id, 0) + 1
            rows.append(row)
    # Scored for the topic alone; the tone (the costly part) is read only for sentences on the
    # topic, and kept: a sentence's tone does not depend on the question.
    asks = Asks(topic=topic, figure_stems=frozenset(stem(t) for t in topic))
    concepts = composer.concepts(topic)
    ordered = [stem(t) for t in topic]
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(ordered)]
    best: dict[str, list[Finding]] = {}
    if len(tools.tones) > TONES_KEPT:
        tools.tones.clear()
    for start in range(0, len(rows), 500):
        for chunk in tools.index.chunks(rows[start : start + 500]):
            passage = passage_from_chunk(chunk, 0.0)
            info = tools.catalogue.by_id.get(passage.report_id)
            council = info.local_authority if info else passage.local_authority
            ranges: list[ListRange] | None = None
            for scored in composer.sentences(passage, concepts, pairs, asks):
                if scored.cover < ON_TOPIC:
                    continue
                if len(passage.text[scored.start : scored.end].split()) < MIN_WORDS:
                    continue
                key = (passage.chunk_id, scored.start)
                value = tools.tones.get(key)
                if value is None:
                    ranges = list_ranges(passage.text) if ranges is None else ranges
                    sentence = passage.text[scored.start : scored.end]
                    value = tools.tones[key] = sentence_tone(sentence, passage.section, ranges, scored.start)
                agrees = agreement(tone, value)
                if agrees <= 0:
                    continue
                finding = Finding(passage, scored.start, scored.end, council, scored.cover + agrees)
                best.setdefault(passage.report_id, []).append(finding)
    # A sentence found word for word in several reports is boilerplate (what a grade means, how
    # inspections work), not a finding about a council.
    reports_of: dict[str, set[str]] = {}
    for findings in best.values():
        for finding in findings:
            reports_of.setdefault(finding.text, set()).add(finding.passage.report_id)
    found: list[Finding] = []
    for findings in best.values():
        findings = [f for f in findings if len(reports_of[f.text]) == 1]
        findings.sort(key=lambda f: -f.score)
        found.extend(findings[:PER_REPORT])
    return found


VECTORS_KEPT = 50_000


def embed(texts: list[str], embedder: Any, cache: dict[str, Any]) -> np.ndarray:
    """Unit vectors of ``texts`` with the service's model, in batches, reusing earlier ones."""
    # Shortest first, so each batch pads to a similar length (padding is most of a mixed batch's work).
    todo = sorted((t for t in dict.fromkeys(texts) if t not in cache), key=len)
    if len(cache) + len(todo) > VECTORS_KEPT:
        cache.clear()
    for i in range(0, len(todo), BATCH):
        batch = todo[i : i + BATCH]
        for text, vector in zip(batch, embedder.encode(batch), strict=True):
            cache[text] = vector
    return np.vstack([cache[t] for t in texts])


def cluster(vectors: np.ndarray, distance: float = DISTANCE) -> np.ndarray:
    """Cluster labels of unit vectors: average linkage on cosine distance, cut at ``distance``.

    SciPy's hierarchical clustering (the routine scikit-learn's ``AgglomerativeClustering`` gives
    the same groups with; SciPy imports in a quarter of the time, which a cold question pays).
    """
    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=int)
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(vectors, method="average", metric="cosine")
    return np.asarray(fcluster(tree, t=distance, criterion="distance"), dtype=int) - 1


def group(
    findings: list[Finding], embedder: Any, cache: dict[str, Any] | None = None, distance: float = DISTANCE
) -> list[Theme]:
    """Near-duplicate findings joined into themes, most councils first."""
    if not findings:
        return []
    vectors = embed([f.text for f in findings], embedder, {} if cache is None else cache)
    labels = cluster(vectors, distance)
    themes = []
    for label in sorted(set(labels.tolist())):
        members = np.flatnonzero(labels == label)
        centre = vectors[members].mean(axis=0)
        closeness = vectors[members] @ centre
        order = members[np.argsort(-closeness, kind="stable")]
        themes.append(Theme(tuple(findings[i] for i in order)))
    themes.sort(key=lambda t: (-len(t.councils), -len(t.members), t.members[0].text))
    return themes


class RecurringThemes:
    """Themes of shortfalls (or strengths) on a topic across every report in scope."""

    name = "recurring-themes"

    def applies(self, intent: QueryIntent, plan: Plan) -> bool:
        return intent.ask is not None and intent.ask.kind == "themes" and not intent.council_keys

    def answer(self, case: Case) -> Reply | None:
        tools, intent, plan = case.tools, case.intent, case.plan
        ask = intent.ask
        assert ask is not None
        topic = topic_of(intent)
        if not topic or tools.embedder is None:
            return None
        scope = plan.report_ids
        read = len(scope) if scope is not None else len(tools.catalogue.by_id)
        findings = gather(tools, scope, topic, ask.tone)
        themes = group(findings, tools.embedder, tools.vectors)
        about = " or ".join(AREA_NAMES[a] for a in ask.areas if a in AREA_NAMES) or " ".join(topic)
        return themes_reply(tools, themes, read, findings, about, topic, ask.tone)


def themes_reply(
    tools: Tools,
    themes: list[Theme],
    read: int,
    findings: list[Finding],
    about: str,
    topic: tuple[str, ...],
    tone: int,
) -> Reply:
    kind = "weaknesses" if tone < 0 else "strengths"
    reports = len({f.passage.report_id for f in findings})
    councils = len({f.council for f in findings})
    draft = Draft()
    head = (
        f"{read} reports read; {reports} of them ({councils} councils) state {kind} on {about}. "
        f"The themes that recur most, by the number of councils:"
    )
    if not themes:
        head = f"{read} reports read; none states {kind} on {about} that could be quoted."
    draft.groups.append((head, []))
    data_themes = []
    for rank, theme in enumerate(themes, start=1):
        examples = []
        seen: set[str] = set()
        for finding in theme.members:
            if finding.council in seen:
                continue
            seen.add(finding.council)
            examples.append(finding)
            if len(examples) == EXAMPLES:
                break
        members = [
            {
                "local_authority": f.council,
                "report_id": f.passage.report_id,
                "text": f.text,
                "page": tools.composer.page_of(f.passage, f.passage.text[f.start : f.end]),
                "section": f.passage.section,
            }
            for f in theme.members
        ]
        entry: dict[str, Any] = {
            "rank": rank,
            "councils": len(theme.councils),
            "reports": len({f.passage.report_id for f in theme.members}),
            "sentences": len(theme.members),
            "example": theme.members[0].text,
            "members": members,
        }
        if rank <= THEMES_SHOWN:
            cited = []
            for finding in examples:
                n = tools.composer.cite(draft, finding.passage, finding.start, finding.end)
                cited.append((finding.text, [n]))
            entry["citations"] = [n for _, (n,) in cited]
            councils_in = len(theme.councils)
            names = [f.council for f in examples]
            named = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            label = f"{rank}. In {councils_in} council{'s' if councils_in != 1 else ''}, for example {named}:"
            draft.groups.append((label, cited))
        data_themes.append(entry)
    data = {
        "kind": "themes",
        "tone": kind,
        "topic": list(topic),
        "reports_read": read,
        "reports_with_findings": reports,
        "councils_with_findings": councils,
        "themes": data_themes,
    }
    return Reply(draft, data)
