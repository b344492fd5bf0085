"""The judgement timeline chart in a real browser (Debian's chromium via Playwright) against the real service.

The chat page asks a trend question and draws the council's timeline under the answer; the citation
viewer draws the same chart for the report's council. One mark per inspection, each a link to the
sentence that states its grade; a table behind it for screen readers. Screenshots go to
``docs/screenshots/`` (the README shows them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import REPO, index_settings, serving, watched_page
from playwright.sync_api import Browser, Page, expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]

DOCS_SHOTS = REPO / "docs" / "screenshots"


@pytest.fixture(scope="module")
def service_url(small_index: Path, embedder: Any) -> Iterator[str]:
    from indexer import open_index
    from service.answers.qa import QAService
    from service.web.app import create_app

    settings = index_settings(index=small_index)
    qa = QAService(open_index(small_index, settings), embedder, settings)
    with serving(create_app(settings, service=qa)) as url:
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with watched_page(browser, 1100, 900) as opened:
        yield opened


def test_trend_answer_draws_the_timeline_and_a_mark_opens_its_sentence(page: Page, service_url: str) -> None:
    page.goto(service_url + "/")
    box = page.get_by_role("textbox", name="Your question")
    box.fill("How has Barnet's grade changed?")
    box.press("Enter")
    answer = page.locator("article.answer").first
    expect(answer).to_have_attribute("data-state", "done", timeout=60_000)
    # The answer's labelled text is shown whole: the path of grades, then each inspection's sentence.
    expect(answer.locator(".body")).to_contain_text("inadequate (2017) → good (2019)")
    assert answer.locator(".body a.chip").count() >= 2  # each grade, and a headline after it
    chart = answer.locator("svg.timeline-chart")
    expect(chart).to_be_visible(timeout=15_000)
    marks = chart.locator("a.timeline-mark")
    expect(marks).to_have_count(2)
    assert [marks.nth(i).get_attribute("data-report") for i in range(2)] == [
        "barnet-2017-07-07",
        "barnet-2019-07-01",
    ]
    assert "inadequate" in (marks.nth(0).get_attribute("aria-label") or "")
    assert "good" in (marks.nth(1).get_attribute("aria-label") or "")
    # The table behind the chart names every graded area of both inspections, each grade a link.
    table = answer.locator("table.timeline-table")
    assert table.locator("tbody tr").count() == 2
    assert table.locator("a").count() >= 9
    DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
    answer.screenshot(path=str(DOCS_SHOTS / "timeline-widget.png"))
    href = marks.nth(1).get_attribute("href") or ""
    query = parse_qs(urlparse(href).query)
    assert query["page"] == ["1"] and "good" in query["quote"][0].lower()
    with page.context.expect_page() as opened:
        marks.nth(1).click()
    viewer = opened.value
    viewer.wait_for_load_state()
    expect(viewer.locator("blockquote#quote")).to_contain_text("Good")
    expect(viewer.locator("main")).to_have_attribute("data-matched", "1.0")
    # A list answer links its whole list as CSV.
    box.fill("Which councils were judged inadequate in 2022?")
    box.press("Enter")
    listed = page.locator("article.answer").nth(1)
    expect(listed).to_have_attribute("data-state", "done", timeout=60_000)
    csv_link = listed.get_by_role("link", name=re.compile("whole list as CSV"))
    assert "/judgements?" in (csv_link.get_attribute("href") or "") and "format=csv" in (
        csv_link.get_attribute("href") or ""
    )


def test_citation_viewer_shows_the_council_timeline(page: Page, service_url: str) -> None:
    page.goto(service_url + "/reports/barnet-2019-07-01/view?page=1&quote=Overall%20effectiveness%20Good")
    chart = page.locator("section.timeline-host svg.timeline-chart")
    expect(chart).to_be_visible(timeout=15_000)
    expect(chart.locator("a.timeline-mark")).to_have_count(2)
    page.locator("section.timeline-host summary").click()
    expect(page.locator("section.timeline-host table caption")).to_contain_text("Barnet")
    page.locator("section.timeline-host").screenshot(path=str(DOCS_SHOTS / "timeline-viewer.png"))
