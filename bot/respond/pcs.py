"""ICD-10-PCS for inpatient facility claims: what a code is, and the reposition code for a described reduction.

A closed reduction is the root operation Reposition with the external approach; pins through the skin add an
internal fixation device by the percutaneous approach; open treatment is the open approach, whose device the
note must say. The body part and its side come from the Case (the lexicon's pcs_body_part); the code and its
title from the CMS code list the build loaded, so every code named exists in that release.
"""

from __future__ import annotations

from bot.kb.store import KnowledgeStore, PcsCode
from bot.nlu.case import Case
from bot.respond.base import PCS_SOURCE, Ask, Reply, declined

FACILITY_NOTE = "ICD-10-PCS is for the hospital's inpatient claim; the physicians' claims use CPT."
_APPROACH = {
    "closed": "External Approach",
    "percutaneous": "Percutaneous Approach",
    "open": "Open Approach",
    "failed_closed_then_open": "Open Approach",
}


def describe(store: KnowledgeStore, code: str, reply: Reply) -> None:
    found = store.pcs(code)
    if found is None:
        reply.say(f"{code} is not in the ICD-10-PCS code list the knowledge base holds ({_release(store)}).")
        return
    reply.answered = True
    reply.code(found.code)
    reply.say(f"*{found.code}* (ICD-10-PCS): {found.description}.", [PCS_SOURCE])
    reply.say(FACILITY_NOTE)


def search(ask: Ask) -> Reply:
    """The reposition code(s) for the reduction the Case describes, by body part, side and approach."""
    store, case = ask.store, ask.case
    if case.pcs_codes and not case.procedures("reduction"):  # "what does pcs 0SS9XZZ mean"
        reply = Reply(answered=False)
        for code in case.pcs_codes[:3]:
            describe(store, code, reply)
        return reply
    parts = body_parts(case)
    if not parts:
        return declined(
            "Which joint or bone was reduced? The ICD-10-PCS reposition code depends on the body part and its side.",
            suggestions=["icd 10 pcs code for closed reduction of a left hip dislocation"],
        )
    if not (case.procedures("reduction") or case.manipulation or case.approach in ("open", "percutaneous")):
        return declined(
            "I hold the ICD-10-PCS reposition codes for reductions; for care without a reduction "
            f"(immobilisation only) see the ICD-10-PCS tables. {FACILITY_NOTE}"
        )
    approach = _APPROACH.get(case.approach or "closed", "External Approach")
    sides = {"right": ["Right"], "left": ["Left"]}.get(case.side or "", ["Right", "Left"])
    found = [c for part in parts for side in sides for c in _codes(store, side, part, approach)]
    if case.approach == "percutaneous":  # pins, wires or screws through the skin: an internal fixation device
        found.sort(key=lambda c: "Internal Fixation Device" not in c.description)
    if not found:
        return declined(
            f"I found no ICD-10-PCS reposition code for the {parts[0].lower()} by that approach in {_release(store)}."
        )
    reply = Reply(answered=True)
    reply.code(*[c.code for c in found[:4]])
    reply.picked = [found[0].code]
    if len(sides) == 2:
        reply.options = [c.code for c in found[:2]]
        reply.say(
            "The side decides the body part value: "
            + "; ".join(f"*{c.code}* {c.description}" for c in found[:2])
            + ".",
            [PCS_SOURCE],
        )
    elif len(found) > 1 and case.approach == "percutaneous":
        reply.say(
            f"*{found[0].code}* (ICD-10-PCS): {found[0].description} (pins, wires or screws are an internal "
            "fixation device; an external fixator is another device value).",
            [PCS_SOURCE],
        )
    elif len(found) > 1:  # the open approach: the device the note names decides
        reply.options = [c.code for c in found[:4]]
        reply.say(
            "The device decides the 6th character: "
            + "; ".join(f"*{c.code}* {c.description}" for c in found[:4])
            + ".",
            [PCS_SOURCE],
        )
    else:
        reply.say(f"*{found[0].code}* (ICD-10-PCS): {found[0].description}.", [PCS_SOURCE])
    letter = {"External Approach": "X", "Percutaneous Approach": "3", "Open Approach": "0"}[approach]
    reply.say(f"A reduction is the root operation Reposition (S); {approach.lower()} ({letter}). {FACILITY_NOTE}")
    return reply


def body_parts(case: Case) -> list[str]:
    """The PCS body parts the Case's joints, or else its sites, name ("Hip Joint", "Radius")."""
    sites = set(case.sites)
    out: list[str] = []
    for pool in (case.joints, case.of("site")):
        for f in pool:
            part = f.attrs.get("pcs_body_part") or next(
                (v for s, v in (f.attrs.get("pcs_by_site") or {}).items() if s in sites), None
            )
            if part and part not in out:
                out.append(str(part))
        if out:
            return out
    return out


def _codes(store: KnowledgeStore, side: str, part: str, approach: str) -> list[PcsCode]:
    words = ["Reposition", side, *part.split(), *approach.split()]
    wanted = f"Reposition {side} {part}"
    return [
        c
        for c in store.pcs_search(words, limit=20)
        if c.description.startswith(wanted)
        and c.description.endswith(approach)
        and (approach != "External Approach" or c.code.endswith("XZZ"))
    ]


def _release(store: KnowledgeStore) -> str:
    pcs = store.datasets.get(PCS_SOURCE)
    return pcs.label if pcs else "the ICD-10-PCS release loaded"
