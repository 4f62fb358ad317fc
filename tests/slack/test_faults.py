"""The Web API misbehaving: the fake's fault mode, and the bot's client riding out 429s, 500s and drops."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter
from http.client import RemoteDisconnected

import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.slack.app import make_client
from bot.slack.respond import RetryingRespond
from bot.slack.serve import http_server
from tests.slack.fake_slack import FakeSlack, FaultPlan, app_mention, event_callback, message_json, slash_command_body
from tests.slack.harness import ServerThread, request, signed_headers

PLAN = FaultPlan(rate_429=0.2, rate_500=0.2, rate_drop=0.2, seed=7, retry_after=0)


def post(fake: FakeSlack, method: str, body: dict) -> int:
    """One attempt, no retries: the status, or 0 when the connection was dropped."""
    req = urllib.request.Request(
        fake.base_url + method,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer xoxb-t"},
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except RemoteDisconnected:
        return 0


def outcomes(plan: FaultPlan) -> tuple[list[int], FakeSlack]:
    with FakeSlack(faults=plan) as fake:
        statuses = [post(fake, "chat.postMessage", {"channel": "C1", "text": f"m{i % 40}"}) for i in range(80)]
    return statuses, fake


def test_fault_mode_is_deterministic_and_refuses_calls_before_processing_them():
    statuses, fake = outcomes(PLAN)
    again, _ = outcomes(PLAN)
    assert statuses == again  # same seed, same requests: same faults
    assert outcomes(FaultPlan(rate_429=0.2, rate_500=0.2, rate_drop=0.2, seed=8))[0] != statuses
    seen = Counter(statuses)
    assert set(seen) == {200, 429, 500, 0}  # 60% refused in all, each kind about a third of those
    assert fake.injected == Counter({"429": seen[429], "500": seen[500], "drop": seen[0]})
    assert fake.retries > 0  # the second 40 repeat the first 40 byte for byte: retries of the refused ones
    refused = [c for c in fake.calls if c.fault]
    assert len(refused) == sum(fake.injected.values()) and not any(c.delivered for c in refused)
    assert {c.status for c in refused if c.fault == "drop"} == {0}
    assert len(fake.deliveries()) == seen[200]  # only answered calls count as delivered
    rate_limited = next(c for c in refused if c.fault == "429")
    assert rate_limited.status == 429


def test_without_a_plan_nothing_fails_and_response_url_is_spared_by_default():
    assert FaultPlan(rate_drop=1.0).applies_to("chat.postMessage")
    assert not FaultPlan(rate_drop=1.0).applies_to("response_url")
    assert FaultPlan(rate_drop=1.0, methods=frozenset({"response_url"})).applies_to("response_url")
    assert Counter(outcomes(FaultPlan())[0]) == Counter({200: 80})


@pytest.fixture
def fast_client(settings):
    """The production client (make_client), with backoff shortened so a test does not sleep for seconds."""
    client = make_client(settings)
    for handler in client.retry_handlers:
        handler.interval_calculator = FixedValueRetryIntervalCalculator(0.01)
    return client


def test_a_reply_survives_a_rate_limit_a_server_error_and_a_dropped_connection(
    fake_slack, settings, engine, fast_client
):
    fake_slack.enqueue("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"})
    fake_slack.enqueue("chat.postMessage", 500, {"ok": False, "error": "fatal_error"})
    fake_slack.enqueue("chat.postMessage", 0)  # closed without an answer
    fake_slack.enqueue("chat.postMessage", 503, {"ok": False, "error": "service_unavailable"})
    server = ServerThread(http_server(settings, "127.0.0.1", 0, client=fast_client, engine=engine)).start()
    try:
        body = json.dumps(event_callback(app_mention("<@U0BOT> global days for 27252"), event_id="EvMixed"))
        assert request(server.port, "POST", "/slack/events", body, signed_headers(body)).status == 200
        fake_slack.wait_for("chat.postMessage", where=lambda c: c.delivered)
    finally:
        server.stop()
    attempts = fake_slack.calls_to("chat.postMessage")
    assert [c.status for c in attempts] == [429, 500, 0, 503, 200]
    (reply,) = fake_slack.deliveries()
    assert "090" in message_json(reply)


def test_under_random_faults_every_mention_is_answered_exactly_once(settings, engine):
    plan = FaultPlan(rate_429=0.1, rate_500=0.1, rate_drop=0.1, seed=3, retry_after=0)  # 7 faults in a row: 2e-5
    with FakeSlack(faults=plan) as fake:
        client = make_client(settings.model_copy(update={"slack_api_url": fake.base_url}))
        for handler in client.retry_handlers:
            handler.interval_calculator = FixedValueRetryIntervalCalculator(0.01)
        server = ServerThread(http_server(settings, "127.0.0.1", 0, client=client, engine=engine)).start()
        try:
            for i in range(30):
                body = json.dumps(
                    event_callback(
                        app_mention(f"<@U0BOT> global days for 2725{i % 10}", ts=f"1700000001.{i:06d}"),
                        event_id=f"EvFault{i}",
                    )
                )
                assert request(server.port, "POST", "/slack/events", body, signed_headers(body)).status == 200
            fake.wait_for("chat.postMessage", count=30, timeout=30, where=lambda c: c.delivered)
        finally:
            server.stop()
    per_thread = Counter(c.body["thread_ts"] for c in fake.deliveries(frozenset({"chat.postMessage"})))
    assert per_thread == Counter({f"1700000001.{i:06d}": 1 for i in range(30)})
    assert sum(fake.injected.values()) >= 3 and fake.retries == sum(fake.injected.values())  # none given up


def test_a_slash_command_answer_through_response_url_survives_faults(fake_slack, server, signed_post, monkeypatch):
    """respond() posts to response_url: the same 429, 500 and drop as on the Web API, and still one answer."""
    monkeypatch.setattr(RetryingRespond, "interval", FixedValueRetryIntervalCalculator(0.01))
    fake_slack.enqueue("response_url", 429, {"ok": False}, {"Retry-After": "0"})
    fake_slack.enqueue("response_url", 500, {"ok": False})
    fake_slack.enqueue("response_url", 0)
    assert signed_post(slash_command_body("global days for 27252", fake_slack.response_url())).status == 200
    fake_slack.wait_for("response_url", where=lambda c: c.delivered)
    assert [c.status for c in fake_slack.calls_to("response_url")] == [429, 500, 0, 200]
    (reply,) = fake_slack.deliveries()
    assert "090" in message_json(reply)
