"""App Home: publish how to ask, examples, and the knowledge base version and source editions."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.activity.log import ActivityLog
from bot.activity.report import build_report, render_report
from bot.render.blocks import home_view
from bot.slack import Answerer

CURATOR_DAYS = 7


def register(app: App, engine: Answerer, slash_command: str, activity: ActivityLog | None = None,
             curators: tuple[str, ...] = ()) -> None:
    store = engine.store  # read-only for the life of the process: the view is built once
    primary = [s for s in store.sources.values() if s.kind == "primary"]
    release = store.pfs_release
    view_args = dict(
        command=slash_command,
        examples=engine.answer("help").suggestions,
        content_version=store.content_version,
        pfs_release=f"{release['title']} (released {release['released']})",
        editions=[(s.title, s.edition) for s in primary],
        other_sources=len(store.sources) - len(primary),
    )
    view = home_view(**view_args)

    @app.event("app_home_opened")
    def on_home_opened(event: dict, client: WebClient) -> None:
        if event.get("tab") != "home":
            return  # the Messages tab fires this event too
        if activity is not None and event["user"] in curators:  # coding leads also see what went unanswered
            summary = render_report(build_report(activity, CURATOR_DAYS), limit=5)
            client.views_publish(user_id=event["user"], view=home_view(**view_args, curator_summary=summary))
            return
        client.views_publish(user_id=event["user"], view=view)
