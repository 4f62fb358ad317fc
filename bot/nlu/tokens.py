"""Words and their places: one tokeniser for the question and for every lexicon term, so the two always agree.

Grammar only, no domain words: text is folded to ASCII lower case, apostrophes inside words are dropped
("nursemaid's" -> "nursemaids"), short slash and ampersand forms stay one token ("w/o", "s/p", "e&m") so
the lexicon's shorthand can expand them, and a number glued to a unit is split ("62yo", "18min"). Every
token keeps the character span it came from, so a fact can always say which words it was read from.
All patterns here are linear-time: no nested or overlapping quantifiers.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

_TOKEN = re.compile(r"[a-z]{1,2}/[a-z]{1,2}(?![a-z0-9])|[a-z]/|[a-z]&[a-z](?![a-z])|[a-z0-9]+")
_GLUED = re.compile(r"(\d{1,3})([a-z]{1,7})")


class Token(NamedTuple):  # a tuple: a long note makes thousands, and a tuple is the cheapest to make
    text: str  # lower case, folded
    start: int  # span in the folded text, which has the same length as the input
    end: int


_CONTROL = {i: " " for i in (*range(9), 11, 12, *range(13, 32), 127)}  # every ASCII control but tab and newline


def fold(text: str) -> str:
    """ASCII lower case with the same length as the input (one character per character), so spans map back."""
    if text.isascii():
        return text.translate(_CONTROL).lower()
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch.lower() if ch.isprintable() or ch in "\n\t" else " ")
            continue
        base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
        out.append(base[:1].lower() if len(base) >= 1 and base[:1].isprintable() else _PUNCT_FOR.get(ch, " "))
    return "".join(out)


_PUNCT_FOR = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u2026": "."}


def cased(text: str) -> str:
    """Like fold() but keeping case: 'LT' the modifier vs 'lt' for left, 'OR' the room vs 'or'."""
    if text.isascii():
        return text.translate(_CONTROL)
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch if ch.isprintable() or ch in "\n\t" else " ")
            continue
        base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
        out.append(base[:1] if len(base) >= 1 and base[:1].isprintable() else _PUNCT_FOR.get(ch, " "))
    return "".join(out)


def tokenise(folded: str, start: int = 0, end: int | None = None, units: frozenset[str] = frozenset()) -> list[Token]:
    """Tokens of folded[start:end]; a number glued to a word in `units` ("62yo") becomes two tokens."""
    segment = folded[start:end]
    keep: list[int] | None = None
    if "'" in segment:  # drop apostrophes inside words, remembering where every kept character was
        keep = [
            i
            for i, ch in enumerate(segment)
            if not (ch == "'" and 0 < i < len(segment) - 1 and segment[i - 1].isalpha() and segment[i + 1].isalpha())
        ]
        segment = "".join(segment[i] for i in keep)
    tokens: list[Token] = []
    for m in _TOKEN.finditer(segment):
        s, e = (keep[m.start()], keep[m.end() - 1] + 1) if keep is not None else (m.start(), m.end())
        tokens.extend(_split_glued(m.group(), start + s, start + e, units))
    return tokens


def _split_glued(word: str, start: int, end: int, units: frozenset[str]) -> list[Token]:
    glued = _GLUED.fullmatch(word)
    if glued and glued.group(2) in units:
        cut = start + len(glued.group(1))
        return [Token(glued.group(1), start, cut), Token(glued.group(2), cut, end)]
    return [Token(word, start, end)]


_INNER_APOSTROPHE = re.compile(r"(?<=[a-z])'(?=[a-z])")


def words(text: str) -> tuple[str, ...]:
    """The token texts of a lexicon term or any short text, for building and looking up the index: tokenise()
    without the spans (and no unit to split off), so the thousands of lexicon terms compile fast at start."""
    folded = fold(text)
    return tuple(_TOKEN.findall(_INNER_APOSTROPHE.sub("", folded) if "'" in folded else folded))


def expand(
    tokens: list[Token],
    table: dict[tuple[str, ...], tuple[str, ...]],
    longest: int,
    firsts: frozenset[str] | None = None,
) -> list[Token]:
    """Replace shorthand runs ("w/o", "mod sed") by what they stand for, longest first; the words put in
    their place keep the span of the words they replace."""
    if not table:
        return tokens
    firsts = firsts if firsts is not None else frozenset(k[0] for k in table)
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        if tokens[i].text not in firsts:
            out.append(tokens[i])
            i += 1
            continue
        for n in range(min(longest, len(tokens) - i), 0, -1):
            means = table.get(tuple(t.text for t in tokens[i : i + n]))
            if means is not None:
                start, end = tokens[i].start, tokens[i + n - 1].end
                out.extend(Token(word, start, end) for word in means)
                i += n
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def expand_words(
    term: tuple[str, ...],
    table: dict[tuple[str, ...], tuple[str, ...]],
    longest: int,
    firsts: frozenset[str] | None = None,
) -> tuple[str, ...]:
    """expand() for a lexicon term, so a term written with shorthand matches the expanded question."""
    return tuple(t.text for t in expand([Token(w, 0, 0) for w in term], table, longest, firsts))
