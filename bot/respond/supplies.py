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
MATERIALS = ("plaster", "fiberglass")
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


@cache
def _supplies(
    store: KnowledgeStore,
) -> tuple[tuple[HcpcsCode, frozenset[str], tuple[int, int] | None, str | None], ...]:
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
    """The supply codes the note fits, best first: every type word of the code in the note (the most such words
    wins: a "short leg splint" is not a "short leg cast"), then the material and the age group where the note
    says them. One code when the note decides; the few it leaves open otherwise; none when it names no type."""
    said = set(case.content_words) | {w for f in case.of("procedure") for w in words_of(f.words)}
    fits = [
        (len(kinds), row, span, material) for row, kinds, span, material in _supplies(store) if kinds and kinds <= said
    ]
    if not fits:
        return []
    most = max(n for n, *_ in fits)
    fits = [f for f in fits if f[0] == most]
    named = [m for m in MATERIALS if m in said]
    if len(named) == 1:
        fits = [f for f in fits if f[3] in (named[0], None)] or fits
    if case.age is not None:
        fits = [f for f in fits if f[2] is None or f[2][0] <= case.age <= f[2][1]] or fits
    return [row for _, row, _, _ in fits]
