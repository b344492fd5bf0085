"""The README's client snippets, run as written against the real app on a real uvicorn server.

The openai SDK example and the MCP client example are taken from README.md (the fenced block after
their marker comment), pointed at the test server instead of port 8000, and executed; the LibreChat
configuration is checked against the routes and model ids the service really has.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from conftest import REPO, serving

from inspectqa.settings import Settings
from service.answers.qa import QAService
from service.web.app import create_app
from service.web.openai_api import models_of

README_URL = "http://127.0.0.1:8000"


def readme_block(marker: str) -> str:
    """The fenced code block right after ``<!-- marker: ... -->`` in README.md."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- {re.escape(marker)}:[^>]*-->\n```[a-z]*\n(.*?)\n```", text, re.S)
    assert found, f"README.md has no block marked {marker!r}"
    return found.group(1)


@pytest.fixture(scope="module")
def base_url(small_index: Path, embedder: Any) -> Iterator[str]:
    from indexer import open_index

    settings = Settings(index=small_index, reload_poll_s=0)
    qa = QAService(open_index(small_index, settings), embedder, settings)
    with serving(create_app(settings, service=qa)) as url:
        yield url


def run_snippet(code: str, base_url: str) -> str:
    assert README_URL in code
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code.replace(README_URL, base_url), "README.md", "exec"), {"__name__": "readme"})
    return printed.getvalue()


def test_the_openai_example_prints_a_cited_answer_streamed_and_not(base_url: str) -> None:
    output = run_snippet(readme_block("openai-example"), base_url)
    whole, streamed = output.split("--- streamed:\n")
    assert "Annual reviews of foster carers" in whole and "[1]" in whole
    assert "Sources:\n- [1] Southend-on-Sea, 27 August 2019" in whole
    assert "https://files.ofsted.gov.uk/v1/file/50103322#page=" in whole
    answer = whole.split("\n\nSources:")[0]
    assert streamed.startswith(answer) and "Sources:\n- [1]" in streamed


def test_the_mcp_example_prints_the_tools_and_the_answers_citations(base_url: str) -> None:
    output = run_snippet(readme_block("mcp-example"), base_url)
    assert output.splitlines()[0] == "['ask', 'search', 'get_report', 'judgements']"
    first = "[1] southend-on-sea-2019-08-27, page 6, https://files.ofsted.gov.uk/v1/file/50103322#page=6"
    assert first in output
    assert "Annual reviews of foster carers" in output


def test_the_librechat_configuration_matches_the_service() -> None:
    endpoint = yaml.safe_load(readme_block("librechat-config"))["endpoints"]["custom"][0]
    assert urlparse(endpoint["baseURL"]).path == "/v1"
    assert set(endpoint["models"]["default"]) <= set(models_of(Settings()))
    assert endpoint["apiKey"] == "${INSPECTQA_API_TOKEN}" and "api_token" in Settings.model_fields
