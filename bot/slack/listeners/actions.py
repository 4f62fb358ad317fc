"""Buttons on an answer: share it in the channel, ask a suggested question, 👍 / 👎."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.render.blocks import (
    HELPFUL_ACTION,
    SHARE_ACTION,
    SUGGESTION_PATTERN,
    UNHELPFUL_ACTION,
    answer_message,
    apology_message,
    feedback_modal,
    unescape,
)
from bot.slack.listeners.replies import Asker, for_channel, post_answer, question_id, record

if TYPE_CHECKING:
    from bot.slack.listeners import FeedbackCallback


def register(app: App, asker: Asker, on_feedback: FeedbackCallback) -> None:
    @app.action(SHARE_ACTION)
    def on_share(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond,
                 logger: logging.Logger) -> None:
        ack()
        channel = body["channel"]["id"]
        answer, qid = asker.ask(unescape(action["value"]), logger, "action", user=body["user"]["id"], channel=channel,
                                fallback_id=question_id(channel, action["action_ts"]))
        if answer is None:
            respond(response_type="ephemeral", replace_original=False, **apology_message())
            return
        message = answer_message(for_channel(answer), question_id=qid, echo_question=not answer.phi_detected)
        try:
            client.chat_postMessage(channel=channel, **message)
        except SlackApiError as exc:
            error = exc.response.get("error")
            respond(response_type="ephemeral", replace_original=False,
                    text=f"I could not post in this channel ({error}). Invite me to it and try again.")
            return
        respond(delete_original=True)

    @app.action(re.compile(SUGGESTION_PATTERN))
    def on_suggestion(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond,
                      logger: logging.Logger) -> None:
        ack()
        question, channel = action["value"], body["channel"]["id"]
        qid = question_id(channel, action["action_ts"])
        if body.get("container", {}).get("is_ephemeral"):  # a slash-command answer: replace it in place
            answer, qid = asker.ask(question, logger, "action", user=body["user"]["id"], channel=channel,
                                    fallback_id=qid)
            reply = apology_message() if answer is None else answer_message(answer, question_id=qid, share=True,
                                                                             echo_question=True)
            respond(response_type="ephemeral", replace_original=True, **reply)
            return
        message = body.get("message", {})
        thread_ts = message.get("thread_ts") or (None if channel.startswith("D") else message.get("ts"))
        post_answer(client, asker, logger, question=question, channel=channel, thread_ts=thread_ts,
                    user=body["user"]["id"], qid=qid, surface="action")

    @app.action(HELPFUL_ACTION)
    def on_helpful(ack: Ack, action: dict, respond: Respond, logger: logging.Logger) -> None:
        ack()
        record(on_feedback, action["value"], True, None, logger)
        respond(response_type="ephemeral", replace_original=False, text="Thanks for the feedback.")

    @app.action(UNHELPFUL_ACTION)
    def on_unhelpful(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=feedback_modal(action["value"]))  # trigger ids last 3 s
