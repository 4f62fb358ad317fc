"""A fake Slack Web API (and response_url sink) on 127.0.0.1, plus payload builders.

Adapted from the team's verified recipes (itself modelled on bolt-python's mock_web_api_server): it binds
an ephemeral port, records every call with its body and arrival time so tests can assert on arguments, lets
a test queue canned answers per method (a 429 with Retry-After), and also answers apps.connections.open
with a local WebSocket URL for Socket Mode. Nothing here reaches the internet.

Fault mode (`FakeSlack(faults=FaultPlan(rate_429=0.05, rate_500=0.05, rate_drop=0.03, seed=1))`) makes a
fraction of Web API calls fail as Slack's do: 429 with Retry-After, 500, or a connection closed without an
answer. Every fault happens *before* the call is processed, so nothing is posted and a retry by the client
cannot duplicate a reply; the call is still recorded, as an attempt that was not delivered (`Call.fault`,
`Call.delivered`), so a benchmark counts attempts, faults, client retries and delivered replies apart.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlparse

TEAM_ID = "T0TEAM"
BOT_USER_ID = "U0BOT"  # auth.test user_id -> context.bot_user_id
BOT_ID = "B0BOT"  # auth.test bot_id -> context.bot_id
HUMAN = "U0HUMAN"
CHANNEL = "C0CHAN"
DM = "D0DM"
SIGNING_SECRET = "test-signing-secret"
REPLY_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "response_url"})  # what a user sees
IDENTITY_KEYS = ("channel", "thread_ts", "ts", "user")  # where a call goes: its identity for fault decisions


@dataclass(slots=True)
class Call:
    method: str  # "chat.postMessage", or "response_url" for webhook posts
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float  # time.monotonic() on arrival
    status: int = 200  # the HTTP status answered; 0 when the connection was dropped
    fault: str | None = None  # "429", "500" or "drop" when fault mode refused the call (nothing was processed)
    delivered: bool = True  # answered 200 and ok: the call took effect


@dataclass(frozen=True)
class FaultPlan:
    """Which fraction of calls fail, and how; deterministic for a given seed.

    The decision for a call is a pure function of (seed, method, the call's identity, how many calls with that
    identity came before), never of arrival order across threads: the same calls meet the same faults on every
    run, and a client's retry gets a fresh draw. The identity is where the call goes (channel, thread_ts, ts,
    user) when the body says, so a reply whose text carries a random question id still draws the same faults
    for the same event; otherwise it is the request's bytes. A drop reads the request and closes
    the socket without answering, before any processing: the client sees RemoteDisconnected and nothing was
    posted. `methods` None means every Web API method (/api/…); response_url posts are spared unless named.
    """

    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_drop: float = 0.0
    seed: int = 0
    retry_after: int = 1  # seconds, in the 429's Retry-After header
    methods: frozenset[str] | None = None

    def applies_to(self, method: str) -> bool:
        return method != "response_url" if self.methods is None else method in self.methods

    def decide(self, method: str, identity: bytes, attempt: int) -> str | None:
        digest = hashlib.blake2b(f"{self.seed}|{method}|{attempt}|".encode() + identity, digest_size=8).digest()
        draw = int.from_bytes(digest, "big") / 2**64
        for kind, rate in (("429", self.rate_429), ("500", self.rate_500), ("drop", self.rate_drop)):
            if draw < rate:
                return kind
            draw -= rate
        return None


@dataclass
class CannedResponse:
    status: int = 200
    body: Any = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    """A thread-safe fake of https://slack.com/api/ that records what the bot sends."""

    def __init__(self, faults: FaultPlan | None = None, body_keys: tuple[str, ...] | None = None) -> None:
        """`body_keys`: keep only these keys of each body, and no headers (a long soak's memory stays flat)."""
        self.calls: list[Call] = []
        self.faults = faults
        self.body_keys = body_keys
        self.injected: Counter[str] = Counter()  # faults by kind
        self.retries = 0  # calls repeating, byte for byte, one that was refused by a fault
        self._seen: Counter[bytes] = Counter()  # call identity -> arrivals so far (fault mode only)
        self._refused: Counter[bytes] = Counter()  # request bytes -> refusals not yet retried
        self._cond = threading.Condition()
        self._queued: dict[str, list[CannedResponse]] = {}
        self._ts = itertools.count(1)
        self.ws_url: str | None = None  # what apps.connections.open hands out
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class(), bind_and_activate=False)
        self._server.daemon_threads = True
        self._server.request_queue_size = 128  # the default 5 drops connections under load (1 s SYN retries)
        self._server.server_bind()
        self._server.server_activate()
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/api/"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test helpers -----------------------------------------------------------------------------
    def response_url(self, suffix: str = "T0TEAM/1/abc") -> str:
        return f"http://127.0.0.1:{self.port}/response_url/{suffix}"

    def enqueue(self, method: str, status: int = 200, body: Any = None, headers: dict[str, str] | None = None) -> None:
        """The next call of `method` gets this answer (FIFO); later calls get the default.

        Status 0 closes the connection without answering (and without processing the call)."""
        with self._cond:
            self._queued.setdefault(method, []).append(
                CannedResponse(status, body if body is not None else {"ok": True}, headers or {})
            )

    def calls_to(self, method: str) -> list[Call]:
        """Every attempt, refused ones included."""
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def deliveries(self, methods: frozenset[str] = REPLY_METHODS) -> list[Call]:
        """The calls that took effect (answered 200 ok): by default the replies a user sees."""
        with self._cond:
            return [c for c in self.calls if c.delivered and c.method in methods]

    def wait_for(
        self, method: str, count: int = 1, timeout: float = 10.0, where: Callable[[Call], bool] = lambda c: True
    ) -> list[Call]:
        """Block until `count` matching calls arrived (listeners run on a thread pool); fail after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self.calls if c.method == method and where(c)]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} x {method}, got {len(found)}: {[c.method for c in self.calls]}"
                    )
                self._cond.wait(remaining)

    # -- default answers ------------------------------------------------------------------------------
    def _default_response(self, method: str, body: dict[str, Any], token: str) -> CannedResponse:
        if method == "response_url":
            return CannedResponse(200, "ok")  # hooks.slack.com answers a plain "ok"
        if not token.startswith(("xoxb-", "xapp-")):
            return CannedResponse(200, {"ok": False, "error": "invalid_auth"})
        if method == "auth.test":
            return CannedResponse(
                200,
                {
                    "ok": True,
                    "url": "https://fake.slack.com/",
                    "team": "Fake Team",
                    "user": "codebot",
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "bot_id": BOT_ID,
                    "is_enterprise_install": False,
                },
                {"x-oauth-scopes": "app_mentions:read,chat:write,commands,im:history,im:read,im:write"},
            )
        if method == "chat.postMessage":
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            return CannedResponse(
                200,
                {
                    "ok": True,
                    "channel": body.get("channel"),
                    "ts": ts,
                    "message": {
                        "type": "message",
                        "text": body.get("text"),
                        "user": BOT_USER_ID,
                        "bot_id": BOT_ID,
                        "ts": ts,
                    },
                },
            )
        if method == "chat.postEphemeral":
            return CannedResponse(200, {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"})
        if method == "apps.connections.open":
            return CannedResponse(200, {"ok": True, "url": self.ws_url})
        if method in ("views.open", "views.publish"):
            return CannedResponse(200, {"ok": True, "view": {"id": "V0VIEW", **(_json(body.get("view")) or {})}})
        return CannedResponse(200, {"ok": True})

    def _fault_for(self, method: str, path: str, body: dict[str, Any], raw: bytes) -> str | None:
        """The fault this arrival meets (None: served normally); counts faults and the client's retries
        (a call repeating, byte for byte, one that was refused)."""
        if self.faults is None or not self.faults.applies_to(method):
            return None
        stable = {k: body[k] for k in IDENTITY_KEYS if isinstance(body.get(k), str)}
        identity = path.encode() + b"\n" + (json.dumps(stable, sort_keys=True).encode() if stable else raw)
        same_bytes = hashlib.blake2b(path.encode() + b"\n" + raw, digest_size=16).digest()
        key = hashlib.blake2b(identity, digest_size=16).digest()
        with self._cond:
            attempt = self._seen[key]
            self._seen[key] += 1
            if self._refused[same_bytes]:
                self._refused[same_bytes] -= 1
                self.retries += 1
                if not self._refused[same_bytes]:
                    del self._refused[same_bytes]
            fault = self.faults.decide(method, identity, attempt)
            if fault is not None:
                self.injected[fault] += 1
                self._refused[same_bytes] += 1
        return fault

    def _record(
        self,
        method: str,
        path: str,
        headers: Any,
        body: dict[str, Any],
        answer: CannedResponse | None,
        fault: str | None,
    ) -> None:
        status = answer.status if answer is not None else 0
        ok = answer is not None and (
            bool(answer.body.get("ok")) if isinstance(answer.body, dict) else answer.body == "ok"
        )
        if self.body_keys is not None:
            body, kept_headers = {k: body[k] for k in self.body_keys if k in body}, {}
        else:
            kept_headers = dict(headers)
        with self._cond:
            self.calls.append(
                Call(method, path, kept_headers, body, time.monotonic(), status, fault, status == 200 and ok)
            )
            self._cond.notify_all()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                parsed = urlparse(self.path)
                raw_bytes = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                raw = raw_bytes.decode("utf-8")
                body = (
                    json.loads(raw)
                    if raw.startswith("{")
                    else {k: v[0] for k, v in parse_qs(raw or parsed.query).items()}
                )
                if parsed.path.startswith("/api/"):
                    method = parsed.path[len("/api/") :]
                elif parsed.path.startswith("/response_url/"):
                    method = "response_url"
                else:
                    method = parsed.path.lstrip("/")
                auth = self.headers.get("Authorization", "")
                token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else body.get("token", "")
                fault = fake._fault_for(method, parsed.path, body, raw_bytes)
                canned = None
                if fault is None:
                    with fake._cond:
                        queued = fake._queued.get(method)
                        canned = queued.pop(0) if queued else None
                    if canned is None:
                        canned = fake._default_response(method, body, token)
                elif fault == "429":
                    canned = CannedResponse(
                        429,
                        {"ok": False, "error": "ratelimited"},
                        {"Retry-After": str(fake.faults.retry_after if fake.faults else 1)},
                    )
                elif fault == "500":
                    canned = CannedResponse(500, {"ok": False, "error": "fatal_error"})
                if canned is not None and canned.status == 0:
                    canned, fault = None, "drop"
                # recorded before the answer is sent (a test woken by it must find it); a rejected call (e.g. 429)
                # is recorded too: tests count attempts and deliveries apart
                fake._record(method, parsed.path, self.headers, body, canned, fault)
                if canned is None:  # a dropped connection: no status line, the socket just closes
                    self.close_connection = True
                    return
                data = (canned.body if isinstance(canned.body, str) else json.dumps(canned.body)).encode("utf-8")
                self.send_response(canned.status)
                ctype = "text/plain" if isinstance(canned.body, str) else "application/json;charset=utf-8"
                self.send_header("Content-Type", ctype)
                for k, v in canned.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _handle
            do_POST = _handle

        return Handler


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def message_json(call: Call) -> str:
    """Everything a posted message shows (text and blocks) as one string, for content assertions."""
    return json.dumps({"text": call.body.get("text"), "blocks": _json(call.body.get("blocks"))}, ensure_ascii=False)


def visible_text(call: Call) -> str:
    """What a person sees of a posted message: the fallback and every text object (not button values)."""
    found: list[str] = [str(call.body.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text"):
                found.append(node.get("text", ""))
            for key, value in node.items():
                if key != "value":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks_of(call))
    return "\n".join(found)


def blocks_of(call: Call) -> list[dict]:
    return _json(call.body.get("blocks")) or []


def button(call: Call, action_id: str) -> dict:
    """The button with this action id in a posted message (fails the test when absent)."""
    for block in blocks_of(call):
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in {message_json(call)}")


def feedback_click(call: Call, helpful: bool = True) -> dict[str, Any]:
    """The action Slack sends when 👍 (or 👎) of the feedback_buttons element in a posted message is clicked."""
    for block in blocks_of(call):
        for element in block.get("elements", []):
            if element.get("type") == "feedback_buttons":
                chosen = element["positive_button" if helpful else "negative_button"]
                return {
                    "action_id": element["action_id"],
                    "type": "feedback_buttons",
                    "value": chosen["value"],
                    "text": chosen["text"],
                }
    raise AssertionError(f"no feedback buttons in {message_json(call)}")


# -- payload builders (shapes of real payloads, as in bolt-python's tests) ---------------------------
def event_callback(event: dict[str, Any], event_id: str = "Ev0001") -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": TEAM_ID,
        "api_app_id": "A0APP",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
    }


def app_mention(
    text: str,
    ts: str = "1700000000.000100",
    thread_ts: str | None = None,
    user: str = HUMAN,
    channel: str = CHANNEL,
    **extra: Any,
) -> dict[str, Any]:
    event = {"type": "app_mention", "user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts, **extra}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def im_message(
    text: str, ts: str = "1700000000.000200", user: str = HUMAN, channel: str = DM, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        **extra,
    }


_unique = itertools.count(1)  # Slack gives every invocation, click and modal its own trigger_id, action_ts, view id


def slash_command_body(
    text: str, response_url: str, command: str = "/code", channel: str = CHANNEL, trigger_id: str | None = None
) -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": TEAM_ID,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "coding",
            "user_id": HUMAN,
            "user_name": "coder",
            "command": command,
            "text": text,
            "api_app_id": "A0APP",
            "response_url": response_url,
            "trigger_id": trigger_id or f"111.{next(_unique)}.cmd",
        }
    )


def block_actions_body(
    action: dict[str, Any],
    response_url: str,
    *,
    ephemeral: bool = False,
    channel: str = CHANNEL,
    message_ts: str = "1700000000.000300",
    thread_ts: str | None = None,
    action_ts: str | None = None,
    user: str = HUMAN,
) -> str:
    """A click on `action` (a button dict as the bot rendered it) in a message of `channel`."""
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel,
        "is_ephemeral": ephemeral,
    }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": "coder", "team_id": TEAM_ID},
        "api_app_id": "A0APP",
        "token": "legacy",
        "container": container,
        "trigger_id": "111.222.act",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "channel": {"id": channel, "name": "coding"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action["action_id"],
                "block_id": "b1",
                "type": "button",
                "value": action["value"],
                "text": action.get("text", {"type": "plain_text", "text": "x"}),
                "action_ts": action_ts or f"1700000001.{next(_unique):06d}",
            }
        ],
    }
    if not ephemeral:  # Slack sends the message only for non-ephemeral containers
        message = {"type": "message", "ts": message_ts, "user": BOT_USER_ID, "bot_id": BOT_ID, "text": "an answer"}
        if thread_ts:
            message["thread_ts"] = thread_ts
        payload["message"] = message
    return "payload=" + quote(json.dumps(payload))


def view_body(
    kind: str, callback_id: str, private_metadata: str, values: dict[str, Any] | None = None, view_id: str | None = None
) -> str:
    """A view_submission or view_closed payload for a modal the bot opened."""
    view = {
        "id": view_id or f"V0VIEW{next(_unique)}",
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": private_metadata,
        "state": {"values": values or {}},
        "hash": "1.abc",
        "team_id": TEAM_ID,
        "app_id": "A0APP",
    }
    payload = {
        "type": kind,
        "team": {"id": TEAM_ID, "domain": "fake"},
        "user": {"id": HUMAN, "username": "coder", "team_id": TEAM_ID},
        "api_app_id": "A0APP",
        "token": "legacy",
        "trigger_id": "111.222.view",
        "view": view,
    }
    if kind == "view_closed":
        payload["is_cleared"] = False
    return "payload=" + quote(json.dumps(payload))
