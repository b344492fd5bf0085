"""The regression gate: did any metric drop more than a tolerance below its committed baseline?

A baseline is a ``metrics.json`` (or any subset of it). Every number of the baseline is compared
with the same key of the new metrics; higher is better except for the rates where lower is better
(``answerable_abstained``). Latency, counts and timings are not gated: they depend on the machine.
A metric the baseline names but the new run lacks is a failure too (a renamed metric must not
silently pass).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.gold import BadGoldFile
from evals.metrics import flatten

LOWER_IS_BETTER = ("answerable_abstained",)
NOT_GATED = ("latency_ms", "failures", "n_questions", "seconds", "errors", "k")


@dataclass(frozen=True)
class Drop:
    metric: str
    baseline: float
    current: float | None

    def __str__(self) -> str:
        if self.current is None:
            return f"{self.metric}: missing (baseline {self.baseline:.3f})"
        return f"{self.metric}: {self.current:.3f} < baseline {self.baseline:.3f}"


def _gated(name: str) -> bool:
    return not any(part in NOT_GATED for part in name.split("."))


def compare_metrics(current: dict[str, Any], baseline: dict[str, Any], tolerance: float = 0.05) -> list[Drop]:
    """Each gated baseline metric that the current run lost by more than ``tolerance`` (absolute)."""
    now, then = flatten(current), flatten(baseline)
    drops = []
    for name, before in sorted(then.items()):
        if not _gated(name):
            continue
        after = now.get(name)
        if after is None:
            drops.append(Drop(name, before, None))
            continue
        worse = after - before if name.rsplit(".", 1)[-1] in LOWER_IS_BETTER else before - after
        if worse > tolerance + 1e-9:
            drops.append(Drop(name, before, after))
    return drops


def load_metrics(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise BadGoldFile(f"no metrics file at {path}") from None
    except json.JSONDecodeError as error:
        raise BadGoldFile(f"{path} is not JSON ({error.msg})") from None
    if not isinstance(data, dict):
        raise BadGoldFile(f"{path} is not a metrics object")
    return data


BASELINE_GROUPS = ("retrieval", "answer", "abstention")


def baseline_from(metrics: dict[str, Any]) -> dict[str, Any]:
    """What a committed baseline keeps of a run: the overall metric groups, not the per-type ones
    (a type with one or two questions on a small index would swing the gate) nor machine timings."""
    kept = {group: metrics[group] for group in BASELINE_GROUPS if group in metrics}
    return {"system": metrics.get("system"), "n_questions": metrics.get("n_questions"), **kept}
