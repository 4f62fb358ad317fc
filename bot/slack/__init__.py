"""The Slack surface: a Bolt app over the engine, served over HTTP (uvicorn) or Socket Mode.

Only `bot.cli` imports this package, and only for `serve` and `manifest`, so the rest of the bot never
loads slack-bolt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.answer import Answer
    from bot.kb.store import KnowledgeStore

EVENTS_PATH = "/slack/events"  # HTTP mode: events, slash commands and interactivity all arrive here


class Answerer(Protocol):
    """What the Slack layer needs of the engine: bot.engine.Engine, or bot.slack.workers.ProcessEngine."""

    store: KnowledgeStore

    def answer(self, question: str) -> Answer: ...
