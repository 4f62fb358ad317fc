"""The 👎 modal: a submitted reason, or a dismissed modal, both record the answer as not helpful."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt import Ack, App

from bot.render.blocks import FEEDBACK_MODAL, REASON_BLOCK, REASON_INPUT
from bot.slack.listeners.guard import after_ack
from bot.slack.listeners.replies import feedback

if TYPE_CHECKING:
    from bot.slack.listeners import FeedbackCallback


def register(app: App, on_feedback: FeedbackCallback) -> None:
    @app.view_submission(FEEDBACK_MODAL)
    @after_ack
    def on_reason(ack: Ack, body: dict, view: dict, logger: logging.Logger) -> None:
        ack()
        field = view.get("state", {}).get("values", {}).get(REASON_BLOCK, {}).get(REASON_INPUT, {})
        reason = (field.get("value") or "").strip() or None
        feedback(on_feedback, view["private_metadata"], False, reason, (body.get("user") or {}).get("id"), logger)

    @app.view_closed(FEEDBACK_MODAL)
    @after_ack
    def on_dismissed(ack: Ack, body: dict, view: dict, logger: logging.Logger) -> None:
        ack()
        feedback(on_feedback, view["private_metadata"], False, None, (body.get("user") or {}).get("id"), logger)
