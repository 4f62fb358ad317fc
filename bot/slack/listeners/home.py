"""App Home: publish how to ask, examples, and the knowledge base version and source editions.

The bot is named as it is installed (auth.test's user name, asked once), not as the manifest suggested.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.activity.log import ActivityLog
from bot.activity.report import build_report, render_report
from bot.render.blocks import home_view
from bot.slack import Answerer

CURATOR_DAYS = 7


class BotName:
    """The bot user's name in this workspace, from auth.test, asked once (a failure is asked again next time)."""

    def __init__(self) -> None:
        self._name: str | None = None
        self._lock = threading.Lock()

    def get(self, client: WebClient, logger: logging.Logger) -> str:
        with self._lock:
            if self._name is None:
                try:
                    self._name = str(client.auth_test().get("user") or "") or None
                except SlackApiError as exc:
                    logger.warning(
                        "auth.test failed (%s): App Home says 'me' for the bot's name", exc.response.get("error")
                    )
            return self._name or "me"


def register(
    app: App,
    engine: Answerer,
    slash_command: str,
    examples: list[str],
    activity: ActivityLog | None = None,
    curators: tuple[str, ...] = (),
) -> None:
    store = engine.store  # read-only for the life of the process: the view is built once per name
    primary = [s for s in store.sources.values() if s.kind == "primary"]
    release = store.pfs_release
    view_args: dict[str, Any] = dict(
        command=slash_command,
        examples=examples,
        content_version=store.content_version,
        pfs_release=f"{release['title']} (released {release['released']})",
        editions=[(s.title, s.edition) for s in primary],
        other_sources=len(store.sources) - len(primary),
    )
    name = BotName()

    @app.event("app_home_opened")
    def on_home_opened(event: dict, client: WebClient, logger: logging.Logger) -> None:
        if event.get("tab") != "home":
            return  # the Messages tab fires this event too
        args = {**view_args, "bot_name": name.get(client, logger)}
        if activity is not None and event["user"] in curators:  # coding leads also see what went unanswered
            try:
                args["curator_summary"] = render_report(build_report(activity, CURATOR_DAYS), limit=5)
            except sqlite3.Error as exc:
                logger.warning("App Home without the curator summary: the activity database cannot be read (%s)", exc)
        try:
            client.views_publish(user_id=event["user"], view=home_view(**args))
        except SlackApiError as exc:  # App Home stays as it was; nothing else depends on it
            logger.warning("could not publish App Home: %s", exc.response.get("error"))
