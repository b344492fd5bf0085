"""Labelled claim–passage pairs: load them and score a grounding checker on them.

A pairs file is JSONL, one ``{"id", "claim", "passage", "label": "supported"|"unsupported", "kind"}``
a line, optionally with ``split`` ("dev" or "fit" to fit on, "test" or "heldout" held out). The
measures are the ones a user of the service cares about: accuracy, balanced accuracy (the mean of the
recalls on supported and on unsupported claims, as LLM-AggreFact reports, so that a checker cannot
score well by saying one thing), the recall on unsupported claims (how many bad sentences the
checker catches) and the precision of "supported" (how far a green tick can be trusted).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.gold import BadGoldFile
from service.answers.grounding import GroundingChecker

LABELS = ("supported", "unsupported")
# Every kind of claim the labelled sets use, and the label it carries.
LABEL_OF_KIND = {
    "supported": "supported",
    "paraphrased": "supported",
    "unsupported_detail": "unsupported",
    "off_topic": "unsupported",
    "negation": "unsupported",
    "antonym": "unsupported",
    "wrong_number": "unsupported",
    "wrong_grade": "unsupported",
    "wrong_place": "unsupported",
    "wrong_entity": "unsupported",
}


@dataclass(frozen=True)
class Pair:
    id: str
    claim: str
    passage: str
    label: str
    kind: str
    split: str | None = None


@dataclass(frozen=True)
class PairVerdict:
    pair: Pair
    predicted: str
    score: float
    reason: str
    ms: float

    @property
    def correct(self) -> bool:
        return self.predicted == self.pair.label


def load_pairs(
    path: Path, split: str | Sequence[str] | None = None, *, allow_empty: bool = False
) -> list[Pair]:
    """Pairs of a JSONL file (only those of ``split``, one name or several, when given); errors name
    the line. A file with no pair in the splits asked for is an error unless ``allow_empty``."""
    splits = None if split is None else {split} if isinstance(split, str) else set(split)
    if not path.is_file():
        raise BadGoldFile(f"no pairs file at {path}")
    pairs: list[Pair] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            pair = Pair(
                id=str(record["id"]),
                claim=str(record["claim"]),
                passage=str(record["passage"]),
                label=str(record["label"]),
                kind=str(record.get("kind", "unknown")),
                split=record.get("split"),
            )
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise BadGoldFile(f"{path.name}:{number}: not a pair ({error})") from None
        if pair.label not in LABELS:
            raise BadGoldFile(f"{path.name}:{number}: label must be supported or unsupported")
        if splits is None or pair.split in splits:
            pairs.append(pair)
    if not pairs and not allow_empty:
        raise BadGoldFile(f"{path} holds no pairs" + (f" in split {split!r}" if split else ""))
    return pairs


def judge(checker: GroundingChecker, pairs: Iterable[Pair]) -> list[PairVerdict]:
    verdicts = []
    for pair in pairs:
        started = time.perf_counter()
        verdict = checker.check(pair.claim, pair.passage)
        ms = (time.perf_counter() - started) * 1000
        predicted = "supported" if verdict.supported else "unsupported"
        verdicts.append(PairVerdict(pair, predicted, verdict.score, verdict.reason, ms))
    return verdicts


def _measures(verdicts: list[PairVerdict]) -> dict[str, float | int | None]:
    n = len(verdicts)
    unsupported = [v for v in verdicts if v.pair.label == "unsupported"]
    supported = [v for v in verdicts if v.pair.label == "supported"]
    said_supported = [v for v in verdicts if v.predicted == "supported"]
    recalls = [sum(v.correct for v in group) / len(group) for group in (supported, unsupported) if group]
    return {
        "n": n,
        "accuracy": sum(v.correct for v in verdicts) / n if n else None,
        "balanced_accuracy": sum(recalls) / len(recalls) if recalls else None,
        "unsupported_recall": (
            sum(v.predicted == "unsupported" for v in unsupported) / len(unsupported) if unsupported else None
        ),
        "supported_precision": (
            sum(v.pair.label == "supported" for v in said_supported) / len(said_supported)
            if said_supported
            else None
        ),
    }


def summarise(verdicts: list[PairVerdict]) -> dict[str, Any]:
    """Overall and per-kind accuracy, unsupported recall and supported precision, plus speed."""
    kinds = sorted({v.pair.kind for v in verdicts})
    times = sorted(v.ms for v in verdicts)
    return {
        "overall": _measures(verdicts),
        "by_kind": {kind: _measures([v for v in verdicts if v.pair.kind == kind]) for kind in kinds},
        "ms_per_pair": {
            "mean": sum(times) / len(times) if times else None,
            "p95": times[int(0.95 * (len(times) - 1))] if times else None,
        },
    }


def verdict_record(verdict: PairVerdict) -> dict[str, object]:
    return {
        "id": verdict.pair.id,
        "kind": verdict.pair.kind,
        "split": verdict.pair.split,
        "label": verdict.pair.label,
        "predicted": verdict.predicted,
        "correct": verdict.correct,
        "score": verdict.score,
        "reason": verdict.reason,
        "claim": verdict.pair.claim,
    }


def format_summary(summary: dict[str, Any]) -> str:
    """A plain table for the terminal."""

    def cell(value: object) -> str:
        return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)

    rows = [("overall", summary["overall"])]
    rows += list(summary["by_kind"].items())
    lines = [f"{'kind':<22}{'n':>5}{'accuracy':>10}{'bal.acc':>9}{'unsup.rec':>11}{'sup.prec':>10}"]
    for name, m in rows:
        lines.append(
            f"{name:<22}{cell(m['n']):>5}{cell(m['accuracy']):>10}{cell(m['balanced_accuracy']):>9}"
            f"{cell(m['unsupported_recall']):>11}{cell(m['supported_precision']):>10}"
        )
    speed = summary["ms_per_pair"]
    lines.append(f"ms per pair: mean {cell(speed['mean'])}, p95 {cell(speed['p95'])}")
    return "\n".join(lines)
