"""Issue 10: identifiers planted in every surface (a mention, a DM, a slash command, its Share, a 👎 reason)
reach none of the places the bot keeps or shows things: the activity database, `coding-bot report`, App Home,
the shared message, the logs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings
from bot.render.blocks import REASON_BLOCK, REASON_INPUT, SHARE_ACTION
from bot.slack.serve import http_server
from tests.slack.fake_slack import (
    SIGNING_SECRET,
    FakeSlack,
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
from tests.slack.harness import ServerThread, request, signed_headers

LEAD = "U0LEAD"
# each identifier as it is typed, and the part of it that must appear nowhere
PLANTS = {
    "name": ("pt Margot Delacroix-Hale", "Delacroix"),
    "dob": ("DOB 02/17/1958", "1958"),
    "record": ("MR# 88417", "88417"),
    "zip": ("zip 62705", "62705"),
    "po box": ("PO Box 4471", "4471"),
    "ip": ("from 10.44.3.121", "10.44.3.121"),
    "url": ("https://ehr.example.org/patients/77120/chart", "patients/77120"),
    "licence": ("DL# D1234567", "D1234567"),
    "plate": ("plate # 7XYZ123", "7XYZ123"),
    "slack id": ("<@U0OTHER9>", "U0OTHER9"),
    "phone": ("call 555-201-7788", "201-7788"),
}
NOTE = " ".join(typed for typed, _ in PLANTS.values())


def post(server: ServerThread, body: dict | str) -> int:
    text = json.dumps(body) if isinstance(body, dict) else body
    return request(server.port, "POST", "/slack/events", text, signed_headers(text)).status


@pytest.fixture
def lead_settings(fake_slack: FakeSlack, tmp_path: Path) -> Settings:
    return Settings(
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.base_url,
        data_dir=tmp_path / "data",
        curators=(LEAD,),
    )


def found_in(text: str) -> list[str]:
    return [kind for kind, (_, secret) in PLANTS.items() if secret in text]


def test_no_planted_identifier_reaches_any_place(fake_slack, lead_settings, engine, caplog, monkeypatch, capsys):
    caplog.set_level(logging.DEBUG)
    server = ServerThread(http_server(lead_settings, "127.0.0.1", 0, engine=engine)).start()
    try:
        mention = app_mention(f"<@U0BOT> {NOTE} code for a dislocated jaw?", ts="1700000005.000001")
        assert post(server, event_callback(mention, event_id="EvPlantMention")) == 200
        dm = im_message(f"{NOTE} global days for 27252?", ts="1700000005.000002")
        assert post(server, event_callback(dm, event_id="EvPlantDm")) == 200
        assert post(server, slash_command_body(f"{NOTE} global days for 27252?", fake_slack.response_url("p"))) == 200
        (hook,) = fake_slack.wait_for("response_url")
        assert (
            post(server, block_actions_body(button(hook, SHARE_ACTION), fake_slack.response_url("s"), ephemeral=True))
            == 200
        )
        answers = fake_slack.wait_for("chat.postMessage", count=3)  # the mention's, the DM's and the shared one
        assert (
            post(server, block_actions_body(feedback_click(answers[0], helpful=False), fake_slack.response_url("d")))
            == 200
        )
        (opened,) = fake_slack.wait_for("views.open")
        view = opened.body["view"] if isinstance(opened.body["view"], dict) else json.loads(opened.body["view"])
        values = {REASON_BLOCK: {REASON_INPUT: {"type": "plain_text_input", "value": f"wrong for {NOTE}"}}}
        assert post(server, view_body("view_submission", view["callback_id"], view["private_metadata"], values)) == 200
        home = {"type": "app_home_opened", "user": LEAD, "channel": "D0LEAD", "tab": "home", "event_ts": "1.0"}
        assert post(server, event_callback(home, event_id="EvPlantHome")) == 200
        (published,) = fake_slack.wait_for("views.publish")
    finally:
        server.stop()
    shared = [c for c in fake_slack.calls_to("chat.postMessage") if "shared this answer" in message_json(c)]
    assert len(shared) == 1
    places = {
        "activity database": b"".join(p.read_bytes() for p in lead_settings.data_dir.glob("activity.sqlite*")).decode(
            "utf-8", "replace"
        ),
        "App Home": json.dumps(published.body["view"]),
        "Share": message_json(shared[0]),
        "logs": "\n".join(r.getMessage() + (str(r.exc_info) if r.exc_info else "") for r in caplog.records),
    }
    monkeypatch.setenv("CODING_BOT_DATA_DIR", str(lead_settings.data_dir))
    capsys.readouterr()
    assert main(["report", "--json", "--since", "1"]) == 0
    places["report"] = capsys.readouterr().out
    assert "For curators" in places["App Home"] and json.loads(places["report"])["questions"] >= 3
    leaks = {place: found_in(text) for place, text in places.items() if found_in(text)}
    assert not leaks, leaks
