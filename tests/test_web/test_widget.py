"""The chat widget and citation viewer in a real browser against the real service.

A real uvicorn server on loopback serves ``create_app`` over the small real index; Debian's chromium
(driven by Playwright, never a downloaded browser) loads the demo page, which embeds the widget with
its one script tag. Where a test needs an answer the index would never give (HTML inside a passage, a
server error, a stalled stream) it intercepts that one browser request with ``page.route``; the
product has no test-only routes. Screenshots land in ``artifacts/screenshots/``.
"""

from __future__ import annotations

import html.parser
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import uvicorn
from conftest import REPO, index_settings, watched_page
from playwright.sync_api import Browser, Page, Route, expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SHOTS = REPO / "artifacts" / "screenshots"
WIDGET_JS = REPO / "service" / "web" / "static" / "widget.js"
SOUTHEND_QUESTION = "What did Ofsted say about foster carer reviews in Southend-on-Sea?"
OFF_TOPIC = "What is the best recipe for a lemon drizzle cake?"


# ------------------------------------------------------------------------------------------ servers
def _listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class _Uvicorn:
    """An ASGI app served by uvicorn on a loopback socket, in a thread."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        self.sock = sock
        self.port = sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)

    def __enter__(self) -> _Uvicorn:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.sock.close()


def _third_party_app(service_url: str) -> Any:
    """Another origin's page that embeds the widget from the service, as a customer's site would."""
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    page = (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Partner site</title>"
        '<link rel="icon" href="data:,"></head><body><h1>A partner\'s page</h1>'
        f'<script src="{service_url}/widget.js" data-endpoint="{service_url}" async></script>'
        "</body></html>"
    )
    app = FastAPI()
    app.get("/", response_class=HTMLResponse)(lambda: page)
    return app


@pytest.fixture(scope="module")
def sites(small_index: Path, embedder: Any) -> Iterator[dict[str, str]]:
    """The real service, an allowed third-party origin and a disallowed one, all on loopback."""
    from indexer import open_index
    from service.answers.qa import QAService
    from service.web.app import create_app

    service_sock, allowed_sock, denied_sock = _listening_socket(), _listening_socket(), _listening_socket()
    service_url = f"http://127.0.0.1:{service_sock.getsockname()[1]}"
    allowed = f"http://127.0.0.1:{allowed_sock.getsockname()[1]}"
    settings = index_settings(index=small_index, cors_origins=[allowed])
    qa = QAService(open_index(small_index, settings), embedder, settings)
    with (
        _Uvicorn(create_app(settings, service=qa), service_sock),
        _Uvicorn(_third_party_app(service_url), allowed_sock),
        _Uvicorn(_third_party_app(service_url), denied_sock) as denied,
    ):
        yield {"service": service_url, "allowed": allowed, "denied": f"http://127.0.0.1:{denied.port}"}


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with watched_page(browser, 1280, 860) as opened:
        yield opened


# ------------------------------------------------------------------------------------------ helpers
def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Ask the reports").click()
    expect(page.get_by_role("textbox", name="Your question")).to_be_focused()


def ask(page: Page, question: str, *, expect_state: str = "done|abstained") -> Any:
    """Type a question, send it with Enter, wait until its answer settles; returns the answer."""
    before = page.locator("article.answer").count()
    box = page.get_by_role("textbox", name="Your question")
    box.fill(question)
    box.press("Enter")
    answer = page.locator("article.answer").nth(before)
    expect(answer).to_have_attribute("data-state", re.compile(f"^({expect_state})$"), timeout=30_000)
    return answer


def sse(events: list[tuple[str, dict[str, Any]]]) -> str:
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)


# ------------------------------------------------------------------------------------------ tests
def test_widget_script_is_small_and_never_writes_html() -> None:
    source = WIDGET_JS.read_text()
    assert len(source.encode()) < 50_000
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in source, sink


class _Scripts(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
            self._in_script = True
        if tag == "style" or any(name == "style" or name.startswith("on") for name, _ in attrs):
            self.inline.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(data)


def test_pages_load_the_widget_by_src_only_and_the_demo_uses_the_one_tag(sites: dict[str, str]) -> None:
    base = sites["service"]
    for path in ("/", "/demo"):
        response = httpx.get(base + path)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        parsed = _Scripts()
        parsed.feed(response.text)
        assert parsed.inline == [], f"{path} has inline script or style"
        assert len(parsed.scripts) == 1 and parsed.scripts[0]["src"] is not None
        assert parsed.scripts[0]["src"].endswith("/widget.js") and "async" in parsed.scripts[0]
    demo = _Scripts()
    demo.feed(httpx.get(base + "/demo").text)
    assert demo.scripts[0] == {"src": f"{base}/widget.js", "data-endpoint": base, "async": None}
    script = httpx.get(base + "/widget.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert len(script.content) < 50_000
    assert httpx.get(base + "/static/viewer.css").headers["content-type"].startswith("text/css")
    for bad in ("/static/index.html", "/static/..%2Fapp.py", "/static/nope.css"):
        assert httpx.get(base + bad).status_code == 404, bad


def test_viewer_page_escapes_the_quote_and_serves_the_page_image(sites: dict[str, str]) -> None:
    base = sites["service"]
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    page = httpx.get(f"{base}/reports/southend-on-sea-2019-08-27/view", params={"page": 6, "quote": hostile})
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "https://files.ofsted.gov.uk/v1/file/50103322#page=6" in page.text
    image = httpx.get(f"{base}/reports/southend-on-sea-2019-08-27/pages/6.png", params={"width": 600})
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    again = httpx.get(
        f"{base}/reports/southend-on-sea-2019-08-27/pages/6.png",
        params={"width": 600},
        headers={"If-None-Match": image.headers["etag"]},
    )
    assert again.status_code == 304
    assert (
        httpx.get(f"{base}/reports/southend-on-sea-2019-08-27/view", params={"page": 99}).status_code == 404
    )
    assert httpx.get(f"{base}/reports/no-such-report/view", params={"page": 1}).status_code == 404
    assert httpx.get(f"{base}/reports/southend-on-sea-2019-08-27/pages/0.png").status_code == 422


def test_demo_embeds_the_widget_isolated_from_the_host_styles(page: Page, sites: dict[str, str]) -> None:
    page.goto(sites["service"] + "/demo")
    launcher = page.get_by_role("button", name="Ask the reports")
    expect(launcher).to_be_visible()
    style = launcher.evaluate(
        "b => { const s = getComputedStyle(b); return [s.backgroundColor, s.fontFamily, s.borderStyle]; }"
    )
    host_button = page.locator("button.host-button").evaluate("b => getComputedStyle(b).backgroundColor")
    assert host_button == "rgb(255, 0, 255)"
    assert style[0] != host_button and "Georgia" not in style[1] and style[2] != "dashed"
    # The widget adds one host element and leaks no styles into the page.
    assert page.evaluate("document.querySelectorAll('style, link[rel=stylesheet]').length") == 1
    assert page.evaluate("document.querySelectorAll('[data-inspectqa]').length") == 1


def test_southend_question_streams_a_cited_answer_and_a_chip_opens_the_highlighted_page(
    page: Page, sites: dict[str, str]
) -> None:
    seen: list[str] = []
    page.on(
        "response",
        lambda r: seen.append(r.headers.get("content-type", "")) if "/ask/stream" in r.url else None,
    )
    open_widget(page, sites["service"] + "/demo")
    answer = ask(page, SOUTHEND_QUESTION, expect_state="done")
    assert seen and seen[0].startswith("text/event-stream")
    # Screen readers hear the answer as it streams (a polite live log) and a summary when it ends.
    log = page.get_by_role("log")
    assert log.get_attribute("aria-live") == "polite"
    expect(log.locator("article.answer")).to_have_count(1)
    expect(page.get_by_role("status").filter(has_text="Answer complete")).to_have_count(1)
    assert answer.locator(".sentence").count() >= 1
    chips = answer.locator(".body a.chip[href]")
    assert chips.count() >= 1
    sources = answer.locator(".sources li")
    assert sources.count() >= 1
    text = answer.locator(".sources").inner_text()
    assert "Southend-on-Sea" in text and "page" in text
    # The paragraph on annual reviews of foster carers is among the sources; its quote expands in place.
    quotes = [sources.nth(i).locator("blockquote").text_content() or "" for i in range(sources.count())]
    target = next(i for i, q in enumerate(quotes) if "review" in q.lower() and "foster" in q.lower())
    toggle = sources.nth(target).get_by_role("button", name="Show quote")
    toggle.click()
    expect(sources.nth(target).locator("blockquote")).to_be_visible()
    expect(sources.nth(target).get_by_role("button", name="Hide quote")).to_have_attribute(
        "aria-expanded", "true"
    )
    shot(page, "answer")
    page.get_by_role("log").evaluate("log => { log.scrollTop = 0; }")
    page.get_by_role("dialog").screenshot(path=str(SHOTS / "answer-panel.png"))

    chip = answer.locator(f".body a.chip[data-n='{target + 1}']").first
    if chip.count() == 0:
        chip = sources.nth(target).locator("a.chip")
    href = chip.get_attribute("href") or ""
    cited_page = int(parse_qs(urlparse(href).query)["page"][0])
    with page.context.expect_page() as opened:
        chip.click()
    viewer = opened.value
    viewer.wait_for_load_state("load")
    main = viewer.locator("main")
    assert viewer.locator("rect.highlight").count() >= 1
    assert int(main.get_attribute("data-page") or 0) == cited_page
    assert float(main.get_attribute("data-matched") or 0) == 1.0
    expect(viewer.locator("#page-number")).to_have_text(str(cited_page))
    expect(viewer.locator("blockquote")).to_have_text(quotes[target])
    original = viewer.get_by_role("link", name=re.compile("original PDF"))
    assert (original.get_attribute("href") or "").endswith(f"#page={cited_page}")
    assert viewer.evaluate("document.querySelector('svg image').getBBox().width") > 0
    # The page opens scrolled to the highlight; the screenshot shows the heading and quote above it too.
    assert viewer.evaluate("window.scrollY") > 0
    viewer.set_viewport_size({"width": 1000, "height": 1000})
    viewer.evaluate("window.scrollTo(0, 0)")
    shot(viewer, "citation-viewer")


def test_off_topic_question_shows_the_abstention_state(page: Page, sites: dict[str, str]) -> None:
    open_widget(page, sites["service"] + "/demo")
    answer = ask(page, OFF_TOPIC, expect_state="abstained")
    expect(answer.locator(".verdict")).to_have_text("The reports don't say")
    assert "abstained" in (answer.get_attribute("class") or "")
    assert answer.locator(".sources h3").text_content() == "Nearest passages"
    assert answer.locator(".sources li").count() >= 1
    background = answer.evaluate("a => getComputedStyle(a).backgroundColor")
    normal = ask(page, SOUTHEND_QUESTION, expect_state="done")
    assert normal.evaluate("a => getComputedStyle(a).backgroundColor") != background
    answer.scroll_into_view_if_needed()
    shot(page, "abstention")


def test_follow_up_carries_the_conversation_and_keeps_the_local_authority(
    page: Page, sites: dict[str, str]
) -> None:
    bodies: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: bodies.append(json.loads(r.post_data or "{}")) if "/ask/stream" in r.url else None,
    )
    open_widget(page, sites["service"] + "/demo")
    ask(page, SOUTHEND_QUESTION, expect_state="done")
    follow_up = ask(page, "And what did they say about care leavers?", expect_state="done")
    assert len(bodies) == 2 and bodies[0]["history"] == []
    history = bodies[1]["history"]
    assert [turn["role"] for turn in history] == ["user", "assistant"]
    assert history[0]["content"] == SOUTHEND_QUESTION and history[1]["content"]
    authorities = follow_up.locator(".sources li strong").all_text_contents()
    assert authorities and set(authorities) == {"Southend-on-Sea"}


def test_keyboard_only_open_ask_move_through_citations_and_escape(page: Page, sites: dict[str, str]) -> None:
    page.goto(sites["service"] + "/demo")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.shadowRoot?.activeElement?.className") == "launcher":
            break
    else:
        pytest.fail("the launcher is not reachable with Tab")
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name="Your question")
    expect(box).to_be_focused()
    page.keyboard.type(SOUTHEND_QUESTION)
    page.keyboard.press("Enter")
    answer = page.locator("article.answer").first
    expect(answer).to_have_attribute("data-state", "done", timeout=30_000)
    # Shift+Tab from the question box walks back through the answer's links to its first citation chip.
    labels = []
    for _ in range(60):
        page.keyboard.press("Shift+Tab")
        label = page.evaluate(
            "document.activeElement.shadowRoot.activeElement.getAttribute('aria-label') || ''"
        )
        labels.append(label)
        if re.match(r"Source 1: ", label):
            break
    assert any(re.match(r"Source \d+: .+, page \d+", label) for label in labels), labels
    with page.context.expect_page() as opened:
        page.keyboard.press("Enter")
    assert "/view?page=" in opened.value.url
    opened.value.close()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    launcher = page.get_by_role("button", name="Ask the reports")
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")


def test_filters_pick_a_local_authority_by_type_ahead_and_a_year_range(
    page: Page, sites: dict[str, str]
) -> None:
    bodies: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: bodies.append(json.loads(r.post_data or "{}")) if "/ask/stream" in r.url else None,
    )
    open_widget(page, sites["service"] + "/demo")
    page.get_by_role("button", name="Filters").click()
    combo = page.get_by_role("combobox", name="Local authority")
    expect(combo).to_be_focused()
    combo.type("south")
    expect(page.get_by_role("option").first).to_have_text("Southend-on-Sea")
    combo.press("Enter")
    expect(page.get_by_role("button", name="Remove Southend-on-Sea")).to_be_visible()
    page.get_by_label("From year").fill("2019")
    page.get_by_label("To year").fill("2019")
    answer = ask(page, "What did inspectors say about foster carer reviews?", expect_state="done")
    assert bodies[-1]["filters"] == {
        "local_authority": ["Southend-on-Sea"],
        "year_from": 2019,
        "year_to": 2019,
    }
    dates = answer.locator(".sources .meta").all_text_contents()
    assert dates and all("Southend-on-Sea" in d and "2019" in d for d in dates)


def test_html_in_a_passage_is_shown_as_text(page: Page, sites: dict[str, str]) -> None:
    payload = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    citation = {
        "n": 1,
        "report_id": "southend-on-sea-2019-08-27",
        "local_authority": "Southend-on-Sea <b>bold</b>",
        "publication_date": "2019-08-27",
        "section": "Help <i>and</i> protection",
        "paragraphs": ["25"],
        "page": 6,
        "quote": f"Annual reviews {payload} were late.",
        "url": "javascript:alert(3)",
        "chunk_id": "c1",
    }
    sentence = f"Reviews were late {payload} [1]."
    body = sse(
        [
            (
                "meta",
                {
                    "reports": ["southend-on-sea-2019-08-27"],
                    "local_authorities": ["Southend-on-Sea"],
                    "abstained": False,
                },
            ),
            ("sentence", {"text": sentence, "citations": [1]}),
            ("citations", {"citations": [citation]}),
            (
                "done",
                {
                    "answer": sentence,
                    "abstained": False,
                    "citations": [citation],
                    "passages": [],
                    "notes": [payload],
                },
            ),
        ]
    )
    page.route(
        "**/ask/stream",
        lambda route: route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body=body),
    )
    open_widget(page, sites["service"] + "/demo")
    answer = ask(page, "Anything", expect_state="done")
    answer.get_by_role("button", name="Show quote").click()
    assert payload in (answer.locator(".body").text_content() or "")
    assert payload in (answer.locator("blockquote").text_content() or "")
    assert "<b>bold</b>" in (answer.locator(".sources strong").text_content() or "")
    assert payload in (answer.locator(".notes").text_content() or "")
    assert answer.locator("img, script, b, i").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert answer.get_by_role("link", name="Ofsted PDF").count() == 0  # a javascript: URL is never linked


def test_stream_parsing_follows_the_sse_rules(page: Page, sites: dict[str, str]) -> None:
    """CRLF line ends, comments (keep-alives), a field without a space and an unknown event."""
    citation = {
        "n": 1,
        "report_id": "southend-on-sea-2019-08-27",
        "local_authority": "Southend-on-Sea",
        "publication_date": "2019-08-27",
        "section": "Children in care",
        "paragraphs": ["25"],
        "page": 6,
        "quote": "Annual reviews of foster carers have not all been completed in time.",
        "url": "https://files.ofsted.gov.uk/v1/file/50103322#page=6",
        "chunk_id": "c1",
    }
    done = {"answer": "Reviews were late [1].", "abstained": False, "citations": [citation], "passages": []}
    body = "\r\n".join(
        [
            ": keep-alive",
            "",
            "event: meta",
            'data:{"reports":[],"local_authorities":["Southend-on-Sea"],"abstained":false}',
            "",
            "event: progress",
            'data: {"stage": "retrieval"}',
            "",
            "event: sentence",
            'data: {"text": "Reviews were late [1].", "citations": [1]}',
            "",
            "event: citations",
            f"data: {json.dumps({'citations': [citation]})}",
            "",
            "event: done",
            f"data: {json.dumps(done)}",
            "",
            "",
        ]
    )
    page.route(
        "**/ask/stream",
        lambda route: route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body=body),
    )
    open_widget(page, sites["service"] + "/demo")
    answer = ask(page, "Anything", expect_state="done")
    expect(answer.locator(".body")).to_have_text("Reviews were late 1.")
    chip = answer.locator(".body a.chip")
    assert "/reports/southend-on-sea-2019-08-27/view?page=6&quote=Annual" in (
        chip.get_attribute("href") or ""
    )
    # A stream that ends before its done event is an error with a retry, not a silent half answer.
    page.unroute("**/ask/stream")
    cut = body.split("event: citations")[0]
    page.route(
        "**/ask/stream",
        lambda route: route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body=cut),
    )
    broken = ask(page, "Again", expect_state="error")
    expect(broken.get_by_role("alert")).to_contain_text("cut off")
    expect(broken.get_by_role("button", name="Retry")).to_be_visible()


def test_server_and_network_errors_show_a_retry_that_works(page: Page, sites: dict[str, str]) -> None:
    page.route(
        "**/ask/stream",
        lambda route: route.fulfill(
            status=500, content_type="application/json", body=json.dumps({"detail": "the index is on fire"})
        ),
    )
    open_widget(page, sites["service"] + "/demo")
    failed = ask(page, SOUTHEND_QUESTION, expect_state="error")
    expect(failed.get_by_role("alert")).to_contain_text("the index is on fire")
    retry = failed.get_by_role("button", name="Retry")
    expect(retry).to_be_visible()
    expect(page.get_by_role("button", name="Send")).to_be_visible()  # never a frozen panel
    shot(page, "server-error")
    page.unroute("**/ask/stream")
    page.route("**/ask/stream", lambda route: route.abort("connectionrefused"))
    retry.click()
    expect(failed).to_have_attribute("data-state", "error")
    expect(failed.get_by_role("alert")).to_contain_text("Could not reach the service")
    page.unroute("**/ask/stream")
    failed.get_by_role("button", name="Retry").click()
    expect(failed).to_have_attribute("data-state", "done", timeout=30_000)
    assert failed.locator(".sources li").count() >= 1
    # A refused question (4xx) says why and gives the text back to edit, without a pointless retry.
    refused = ask(page, "   x" * 600, expect_state="error")
    assert refused.get_by_role("button", name="Retry").count() == 0
    expect(refused.get_by_role("alert")).not_to_be_empty()


def test_stop_cancels_a_stream_and_the_panel_stays_usable(page: Page, sites: dict[str, str]) -> None:
    stalled: list[Route] = []
    page.route("**/ask/stream", lambda route: stalled.append(route))
    open_widget(page, sites["service"] + "/demo")
    page.get_by_role("textbox", name="Your question").fill(SOUTHEND_QUESTION)
    page.keyboard.press("Enter")
    stop = page.get_by_role("button", name="Stop the answer")
    expect(stop).to_be_visible()
    stop.click()
    answer = page.locator("article.answer").first
    expect(answer).to_have_attribute("data-state", "stopped")
    expect(answer.get_by_role("button", name="Ask again")).to_be_visible()
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    page.unroute("**/ask/stream")
    answer.get_by_role("button", name="Ask again").click()
    expect(answer).to_have_attribute("data-state", "done", timeout=30_000)


def test_readable_at_360px_and_follows_the_dark_preference(browser: Browser, sites: dict[str, str]) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, color_scheme="dark", is_mobile=True)
    page = context.new_page()
    try:
        open_widget(page, sites["service"] + "/demo")
        answer = ask(page, SOUTHEND_QUESTION, expect_state="done")
        panel = page.get_by_role("dialog")
        box = panel.bounding_box()
        assert box is not None and box["x"] >= 0 and box["width"] <= 360
        assert page.locator(".log").evaluate("l => l.scrollWidth <= l.clientWidth")
        assert answer.bounding_box()["width"] <= 360  # type: ignore[index]
        background = panel.evaluate("p => getComputedStyle(p).backgroundColor")
        channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
        assert sum(channels) < 3 * 80, background  # dark
        shot(page, "mobile-360")
    finally:
        context.close()


def test_home_page_is_the_full_page_chat(page: Page, sites: dict[str, str]) -> None:
    page.goto(sites["service"] + "/")
    expect(page.get_by_role("region", name="Ask the Ofsted reports")).to_be_visible()
    assert page.get_by_role("button", name="Ask the reports").count() == 0
    answer = ask(page, SOUTHEND_QUESTION, expect_state="done")
    assert answer.locator(".sources li").count() >= 1
    page.keyboard.press("Escape")  # nothing to close on the home page
    expect(page.get_by_role("region", name="Ask the Ofsted reports")).to_be_visible()
    shot(page, "home")


def test_cross_origin_embedding_works_only_from_allowed_origins(page: Page, sites: dict[str, str]) -> None:
    open_widget(page, sites["allowed"] + "/")
    answer = ask(page, SOUTHEND_QUESTION, expect_state="done")
    assert answer.locator(".sources li").count() >= 1
    open_widget(page, sites["denied"] + "/")
    refused = ask(page, SOUTHEND_QUESTION, expect_state="error")
    expect(refused.get_by_role("button", name="Retry")).to_be_visible()
