"""Codes and modifiers, found by pattern where patterns are exact: the shapes of the code sets, and every written
form of a modifier.

A code number is taken exactly as written and never fuzzed (27250 must never become 27252). Which two-letter
forms are modifiers comes from the knowledge base's modifier list, never from a list here; which two-letter
words are ordinary English (do, is, on) comes from the lexicon's stop words. Forms that need the words
around them (a bare "59", a capitalised "LT") are decided later by the reader, once the lexicon has read
those words. Every pattern is linear-time: fixed-length alternatives, no nested quantifiers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CODE = r"\d{5}|\d{4}[ftu]|[a-v]\d{4}"
_CODE_WITH_MODS = re.compile(rf"(?<![\w.])({_CODE})((?:[ \t]?-[ \t]?[0-9a-z]{{2}}\b){{1,4}})", re.I)
_CPT = re.compile(r"(?<![\w.\-/])(\d{5}|\d{4}[ftu])(?![\w]|\.\d)", re.I)
_CPT_IN_LIST = re.compile(r"(?<=/)(\d{5})(?![\w]|\.\d)")  # "27250/27252": the second of a pair
_HCPCS = re.compile(r"(?<![\w.])([a-v]\d{4})(?![\w.])", re.I)
_ICD_DOTTED = re.compile(r"(?<![\w.])([a-tv-z]\d[0-9a-z])\.([0-9a-z]{1,4})(?![\w])", re.I)
_ICD_COMPACT = re.compile(r"(?<![\w.])([a-tv-z]\d[0-9a-z]{2,5})(?![\w])", re.I)
_ICD_CATEGORY = re.compile(r"(?<![\w.])([a-tv-z]\d\d)(?=[ \t]*(?:\.|-|\bcodes?\b|\bfamily\b|\bcategory\b|$))", re.I)
_PCS = re.compile(r"(?<![\w.])(0[0-9a-hj-np-z]{6})(?![\w.])", re.I)  # ICD-10-PCS: 7 characters, no I or O
_MOD_KEYWORD = re.compile(
    # "modifier 25", "mod-25", "mod25"; never inside a word ("model", "modest")
    r"\b(?:mod(?:ifier|ifer)?s?)(?:\b[ \t]*[-#:]?[ \t]*|[-#:]?(?=\d))([0-9a-z]{2})\b"
    r"((?:[ \t]*(?:,|/|\band\b|\bor\b|&)[ \t]*-?[0-9a-z]{2}\b){0,6})",
    re.I,
)
_MOD_TRAILING = re.compile(r"(?<![\w-])-?([0-9a-z]{2})[ \t]+mod(?:ifier|ifer)?s?\b", re.I)
_PHYSICAL_STATUS = re.compile(r"(?<![\w-])p[- ]([1-6])\b(?![ \t]*(?:mg|ml|min|%|percent))", re.I)
_MOD_DASH = re.compile(r"(?<![\w-])-([0-9a-z]{2})\b", re.I)
_ANESTHESIA_CODE = re.compile(r"0[01]\d{3}")


@dataclass(frozen=True)
class Entity:
    kind: str  # cpt | hcpcs | icd | pcs | modifier
    value: str  # upper case; ICD-10-CM with its dot
    start: int
    end: int
    explicit: bool = True  # modifiers: written with "modifier", a dash or hyphenated onto a code
    code: str | None = None  # modifiers hyphenated onto a code: that code

    @property
    def is_anesthesia_code(self) -> bool:
        return self.kind == "cpt" and bool(_ANESTHESIA_CODE.fullmatch(self.value))


def find_entities(
    folded: str,
    cased: str,
    known_modifiers: frozenset[str],
    ordinary: frozenset[str],
    units: frozenset[str] = frozenset(),
) -> list[Entity]:
    """Codes of every code set and the modifiers written explicitly, in order, never overlapping.

    `folded` and `cased` are the same text, lower case and as written; `ordinary` holds the two-letter
    words that are English ("is", "on"), which are modifiers only when written in capitals; a number followed
    by one of `units` is a quantity ("27550 - 90 day global", "fentanyl 50 mcg").
    """
    found: list[Entity] = []
    taken = bytearray(len(folded))  # characters already inside an entity: overlap checks stay linear in the text

    def free(start: int, end: int) -> bool:
        return not any(taken[start:end])

    def take(entity: Entity) -> None:
        found.append(entity)
        taken[entity.start : entity.end] = b"\x01" * (entity.end - entity.start)

    def is_word(start: int, end: int) -> bool:
        return folded[start:end] in ordinary and not cased[start:end].isupper()

    for m in _CODE_WITH_MODS.finditer(folded):
        code = m.group(1).upper()
        suffixes = []
        for s in re.finditer(r"[0-9a-z]{2}", m.group(2)):
            start, end = m.start(2) + s.start(), m.start(2) + s.end()
            mod = s.group().upper()
            written_as_modifier = (
                cased[start:end].isupper() and not cased[start:end].isdigit()
            )  # "27842-GZ": read, to decline
            if not mod.isdigit() and (
                is_word(start, end)
                or not (mod in known_modifiers or re.fullmatch(r"[A-Z]\d", mod) or written_as_modifier)
            ):
                break  # "23700 - is that one", "27252 - pt got ketamine": a dash between words
            if _next_word(folded, end) in units:
                break
            suffixes.append((mod, start, end))
        if not suffixes:
            continue
        take(Entity(_code_kind(code), code, m.start(1), m.end(1)))
        for mod, start, end in suffixes:
            take(Entity("modifier", mod, start, end, True, code))
    for m in _ICD_DOTTED.finditer(folded):
        if free(m.start(), m.end()):
            take(Entity("icd", f"{m.group(1)}.{m.group(2)}".upper(), m.start(), m.end()))
    for pattern in (_CPT, _CPT_IN_LIST):
        for m in pattern.finditer(folded):
            if free(m.start(1), m.end(1)):
                take(Entity("cpt", m.group(1).upper(), m.start(1), m.end(1)))
    for m in _HCPCS.finditer(folded):
        # a letter and four digits is HCPCS (G0008) or an undotted ICD-10-CM code (S7301): the reader keeps both
        if free(m.start(1), m.end(1)):
            take(Entity("hcpcs", m.group(1).upper(), m.start(1), m.end(1)))
    for m in _PCS.finditer(folded):
        if free(m.start(1), m.end(1)) and re.search(r"[a-z]", m.group(1)):  # 0SSBXZZ: one digit only, the first
            take(Entity("pcs", m.group(1).upper(), m.start(1), m.end(1)))
    for m in _ICD_COMPACT.finditer(folded):
        raw = m.group(1).upper()
        if not free(m.start(), m.end()) or raw in known_modifiers or not re.search(r"\d", raw[1:]):
            continue
        if len(raw) == 4 and cased[m.end(1) - 1] == "s":  # "something in the T84s": the category's codes, a plural
            take(Entity("icd", raw[:3], m.start(1), m.end(1) - 1))
            continue
        if len(raw) >= 4 and re.search(r"[A-Z]", raw[3:]) or len(raw) in (4, 6, 7):
            take(Entity("icd", f"{raw[:3]}.{raw[3:]}", m.start(1), m.end(1)))
    for m in _ICD_CATEGORY.finditer(folded):
        if free(m.start(1), m.end(1)) and m.group(1).upper() not in known_modifiers:
            take(Entity("icd", m.group(1).upper(), m.start(1), m.end(1)))

    for m in _MOD_KEYWORD.finditer(folded):
        if is_word(m.start(1), m.end(1)):
            continue  # "which mod do i use", "modifier on the E/M": a word, not a modifier
        parts = [(m.start(1), m.end(1))] + [
            (m.start(2) + s.start(), m.start(2) + s.end())
            for s in re.finditer(r"(?<![a-z])[0-9a-z]{2}(?![a-z])", m.group(2) or "")
            if s.group() not in ("or", "an")
        ]
        for start, end in parts:
            if free(start, end) and not is_word(start, end):
                take(Entity("modifier", folded[start:end].upper(), start, end))
    for m in _PHYSICAL_STATUS.finditer(folded):  # "P-4", "p 3": the ASA physical status modifiers
        if free(m.start(), m.end()):
            take(Entity("modifier", f"P{m.group(1)}", m.start(), m.end()))
    for pattern in (_MOD_TRAILING, _MOD_DASH):
        for m in pattern.finditer(folded):
            mod = m.group(1).upper()
            if not free(m.start(1), m.end(1)) or is_word(m.start(1), m.end(1)):
                continue
            if pattern is _MOD_DASH and not (mod in known_modifiers or mod.isdigit()):
                continue
            if _next_word(folded, m.end(1)) in units:
                continue
            take(Entity("modifier", mod, m.start(1), m.end(1)))
    return sorted(found, key=lambda e: e.start)


_NEXT_WORD = re.compile(r"[ \t]*([a-z]+)")


def _next_word(folded: str, end: int) -> str:
    m = _NEXT_WORD.match(folded, end)
    return m.group(1) if m else ""


def _code_kind(code: str) -> str:
    return "hcpcs" if code[0].isalpha() else "cpt"
