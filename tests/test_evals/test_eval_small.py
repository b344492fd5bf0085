"""The small evaluation the test command runs: the real service on the small real index, its gold
questions, and the regression gate against the committed baseline (which must be able to fail)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import GOLD, SMALL_REPORTS, reply_chat_completion
from typer.testing import CliRunner

from evals.gold import load_gold, select_for_reports
from inspectqa.cli import app
from inspectqa.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "evals" / "baselines" / "small-inspectqa.json"


@pytest.fixture(scope="module")
def small_gold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dev.jsonl questions whose reports are all in the small index, plus four unanswerable ones."""
    questions = select_for_reports(load_gold(GOLD), SMALL_REPORTS, unanswerable=4)
    chosen = {q.id for q in questions}
    assert len(chosen) >= 15 and sum(1 for q in questions if not q.answerable) == 4
    path = tmp_path_factory.mktemp("gold") / "small.jsonl"
    lines = [
        line for line in GOLD.read_text().splitlines() if line.strip() and json.loads(line)["id"] in chosen
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.slow
def test_small_evaluation_meets_the_baseline(
    small_index: Path, small_gold: Path, tmp_path: Path, embedder: object
) -> None:
    out = tmp_path / "inspectqa"
    code, output = invoke(
        "eval", "run", "--index", str(small_index), "--gold", str(small_gold), "--out", str(out),
        "--system", "inspectqa",
    )  # fmt: skip
    assert code == 0, output
    for name in ("metrics.json", "results.jsonl", "report.md", "report.html"):
        assert (out / name).stat().st_size > 0, name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_questions"] == len(small_gold.read_text().splitlines())
    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert all(r["failure"] in {"ok", "retrieval_miss", "ranking", "answer_composition", "grounding",
                                "false_abstention", "missed_abstention"} for r in results)  # fmt: skip
    code, output = invoke(
        "eval", "check", "--metrics", str(out / "metrics.json"), "--baseline", str(BASELINE)
    )
    assert code == 0, output

    # The gate fails on a real regression: BM25 with an extractive answer in place of the service.
    weaker = tmp_path / "bm25"
    code, output = invoke(
        "eval", "run", "--index", str(small_index), "--gold", str(small_gold), "--out", str(weaker),
        "--system", "bm25",
    )  # fmt: skip
    assert code == 0, output
    code, output = invoke(
        "eval", "check", "--metrics", str(weaker / "metrics.json"), "--baseline", str(BASELINE)
    )
    assert code == 1
    assert "abstention.unanswerable_abstained" in output and "answer.key_fact_recall" in output


class _ChatHandler(BaseHTTPRequestHandler):
    """A loopback OpenAI-compatible server: answers with the first full sentence of passage [1]."""

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        user = body["messages"][-1]["content"]
        found = re.search(r"\[1\][^\n]*\n<<<\n(.*?)\n>>>", user, re.S)
        text = " ".join(found.group(1).split()) if found else ""
        sentence = next((s for s in re.split(r"(?<=\.)\s+", text) if len(s.split()) >= 6), "")
        content = f"{sentence} [1]" if sentence else "NOT IN THE REPORTS"
        reply_chat_completion(self, body["model"], content)


@pytest.fixture()
def chat_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ChatHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_llm_system_is_evaluated_by_the_same_harness(
    small_index: Path, small_gold: Path, tmp_path: Path, chat_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    unconfigured = CliRunner().invoke(
        app,
        ["eval", "run", "--index", str(small_index), "--gold", str(small_gold), "--out", str(tmp_path / "x"),
         "--system", "llm", "--limit", "3"],
    )  # fmt: skip
    # not configured: the error the CLI turns into a one-line message (exit 2), not a traceback
    assert isinstance(unconfigured.exception, ConfigError) and unconfigured.exception.exit_code == 2
    assert "INSPECTQA_LLM_BASE_URL" in str(unconfigured.exception)

    monkeypatch.setenv("INSPECTQA_LLM_BASE_URL", chat_url)
    monkeypatch.setenv("INSPECTQA_LLM_MODEL", "fake-model")
    out = tmp_path / "llm"
    code, output = invoke(
        "eval", "run", "--index", str(small_index), "--gold", str(small_gold), "--out", str(out),
        "--system", "llm", "--limit", "6",
    )  # fmt: skip
    assert code == 0, output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["system"] == "llm" and metrics["n_questions"] == 6 and metrics["errors"] == 0
    assert metrics["answer"]["grounded_sentence_rate"] > 0.5
