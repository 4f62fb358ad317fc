"""Answer -> text for a terminal: the answer, then numbered sources, then follow-up questions."""

from __future__ import annotations

import re

from bot.answer import Answer


def render_text(answer: Answer) -> str:
    body = re.sub(r"\*([^*\n]+)\*", r"\1", answer.text)  # mrkdwn bold reads as noise in a terminal
    out = [body]
    if answer.sources:
        out.append("Sources:")
        out += [f"  [{i}] {s.citation}" + (f" <{s.url}>" if s.url else "") for i, s in enumerate(answer.sources, 1)]
    if answer.suggestions:
        out.append("You could ask: " + " | ".join(answer.suggestions))
    if not answer.answered:
        out.append(f"(not answered; intent guess {answer.intent}, confidence {answer.confidence:.2f})")
    return "\n".join(out)
