"""Gold question files (``gold/FORMAT.md``): loaded into frozen records and checked line by line.

A gold file is hand-written, so its mistakes are the ones people make: a missing field, a type
spelled differently, an answerable question without evidence. Each is reported with its line number
instead of surfacing later as a wrong metric.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspectqa.errors import InspectQAError

QUESTION_TYPES = ("factoid", "summary", "judgement", "comparison", "survey", "unanswerable")
# How a question is written (``gold/FORMAT.md``, real-users files). A file without the field (the
# dev set) is in the formal style; its unanswerable questions count as the unanswerable style.
STYLES = ("casual", "formal", "followup", "temporal", "survey", "unanswerable")


class BadGoldFile(InspectQAError):
    """A gold file that does not follow FORMAT.md."""

    exit_code = 2


@dataclass(frozen=True)
class Evidence:
    report_id: str
    page: int
    quote: str


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    question: str
    type: str
    answerable: bool
    report_ids: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    answer: str
    key_facts: tuple[str, ...]
    style: str = "formal"
    history: tuple[tuple[str, str], ...] = ()  # earlier turns, (role, content), oldest first
    scope: str = ""  # survey lines: the set of reports checked and how each was read
    # Survey lines whose complete answer set is larger than the 2-8 reports ``report_ids`` may list
    # (``evals/data/USERS_SETS.md``); empty when ``report_ids`` is already the whole set.
    complete_report_ids: tuple[str, ...] = ()

    @property
    def answer_set(self) -> tuple[str, ...]:
        """Every report that answers the question: ``complete_report_ids`` when given, else ``report_ids``."""
        return self.complete_report_ids or self.report_ids


def _field(record: dict[str, Any], name: str, kind: type, where: str) -> Any:
    if name not in record:
        raise BadGoldFile(f"{where}: missing field {name!r}")
    value = record[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BadGoldFile(f"{where}: field {name!r} should be {kind.__name__}, got {type(value).__name__}")
    return value


def parse_question(record: object, where: str = "gold") -> GoldQuestion:
    """One gold record, validated."""
    if not isinstance(record, dict):
        raise BadGoldFile(f"{where}: expected a JSON object")
    qid = str(_field(record, "id", str, where))
    where = f"{where} ({qid})"
    qtype = str(_field(record, "type", str, where))
    if qtype not in QUESTION_TYPES:
        raise BadGoldFile(f"{where}: unknown type {qtype!r}", hint=f"one of {', '.join(QUESTION_TYPES)}")
    answerable = bool(_field(record, "answerable", bool, where))
    if answerable == (qtype == "unanswerable"):
        raise BadGoldFile(f"{where}: type {qtype!r} contradicts answerable={answerable}")
    report_ids = _field(record, "report_ids", list, where)
    evidence_raw = _field(record, "evidence", list, where)
    key_facts = _field(record, "key_facts", list, where)
    evidence: list[Evidence] = []
    for i, item in enumerate(evidence_raw):
        at = f"{where} evidence[{i}]"
        if not isinstance(item, dict):
            raise BadGoldFile(f"{at}: expected an object")
        evidence.append(
            Evidence(
                report_id=str(_field(item, "report_id", str, at)),
                page=int(_field(item, "page", int, at)),
                quote=str(_field(item, "quote", str, at)),
            )
        )
    if answerable and not evidence:
        raise BadGoldFile(f"{where}: an answerable question needs at least one evidence quote")
    stray = {e.report_id for e in evidence} - set(report_ids)
    if stray:
        raise BadGoldFile(f"{where}: evidence from reports not in report_ids: {sorted(stray)}")
    style = record.get("style") or ("formal" if answerable else "unanswerable")
    if style not in STYLES:
        raise BadGoldFile(f"{where}: unknown style {style!r}", hint=f"one of {', '.join(STYLES)}")
    history: list[tuple[str, str]] = []
    for i, turn in enumerate(record.get("history") or []):
        at = f"{where} history[{i}]"
        if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant"):
            raise BadGoldFile(f"{at}: expected {{'role': 'user' or 'assistant', 'content': ...}}")
        history.append((str(turn["role"]), str(_field(turn, "content", str, at))))
    scope = str(_field(record, "scope", str, where)) if "scope" in record else ""
    complete = (
        [str(r) for r in _field(record, "complete_report_ids", list, where)]
        if "complete_report_ids" in record
        else []
    )
    missing = set(report_ids) - set(complete)
    if complete and missing:
        raise BadGoldFile(f"{where}: report_ids not in complete_report_ids: {sorted(missing)}")
    return GoldQuestion(
        id=qid,
        question=str(_field(record, "question", str, where)).strip(),
        type=qtype,
        answerable=answerable,
        report_ids=tuple(str(r) for r in report_ids),
        evidence=tuple(evidence),
        answer=str(record.get("answer", "")),
        key_facts=tuple(str(f) for f in key_facts),
        style=str(style),
        history=tuple(history),
        scope=scope,
        complete_report_ids=tuple(complete),
    )


def parse_lines(lines: Iterable[str], name: str = "gold") -> list[GoldQuestion]:
    questions: list[GoldQuestion] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise BadGoldFile(f"{name}:{number}: not JSON ({error.msg})") from None
        question = parse_question(record, f"{name}:{number}")
        if question.id in seen:
            raise BadGoldFile(f"{name}:{number}: duplicate id {question.id!r}")
        seen.add(question.id)
        questions.append(question)
    return questions


def load_gold(path: Path) -> list[GoldQuestion]:
    """Every question of a gold JSONL file, validated; raises ``BadGoldFile`` naming the line."""
    if not path.is_file():
        raise BadGoldFile(f"no gold file at {path}")
    with path.open(encoding="utf-8") as handle:
        questions = parse_lines(handle, path.name)
    if not questions:
        raise BadGoldFile(f"{path} holds no questions")
    return questions


def select_for_reports(
    questions: Iterable[GoldQuestion], report_ids: Iterable[str], unanswerable: int = 0
) -> list[GoldQuestion]:
    """The answerable questions whose reports are all in ``report_ids``, plus the first
    ``unanswerable`` unanswerable ones: the questions a small index can be fairly asked."""
    available = set(report_ids)
    chosen: list[GoldQuestion] = []
    extra = 0
    for question in questions:
        if question.answerable and set(question.report_ids) <= available:
            chosen.append(question)
        elif not question.answerable and extra < unanswerable:
            chosen.append(question)
            extra += 1
    return chosen
