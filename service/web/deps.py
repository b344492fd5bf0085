"""What route handlers receive, as ``Annotated[..., Depends(...)]`` aliases.

The service lives on ``app.state.qa`` (set in the lifespan; swapped whole by a live index reload).
``get_qa`` reads it once per request, so one request never mixes two indexes; when no index is
loaded it raises ``IndexNotFound``, which the app's one exception handler turns into a 503 that
says how to build one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from inspectqa.errors import IndexNotFound
from inspectqa.settings import Settings
from service.answers.qa import QAService
from service.web.building import raise_if_building


def get_qa(request: Request) -> QAService:
    return service_of(request.app)


def service_of(app: FastAPI) -> QAService:
    """The app's current ``QAService``, or ``IndexNotFound`` saying how to build an index."""
    qa: QAService | None = getattr(app.state, "qa", None)
    if qa is None:
        settings: Settings = app.state.settings
        raise_if_building(settings)  # a build is running (503 with Retry-After) or failed (its reason)
        reason = getattr(app.state, "load_error", None) or f"no index at {settings.index}"
        raise IndexNotFound(
            f"the service has no index loaded: {reason}",
            hint=f"build it with `inspectqa index build --corpus {settings.corpus} --index {settings.index}`"
            " (or start `inspectqa serve`, which builds it when missing)",
        )
    return qa


QADep = Annotated[QAService, Depends(get_qa)]
