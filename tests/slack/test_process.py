"""`coding-bot serve --http` as an admin runs it: a real process, stopped with SIGTERM while answers are in flight."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.slack.fake_slack import app_mention, event_callback
from tests.slack.harness import request, signed_headers

REPO = Path(__file__).resolve().parents[2]
SECRET = "8f14e45fceea167a5a36dedd4bea2543"  # the real command checks the shape of a signing secret
QUESTIONS = ["global days for 27252", "can 50 go on 27252", "27250 vs 27252", "what is modifier 23"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            if request(port, "GET", "/healthz", "", {}).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("coding-bot serve never answered /healthz")


def test_sigterm_finishes_the_answers_in_flight_and_exits_cleanly(fake_slack, built_kb, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "kb.sqlite").symlink_to(built_kb)
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "CODING_BOT_DATA_DIR": str(data),
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake_slack.base_url,
    }
    env.pop("SLACK_APP_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_healthy(port, proc)
        sent = 24
        for i in range(sent):
            body = json.dumps(
                event_callback(
                    app_mention(QUESTIONS[i % len(QUESTIONS)], ts=f"1700000000.{i:06d}"), event_id=f"EvTerm{i}"
                )
            )
            assert request(port, "POST", "/slack/events", body, signed_headers(body, secret=SECRET)).status == 200
        proc.send_signal(signal.SIGTERM)  # straight after the last ack: most answers are still being written
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    posts = fake_slack.calls_to("chat.postMessage")
    assert sorted(p.body["thread_ts"] for p in posts) == sorted(f"1700000000.{i:06d}" for i in range(sent))
    assert "Traceback" not in stderr and "xoxb-test-token" not in stderr
    lines = [json.loads(line) for line in stderr.splitlines()]  # every line JSON: uvicorn's too, scrubbed alike
    assert not [line for line in lines if line["level"] != "INFO"], "a clean run warns about nothing"
