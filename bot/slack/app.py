"""build_app(settings) -> a Bolt App wired to the engine. No side effects at import; tests inject the client."""

from __future__ import annotations

import logging
from concurrent.futures import Executor, ThreadPoolExecutor

from slack_bolt import App
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from bot.activity.log import ActivityLog
from bot.config import Settings
from bot.engine import Engine
from bot.kb.store import KnowledgeStore
from bot.logs import NO_REQUEST_BODIES
from bot.slack import Answerer
from bot.slack.listeners import FeedbackCallback, register_listeners
from bot.slack.middleware import SeenEvents, dedupe_events, skip_bot_messages
from bot.slack.respond import retry_handlers, retrying_respond

# Listeners mostly wait (on the worker process's answer, on the Web API, on a 429's Retry-After or a retry's
# backoff), so far more than cores: a waiting thread costs little. With 16, a soak at 100 events/s with 13% of
# Web API calls failing kept them all asleep in retries, and replies queued behind them (p50 2.2 s instead of 5 ms).
LISTENER_THREADS = 64


class _NotTheTokenWarning(logging.Filter):
    """Drops Bolt's start-up warning that `token` will be unused: Bolt reads SLACK_BOT_TOKEN from the
    environment itself, sees our client as well and warns, yet the client carries that same token. An admin
    reading the log would wonder what is misconfigured; nothing is."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_NOT_THE_TOKEN_WARNING = _NotTheTokenWarning()

# slack_sdk logs the whole body of every request it sends and every answer it gets at DEBUG: an answer, which may
# repeat what the question said. Its loggers never go below INFO, whatever level the bot runs at, so no body is
# logged even when an admin turns on DEBUG; the client's own logger at INFO skips building those lines at all.
WEB_API_LOG = logging.getLogger("bot.slack.web")
WEB_API_LOG.setLevel(logging.INFO)
logging.getLogger("slack_sdk").setLevel(logging.INFO)


def make_client(settings: Settings) -> WebClient:
    """The Web API client: retries rate limits (honouring Retry-After), 5xx answers and dropped connections.

    Without these an answer is lost to the first hiccup: slack_sdk's default retries only a refused or reset
    connection, once. The three handlers share one retry budget per call: slack_sdk counts attempts in a
    single RetryState.current_attempt, and each handler compares that shared count with its own
    max_retry_count. With separate small budgets (2 drops, 3 rate limits, 2 server errors) a 429 then a 500
    then a drop gave up on the third fault although no kind had used its share (4 replies lost in 3000 in
    benchmarks/soak_faults.py), so every handler gets the whole budget. Backoff doubles from 0.5 s (plus
    up to 1 s of jitter); a 429 waits its Retry-After instead.

    The price is a possible duplicate: a 500, or a connection dropped after Slack received the request, may
    come after Slack posted the message, and chat.postMessage has no idempotency key to let a retry say so.
    A rare doubled answer is better than a question silently left unanswered.
    """
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(
        token=token, base_url=settings.slack_api_url, timeout=30, retry_handlers=retry_handlers(), logger=WEB_API_LOG
    )


def slack_problem(settings: Settings) -> str | None:
    """Why the bot cannot start with Slack (unreachable Web API, a token Slack refuses), as one sentence; None
    when auth.test answers. Asked with few retries, so a wrong SLACK_API_URL or a network down is said in a second
    or two, not after the half-minute of retries an answer gets (and not as Bolt's traceback)."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)],
    )
    try:
        client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else exc.response.status_code
        return f"Slack refused the bot token ({error}): check SLACK_BOT_TOKEN and that the app is installed"
    except (OSError, ValueError) as exc:  # URLError, refused or reset connections, timeouts, a malformed URL
        reason = getattr(exc, "reason", None) or exc
        return (
            f"cannot reach the Slack Web API at {settings.slack_api_url} ({reason}); check SLACK_API_URL and "
            "the network"
        )
    return None


def listener_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="slack-listener")


def build_app(
    settings: Settings,
    client: WebClient | None = None,
    engine: Answerer | None = None,
    *,
    on_feedback: FeedbackCallback | None = None,
    executor: Executor | None = None,
    activity: ActivityLog | None = None,
) -> App:
    """The App: acks first and answers on `executor` (the caller owns it and shuts it down)."""
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    logger = logging.getLogger("bot.slack")
    logger.addFilter(_NOT_THE_TOKEN_WARNING)  # added once: addFilter skips a filter already there
    logger.addFilter(NO_REQUEST_BODIES)  # Bolt copies these onto its own loggers (its signature-failure line)
    app = App(
        client=client or make_client(settings),
        signing_secret=secret,
        request_verification_enabled=secret is not None,  # Socket Mode needs no secret: nothing is signed
        process_before_response=False,
        listener_executor=executor or listener_pool(),
        logger=logger,
    )
    app.middleware(skip_bot_messages)
    app.middleware(retrying_respond)
    app.middleware(dedupe_events(SeenEvents(settings.data_dir / "slack_events.sqlite")))
    register_listeners(
        app,
        engine or Engine(KnowledgeStore(settings.kb_path)),
        slash_command=settings.slash_command,
        on_feedback=on_feedback,
        activity=activity,
        curators=settings.curators,
    )
    return app
