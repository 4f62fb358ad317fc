"""respond() with retries: answers that go back through a response_url must ride out the same faults as the
Web API client's calls.

Bolt's own `respond` sends once: the slash command's answer, the Share button's outcome and every button's
ephemeral reply go through response_url, so one 429, 500 or dropped connection on that post lost the answer
while the same fault on chat.postMessage was retried. A global middleware puts this one in its place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk.http_retry import RetryHandler, RetryIntervalCalculator
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import default_interval_calculator
from slack_sdk.webhook import WebhookClient, WebhookResponse

from bot.logs import NO_REQUEST_BODIES

# slack_sdk's webhook client logs the response_url it retries (at INFO whenever its logger's level is unset): a
# capability to post as the bot for 30 minutes. Its own logger, at INFO, skips those lines; the filter rewrites
# the ones it logs regardless.
_WEBHOOK_LOG = logging.getLogger("bot.slack.respond")
_WEBHOOK_LOG.setLevel(logging.INFO)
_WEBHOOK_LOG.addFilter(NO_REQUEST_BODIES)

# per call, whatever mix of faults; every handler gets the whole budget (see make_client for why)
RETRIES = 6
TIMEOUT_SECONDS = 30


def retry_handlers(interval: RetryIntervalCalculator | None = None) -> list[RetryHandler]:
    """Retries for dropped connections, 429s (honouring Retry-After) and 5xx answers; backoff doubles from
    0.5 s (plus up to 1 s of jitter) unless `interval` says otherwise."""
    every = interval or default_interval_calculator
    return [
        ConnectionErrorRetryHandler(max_retry_count=RETRIES, interval_calculator=every),
        RateLimitErrorRetryHandler(max_retry_count=RETRIES, interval_calculator=every),
        ServerErrorRetryHandler(max_retry_count=RETRIES, interval_calculator=every),
    ]


class RetryingRespond(Respond):
    """Bolt's Respond, sending through a WebhookClient that retries."""

    interval: RetryIntervalCalculator | None = None  # the default backoff; tests shorten it

    def __call__(self, text: str = "", blocks: Any = None, **message: Any) -> WebhookResponse:  # type: ignore[override]
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        client = WebhookClient(
            url=self.response_url,
            proxy=self.proxy,
            ssl=self.ssl,
            timeout=TIMEOUT_SECONDS,
            retry_handlers=retry_handlers(self.interval),
            logger=_WEBHOOK_LOG,
        )
        return client.send(text=text, blocks=blocks, **message)


def retrying_respond(context: BoltContext, next: Callable[[], None]) -> None:
    """Global middleware: listeners asking for `respond` get the retrying one."""
    if context.response_url:
        context["respond"] = RetryingRespond(response_url=context.response_url)
    next()
