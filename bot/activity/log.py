"""The activity database: what was asked, how it was answered, and what coders thought of it.

Separate from the knowledge base (which is read-only) and built so a coding lead can see what the bot
could not answer. Nothing is stored before PHI redaction; Slack user and channel ids are stored as keyed
hashes. Listeners write from many threads, so each thread has its own connection, the journal is WAL and a
busy database is retried; a locked or full disk is logged and reported, and answering goes on regardless.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.answer import Answer
from bot.nlu.phi import redact

log = logging.getLogger("coding_bot.activity")

SURFACES = ("mention", "dm", "command", "action", "cli")
_SCHEMA = """
create table if not exists questions (
    id text primary key, at real not null, surface text not null, question text not null, intent text,
    confidence real, answered integer, codes text, modifiers text, latency_ms real, user_hash text,
    channel_hash text, phi_detected integer
);
create index if not exists questions_at on questions(at);
create table if not exists feedback (
    id integer primary key autoincrement, question_id text not null, at real not null, helpful integer not null,
    reason text, user_hash text
);
create index if not exists feedback_at on feedback(at);
"""
BUSY_RETRIES = 5


@dataclass(frozen=True)
class Stored:
    """The outcome of a write: callers never need it to answer, only to report problems."""

    ok: bool
    error: str | None = None


class ActivityLog:
    def __init__(self, path: Path, retention_days: int = 90):
        self.path = Path(path)
        self.retention_days = retention_days
        self._local = threading.local()
        self.last_error: str | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._key = self._load_key()
        try:
            self._conn().executescript(_SCHEMA)  # executescript manages its own transaction
        except sqlite3.DatabaseError as exc:
            self._failed(str(exc))

    # -- plumbing -----------------------------------------------------------------------------------
    def _load_key(self) -> bytes:
        """A per-installation secret, so hashed Slack ids cannot be reversed by hashing known ids."""
        key_file = self.path.with_suffix(".key")
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        return bytes.fromhex(key_file.read_text().strip())

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            conn.execute("pragma journal_mode=wal")
            conn.execute("pragma busy_timeout=5000")
            self._local.conn = conn
        return conn

    def _write(self, action: Any) -> Stored:
        for attempt in range(BUSY_RETRIES):
            try:
                conn = self._conn()
                conn.execute("begin immediate")
                try:
                    action(conn)
                    conn.execute("commit")
                except BaseException:
                    conn.execute("rollback")
                    raise
                self.last_error = None
                return Stored(True)
            except sqlite3.OperationalError as exc:
                message = str(exc)
                if "locked" in message or "busy" in message:
                    time.sleep(0.05 * (attempt + 1))
                    continue
                return self._failed(message)
            except sqlite3.DatabaseError as exc:
                return self._failed(str(exc))
        return self._failed("database is locked (gave up after retries)")

    def _failed(self, message: str) -> Stored:
        self.last_error = message
        log.error("activity database write failed: %s (answers go on; nothing about the question is logged)", message)
        return Stored(False, message)

    def hash_id(self, value: str | None) -> str | None:
        if not value:
            return None
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:24]

    # -- writes -------------------------------------------------------------------------------------
    def record_question(self, answer: Answer, surface: str, latency_ms: float, user: str | None = None,
                        channel: str | None = None) -> str:
        """Store one answered (or declined) question, redacted; returns its id for feedback."""
        qid = uuid.uuid4().hex
        row = (
            qid, time.time(), surface, redact(answer.question)[:4000], answer.intent, answer.confidence,
            int(answer.answered), json.dumps(answer.codes), json.dumps(answer.modifiers), round(latency_ms, 3),
            self.hash_id(user), self.hash_id(channel), int(answer.phi_detected),
        )
        self._write(lambda c: c.execute("insert into questions values (?,?,?,?,?,?,?,?,?,?,?,?,?)", row))
        return qid

    def record_feedback(self, question_id: str, helpful: bool, reason: str | None = None,
                        user: str | None = None) -> Stored:
        row = (question_id, time.time(), int(helpful), redact(reason)[:2000] if reason else None, self.hash_id(user))
        return self._write(lambda c: c.execute(
            "insert into feedback (question_id, at, helpful, reason, user_hash) values (?,?,?,?,?)", row))

    def purge(self, now: float | None = None) -> int:
        """Delete records older than the retention setting; returns how many questions went."""
        cutoff = (now or time.time()) - self.retention_days * 86400
        deleted = [0]

        def action(c: sqlite3.Connection) -> None:
            deleted[0] = c.execute("delete from questions where at < ?", (cutoff,)).rowcount
            c.execute("delete from feedback where at < ?", (cutoff,))

        self._write(action)
        return deleted[0]

    # -- reads --------------------------------------------------------------------------------------
    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        cursor = self._conn().execute(sql, params)
        cols = [c[0] for c in cursor.description]
        return [dict(zip(cols, r)) for r in cursor.fetchall()]

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def answer_and_log(engine: Any, activity: ActivityLog | None, question: str, surface: str,
                   user: str | None = None, channel: str | None = None) -> tuple[Answer, str | None]:
    """The one path plus bookkeeping: answer(), then store the redacted question. Logging never blocks answering."""
    started = time.perf_counter()
    answer = engine.answer(question)
    latency_ms = (time.perf_counter() - started) * 1000
    if activity is None:
        return answer, None
    try:
        return answer, activity.record_question(answer, surface, latency_ms, user, channel)
    except Exception:  # noqa: BLE001 - the coder still gets the answer
        log.exception("could not record a question")
        return answer, None
