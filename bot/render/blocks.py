"""Answer -> Slack Block Kit, within Slack's limits, with every piece of user-derived text escaped.

Slack rejects a whole message when one limit is broken (a section over 3,000 characters, more than 50
blocks, a button label over 75), so the renderer enforces them instead of trusting the content. Only `&`,
`<` and `>` are control characters in mrkdwn: escaping them is what stops a question from turning into a
`<!channel>` broadcast or a `<@U…>` mention when it is echoed back. Nothing here imports Slack libraries:
the output is plain dicts, so it is testable without a workspace.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.answer import Answer, SourceRef

MAX_SECTION_TEXT = 3000
# Slack refuses a message whose blocks hold about 12,000 characters in all (msg_blocks_too_long) although every
# block is within its own limit; the answer's sections share this budget, and the rest is cut with TOO_LONG.
MAX_MESSAGE_TEXT = 10_000
MAX_FACTS = 20  # codes or modifiers named in the facts line; a 500-code answer made a 3,917-character line
MAX_CONTEXT_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_BUTTON_TEXT = 75
MAX_VALUE = 2000
MAX_SUGGESTIONS = 4
MAX_FALLBACK = 3000
MAX_ECHO = 300
MAX_SOURCE_BLOCKS = 3  # 30 context elements of citations: far more than any answer cites, and room is left for text

SHARE_ACTION = "share_answer"
SUGGESTION_ACTION = "suggestion_{}"  # action ids must be unique inside one actions block
SUGGESTION_PATTERN = r"^suggestion_\d+$"
FEEDBACK_ACTION = "answer_feedback"  # Slack's feedback_buttons element: its value says which and for what
HELPFUL_ACTION = "feedback_helpful"  # the buttons of answers posted before it (still handled)
UNHELPFUL_ACTION = "feedback_unhelpful"
HELPFUL, UNHELPFUL = "helpful", "unhelpful"
FEEDBACK_MODAL = "feedback_reason"
REASON_BLOCK = "reason"
REASON_INPUT = "reason_input"

TOO_LONG = "_The rest of this answer is too long for one Slack message; ask a narrower question._"
TOO_LONG_TO_SHARE = "_This question is too long to share with a button; ask it again in the channel with a mention._"
APOLOGY = "Sorry, something went wrong while answering that. Please try again in a minute."
_ENTITY_TAIL = re.compile(r"&[a-z]{0,3}$")


def escape(text: str) -> str:
    """Slack's three control characters, `&` first so entities are not double-escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """escape() undone, `&amp;` last (a value that comes back from a button)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _plain(text: str) -> str:
    return re.sub(r"\*([^*\n]+)\*", r"\1", text)


def _truncate(text: str, limit: int) -> str:
    """Cut on a word boundary, with an ellipsis, and never inside an escaped entity."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return _ENTITY_TAIL.sub("", cut).rstrip() + "…"


def _pieces(text: str, limit: int) -> list[str]:
    """Lines, else sentences, else words, else hard cuts: the largest units that fit, separators kept."""
    pieces: list[str] = []
    for line in text.splitlines(keepends=True):
        if len(line) <= limit:
            pieces.append(line)
            continue
        for sentence in re.split(r"(?<=[.!?]\s)", line):
            if len(sentence) <= limit:
                pieces.append(sentence)
                continue
            for word in re.split(r"(?<=\s)", sentence):
                while len(word) > limit:
                    head = _ENTITY_TAIL.sub("", word[:limit]) or word[:limit]
                    pieces.append(head)
                    word = word[len(head) :]
                pieces.append(word)
    return [p for p in pieces if p]


def split_text(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Pack text into chunks of at most `limit` characters, breaking between lines, else between sentences.

    A sentence is only ever broken when it alone exceeds the limit (then between words).
    """
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        if current and len(current) + len(piece) > limit:
            chunks.append(current)
            current = ""
        current += piece
    chunks.append(current)
    return [c.strip() for c in chunks if c.strip()]


def _mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text}


def _section(text: str) -> dict:
    return {"type": "section", "text": _mrkdwn(text)}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    button = {
        "type": "button",
        "action_id": action_id,
        "value": value[:MAX_VALUE],
        "text": {"type": "plain_text", "text": _truncate(text, MAX_BUTTON_TEXT), "emoji": True},
    }
    if style:
        button["style"] = style
    return button


def _context_blocks(lines: Iterable[str]) -> list[dict]:
    """Lines packed into context elements (never splitting a line), ten elements to a block."""
    elements = [_mrkdwn(chunk) for chunk in _pack_lines(lines, MAX_CONTEXT_TEXT)]
    return [
        {"type": "context", "elements": elements[i : i + MAX_CONTEXT_ELEMENTS]}
        for i in range(0, len(elements), MAX_CONTEXT_ELEMENTS)
    ]


def _pack_lines(lines: Iterable[str], limit: int) -> list[str]:
    packed: list[str] = []
    for line in lines:
        line = _truncate(line, limit)
        if packed and len(packed[-1]) + 1 + len(line) <= limit:
            packed[-1] += "\n" + line
        else:
            packed.append(line)
    return packed


def _link(url: str, label: str) -> str:
    safe = escape(url).replace("|", "%7C")
    return f"<{safe}|{label}>"


def _source_line(n: int, source: SourceRef) -> str:
    marker = _link(source.url, f"[{n}]") if source.url else f"[{n}]"
    return f"{marker} {escape(source.citation)}"


def feedback_value(helpful: bool, question_id: str) -> str:
    return f"{HELPFUL if helpful else UNHELPFUL}:{question_id}"


def parse_feedback(value: str) -> tuple[bool, str] | None:
    """(helpful, question id) from a feedback button's value, or None when it is not one of ours."""
    kind, _, question_id = value.partition(":")
    return (kind == HELPFUL, question_id) if kind in (HELPFUL, UNHELPFUL) and question_id else None


def feedback_block(question_id: str) -> dict:
    """Slack's own 👍/👎 (a feedback_buttons element in a context_actions block)."""
    qid = question_id[: MAX_VALUE - len(UNHELPFUL) - 1]
    return {
        "type": "context_actions",
        "block_id": "answer_feedback",
        "elements": [
            {
                "type": "feedback_buttons",
                "action_id": FEEDBACK_ACTION,
                "positive_button": {
                    "text": {"type": "plain_text", "text": "Helpful"},
                    "value": feedback_value(True, qid),
                    "accessibility_label": "This answer was helpful",
                },
                "negative_button": {
                    "text": {"type": "plain_text", "text": "Not helpful"},
                    "value": feedback_value(False, qid),
                    "accessibility_label": "This answer was not helpful",
                },
            }
        ],
    }


def _facts(label: str, items: Sequence[str]) -> str:
    """'*Codes:* 27250, 27252' for at most MAX_FACTS items, then how many more, within a context element."""
    shown = ", ".join(items[:MAX_FACTS]) + (f" and {len(items) - MAX_FACTS} more" if len(items) > MAX_FACTS else "")
    return f"*{label}:* " + _truncate(escape(shown), MAX_CONTEXT_TEXT // 2 - len(label) - 4)


def answer_message(
    answer: Answer, *, question_id: str, share: bool = False, echo_question: bool = False, shared_by: str | None = None
) -> dict:
    """The message for one answer: `text` (notification fallback) and `blocks`.

    `question_id` rides on the feedback buttons so feedback can be tied to the question; `share` adds the
    button that posts an ephemeral answer in the channel; `echo_question` repeats the question (slash
    commands, where Slack does not show what the user typed). `shared_by` (a Slack user id) heads an answer
    shared in a channel with who asked, instead of the question, which was private and may hold identifiers.
    """
    head: list[dict] = []
    if shared_by:
        head.append({"type": "context", "elements": [_mrkdwn(f"<@{escape(shared_by)}> shared this answer")]})
    elif echo_question:
        echo = "You asked: " + _truncate(escape(answer.question), MAX_ECHO)
        head.append({"type": "context", "elements": [_mrkdwn(echo)]})
    tail: list[dict] = []
    facts = []
    reported = [c for c in answer.codes if c not in answer.not_reported]
    if reported:
        facts.append(_facts("Codes", reported))
    if answer.not_reported:  # named by the answer as not reported here: never listed as codes to bill
        facts.append(_facts("Not reported", answer.not_reported))
    if answer.modifiers:
        facts.append(_facts("Modifiers", answer.modifiers))
    if facts:
        tail.append({"type": "context", "elements": [_mrkdwn("   ".join(facts))]})
    if answer.sources:
        lines = ["*Sources*"] + [_source_line(n, s) for n, s in enumerate(answer.sources, 1)]
        tail += _context_blocks(lines)[:MAX_SOURCE_BLOCKS]
    suggestions = answer.suggestions[:MAX_SUGGESTIONS]
    if suggestions:
        label = "Did you mean:" if not answer.answered else "You could also ask:"
        tail.append({"type": "context", "elements": [_mrkdwn(label)]})
        tail.append(
            {
                "type": "actions",
                "block_id": "suggestions",
                "elements": [_button(s, SUGGESTION_ACTION.format(i), s) for i, s in enumerate(suggestions)],
            }
        )
    buttons: list[dict] = []
    if share and answer.answered:
        # the question rides back to us in the value: escaped like any text, so no copy of the message carries
        # a raw `<!channel>` or `<@U…>` from it (on_share unescapes it before asking again). A question too
        # long for a value gets no button: asked again cut short, it could share a different answer.
        value = escape(answer.question)
        if len(value) <= MAX_VALUE:
            buttons.insert(0, _button("Share in channel", SHARE_ACTION, value, style="primary"))
        else:
            tail.append({"type": "context", "elements": [_mrkdwn(TOO_LONG_TO_SHARE)]})
    if buttons:
        tail.append({"type": "actions", "block_id": "answer_actions", "elements": buttons})
    tail.append(feedback_block(question_id))

    room = MAX_MESSAGE_BLOCKS - len(head) - len(tail)
    budget = MAX_MESSAGE_TEXT - _text_size(head + tail)
    parts = split_text(escape(answer.text)) or ["(no answer text)"]
    sections: list[str] = []
    for n, part in enumerate(parts):
        last = n == len(parts) - 1
        if (last and len(sections) < room and len(part) <= budget) or (
            len(sections) < room - 1 and len(part) <= budget - len(TOO_LONG)
        ):  # room left for the note
            sections.append(part)
            budget -= len(part)
            continue
        sections.append(TOO_LONG)
        break
    blocks = head + [_section(s) for s in sections] + tail
    return {"text": fallback_text(answer), "blocks": blocks}


def _text_size(blocks: list[dict]) -> int:
    """Characters of text the blocks show: what Slack's message-wide limit counts."""
    size = 0
    for block in blocks:
        for element in [block.get("text") or {}, *block.get("elements", [])]:
            size += len(
                element.get("text", "")
                if isinstance(element.get("text"), str)
                else (element.get("text") or {}).get("text", "")
            )
    return size


def fallback_text(answer: Answer) -> str:
    """Plain text for notifications and clients without Block Kit: escaped, bold markers removed, capped."""
    return _truncate(escape(_plain(answer.text)), MAX_FALLBACK) or "Answer"


def apology_message() -> dict:
    return {"text": APOLOGY, "blocks": [_section(APOLOGY)]}


def usage_message(command: str, examples: Sequence[str]) -> dict:
    """What `/code help` and an empty `/code` show."""
    intro = f"*Ask a coding question:* `{command} <question>`, a mention in a channel, or a direct message."
    lines = [
        intro,
        "I answer with the code or modifier, the rule that decides, and its source. "
        "Never paste patient names, dates of birth or record numbers.",
    ]
    if examples:
        lines += ["*Examples:*"] + [f"• `{command} {e}`" for e in examples]
    return {
        "response_type": "ephemeral",
        "text": escape(_plain(intro)),
        "blocks": [_section(chunk) for chunk in split_text(escape("\n".join(lines)))],
    }


def feedback_modal(question_id: str) -> dict:
    """Asks why an answer did not help; `notify_on_close` so a dismissed modal still counts as 👎."""
    return {
        "type": "modal",
        "callback_id": FEEDBACK_MODAL,
        "private_metadata": question_id[:3000],
        "notify_on_close": True,
        "title": {"type": "plain_text", "text": "Not helpful"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Skip"},
        "blocks": [
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "What was wrong or missing?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_INPUT,
                    "multiline": True,
                    "max_length": 500,
                    "placeholder": {"type": "plain_text", "text": "e.g. wrong code, outdated rule, missing source"},
                },
            },
        ],
    }


def home_view(
    *,
    command: str,
    examples: Sequence[str],
    content_version: str,
    pfs_release: str,
    editions: Sequence[tuple[str, str]],
    other_sources: int,
    curator_summary: str | None = None,
    bot_name: str = "me",
) -> dict:
    """App Home: how to ask, examples, and which content version and source editions answers come from.
    `bot_name` is the bot's name as installed (auth.test), not the name the manifest suggested."""
    how = (
        f"*How to ask*\n• Mention me in a channel: `@{bot_name} is 27252 right under general anesthesia?`\n"
        "• Send me a direct message from the Messages tab.\n"
        f"• Use `{command} <question>` anywhere (only you see the answer until you share it).\n"
        "Please never paste patient names, dates of birth or record numbers."
    )
    texts = [how]
    if examples:
        texts.append("*Examples*\n" + "\n".join(f"• {e}" for e in examples))
    lines = ["*Code sets, files and manuals*"] + [f"• {title}: {edition}" for title, edition in editions]
    if other_sources:
        lines.append(f"…and {other_sources} secondary sources cited in the answers.")
    title = {"type": "plain_text", "text": "Coding questions, answered with sources"}
    blocks: list[dict] = [{"type": "header", "text": title}]
    blocks += [_section(escape(t)) for t in texts]
    blocks.append({"type": "divider"})
    blocks.append(_section(escape(f"*Knowledge base* `{content_version}`\nCMS fee schedule: {pfs_release}")))
    blocks += [_section(chunk) for chunk in _pack_lines([escape(line) for line in lines], MAX_SECTION_TEXT)]
    if curator_summary:  # redacted at storage; escaped here like any text that came from users
        blocks.append({"type": "divider"})
        blocks.append(_section("*For curators* (`coding-bot report` has the full list)"))
        blocks += [
            _section(chunk)
            for chunk in _pack_lines([escape(line) for line in curator_summary.splitlines()], MAX_SECTION_TEXT)
        ]
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}
