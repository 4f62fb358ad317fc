"""Issue 5 through the real server: questions land in the activity database redacted, feedback beside them,
curators see the gaps in App Home, and no planted identifier reaches the database or the logs."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.slack.serve import http_server
from tests.slack.fake_slack import (
    HUMAN,
    SIGNING_SECRET,
    FakeSlack,
    app_mention,
    block_actions_body,
    event_callback,
    feedback_click,
)
from tests.slack.harness import ServerThread, request, signed_headers, wait_until

LEAD = "U0LEAD"
PLANTED = ["Margot Delacroix-Hale", "02/17/1958", "88442211", "555-201-7788"]


@pytest.fixture
def curator_settings(fake_slack: FakeSlack, tmp_path: Path) -> Settings:
    return Settings(
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.base_url,
        data_dir=tmp_path / "data",
        curators=(LEAD,),
    )


@pytest.fixture
def default_server(curator_settings: Settings, engine) -> Iterator[ServerThread]:
    """The server as `coding-bot serve --http` wires it: activity database and feedback sink by default."""
    server = ServerThread(http_server(curator_settings, "127.0.0.1", 0, engine=engine)).start()
    yield server
    if not server.stopped:
        server.stop()


def post(server: ServerThread, body: dict | str, content_type: str | None = None) -> int:
    text = json.dumps(body) if isinstance(body, dict) else body
    return request(server.port, "POST", "/slack/events", text, signed_headers(text, content_type)).status


def rows(settings: Settings, sql: str) -> list[tuple]:
    with sqlite3.connect(settings.activity_path) as conn:
        return conn.execute(sql).fetchall()


def test_mention_is_logged_redacted_and_feedback_lands_beside_it(
    fake_slack, default_server, curator_settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    question = (
        f"<@U0BOT> pt {PLANTED[0]} DOB {PLANTED[1]} MRN {PLANTED[2]} call {PLANTED[3]}, "
        "hip reduced under general anesthesia, 27250 or 27252?"
    )
    assert post(default_server, event_callback(app_mention(question), event_id="EvAct1")) == 200
    (answer,) = fake_slack.wait_for("chat.postMessage")
    wait_until(lambda: rows(curator_settings, "select count(*) from questions")[0][0] == 1, what="question logged")
    ((qid, surface, stored, user_hash, codes),) = rows(
        curator_settings, "select id, surface, question, user_hash, codes from questions"
    )
    assert surface == "mention" and json.loads(codes)[0] == "27252"
    assert "[NAME]" in stored and "27252" in stored and user_hash and user_hash != HUMAN
    assert post(default_server, block_actions_body(feedback_click(answer), fake_slack.response_url("up"))) == 200
    wait_until(lambda: rows(curator_settings, "select count(*) from feedback")[0][0] == 1, what="feedback stored")
    assert rows(curator_settings, "select question_id, helpful from feedback") == [(qid, 1)]
    default_server.stop()
    stored_bytes = b"".join(p.read_bytes() for p in curator_settings.data_dir.glob("activity.sqlite*"))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for planted in PLANTED:
        assert planted.encode() not in stored_bytes, planted
        assert planted not in logged, planted  # even at DEBUG, where slack_sdk logs request bodies
    assert HUMAN.encode() not in stored_bytes, "Slack user ids are stored hashed"


def test_curators_see_the_gaps_in_app_home(fake_slack, default_server) -> None:
    assert (
        post(default_server, event_callback(app_mention("<@U0BOT> code for a dislocated jaw"), event_id="EvGap")) == 200
    )
    fake_slack.wait_for("chat.postMessage")
    for user, event_id in ((LEAD, "EvHomeLead"), (HUMAN, "EvHomeCoder")):
        event = {"type": "app_home_opened", "user": user, "channel": "D0DM", "tab": "home", "event_ts": "1.0"}
        assert post(default_server, event_callback(event, event_id=event_id)) == 200
    published = {c.body["user_id"]: json.dumps(c.body["view"]) for c in fake_slack.wait_for("views.publish", count=2)}
    assert "For curators" in published[LEAD] and "dislocated jaw" in published[LEAD]
    assert "For curators" not in published[HUMAN]
