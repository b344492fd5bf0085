"""The HTTP contract: request and response bodies, apart from the internal records.

Keeping these apart from ``service.answers.records`` lets the API validate what clients send (strict
types, unknown fields refused, limits stated in the OpenAPI document) and shape what they get
(``paragraphs`` as strings, dates as ISO text) without the answerer knowing about HTTP.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from service.answers.records import Answer, Citation, Filters, Focus, Passage, Turn


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class FiltersIn(_Strict):
    """Optional restrictions; names are checked against the index (nearest names suggested)."""

    local_authority: list[str] = Field(
        default_factory=list, max_length=20, description='Council names, e.g. ["Southend-on-Sea", "Hull"].'
    )
    report_id: list[str] = Field(
        default_factory=list, max_length=20, description='Report ids, e.g. ["durham-2019-10-21"].'
    )
    year_from: int | None = Field(None, ge=2000, le=2100, description="Earliest publication/inspection year.")
    year_to: int | None = Field(None, ge=2000, le=2100, description="Latest publication/inspection year.")
    section: str | None = Field(None, max_length=200, description="Part of a section title, e.g. 'improve'.")

    @field_validator("local_authority", "report_id", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _ordered(self) -> FiltersIn:
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise ValueError(f"year_from ({self.year_from}) is after year_to ({self.year_to})")
        return self

    def to_filters(self) -> Filters:
        return Filters(
            local_authority=tuple(s for s in self.local_authority if s.strip()),
            report_id=tuple(s for s in self.report_id if s.strip()),
            year_from=self.year_from,
            year_to=self.year_to,
            section=self.section or None,
        )


class TurnIn(_Strict):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


class AskRequest(_Strict):
    question: str = Field(
        description="The question, up to 2,000 characters.",
        examples=["What did Ofsted say about foster carer reviews in Southend-on-Sea?"],
    )
    filters: FiltersIn | None = None
    history: list[TurnIn] = Field(default_factory=list, description="The conversation so far, oldest first.")
    top_k: int = Field(5, ge=1, le=50, description="How many passages to retrieve per report group.")

    @field_validator("question", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("the question must be a string")
        return value

    def turns(self) -> list[Turn]:
        return [Turn(t.role, t.content) for t in self.history]


class CitationOut(BaseModel):
    n: int
    report_id: str
    local_authority: str
    publication_date: str | None
    section: str
    paragraphs: list[str]
    page: int
    quote: str
    url: str
    chunk_id: str

    @classmethod
    def of(cls, c: Citation) -> CitationOut:
        return cls(
            n=c.n,
            report_id=c.report_id,
            local_authority=c.local_authority,
            publication_date=c.publication_date,
            section=c.section,
            paragraphs=list(c.paragraphs),
            page=c.page,
            quote=c.quote,
            url=c.url,
            chunk_id=c.chunk_id,
        )


class PassageOut(BaseModel):
    chunk_id: str
    report_id: str
    local_authority: str
    publication_date: str | None
    section: str
    paragraphs: list[str]
    pages: list[int]
    page: int
    text: str
    score: float
    scores: dict[str, float]
    url: str

    @classmethod
    def of(cls, p: Passage, source_url: str | None = None) -> PassageOut:
        base = source_url or f"/reports/{p.report_id}/pdf"
        return cls(
            chunk_id=p.chunk_id,
            report_id=p.report_id,
            local_authority=p.local_authority,
            publication_date=p.publication_date,
            section=p.section,
            paragraphs=list(p.paragraphs),
            pages=list(p.pages),
            page=p.page,
            text=p.text,
            score=round(p.score, 6),
            scores={k: round(v, 6) for k, v in p.scores.items()},
            url=f"{base}#page={p.page}",
        )


class SentenceOut(BaseModel):
    text: str
    citations: list[int]
    supported: bool
    score: float
    reason: str


class GroundingOut(BaseModel):
    score: float = Field(description="Share of answer sentences the grounding checker finds supported.")
    sentences: list[SentenceOut]


class CorrectionOut(BaseModel):
    before: str = Field(description="As typed.")
    after: str = Field(description="As understood.")
    kind: str = Field(description="contraction, council or spelling.")


class IntentOut(BaseModel):
    """What the answer is about, as the service understood the question (and the conversation)."""

    label: str = Field(description='For display: "Answering about Croydon, 2020" ("" when none).')
    councils: list[str]
    years: list[int] = Field(description="Years of the inspections searched.")
    reports: list[str] = Field(description="Ids of the reports searched (empty: the whole index).")
    from_history: bool = Field(description="Council or year carried over from earlier turns.")
    topic_from_history: list[str] = Field(
        default_factory=list, description="Words of the topic carried over from earlier turns."
    )
    relative: str | None = Field(None, description="latest, previous, earliest, second or next.")
    date_basis: str = Field(description="publication or inspection: how date ranges were read.")
    question: str = Field(description="The question as understood, after normalisation.")
    corrections: list[CorrectionOut]


class AskResponse(BaseModel):
    question: str
    answer: str
    abstained: bool
    citations: list[CitationOut]
    passages: list[PassageOut]
    grounding: GroundingOut
    reports: list[str]
    local_authorities: list[str]
    notes: list[str]
    timings_ms: dict[str, float]
    data: dict[str, Any] | None = Field(
        None, description="Structured data behind the answer: a survey's whole list, a timeline, themes."
    )
    intent: IntentOut | None = Field(None, description="What the answer is about (answering about ...).")

    @classmethod
    def of(cls, answer: Answer, sources: dict[str, str | None] | None = None) -> AskResponse:
        sources = sources or {}
        return cls(
            question=answer.question,
            answer=answer.answer,
            abstained=answer.abstained,
            citations=[CitationOut.of(c) for c in answer.citations],
            passages=[PassageOut.of(p, sources.get(p.report_id)) for p in answer.passages],
            grounding=GroundingOut(
                score=answer.grounding_score,
                sentences=[
                    SentenceOut(
                        text=s.text,
                        citations=list(s.citations),
                        supported=s.supported,
                        score=s.score,
                        reason=s.reason,
                    )
                    for s in answer.sentences
                ],
            ),
            reports=list(answer.reports),
            local_authorities=list(answer.local_authorities),
            notes=list(answer.notes),
            timings_ms=dict(answer.timings_ms),
            data=answer.data,
            intent=_intent(answer.focus),
        )


def _intent(focus: Focus | None) -> IntentOut | None:
    if focus is None:
        return None
    return IntentOut(
        label=focus.label,
        councils=list(focus.councils),
        years=list(focus.years),
        reports=list(focus.report_ids),
        from_history=focus.from_history,
        topic_from_history=list(focus.topic_from_history),
        relative=focus.relative,
        date_basis=focus.date_basis,
        question=focus.question,
        corrections=[CorrectionOut(before=b, after=a, kind=k) for b, a, k in focus.corrections],
    )


class SearchResponse(BaseModel):
    query: str
    passages: list[PassageOut]


class JudgementOut(BaseModel):
    area: str
    grade: str
    text: str
    page: int


class ReportOut(BaseModel):
    report_id: str
    local_authority: str
    publication_date: str | None
    inspection_start: str | None
    inspection_end: str | None
    source_url: str | None
    framework: str | None
    n_pages: int | None
    pdf_url: str


class ReportDetail(ReportOut):
    judgements: list[JudgementOut]


class ReportList(BaseModel):
    total: int
    reports: list[ReportOut]


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    ready: bool
    detail: str | None = None
    reports: int | None = None
    chunks: int | None = None
    index: str | None = None
    model: str | None = None
    reload: dict[str, Any] | None = None
    worker: int | None = Field(None, description="Process id of the server worker that answered.")
    build: dict[str, Any] | None = Field(
        None,
        description="While no index is loaded: the index build's progress (state building/done/failed, "
        "reports_done, reports_total, passages, fraction, elapsed_s, eta_s, error).",
    )


class ErrorOut(BaseModel):
    detail: str
    error: str
    suggestions: list[str] = Field(default_factory=list)
