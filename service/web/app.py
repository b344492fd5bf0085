"""``create_app(settings)``: the FastAPI application, assembled in one place.

The index and the embedding model are loaded in the lifespan (never at import), into
``app.state.qa``; when the index is missing or unusable the app still starts, ``/healthz``
answers, ``/readyz`` and the question routes answer 503 with how to build one. One exception
handler maps ``inspectqa.errors`` to HTTP statuses; request validation errors become a 4xx with
a sentence per problem. Other parts (the widget's pages, reliability middleware, admin routes)
extend the app at the end of ``create_app``, each with one ``install_*(app, settings)`` call.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from inspectqa import __version__
from inspectqa.errors import InspectQAError, UnknownFilter
from inspectqa.settings import Settings
from service.web.api import router

log = logging.getLogger("inspectqa.service")


def load_service(settings: Settings) -> Any:
    """Open the index and the model and build the ``QAService`` (raises ``IndexProblem``)."""
    from service.answers.qa import QAService

    return QAService.open(settings)


def _lifespan(settings: Settings) -> Callable[[FastAPI], Any]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "qa", None) is None:
            try:
                app.state.qa = load_service(settings)
                app.state.load_error = None
            except InspectQAError as error:
                app.state.qa = None
                app.state.load_error = str(error)
                from service.web.building import build_progress

                building = build_progress(settings)
                if building is not None and building.state != "failed":  # serve's own first build
                    log.info("no index loaded yet: %s", building.summary())
                else:
                    log.error("no index loaded: %s", error)
            except Exception as error:  # a bug or an OS error: still start, say why in /readyz
                app.state.qa = None
                app.state.load_error = f"loading the index failed: {type(error).__name__}: {error}"
                log.exception("no index loaded")
        yield

    return lifespan


def validation_message(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path"))
    kind = error.get("type", "")
    if kind == "json_invalid":
        return f"the request body is not valid JSON ({error.get('ctx', {}).get('error', 'parse error')})"
    if kind == "missing":
        return f"'{where}' is required"
    if kind == "extra_forbidden":
        return f"'{where}' is not a field this endpoint accepts"
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    return f"'{where}': {message}" if where else message


async def _on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    status = 400 if any(e.get("type") == "json_invalid" for e in errors) else 422
    messages = [validation_message(e) for e in errors]
    return JSONResponse({"detail": "; ".join(messages), "error": "BadRequest", "suggestions": []}, status)


async def _on_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InspectQAError)
    suggestions = exc.suggestions if isinstance(exc, UnknownFilter) else []
    retry_after = getattr(exc, "retry_after", None)  # IndexBuilding: when asking again may succeed
    return JSONResponse(
        {"detail": str(exc), "error": type(exc).__name__, "suggestions": suggestions},
        exc.http_status,
        headers={"Retry-After": str(retry_after)} if retry_after else None,
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse(
        {
            "detail": "the service failed unexpectedly; the error has been logged",
            "error": "InternalError",
            "suggestions": [],
        },
        500,
    )


def create_app(settings: Settings, *, service: Any = None) -> FastAPI:
    """The application; pass ``service`` to serve an already built ``QAService`` (tests, benches)."""
    app = FastAPI(
        title="inspectqa",
        version=__version__,
        summary="Answers from Ofsted inspection reports of children's services, every claim cited.",
        lifespan=_lifespan(settings),
    )
    app.state.settings = settings
    app.state.qa = service
    app.state.load_error = None
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Content-Type", "Accept", "Authorization"],
        )
    app.add_exception_handler(RequestValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(InspectQAError, _on_error)
    app.add_exception_handler(Exception, _on_unexpected)
    app.include_router(router)
    from service.web.data_routes import install_data_routes

    install_data_routes(app)
    # Further routers and middleware (the widget's pages, reliability, admin) are added below.
    from service.web.mcp_server import install_mcp
    from service.web.openai_api import install_openai
    from service.web.widget_routes import install_widget

    install_openai(app, settings)
    install_mcp(app, settings)
    install_widget(app, settings)
    install_reliability(app, settings)
    return app


def create_app_from_environment() -> FastAPI:
    """The app with settings from ``INSPECTQA_*`` alone: what each ``serve --workers N`` process runs."""
    return create_app(Settings())


def install_reliability(app: FastAPI, settings: Settings) -> None:
    """Limits, live index reload, request ids with logs and metrics, admin routes, security headers.

    The order matters: middleware added later runs outside what came before, so the limits sit
    closest to the handlers, the request id and metrics see every 429/413/504, and the security
    headers (with the service's CORS moved outermost) reach every response.
    """
    from service.web.admin import install_admin
    from service.web.limits import install_limits
    from service.web.observability import install_observability
    from service.web.reload import install_reloader
    from service.web.security import install_security

    install_limits(app, settings)
    reloader = install_reloader(app, settings)
    install_observability(app, reloader, settings)
    install_admin(app, settings, reloader)
    install_security(app)
