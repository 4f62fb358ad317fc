"""The HTTP door's own defences: what uvicorn does not bound by itself.

uvicorn closes an idle keep-alive connection, but a client that sends part of its request headers and then
stalls was kept open for ever, and about 1,000 of them made `/healthz` time out. Here every connection must
finish its request headers within HEADER_TIMEOUT of connecting (or of its previous response), however slowly
it drips bytes; and when more than MAX_CONNECTIONS are open, the longest-waiting connection that has no
request in progress is closed to make room, so a stalled crowd can never starve a real request. Bodies are
bounded by the ASGI app (`read_body`): MAX_BODY_BYTES, answered 413, and BODY_TIMEOUT, answered 408.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Mapping
from typing import Any

import h11
from starlette.requests import Request
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0  # seconds to send a complete request head; Slack sends its requests whole at once
BODY_TIMEOUT = 10.0  # seconds to send the body once the head is in
MAX_BODY_BYTES = 1024 * 1024  # Slack's largest payloads (a 40,000-character message with its blocks) are far less
MAX_HEADER_BYTES = 16 * 1024  # h11's bound on an incomplete request head, stated rather than assumed
MAX_CONNECTIONS = 256  # above this, a connection without a request in progress is closed for a new one
LIMIT_CONCURRENCY = 512  # uvicorn answers 503 above this many connections or requests in flight
KEEP_ALIVE_SECONDS = 5
# Connections taken from the listening socket per turn of the event loop (asyncio uses the listen backlog): with
# uvicorn's 2,048 one turn accepted a thousand stalled clients before any could be closed, ran out of file
# descriptors under the usual limit of 1,024, and stopped accepting for a second at a time. With 128 (plus the 256
# connections kept, plus the closes still pending from the last turn) a flood stays far below that limit; the
# kernel holds further connection attempts, which slows the flood, not the server.
BACKLOG = 128
SUMMARY_EVERY = 60.0  # seconds between log lines about closed stalled connections (an attack is one line a minute)

log = logging.getLogger("bot.slack.http")


def raise_open_files_limit() -> int:
    """Lift the soft limit on open files to the hard one (a server's usual first step); returns the new limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            return wanted
        except (ValueError, OSError):
            pass
    return soft


class _Closures:
    """Counts connections closed for stalling, logged at most once a minute so an attack cannot flood the log."""

    def __init__(self) -> None:
        self.timed_out = 0
        self.evicted = 0
        self._last = 0.0

    def note(self, kind: str) -> None:
        if kind == "timeout":
            self.timed_out += 1
        else:
            self.evicted += 1
        now = time.monotonic()
        if now - self._last >= SUMMARY_EVERY:
            self._last = now
            log.warning(
                "closed slow or stalled HTTP connections: %d sent no complete request within %.0f s, %d were "
                "closed to make room above %d open connections (totals since start)",
                self.timed_out,
                HEADER_TIMEOUT,
                self.evicted,
                MAX_CONNECTIONS,
            )


CLOSURES = _Closures()


class OncePerMinute(logging.Filter):
    """A line a library logs for every bad connection: asyncio's failed accept (out of file descriptors, at ERROR
    with a traceback: 1,177 lines in one flood of stalled clients), uvicorn's invalid request. The first is kept,
    then one a minute with the count of those left out."""

    def __init__(self, prefix: str, every: float = 60.0) -> None:
        super().__init__()
        self.prefix, self.every = prefix, every
        self._last, self._skipped = -every, 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.getMessage().startswith(self.prefix):
            return True
        now = time.monotonic()
        if now - self._last < self.every:
            self._skipped += 1
            return False
        if self._skipped:
            record.msg = f"{record.getMessage()} ({self._skipped} more like it in the last minute, not logged)"
            record.args = None
        self._last, self._skipped = now, 0
        record.exc_info = None  # the traceback says nothing the message does not
        return True


logging.getLogger("asyncio").addFilter(OncePerMinute("socket.accept() out of system resource"))
# uvicorn warns once per request that is not HTTP at all: a scanner or a flood of garbage would fill the log
logging.getLogger("uvicorn.error").addFilter(OncePerMinute("Invalid HTTP request received."))


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for request heads and a bound on open connections."""

    header_timeout: float = HEADER_TIMEOUT
    max_connections: int = MAX_CONNECTIONS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._waiting_since = 0.0

    # -- when a request head is owed -------------------------------------------------------------------
    def _busy(self) -> bool:
        """A request is in progress: its head arrived and its response is not complete (the app bounds it)."""
        return self.cycle is not None and not self.cycle.response_complete

    def _arm(self) -> None:
        if self._head_timer is None and not self.transport.is_closing():
            self._waiting_since = self.loop.time()
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_overdue)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_overdue(self) -> None:
        self._head_timer = None
        if not self._busy() and not self.transport.is_closing():
            CLOSURES.note("timeout")
            self._close()

    def _close(self) -> None:
        if self.conn.our_state not in (h11.ERROR, h11.CLOSED, h11.MUST_CLOSE):
            try:
                self.conn.send(h11.ConnectionClosed())
            except h11.LocalProtocolError:
                pass
        self.transport.close()

    # -- uvicorn's hooks ----------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()
        if len(self.connections) > self.max_connections:
            self._make_room()

    def handle_events(self) -> None:
        super().handle_events()
        if self._busy():
            self._disarm()
        else:
            self._arm()  # a head is owed: keeps the first deadline however many bytes trickle in

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _make_room(self) -> None:
        """Close the connection that has waited longest without a request in progress (never this new one)."""
        idle = [
            c
            for c in self.connections
            if isinstance(c, GuardedH11Protocol) and c is not self and not c._busy() and not c.transport.is_closing()
        ]
        if idle:
            oldest = min(idle, key=lambda c: c._waiting_since)
            CLOSURES.note("evicted")
            oldest._close()


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int | None = None, timeout: float | None = None) -> bytes:
    """The request body, refusing one larger than `limit` (BodyTooLarge) or slower than `timeout` (TimeoutError);
    by default MAX_BODY_BYTES and BODY_TIMEOUT, read when called."""
    limit = MAX_BODY_BYTES if limit is None else limit
    timeout = BODY_TIMEOUT if timeout is None else timeout
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(declared)
    chunks: list[bytes] = []
    size = 0

    async def receive_all() -> None:
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(str(size))
            chunks.append(chunk)

    await asyncio.wait_for(receive_all(), timeout)
    return b"".join(chunks)


# -- request signatures, checked at the door -----------------------------------------------------
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
MAX_CLOCK_SKEW = 5 * 60  # Slack's own rule: older requests may be replays


def signature_problem(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None) -> str | None:
    """Why a request is not signed by Slack (None when it is), checked before Bolt sees it.

    Bolt's own check raised on a timestamp that is not an integer ('abc', '', '1e9': 500 with a traceback) and
    logged the whole body of every request that failed (PHI, response_url, and for a large body a stall while the
    log scrubber read it). Here a malformed header is simply not a signature; the caller logs the reason alone.
    The HMAC is over the raw bytes, as Slack computes it."""
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if timestamp is None or signature is None:
        return "no signature headers"
    if not _TIMESTAMP.fullmatch(timestamp):
        return "malformed X-Slack-Request-Timestamp"
    if not _SIGNATURE.fullmatch(signature):
        return "malformed X-Slack-Signature"
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_CLOCK_SKEW:
        return "stale timestamp (more than 5 minutes from now)"
    mac = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    expected = "v0=" + mac.hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "signature does not match"
    return None


class Refusals:
    """One warning line per refused request, but at most one every REFUSAL_EVERY seconds (with the count since),
    so a flood of forged requests cannot flood the log or hold the server up writing it."""

    def __init__(self, logger: logging.Logger, every: float = 10.0) -> None:
        self.logger, self.every = logger, every
        self.total = 0
        self._since_line = 0
        self._last = -every

    def note(self, status: int, reason: str) -> None:
        self.total += 1
        self._since_line += 1
        now = time.monotonic()
        if now - self._last >= self.every:
            more = f" ({self._since_line - 1} more refused since the last line)" if self._since_line > 1 else ""
            self.logger.warning("refused a request to /slack/events with %d: %s%s", status, reason, more)
            self._last, self._since_line = now, 0
