"""The records the service hands out: frozen, so the HTTP layer and the evaluation can trust them.

A ``Passage`` is a retrieved chunk with its scores; a ``Citation`` points one answer sentence at
the exact characters of one passage (``quote`` is always a verbatim span of ``Passage.text``);
an ``Answer`` holds the text, its citations, the passages it drew on and the grounding verdict of
every sentence. ``Filters`` and ``Turn`` are what a caller may pass in besides the question.
The API schemas (``service.web.schemas``) are kept apart from these on purpose: they may grow fields
for clients without changing what the answerer works with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Filters:
    """Explicit restrictions a caller puts on retrieval (all optional, combined with AND).

    ``local_authority`` and ``report_id`` hold names/ids as given; the service validates them
    against the index and raises ``UnknownFilter`` with the nearest valid names.
    """

    local_authority: tuple[str, ...] = ()
    report_id: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    section: str | None = None

    @property
    def empty(self) -> bool:
        return not (
            self.local_authority
            or self.report_id
            or self.year_from is not None
            or self.year_to is not None
            or self.section
        )


@dataclass(frozen=True)
class Turn:
    """One earlier message of the conversation, so follow-ups keep their council and year."""

    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk of one report, with how it scored.

    ``score`` is the final ranking score (higher is better); ``scores`` keeps the parts
    (``dense``, ``lexical``, ``rrf``, ``sentence``, ``section``) so a person can see why it ranked.
    ``page_start`` is the offset of the passage's first character within its first page's text.
    """

    chunk_id: str
    report_id: str
    local_authority: str
    publication_date: str | None
    section: str
    paragraphs: tuple[str, ...]
    pages: tuple[int, ...]
    text: str
    score: float
    scores: dict[str, float] = field(default_factory=dict, compare=False, hash=False)
    page_start: int = 0

    @property
    def page(self) -> int:
        return self.pages[0] if self.pages else 1


@dataclass(frozen=True)
class Citation:
    """Where one or more answer sentences come from.

    ``quote`` is a verbatim span of the cited passage's text; ``page`` is the page holding the
    quote; ``url`` opens the report at that page (the manifest's source URL, else the service's
    own ``/reports/{id}/pdf``).
    """

    n: int
    report_id: str
    local_authority: str
    publication_date: str | None
    section: str
    paragraphs: tuple[str, ...]
    page: int
    quote: str
    url: str
    chunk_id: str


@dataclass(frozen=True)
class SentenceVerdict:
    """The grounding checker's verdict on one answer sentence against the passages it cites."""

    text: str
    citations: tuple[int, ...]
    supported: bool
    score: float = 0.0
    reason: str = ""


@dataclass(frozen=True)
class Focus:
    """What the service understood a question to be about, and acted on: the councils and the
    inspections it searched, whether they came from the conversation, and how the question read
    once normalised (with each correction made to it)."""

    councils: tuple[str, ...] = ()
    years: tuple[int, ...] = ()  # the inspections' years (when inspectors visited, else publication)
    report_ids: tuple[str, ...] = ()
    from_history: bool = False
    # Words of the topic carried from earlier turns ("care", "leavers" for "and what about accommodation?").
    topic_from_history: tuple[str, ...] = ()
    relative: str | None = None  # "latest", "previous", "earliest", "second", "next"
    date_basis: str = "publication"  # what "since 2020", "before 2018" and "latest" were read against
    question: str = ""  # the question as understood (normalised)
    corrections: tuple[tuple[str, str, str], ...] = ()  # (as typed, as understood, kind)

    @property
    def label(self) -> str:
        """ "Answering about Croydon, 2020", or "" when the question named no council or year."""
        if not self.councils and not self.years:
            return ""
        what = " and ".join(self.councils) if self.councils else "every council"
        years = ", ".join(str(y) for y in self.years)
        return f"Answering about {what}{', ' + years if years else ''}"


@dataclass(frozen=True)
class Answer:
    """A complete answer: text with ``[n]`` markers, the citations they point to, and evidence.

    ``sentences`` are the answer's sentences in order (each with its citation numbers and the
    grounding verdict); ``answer`` is them joined. ``reports`` lists the report ids the answer
    draws on, in the order it presents them; ``notes`` carries what query understanding decided
    (e.g. the council and year it assumed), for display and debugging.
    """

    question: str
    answer: str
    abstained: bool
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    sentences: tuple[SentenceVerdict, ...]
    grounding_score: float
    reports: tuple[str, ...] = ()
    local_authorities: tuple[str, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False, hash=False)
    notes: tuple[str, ...] = ()
    # Structured data behind the text (a survey's whole list, a council's timeline), JSON-ready.
    data: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    focus: Focus | None = None
    # The features the abstention gate weighed (``service.answers.abstention``), when it was consulted.
    evidence: dict[str, float] = field(default_factory=dict, compare=False, hash=False)
