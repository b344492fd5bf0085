"""The web front of the service: the chat page, the embeddable widget, and the citation viewer.

``GET /`` is the full-page chat, ``GET /demo`` a third-party-looking page that embeds the widget with
its one script tag, ``GET /widget.js`` the widget itself. ``GET /reports/{id}/view`` shows a cited page
rendered from the PDF with the quoted sentence highlighted (``service.web.viewer`` finds the boxes) and
``GET /reports/{id}/pages/{n}.png`` serves the rendered page.

Every page is built without inline script or style, so the service's Content-Security-Policy can
forbid both; report text is HTML-escaped here and only ever set as text by the widget.
"""

from __future__ import annotations

import html
import re
from importlib import resources
from pathlib import Path as FilePath
from typing import Annotated
from urllib.parse import quote as url_quote
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from inspectqa.errors import NotFound
from inspectqa.settings import Settings
from service.web import viewer
from service.web.deps import QADep

router = APIRouter(tags=["web"])


def install_widget(app: FastAPI, settings: Settings) -> None:
    """Add the chat page, the widget, its demo and the citation viewer to the service."""
    app.include_router(router)


STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*\.(html|css|js|svg|png)$")
MEDIA_TYPES = {
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
}
# Pages change with the code, not per request: a short cache keeps a redeploy visible within minutes.
SHORT_CACHE = "public, max-age=300"
MAX_QUOTE = 2000


def _static(name: str) -> bytes:
    resource = resources.files("service.web").joinpath("static", name)
    if not STATIC_NAME.match(name) or not resource.is_file():
        raise NotFound(f"no static file {name!r}")
    return resource.read_bytes()


def _html(body: bytes | str) -> HTMLResponse:
    return HTMLResponse(body, headers={"Cache-Control": "no-cache"})


@router.get("/", response_class=HTMLResponse, operation_id="chat_page", summary="The full-page chat")
def chat_page() -> HTMLResponse:
    return _html(_static("index.html"))


@router.get(
    "/demo", response_class=HTMLResponse, operation_id="demo_page", summary="A page embedding the widget"
)
def demo_page(request: Request) -> HTMLResponse:
    # The demo shows the real embed tag, pointing at wherever this service is reached.
    endpoint = html.escape(str(request.base_url).rstrip("/"), quote=True)
    return _html(_static("demo.html").decode().replace("{{ENDPOINT}}", endpoint))


@router.get("/widget.js", operation_id="widget_script", summary="The embeddable chat widget")
def widget_script() -> Response:
    return Response(
        _static("widget.js"),
        media_type=MEDIA_TYPES["js"],
        headers={"Cache-Control": SHORT_CACHE, "Cross-Origin-Resource-Policy": "cross-origin"},
    )


@router.get("/static/{name}", operation_id="static_file", summary="Style sheets of the web pages")
def static_file(name: Annotated[str, Path(max_length=80)]) -> Response:
    suffix = name.rsplit(".", 1)[-1]
    if suffix not in MEDIA_TYPES:
        raise NotFound(f"no static file {name!r}")
    body = _static(name)
    return Response(
        body, media_type=MEDIA_TYPES[name.rsplit(".", 1)[1]], headers={"Cache-Control": SHORT_CACHE}
    )


@router.get(
    "/reports/{report_id}/pages/{n}.png",
    operation_id="page_image",
    summary="One page of a report, rendered as PNG",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def page_image(
    report_id: str,
    n: Annotated[int, Path(ge=1, le=10_000)],
    qa: QADep,
    request: Request,
    width: Annotated[int, Query(ge=200, le=viewer.MAX_WIDTH)] = viewer.DEFAULT_WIDTH,
) -> Response:
    meta = qa.report(report_id)
    etag = f'"{meta.content_hash[:20]}-{n}-{width}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=86400"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    image = viewer.render_page(_pdf_path(meta.file), n, width=width)
    return Response(image.png, media_type="image/png", headers=headers)


@router.get(
    "/reports/{report_id}/view",
    response_class=HTMLResponse,
    operation_id="view_citation",
    summary="A cited page with the quoted sentence highlighted",
)
def view_citation(
    report_id: str,
    qa: QADep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    quote: Annotated[str, Query(max_length=MAX_QUOTE)] = "",
) -> HTMLResponse:
    meta = qa.report(report_id)
    pdf = _pdf_path(meta.file)
    pages = viewer.page_count(pdf)
    if page > pages:
        raise NotFound(f"{report_id} has no page {page}", hint=f"it has pages 1 to {pages}")
    highlight = viewer.locate_quote(pdf, page, quote) if quote.strip() else viewer.find_quote(pdf, page, "")
    return _html(
        render_view(
            report_id=report_id,
            local_authority=meta.local_authority,
            publication_date=meta.publication_date,
            source_url=meta.source_url,
            pages=pages,
            asked_page=page,
            quote=quote,
            highlight=highlight,
        )
    )


def _pdf_path(file: str) -> FilePath:
    return FilePath(file)


MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _first_id(position: int) -> str:
    # The widget links to ``#highlight`` so the browser scrolls to the first highlighted line.
    return ' id="highlight"' if position == 0 else ""


def _long_date(iso: str | None) -> str:
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})", iso or "")
    if not match:
        return "date unknown"
    return f"{int(match[3])} {MONTHS[int(match[2]) - 1]} {match[1]}"


def _view_href(report_id: str, page: int, quote: str = "") -> str:
    query = {"page": str(page)} | ({"quote": quote} if quote else {})
    return f"/reports/{url_quote(report_id, safe='')}/view?{urlencode(query)}"


def render_view(
    *,
    report_id: str,
    local_authority: str,
    publication_date: str | None,
    source_url: str | None,
    pages: int,
    asked_page: int,
    quote: str,
    highlight: viewer.Highlight,
) -> str:
    """The viewer page: every value from the index or the request is escaped."""
    e = html.escape
    shown = highlight.page
    width = viewer.DEFAULT_WIDTH
    height = round(width * highlight.aspect)
    rid = url_quote(report_id, safe="")
    image_href = f"/reports/{rid}/pages/{shown}.png"
    base = source_url if source_url and source_url.startswith(("https://", "http://")) else None
    original = f"{base}#page={shown}" if base else f"/reports/{rid}/pdf#page={shown}"
    title = f"{local_authority} — Ofsted inspection report, {_long_date(publication_date)}"
    rects = "".join(
        f'<rect class="highlight"{_first_id(i)} x="{box.left * width:.1f}" '
        f'y="{box.top * height:.1f}" width="{box.width * width:.1f}" height="{box.height * height:.1f}" '
        f'rx="3"></rect>'
        for i, box in enumerate(highlight.boxes)
    )
    if not quote.strip():
        match_note = ""
    elif highlight.found and highlight.matched >= 0.999:
        match_note = "The quoted sentence is highlighted on this page."
    elif highlight.found:
        match_note = (
            f"Part of the quote ({highlight.matched:.0%}) is highlighted on this page; "
            "it may continue on the next."
        )
    else:
        match_note = "The quote could not be located on this page; the cited page is shown."
    if shown != asked_page and highlight.found:
        match_note += f" (Cited as page {asked_page}; the sentence is on page {shown}.)"
    nav = [
        f'<a href="{e(original, quote=True)}" rel="noopener">Open Ofsted\'s original PDF at page {shown}</a>'
    ]
    if shown > 1:
        nav.append(f'<a href="{e(_view_href(report_id, shown - 1), quote=True)}">← Page {shown - 1}</a>')
    if shown < pages:
        nav.append(f'<a href="{e(_view_href(report_id, shown + 1), quote=True)}">Page {shown + 1} →</a>')
    label_suffix = ", with the quoted sentence highlighted" if rects else ""
    quote_block = f'<blockquote id="quote">{e(quote)}</blockquote>' if quote.strip() else ""
    note_class = "match" if highlight.found or not quote.strip() else "match missing"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} — page {shown}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/viewer.css">
</head>
<body>
<header>
<h1>{e(title)}</h1>
<p class="sub">Page <span id="page-number">{shown}</span> of {pages} · report {e(report_id)}</p>
<nav aria-label="Report">{" ".join(nav)}</nav>
</header>
<main data-page="{shown}" data-matched="{highlight.matched}" data-boxes="{len(highlight.boxes)}">
{quote_block}
<p class="{note_class}" role="status">{e(match_note)}</p>
<div class="sheet">
<svg viewBox="0 0 {width} {height}" role="img" aria-labelledby="page-label" xmlns="http://www.w3.org/2000/svg">
<title id="page-label">Page {shown} of the report{label_suffix}</title>
<image href="{e(image_href, quote=True)}" x="0" y="0" width="{width}" height="{height}"></image>
{rects}
</svg>
</div>
<section class="timeline-host" aria-label="Judgements over time"
 data-inspectqa-council="{e(local_authority, quote=True)}"></section>
</main>
<script src="/static/timeline.js" defer></script>
</body>
</html>
"""
