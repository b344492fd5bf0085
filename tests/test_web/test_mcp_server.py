"""The MCP server through the MCP SDK's own client, over both transports: stdio (``inspectqa mcp``
as a child process) and streamable HTTP (``/mcp`` of the real app on a real uvicorn server), with
the small real index and the real model.

Both transports get the same checks: the tools listed with descriptions and output schemas, each
tool called, the resources read, and bad arguments answered as tool errors the server survives.
Over HTTP, also the API token and the per-client rate limit.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from conftest import REPO, serving, small_service
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from test_readme_clients import readme_block

from inspectqa.settings import Settings
from service.web.app import create_app

SOUTHEND = "What did Ofsted say about foster carer reviews in Southend-on-Sea?"
TOOLS = {"ask", "search", "get_report", "judgements"}


@pytest.fixture(scope="module")
def mcp_url(small_index: Path, embedder: Any) -> Iterator[str]:
    # Off here so that a fast machine's many calls from one address never meet the burst; the limit
    # itself is tested on a server of its own below.
    settings, qa = small_service(small_index, embedder, rate_limit_per_minute=0)
    with serving(create_app(settings, service=qa)) as url:
        yield f"{url}/mcp"


def run(session: Callable[[Client], Awaitable[Any]], server: Any) -> Any:
    async def main() -> Any:
        async with Client(server, read_timeout_seconds=120) as client:
            return await session(client)

    return asyncio.run(main())


async def exercise(client: Client) -> dict[str, Any]:
    """Everything a model would do with the server, the results kept for the assertions."""
    out: dict[str, Any] = {"tools": (await client.list_tools()).tools}
    out["ask"] = await client.call_tool("ask", {"question": SOUTHEND})
    out["follow_up"] = await client.call_tool(
        "ask",
        {
            "question": "And what about in 2016?",
            "history": [
                {"role": "user", "content": "What did Southend-on-Sea's 2019 report say about foster carers?"}
            ],
        },
    )
    out["abstained"] = await client.call_tool(
        "ask", {"question": "What is the salary of the mayor of Paris?"}
    )
    out["search"] = await client.call_tool("search", {"query": "care leavers", "council": "Hull", "k": 3})
    out["report"] = await client.call_tool("get_report", {"report_id": "bexley-2018-08-20"})
    out["judgements"] = await client.call_tool(
        "judgements", {"grade": "inadequate", "area": "overall_effectiveness"}
    )
    out["latest"] = await client.call_tool("judgements", {"council": "Barnet", "latest": True})
    out["bad"] = {
        "year": await client.call_tool("ask", {"question": "care leavers", "year_from": 1800}),
        "type": await client.call_tool("search", {"query": "care leavers", "k": "many"}),
        "missing": await client.call_tool("ask", {}),
        "empty": await client.call_tool("ask", {"question": "   "}),
        "council": await client.call_tool("ask", {"question": "care leavers", "council": "Southend on See"}),
        "report": await client.call_tool("get_report", {"report_id": "nowhere-2020-01-01"}),
        "area": await client.call_tool("judgements", {"area": "happiness"}),
    }
    out["after_errors"] = (await client.list_tools()).tools
    out["resources"] = (await client.list_resources()).resources
    out["templates"] = (await client.list_resource_templates()).resource_templates
    out["reports"] = await client.read_resource("inspectqa://reports")
    out["page"] = await client.read_resource("inspectqa://reports/bexley-2018-08-20/pages/2")
    return out


def check(out: dict[str, Any]) -> None:
    tools = {tool.name: tool for tool in out["tools"]}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description and len(tool.description) > 200  # written for a model to choose by
        assert tool.output_schema and tool.annotations.read_only_hint is True
    assert {"answer", "abstained", "citations"} <= set(tools["ask"].output_schema["properties"])
    assert set(tools["ask"].input_schema["required"]) == {"question"}

    ask = out["ask"]
    assert not ask.is_error
    answer = ask.structured_content
    assert answer["abstained"] is False and "[1]" in answer["answer"]
    first = answer["citations"][0]
    assert (
        first["report_id"] == "southend-on-sea-2019-08-27" and first["local_authority"] == "Southend-on-Sea"
    )
    assert first["url"].startswith("https://files.ofsted.gov.uk/v1/file/50103322#page=")
    assert first["quote"] in answer["answer"] and first["paragraphs"] and first["section"]
    assert json.loads(ask.content[0].text) == answer  # plain clients get the same, as text

    follow_up = out["follow_up"].structured_content
    assert {c["report_id"] for c in follow_up["citations"]} == {"southend-on-sea-2016-07-07"}
    abstained = out["abstained"].structured_content
    assert abstained["abstained"] is True and abstained["citations"] == [] and abstained["nearest"]

    passages = out["search"].structured_content["passages"]
    assert len(passages) == 3 and {p["report_id"] for p in passages} == {"kingston-upon-hull-2023-01-13"}
    assert {"text", "section", "paragraphs", "pages", "url", "publication_date"} <= set(passages[0])

    report = out["report"].structured_content
    assert report["local_authority"] == "Bexley" and report["n_pages"] > 5
    grades = {j["area"]: j["grade"] for j in report["judgements"]}
    assert grades["overall_effectiveness"] == "outstanding"
    assert len(report["sections"]) >= 3 and all(s["title"] for s in report["sections"])

    rows = out["judgements"].structured_content["rows"]
    assert rows and {r["area"] for r in rows} == {"overall_effectiveness"}
    assert all(r["grade"] == "inadequate" for r in rows)
    assert "barnet-2017-07-07" in {r["report_id"] for r in rows}
    latest = out["latest"].structured_content
    assert latest["reports_in_scope"] == 1 and {r["report_id"] for r in latest["rows"]} == {
        "barnet-2019-07-01"
    }

    messages = {name: result.content[0].text for name, result in out["bad"].items()}
    assert all(result.is_error for result in out["bad"].values()), messages
    assert "year_from" in messages["year"] and "k" in messages["type"] and "question" in messages["missing"]
    assert "empty" in messages["empty"]
    assert "Southend-on-Sea" in messages["council"]  # the nearest council name is suggested
    assert "nowhere-2020-01-01" in messages["report"] and "overall_effectiveness" in messages["area"]
    assert {tool.name for tool in out["after_errors"]} == TOOLS  # the server is still there

    assert [str(r.uri) for r in out["resources"]] == ["inspectqa://reports"]
    assert {t.uri_template for t in out["templates"]} == {
        "inspectqa://reports/{report_id}",
        "inspectqa://reports/{report_id}/pages/{page}",
    }
    listed = json.loads(out["reports"].contents[0].text)
    assert len(listed) == 11 and "bexley-2018-08-20" in {r["report_id"] for r in listed}
    assert "Children in care" in out["page"].contents[0].text


def test_the_sdk_client_over_streamable_http(mcp_url: str) -> None:
    check(run(exercise, mcp_url))


@pytest.mark.slow  # starts `inspectqa mcp` as a process
def test_the_sdk_client_over_stdio(small_index: Path) -> None:
    """Started as the README's client configuration says, with this checkout's Python and index."""
    config = json.loads(readme_block("mcp-config"))["mcpServers"]["inspectqa"]
    assert config["command"].endswith("/.venv/bin/inspectqa")
    args = [str(small_index) if arg.endswith("/var/index") else arg for arg in config["args"]]
    assert args != config["args"]
    environment = {key: value for key, value in os.environ.items() if not key.startswith("INSPECTQA_")}
    environment.update(TRANSFORMERS_OFFLINE="1", **config["env"])
    server = StdioServerParameters(
        command=sys.executable, args=["-m", "inspectqa.cli", *args], env=environment, cwd=REPO
    )
    check(run(exercise, server))


def test_http_needs_the_api_token_when_set_and_takes_questions_from_the_rate_limit(
    small_index: Path, embedder: Any
) -> None:
    settings, qa = small_service(
        small_index, embedder, api_token="s3cret", rate_limit_per_minute=6, rate_limit_burst=2
    )

    async def asks(client: Client) -> list[Any]:
        listing = [await client.call_tool("get_report", {"report_id": "bexley-2018-08-20"}) for _ in range(3)]
        questions = [await client.call_tool("ask", {"question": SOUTHEND}) for _ in range(3)]
        return listing + questions

    with serving(create_app(settings, service=qa)) as url:
        refused = httpx2.post(f"{url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert refused.status_code == 401 and "token" in refused.json()["detail"]
        with pytest.raises(ExceptionGroup) as caught:  # the SDK client refused at its first request
            run(lambda client: client.list_tools(), f"{url}/mcp")
        assert caught.group_contains(MCPError)

        async def with_token() -> list[Any]:
            headers = {"Authorization": "Bearer s3cret"}
            async with (
                httpx2.AsyncClient(headers=headers, timeout=120) as http,
                Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
            ):
                return await asks(client)

        results = asyncio.run(with_token())
    assert not any(r.is_error for r in results[:3])  # reading reports takes no question
    assert [r.is_error for r in results[3:]] == [False, False, True]
    assert "Too many questions" in results[-1].content[0].text


def test_sections_come_from_the_passages_when_the_index_has_no_sections_table(small_index: Path) -> None:
    from indexer import open_index
    from service.answers.qa import sections_of

    index = open_index(small_index, Settings(index=small_index))

    class PassagesOnly:  # what any SearchIndex offers, without the embedded index's sections table
        def chunk_ids_for_reports(self, report_ids: list[str]) -> Any:
            return index.chunk_ids_for_reports(report_ids)

        def chunks(self, row_ids: list[int]) -> Any:
            return index.chunks(row_ids)

    table = [title for title, _ in sections_of(index, "bexley-2018-08-20")]
    derived = [title for title, grade in sections_of(PassagesOnly(), "bexley-2018-08-20") if grade is None]
    assert len(derived) >= 3 and set(derived) <= set(table)
    assert derived == [t for t in table if t in derived]  # in the report's order
