"""Every error inspectqa raises on purpose, in one place.

The hierarchy::

    InspectQAError                 base: a message a person can act on
    ├── ConfigError                a setting is missing or invalid
    ├── CorpusError
    │   ├── CorpusNotFound         the corpus folder or manifest is missing
    │   ├── CorruptReport          one file cannot be read as a report (skipped in builds)
    │   └── FetchError             a report could not be downloaded
    ├── IndexProblem
    │   ├── IndexNotFound          no index at the given path (build one first)
    │   │   └── IndexBuilding      none yet, but a build is running (``retry_after`` seconds)
    │   ├── ModelMismatch          the index was built with another embedding model
    │   └── IndexCorrupt           files missing or checksums wrong
    ├── BadQuestion                empty, too long or otherwise unusable input
    ├── UnknownFilter              a filter names a local authority or report we do not have
    ├── NotFound                   an unknown report id or page
    └── UpstreamError              an optional external service (an LLM server) failed

``http_status`` maps each to an HTTP status in the service's one exception handler; the CLI prints
``str(error)`` and exits with ``exit_code``.
"""

from __future__ import annotations


class InspectQAError(Exception):
    """Base class. ``str(error)`` is the message shown to users."""

    http_status = 500
    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(InspectQAError):
    exit_code = 2


class CorpusError(InspectQAError):
    pass


class CorpusNotFound(CorpusError):
    http_status = 404
    exit_code = 2


class CorruptReport(CorpusError):
    http_status = 422


class FetchError(CorpusError):
    http_status = 502


class IndexProblem(InspectQAError):
    http_status = 503
    exit_code = 3


class IndexNotFound(IndexProblem):
    pass


class IndexBuilding(IndexNotFound):
    """No index is loaded yet because one is being built; ask again in ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class ModelMismatch(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    pass


class BadQuestion(InspectQAError):
    http_status = 422
    exit_code = 2


class UnknownFilter(BadQuestion):
    def __init__(self, message: str, *, suggestions: list[str] | None = None) -> None:
        hint = f"did you mean: {', '.join(suggestions)}" if suggestions else None
        super().__init__(message, hint=hint)
        self.suggestions = suggestions or []


class NotFound(InspectQAError):
    http_status = 404
    exit_code = 2


class UpstreamError(InspectQAError):
    http_status = 502
