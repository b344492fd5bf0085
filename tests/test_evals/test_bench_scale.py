"""``bench scale`` on the small real index: synthetic copies are unit vectors near their originals,
councils are renamed, and every engine's figures come out (timings are not asserted)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from conftest import GOLD

from evals.bench_scale import perturbed, plot, renamed, render, run_bench


def test_copies_are_near_but_not_the_same() -> None:
    base = np.random.default_rng(0).standard_normal((50, 384)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    assert perturbed(base, 0, 0.3) is base
    moved = perturbed(base, 3, 0.3)
    assert np.allclose(np.linalg.norm(moved, axis=1), 1.0, atol=1e-5)
    cosine = np.sum(base * moved, axis=1)
    assert cosine.min() > 0.9 and cosine.max() < 0.99
    assert not np.array_equal(perturbed(base, 3, 0.3), perturbed(base, 4, 0.3))
    councils = re.compile("Essex|Durham")
    assert renamed("Essex and Durham", councils, 2) == "Essex c2 and Durham c2"


def test_the_benchmark_runs_on_the_small_index(small_index: Path, tmp_path: Path) -> None:
    result = run_bench(small_index, GOLD, factors=(1, 2), pg_factors=(), questions_limit=12, exact_max=10**9)
    first, second = result["sizes"]
    assert second["passages"] == 2 * first["passages"] == 2 * result["base_passages"]
    for row in result["sizes"]:
        assert 0.0 <= row["ivf"]["recall@10"] <= 1.0 and row["ivf"]["sweep"]
        assert row["exact"]["cpu_mean_ms"] > 0 and row["keyword"]["cpu_mean_ms"] > 0
    streamed = run_bench(small_index, GOLD, factors=(2,), pg_factors=(), questions_limit=12, exact_max=1)
    assert streamed["sizes"][0]["exact"]["streamed"] and streamed["sizes"][0]["ivf"]["kind"].startswith(
        "IVF-SQ8"
    )
    table = render(result)
    assert table.count("\n| ") == 3  # the header and one row a size
    plot(result, tmp_path / "plot.png")
    assert (tmp_path / "plot.png").stat().st_size > 1000
