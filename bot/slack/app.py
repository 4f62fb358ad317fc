"""build_app(settings) -> a Bolt App wired to the engine. No side effects at import; tests inject the client."""

from __future__ import annotations

import logging
from concurrent.futures import Executor, ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings
from bot.engine import Engine
from bot.kb.store import KnowledgeStore
from bot.slack import Answerer
from bot.activity.log import ActivityLog
from bot.slack.listeners import FeedbackCallback, register_listeners
from bot.slack.middleware import SeenEvents, dedupe_events, skip_bot_messages

LISTENER_THREADS = 16  # listeners mostly wait (on the answer, the Web API, a 429's Retry-After), so more than cores


def make_client(settings: Settings) -> WebClient:
    """The Web API client: retries rate limits (honouring Retry-After), 5xx answers and dropped connections."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(token=token, base_url=settings.slack_api_url, timeout=30, retry_handlers=[
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ])


def listener_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="slack-listener")


def build_app(settings: Settings, client: WebClient | None = None, engine: Answerer | None = None, *,
              on_feedback: FeedbackCallback | None = None, executor: Executor | None = None,
              activity: ActivityLog | None = None) -> App:
    """The App: acks first and answers on `executor` (the caller owns it and shuts it down)."""
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    app = App(
        client=client or make_client(settings),
        signing_secret=secret,
        request_verification_enabled=secret is not None,  # Socket Mode needs no secret: nothing is signed
        process_before_response=False,
        listener_executor=executor or listener_pool(),
        logger=logging.getLogger("bot.slack"),
    )
    app.middleware(skip_bot_messages)
    app.middleware(dedupe_events(SeenEvents(settings.data_dir / "slack_events.sqlite")))
    register_listeners(app, engine or Engine(KnowledgeStore(settings.kb_path)),
                       slash_command=settings.slash_command, on_feedback=on_feedback, activity=activity,
                       curators=settings.curators)
    return app
