"""Which cast or splint supply code (the code group cast-supplies, HCPCS Q4001-Q4051) fits, read from CMS's own
descriptions in the imported HCPCS release: the cast or splint type the note names, the material, and the age
group CMS writes into each description ("pediatric (0-10 years)", "adult (11 years +)")."""

from __future__ import annotations

import re
from functools import cache

from bot.kb.models import code_range
from bot.kb.store import HcpcsCode, KnowledgeStore
from bot.nlu.case import Case
from bot.nlu.tokens import words as words_of

GROUP = "cast-supplies"  # knowledge/code_groups.yaml
OTHER_MATERIAL = "other-casting-material"  # the procedures.yaml topic: a material CMS lists no code of its own for
DESCRIBED_WITHIN = 30  # characters before a cast or splint mention that may describe it ("short leg fiberglass cast")
MATERIALS = ("plaster", "fiberglass")
SPLINT = "splint"  # CMS's word for a splint's supply code; a code without it is a cast's
_AGES = re.compile(r"\((\d+)-(\d+) years\)|\((\d+) years \+\)")
_NOT_TYPE = {
    "cast",
    "casting",
    "supplies",
    "supply",
    "with",
    "or",
    "without",
    "for",
    "of",
    "and",
    "the",
    "includes",
    "one",
    "both",
    "other",
    "years",
    "adult",
    "pediatric",
    "static",
    "miscellaneous",
    "unlisted",
    "types",
    "materials",
    "casts",
    *MATERIALS,
}  # words coders do not write when they name a cast or splint


# a supply code, its type words, its age range and its material
Supply = tuple[HcpcsCode, frozenset[str], tuple[int, int] | None, str | None]


@cache
def _supplies(store: KnowledgeStore) -> tuple[Supply, ...]:
    """Each supply code with its type words, its age range and its material, from CMS's description."""
    out = []
    ranges = [code_range(item) or (item, item) for item in store.code_groups[GROUP].codes]
    for row in [row for first, last in ranges for row in store.hcpcs_range(first, last)]:
        text = row.long_description.lower()
        ages = _AGES.search(text)
        span = (
            (int(ages.group(1)), int(ages.group(2)))
            if ages and ages.group(1)
            else ((int(ages.group(3)), 200) if ages else None)
        )
        material = next((m for m in MATERIALS if m in text), None)
        kinds = frozenset(w for w in words_of(re.sub(r"\(.*?\)", " ", text)) if w not in _NOT_TYPE and not w.isdigit())
        out.append((row, kinds, span, material))
    return tuple(out)


def is_supply(store: KnowledgeStore, code: str) -> bool:
    return store.code_groups[GROUP].covers(code)


def choose(store: KnowledgeStore, case: Case) -> list[HcpcsCode]:
    """The supply codes the note fits, best first.

    Each cast or splint the note mentions is described by the words just before it ("short leg fiberglass
    cast"): a code fits it when every type word of the code is in the note, and it is a splint code only if the
    mention says splint (body words may come from elsewhere: "mallet finger ... a stack splint"). The fit with
    the most type words in the mention's own words wins, then the one with the most type words (a "short leg
    splint" is not a "short leg cast"). A note with no such mention is matched as a whole. Then the material
    and the age group where the note says them; a material CMS lists no code for ("thermoplastic") leaves the
    codes for other materials. One code when the note decides; the few it leaves open otherwise; none when it
    names no type."""
    rows = _supplies(store)
    note = set(case.content_words) | {w for f in case.of("procedure") for w in words_of(f.words)}
    others = [f for f in case.of("procedure") if f.concept == OTHER_MATERIAL]
    candidates = {other: _fits(rows, note, other) for other in (False, True)}
    ranked: list[tuple[tuple[int, int], HcpcsCode, tuple[int, int] | None, str | None]] = []
    said = note
    for mention in case.of("procedure"):
        if mention.attrs.get("kind") != "topic":
            continue
        first = max(0, mention.start - DESCRIBED_WITHIN)
        near = set(words_of(case.text[first : mention.end]))
        splint = SPLINT in near
        other = any(first <= f.start <= mention.end for f in others)  # "a thermoplastic splint", "a soft cast"
        fits = [
            ((len(k & near), len(k)), row, span, m)
            for row, k, span, m in candidates[other]
            if (SPLINT in k) == splint and (k & near or not k)
        ]
        if fits and (not ranked or max(f[0] for f in fits) > max(f[0] for f in ranked)):
            ranked, said = fits, near
    fits = ranked or [((0, len(k)), row, span, m) for row, k, span, m in candidates[bool(others)]]
    if not fits:
        return []
    best = max(score for score, *_ in fits)
    fits = [f for f in fits if f[0] == best]
    named = [m for m in MATERIALS if m in said] or [m for m in MATERIALS if m in note]
    if len(named) == 1:
        fits = [f for f in fits if f[3] in (named[0], None)] or fits
    if case.age is not None:
        fits = [f for f in fits if f[2] is None or f[2][0] <= case.age <= f[2][1]] or fits
    return [row for _, row, _, _ in fits]


def _fits(rows: tuple[Supply, ...], said: set[str], other_material: bool) -> list[Supply]:
    """The codes whose type words are all in `said`; only those of no listed material when the cast or splint
    is of another one (then the catch-all with no type words too)."""
    if other_material:
        return [r for r in rows if r[3] is None and r[1] <= said]
    return [r for r in rows if r[1] and r[1] <= said]
