"""Logging for the running bot: one JSON object per line, with PHI and tokens scrubbed from every message.

Listeners log by id and intent, never question text; the scrubbing is the second line of defence for
what a library or an exception message might carry (slack_sdk logs request bodies at DEBUG). Two libraries
log what must never be logged, so their lines are rewritten before anything else: Bolt's line for a request
that fails signature checking carries the whole body (PHI, and a slash command's response_url), and slack_sdk's
webhook client names the response_url it retries, a capability to post as the bot for 30 minutes. The
redactor is linear-time, but a message is still cut to MAX_MESSAGE_CHARS first, so no line costs much.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone

from bot.nlu.phi import redact

_TOKEN = re.compile(r"\b(xox[abpr]|xapp)-[0-9A-Za-z-]+")
# response_url and incoming-webhook URLs: the whole path is the capability
_HOOK_URL = re.compile(
    r"(https?://hooks\.slack(?:-gov)?\.com)/\S*|(https?://[^\s/]+)/(?:response_url|commands|actions)/\S*"
)
_BOLT_BODY = re.compile(r"^(Invalid request signature detected) \(.*", re.S)
MAX_MESSAGE_CHARS = 4000
MAX_EXCEPTION_CHARS = 20_000


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a space so no identifier is left half-kept; says how much went."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ")
    head = head[:space] if space > limit // 2 else head
    return f"{head} …({len(text) - len(head)} more characters not logged)"


def scrub(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    text = _BOLT_BODY.sub(r"\1 (body not logged)", text)
    text = _HOOK_URL.sub(lambda m: f"{m.group(1) or m.group(2)}/(redacted)", text)
    text = _TOKEN.sub(lambda m: f"{m.group(1)}-(redacted)", text)
    return redact(_cut(text, limit))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info), MAX_EXCEPTION_CHARS)
        return json.dumps(entry, ensure_ascii=False)


class _NoRequestBodies(logging.Filter):
    """On every handler: Bolt's signature-failure line and slack_sdk's retry lines lose what they must not say,
    whatever formatter prints them (pytest's capture, a handler an admin adds)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _HOOK_URL.sub(
            lambda m: f"{m.group(1) or m.group(2)}/(redacted)", _BOLT_BODY.sub(r"\1 (body not logged)", message)
        )
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


NO_REQUEST_BODIES = _NoRequestBodies()


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(NO_REQUEST_BODIES)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
