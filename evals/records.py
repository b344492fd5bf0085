"""What a system under evaluation hands back for one question, and how it scored.

Every system (the full service, BM25, dense, the naive pipeline, an LLM) is reduced to the same
``SystemOutput``: the passages it retrieved in rank order, the answer as sentences with citation
numbers, the cited passages, whether it abstained, and how long it took. The metrics are pure
functions of these records and the gold questions, so they can be tested on hand-made cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetrievedPassage:
    rank: int  # 1-based
    chunk_id: str
    report_id: str
    text: str
    score: float = 0.0
    pages: tuple[int, ...] = ()
    local_authority: str = ""


@dataclass(frozen=True)
class AnswerSentence:
    text: str
    citations: tuple[int, ...]  # numbers of ``SystemOutput.citations``


@dataclass(frozen=True)
class CitedPassage:
    n: int
    chunk_id: str
    report_id: str
    text: str  # the text the citation stands for (the passage, or its quoted span)
    local_authority: str = ""
    page: int | None = None


@dataclass(frozen=True)
class SystemOutput:
    question_id: str
    passages: tuple[RetrievedPassage, ...]
    answer: str
    sentences: tuple[AnswerSentence, ...]
    citations: tuple[CitedPassage, ...]
    abstained: bool
    latency_ms: float
    error: str | None = None  # a system that failed on this question: scored as an empty answer
    # The reports the answer gives as the items of its list ("which councils ...?"), when it says
    # which: for a change between inspections, both reports. Empty: its cited reports.
    named: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvidenceFound:
    """Where one gold quote turned up: the first retrieved passage holding it, and whether a
    citation holds it."""

    report_id: str
    page: int
    quote: str
    rank: int | None  # 1-based rank of the first retrieved passage holding it, within k
    chunk_id: str | None
    how: str | None  # "exact" | "tokens"
    cited: bool


@dataclass(frozen=True)
class SentenceCheck:
    text: str
    citations: tuple[int, ...]
    grounded: bool  # supported by its citations (one of them, or all together)
    supporting: tuple[int, ...]  # the citations that support it on their own
    score: float
    reason: str


@dataclass(frozen=True)
class QuestionScore:
    """Everything measured on one question; ``metrics.aggregate`` turns a list into metrics.json."""

    question_id: str
    type: str
    answerable: bool
    abstained: bool
    latency_ms: float
    style: str = "formal"
    evidence: tuple[EvidenceFound, ...] = ()
    first_evidence_rank: int | None = None
    report_recall_at_5: float = 0.0
    key_facts_found: tuple[bool, ...] = ()
    cites_gold: bool = False
    # A citation from one of the gold reports, whichever passage of it (the coarser figure).
    cites_gold_report: bool = False
    sentences: tuple[SentenceCheck, ...] = ()
    failure: str = "ok"
    error: str | None = None
    # Surveys ("which councils ...?"): the share of the complete answer set the answer names, and
    # the share of the reports it names that belong to the set (None for other questions).
    named_recall: float | None = None
    named_precision: float | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)
