"""Socket Mode end to end: apps.connections.open on the fake Web API -> a local WebSocket -> the builtin
SocketModeHandler started by bot.slack.serve.serve_socket -> the engine -> chat.postMessage."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs

import pytest

from bot.config import Settings
from tests.slack.fake_slack import app_mention, event_callback, message_json, slash_command_body


@pytest.fixture
def socket_settings(settings: Settings) -> Settings:
    return Settings(
        slack_bot_token="xoxb-test-token",
        slack_app_token="xapp-1-A0APP-1-fake",
        slack_api_url=settings.slack_api_url,
        data_dir=settings.data_dir,
    )  # no signing secret needed


def test_socket_mode_answers_a_mention_and_ignores_its_retry(fake_slack, sm_server, socket_settings, engine, feedback):
    from bot.slack.serve import serve_socket

    stop = threading.Event()
    runner = threading.Thread(
        target=serve_socket,
        args=(socket_settings,),
        kwargs={"engine": engine, "on_feedback": feedback, "stop": stop},
        daemon=True,
    )
    runner.start()
    try:
        sm_server.wait_connected(timeout=10)
        (opened,) = fake_slack.wait_for("apps.connections.open")
        assert opened.headers["Authorization"] == "Bearer xapp-1-A0APP-1-fake"

        mention = event_callback(
            app_mention("<@U0BOT> global days for 27252", ts="1700000000.000100"), event_id="EvSM1"
        )
        envelope = sm_server.send_envelope("events_api", mention)
        assert sm_server.wait_for_ack(envelope) == {"envelope_id": envelope}
        (post,) = fake_slack.wait_for("chat.postMessage")
        assert post.body["thread_ts"] == "1700000000.000100" and "090" in message_json(post)

        # Slack redelivers (retry_attempt -> x-slack-retry-num): acked, not answered again
        envelope = sm_server.send_envelope("events_api", mention, retry_attempt=1, retry_reason="timeout")
        sm_server.wait_for_ack(envelope)

        # the slash command is acked over the socket and answered through response_url
        form = {
            k: v[0]
            for k, v in parse_qs(
                slash_command_body("what is modifier 50", fake_slack.response_url()), keep_blank_values=True
            ).items()
        }
        envelope = sm_server.send_envelope("slash_commands", form, accepts_response_payload=True)
        assert sm_server.wait_for_ack(envelope)["envelope_id"] == envelope
        (hook,) = fake_slack.wait_for("response_url")
        assert hook.body["response_type"] == "ephemeral"
    finally:
        stop.set()
        runner.join(30)
    assert not runner.is_alive()  # serve_socket returned: connection closed, listeners drained
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
