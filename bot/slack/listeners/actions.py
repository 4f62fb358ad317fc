"""Buttons on an answer: share it in the channel, ask a suggested question, 👍 / 👎 (Slack's feedback_buttons).

Share posts the answer, not the question: the question was asked privately (a slash command) and may hold what
the redactor would remove, so the shared copy says who shared it instead. A vote is recorded per person and
answer (a replay or a change of mind replaces the earlier one); 👎 opens a modal asking why.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.render.blocks import (
    FEEDBACK_ACTION,
    HELPFUL_ACTION,
    SHARE_ACTION,
    SUGGESTION_PATTERN,
    UNHELPFUL_ACTION,
    answer_message,
    apology_message,
    feedback_modal,
    parse_feedback,
)
from bot.slack.listeners.guard import after_ack
from bot.slack.listeners.replies import (
    Asker,
    deliver,
    feedback,
    for_channel,
    post_answer,
    question_id,
    without_identifiers,
)
from bot.slack.text import bounded, unescape, user_id

if TYPE_CHECKING:
    from bot.slack.listeners import FeedbackCallback

REFUSED_CHANNEL = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}
NOT_SHAREABLE = (
    "This answer is all about details of your question that look like patient identifiers, so I did "
    "not share it. Ask again without them and share that answer."
)


def register(app: App, asker: Asker, on_feedback: FeedbackCallback) -> None:
    @app.action(SHARE_ACTION)
    @after_ack
    def on_share(
        ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, logger: logging.Logger
    ) -> None:
        ack()
        channel, user = body["channel"]["id"], body["user"]["id"]
        question = bounded(unescape(action["value"]))
        asked = asker.ask(question, logger, fallback_id=question_id(channel, action["action_ts"]))
        if asked.answer is None:
            respond(response_type="ephemeral", replace_original=False, **apology_message())
            return
        shareable = without_identifiers(for_channel(asked.answer), question)
        if shareable is None:
            respond(response_type="ephemeral", replace_original=False, text=NOT_SHAREABLE)
            asker.record(asked, "action", user, channel)
            return
        message = answer_message(shareable, question_id=asked.qid, shared_by=user_id(user))
        refused: list[str] = []

        def send(attempt: dict) -> Any:
            try:
                return client.chat_postMessage(channel=channel, **attempt)
            except SlackApiError as exc:
                if exc.response.get("error") in REFUSED_CHANNEL:
                    refused.append(str(exc.response.get("error")))
                raise

        try:
            if deliver(send, message, logger):
                respond(delete_original=True)
            elif refused:
                respond(
                    response_type="ephemeral",
                    replace_original=False,
                    text=f"I could not post in this channel ({refused[0]}). Invite me to it and try again.",
                )
        finally:
            asker.record(asked, "action", user, channel)

    @app.action(re.compile(SUGGESTION_PATTERN))
    @after_ack
    def on_suggestion(
        ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, logger: logging.Logger
    ) -> None:
        ack()
        question, channel, user = bounded(action["value"]), body["channel"]["id"], body["user"]["id"]
        qid = question_id(channel, action["action_ts"])
        if body.get("container", {}).get("is_ephemeral"):  # a slash-command answer: replace it in place
            asked = asker.ask(question, logger, fallback_id=qid)
            reply = (
                apology_message()
                if asked.answer is None
                else answer_message(asked.answer, question_id=asked.qid, share=True, echo_question=True)
            )
            try:
                deliver(lambda m: respond(response_type="ephemeral", replace_original=True, **m), reply, logger)
            finally:
                asker.record(asked, "action", user, channel)
            return
        message = body.get("message", {})
        thread_ts = message.get("thread_ts") or (None if channel.startswith("D") else message.get("ts"))
        post_answer(
            client,
            asker,
            logger,
            question=question,
            channel=channel,
            thread_ts=thread_ts,
            user=user,
            qid=qid,
            surface="action",
        )

    @app.action(FEEDBACK_ACTION)
    @after_ack
    def on_feedback_buttons(
        ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, logger: logging.Logger
    ) -> None:
        ack()
        vote = parse_feedback(str(action.get("value") or ""))
        if vote is None:
            return
        helpful, qid = vote
        if helpful:
            feedback(on_feedback, qid, True, None, body["user"]["id"], logger)
            respond(response_type="ephemeral", replace_original=False, text="Thanks for the feedback.")
        else:
            ask_why(client, body, qid, logger)

    def ask_why(client: WebClient, body: dict, qid: str, logger: logging.Logger) -> None:
        """The 👎 modal (trigger ids last 3 s); if Slack will not open it, the vote is recorded without a reason
        rather than lost."""
        try:
            client.views_open(trigger_id=body["trigger_id"], view=feedback_modal(qid))
        except (SlackApiError, KeyError) as exc:
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else "no trigger_id"
            logger.warning("could not open the feedback modal (%s): the vote is recorded without a reason", error)
            feedback(on_feedback, qid, False, None, body["user"]["id"], logger)

    # the buttons of answers posted before the feedback_buttons element
    @app.action(HELPFUL_ACTION)
    @after_ack
    def on_helpful(ack: Ack, body: dict, action: dict, respond: Respond, logger: logging.Logger) -> None:
        ack()
        feedback(on_feedback, action["value"], True, None, body["user"]["id"], logger)
        respond(response_type="ephemeral", replace_original=False, text="Thanks for the feedback.")

    @app.action(UNHELPFUL_ACTION)
    @after_ack
    def on_unhelpful(ack: Ack, body: dict, action: dict, client: WebClient, logger: logging.Logger) -> None:
        ack()
        ask_why(client, body, action["value"], logger)
