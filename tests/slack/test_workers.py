"""`coding-bot serve` without an injected engine: answers come from worker processes, which stop with the server."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal

from bot.slack.serve import http_server
from tests.slack.fake_slack import app_mention, event_callback, message_json
from tests.slack.harness import ServerThread, request, signed_headers


def test_the_default_server_answers_from_worker_processes_and_stops_them(fake_slack, settings, built_kb, engine):
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "kb.sqlite").symlink_to(built_kb)  # what `coding-bot kb build` leaves in the data dir
    server = ServerThread(http_server(settings, "127.0.0.1", 0)).start()
    try:
        assert multiprocessing.active_children()  # the engine runs in its own process
        body = json.dumps(event_callback(app_mention("<@U0BOT> global days for 27252"), event_id="EvWorker"))
        assert request(server.port, "POST", "/slack/events", body, signed_headers(body)).status == 200
        (post,) = fake_slack.wait_for("chat.postMessage", timeout=30)
        assert "090" in message_json(post)
        health = json.loads(request(server.port, "GET", "/healthz").text)
        assert health == {"ok": True, "content_version": engine.store.content_version}
    finally:
        server.stop()
    assert multiprocessing.active_children() == []


def test_a_killed_worker_is_replaced_and_the_question_still_answered(fake_slack, settings, built_kb):
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "kb.sqlite").symlink_to(built_kb)
    server = ServerThread(http_server(settings, "127.0.0.1", 0)).start()
    try:
        before = multiprocessing.active_children()  # one worker per core but one, at least one
        os.kill(before[0].pid, signal.SIGKILL)  # as the OOM killer would
        before[0].join(10)
        body = json.dumps(event_callback(app_mention("<@U0BOT> global days for 27252"), event_id="EvAfterKill"))
        assert request(server.port, "POST", "/slack/events", body, signed_headers(body)).status == 200
        (post,) = fake_slack.wait_for("chat.postMessage", timeout=60)
        assert "090" in message_json(post)  # the answer, not the apology
        after = {p.pid for p in multiprocessing.active_children()}
        assert after and not after & {p.pid for p in before}  # a new pool took the broken one's place
    finally:
        server.stop()
    assert multiprocessing.active_children() == []


def test_a_stuck_answer_is_abandoned_and_its_worker_replaced(built_kb, monkeypatch):
    """One pathological question held the only worker (one per core but one): every other answer waited."""
    import pytest

    from bot.slack import workers
    from bot.slack.workers import ProcessEngine

    monkeypatch.setattr(workers, "ANSWER_TIMEOUT", 2.0)
    engine = ProcessEngine(built_kb, processes=1, factory="tests.slack.slow_engine:build")
    try:
        stuck = {p.pid for p in multiprocessing.active_children()}
        with pytest.raises(TimeoutError):
            engine.answer("STALL global days for 27252")
        assert engine.answer("global days for 27252").codes[0] == "27252"  # answered by a new worker
        assert not stuck & {p.pid for p in multiprocessing.active_children()}
    finally:
        engine.close()
