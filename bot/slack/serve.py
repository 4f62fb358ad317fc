"""Serving the App: Socket Mode when an app-level token is set, else HTTP (Starlette on uvicorn).

HTTP: `POST /slack/events` takes events, slash commands and interactivity; `GET /healthz` tells a load
balancer the bot is up and which knowledge base it answers from. Bolt's dispatch is synchronous, so it runs
in a worker thread: a slow ack then holds one thread, never the event loop and every other request.
Shutdown (SIGTERM or SIGINT) stops taking requests, then waits for answers already being written.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.activity.log import ActivityLog
from bot.config import ConfigError, Settings
from bot.slack import EVENTS_PATH, Answerer
from bot.slack.app import build_app, listener_pool
from bot.slack.http import (
    BACKLOG,
    BODY_TIMEOUT,
    KEEP_ALIVE_SECONDS,
    LIMIT_CONCURRENCY,
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    BodyTooLarge,
    GuardedH11Protocol,
    Refusals,
    raise_open_files_limit,
    read_body,
    signature_problem,
)
from bot.slack.listeners import FeedbackCallback
from bot.slack.payloads import malformed
from bot.slack.workers import ProcessEngine

DEFAULT_HOST = "0.0.0.0"  # Slack must reach it (usually through a TLS proxy in front)
DEFAULT_PORT = 3000
GRACEFUL_SECONDS = 30

log = logging.getLogger("bot.slack")


def serve(settings: Settings, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, http: bool = False) -> None:
    """Socket Mode when an app-level token is set (unless `http` forces HTTP), else HTTP on host:port."""
    if settings.slack_app_token and not http:
        serve_socket(settings)
    else:
        serve_http(settings, host, port)


# -- HTTP -----------------------------------------------------------------------------------------
def asgi_app(app: App, engine: Answerer, on_shutdown: Callable[[], None], signing_secret: str) -> Starlette:
    refusals = Refusals(log)

    async def slack_events(request: Request) -> Response:
        """The door: a signature that is missing, malformed or wrong is refused with 401 before the body is parsed
        or logged; a body over MAX_BODY_BYTES gets 413, one slower than BODY_TIMEOUT 408. A body Bolt cannot parse
        (not UTF-8, not JSON, not an object) or whose shape would make it raise is refused with 400 here: Bolt
        answers 500 to anything that raises."""
        if "x-slack-signature" not in request.headers or "x-slack-request-timestamp" not in request.headers:
            return refuse(401, "no signature headers")
        try:
            body = await read_body(request)
        except BodyTooLarge:
            return refuse(413, f"body larger than {MAX_BODY_BYTES} bytes", close=True)
        except TimeoutError:
            return refuse(408, f"body not received within {BODY_TIMEOUT:.0f} s", close=True)
        except ClientDisconnect:
            return Response(status_code=400)
        problem = signature_problem(signing_secret, request.headers, body)
        if problem is not None:
            return refuse(401, problem)
        try:
            bolt_request = to_bolt_request(request, body)
        except Exception:
            log.info("unparseable request to %s: 400", EVENTS_PATH)
            return JSONResponse({"error": "invalid request"}, status_code=400)
        why = malformed(bolt_request.body)
        if why is not None:
            log.info("malformed payload to %s (%s): 400", EVENTS_PATH, why)
            return JSONResponse({"error": "invalid request"}, status_code=400)
        return to_starlette_response(await run_in_threadpool(app.dispatch, bolt_request))

    def refuse(status: int, reason: str, close: bool = False) -> Response:
        refusals.note(status, reason)  # the reason only: never the body, a header's value or a response_url
        headers = {"connection": "close"} if close else None
        return JSONResponse({"error": "invalid request"}, status_code=status, headers=headers)

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "content_version": engine.store.content_version})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(on_shutdown)

    routes = [Route(EVENTS_PATH, slack_events, methods=["POST"]), Route("/healthz", healthz, methods=["GET"])]
    return Starlette(routes=routes, lifespan=lifespan)


def http_server(
    settings: Settings,
    host: str,
    port: int,
    *,
    client: WebClient | None = None,
    engine: Answerer | None = None,
    on_feedback: FeedbackCallback | None = None,
    activity: ActivityLog | None = None,
) -> uvicorn.Server:
    """A uvicorn server for the App, not yet started (`.run()` blocks; port 0 picks a free one).

    Without an injected engine, answers run in worker processes (bot.slack.workers). Slow and stalled clients
    are bounded (bot.slack.http): a deadline for request heads and bodies, a body size limit, a bound on open
    connections and on requests in flight.
    """
    if settings.slack_signing_secret is None:
        raise ConfigError("SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify requests come from Slack")
    answerer = engine or ProcessEngine(settings.kb_path)
    executor = listener_pool()
    activity = activity or open_activity(settings)
    app = build_app(settings, client, answerer, on_feedback=on_feedback, executor=executor, activity=activity)
    drain = partial(_drain, executor, _own_workers(engine, answerer), activity)
    config = uvicorn.Config(
        asgi_app(app, answerer, drain, settings.slack_signing_secret.get_secret_value()),
        host=host,
        port=port,
        lifespan="on",
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        log_level="info",
        http=GuardedH11Protocol,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        limit_concurrency=LIMIT_CONCURRENCY,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        backlog=BACKLOG,
        log_config=None,
    )  # uvicorn's lines go through our JSON, scrubbed handler too
    return uvicorn.Server(config)


def open_activity(settings: Settings) -> ActivityLog:
    """The question log for this installation, with records past the retention period removed at start."""
    activity = ActivityLog(settings.activity_path, settings.retention_days)
    activity.purge()
    return activity


def _own_workers(injected: Answerer | None, answerer: Answerer) -> ProcessEngine | None:
    """The worker processes this server started (and so stops); an injected engine belongs to its caller."""
    return answerer if injected is None and isinstance(answerer, ProcessEngine) else None


def _drain(executor: ThreadPoolExecutor, workers: ProcessEngine | None, activity: ActivityLog | None = None) -> None:
    """Answers in flight are still posted: wait for the listeners, then stop the worker processes, then let the
    activity log write what it has queued."""
    executor.shutdown(wait=True)
    if workers is not None:
        workers.close()
    if activity is not None:
        activity.close()


def serve_http(settings: Settings, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    files = raise_open_files_limit()
    server = http_server(settings, host, port)  # fails here, before anything is logged, on an unusable setup
    log.info("serving Slack over HTTP on %s:%s%s (up to %d open files)", host, port, EVENTS_PATH, files)
    # uvicorn handles SIGTERM/SIGINT while it runs (graceful shutdown, then the lifespan drain) and afterwards
    # re-raises the signal to the handler it found: this one, so a requested stop exits 0, not "killed by 15".
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: setattr(server, "should_exit", True))
    server.run()


# -- Socket Mode ----------------------------------------------------------------------------------
def serve_socket(
    settings: Settings,
    *,
    client: WebClient | None = None,
    engine: Answerer | None = None,
    on_feedback: FeedbackCallback | None = None,
    stop: threading.Event | None = None,
    activity: ActivityLog | None = None,
) -> None:
    """Dial out to Slack and answer until SIGTERM/SIGINT (or until `stop` is set)."""
    if settings.slack_app_token is None:
        raise ConfigError("SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-…)")
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    answerer = engine or ProcessEngine(settings.kb_path)
    executor = listener_pool()
    activity = activity or open_activity(settings)
    app = build_app(settings, client, answerer, on_feedback=on_feedback, executor=executor, activity=activity)
    handler = SocketModeHandler(app, app_token=settings.slack_app_token.get_secret_value())
    handler.connect()
    log.info("connected to Slack in Socket Mode")
    try:
        stop.wait()
    finally:
        handler.close()  # no new envelopes
        _drain(executor, _own_workers(engine, answerer), activity)
        log.info("Socket Mode connection closed")
