"""Global Bolt middleware: drop Slack's redeliveries and other bots' messages before any listener runs.

Bolt does not de-duplicate: Slack redelivers an event (`X-Slack-Retry-Num: 1..3`) when our ack was slow or
lost, and answering each copy would post the same answer several times. We remember every `event_id` in
SQLite, so a redelivery is acked but not answered, even across a restart. A retry whose first delivery never
reached us is still answered: it is the only copy. Each middleware returns an empty 200 when it drops a
request, because anything else makes Slack deliver it again.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from slack_bolt import BoltRequest, BoltResponse

KEEP_SECONDS = 24 * 3600  # Slack retries for minutes, not days
PRUNE_EVERY = 1000  # inserts between clean-ups of old ids


class SeenEvents:
    """The event ids already received, in SQLite, one connection per thread (listeners run on a pool)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._inserts = 0
        # One writer at a time in this process: SQLite's own lock makes waiting writers back off and sleep,
        # which under a burst of events turned a 0.1 ms insert into a second-long ack.
        self._write_lock = threading.Lock()
        conn = self._conn()
        conn.execute("pragma journal_mode=wal")  # a commit appends to the log: cheap, and safe across processes
        conn.execute("create table if not exists seen_events (event_id text primary key, seen_at real not null)")
        conn.execute("delete from seen_events where seen_at < ?", (time.time() - KEEP_SECONDS,))

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)  # autocommit: one call per insert
            conn.execute("pragma synchronous=normal")  # with WAL: durable enough, no fsync per event
            self._local.conn = conn
        return conn

    def first_time(self, event_id: str) -> bool:
        """Record the id; True only for the first delivery (atomic across threads and processes)."""
        conn = self._conn()
        with self._write_lock:
            cur = conn.execute("insert or ignore into seen_events(event_id, seen_at) values (?, ?)",
                               (event_id, time.time()))
            self._inserts += 1
            if self._inserts % PRUNE_EVERY == 0:  # forget ids no retry can still carry
                conn.execute("delete from seen_events where seen_at < ?", (time.time() - KEEP_SECONDS,))
        return cur.rowcount == 1


def dedupe_events(seen: SeenEvents) -> Callable[..., BoltResponse | None]:
    def dedupe(body: dict, request: BoltRequest, next: Callable[[], BoltResponse],
               logger: logging.Logger) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not seen.first_time(str(event_id)):
            retry = (request.headers.get("x-slack-retry-num") or ["0"])[0]
            reason = (request.headers.get("x-slack-retry-reason") or ["-"])[0]
            logger.info("duplicate delivery of %s (retry %s, %s): acked, not answered", event_id, retry, reason)
            return BoltResponse(status=200, body="")
        return next()

    return dedupe


def skip_bot_messages(body: dict, next: Callable[[], BoltResponse]) -> BoltResponse | None:
    """Other bots' messages never reach a listener (bot-to-bot loops); Bolt itself drops our own."""
    event = body.get("event") or {}
    if body.get("type") == "event_callback" and (event.get("bot_id") or event.get("subtype") == "bot_message"):
        return BoltResponse(status=200, body="")
    return next()
