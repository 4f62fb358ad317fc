"""The slash command: ack at once, then answer privately through response_url with a Share button.

The text is Slack's, escaped (bot.slack.text); the answer goes out after the ack, on the listener pool, and the
question is recorded after the answer. A replayed command (the same trigger_id) is dropped by the dedupe
middleware before it gets here.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.render.blocks import answer_message, apology_message, usage_message
from bot.slack.listeners.guard import after_ack
from bot.slack.listeners.replies import Asker, deliver, question_id
from bot.slack.text import question_from

HELP_WORDS = {"", "help", "?", "-h", "--help"}


def register(app: App, asker: Asker, name: str, examples: list[str]) -> None:
    usage = usage_message(name, examples)  # the engine's own examples, fixed per KB

    @app.command(name)
    @after_ack
    def on_command(ack: Ack, command: dict, respond: Respond, logger: logging.Logger) -> None:
        text = question_from(command.get("text")).strip()
        if text.lower() in HELP_WORDS:
            ack(**usage)
            return
        ack()  # Slack gives up after 3 s; the answer follows through response_url
        channel = command.get("channel_id")
        asked = asker.ask(text, logger, fallback_id=question_id(channel or "", command.get("trigger_id", "")))

        def send(message: dict) -> Any:
            return respond(response_type="ephemeral", **message)

        try:
            if asked.answer is None:
                deliver(send, apology_message(), logger)
                return
            deliver(send, answer_message(asked.answer, question_id=asked.qid, share=True, echo_question=True), logger)
        finally:
            asker.record(asked, "command", command.get("user_id"), channel)
