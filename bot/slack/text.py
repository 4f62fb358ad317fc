"""What comes in from Slack, made into a question: unescaped once, without the bot's own mention, bounded.

Slack sends `&`, `<` and `>` typed by a person already escaped (`&amp;`, `&lt;`, `&gt;`) in message text and in
slash command text; markup it made itself (`<@U…>`, `<#C…|name>`, `<https://…|label>`) arrives raw. Echoed
back after our own escaping, "E&M" showed as "E&amp;amp;M". So the text is unescaped here, once, and every
renderer escapes it once. A message can hold 40,000 characters; what reaches the engine is bounded to
MAX_QUESTION_CHARS, keeping the start and, above all, the end, where a pasted note puts its question.
"""

from __future__ import annotations

import re

MAX_QUESTION_CHARS = 20_000
HEAD_CHARS = 4_000  # of a longer text, the start kept (the case) ...
JOINER = "\n…\n"  # ... and the rest of the room for its end (the question)


def unescape(text: str) -> str:
    """Slack's three entities undone, `&amp;` last, so a typed "&lt;" stays "&lt;"."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def without_mention_of(text: str, user_id: str | None) -> str:
    """The text without `<@BOT>` or `<@BOT|name>`: addressing the bot is not part of the question (and the
    redactor would store it as a Slack id)."""
    if not user_id:
        return text
    return re.sub(rf"<@{re.escape(user_id)}(?:\|[^>]*)?>\s*", "", text).strip()


USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")  # how Slack writes a user's id


def user_id(value: object) -> str | None:
    """The value when it is a Slack user id, else None: a malformed id from a request is never made a mention."""
    return value if isinstance(value, str) and USER_ID.fullmatch(value) else None


def bounded(text: str, limit: int = MAX_QUESTION_CHARS) -> str:
    """At most `limit` characters: the first HEAD_CHARS and the last ones, cut at spaces where possible."""
    if len(text) <= limit:
        return text
    head = text[:HEAD_CHARS]
    space = head.rfind(" ")
    head = head[:space] if space > HEAD_CHARS // 2 else head
    room = limit - len(head) - len(JOINER)
    tail = text[len(text) - room :]
    space = tail.find(" ")
    tail = tail[space + 1 :] if 0 <= space < room // 2 else tail
    return head + JOINER + tail


def question_from(text: str | None, bot_user_id: str | None = None) -> str:
    """A message's or a slash command's text as the engine should read it."""
    return bounded(unescape(without_mention_of(text or "", bot_user_id)))
