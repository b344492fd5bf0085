"""Where the served index comes from: a directory (the embedded default) or a PostgreSQL database.

``open_search_index(settings)`` is what the app, the CLI and the evaluation call: with
``INSPECTQA_DATABASE_URL`` set it opens the generation the database serves (``indexer.pg``), else
``INDEX/current`` (``indexer.open_index``). ``psycopg`` is imported only in the first case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspectqa.settings import Settings

if TYPE_CHECKING:
    from indexer.backend import SearchIndex
    from indexer.pg import Database


def database_url(settings: Settings) -> str | None:
    return settings.database_url.get_secret_value() if settings.database_url is not None else None


def open_database(settings: Settings) -> Database:
    """A read-only connection pool to ``settings.database_url`` (which must be set)."""
    from indexer.pg import Database

    url = database_url(settings)
    if url is None:
        raise ValueError("open_database needs settings.database_url")
    return Database(url, size=settings.database_pool_size)


def open_search_index(settings: Settings, database: Database | None = None) -> SearchIndex:
    """The index to serve: the database's served generation, or the directory's current one."""
    if database is not None or settings.database_url is not None:
        from indexer.pg import open_pg_index

        return open_pg_index(database or open_database(settings), settings.model_name)
    from indexer.generations import open_index

    return open_index(settings.index, settings)
