"""Property-based fuzzing of the whole HTTP API against its own OpenAPI document (schemathesis).

Used by the test suite (zero 5xx is a test) and runnable on its own against any server on loopback.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass
from typing import Any


@dataclass
class FuzzResult:
    operations: int
    requests: int
    by_status: dict[str, int]
    server_errors: list[str]


def fuzz_api(
    base_url: str, *, max_examples: int = 25, seed: int = 20261126, headers: dict[str, str] | None = None
) -> FuzzResult:
    """Every operation of the app's own OpenAPI document, fed valid and invalid data by schemathesis.

    Deterministic (``derandomize`` with a fixed seed) and bounded (``max_examples`` per operation and
    generation mode). Returns the count of requests and every 5xx with the request that caused it.
    """
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    statuses: Counter[str] = Counter()
    server_errors: list[str] = []
    operations = 0
    for outcome in schema.get_all_operations():
        operation = outcome.ok()  # type: ignore[union-attr]  # an invalid schema raises here, loudly
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @hypothesis_seed(seed)
            @settings(
                max_examples=max_examples,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def exercise(case: Any) -> None:
                response = case.call(base_url=base_url, headers=headers, timeout=60)
                statuses[str(response.status_code)] += 1
                if response.status_code >= 500:
                    server_errors.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code}: "
                        f"{response.text[:200]}"
                    )

            # Unsatisfiable: nothing to make invalid (an operation without parameters or body).
            with contextlib.suppress(Unsatisfiable):
                exercise()
    return FuzzResult(operations, sum(statuses.values()), dict(statuses), server_errors)
