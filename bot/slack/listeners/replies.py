"""What every listener does after parsing: ask the engine without letting it fail silently, post the reply,
then record the question.

The reply goes first; the question is recorded after it (queued for the activity log's writer thread, which
redacts and stores it), so nothing about bookkeeping ever delays or prevents an answer.

When Slack refuses a message (invalid_blocks, msg_blocks_too_long...), nothing used to follow: now the plain
text of the answer is posted instead, and if Slack refuses that too, a short apology.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.activity.log import ActivityLog, record
from bot.answer import Answer
from bot.engine import PHI_REMINDER
from bot.nlu.phi import find_phi
from bot.render.blocks import answer_message, apology_message
from bot.slack import Answerer

if TYPE_CHECKING:
    from bot.slack.listeners import FeedbackCallback

# Slack's answers to a message it will not show: the blocks (then try the text alone) or the text (then apologise)
REFUSED_BLOCKS = {
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_blocks_too_long",
    "too_many_blocks",
    "invalid_attachments",
    "too_many_attachments",
}
REFUSED_TEXT = {"msg_too_long", "no_text", "invalid_arguments", "invalid_metadata_format"}


def question_id(channel: str, ts: str) -> str:
    """Identifies the question for feedback: the channel and the asking message's ts (or the trigger id)."""
    return f"{channel}/{ts}"


@dataclass(frozen=True)
class Asked:
    """An answer (None when the engine raised, so the caller apologises), the id feedback refers to, and how
    long answering took."""

    answer: Answer | None
    qid: str
    latency_ms: float


@dataclass(frozen=True)
class Asker:
    """The engine and the activity log together: every Slack question is answered and recorded one way."""

    engine: Answerer
    activity: ActivityLog | None = None

    def ask(self, question: str, logger: logging.Logger, *, fallback_id: str) -> Asked:
        started = time.perf_counter()
        try:
            answer = self.engine.answer(question)
        except Exception:
            logger.exception("the engine failed on a question")  # the traceback, never the question text
            return Asked(None, fallback_id, 0.0)
        qid = self.activity.new_id() if self.activity is not None else fallback_id
        return Asked(answer, qid, (time.perf_counter() - started) * 1000)

    def record(self, asked: Asked, surface: str, user: str | None, channel: str | None) -> None:
        """After the reply: queue the question (redacted and written by the activity log's writer)."""
        if asked.answer is not None:
            record(self.activity, asked.answer, surface, asked.latency_ms, user, channel, qid=asked.qid)


def feedback(
    on_feedback: FeedbackCallback, qid: str, helpful: bool, reason: str | None, user: str | None, logger: logging.Logger
) -> None:
    """Feedback storage failing must not turn into an error the user sees."""
    try:
        on_feedback(qid, helpful, reason, user)
    except Exception:
        logger.exception("recording feedback failed")


def for_channel(answer: Answer) -> Answer:
    """In a shared place the PHI reminder goes privately to the asker instead of into the thread."""
    if not answer.phi_detected:
        return answer
    return answer.model_copy(update={"text": answer.text.replace(PHI_REMINDER, "").rstrip()})


def without_identifiers(answer: Answer, question: str) -> Answer | None:
    """The answer without what it repeats of the question's identifiers (a record number read as a code: '88417
    is not in the knowledge base'), for a copy shared beyond the asker: the lines, codes and suggestions that name
    one are left out. None when nothing of the answer would be left."""
    found = {question[f.start : f.end].strip() for f in find_phi(question)}
    found = {v for v in found if len(v) >= 3}
    if not found:
        return answer
    pattern = re.compile("|".join(rf"(?<![\w-]){re.escape(v)}(?![\w-])" for v in sorted(found, key=len, reverse=True)))
    lines = [line for line in answer.text.splitlines() if not pattern.search(line)]
    if not any(line.strip() for line in lines):
        return None
    return answer.model_copy(
        update={
            "text": "\n".join(lines),
            "codes": [c for c in answer.codes if not pattern.search(c)],
            "modifiers": [m for m in answer.modifiers if not pattern.search(m)],
            "suggestions": [q for q in answer.suggestions if not pattern.search(q)],
        }
    )


def deliver(send: Callable[[dict], Any], message: dict, logger: logging.Logger) -> bool:
    """Send `message`; if Slack refuses its blocks, its text alone; if it refuses that, a short apology.
    `send` raises SlackApiError (chat.postMessage) or returns a response with a status and body (response_url).
    True when something reached the user."""
    attempts = [message, {k: v for k, v in message.items() if k != "blocks"}, apology_message()]
    for n, attempt in enumerate(attempts):
        try:
            response = send(attempt)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "")
        else:
            status = getattr(response, "status_code", 200)
            if status == 200:
                if n:
                    logger.warning("Slack refused an answer; sent %s instead", "its text" if n == 1 else "an apology")
                return True
            error = str(getattr(response, "body", "") or status).strip()
        if error not in (REFUSED_BLOCKS if n == 0 else REFUSED_BLOCKS | REFUSED_TEXT):
            logger.warning("Slack did not take a reply: %s", error[:100])  # not the message's fault: stop
            return False
        if n == 0 and "blocks" not in message:
            continue  # there were no blocks to leave out
    logger.warning("Slack refused an answer, its text and the apology")
    return False


def post_answer(
    client: WebClient,
    asker: Asker,
    logger: logging.Logger,
    *,
    question: str,
    channel: str,
    thread_ts: str | None,
    user: str | None,
    qid: str,
    surface: str,
    status: Callable[[], None] | None = None,
) -> None:
    """Answer in the channel (in the thread when given); remind the asker privately when it held PHI; then
    record the question. `status`, when given, is called before answering (the assistant's 'thinking')."""
    if status is not None:
        status()
    asked = asker.ask(question, logger, fallback_id=qid)

    def send(message: dict) -> Any:
        return client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message)

    try:
        if asked.answer is None:
            deliver(send, apology_message(), logger)
            return
        deliver(send, answer_message(for_channel(asked.answer), question_id=asked.qid), logger)
        if asked.answer.phi_detected and user:
            try:
                client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=PHI_REMINDER)
            except SlackApiError as exc:  # the answer is out; a missing reminder must not look like a failure
                logger.warning("could not send the PHI reminder: %s", exc.response.get("error"))
    finally:
        asker.record(asked, surface, user, channel)
