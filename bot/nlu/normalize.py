"""Normalise a coder's question: case, symbols, punctuation and the shorthand coders type.

Runs after entity extraction has replaced codes and modifiers with placeholders, so expanding "mod" or
"or" here can never change a code.
"""

from __future__ import annotations

import re
import unicodedata

# Order matters: multi-word and slash forms first.
_SHORTHAND: list[tuple[str, str]] = [
    (r"\bw/o\b", " without "),
    (r"\bf/u\b", " follow up "),
    (r"\br/o\b", " rule out "),
    (r"\bw/", " with "),
    (r"\bs/p\b", " status post "),
    (r"\bb/l\b", " bilateral "),
    (r"\bbilat\b", " bilateral "),
    (r"\btx\b", " treatment "),
    (r"\btxs\b", " treatments "),
    (r"\bga\b", " general anesthesia "),
    (r"\bgeta\b", " general anesthesia "),
    (r"\bmac\b", " monitored anesthesia care "),
    (r"\bdx\b", " diagnosis "),
    (r"\bicd[- ]?10[- ]?(?:cm)?\b", " icd10 "),
    (r"\bmod\.? sed\w*", " moderate sedation "),
    (r"\bmods?\b", " modifier "),
    (r"\bmodifers?\b", " modifier "),
    (r"\bpts?\b", " patient "),
    (r"\bpx\b", " procedure "),
    (r"\bfx\b", " fracture "),
    (r"\bdislocat\w*\b", " dislocation "),
    (r"\bdislo\b|\bdisloc\b", " dislocation "),
    (r"\banesth\w*\b", " anesthesia "),
    (r"\banaesth\w*\b", " anesthesia "),
    (r"\bsedat\w*\b", " sedation "),
    (r"\btotal (hip|knee|shoulder)\b", r" total \1 prosthesis "),  # "dislocated total hip": a replacement's
    (r"\bglobal period\b", " global days "),
    (r"\be/m\b", " em "),
    (r"\be&m\b", " em "),
    (r"\bpls\b|\bplz\b", " please "),
    (r"\bthx\b|\bty\b", " thanks "),
    (r"\bu\b", " you "),
    (r"\bur\b", " your "),
    (r"\br\b(?=\s+(?:you|u|there|these|those|they|we)\b)", " are "),  # "what r u able to", not "r hip"
]
_COMPILED = [(re.compile(p), r) for p, r in _SHORTHAND]
_PUNCT = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")


def ascii_text(text: str) -> str:
    """ASCII letters, no ®/™, control characters as spaces; case kept ('LT' the modifier vs 'lt' for left)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    return text.encode("ascii", "ignore").decode()


def fold(text: str) -> str:
    """ascii_text() in lower case; character positions match ascii_text() of the same input."""
    return ascii_text(text).lower()


def normalise(text: str) -> str:
    text = fold(text)
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    text = _PUNCT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()
