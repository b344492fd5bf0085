"""The pages' Content-Security-Policy in a real browser (Debian's chromium through Playwright).

The real service's pages must run their own widget under the policy with no violation, and a script
injected into the page (as a stored XSS would put it there) must not run, whether inline or as an
event-handler attribute.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import serving
from playwright.sync_api import Browser, ConsoleMessage, Page, Route

from inspectqa.settings import Settings
from service.web.app import create_app

pytestmark = [pytest.mark.slow, pytest.mark.browser]

INJECTED = (
    "<script>window.__injected = 'inline ran'</script>"
    "<img src='data:,' onerror=\"window.__handler = 'handler ran'\">"
)


@pytest.fixture(scope="module")
def service_url(small_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    uploads = tmp_path_factory.mktemp("uploads")
    settings = Settings(index=small_index, reload_poll_s=0, uploads_dir=uploads, rate_limit_per_minute=0)
    with serving(create_app(settings)) as url:
        yield url


def _violations(page: Page) -> list[str]:
    found: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            found.append(message.text)

    page.on("console", on_console)
    return found


def _inject(route: Route) -> None:
    response = route.fetch()
    body = response.text().replace("</body>", INJECTED + "</body>")
    route.fulfill(response=response, body=body)  # the service's own headers, CSP included


@pytest.mark.parametrize("path", ["/", "/demo"])
def test_the_service_pages_run_their_widget_under_the_policy(
    browser: Browser, service_url: str, path: str
) -> None:
    page = browser.new_page()
    violations = _violations(page)
    response = page.goto(service_url + path)
    assert response is not None and response.ok
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    scripts = page.evaluate("Array.from(document.scripts).map(s => s.src)")
    assert scripts and all(src.startswith(service_url) for src in scripts)
    assert page.evaluate("Array.from(document.scripts).every(s => s.src !== '')")  # nothing inline
    assert violations == []
    page.close()


@pytest.mark.parametrize("path", ["/", "/demo"])
def test_an_injected_inline_script_is_blocked(browser: Browser, service_url: str, path: str) -> None:
    page = browser.new_page()
    violations = _violations(page)
    page.route(service_url + path, _inject)
    page.goto(service_url + path)
    page.wait_for_load_state("networkidle")
    assert "inline ran" in page.content()  # the attack is in the page...
    ran: Any = page.evaluate("[window.__injected, window.__handler]")
    assert ran == [None, None]  # ...and did not run
    assert len(violations) >= 2, violations
    page.close()
