"""Global Bolt middleware: drop Slack's redeliveries, replayed requests and other bots' messages before any
listener runs.

Bolt does not de-duplicate: Slack redelivers an event (`X-Slack-Retry-Num: 1..3`) when our ack was slow or
lost, and a captured request can be sent again within Slack's five-minute signature window (a replayed slash
command was answered three times, a replayed 👍 counted three times). Every request that does something has a
stable key: an event's `event_id`, a slash command's `trigger_id`, a button click's user and `action_ts`, a
modal's view id. We remember each key, so a repeat is acked but not acted on, even across a restart. A retry
whose first delivery never reached us is still answered: it is the only copy. Each middleware returns an empty
200 when it drops a request, because anything else makes Slack deliver it again.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from slack_bolt import BoltRequest, BoltResponse

KEEP_SECONDS = 24 * 3600  # Slack retries for minutes, not days
PRUNE_EVERY = 1000  # inserts between clean-ups of old ids
MEMORY = 50_000  # the most recent keys, kept in memory too: enough for hours of traffic, a few MB
LOCK_WAIT = 0.25  # seconds one insert may wait for another process's lock: dedupe is on the ack's path
RETRY_SECONDS = 30.0  # after a failure, SQLite is tried again this long later (memory answers meanwhile)

log = logging.getLogger("bot.slack.dedupe")


class SeenEvents:
    """The keys already received: the recent ones in memory, all of them (for a day) in SQLite, so repeats are
    recognised across a restart and across processes.

    The database must never silence the bot: a full disk made every mention a 500, a locked database a 10 s ack
    and then a 500. Now one connection with a short lock wait is used; when it fails, memory alone answers, with
    one warning, and SQLite is tried again RETRY_SECONDS later; its recovery is logged too.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, float] = OrderedDict()
        self._db: sqlite3.Connection | None = None
        self._inserts = 0
        self._retry_at = 0.0
        self.problem: str | None = None  # why SQLite is not being used, while it is not
        with self._lock:
            self._open(time.time())

    # -- SQLite, when it works ----------------------------------------------------------------------
    def _open(self, now: float) -> sqlite3.Connection | None:
        if self._db is not None:
            return self._db
        if now < self._retry_at:
            return None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=LOCK_WAIT, isolation_level=None, check_same_thread=False)
            try:
                db.execute(f"pragma busy_timeout={int(LOCK_WAIT * 1000)}")
                db.execute("pragma journal_mode=wal")  # a commit appends to the log: cheap, and safe across processes
                db.execute("pragma synchronous=normal")  # with WAL: durable enough, no fsync per event
                db.execute("create table if not exists seen_events (event_id text primary key, seen_at real not null)")
                db.execute("delete from seen_events where seen_at < ?", (now - KEEP_SECONDS,))
            except sqlite3.Error:
                db.close()
                raise
        except (sqlite3.Error, OSError) as exc:
            self._failed(exc, now)
            return None
        self._db = db
        return db

    def _failed(self, exc: BaseException, now: float) -> None:
        first = self.problem is None
        self.problem = str(exc)
        self._retry_at = now + RETRY_SECONDS
        if self._db is not None:
            self._db.close()
            self._db = None
        if first:
            log.warning(
                "the store of seen Slack requests (%s) cannot be used (%s): repeats are recognised in memory "
                "only until it can; answering goes on",
                self.path.name,
                exc,
            )

    # -- the one question ---------------------------------------------------------------------------
    def first_time(self, key: str) -> bool:
        """Record the key; True only for its first delivery (atomic across threads and, through SQLite, processes)."""
        now = time.time()
        with self._lock:
            if key in self._recent:
                return False
            self._recent[key] = now
            while len(self._recent) > MEMORY:
                self._recent.popitem(last=False)
            db = self._open(now)
            if db is None:
                return True
            try:
                inserted = (
                    db.execute(
                        "insert or ignore into seen_events(event_id, seen_at) values (?, ?)", (key, now)
                    ).rowcount
                    == 1
                )
                self._inserts += 1
                if self._inserts % PRUNE_EVERY == 0:  # forget ids no retry can still carry
                    db.execute("delete from seen_events where seen_at < ?", (now - KEEP_SECONDS,))
            except sqlite3.Error as exc:
                self._failed(exc, now)
                return True
            if self.problem is not None:
                log.warning("the store of seen Slack requests is usable again (after: %s)", self.problem)
                self.problem = None
            return inserted


def request_key(body: dict) -> str | None:
    """What identifies one request that does something, the same in every copy of it; None: nothing to repeat.

    An event: its event_id. A slash command: its trigger_id (a new one for every invocation). A click: who clicked
    and the click's action_ts. A modal submitted or closed: its view id (a modal is submitted or closed once)."""
    kind = body.get("type")
    if kind == "event_callback":
        return f"event:{body['event_id']}" if body.get("event_id") else None
    if body.get("command") and body.get("trigger_id"):
        return f"command:{body['trigger_id']}"
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        user = (body.get("user") or {}).get("id")
        stamp = actions[0].get("action_ts")
        return f"action:{user}:{actions[0].get('action_id')}:{stamp}" if user and stamp else None
    if kind in ("view_submission", "view_closed"):
        view = body.get("view") or {}
        return f"view:{view['id']}" if view.get("id") else None
    return None


def dedupe_events(seen: SeenEvents) -> Callable[..., BoltResponse | None]:
    def dedupe(
        body: dict, request: BoltRequest, next: Callable[[], BoltResponse], logger: logging.Logger
    ) -> BoltResponse | None:
        key = request_key(body)
        if key is None:
            return next()
        # an event's id was stored bare before keys had kinds: the same key as then keeps restarts consistent
        stored = key.removeprefix("event:")
        if not seen.first_time(stored):
            retry = (request.headers.get("x-slack-retry-num") or ["0"])[0]
            reason = (request.headers.get("x-slack-retry-reason") or ["-"])[0]
            what = key if key.startswith("event:") else key.split(":")[0]  # never a user's id or a trigger id
            logger.info("repeated delivery of %s (retry %s, %s): acked, not acted on", what, retry, reason)
            return BoltResponse(status=200, body="")
        return next()

    return dedupe


def skip_bot_messages(body: dict, next: Callable[[], BoltResponse]) -> BoltResponse | None:
    """Other bots' messages never reach a listener (bot-to-bot loops); Bolt itself drops our own."""
    event = body.get("event") or {}
    if body.get("type") == "event_callback" and (event.get("bot_id") or event.get("subtype") == "bot_message"):
        return BoltResponse(status=200, body="")
    return next()
