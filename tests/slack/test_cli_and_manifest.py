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


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "0" * 32}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token", "SLACK_SIGNING_SECRET": "0" * 32}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "my secret"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-wrong-kind"}, "SLACK_APP_TOKEN"),
    ],
)
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
    assert set(data["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_mention",
        "message.im",
        "app_home_opened",
    }
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
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot.cli", "ask", "what is 27252"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "27252" in done.stdout
    assert "slack_bolt" not in done.stderr and "slack_sdk" not in done.stderr


# issue 10
SCOPE_OF_METHOD = {
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",
    "views_publish": None,
    "views_open": None,
    "auth_test": None,
    "assistant_threads_setStatus": "assistant:write",
    "assistant_threads_setSuggestedPrompts": "assistant:write",
    "send": None,
}  # send: response_url
SCOPE_OF_EVENT = {
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
    "app_home_opened": None,
    "assistant_thread_started": "assistant:write",
    "assistant_thread_context_changed": "assistant:write",
}


def _methods_called() -> set[str]:
    import re

    source = "\n".join(p.read_text() for p in (REPO / "bot" / "slack").rglob("*.py"))
    return set(re.findall(r"\bclient\.([a-z][a-zA-Z_]+)\(", source))


@pytest.mark.parametrize("assistant", [False, True])
def test_the_manifest_asks_for_the_scopes_the_code_uses_and_no_others(assistant):
    """im:read and im:write were asked for and never used."""
    called = _methods_called()
    assert called <= set(SCOPE_OF_METHOD), f"a Web API method without a known scope: {called - set(SCOPE_OF_METHOD)}"
    data = manifest(Settings(), socket=True, assistant=assistant)
    events = data["settings"]["event_subscriptions"]["bot_events"]
    needed = (
        {"commands"}
        | {SCOPE_OF_EVENT[e] for e in events}
        | {SCOPE_OF_METHOD[m] for m in called if not m.startswith("assistant_") or assistant}
    )
    assert set(data["oauth_config"]["scopes"]["bot"]) == needed - {None}
    assert not {"im:read", "im:write"} & set(data["oauth_config"]["scopes"]["bot"])
    assert ("assistant_view" in data["features"]) is assistant


def test_the_manifest_can_be_installed_across_an_enterprise_grid(capsys):
    assert main(["manifest", "--org-deploy", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["settings"]["org_deploy_enabled"] is True
    assert manifest(Settings(), socket=True)["settings"]["org_deploy_enabled"] is False


@pytest.fixture(autouse=True)
def _root_logging_restored():
    """`coding-bot serve` configures the root logger for the process; a test that runs it must not leave its
    handler (writing to this test's captured stderr) to the tests after it."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _serve_env(monkeypatch, api_url: str) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "8f14e45fceea167a5a36dedd4bea2543")
    monkeypatch.setenv("SLACK_API_URL", api_url)


def test_an_unreachable_slack_api_at_start_is_one_line(monkeypatch, capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens once the socket is closed
    _serve_env(monkeypatch, f"http://127.0.0.1:{closed}/api/")
    assert main(["serve", "--http", "--port", "0"]) == 1
    out, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1 and "cannot reach the Slack Web API" in err and "Traceback" not in err


def test_a_token_slack_refuses_at_start_is_one_line(monkeypatch, capsys, fake_slack):
    fake_slack.enqueue("auth.test", body={"ok": False, "error": "invalid_auth"})
    _serve_env(monkeypatch, fake_slack.base_url)
    assert main(["serve", "--http", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "invalid_auth" in err and "xoxb-test-token" not in err


def test_an_empty_activity_key_at_start_is_one_line(monkeypatch, capsys, fake_slack, built_kb, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "kb.sqlite").symlink_to(built_kb)
    (data / "activity.key").write_text("")  # left by a full disk at first start
    _serve_env(monkeypatch, fake_slack.base_url)
    monkeypatch.setenv("CODING_BOT_DATA_DIR", str(data))
    monkeypatch.setattr(
        "bot.slack.serve.ProcessEngine",
        lambda path: __import__("bot.engine").engine.Engine(__import__("bot.kb.store").kb.store.KnowledgeStore(path)),
    )
    assert main(["serve", "--http", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "activity.key is empty" in err
