"""The ``eval`` extra: a plain install serves without matplotlib, psutil and pypdf, and the commands
that need them say how to install them.

A plain install is imitated in child processes by putting, first on their ``PYTHONPATH``, packages of
those names whose import fails exactly as a missing package's does (``ModuleNotFoundError``). Any
import of them on the serving path would then fail the request or the start-up.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from conftest import REPO, run_cli

from evals.cli import EVAL_EXTRA
from evals.reliability import ServerProcess

QUESTION = "What did Ofsted say about foster carer reviews in Southend-on-Sea?"


def without_eval_extra(folder: Path) -> dict[str, str]:
    """Environment variables under which the eval extra's packages cannot be imported."""
    for name in EVAL_EXTRA:
        package = folder / name
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text(
            f"raise ModuleNotFoundError(\"No module named '{name}' (hidden by the test)\", name={name!r})\n"
        )
    return {"PYTHONPATH": os.pathsep.join([str(folder), str(REPO)])}


@pytest.mark.parametrize(
    "command",
    [
        ["eval", "check", "--metrics", "metrics.json", "--baseline", "baseline.json"],
        ["bench", "query", "--index", "no-index"],
    ],
)
def test_eval_and_bench_name_the_missing_extra(tmp_path: Path, command: list[str]) -> None:
    done = run_cli(*command, env=without_eval_extra(tmp_path / "hidden"))
    assert done.returncode == 2, done.stderr
    assert "need matplotlib, psutil, pypdf" in done.stderr
    assert "pip install 'inspectqa[eval]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_eval_runs_its_command_when_the_extra_is_installed(tmp_path: Path) -> None:
    done = run_cli("eval", "check", "--metrics", str(tmp_path / "none.json"), "--baseline", "x.json")
    assert "inspectqa[eval]" not in done.stderr  # it got past the check to the command itself


@pytest.mark.slow
def test_the_service_answers_without_the_eval_extra(small_index: Path, tmp_path: Path) -> None:
    env = without_eval_extra(tmp_path / "hidden")
    with ServerProcess(small_index, tmp_path / "server.log", env) as server:
        server.wait_ready()
        answer = httpx.post(f"{server.url}/ask", json={"question": QUESTION}, timeout=120)
        page = httpx.get(f"{server.url}/", timeout=30)
        reports = httpx.get(f"{server.url}/reports", timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["citations"]
    assert page.status_code == 200 and reports.status_code == 200
    assert "ModuleNotFoundError" not in (tmp_path / "server.log").read_text(errors="replace")
