"""Events over real HTTP: mentions, DMs, signatures, retries, bots, rate limits, escaping, PHI, failures."""

from __future__ import annotations

import json
import socket
import threading
import time

from bot.engine import PHI_REMINDER
from tests.slack.fake_slack import (
    BOT_ID,
    BOT_USER_ID,
    CHANNEL,
    DM,
    HUMAN,
    app_mention,
    event_callback,
    im_message,
    message_json,
    visible_text,
)
from tests.slack.harness import request, signed_headers, wait_until

GLOBAL_DAYS = "<@U0BOT> global days for 27252"


def test_mention_is_answered_in_the_thread_of_the_message(fake_slack, server, signed_post):
    reply = signed_post(event_callback(app_mention(GLOBAL_DAYS, ts="1700000000.000100"), event_id="EvM1"))
    assert reply.status == 200

    (post,) = fake_slack.wait_for("chat.postMessage")
    assert post.body["channel"] == CHANNEL
    assert post.body["thread_ts"] == "1700000000.000100"
    shown = message_json(post)
    assert "090" in shown  # the global period of 27252, from the CMS file
    assert "*Sources*" in shown and "Physician Fee Schedule" in shown
    assert post.headers["Authorization"] == "Bearer xoxb-test-token"


def test_mention_inside_a_thread_answers_in_that_thread(fake_slack, server, signed_post):
    event = app_mention(GLOBAL_DAYS, ts="1700000000.000500", thread_ts="1700000000.000100")
    assert signed_post(event_callback(event, event_id="EvM2")).status == 200
    (post,) = fake_slack.wait_for("chat.postMessage")
    assert post.body["thread_ts"] == "1700000000.000100"


def test_direct_message_is_answered_in_the_dm(fake_slack, server, signed_post):
    assert signed_post(event_callback(im_message("can I use modifier 50 with 27252"), event_id="EvDM1")).status == 200
    (post,) = fake_slack.wait_for("chat.postMessage")
    assert post.body["channel"] == DM
    assert "thread_ts" not in post.body  # a top-level DM gets a top-level answer
    assert "27252-50" in message_json(post)


def test_url_verification_challenge(server, signed_post):
    reply = signed_post({"token": "legacy", "challenge": "c-123", "type": "url_verification"})
    assert reply.status == 200 and json.loads(reply.text) == {"challenge": "c-123"}


def test_bad_signature_and_stale_timestamp_are_rejected_and_nothing_is_posted(fake_slack, server, signed_post):
    body = event_callback(app_mention(GLOBAL_DAYS), event_id="EvForged")
    assert signed_post(body, secret="not-the-secret").status == 401
    assert signed_post(body, timestamp=int(time.time()) - 6 * 60).status == 401  # Slack allows 5 minutes
    unsigned = request(server.port, "POST", "/slack/events", json.dumps(body), {"Content-Type": "application/json"})
    assert unsigned.status == 401
    server.stop()  # drains the listener pool: anything scheduled has now run
    assert fake_slack.calls_to("chat.postMessage") == []


def test_a_retry_of_the_same_event_is_answered_once(fake_slack, server, signed_post):
    body = event_callback(app_mention(GLOBAL_DAYS), event_id="EvRetry")
    assert signed_post(body).status == 200
    fake_slack.wait_for("chat.postMessage")
    retry = signed_post(body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status == 200  # acked, so Slack stops retrying
    server.stop()
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_a_retry_whose_first_delivery_never_arrived_is_answered(fake_slack, server, signed_post):
    body = event_callback(app_mention(GLOBAL_DAYS), event_id="EvLostFirst")
    assert signed_post(body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}).status == 200
    fake_slack.wait_for("chat.postMessage")


def test_bots_own_messages_and_edits_are_acked_and_not_answered(fake_slack, server, signed_post):
    ignored = [
        im_message("I am another bot", user="U0OTHER", bot_id="B0OTHER"),
        app_mention(GLOBAL_DAYS, user="U0OTHER", bot_id="B0OTHER"),
        im_message("global days for 27252", subtype="bot_message", bot_id="B0OTHER"),
        im_message("an answer", user=BOT_USER_ID, bot_id=BOT_ID),  # our own
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": DM,
            "channel_type": "im",
            "hidden": True,
            "ts": "1700000000.000900",
            "event_ts": "1700000000.000900",
            "message": {"type": "message", "user": HUMAN, "text": "global days for 27252", "ts": "1700000000.000200"},
        },
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": DM,
            "channel_type": "im",
            "hidden": True,
            "ts": "1700000000.000901",
            "event_ts": "1700000000.000901",
            "deleted_ts": "1700000000.000200",
        },
        {
            "type": "message",
            "subtype": "channel_join",
            "channel": CHANNEL,
            "channel_type": "channel",
            "user": HUMAN,
            "text": "<@U0HUMAN> has joined the channel",
            "ts": "1700000000.000902",
            "event_ts": "1700000000.000902",
        },
    ]
    for n, event in enumerate(ignored):
        reply = signed_post(event_callback(event, event_id=f"EvIgnored{n}"))
        assert reply.status == 200, (event, reply.text)  # a 404 would make Slack redeliver it
    server.stop()
    assert fake_slack.calls_to("chat.postMessage") == []
    assert fake_slack.calls_to("chat.postEphemeral") == []


def test_a_rate_limited_reply_is_retried_and_arrives_once(fake_slack, server, signed_post):
    fake_slack.enqueue(
        "chat.postMessage", status=429, body={"ok": False, "error": "ratelimited"}, headers={"Retry-After": "1"}
    )
    assert signed_post(event_callback(app_mention(GLOBAL_DAYS), event_id="Ev429")).status == 200
    attempts = fake_slack.wait_for("chat.postMessage", count=2)
    assert attempts[1].at - attempts[0].at >= 1.0  # Retry-After was honoured
    server.stop()
    posts = fake_slack.calls_to("chat.postMessage")
    assert len(posts) == 2  # one refused attempt, one delivered reply
    assert "090" in message_json(posts[1])


def test_healthz_reports_the_knowledge_base(server, engine):
    reply = request(server.port, "GET", "/healthz")
    assert reply.status == 200
    assert json.loads(reply.text) == {"ok": True, "content_version": engine.store.content_version}


def test_broadcasts_mentions_and_markup_in_a_question_are_never_emitted(fake_slack, server, signed_post):
    question = "<@U0BOT> <!channel> <@U999> <!here|here> <!everyone> <script>alert(1)</script> & what is 27252"
    assert signed_post(event_callback(app_mention(question), event_id="EvEscape")).status == 200
    (post,) = fake_slack.wait_for("chat.postMessage")
    shown = message_json(post)  # text, blocks and button values alike
    assert "27252" in visible_text(post)
    for forbidden in ("<!channel", "<!here", "<!everyone", "<@", "<script", "</script"):
        assert forbidden not in shown, forbidden


def test_phi_in_a_question_still_gets_the_answer_and_a_private_reminder(fake_slack, server, signed_post):
    question = "<@U0BOT> pt John Smith DOB 01/02/1950 27252 global days?"
    assert signed_post(event_callback(app_mention(question, ts="1700000000.000700"), event_id="EvPhi")).status == 200
    (post,) = fake_slack.wait_for("chat.postMessage")
    assert post.body["thread_ts"] == "1700000000.000700"
    shown = message_json(post)
    assert "090" in shown
    assert "John" not in shown and "1950" not in shown  # the answer never repeats the identifiers
    assert PHI_REMINDER not in shown  # the reminder goes to the asker alone
    (reminder,) = fake_slack.wait_for("chat.postEphemeral")
    assert reminder.body["user"] == HUMAN and reminder.body["channel"] == CHANNEL
    assert reminder.body["text"] == PHI_REMINDER


class ExplodingEngine:
    """The real engine, except that one question makes it raise (as a bug in a composer would)."""

    def __init__(self, engine):
        self.store = engine.store
        self._engine = engine

    def answer(self, question: str):
        if "explode" in question:
            raise RuntimeError("composer bug")
        return self._engine.answer(question)


def test_an_engine_failure_gets_an_apology_and_the_server_keeps_serving(fake_slack, start_server, engine, signed_post):
    server = start_server(ExplodingEngine(engine))

    def post(event, event_id):
        body = json.dumps(event_callback(event, event_id=event_id))
        return request(server.port, "POST", "/slack/events", body, signed_headers(body))

    assert post(app_mention("<@U0BOT> explode 27252", ts="1700000000.000800"), "EvBoom").status == 200
    (apology,) = fake_slack.wait_for("chat.postMessage")
    assert apology.body["thread_ts"] == "1700000000.000800"
    assert "Sorry" in apology.body["text"]

    assert post(app_mention(GLOBAL_DAYS, ts="1700000000.000801"), "EvAfterBoom").status == 200
    posts = fake_slack.wait_for("chat.postMessage", count=2)
    assert posts[1].body["thread_ts"] == "1700000000.000801" and "090" in message_json(posts[1])


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


class GatedEngine(ExplodingEngine):
    """Once armed, holds every answer until released, so a test can stop the server while one is in flight."""

    def __init__(self, engine):
        super().__init__(engine)
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()

    def answer(self, question: str):
        if not self.armed:  # start-up (help examples for usage and App Home) is not held
            return super().answer(question)
        self.entered.set()
        assert self.release.wait(10), "never released"
        time.sleep(0.5)  # slow work still running when shutdown begins
        return super().answer(question)


def test_shutdown_waits_for_answers_in_flight(fake_slack, start_server, engine):
    gated = GatedEngine(engine)
    server = start_server(gated)
    gated.armed = True
    body = json.dumps(event_callback(app_mention(GLOBAL_DAYS), event_id="EvInFlight"))
    assert request(server.port, "POST", "/slack/events", body, signed_headers(body)).status == 200
    assert gated.entered.wait(10)
    stopper = threading.Thread(target=server.stop)
    stopper.start()  # as on SIGTERM
    wait_until(lambda: refuses_connections(server.port), what="the server to stop accepting requests")
    gated.release.set()  # the answer finishes only while the server is shutting down
    stopper.join(30)
    assert server.stopped
    (post,) = fake_slack.calls_to("chat.postMessage")  # posted before shutdown returned
    assert "090" in message_json(post)
