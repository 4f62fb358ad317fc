"""The slash command: ack at once, then answer privately through response_url with a Share button."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, Respond

from bot.render.blocks import answer_message, apology_message, usage_message
from bot.slack.listeners.replies import Asker, question_id

HELP_WORDS = {"", "help", "?", "-h", "--help"}


def register(app: App, asker: Asker, name: str) -> None:
    usage = usage_message(name, asker.engine.answer("help").suggestions)  # the engine's own examples, fixed per KB

    @app.command(name)
    def on_command(ack: Ack, command: dict, respond: Respond, logger: logging.Logger) -> None:
        text = (command.get("text") or "").strip()
        if text.lower() in HELP_WORDS:
            ack(**usage)
            return
        ack()  # Slack gives up after 3 s; the answer follows through response_url
        answer, qid = asker.ask(text, logger, "command", user=command.get("user_id"), channel=command.get("channel_id"),
                                fallback_id=question_id(command.get("channel_id", ""), command.get("trigger_id", "")))
        if answer is None:
            respond(response_type="ephemeral", **apology_message())
            return
        respond(response_type="ephemeral", **answer_message(answer, question_id=qid, share=True, echo_question=True))
