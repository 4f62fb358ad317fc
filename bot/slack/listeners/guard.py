"""Listeners that acknowledge first never raise afterwards.

When a listener that called ack() raises, Bolt's thread runner (slack-bolt 1.x, ThreadListenerRunner) sets the
acknowledgement it already holds back to None; if the HTTP thread has not read it yet, it waits out the 3 s ack
timeout and answers 404 or 500, although the request was acknowledged and Slack will retry it. What fails after
the ack (a response_url that cannot be reached, a button payload without a channel) can only be logged: the
request itself was fine. Before the ack nothing is swallowed, so Bolt still answers a failure as one.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

Listener = TypeVar("Listener", bound=Callable[..., Any])

log = logging.getLogger("bot.slack")


def after_ack(listener: Listener) -> Listener:
    """`listener`, whose exceptions once it has acknowledged are logged (the traceback, never the payload)."""

    @functools.wraps(listener)  # Bolt reads the arguments to inject from the unwrapped function
    def guarded(**kwargs: Any) -> Any:
        try:
            return listener(**kwargs)
        except Exception:
            ack = kwargs.get("ack")
            if ack is None or ack.response is None:
                raise
            kwargs.get("logger", log).exception("%s failed after acknowledging", listener.__name__)
            return None

    return guarded  # type: ignore[return-value]
