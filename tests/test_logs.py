"""Structured logs carry no PHI and no tokens, even when a library or an exception tries to log them."""

from __future__ import annotations

import json
import logging

from bot.logs import JsonFormatter


def _format(message: str, *args: object, exc: BaseException | None = None) -> dict:
    record = logging.LogRecord(
        "bot.slack", logging.ERROR, __file__, 1, message, args, (type(exc), exc, exc.__traceback__) if exc else None
    )
    return json.loads(JsonFormatter().format(record))


def test_json_lines_without_phi_or_tokens() -> None:
    entry = _format("posting %s with token %s", "pt Ann Lee DOB 01/02/1950 asked about 27252", "xoxb-1234-abcd")
    assert entry["level"] == "ERROR" and entry["logger"] == "bot.slack"
    assert "Ann Lee" not in entry["message"] and "01/02/1950" not in entry["message"]
    assert "xoxb-1234" not in entry["message"] and "27252" in entry["message"]


def test_exception_text_is_scrubbed() -> None:
    try:
        raise ValueError("failed on MRN 88442211 with xapp-1-A0-secret")
    except ValueError as exc:
        entry = _format("listener failed", exc=exc)
    assert "88442211" not in entry["exception"] and "secret" not in entry["exception"]
    assert "ValueError" in entry["exception"]


def test_a_request_body_and_a_response_url_never_reach_the_log() -> None:
    """Issue 10: Bolt's line for a request failing signature checking held the whole body; slack_sdk names the
    response_url it retries (a capability to post as the bot)."""
    body = (
        "token=x&text=pt+Ann+Lee+DOB+01%2F02%2F1950"
        "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1%2F2%2Fsecret"
    )
    bolt = _format(f"Invalid request signature detected (signature: v0=abc, timestamp: 1, body: {body})")
    assert bolt["message"] == "Invalid request signature detected (body not logged)"
    retry = _format("Going to retry the same request: POST https://hooks.slack.com/commands/T1/2/secret-capability")
    assert "secret-capability" not in retry["message"] and "POST https://hooks.slack.com/" in retry["message"]
    local = _format("A retry handler found: X for POST http://127.0.0.1:5/response_url/T0/1/abc - boom")
    assert "T0/1/abc" not in local["message"]


def test_a_huge_message_is_cut_before_it_is_scrubbed() -> None:
    entry = _format("%s", "DOB" + " " * 50_000 + "01/02/1950 and more")
    assert len(entry["message"]) < 5000 and "01/02/1950" not in entry["message"]
    assert "more characters not logged" in entry["message"]


def test_the_filter_rewrites_records_for_any_handler() -> None:
    from bot.logs import NO_REQUEST_BODIES

    record = logging.LogRecord(
        "slack_bolt.RequestVerification",
        logging.INFO,
        __file__,
        1,
        "Invalid request signature detected (signature: %s, timestamp: %s, body: %s)",
        ("v0=1", "1", "text=pt+Ann+Lee"),
        None,
    )
    assert NO_REQUEST_BODIES.filter(record)
    assert record.getMessage() == "Invalid request signature detected (body not logged)"
