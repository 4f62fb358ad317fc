"""Slash command, buttons and the feedback modal, over real HTTP, answered by the real engine."""

from __future__ import annotations

import json
import sqlite3

from bot.render.blocks import (
    FEEDBACK_ACTION,
    FEEDBACK_MODAL,
    REASON_BLOCK,
    REASON_INPUT,
    SHARE_ACTION,
)
from tests.slack.fake_slack import (
    CHANNEL,
    DM,
    app_mention,
    block_actions_body,
    blocks_of,
    button,
    event_callback,
    feedback_click,
    message_json,
    slash_command_body,
    view_body,
    visible_text,
)
from tests.slack.harness import wait_until


def ephemeral_answer(fake_slack, signed_post, text: str):
    reply = signed_post(slash_command_body(text, fake_slack.response_url()))
    assert reply.status == 200 and reply.text == ""  # an empty ack at once; the answer follows
    (hook,) = fake_slack.wait_for("response_url")
    return hook


def suggestion_buttons(call) -> list[dict]:
    return [e for b in blocks_of(call) if b.get("block_id") == "suggestions" for e in b["elements"]]


def test_slash_command_acks_then_answers_privately_with_a_share_button(fake_slack, server, signed_post):
    hook = ephemeral_answer(fake_slack, signed_post, "global days for 27252")
    assert hook.body["response_type"] == "ephemeral"
    shown = message_json(hook)
    assert "090" in shown and "You asked: global days for 27252" in shown
    assert button(hook, SHARE_ACTION)["value"] == "global days for 27252"
    assert feedback_click(hook, True)["action_id"] == feedback_click(hook, False)["action_id"] == FEEDBACK_ACTION


def test_slash_command_help_and_empty_text_show_usage_with_examples(fake_slack, server, signed_post):
    for text in ("help", ""):
        reply = signed_post(slash_command_body(text, fake_slack.response_url()))
        assert reply.status == 200
        usage = json.loads(reply.text)
        assert usage["response_type"] == "ephemeral"
        shown = json.dumps(usage["blocks"])
        assert "/code" in shown and "Examples" in shown and "27252" in shown
    assert fake_slack.calls_to("response_url") == []  # usage is the ack itself


def test_slash_command_echo_is_escaped(fake_slack, server, signed_post):
    hook = ephemeral_answer(fake_slack, signed_post, "<!channel> <@U999> <script> what is 27252")
    shown = visible_text(hook)
    assert "You asked: &lt;!channel&gt; &lt;@U999&gt; &lt;script&gt;" in shown
    for forbidden in ("<!channel", "<@U999", "<script"):
        assert forbidden not in shown


def test_share_button_posts_the_answer_in_the_channel(fake_slack, server, signed_post):
    hook = ephemeral_answer(fake_slack, signed_post, "global days for 27252")
    click = block_actions_body(button(hook, SHARE_ACTION), fake_slack.response_url("share"), ephemeral=True)
    assert signed_post(click).status == 200
    (post,) = fake_slack.wait_for("chat.postMessage")
    assert post.body["channel"] == CHANNEL and "thread_ts" not in post.body
    assert "090" in message_json(post)
    assert SHARE_ACTION not in message_json(post)  # the shared copy is no longer private: no share button
    cleanup = fake_slack.wait_for("response_url", count=2)[1]
    assert cleanup.body.get("delete_original") is True  # the private copy goes away


def test_share_button_value_carries_no_markup_and_the_shared_answer_leaves_the_question_out(
    fake_slack, server, signed_post
):
    """Issue 10: Share re-posted the asker's private /code question, identifiers and all, into the channel. The
    shared copy now says who shared it; the private copy still echoes the question, escaped once."""
    question = "<!channel> <@U999> pt Ann Lee MRN 88442211 global days for 27252 &amp; 27130?"  # as Slack sends it
    hook = ephemeral_answer(fake_slack, signed_post, question)
    assert (
        "You asked: &lt;!channel&gt; &lt;@U999&gt; pt Ann Lee MRN 88442211 global days for 27252 &amp; 27130?"
        in message_json(hook)
    )  # once, not "&amp;amp;"
    share = button(hook, SHARE_ACTION)
    assert "<" not in share["value"] and ">" not in share["value"]  # escaped, like every text in the message
    assert signed_post(block_actions_body(share, fake_slack.response_url("share"), ephemeral=True)).status == 200
    (post,) = fake_slack.wait_for("chat.postMessage")
    shown = message_json(post)
    assert "090" in shown and "<@U0HUMAN> shared this answer" in shown
    for private in ("88442211", "Ann Lee", "You asked", "U999", "channel&gt;"):
        assert private not in shown, private
    assert "&amp;lt;" not in shown and "<!channel" not in shown


def test_a_share_click_whose_user_is_no_slack_user_id_mentions_no_one(fake_slack, server, signed_post):
    """Found by the HTTP fuzzer: a click signed with a user id such as "1700000000.000100" was posted in the channel
    as "<@1700000000.000100> shared this answer". Only an id in Slack's own form is made a mention."""
    hook = ephemeral_answer(fake_slack, signed_post, "global days for 27252")
    share = button(hook, SHARE_ACTION)
    click = block_actions_body(share, fake_slack.response_url("share"), ephemeral=True, user="1700000000.000100")
    assert signed_post(click).status == 200
    (post,) = fake_slack.wait_for("chat.postMessage")
    assert "090" in message_json(post) and "<@" not in message_json(post)


def test_share_in_a_channel_the_bot_is_not_in_explains_instead(fake_slack, server, signed_post):
    hook = ephemeral_answer(fake_slack, signed_post, "global days for 27252")
    fake_slack.enqueue("chat.postMessage", body={"ok": False, "error": "not_in_channel"})
    click = block_actions_body(button(hook, SHARE_ACTION), fake_slack.response_url("share"), ephemeral=True)
    assert signed_post(click).status == 200
    note = fake_slack.wait_for("response_url", count=2)[1]
    assert "not_in_channel" in note.body["text"] and note.body["response_type"] == "ephemeral"


def test_suggestion_button_in_a_thread_answers_that_question_in_the_thread(fake_slack, server, signed_post):
    assert signed_post(event_callback(app_mention("<@U0BOT> global days for 27252"), event_id="EvSug")).status == 200
    (first,) = fake_slack.wait_for("chat.postMessage")
    suggestion = suggestion_buttons(first)[0]
    click = block_actions_body(
        suggestion, fake_slack.response_url(), message_ts="1700000000.000900", thread_ts="1700000000.000100"
    )
    assert signed_post(click).status == 200
    second = fake_slack.wait_for("chat.postMessage", count=2)[1]
    assert second.body["channel"] == CHANNEL and second.body["thread_ts"] == "1700000000.000100"
    assert second.body["text"] != first.body["text"]  # a different question got its own answer


def test_did_you_mean_in_a_private_answer_replaces_it(fake_slack, server, signed_post, engine):
    hook = ephemeral_answer(fake_slack, signed_post, "asdf qwerty")
    suggestion = suggestion_buttons(hook)[0]
    assert "Did you mean" in message_json(hook)
    click = block_actions_body(suggestion, fake_slack.response_url("sug"), ephemeral=True)
    assert signed_post(click).status == 200
    replaced = fake_slack.wait_for("response_url", count=2)[1]
    assert replaced.body["replace_original"] is True and replaced.body["response_type"] == "ephemeral"
    expected = engine.answer(suggestion["value"]).text.split("\n")[0]
    assert expected.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in message_json(replaced)


def test_suggestion_in_a_dm_answers_in_the_dm(fake_slack, server, signed_post):
    hook = ephemeral_answer(fake_slack, signed_post, "global days for 27252")
    click = block_actions_body(suggestion_buttons(hook)[0], fake_slack.response_url("dm"), channel=DM)
    assert signed_post(click).status == 200
    (post,) = fake_slack.wait_for("chat.postMessage")
    assert post.body["channel"] == DM and "thread_ts" not in post.body


def test_thumbs_up_records_helpful_feedback(fake_slack, server, signed_post, feedback, settings):
    assert (
        signed_post(
            event_callback(app_mention("<@U0BOT> global days for 27252", ts="1700000000.000100"), event_id="EvUp")
        ).status
        == 200
    )
    (answer,) = fake_slack.wait_for("chat.postMessage")
    up = feedback_click(answer, helpful=True)
    assert signed_post(block_actions_body(up, fake_slack.response_url("up"))).status == 200
    assert feedback.wait() == [(only_question_id(settings), True, None)]
    thanks = fake_slack.wait_for("response_url")[0]
    assert thanks.body["response_type"] == "ephemeral" and thanks.body["replace_original"] is False


def test_thumbs_down_opens_a_modal_and_its_reason_is_recorded(fake_slack, server, signed_post, feedback, settings):
    assert (
        signed_post(
            event_callback(app_mention("<@U0BOT> global days for 27252", ts="1700000000.000100"), event_id="EvDown")
        ).status
        == 200
    )
    (answer,) = fake_slack.wait_for("chat.postMessage")
    down = feedback_click(answer, helpful=False)
    assert signed_post(block_actions_body(down, fake_slack.response_url("down"))).status == 200
    (opened,) = fake_slack.wait_for("views.open")
    assert opened.body["trigger_id"] == "111.222.act"
    view = opened.body["view"] if isinstance(opened.body["view"], dict) else json.loads(opened.body["view"])
    assert view["type"] == "modal" and view["callback_id"] == FEEDBACK_MODAL
    assert feedback.calls == []  # nothing recorded until the modal is answered

    values = {REASON_BLOCK: {REASON_INPUT: {"type": "plain_text_input", "value": "  wrong global period  "}}}
    reply = signed_post(view_body("view_submission", FEEDBACK_MODAL, view["private_metadata"], values))
    assert reply.status == 200 and reply.text == ""  # an empty ack closes the modal
    assert feedback.wait() == [(only_question_id(settings), False, "wrong global period")]


def test_a_dismissed_feedback_modal_still_counts_as_not_helpful(server, signed_post, feedback):
    reply = signed_post(view_body("view_closed", FEEDBACK_MODAL, "question-id-from-the-modal"))
    assert reply.status == 200
    assert feedback.wait() == [("question-id-from-the-modal", False, None)]


def test_app_home_shows_how_to_ask_and_the_content_version(fake_slack, server, signed_post, engine):
    event = {
        "type": "app_home_opened",
        "user": "U0HUMAN",
        "channel": "D0DM",
        "tab": "home",
        "event_ts": "1700000000.000100",
    }
    assert signed_post(event_callback(event, event_id="EvHome")).status == 200
    (published,) = fake_slack.wait_for("views.publish")
    assert published.body["user_id"] == "U0HUMAN"
    view = published.body["view"] if isinstance(published.body["view"], dict) else json.loads(published.body["view"])
    shown = json.dumps(view)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    assert engine.store.content_version in shown and "/code" in shown
    assert "April 1 2026 release" in shown  # the ICD-10-CM edition, from the store's sources


def test_opening_the_messages_tab_publishes_nothing(fake_slack, server, signed_post):
    event = {
        "type": "app_home_opened",
        "user": "U0HUMAN",
        "channel": "D0DM",
        "tab": "messages",
        "event_ts": "1700000000.000100",
    }
    assert signed_post(event_callback(event, event_id="EvMsgTab")).status == 200
    server.stop()
    assert fake_slack.calls_to("views.publish") == []


def only_question_id(settings) -> str:
    """Feedback refers to the question's row in the activity database (where the redacted question is), written
    by the activity log's writer thread just after the reply."""

    def row() -> tuple | None:
        with sqlite3.connect(settings.activity_path) as conn:
            return conn.execute("select id from questions").fetchone()

    wait_until(lambda: row() is not None, what="the question's row")
    (qid,) = row()
    return qid
