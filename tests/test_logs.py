"""Structured logs carry no PHI and no tokens, even when a library or an exception tries to log them."""

from __future__ import annotations

import json
import logging

from bot.logs import JsonFormatter


def _format(message: str, *args: object, exc: BaseException | None = None) -> dict:
    record = logging.LogRecord("bot.slack", logging.ERROR, __file__, 1, message, args,
                               (type(exc), exc, exc.__traceback__) if exc else None)
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
