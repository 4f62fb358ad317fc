"""Events: a mention answers in the message's thread, a direct message answers in the DM.

A direct message that carries a file (a screenshot and a question: subtype file_share) is answered from its
text. A mention typed in the bot's own DM arrives twice, as app_mention and as message.im: the DM answers it,
the mention is left alone. Every other message subtype (edits, deletions, joins, bot posts) and every other
event type gets a no-op listener: Bolt answers 404 to an event nothing matches, and Slack then delivers it
again and again (assistant_thread_started, subscribed as Slack's AI-app guide says, did exactly that).

In the assistant surface (the AI app's split view), a new thread gets the suggested questions, and while an
answer is being worked out the thread shows a status.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.listeners.replies import Asker, post_answer, question_id
from bot.slack.text import question_from

ANSWERED_SUBTYPES = (None, "file_share")  # a person's message, with or without files
STATUS = "is looking that up…"
MAX_PROMPTS = 4


def is_dm(channel: str | None, channel_type: str | None = None) -> bool:
    return channel_type == "im" or (channel or "").startswith("D")


class AssistantThreads:
    """The assistant threads opened since start (their status is set while answering); bounded."""

    def __init__(self, limit: int = 10_000) -> None:
        self._threads: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def add(self, channel: str, thread_ts: str) -> None:
        with self._lock:
            self._threads[(channel, thread_ts)] = None
            while len(self._threads) > self._limit:
                self._threads.popitem(last=False)

    def __contains__(self, key: tuple[str, str]) -> bool:
        with self._lock:
            return key in self._threads


def register(app: App, asker: Asker, examples: list[str] | None = None) -> None:
    threads = AssistantThreads()

    @app.event("app_mention")
    def on_mention(event: dict, client: WebClient, context: BoltContext, logger: logging.Logger) -> None:
        channel = event["channel"]
        if is_dm(channel, event.get("channel_type")):
            return  # the same words arrive as message.im, which answers them
        post_answer(
            client,
            asker,
            logger,
            question=question_from(event.get("text"), context.bot_user_id),
            channel=channel,
            thread_ts=event.get("thread_ts") or event["ts"],
            user=event.get("user"),
            qid=question_id(channel, event["ts"]),
            surface="mention",
        )

    @app.event({"type": "message", "subtype": ANSWERED_SUBTYPES})
    def on_message(event: dict, client: WebClient, context: BoltContext, logger: logging.Logger) -> None:
        if event.get("channel_type") != "im":
            return  # channel messages reach us only as mentions
        channel, thread_ts = event["channel"], event.get("thread_ts")
        text = question_from(event.get("text"), context.bot_user_id)
        if not text.strip() and event.get("subtype") == "file_share":
            return  # a file with no words: nothing to answer (and no "ask me a question" to a screenshot)
        status = None
        if thread_ts and (channel, thread_ts) in threads:

            def status() -> None:
                try:
                    client.assistant_threads_setStatus(channel_id=channel, thread_ts=thread_ts, status=STATUS)
                except SlackApiError as exc:  # a status is a nicety: the answer goes out regardless
                    logger.debug("could not set the assistant status: %s", exc.response.get("error"))

        post_answer(
            client,
            asker,
            logger,
            question=text,
            channel=channel,
            thread_ts=thread_ts,
            user=event.get("user"),
            qid=question_id(channel, event["ts"]),
            surface="dm",
            status=status,
        )

    @app.event("message")
    def ignore_other_messages() -> None:
        """message_changed, message_deleted, bot_message, channel_join…: acked, not answered."""

    @app.event("assistant_thread_started")
    def on_assistant_thread(event: dict, client: WebClient, logger: logging.Logger) -> None:
        thread = event.get("assistant_thread") or {}
        channel, thread_ts = thread.get("channel_id"), thread.get("thread_ts")
        if not (isinstance(channel, str) and isinstance(thread_ts, str)):
            return
        threads.add(channel, thread_ts)
        prompts = [{"title": e[:75], "message": e} for e in (examples or [])[:MAX_PROMPTS]]
        if prompts:
            try:
                client.assistant_threads_setSuggestedPrompts(
                    channel_id=channel, thread_ts=thread_ts, title="Try asking", prompts=prompts
                )
            except SlackApiError as exc:
                logger.debug("could not set suggested prompts: %s", exc.response.get("error"))

    @app.event("assistant_thread_context_changed")
    def ignore_context_change() -> None:
        """The user moved to another channel beside the assistant: our answers do not depend on it."""


def register_fallbacks(app: App) -> None:
    """Registered last: any event, click, modal or command nothing else took is acked, never answered 404."""

    @app.event(re.compile(".*"))
    def ignore_other_events() -> None:
        """reaction_added, member_joined_channel, app_uninstalled…: acked."""

    @app.action(re.compile(".*"))
    def ignore_other_actions(ack: Ack) -> None:
        ack()

    @app.view(re.compile(".*"))
    def ignore_other_views(ack: Ack) -> None:
        ack()

    @app.view_closed(re.compile(".*"))
    def ignore_other_closed_views(ack: Ack) -> None:
        ack()

    @app.shortcut(re.compile(".*"))
    def ignore_shortcuts(ack: Ack) -> None:
        ack()
