"""The activity database: what was asked, how it was answered, and what coders thought of it.

Separate from the knowledge base (which is read-only) and built so a coding lead can see what the bot
could not answer. Nothing is stored before PHI redaction; Slack user and channel ids are stored as keyed
hashes.

Nothing here may hold up an answer. A record is queued in memory and the caller goes on; one writer thread,
with the one connection to the database, redacts, hashes and writes in batches. A locked database is waited
for (the queue holds what arrives meanwhile); a full disk, a read-only or damaged database drops what cannot
be written, counted, with one warning, and writing resumes by itself when the disk has room again. The queue
is bounded: beyond QUEUE_LIMIT records waiting, new ones are dropped and counted too. The server once held a
connection per listener thread (65 to this database); now it holds one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import queue
import re
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
-- one vote per person per answer: a replayed or changed vote replaces the earlier one (databases from before
-- this index keep only each person's latest vote)
delete from feedback where user_hash is not null and id not in (
    select max(id) from feedback where user_hash is not null group by question_id, user_hash);
create unique index if not exists feedback_vote on feedback(question_id, user_hash);
"""
KEY_BYTES = 32  # the HMAC key for Slack ids: 64 hex characters in <activity>.key
BUSY_RETRIES = 5  # a locked database is retried this often before the problem is reported (and then still retried)
BUSY_TIMEOUT_MS = 2000  # how long one attempt waits for another writer's lock
QUEUE_LIMIT = 10_000  # records waiting to be written; beyond it new ones are dropped and counted
BATCH = 200  # records per transaction
IDLE_SECONDS = 5.0  # the writer thread ends after this long with nothing to do; the next record starts it again
CLOSE_SECONDS = 10.0  # how long close() waits for the queue to be written
MAX_QUESTION_CHARS = 4000  # of the redacted question kept: its start and its end, where a pasted note's question is
MAX_REDACTED_CHARS = 50_000  # redacted whole up to this (Slack sends at most 40,000); a longer text is cut first
MAX_REASON_CHARS = 2000
# A disk that is nearly full lets some writes through between failures: the problem counts as over only once
# writes have succeeded for this long after the last failure, so a flapping disk is reported once, not per record.
QUIET_SECONDS = 60.0


class ActivityKeyError(Exception):
    """The key file exists but cannot be a key (empty, short, not hex): hashing with it would make the stored ids
    easy to reverse, so it is refused; the message says what to do."""


@dataclass(frozen=True)
class Stored:
    """The outcome of a write request: queued (ok), or why not. Callers never need it to answer."""

    ok: bool
    error: str | None = None


@dataclass(frozen=True)
class _Question:
    qid: str
    at: float
    surface: str
    answer: Answer
    latency_ms: float
    user: str | None
    channel: str | None


@dataclass(frozen=True)
class _Feedback:
    question_id: str
    at: float
    helpful: bool
    reason: str | None
    user: str | None


class _Unwritable(Exception):
    """Something other than a lock keeps the database from being written (full disk, no key, read-only)."""


class ActivityLog:
    def __init__(self, path: Path, retention_days: int = 90):
        self.path = Path(path)
        self.retention_days = retention_days
        self.last_error: str | None = None
        self.dropped = 0  # records lost to a full disk, an unwritable database or a full queue, since start
        self._dropped_in_trouble = 0
        self._stats = threading.Lock()  # last_error and the counts are set from the writer and from callers
        self._failed_at = 0.0
        self._queue: queue.Queue[_Question | _Feedback] = queue.Queue(maxsize=QUEUE_LIMIT)
        self._pending = 0  # queued or being written
        self._pending_changed = threading.Condition()
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()
        self._db_lock = threading.RLock()  # the one connection: the writer writes, readers read, one at a time
        self._db: sqlite3.Connection | None = None
        self._schema_ready = False
        self._closed = False
        self._key: bytes | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._key = self._load_key(create=True)
        except OSError as exc:  # a full or read-only disk at first start: the writer tries again later
            self._trouble(f"cannot create {self.path.parent} or its key ({exc.strerror or exc})")

    # -- the key for Slack ids ------------------------------------------------------------------------
    @property
    def key_path(self) -> Path:
        return self.path.with_suffix(".key")

    def _load_key(self, create: bool) -> bytes | None:
        """The per-installation secret, so hashed Slack ids cannot be reversed by hashing known ids."""
        try:
            text = self.key_path.read_text(encoding="ascii", errors="replace")
        except FileNotFoundError:
            if not create:
                return None
            return self._create_key()
        return self._check_key(text)

    def _check_key(self, text: str) -> bytes:
        key = text.strip()
        if not re.fullmatch(rf"[0-9a-f]{{{2 * KEY_BYTES},}}", key):
            what = "empty" if not key else "too short" if re.fullmatch(r"[0-9a-f]*", key) else "not a hex key"
            raise ActivityKeyError(
                f"{self.key_path} is {what} ({len(key)} characters; a key is {2 * KEY_BYTES} hex characters), probably "
                "cut short by a full disk: ids hashed with it could be recovered. Restore it from a backup, or delete "
                "it to start a new key (ids stored before will no longer match the same people)"
            )
        return bytes.fromhex(key[: 2 * KEY_BYTES])

    def _create_key(self) -> bytes:
        """Written whole or not at all: a temporary file, fsync, then linked into place (a key another process
        created first is kept and read instead)."""
        tmp = self.key_path.with_name(f".{self.key_path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                data = secrets.token_hex(KEY_BYTES).encode("ascii") + b"\n"
                if os.write(fd, data) != len(data):
                    raise OSError(28, "short write")
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(tmp, self.key_path)  # atomic, and never replaces a key that is already there
            except FileExistsError:
                pass
            except OSError:  # a file system without hard links
                if not self.key_path.exists():
                    os.replace(tmp, self.key_path)
            _fsync_dir(self.key_path.parent)
        finally:
            tmp.unlink(missing_ok=True)
        return self._check_key(self.key_path.read_text(encoding="ascii", errors="replace"))

    def hash_id(self, value: str | None) -> str | None:
        if not value:
            return None
        return hmac.new(self._key_bytes(), value.encode(), hashlib.sha256).hexdigest()[:24]

    def _key_bytes(self) -> bytes:
        if self._key is None:
            try:
                self._key = self._load_key(create=True)
            except OSError as exc:
                raise _Unwritable(f"cannot create the key {self.key_path} ({exc.strerror or exc})") from exc
        assert self._key is not None
        return self._key

    # -- the connection -------------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        """The one connection (opened, and the schema made, on first use). Callers hold _db_lock."""
        with self._db_lock:
            if self._db is None:
                db = sqlite3.connect(
                    self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
                )
                try:
                    db.execute(f"pragma busy_timeout={BUSY_TIMEOUT_MS}")
                    db.execute("pragma journal_mode=wal")
                except sqlite3.Error:
                    db.close()
                    raise
                self._db = db
            if not self._schema_ready:
                self._db.executescript(_SCHEMA)  # executescript manages its own transaction
                self._schema_ready = True
            return self._db

    # -- writes: queued, never waited for -----------------------------------------------------------
    def new_id(self) -> str:
        return uuid.uuid4().hex

    def record_question(
        self,
        answer: Answer,
        surface: str,
        latency_ms: float,
        user: str | None = None,
        channel: str | None = None,
        qid: str | None = None,
    ) -> str:
        """Queue one answered (or declined) question; returns its id for feedback at once. It is redacted and
        written by the writer thread."""
        qid = qid or self.new_id()
        self._enqueue(_Question(qid, time.time(), surface, answer, latency_ms, user, channel))
        return qid

    def record_feedback(
        self, question_id: str, helpful: bool, reason: str | None = None, user: str | None = None
    ) -> Stored:
        """Queue a vote; a person's later vote on the same answer replaces the earlier one."""
        return self._enqueue(_Feedback(question_id, time.time(), helpful, reason, user))

    def _enqueue(self, item: _Question | _Feedback) -> Stored:
        with self._writer_lock:
            if self._closed:
                return self._lose(1, "the activity log is closed")
            try:
                self._queue.put_nowait(item)
            except queue.Full:
                return self._lose(1, f"more than {QUEUE_LIMIT} records waiting to be written")
            with self._pending_changed:
                self._pending += 1
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._run, name=f"activity-writer-{id(self):x}", daemon=True)
                self._writer.start()
        return Stored(True)

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._writer_lock:
                    if self._queue.empty():
                        self._writer = None
                        return
                continue
            batch = [first]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._write(batch)
            finally:
                with self._pending_changed:
                    self._pending -= len(batch)
                    self._pending_changed.notify_all()

    def _write(self, batch: list[_Question | _Feedback]) -> None:
        attempt = 0
        while True:
            try:
                with self._db_lock:
                    conn = self._conn()
                    rows = [self._row(item) for item in batch]  # redacted and hashed here, off every answer's path
                    conn.execute("begin immediate")
                    try:
                        for sql, row in rows:
                            conn.execute(sql, row)
                        conn.execute("commit")
                    except BaseException:
                        if conn.in_transaction:
                            conn.execute("rollback")
                        raise
                self._recovered()
                return
            except sqlite3.OperationalError as exc:
                message = str(exc)
                if "locked" not in message and "busy" not in message:
                    self._lose(len(batch), message)
                    self._reset()
                    return
                attempt += 1
                if attempt >= BUSY_RETRIES:
                    self._trouble(f"{message} (still retrying; {self._queue.qsize()} records waiting)")
                if self._closed and attempt >= BUSY_RETRIES:
                    self._lose(len(batch), f"{message} when the bot stopped")
                    return
                time.sleep(min(1.0, 0.05 * 2 ** min(attempt, 5)))
            except (sqlite3.Error, OSError, _Unwritable) as exc:  # full disk, read-only, damaged, no key
                self._lose(len(batch), str(exc))
                self._reset()  # the next write starts on a fresh connection (a file replaced, space freed)
                return

    def _row(self, item: _Question | _Feedback) -> tuple[str, tuple[Any, ...]]:
        if isinstance(item, _Question):
            a = item.answer
            return (
                "insert or replace into questions values (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    item.qid,
                    item.at,
                    item.surface,
                    _stored_text(a.question, MAX_QUESTION_CHARS),
                    a.intent,
                    a.confidence,
                    int(a.answered),
                    json.dumps(a.codes),
                    json.dumps(a.modifiers),
                    round(item.latency_ms, 3),
                    self.hash_id(item.user),
                    self.hash_id(item.channel),
                    int(a.phi_detected),
                ),
            )
        reason = _stored_text(item.reason, MAX_REASON_CHARS) if item.reason else None
        return (
            "insert into feedback (question_id, at, helpful, reason, user_hash) values (?,?,?,?,?) "
            "on conflict (question_id, user_hash) do update set at = excluded.at, helpful = excluded.helpful, "
            "reason = excluded.reason",
            (item.question_id, item.at, int(item.helpful), reason, self.hash_id(item.user)),
        )

    def _reset(self) -> None:
        with self._db_lock:
            if self._db is not None:
                try:
                    self._db.close()
                except sqlite3.Error:
                    pass
            self._db, self._schema_ready = None, False

    # -- trouble, told once -------------------------------------------------------------------------
    def _trouble(self, message: str) -> None:
        with self._stats:
            first = self.last_error is None
            self.last_error = message
            self._failed_at = time.monotonic()
        if first:
            log.warning(
                "activity database: %s; answers go on, records are kept in memory or dropped and counted "
                "until it can be written again",
                message,
            )

    def _lose(self, count: int, message: str) -> Stored:
        with self._stats:
            self.dropped += count
            self._dropped_in_trouble += count
        self._trouble(message)
        return Stored(False, message)

    def _recovered(self) -> None:
        with self._stats:
            if self.last_error is None or time.monotonic() - self._failed_at < QUIET_SECONDS:
                return
            was, lost = self.last_error, self._dropped_in_trouble
            self.last_error, self._dropped_in_trouble = None, 0
        log.warning("activity database: writable again after '%s'; %d record(s) were dropped meanwhile", was, lost)

    # -- waiting for the writer -----------------------------------------------------------------------
    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is written (or dropped); False if that took longer than `timeout`."""
        deadline = time.monotonic() + timeout
        with self._pending_changed:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._pending_changed.wait(remaining)
        return True

    def close(self, timeout: float = CLOSE_SECONDS) -> None:
        """Write what is queued (waiting at most `timeout`), then close the connection. Records still waiting
        after that (a database locked by another process the whole time) are counted as dropped."""
        flushed = self.flush(timeout)
        with self._writer_lock:
            self._closed = True
        if not flushed:
            self.flush(min(timeout, 2 * BUSY_TIMEOUT_MS / 1000))  # the writer gives up on a lock once closed
        with self._db_lock:
            if self._db is not None:
                self._db.close()
                self._db = None
                self._schema_ready = False

    # -- maintenance and reads ----------------------------------------------------------------------
    def purge(self, now: float | None = None) -> int:
        """Delete records older than the retention setting; returns how many questions went (0 when the database
        cannot be written now: the problem is reported once)."""
        cutoff = (now or time.time()) - self.retention_days * 86400
        self.flush()
        try:
            with self._db_lock:
                conn = self._conn()
                conn.execute("begin immediate")
                try:
                    deleted = conn.execute("delete from questions where at < ?", (cutoff,)).rowcount
                    conn.execute("delete from feedback where at < ?", (cutoff,))
                    conn.execute("commit")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("rollback")
                    raise
        except sqlite3.Error as exc:
            self._trouble(f"purging old records: {exc}")
            return 0
        return deleted

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """A query over what is written (after waiting briefly for the queue). Raises sqlite3.Error when the
        database cannot be read."""
        self.flush(timeout=2.0)
        with self._db_lock:
            cursor = self._conn().execute(sql, params)
            cols = [c[0] for c in cursor.description]
            return [dict(zip(cols, r, strict=True)) for r in cursor.fetchall()]

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """A direct statement on the connection, after the queue is written (maintenance and tests)."""
        self.flush()
        with self._db_lock:
            return self._conn().execute(sql, params).rowcount


def _stored_text(text: str, limit: int) -> str:
    """Redacted, then at most `limit` characters: the start and the end (a pasted note ends with its question).
    The whole text is redacted before anything is cut, so no identifier is split and half kept."""
    if len(text) > MAX_REDACTED_CHARS:
        cut = text.rfind(" ", 0, MAX_REDACTED_CHARS)
        text = text[: cut if cut > MAX_REDACTED_CHARS // 2 else MAX_REDACTED_CHARS]
    clean = redact(text)
    if len(clean) <= limit:
        return clean
    head = limit * 3 // 8
    return clean[:head] + " … " + clean[len(clean) - (limit - head - 3) :]


def _fsync_dir(folder: Path) -> None:
    """Make a rename or link in `folder` durable (best effort: not every platform can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def answer_and_log(
    engine: Any,
    activity: ActivityLog | None,
    question: str,
    surface: str,
    user: str | None = None,
    channel: str | None = None,
) -> tuple[Answer, str | None]:
    """The one path plus bookkeeping: answer(), then queue the question for the activity log (redacted and
    written in the background). Logging never blocks answering, nor fails it."""
    started = time.perf_counter()
    answer = engine.answer(question)
    latency_ms = (time.perf_counter() - started) * 1000
    return answer, record(activity, answer, surface, latency_ms, user, channel)


def record(
    activity: ActivityLog | None,
    answer: Answer,
    surface: str,
    latency_ms: float,
    user: str | None = None,
    channel: str | None = None,
    qid: str | None = None,
) -> str | None:
    """Queue a question for the activity log; the id, or None without a log (or if queuing itself failed)."""
    if activity is None:
        return None
    try:
        return activity.record_question(answer, surface, latency_ms, user, channel, qid=qid)
    except Exception:  # noqa: BLE001 - the coder still gets the answer
        log.exception("could not record a question")
        return None
