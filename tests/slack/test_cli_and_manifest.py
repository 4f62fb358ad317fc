"""`coding-bot serve` refuses bad settings in one line; `coding-bot manifest` prints a usable manifest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.config import Settings
from bot.slack.manifest import manifest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("env", "named"), [
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
    ({"SLACK_SIGNING_SECRET": "0" * 32}, "SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": "xoxp-user-token", "SLACK_SIGNING_SECRET": "0" * 32}, "SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "my secret"}, "SLACK_SIGNING_SECRET"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-wrong-kind"}, "SLACK_APP_TOKEN"),
])
def test_serve_with_missing_or_malformed_settings_prints_one_line_and_exits_2(monkeypatch, capsys, env, named):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and named in err
    assert "my secret" not in err and "xoxp-user-token" not in err  # never the value


def test_socket_mode_needs_the_bot_token_too(monkeypatch, capsys):
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN" in err and "Socket Mode" in err


def test_forcing_http_needs_the_signing_secret_even_with_an_app_token(monkeypatch, capsys):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    assert main(["serve", "--http", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "SLACK_SIGNING_SECRET" in err and "HTTP mode" in err


def test_manifest_socket_mode_parses_and_names_the_command_and_events(monkeypatch, capsys):
    monkeypatch.setenv("CODING_BOT_SLASH_COMMAND", "/coding")
    assert main(["manifest", "--socket"]) == 0
    data = yaml.safe_load(capsys.readouterr().out)
    assert [c["command"] for c in data["features"]["slash_commands"]] == ["/coding"]
    assert set(data["settings"]["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im", "app_home_opened"}
    assert data["settings"]["socket_mode_enabled"] is True and data["settings"]["interactivity"]["is_enabled"] is True
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert data["features"]["app_home"]["messages_tab_read_only_enabled"] is False  # users can DM the bot
    assert "users:read" not in data["oauth_config"]["scopes"]["bot"]
    assert "request_url" not in json.dumps(data)


def test_manifest_http_mode_points_every_url_at_slack_events(capsys):
    assert main(["manifest", "--http", "https://bot.example.org/", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    url = "https://bot.example.org/slack/events"
    assert data["settings"]["event_subscriptions"]["request_url"] == url
    assert data["settings"]["interactivity"]["request_url"] == url
    assert data["features"]["slash_commands"][0]["url"] == url
    assert data["settings"]["socket_mode_enabled"] is False
    assert manifest(Settings(), socket=False, url=url)["features"]["slash_commands"][0]["url"] == url


def test_ask_never_imports_slack(built_kb, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "kb.sqlite").symlink_to(built_kb)
    env = {**os.environ, "CODING_BOT_DATA_DIR": str(data), "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "bot.cli", "ask", "what is 27252"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=60, check=True)
    assert "27252" in done.stdout
    assert "slack_bolt" not in done.stderr and "slack_sdk" not in done.stderr
