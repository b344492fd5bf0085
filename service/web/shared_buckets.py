"""The per-client rate limit shared by every server process, kept in one SQLite file.

``serve --workers N`` runs N processes behind one socket; the kernel hands each connection to any of
them. Buckets in each process's memory would let a client ask N times as often as configured, so
with a state folder the buckets live in ``rate-limits.sqlite`` there instead, and each question takes
its token in one short write transaction (about a tenth of a millisecond; WAL mode, no fsync: the
buckets are worth nothing after a restart, so durability is not bought).

When the file cannot be written in time (a disk full, a lock held past ``busy_timeout_s``) the
question is let through and the failure logged: a rate limit that fails closed would turn a
storage hiccup into an outage for every visitor.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from service.web.limits import take_token

log = logging.getLogger("inspectqa.limits")

_SCHEMA = "CREATE TABLE IF NOT EXISTS buckets (client TEXT PRIMARY KEY, tokens REAL, updated REAL)"
_PRUNE_EVERY = 1000  # questions between deletions of buckets that are full again


class SharedTokenBucketLimiter:
    """``TokenBucketLimiter``'s behaviour, with the buckets in a SQLite file every process opens."""

    def __init__(
        self,
        path: Path,
        rate_per_minute: int,
        burst: int,
        *,
        clock: Callable[[], float] = time.time,
        busy_timeout_s: float = 0.5,
    ) -> None:
        if rate_per_minute <= 0:
            raise ValueError("rate_per_minute must be positive (leave the limiter out to turn it off)")
        self.path = path
        self.rate_per_s = rate_per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock  # wall time: the one clock every process reads alike
        self.busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._taken = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(self._connect()) as connection:
            connection.execute(_SCHEMA)

    def acquire(self, client: str) -> float:
        """Take one token for ``client``: 0.0 when allowed, else the seconds until one is free."""
        try:
            return self._acquire(client)
        except sqlite3.Error as error:
            log.warning("rate limit store unavailable, letting the question through: %s", error)
            return 0.0

    def _acquire(self, client: str) -> float:
        connection = self._connection()
        now = self.clock()
        connection.execute("BEGIN IMMEDIATE")
        try:
            row = connection.execute(
                "SELECT tokens, updated FROM buckets WHERE client = ?", (client,)
            ).fetchone()
            tokens, last = (float(row[0]), float(row[1])) if row else (self.burst, now)
            tokens, wait = take_token(tokens, now - last, self.rate_per_s, self.burst)
            connection.execute(
                "INSERT INTO buckets (client, tokens, updated) VALUES (?, ?, ?) "
                "ON CONFLICT(client) DO UPDATE SET tokens = excluded.tokens, updated = excluded.updated",
                (client, tokens, now),
            )
            self._taken += 1
            if self._taken % _PRUNE_EVERY == 0:
                # Buckets idle long enough to be full again hold nothing worth keeping.
                connection.execute(
                    "DELETE FROM buckets WHERE updated < ?", (now - self.burst / self.rate_per_s,)
                )
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        return wait

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._connect()
            self._local.connection = connection
        return connection

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        return connection
