"""Logging for the running bot: one JSON object per line, with PHI and tokens scrubbed from every message.

Listeners log by id and intent, never question text; the scrubbing is the second line of defence for
what a library or an exception message might carry (slack_sdk logs request bodies at DEBUG).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone

from bot.nlu.phi import redact

_TOKEN = re.compile(r"\b(xox[abpr]|xapp)-[0-9A-Za-z-]+")


def scrub(text: str) -> str:
    return redact(_TOKEN.sub(lambda m: f"{m.group(1)}-(redacted)", text))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
