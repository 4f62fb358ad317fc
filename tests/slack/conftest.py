"""Fixtures for the Slack layer: a fake Web API, settings pointing at it, and the real HTTP server.

Every answer comes from the real engine over the real built knowledge base (the session `engine` fixture).
Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from tests.slack.fake_slack import SIGNING_SECRET, FakeSlack
from tests.slack.fake_socket_mode import FakeSocketModeServer
from tests.slack.harness import Reply, ServerThread, request, signed_headers


class FeedbackLog:
    """An on_feedback callback that records calls; listeners call it from worker threads."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool, str | None]] = []
        self.users: list[str | None] = []  # who voted, call by call
        self._cond = threading.Condition()

    def __call__(self, question_id: str, helpful: bool, reason: str | None, user: str | None = None) -> None:
        with self._cond:
            self.calls.append((question_id, helpful, reason))
            self.users.append(user)
            self._cond.notify_all()

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[tuple[str, bool, str | None]]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.calls) >= count, timeout):
                raise AssertionError(f"expected {count} feedback call(s), got {self.calls}")
            return list(self.calls)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def settings(fake_slack: FakeSlack, tmp_path: Path) -> Settings:
    return Settings(
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.base_url,
        data_dir=tmp_path / "data",
    )


@pytest.fixture
def feedback() -> FeedbackLog:
    return FeedbackLog()


@pytest.fixture
def start_server(settings: Settings, engine: Any, feedback: FeedbackLog) -> Iterator[Callable[..., ServerThread]]:
    """Start the real HTTP server (bot.slack.serve.http_server) on 127.0.0.1:0; `engine` may be swapped."""
    from bot.slack.serve import http_server

    started: list[ServerThread] = []

    def start(engine: Any = engine) -> ServerThread:
        server = ServerThread(http_server(settings, "127.0.0.1", 0, engine=engine, on_feedback=feedback)).start()
        started.append(server)
        return server

    yield start
    for server in started:
        if not server.stopped:
            server.stop()


@pytest.fixture
def server(start_server: Callable[..., ServerThread]) -> ServerThread:
    return start_server()


@pytest.fixture
def signed_post(server: ServerThread) -> Callable[..., Reply]:
    """POST a body to /slack/events, signed as Slack signs it (override timestamp or secret to forge)."""

    def post(
        body: str | dict,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
    ) -> Reply:
        text = json.dumps(body) if isinstance(body, dict) else body
        all_headers = {**signed_headers(text, content_type, timestamp, secret), **(headers or {})}
        return request(server.port, "POST", "/slack/events", text, all_headers)

    return post


@pytest.fixture
def sm_server(fake_slack: FakeSlack) -> Iterator[FakeSocketModeServer]:
    with FakeSocketModeServer() as server:
        fake_slack.ws_url = server.url  # what apps.connections.open hands out
        yield server
