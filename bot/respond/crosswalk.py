"""anesthesia_crosswalk: the anesthesia code whose own descriptor covers the body site of a procedure.

The ASA Crosswalk itself is a licensed product we cannot see, so every answer says which anesthesia code's
descriptor covers the site and points the coder at the Crosswalk to confirm the pairing.
"""

from __future__ import annotations

from bot.kb.models import AnesthesiaSite
from bot.kb.store import KnowledgeStore
from bot.respond import situations
from bot.respond.base import PFS_SOURCE, Ask, Reply, declined, labelled
from bot.respond.retrieve import MIN_MATCH, rank_codes


def _site_for_code(store: KnowledgeStore, code: str) -> AnesthesiaSite | None:
    curated = store.codes.get(code)
    return store.site_for(curated) if curated else None


def compose(ask: Ask) -> Reply:
    store, case = ask.store, ask.case
    reply = Reply(answered=False)
    named = ask.anesthesia_codes[:2]
    for code in named:
        anes = store.codes.get(code)
        if anes is None:
            _not_curated(store, code, named, reply)
            continue
        reply.answered = True
        reply.code(code)
        reply.say(f"*{code}* ({anes.title}): {anes.summary}", anes.sources)
        claim_line(ask, code, reply)
        for covered in store.sites:
            if code in covered.anesthesia_codes:
                reply.say(f"Its descriptor covers the {covered.site}: {covered.descriptor_check}", covered.sources)
    surgical = ask.procedure_codes[:1]
    site: AnesthesiaSite | None = None
    if surgical:
        site = _site_for_code(store, surgical[0])
        if site is None and not reply.answered:
            known = surgical[0] in store.codes or store.pfs(surgical[0]) is not None
            return declined(
                f"I have no anesthesia-site mapping for {surgical[0]}."
                if known
                else f"{surgical[0]} is not in the knowledge base or the CMS fee schedule.",
                suggestions=["anesthesia code for 27252?"],
            )
    elif not reply.answered:
        ranked = rank_codes(store, ask)
        on_site = [s for s in store.sites if s.site in case.sites]
        if on_site:
            site = on_site[0]
        elif ranked and ranked[0][1] >= MIN_MATCH:
            site = store.site_for(ranked[0][0])
    if site is None:
        return (
            reply
            if reply.answered
            else declined(
                "Tell me the procedure code or the body site, e.g. anesthesia code for 27252.",
                suggestions=["anesthesia code for 27252?", "anesthesia code for a shoulder dislocation reduction?"],
            )
        )
    reply.answered = True
    reply.code(*site.anesthesia_codes, *surgical)
    names = ", ".join(f"*{c}*" for c in site.anesthesia_codes)
    reply.say(f"{site.site.capitalize()}: {names}. {site.descriptor_check}", site.sources)
    if not ask.anesthesia_codes:
        claim_line(ask, site.anesthesia_codes[0], reply)
    for note in site.notes:
        reply.detail(labelled(note.text, note.status), note.sources)
    if not any("Crosswalk" in note.text for note in site.notes):
        reply.say(
            labelled("Confirm the pairing in the ASA Crosswalk (a licensed product) before billing.", site.status),
            site.sources,
        )
    reply.suggest(f"what is {site.anesthesia_codes[0]}?", *(f"global days for {c}?" for c in surgical))
    return reply


def _not_curated(store: KnowledgeStore, code: str, named: list[str], reply: Reply) -> None:
    """An anesthesia code named beside another that has no record of ours: what the CMS file says of it, and what
    the other code's notes say of it ("01200 or 01202?": 01202 is the hip arthroscopy code)."""
    row = store.pfs(code)
    if row is None:
        reply.say(f"{code} is not an anesthesia code in the knowledge base or the CMS fee schedule.")
        return
    compared = [
        (other, note)
        for other in named
        if other != code and other in store.codes
        for note in store.codes[other].notes
        if code in note.text
    ]
    for other, note in compared:
        reply.code(code)
        reply.say(f"{code}, from the notes on {other}: {labelled(note.text, note.status)}", note.sources)
    if not compared:
        reply.say(
            f"{code} is in the CMS fee schedule (status {row['status']}) but the knowledge base holds no summary of"
            " it, so I can't say which procedures it covers; check its descriptor and the ASA Crosswalk.",
            [PFS_SOURCE],
        )


def claim_line(ask: Ask, code: str, reply: Reply) -> None:
    """The anesthesia claim lines the Case shows: a pricing modifier for who furnished it (the anesthesiologist
    alone, directing, the CRNA directed or not), then QS for monitored anesthesia care and the physical status."""
    seen = situations.shown(ask.case, ask.item)
    by_situation = {s: m for m in ask.store.modifiers.values() for s in m.situations}
    chosen = [by_situation[s] for s in situations.CLAIM_LINE if s in seen and s in by_situation]
    pricing = [m for m in chosen if set(m.situations) & set(situations.LINE_OF)]
    informational = [m for m in chosen if m not in pricing]  # MAC, the physical status
    if not chosen:
        return
    after = "".join(f"-{m.code}" for m in informational)
    lines = [f"*{code}-{m.code}{after}* ({m.name})" for m in pricing] or [
        f"*{code}-{m.code}* after the pricing modifier ({m.name})" for m in informational
    ]
    reply.modifier(*(m.code for m in chosen))
    reply.say("On the anesthesia claim: " + "; ".join(lines) + ".", [s for m in chosen for s in m.sources][:3])
