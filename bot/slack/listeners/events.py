"""Events: a mention answers in the message's thread, a direct message answers in the DM.

Every other message subtype (edits, deletions, joins, bot posts) gets a no-op listener: Bolt answers 404
to an event nothing matches, and Slack then delivers it again and again.
"""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.listeners.replies import Asker, post_answer, question_id


def register(app: App, asker: Asker) -> None:
    @app.event("app_mention")
    def on_mention(event: dict, client: WebClient, logger: logging.Logger) -> None:
        channel = event["channel"]
        post_answer(client, asker, logger, question=event.get("text", ""), channel=channel,
                    thread_ts=event.get("thread_ts") or event["ts"], user=event.get("user"),
                    qid=question_id(channel, event["ts"]), surface="mention")

    @app.event({"type": "message", "subtype": None})
    def on_message(event: dict, client: WebClient, logger: logging.Logger) -> None:
        if event.get("channel_type") != "im":
            return  # channel messages reach us only as mentions
        channel = event["channel"]
        post_answer(client, asker, logger, question=event.get("text", ""), channel=channel,
                    thread_ts=event.get("thread_ts"), user=event.get("user"), qid=question_id(channel, event["ts"]),
                    surface="dm")

    @app.event("message")
    def ignore_other_messages() -> None:
        """message_changed, message_deleted, bot_message, channel_join…: acked, not answered."""
