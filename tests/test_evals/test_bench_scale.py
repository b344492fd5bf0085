"""``bench scale`` on the small real index: synthetic copies are unit vectors near their originals,
councils are renamed, the copies form a real generation the service answers from, and every
engine's figures come out (timings are not asserted)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from conftest import GOLD, index_settings

from evals.bench_scale import merged, plot, render, run_bench
from evals.synthetic import council_pattern, perturbed, renamed, renamed_id, write_generation
from indexer import open_index


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
    assert renamed_id("north-yorkshire-2014-06-30", 7) == "north-yorkshire-c7-2014-06-30"
    assert renamed_id("essex", 2) == "essex-c2" and renamed_id("essex-2014-03-21", 0) == "essex-2014-03-21"


def test_the_copies_are_a_generation_the_service_opens(small_index: Path, tmp_path: Path) -> None:
    real = open_index(small_index, index_settings())
    rows = real.chunk_ids_for_reports([r.report_id for r in real.reports()])
    base = real.vectors(rows)
    generation, costs = write_generation(
        real, 3, tmp_path, lambda c: perturbed(base, c, 0.3), exact_max_passages=100
    )
    copies = open_index(generation, index_settings(index=generation))  # checksums verified
    assert copies.count() == 3 * real.count() and len(copies.reports()) == 3 * len(real.reports())
    assert copies.manifest["ann"]["file"] == "index.ivf" and copies.approximate.ntotal == copies.count()
    assert costs["bytes"] > 0 and costs["ivf_s"] is not None
    essex = copies.report("essex-c2-2014-03-21")
    assert essex.local_authority == "Essex c2"
    moved = copies.chunk_ids_for_reports(["essex-c2-2014-03-21"])
    original = real.chunk_ids_for_reports(["essex-2014-03-21"])
    assert len(moved) == len(original)
    pairs = list(zip(copies.chunks(moved.tolist()), real.chunks(original.tolist()), strict=True))
    first, twin = next((a, b) for a, b in pairs if "Essex" in b.text)
    assert first.chunk_id == twin.chunk_id.replace("essex-", "essex-c2-", 1)
    councils = council_pattern([r.local_authority for r in real.reports()])
    assert first.text == renamed(twin.text, councils, 2) != twin.text and "Essex c2" in first.text
    cosine = float(copies.vectors(moved[:1])[0] @ real.vectors(original[:1])[0])
    assert 0.9 < cosine < 0.99
    assert copies.judgements("essex-c2-2014-03-21") and copies.page_text("essex-c2-2014-03-21", 2)
    hits = copies.lexical_search("Essex c1", 20)
    assert any(c.local_authority == "Essex c1" for c in copies.chunks([r for r, _ in hits]))


def test_the_benchmark_runs_on_the_small_index(small_index: Path, tmp_path: Path) -> None:
    result = run_bench(
        small_index, GOLD, factors=(1, 2), pg_factors=(), questions_limit=6, exact_max=10**9, scratch=tmp_path
    )
    first, second = result["sizes"]
    assert second["passages"] == 2 * first["passages"] == 2 * result["base_passages"]
    for row in result["sizes"]:
        assert 0.0 <= row["ivf"]["recall@10"] <= 1.0 and row["ivf"]["sweep"]
        assert row["exact"]["cpu_mean_ms"] > 0 and row["keyword"]["cpu_mean_ms"] > 0
        ask = row["ask"]
        assert ask["cpu_mean_ms"] > 0 and ask["start_s"] >= 0 and 0 <= ask["abstained"] <= 6
        assert ask["searches"]["keyword"]["calls_per_ask"] > 0  # the service's own searches, recorded
    assert second["generation"]["bytes"] > 0 and "generation" not in first  # 1x is the real index
    streamed = run_bench(
        small_index, GOLD, factors=(2,), pg_factors=(), questions_limit=6, exact_max=1, only=("exact", "ivf")
    )
    row = streamed["sizes"][0]
    assert row["exact"]["streamed"] and row["ivf"]["kind"].startswith("IVF-SQ8") and "ask" not in row
    table = render(result)
    assert table.count("\n| ") == 3  # the header and one row a size
    assert "2x against 1x (p50 CPU): exact" in table and "/ask" in table
    together = merged(result, streamed, ("exact", "ivf"))
    assert [r["factor"] for r in together["sizes"]] == [1, 2]
    grown = together["sizes"][1]
    assert grown["ivf"]["kind"].startswith("IVF-SQ8") and "ask" in grown  # the new IVF, the old /ask
    assert not grown["exact"].get("streamed")  # the first run's exact figures stay
    plot(result, tmp_path / "plot.png")
    assert (tmp_path / "plot.png").stat().st_size > 1000
