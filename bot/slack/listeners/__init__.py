"""Listeners, one module per kind of Slack request; each parses, asks the engine and replies."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App

from bot.activity.log import ActivityLog
from bot.nlu.phi import redact
from bot.slack import Answerer
from bot.slack.listeners import actions, commands, events, home, views
from bot.slack.listeners.replies import Asker

FeedbackCallback = Callable[[str, bool, str | None, str | None], None]
"""on_feedback(question_id, helpful, reason, user): where 👍/👎 go (the activity database, one vote per user)."""

_log = logging.getLogger("bot.slack.feedback")


def log_feedback(question_id: str, helpful: bool, reason: str | None, user: str | None = None) -> None:
    """The default sink (the activity database takes its place when wired); the reason is logged redacted."""
    _log.info("feedback on %s: helpful=%s reason=%r", question_id, helpful, redact(reason) if reason else None)


def activity_feedback(activity: ActivityLog) -> FeedbackCallback:
    """Feedback into the activity database, next to the question it is about (the reason is redacted there)."""

    def record(question_id: str, helpful: bool, reason: str | None, user: str | None = None) -> None:
        activity.record_feedback(question_id, helpful, reason, user)

    return record


def register_listeners(
    app: App,
    engine: Answerer,
    *,
    slash_command: str,
    on_feedback: FeedbackCallback | None,
    activity: ActivityLog | None = None,
    curators: tuple[str, ...] = (),
) -> None:
    """`on_feedback` None: feedback goes to the activity database when there is one, else to the log."""
    asker = Asker(engine, activity)
    feedback = on_feedback or (activity_feedback(activity) if activity else log_feedback)
    examples = engine.answer("help").suggestions  # the engine's own examples, fixed per knowledge base
    events.register(app, asker, examples)
    commands.register(app, asker, slash_command, examples)
    actions.register(app, asker, feedback)
    views.register(app, feedback)
    home.register(app, engine, slash_command, examples, activity, curators)
    events.register_fallbacks(app)  # last: whatever nothing above took is acked, never a 404
