"""code_lookup and code_search: what a code is, and which code a described procedure is.

For a code the knowledge base does not curate we say only what CMS publishes about it (its indicators)
and never describe it: CPT descriptors are AMA-licensed and an invented description is the worst answer.
"""

from __future__ import annotations

from bot.kb.store import KnowledgeStore
from bot.respond import distinction, dme, pcs, verdict
from bot.respond.base import (
    CPT_SOURCE,
    HCPCS_SOURCE,
    LICENSED_CPT_SOURCE,
    PFS_SOURCE,
    Ask,
    Reply,
    declined,
    follow_ups,
    labelled,
)
from bot.respond.indicators import indicator_line
from bot.respond.retrieve import (
    MIN_MATCH,
    SEDATION_FAMILY,
    described_apart,
    describes_joint_care,
    find_distinction,
    good_enough,
    pick_by_manipulation,
    pick_sedation,
    rank_codes,
    replaced,
    sedation_add_ons,
    unknown_code,
)

_ANESTHESIA = {"none": "without anesthesia", "required": "requiring anesthesia"}


def lookup(ask: Ask) -> Reply:
    codes = ask.codes
    pcs_codes = ask.case.pcs_codes
    judged = verdict.judging(ask.item) or "proposal" in ask.item.kinds
    if not codes and not pcs_codes or judged and described_apart(ask.store, ask.case, codes):
        return search(ask)  # "both bones broken, set closed: is 25505 right?": the facts decide, the verdict compares
    reply = Reply(answered=False)
    for code in codes[:3]:
        describe(ask.store, code, reply)
    for code in pcs_codes[:3]:
        pcs.describe(ask.store, code, reply)
    return reply


def describe(store: KnowledgeStore, code: str, reply: Reply) -> None:
    """Add what is known about one code; marks the reply answered if anything true was said."""
    curated = store.codes.get(code)
    row = store.pfs(code)
    licensed = store.licensed_descriptor(code)
    listed = store.hcpcs(code) if code[0].isalpha() else None  # HCPCS Level II: CMS's own public description
    if curated is None and row is None and listed is None:
        unknown_code(reply, store, code, "what is {code}?")
        return
    reply.answered = True
    reply.code(code)
    if curated and curated.is_deleted:
        reply.code(*curated.replaced_by)
        reply.picked = list(curated.replaced_by)
        reply.say(f"*{code}* is deleted: {curated.summary}", curated.sources)
        for note in curated.notes:
            reply.detail(labelled(note.text, note.status), note.sources)
        reply.suggest(*(f"what is {c}?" for c in curated.replaced_by))
        return
    if curated:
        status = _ANESTHESIA.get(curated.anesthesia)
        reply.say(f"*{code}* ({curated.system}): {curated.title}. {curated.summary}", curated.sources)
        if status:
            partners = [
                o.code
                for d in store.distinctions_for(code)
                if d.kind == "anesthesia"
                for o in d.options
                if o.code != code
            ]
            if partners:
                reply.say(
                    f"It is the {status} member of its pair; the other is {', '.join(partners)}.",
                    store.distinctions_for(code)[0].sources,
                )
                reply.code(*partners)
        for note in curated.notes:
            reply.detail(labelled(note.text, note.status), note.sources)
    if listed and curated is None:
        release = store.datasets.get(HCPCS_SOURCE)
        ended = f" It was terminated on {listed.termination_date}." if listed.termination_date else ""
        reply.say(
            f"*{code}* (HCPCS Level II): {listed.long_description.rstrip('.')}.{ended} That is CMS's description"
            f"{f' in the {release.label}' if release else ''}.",
            [HCPCS_SOURCE],
        )
    if licensed:
        reply.say(f"CPT descriptor (licensed to your organisation): {licensed}", [LICENSED_CPT_SOURCE])
    if row:
        if curated is None and not licensed and not listed:
            reply.say(
                f"*{code}* is in the CMS fee schedule, but I have no plain-language summary for it "
                "(CPT descriptors are licensed by the AMA). What CMS publishes:",
                [PFS_SOURCE],
            )
        reply.say(indicator_line(store, row, ["status", "glob_days"]), [PFS_SOURCE])
    reply.suggest(*follow_ups(code))


def search(ask: Ask) -> Reply:
    store, case = ask.store, ask.case
    if ask.kind("pcs"):  # the inpatient facility's code set
        return pcs.search(ask)
    if ask.kind("dme_code") and dme.items(case):  # "HCPCS for the crutches": the item's code, not the care's
        return dme.search(ask)
    ranked = rank_codes(store, ask)
    decided = ask.kind("sedation_code", "add_on") and ranked  # the sedation table decides, not how well words match
    if not decided and not good_enough(case, ranked):
        sites = sorted({c.body_site for c in store.codes.values() if c.body_site and c.system != "ICD-10-CM"})
        named = list(dict.fromkeys(str(f.attrs.get("site")) for f in case.of("site") if f.attrs.get("site")))
        if named and not set(named) & set(sites):  # "jaw reduction, what CPT?": a site we hold no codes for
            cpt = store.sources[CPT_SOURCE]
            reply = Reply(answered=False, outside=True)
            reply.say(
                f"I hold no procedure codes for the {' or '.join(named)}: they are in the {cpt.publisher}'s "
                f"{cpt.title.split(',')[0]} ({cpt.edition}). I cover dislocation and fracture care of the "
                + ", ".join(sites)
                + ", and moderate sedation.",
                [CPT_SOURCE],
            )
            reply.suggest("code for hip reduction under general anesthesia")
            return reply
        return declined(
            "I couldn't match that description to a code I know. I cover dislocation and fracture care of the "
            + ", ".join(sites)
            + ", and moderate sedation.",
            suggestions=[c.title for c, _ in ranked[:3] if _ >= MIN_MATCH - 15]
            or ["code for hip reduction under general anesthesia"],
        )
    best, score = ranked[0]
    add_ons = None
    if best.family == SEDATION_FAMILY:
        claim = _whole_claim(ask) or _no_sedation_code(ask) or _sedation_unmet(ask)
        if claim is not None:
            return claim
        best = pick_sedation(store, ask) or best
        add_ons = sedation_add_ons(store, best, case)
    manipulation = next((d for d in store.distinctions_for(best.code) if d.kind == "manipulation"), None)
    decided_by_rule = None
    if manipulation:
        decided_by_rule = pick_by_manipulation([o.code for o in manipulation.options], case)
        best = store.codes.get(decided_by_rule or "", best)
    dist = next((d for d in store.distinctions_for(best.code) if d.kind == "anesthesia"), None)
    if dist is not None:
        reply = distinction.explain(ask, dist)
    else:
        reply = Reply(answered=True)
        reply.code(best.code)
        reply.picked = [best.code]
        for old in replaced(store, case) if best.family == SEDATION_FAMILY else []:
            until = f" after {old.effective_to:%B %-d %Y}" if old.effective_to else ""
            reply.say(f"{old.code} is deleted (not reportable{until}); today's code for this sedation:", old.sources)
        reply.say(f"*{best.code}* ({best.system}): {best.title}. {best.summary}", best.sources)
        distinction.digit_line(ask, reply, best.code)
        if add_ons:
            extra = store.codes[add_ons[0]]
            reply.code(extra.code)
            reply.picked.append(extra.code)
            reply.say(
                f"Plus *{extra.code}* x{add_ons[1]}: {extra.title}, one for each full further 15 minutes; "
                "a part block follows the CPT time rules.",
                extra.sources,
            )
        for code, s in ranked[1:3] if decided_by_rule is None else []:  # a rule that decided leaves no near match
            if code.family == best.family and s >= score - 5 and best.family != SEDATION_FAMILY:
                reply.code(code.code)
                reply.say(f"Also: *{code.code}*: {code.title}.", code.sources)
        reply.suggest(*follow_ups(best.code))
    reply.confidence = min(1.0, score / 100)
    return reply


def _whole_claim(ask: Ask) -> Reply | None:
    """ "What's the corrected set of codes?" when the physician who reduced also sedated: the reduction's code
    with the sedation codes, as the pair's answer gives them. Not when the ask names the sedation itself
    ("which sedation code") or asks about a provider who only sedated."""
    store, case = ask.store, ask.case
    own = [store.codes[c] for c in ask.item.own_codes if c in store.codes]
    sedation_named = bool(own) and all(c.family == SEDATION_FAMILY for c in own)  # only the sedation's codes
    if (
        ask.said("sedation_code", "add_on")
        or sedation_named  # "can the ED doc bill 99151 for it?": the sedation's own code is asked about
        or case.sedation_by not in ("same", None)
        or not describes_joint_care(case)
    ):
        return None
    dist = find_distinction(store, case.code_list("asked", "proposed", "mentioned")) or distinction.by_joint(ask)
    return distinction.explain(ask, dist) if dist is not None and dist.kind == "anesthesia" else None


# Findings that leave the moderate sedation codes open: moderate sedation itself, or sedation or anesthesia with no
# depth or type given. Every other documented finding (none, local, a block, general, MAC, deep...) rules them out.
_MAY_BE_MODERATE = ("moderate_sedation", "sedation", "anesthesia")
GENERAL_GUIDANCE = "requiring-anesthesia"


def _sedation_codes_named(ask: Ask) -> list[str]:
    store = ask.store
    return [c for c in ask.case.code_list() if c in store.codes and store.codes[c].family == SEDATION_FAMILY]


def _sedation_unmet(ask: Ask) -> Reply | None:
    """ "8 minutes of sedation, can we bill 99152?", "no separate observer, is 99152 ok?": a requirement of the
    moderate sedation codes the note shows unmet rules them out, as it does beside a reduction code."""
    why = distinction.sedation_unmet(ask)
    if why is None:
        return None
    store = ask.store
    reply = Reply(answered=True)
    reply.basis = "documented"
    reply.ruled_out = _sedation_codes_named(ask)
    time = store.sedation_time
    reply.say(f"No moderate sedation code: {why}", time.sources if time else [])
    return reply


def _no_sedation_code(ask: Ask) -> Reply | None:
    """ "Can anxiolysis be billed with 99152?": the documented depth is not moderate sedation, so the guidance
    for what was documented answers, and the moderate sedation codes are ruled out."""
    store, case = ask.store, ask.case
    findings = case.findings
    guidance = store.guidance.get(GENERAL_GUIDANCE)
    if not findings or findings[0] in _MAY_BE_MODERATE or guidance is None:
        return None
    rule = next((r for r in guidance.findings if r.finding == findings[0]), None)
    if rule is None:
        return None
    reply = Reply(answered=True)
    reply.basis = "documented"
    reply.ruled_out = _sedation_codes_named(ask)
    said = rule.sedation_codes or rule  # what the finding means for the sedation codes, where it is said apart
    reply.say(f"No moderate sedation code: {labelled(said.text, said.status)}", said.sources)
    reply.suggest("what does requiring anesthesia mean?")
    return reply
