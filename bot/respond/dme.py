"""Which HCPCS Level II code fits an item dispensed beside the care (crutches, a sling, a knee immobilizer, a
walking boot), read from CMS's own descriptions in the imported HCPCS release: the item the note names (its
lexicon entry's `hcpcs_words`), then the words that tell the item's codes apart (forearm or underarm, wood or
not, a pair or one, pneumatic, off-the-shelf). A description's "other than wood" rules its code out for a note
that says wood. When the note leaves several, the item's `first` code leads and the others follow with what
sets each apart, so the coder picks from CMS's wording, never from ours."""

from __future__ import annotations

import re
from functools import cache

from bot.kb.models import code_range
from bot.kb.store import HcpcsCode, KnowledgeStore
from bot.nlu.case import Case, Fact
from bot.nlu.tokens import words as words_of
from bot.respond.base import HCPCS_SOURCE, Ask, Reply, declined

GROUP = "dme-items"  # knowledge/code_groups.yaml
_OTHER_THAN = re.compile(r"other than (\w+)")
_PLAIN = {"and", "or", "with", "without", "of", "the", "a", "includes", "any", "type", "all", "each", "for"}


_NON = re.compile(r"\bnon[- ]?(\w+)")  # "non-pneumatic" is one word: it is not "pneumatic"


def _stem(word: str) -> str:
    """One form for a word, its plural and its adjective ("crutches", "crutch"; "wooden", "wood")."""
    if word.endswith(("ches", "shes", "xes")):
        return word[:-2]
    if word.endswith("en") and len(word) > 5:
        return word[:-2]
    return word[:-1] if word.endswith("s") and len(word) > 3 and not word.endswith("ss") else word


def _stems(text: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in words_of(_NON.sub(r"non\1", text.lower())) if w not in _PLAIN)


# a code, the stems of its description, and the stems its description rules out ("other than wood")
Item = tuple[HcpcsCode, frozenset[str], frozenset[str]]


@cache
def _rows(store: KnowledgeStore) -> tuple[Item, ...]:
    out = []
    ranges = [code_range(item) or (item, item) for item in store.code_groups[GROUP].codes]
    for row in [row for first, last in ranges for row in store.hcpcs_range(first, last)]:
        if row.termination_date:
            continue  # a code CMS ended is not offered for an item dispensed today
        text = row.long_description.lower()
        excluded = frozenset(_stem(w) for w in _OTHER_THAN.findall(text))
        out.append((row, _stems(_OTHER_THAN.sub(" ", text)), excluded))
    return tuple(out)


def items(case: Case) -> list[Fact]:
    """The items dispensed the note names, each once ("figure-of-eight clavicle strap" is one item)."""
    named = {f.concept: f for f in reversed(case.of("procedure")) if f.attrs.get("hcpcs_words")}
    return list(reversed(named.values()))


def choose(store: KnowledgeStore, case: Case, item: Fact) -> list[HcpcsCode]:
    """The item's codes the note fits best, the item's `first` code first among equals."""
    required = frozenset(_stem(w) for w in item.attrs.get("hcpcs_words") or [])
    note = _stems(case.text)
    fits = [
        (len((stems - required) & note), row)
        for row, stems, out in _rows(store)
        if required <= stems and not out & note  # "wooden crutches": not the crutches "other than wood"
    ]
    if not fits:
        return []
    best = max(score for score, _ in fits)
    first = item.attrs.get("first")
    return sorted((row for score, row in fits if score == best), key=lambda r: (r.code != first, r.code))


def search(ask: Ask) -> Reply:
    """The code of each item the note names, from CMS's descriptions, with the release named."""
    store, case = ask.store, ask.case
    reply = Reply(answered=True)
    release = store.sources[HCPCS_SOURCE].edition if HCPCS_SOURCE in store.sources else "the imported release"
    for item in items(case):
        rows = choose(store, case, item)
        if not rows:
            continue
        lead, others = rows[0], rows[1:4]
        reply.code(lead.code, *(r.code for r in others))
        reply.picked = reply.picked or [lead.code]
        reply.say(f"*{lead.code}* (HCPCS Level II, {release}): {lead.long_description}.", [HCPCS_SOURCE])
        if others:
            name = item.concept.replace("-", " ")
            reply.options = [lead.code, *(r.code for r in others)]
            reply.say(
                f"The note does not say what tells the {name} codes apart; CMS's own wording decides: "
                + "; ".join(f"*{r.code}*: {r.long_description}" for r in others)
                + "."
            )
    if not reply.codes:
        return declined(
            "I couldn't match that item to a HCPCS Level II code I hold. Try its own name: crutches, a cane, a "
            "walker, a sling, a knee immobilizer, a figure-of-eight strap, a walking boot, a wrist brace.",
            suggestions=["HCPCS for a pair of underarm aluminum crutches?"],
        )
    reply.suggest(*(f"what is {c}?" for c in reply.codes[:2]))
    reply.confidence = 0.9 if len(reply.codes) == 1 else 0.6
    return reply
