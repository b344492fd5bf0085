"""Security headers, and a Content-Security-Policy on every HTML page.

The widget and its demo page load their script and styles as files from this service, so the policy
can forbid inline script outright: ``script-src 'self'`` without ``'unsafe-inline'``. An answer or a
report passage that smuggles ``<script>`` into a page (a stored XSS) is then inert even if some
rendering path forgets to escape it. ``connect-src 'self'`` lets the widget reach /ask/stream;
``frame-ancestors 'self'`` keeps other sites from framing the pages (clickjacking).

FastAPI's own /docs and /redoc pages are the exception: they are built from an inline script and a
CDN, so they get a policy that allows exactly that and nothing else. CORS stays with the service's
CORSMiddleware (``settings.cors_origins``); ``install_security`` only makes sure CORS runs outermost,
so that a 429 or 413 still carries the CORS headers a browser needs to show it to the widget.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import FastAPI, HTTPException, Request
from pydantic import SecretStr
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)
DOCS_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com",
        "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
        "font-src 'self' https://fonts.gstatic.com",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'self'",
    ]
)
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HTML_HEADERS = {"X-Frame-Options": "SAMEORIGIN"}


class SecurityHeadersMiddleware:
    """Adds the common headers to every response and the CSP to HTML ones."""

    def __init__(self, app: ASGIApp, docs_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.docs_paths = docs_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = dict(COMMON_HEADERS)
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html"):
                    extra.update(HTML_HEADERS)
                    extra["Content-Security-Policy"] = DOCS_POLICY if path in self.docs_paths else PAGE_POLICY
                if https:
                    extra["Strict-Transport-Security"] = "max-age=31536000"
                if path.startswith("/admin/"):
                    extra["Cache-Control"] = "no-store"
                for name, value in extra.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security(app: FastAPI) -> None:
    """Add the headers middleware, and move the service's CORS middleware (if any) outermost."""
    docs = frozenset(p for p in (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url) if p)
    app.add_middleware(SecurityHeadersMiddleware, docs_paths=docs)
    cors = [m for m in app.user_middleware if m.cls is CORSMiddleware]
    if cors:
        others = [m for m in app.user_middleware if m.cls is not CORSMiddleware]
        app.user_middleware[:] = cors + others


def bearer_problem(header: str, secret: SecretStr, what: str) -> tuple[int, str, str] | None:
    """Why an ``Authorization`` header does not carry ``Bearer <secret>``, or None when it does.

    The problem is ``(status, message, WWW-Authenticate value)``: 401 without a token, 403 with a
    wrong one. The token is compared with ``hmac.compare_digest``, so the time a wrong guess takes
    tells nothing about the right one.
    """
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return 401, f"This route needs an Authorization: Bearer token (the {what} token).", "Bearer"
    if not hmac.compare_digest(token.strip().encode(), secret.get_secret_value().encode()):
        return 403, f"The {what} token is wrong.", 'Bearer error="invalid_token"'
    return None


def require_bearer(secret: SecretStr, what: str) -> Callable[[Request], None]:
    """A FastAPI dependency that lets a request through only with ``Authorization: Bearer <secret>``
    (see ``bearer_problem``)."""

    def check(request: Request) -> None:
        problem = bearer_problem(request.headers.get("authorization", ""), secret, what)
        if problem is not None:
            status, message, challenge = problem
            raise HTTPException(status, message, headers={"WWW-Authenticate": challenge})

    return check
