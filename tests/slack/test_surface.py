"""Issue 10, the Slack surface: text as Slack sends it, DMs with files, mentions in the bot's DM, replays, Slack
refusing a message, events nobody subscribed to by name, the assistant surface, App Home's name for the bot,
the bound on what reaches the engine, and the dedupe store failing. All over real HTTP, signed."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from bot.render.blocks import APOLOGY, SHARE_ACTION
from bot.slack.text import MAX_QUESTION_CHARS
from tests.slack.fake_slack import (
    CHANNEL,
    DM,
    HUMAN,
    app_mention,
    block_actions_body,
    button,
    event_callback,
    feedback_click,
    im_message,
    message_json,
    slash_command_body,
    view_body,
)
from tests.slack.harness import ServerThread, request, signed_headers, wait_until


def post(server: ServerThread, body: dict | str, **headers: str) -> int:
    text = json.dumps(body) if isinstance(body, dict) else body
    return request(server.port, "POST", "/slack/events", text, {**signed_headers(text), **headers}).status


class SpyEngine:
    """The real engine, noting every question it is asked (and optionally holding answers until released)."""

    def __init__(self, engine: Any, hold: bool = False) -> None:
        self.store, self._engine = engine.store, engine
        self.questions: list[str] = []
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self.started = False

    def answer(self, question: str) -> Any:
        if self.started:
            self.questions.append(question)
            assert self.release.wait(10)
        return self._engine.answer(question)


@pytest.fixture
def spy(engine: Any) -> SpyEngine:
    return SpyEngine(engine)


@pytest.fixture
def spied(start_server: Any, spy: SpyEngine) -> ServerThread:
    server = start_server(spy)
    spy.started = True  # start-up asks for the help examples: not counted
    return server


def test_echoed_text_is_escaped_once(fake_slack, spied, spy):
    """Slack escapes &, < and > in what people type: 'You asked: E&amp;amp;M' showed the entity itself."""
    body = slash_command_body("E&amp;M visit with 27252, &lt;2 hours &gt; 1?", fake_slack.response_url())
    assert post(spied, body) == 200
    (hook,) = fake_slack.wait_for("response_url")
    shown = message_json(hook)
    assert "You asked: E&amp;M visit with 27252, &lt;2 hours &gt; 1?" in shown and "&amp;amp;" not in shown
    assert spy.questions == ["E&M visit with 27252, <2 hours > 1?"]  # the engine reads what was typed


def test_a_dm_with_a_file_is_answered_from_its_text(fake_slack, spied):
    event = im_message(
        "global days for 27252? screenshot attached",
        subtype="file_share",
        files=[{"id": "F0FILE", "name": "screenshot.png"}],
    )
    assert post(spied, event_callback(event, event_id="EvFile")) == 200
    (reply,) = fake_slack.wait_for("chat.postMessage")
    assert reply.body["channel"] == DM and "090" in message_json(reply)


def test_a_mention_typed_in_the_bots_dm_is_answered_once(fake_slack, spied):
    ts = "1700000000.000600"
    assert post(spied, event_callback(im_message("<@U0BOT> global days for 27252", ts=ts), event_id="EvDmMsg")) == 200
    mention = app_mention("<@U0BOT> global days for 27252", ts=ts, channel=DM, channel_type="im")
    assert post(spied, event_callback(mention, event_id="EvDmMention")) == 200
    spied.stop()
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_a_replayed_slash_command_is_answered_once(fake_slack, spied):
    body = slash_command_body("global days for 27252", fake_slack.response_url("replay"), trigger_id="13345.777.abc")
    for _ in range(3):
        assert post(spied, body) == 200
    spied.stop()
    assert len(fake_slack.calls_to("response_url")) == 1


def test_a_replayed_thumbs_up_is_counted_once(fake_slack, spied, feedback):
    assert post(spied, event_callback(app_mention("<@U0BOT> global days for 27252"), event_id="EvVote")) == 200
    (answer,) = fake_slack.wait_for("chat.postMessage")
    click = block_actions_body(feedback_click(answer), fake_slack.response_url("up"), action_ts="1700000009.000001")
    for _ in range(3):
        assert post(spied, click) == 200
    other = block_actions_body(feedback_click(answer), fake_slack.response_url("up2"), user="U0OTHER")
    assert post(spied, other) == 200
    spied.stop()
    assert [c[1] for c in feedback.calls] == [True, True] and feedback.users == [HUMAN, "U0OTHER"]


def test_one_vote_per_person_per_answer_in_the_activity_database(fake_slack, start_server, engine, settings):
    from bot.slack.serve import http_server

    server = ServerThread(http_server(settings, "127.0.0.1", 0, engine=engine)).start()  # feedback to the database
    try:
        assert post(server, event_callback(app_mention("<@U0BOT> global days for 27252"), event_id="EvDb")) == 200
        (answer,) = fake_slack.wait_for("chat.postMessage")
        for helpful in (True, True, False):  # clicked twice, then changed
            click = block_actions_body(feedback_click(answer, helpful), fake_slack.response_url("v"))
            assert post(server, click) == 200
        fake_slack.wait_for("views.open")
        values = {"reason": {"reason_input": {"type": "plain_text_input", "value": "wrong global period"}}}
        qid = (
            json.loads(fake_slack.calls_to("views.open")[0].body["view"])["private_metadata"]
            if isinstance(fake_slack.calls_to("views.open")[0].body["view"], str)
            else fake_slack.calls_to("views.open")[0].body["view"]["private_metadata"]
        )
        assert post(server, view_body("view_submission", "feedback_reason", qid, values)) == 200
    finally:
        server.stop()
    with sqlite3.connect(settings.activity_path) as conn:
        assert conn.execute("select helpful, reason from feedback").fetchall() == [(0, "wrong global period")]


@pytest.mark.parametrize(
    ("first", "second", "delivered"),
    [
        ("invalid_blocks", None, "text"),
        ("msg_blocks_too_long", None, "text"),
        ("invalid_blocks", "msg_too_long", "apology"),
    ],
)
def test_a_refused_message_falls_back_to_text_then_an_apology(fake_slack, spied, first, second, delivered):
    fake_slack.enqueue("chat.postMessage", body={"ok": False, "error": first})
    if second:
        fake_slack.enqueue("chat.postMessage", body={"ok": False, "error": second})
    assert post(spied, event_callback(app_mention("<@U0BOT> global days for 27252"), event_id="EvRefused")) == 200
    attempts = fake_slack.wait_for("chat.postMessage", count=3 if second else 2)
    last = attempts[-1]
    assert last.delivered and "blocks" not in last.body or delivered == "apology"
    if delivered == "text":
        assert "090" in last.body["text"]
    else:
        assert last.body["text"] == APOLOGY


def test_a_refused_private_answer_falls_back_to_text(fake_slack, spied):
    fake_slack.enqueue("response_url", 400, "invalid_blocks")
    assert post(spied, slash_command_body("global days for 27252", fake_slack.response_url("r"))) == 200
    attempts = fake_slack.wait_for("response_url", count=2)
    assert "blocks" not in attempts[1].body and "090" in attempts[1].body["text"]


@pytest.mark.parametrize(
    "event",
    [
        {
            "type": "assistant_thread_context_changed",
            "assistant_thread": {"user_id": HUMAN, "channel_id": DM, "thread_ts": "1.2", "context": {}},
        },
        {
            "type": "reaction_added",
            "user": HUMAN,
            "reaction": "thumbsup",
            "item": {"type": "message", "channel": CHANNEL, "ts": "1.2"},
        },
        {"type": "member_joined_channel", "user": HUMAN, "channel": CHANNEL},
        {"type": "app_uninstalled"},
        {"type": "tokens_revoked", "tokens": {"bot": ["U0BOT"]}},
        {"type": "app_home_opened", "user": HUMAN, "channel": DM, "tab": "messages"},
        {"type": "some_event_slack_adds_next_year", "user": HUMAN},
    ],
)
def test_every_event_type_is_acknowledged(spied, event):
    """Bolt answers 404 to an event nothing matches, and Slack then delivers it again and again."""
    assert post(spied, event_callback({**event, "event_ts": "1.2"}, event_id=f"Ev{event['type']}")) == 200


def test_clicks_and_modals_nobody_expects_are_acknowledged(fake_slack, spied):
    click = block_actions_body({"action_id": "a_link_button", "value": "x"}, fake_slack.response_url())
    assert post(spied, click) == 200
    assert post(spied, view_body("view_submission", "some_other_modal", "")) == 200
    shortcut = {
        "type": "shortcut",
        "callback_id": "anything",
        "trigger_id": "1.2",
        "user": {"id": HUMAN},
        "team": {"id": "T0TEAM"},
        "token": "legacy",
    }
    assert post(spied, "payload=" + json.dumps(shortcut)) == 200


def test_the_assistant_gets_suggested_prompts_and_a_status(fake_slack, spied):
    thread = {"user_id": HUMAN, "channel_id": DM, "thread_ts": "1700000000.000900", "context": {}}
    assert (
        post(
            spied,
            event_callback(
                {"type": "assistant_thread_started", "assistant_thread": thread, "event_ts": "1700000000.000900"},
                event_id="EvAssist",
            ),
        )
        == 200
    )
    (prompts,) = fake_slack.wait_for("assistant.threads.setSuggestedPrompts")
    assert (
        prompts.body["channel_id"] == DM and json.loads(prompts.body["prompts"])
        if isinstance(prompts.body["prompts"], str)
        else prompts.body["prompts"]
    )
    asked = im_message("global days for 27252", ts="1700000000.000950", thread_ts="1700000000.000900")
    assert post(spied, event_callback(asked, event_id="EvAssistQ")) == 200
    (reply,) = fake_slack.wait_for("chat.postMessage")
    (status,) = fake_slack.calls_to("assistant.threads.setStatus")
    assert status.at <= reply.at and status.body["thread_ts"] == "1700000000.000900"
    assert reply.body["thread_ts"] == "1700000000.000900"


def test_app_home_names_the_bot_as_installed(fake_slack, spied):
    event = {"type": "app_home_opened", "user": HUMAN, "channel": DM, "tab": "home", "event_ts": "1.2"}
    assert post(spied, event_callback(event, event_id="EvHomeName")) == 200
    (published,) = fake_slack.wait_for("views.publish")
    shown = json.dumps(published.body["view"])
    assert "@codebot" in shown and "@CodeBot" not in shown  # the fake's auth.test says user "codebot"


def test_what_reaches_the_engine_is_bounded_and_keeps_the_question_at_the_end(fake_slack, spied, spy):
    note = "Pasted note: " + "hip reduced in the ED under moderate sedation, " * 800  # about 38,000 characters
    assert post(spied, event_callback(im_message(note + " so is it 27250 or 27252?"), event_id="EvLong")) == 200
    fake_slack.wait_for("chat.postMessage")
    (asked,) = spy.questions
    assert len(asked) <= MAX_QUESTION_CHARS and asked.endswith("so is it 27250 or 27252?")
    assert asked.startswith("Pasted note: ")


def test_the_answer_is_worked_out_after_the_ack(fake_slack, start_server, engine):
    held = SpyEngine(engine, hold=True)
    server = start_server(held)
    held.started = True
    body = slash_command_body("global days for 27252", fake_slack.response_url("held"))
    assert post(server, body) == 200  # acked while the engine is still holding the answer
    assert post(server, event_callback(app_mention("<@U0BOT> what is 27250"), event_id="EvHeld")) == 200
    assert fake_slack.calls_to("response_url") == []
    held.release.set()
    fake_slack.wait_for("response_url")
    fake_slack.wait_for("chat.postMessage")


@pytest.mark.parametrize("fault", ["full disk", "locked"])
def test_the_dedupe_store_failing_never_silences_the_bot(fake_slack, settings, engine, monkeypatch, caplog, fault):
    """A full disk made every mention a 500; a locked dedupe database a 10 s ack and then a 500."""
    from bot.slack.serve import http_server

    caplog.set_level(logging.WARNING)
    path: Path = settings.data_dir / "slack_events.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    blocker = None
    if fault == "locked":
        sqlite3.connect(path).execute(
            "create table if not exists seen_events (event_id text primary key, seen_at real not null)"
        ).connection.commit()
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("begin exclusive")
    else:
        real_connect = sqlite3.connect

        def full(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            conn = real_connect(*args, **kwargs)
            conn.execute("pragma max_page_count = 1")
            return conn

        monkeypatch.setattr("bot.slack.middleware.sqlite3.connect", full)
    server = ServerThread(http_server(settings, "127.0.0.1", 0, engine=engine)).start()
    try:
        for n in range(5):
            body = event_callback(
                app_mention(f"<@U0BOT> global days for 2725{n}", ts=f"1700000003.00000{n}"), event_id=f"EvDedupe{n}"
            )
            assert post(server, body) == 200
        assert post(server, body, **{"X-Slack-Retry-Num": "1"}) == 200  # a redelivery, remembered in memory
        wait_until(lambda: len(fake_slack.calls_to("chat.postMessage")) >= 5, what="five answers")
    finally:
        server.stop()
        if blocker is not None:
            blocker.execute("rollback")
    assert len(fake_slack.calls_to("chat.postMessage")) == 5
    warnings = [r for r in caplog.records if "seen Slack requests" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]


def test_share_never_reposts_the_private_question(fake_slack, spied):
    question = "pt Margot Delacroix-Hale MR# 88417 zip 62705 <@U0OTHER1> global days for 27252?"
    assert post(spied, slash_command_body(question, fake_slack.response_url("p"))) == 200
    (hook,) = fake_slack.wait_for("response_url")
    click = block_actions_body(button(hook, SHARE_ACTION), fake_slack.response_url("share"), ephemeral=True)
    assert post(spied, click) == 200
    (shared,) = fake_slack.wait_for("chat.postMessage")
    shown = message_json(shared)
    for private in ("Margot", "Delacroix", "88417", "62705", "U0OTHER1"):
        assert private not in shown, private
    assert f"<@{HUMAN}> shared this answer" in shown and shared.body["channel"] == CHANNEL


def test_a_thumbs_down_whose_modal_slack_will_not_open_is_still_recorded(fake_slack, spied, feedback):
    assert post(spied, event_callback(app_mention("<@U0BOT> global days for 27252"), event_id="EvNoModal")) == 200
    (answer,) = fake_slack.wait_for("chat.postMessage")
    fake_slack.enqueue("views.open", body={"ok": False, "error": "expired_trigger_id"})
    assert post(spied, block_actions_body(feedback_click(answer, helpful=False), fake_slack.response_url("d"))) == 200
    assert [c[1] for c in feedback.wait()] == [False]


def test_garbage_on_the_wire_is_logged_once_a_minute(spied, caplog):
    import socket as sockets

    caplog.set_level(logging.INFO)
    for _ in range(30):
        with sockets.create_connection(("127.0.0.1", spied.port), timeout=10) as sock:
            sock.sendall(b"\x16\x03\x01 not http at all\r\n\r\n")  # a TLS hello or a scanner
            sock.recv(100)
    assert request(spied.port, "GET", "/healthz").status == 200
    lines = [r for r in caplog.records if r.getMessage().startswith("Invalid HTTP request received.")]
    assert len(lines) <= 1
