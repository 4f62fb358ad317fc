"""diagnosis_codes: ICD-10-CM codes by number or by description, from the full CDC code set.

A code is looked up exactly. A description is searched with FTS5 over every ICD-10-CM description, then
ranked with rapidfuzz, preferring the side and the encounter (7th character) the question names.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from bot.kb.store import IcdCode, KnowledgeStore
from bot.nlu.case import Case
from bot.respond.base import ICD_SOURCE, Ask, Reply, declined, labelled

MIN_ICD_MATCH = 55.0
_INJURY_CHAPTER = "ST"  # S and T codes: injuries, poisoning and complications, of which a case has one reading
NAME_WEIGHT = 2.0
ALTERNATIVES = 8.0  # points of _score: codes this close to the best are shown as alternatives
AGREES = 4.0  # points of _score: a code this close to the best is as good a reading of the words


def _encounter_char(code: str) -> str | None:
    compact = code.replace(".", "")
    return compact[6] if len(compact) == 7 else None


def compose(ask: Ask) -> Reply:
    store, case = ask.store, ask.case
    icd_codes = ask.icd_codes
    categories = [c for c in icd_codes if len(c) == 3]
    if categories and len(categories) == len(icd_codes) and case.icd_words:
        # "left lisfranc dislocation, initial, which S93 code": the description, searched within that category
        reply = _by_description(store, ask, within=tuple(categories))
        if reply.answered:
            return reply
    if icd_codes and case.icd_words:
        # "I have S73.005A on the claim for the dislocated left total hip": the case decides, the code named is
        # a position on it
        reply = _by_description(store, ask, named=icd_codes)
        if reply.answered:
            return reply
    if icd_codes:
        return _by_code(store, icd_codes)
    for code in ask.procedure_codes:
        linked = [c for c in store.codes.values() if c.system == "ICD-10-CM" and code in c.related]
        if linked:
            reply = Reply(answered=True)
            reply.code(*(c.code for c in linked))
            reply.say(f"ICD-10-CM codes that support *{code}* (curated links):", linked[0].sources)
            shown = linked[:8]
            notes = [[n for n in c.notes if n.status != "confirmed"] for c in shown]
            shared = [n for n in notes[0] if all(n in other for other in notes[1:])] if len(shown) > 1 else []
            for c, own in zip(shown, notes, strict=True):
                reply.say(f"- *{c.code}*: {c.title}", c.sources)
                for note in own:
                    if note not in shared:
                        reply.say(f"  {labelled(note.text, note.status)}", note.sources)
            for note in shared:  # a note every listed code carries is said once, after the list
                reply.say(labelled(note.text, note.status), note.sources)
            return reply
    return _by_description(store, ask)


def _by_code(store: KnowledgeStore, codes: list[str]) -> Reply:
    reply = Reply(answered=False)
    for code in codes[:3]:
        icd = store.icd(code)
        if icd is None:
            parent = store.icd(code[:5]) or store.icd(code[:3])
            hint = f" The nearest valid level is {parent.code} ({parent.description})." if parent else ""
            reply.say(
                f"{code} is not a valid ICD-10-CM code in the {store.sources[ICD_SOURCE].edition}.{hint}",
                [ICD_SOURCE] if hint else [],
            )
            if parent:
                reply.suggest(f"what is {parent.code}?")
            continue
        reply.answered = True
        _describe(store, icd, reply)
    return reply


def _describe(store: KnowledgeStore, icd: IcdCode, reply: Reply) -> None:
    reply.code(icd.code)
    kind = "billable" if icd.billable else "not billable by itself: it needs more characters"
    reply.say(f"*{icd.code}* (ICD-10-CM): {icd.description}. {kind.capitalize()}.", [ICD_SOURCE])
    if not icd.billable:
        children = store.icd_children(icd.code, limit=8)
        if children:
            reply.say("More specific codes: " + "; ".join(f"{c.code} {c.description}" for c in children), [ICD_SOURCE])
    curated = store.codes.get(icd.code)
    if curated and curated.related:
        reply.say(f"Procedure codes it supports: {', '.join(curated.related)}.", curated.sources)


_ENCOUNTER_SUFFIX = re.compile(r",? (initial encounter|subsequent encounter|sequela)\b.*$")


def _score(c: IcdCode, words: list[str], weights: dict[str, float], case: Case, named: bool = False) -> float:
    """Coverage of the question's words over the code and its category levels, each word weighted by how
    telling it is ("nursemaid" over "arm"), then side and encounter. A code the coder `named` may say the side
    or the encounter the question leaves unsaid: that is no mark against it."""
    desc = c.description.lower()
    core = _ENCOUNTER_SUFFIX.sub("", desc)
    text = f"{desc} {c.context.lower()}"
    covered = sum(weights[w] for w in words if w[:6] in text) / (sum(weights[w] for w in words) or 1.0)
    score = 60 * covered + 0.4 * fuzz.token_set_ratio(" ".join(words), core)
    side = case.side
    sided = "right" in desc or "left" in desc
    if side in ("right", "left"):
        score += 8 if side in desc else (-20 if sided else 0)
    elif side is None and sided and not named:
        score -= 6  # a side the note does not document is not assumed: the unspecified code comes first
    encounter = _encounter_char(c.code)
    if case.encounter:
        score += 10 if encounter == case.encounter else (-15 if encounter else 0)
    elif encounter == "A" or encounter and named:
        score += 3
    score += 6 if c.billable else 0
    if re.search(r"\bother\b", core) and "other" not in words:
        score -= 6  # "other dislocation" is for a named kind the question did not name
    return score


def _by_description(
    store: KnowledgeStore, ask: Ask, within: tuple[str, ...] = (), named: list[str] | tuple[str, ...] = ()
) -> Reply:
    """The code the case describes. Codes the coder `named` are scored alike: one that scores as well as the best
    (within AGREES) agrees with the case and comes first (it may say what the case leaves unsaid, the side); when
    none does, the best comes first and each named code of its category is ruled out."""
    case = ask.case
    words = [w for w in case.icd_words if len(w) > 1]
    terms = [w for w in words if w not in case.common_words]
    candidates = store.icd_search(terms or words, limit=150) if words else []
    if within:
        candidates = [c for c in candidates if c.code.startswith(within)]
    if not candidates:
        return declined(
            "Tell me the diagnosis in words or an ICD-10-CM code, e.g. posterior dislocation of right hip, "
            "initial encounter.",
            suggestions=["icd10 for posterior dislocation of right hip, initial encounter?"],
        )
    names = set(case.icd_names)  # what ICD-10-CM calls the site ("prosthesis") outweighs a direction word
    weights = {w: store.icd_word_weight(w) * (NAME_WEIGHT if w in names else 1.0) for w in words}
    # a word no description uses tells nothing; one said of a code ("coder used an unspecified toe
    # code"), and whether the side is unspecified is the side's business (_score)
    words = [w for w in words if weights[w] and w not in case.said_of_codes] or words
    scored = [(_score(c, words, weights, case), c) for c in candidates]
    scored.sort(key=lambda sc: sc[0], reverse=True)
    best_score, best = scored[0]
    positions = [(_score(icd, words, weights, case, named=True), icd) for icd in map(store.icd, named) if icd]
    agreeing = [(s, c) for s, c in positions if s >= best_score - AGREES]
    if agreeing:
        best_score, best = max(agreeing, key=lambda sc: sc[0])
        scored = [(best_score, best)] + [(s, c) for s, c in scored if c.code != best.code]
    if best_score < MIN_ICD_MATCH:
        return declined(
            "I couldn't match that to an ICD-10-CM description with confidence.",
            suggestions=[f"what is {c.code}?" for _, c in scored[:3]],
        )
    reply = Reply(answered=True, confidence=min(1.0, best_score / 100))
    _describe(store, best, reply)
    reply.picked, reply.weighed = [best.code], [icd.code for _, icd in positions]
    for score, icd in positions:
        if icd.code == best.code:
            continue
        reply.code(icd.code)
        same_category = icd.code[:3] == best.code[:3]
        another_reading = not agreeing and {icd.code[0], best.code[0]} <= set(_INJURY_CHAPTER)
        if score < best_score - AGREES and (same_category or another_reading):
            reply.ruled_out.append(icd.code)
            reply.say(f"Not *{icd.code}* ({icd.description}): the case reads as *{best.code}*.", [ICD_SOURCE])
    others = [c for s, c in scored[1:4] if s >= best_score - ALTERNATIVES and c.code not in named]
    if others:
        reply.say("Close alternatives: " + "; ".join(f"{c.code} {c.description}" for c in others), [ICD_SOURCE])
    if _encounter_char(best.code) and not case.encounter:
        reply.say(
            "The 7th character is A for active treatment (initial encounter), D for subsequent care, S for sequela; "
            "check it against the encounter.",
            [ICD_SOURCE],
        )
    return reply
