"""Listeners, one module per kind of Slack request; each parses, asks the engine and replies."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App

from bot.nlu.phi import redact
from bot.slack import Answerer
from bot.slack.listeners import actions, commands, events, home, views

FeedbackCallback = Callable[[str, bool, str | None], None]
"""on_feedback(question_id, helpful, reason): where 👍/👎 go (issue 5 stores them in the activity database)."""

_log = logging.getLogger("bot.slack.feedback")


def log_feedback(question_id: str, helpful: bool, reason: str | None) -> None:
    """The default sink (the activity database takes its place when wired); the reason is logged redacted."""
    _log.info("feedback on %s: helpful=%s reason=%r", question_id, helpful, redact(reason) if reason else None)


def register_listeners(app: App, engine: Answerer, *, slash_command: str, on_feedback: FeedbackCallback) -> None:
    events.register(app, engine)
    commands.register(app, engine, slash_command)
    actions.register(app, engine, on_feedback)
    views.register(app, on_feedback)
    home.register(app, engine, slash_command)
