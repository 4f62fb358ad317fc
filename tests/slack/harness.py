"""The real HTTP server in a background thread, and correctly signed requests to it (tests and benchmark)."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import uvicorn
from slack_sdk.signature import SignatureVerifier

from tests.slack.fake_slack import SIGNING_SECRET


@dataclass
class Reply:
    status: int
    text: str
    headers: dict[str, str]


class ServerThread:
    """Runs a uvicorn.Server (from bot.slack.serve.http_server, bound to 127.0.0.1:0) until stop()."""

    def __init__(self, server: uvicorn.Server):
        self.server = server
        self.thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
        self.port = 0

    def start(self, timeout: float = 10.0) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the HTTP server did not start")
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Graceful shutdown, as on SIGTERM: returns once in-flight listeners have finished."""
        self.server.should_exit = True
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise RuntimeError("the HTTP server did not stop")

    @property
    def stopped(self) -> bool:
        return not self.thread.is_alive()


def signed_headers(
    body: str | bytes, content_type: str | None = None, timestamp: int | None = None, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    json_like = body.startswith("{" if isinstance(body, str) else b"{")
    return {
        "Content-Type": content_type or ("application/json" if json_like else "application/x-www-form-urlencoded"),
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": (
            SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
            if isinstance(body, str)
            # raw bytes, UTF-8 or not (the SDK decodes them)
            else "v0=" + hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
        ),
    }


def request(
    port: int,
    method: str,
    path: str,
    body: str | bytes = "",
    headers: dict[str, str] | None = None,
    conn: http.client.HTTPConnection | None = None,
) -> Reply:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body.encode("utf-8") if isinstance(body, str) else body, headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, response.read().decode("utf-8", "replace"), dict(response.getheaders()))
    finally:
        if own:
            conn.close()


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Poll a condition that has no event to wait on; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)
