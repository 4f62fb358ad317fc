"""What every listener does after parsing: ask the engine without letting it fail silently, and post."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.activity.log import ActivityLog, answer_and_log
from bot.answer import Answer
from bot.engine import PHI_REMINDER
from bot.render.blocks import answer_message, apology_message
from bot.slack import Answerer

if TYPE_CHECKING:
    from bot.slack.listeners import FeedbackCallback


def question_id(channel: str, ts: str) -> str:
    """Identifies the question for feedback: the channel and the asking message's ts (or the trigger id)."""
    return f"{channel}/{ts}"


@dataclass(frozen=True)
class Asker:
    """The engine and the activity log together: every Slack question is answered and recorded one way."""

    engine: Answerer
    activity: ActivityLog | None = None

    def ask(self, question: str, logger: logging.Logger, surface: str, *, fallback_id: str,
            user: str | None = None, channel: str | None = None) -> tuple[Answer | None, str]:
        """The answer (None when the engine raised, so the caller apologises) and the id feedback refers to."""
        try:
            answer, qid = answer_and_log(self.engine, self.activity, question, surface, user, channel)
        except Exception:
            logger.exception("the engine failed on a question")  # the traceback, never the question text
            return None, fallback_id
        return answer, qid or fallback_id


def record(on_feedback: FeedbackCallback, qid: str, helpful: bool, reason: str | None,
           logger: logging.Logger) -> None:
    """Feedback storage failing must not turn into an error the user sees."""
    try:
        on_feedback(qid, helpful, reason)
    except Exception:
        logger.exception("recording feedback failed")


def for_channel(answer: Answer) -> Answer:
    """In a shared place the PHI reminder goes privately to the asker instead of into the thread."""
    if not answer.phi_detected:
        return answer
    return answer.model_copy(update={"text": answer.text.replace(PHI_REMINDER, "").rstrip()})


def post_answer(client: WebClient, asker: Asker, logger: logging.Logger, *, question: str, channel: str,
                thread_ts: str | None, user: str | None, qid: str, surface: str) -> None:
    """Answer in the channel (in the thread when given); remind the asker privately when it held PHI."""
    answer, qid = asker.ask(question, logger, surface, fallback_id=qid, user=user, channel=channel)
    if answer is None:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, **apology_message())
        return
    message = answer_message(for_channel(answer), question_id=qid)
    client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message)
    if answer.phi_detected and user:
        try:
            client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=PHI_REMINDER)
        except SlackApiError as exc:  # the answer is out; a missing reminder must not look like a failure
            logger.warning("could not send the PHI reminder: %s", exc.response.get("error"))
