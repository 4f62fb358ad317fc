"""Answer -> text for a terminal: the answer, then numbered sources, then follow-up questions."""

from __future__ import annotations

import re

from bot.answer import Answer


def _plain(text: str) -> str:
    return re.sub(r"\*([^*\n]+)\*", r"\1", text)  # mrkdwn bold reads as noise in a terminal


def render_text(answer: Answer, why: bool = False) -> str:
    """The answer, its sources and follow-ups; with `why`, the reasoning and further sources too."""
    out = [_plain(answer.text)]
    if answer.sources:
        out.append("Sources:")
        out += [f"  [{i}] {s.citation}" + (f" <{s.url}>" if s.url else "") for i, s in enumerate(answer.sources, 1)]
    if why and answer.details:
        out += ["Why:", _plain(answer.details)]
    if why and answer.more_sources:
        first = len(answer.sources) + 1
        out.append("More sources:")
        out += [
            f"  [{i}] {s.citation}" + (f" <{s.url}>" if s.url else "") for i, s in enumerate(answer.more_sources, first)
        ]
    elif answer.details or answer.more_sources:
        out.append("(more: the reasoning and further sources with --why)")
    if answer.suggestions:
        out.append("You could ask: " + " | ".join(answer.suggestions))
    if not answer.answered:
        out.append(f"(not answered; intent guess {answer.intent}, confidence {answer.confidence:.2f})")
    return "\n".join(out)
