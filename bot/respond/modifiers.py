"""modifier_lookup and modifier_check: what a modifier means, and whether it fits a code.

A verdict comes from CMS indicators where they decide (bilateral indicator for 50, global days for 25/57,
...) and from curated rules otherwise; a curated "does not fit" outranks everything, since curated rules
cover what the indicators cannot see (23 on a code that already requires anesthesia).
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import cache

from rapidfuzz import fuzz

from bot.kb.models import Modifier
from bot.kb.rules import RuleVerdict, curated_verdicts, indicator_verdicts
from bot.kb.store import KnowledgeStore
from bot.nlu.tokens import words as words_of
from bot.respond import situations
from bot.respond.base import HCPCS_SOURCE, PFS_SOURCE, Ask, Reply, declined, labelled
from bot.respond.encounter import is_visit
from bot.respond.retrieve import find_distinction, unknown_code
from bot.respond.situations import digit_candidates, digit_modifiers

VERDICT_WORDS = {"fits": "fits", "does_not_fit": "does not fit", "depends": "depends"}
_RANK = {"does_not_fit": 0, "depends": 1, "fits": 2}
MIN_SITUATION = 55.0


def _unknown(mod: str) -> str:
    return f"Modifier {mod} is not in the knowledge base, so I won't guess what it means."


def lookup(ask: Ask) -> Reply:
    store = ask.store
    found = situation_modifiers(store, ask)
    on_the_claim = [m.code for m in found if set(m.situations) & set(situations.CLAIM_LINE)]
    mods = ask.modifiers or on_the_claim or [m.code for m in found[:1]]
    if not mods:
        return declined("Which modifier? For example: what is modifier 59?", suggestions=["what is modifier 59?"])
    reply = Reply(answered=False)
    for code in mods[:3]:
        mod = store.modifiers.get(code)
        if mod is None:
            _as_cms_lists_it(store, code, reply)
            continue
        reply.answered = True
        describe(mod, reply)
        if code in ask.modifiers:
            _judged_by_the_situation(ask, mod, reply)
    return reply


def _judged_by_the_situation(ask: Ask, mod: Modifier, reply: Reply) -> None:
    """A modifier asked about with no code to go on is still judged by the situation it is for, when the note
    shows that situation or rules it out ("ASA 3E; they picked P6": P3 instead)."""
    if not mod.situations:
        return
    if set(mod.situations) & situations.ruled_out(ask.case, ask.item):
        reply.modifier_verdicts[mod.code] = "does_not_fit"
        instead = [m for m in situation_modifiers(ask.store, ask) if m.code != mod.code]
        said = f" Instead: {', '.join(m.code for m in instead)}." if instead else ""
        reply.modifier(*(m.code for m in instead))
        reply.say(f"*{mod.code}: does not fit.* The note rules out the situation it is for.{said}", mod.sources)
    elif set(mod.situations) & situations.shown(ask.case, ask.item):
        reply.modifier_verdicts[mod.code] = "fits"
        reply.say(f"*{mod.code}: fits.* The note shows the situation it is for.", mod.sources)


def _as_cms_lists_it(store: KnowledgeStore, code: str, reply: Reply) -> bool:
    """A HCPCS Level II modifier we do not curate, in CMS's own description (public text), with the release it
    comes from; else that the modifier is unknown."""
    listed = store.hcpcs_modifier(code)
    if listed is None:
        reply.say(_unknown(code))
        return False
    release = store.datasets.get(HCPCS_SOURCE)
    reply.answered = True
    reply.modifier(code)
    reply.say(
        f"*Modifier {code}* (HCPCS Level II): {listed.long_description.rstrip('.')}. That is CMS's description"
        f"{f' in the {release.label}' if release else ''}; the knowledge base has no curated rules for it.",
        [HCPCS_SOURCE],
    )
    return True


def describe(mod: Modifier, reply: Reply) -> None:
    reply.modifier(mod.code)
    reply.say(f"*Modifier {mod.code}* ({mod.name}): {mod.meaning}", mod.sources)
    if mod.use_when:
        reply.say("Use when: " + " ".join(mod.use_when))
    if mod.not_when:
        reply.say("Not when: " + " ".join(mod.not_when[:2]))
        for extra in mod.not_when[2:]:
            reply.detail(f"Not when: {extra}")
    if mod.medicare:
        reply.detail(f"Medicare: {mod.medicare}")
    if mod.other_payers:
        reply.detail(f"Other payers: {mod.other_payers}")
    for note in mod.notes:
        reply.detail(labelled(note.text, note.status), note.sources)
    reply.suggest(f"27252 with modifier {mod.code}?")


@cache
def _modifier_index(store: KnowledgeStore) -> tuple[dict[str, list[str]], dict[str, float]]:
    """Normalised names and aliases per modifier, and how rare each word is among modifiers."""
    texts = {m.code: [" ".join(words_of(t)) for t in (m.name, *m.aliases)] for m in store.modifiers.values()}
    df: dict[str, int] = {}
    for ts in texts.values():
        for w in {w for t in ts for w in t.split()} - _IGNORED:
            df[w] = df.get(w, 0) + 1
    return texts, {w: math.log(1 + len(texts) / n) for w, n in df.items()}


_IGNORED = {"modifier", "a", "the", "of", "for", "on", "in", "to", "and", "or", "with", "same", "by", "is", "it"}
# What every question here is about is no situation: a body site or a side is where, and a "reduced" hip is a
# reduction, not modifier 52's reduced service ("28660 = toe or finger?" describes no situation at all).
_NOT_A_SITUATION = {"site", "procedure:reduction", "procedure:condition", "procedure:approach"}


def situation_modifiers(store: KnowledgeStore, ask: Ask) -> list[Modifier]:
    """Modifiers for the situation described: those whose situations the Case shows (the surgeon gave the block
    himself: 47), else those whose name or aliases match its words ("surgeon gave the anesthesia")."""
    seen = situations.shown(ask.case, ask.item)
    by_fact = [m for m in store.modifiers.values() if seen & set(m.situations)]
    whose = situations.asked_line(ask.case, ask.item)
    line = [
        m
        for s in situations.CLAIM_LINE
        if s in seen and (whose is None or situations.LINE_OF.get(s, whose) == whose)
        for m in by_fact
        if s in m.situations
    ]
    if line:  # the anesthesia claim: every line's modifier, in the order they are written
        return [m for i, m in enumerate(line) if all(m.code != n.code for n in line[:i])]
    if by_fact:
        return by_fact[:2]
    # negated words stay: "no medical direction" is the situation of QZ
    query = " ".join(w for w, read_as, _ in ask.case.content if w not in _IGNORED and read_as not in _NOT_A_SITUATION)
    if not query:
        return []
    texts, idf = _modifier_index(store)
    # words no modifier speaks of count too, as much as the commonest word that some modifier uses: counting
    # only the known ones, "placed an interscalene block himself before relocating" was all "before", so 57
    unknown = min(idf.values(), default=1.0)
    words = set(query.split())
    known = [w for w in words if w in idf]
    weight = sum(idf.get(w, unknown) for w in words) or 1.0
    scored = []
    for code, ts in texts.items():
        vocab = {w for t in ts for w in t.split()}
        overlap = 100 * sum(idf[w] for w in known if w in vocab) / weight
        fuzzy = max(fuzz.partial_token_set_ratio(t, query) for t in ts)
        scored.append((0.6 * overlap + 0.4 * fuzzy, store.modifiers[code]))
    scored.sort(key=lambda sm: sm[0], reverse=True)
    return [m for s, m in scored if s >= MIN_SITUATION][:2]


def _target_code(ask: Ask, codes: list[str]) -> str:
    """The code the modifier would go on: the one the Case says it goes on ("did 27252, then ... 58 on
    27253?"), else the first named."""
    named = [m.target for m in ask.case.modifiers if m.target]
    return next((c for c in named if c in codes), codes[0])


@cache
def side_modifiers(store: KnowledgeStore) -> dict[str, str]:
    """The modifiers that say only a side (modifiers.yaml `side` without a `digit`: RT, LT), the right one first."""
    sides = {m.code: m.side for m in store.modifiers.values() if m.side and not m.digit}
    return dict(sorted(sides.items(), key=lambda cs: cs[1] != "right"))


def _decided_code(ask: Ask, reply: Reply, code: str) -> str:
    """The modifier goes on the right code: when the Case decides the code's family another way ("25600-54?" for
    a fracture the note says was reduced), the modifier is judged on the code the Case supports, said first."""
    from bot.respond.distinction import decide

    dist = find_distinction(ask.store, [code])
    if dist is None:
        return code
    decision = decide(ask.store, dist, ask.case)
    if decision.picked is None or decision.picked == code or decision.basis != "documented":
        return code
    chosen = next(o for o in dist.options if o.code == decision.picked)
    reply.picked = [decision.picked]
    reply.say(f"*{decision.picked}*, not {code}: {chosen.when}", dist.sources)
    offered = {o.code for o in dist.options} & set(ask.case.code_list("proposed", "asked"))
    # a choice between codes ("25600-54 or 25605-54?") is answered on the right one; a modifier asked about on
    # one code ("23 on 28570?") is still judged on that code, the right code said beside it
    return decision.picked if len(offered) > 1 else code


def check(ask: Ask) -> Reply:
    store, case = ask.store, ask.case
    codes = ask.procedure_codes or ask.codes
    mods = list(ask.modifiers)
    from_situation = not mods
    digits: list[str] = []
    sides = side_modifiers(store)
    if from_situation and "modifiers:digit" in ask.kinds and codes:
        digits = digit_candidates(store, _target_code(ask, codes))
        mods = digit_modifiers(case, store.modifiers, digits)
        if digits and mods == digits:  # the note names no digit: ask, never pick one
            return declined(
                "Which finger or toe, and which side? A digit modifier names both: FA to F9 for the fingers, "
                "TA to T9 for the toes.",
                suggestions=[f"{codes[0]} for the left index finger, which modifier?"],
            )
    elif from_situation and "modifiers:side" in ask.kinds:
        mods = list(sides)
    elif from_situation:
        mods = [m.code for m in situation_modifiers(store, ask)]
    if from_situation and set(mods) & set(sides):  # "right kneecap, which side modifier": the side the note names
        mods = [c for c, side in sides.items() if side == case.side] or list(sides)
    if not mods:
        code = codes[0] if codes else "27252"
        return declined(
            f"Which modifier do you mean? For example: {code} with modifier 50?",
            suggestions=[
                f"what is {code}?",
                f"{code} with modifier 50?",
                "which modifier when the surgeon gave the anesthesia?",
            ],
        )
    if not codes:
        return lookup(ask)
    reply = Reply(answered=False)
    code = _decided_code(ask, reply, _target_code(ask, codes))
    if store.codes.get(code) is None and store.pfs(code) is None:
        unknown_code(reply, store, code, f"{{code}} with modifier {mods[0]}?")
        return reply
    visit, procedure = _visit_and_procedure(ask, codes, code)
    on_visit = mods[0] in store.modifiers and store.modifiers[mods[0]].on_visit  # what is asked first leads
    if on_visit and visit:
        reply.code(visit)  # "99203 - 25 or 57?": the answer is about the visit code, judged by the procedure's
    reply.code((procedure or code) if on_visit else code)
    checked = []
    for mod_code in mods[:3]:
        mod = store.modifiers.get(mod_code)
        if mod is None:
            _as_cms_lists_it(store, mod_code, reply)  # described; no rule of ours says whether it fits the code
            continue
        judged = (procedure or code) if mod.on_visit else code
        verdicts = _verdicts_on(ask, judged, mod)
        shown = f"{judged}-{mod.code}"
        if mod.on_visit and procedure is None:  # "99213-57?": the procedure's global days decide; say each way
            _by_global_days(reply, store, code, mod)
            continue
        if mod.on_visit:
            shown = f"{visit}-{mod.code} (the E/M with {judged})" if visit else f"{mod.code} on the E/M with {judged}"
            reply.modifier_on[mod.code] = f"{visit} (the E/M with {judged})" if visit else f"the E/M with {judged}"
        checked.append((mod, verdicts, judged, shown))
    if from_situation and checked and {m.code for m, *_ in checked} <= set(sides):
        reply.say("The side modifier follows the side the note documents: RT for right, LT for left.")
    elif digits:
        reply.say("The digit modifier names the finger or toe and its side, as the note documents them.")
    elif from_situation:  # the situation named no modifier: answer with the candidate that fits this code best
        checked.sort(key=lambda mv: -min((_RANK[v.verdict] for v in mv[1]), default=1))
        checked = checked[:1]
        if checked:
            reply.say(f"For that situation: modifier {checked[0][0].code} ({checked[0][0].name}).")
    for mod, verdicts, judged, shown in checked:
        reply.answered = True
        reply.modifier(mod.code)
        _verdict(reply, store, judged, shown, mod, verdicts)
    if not from_situation and checked:
        _instead_from_the_case(ask, reply, code, checked)
    return reply


def _verdicts_on(ask: Ask, code: str, mod: Modifier) -> list[RuleVerdict]:
    """Every verdict on `mod` for `code`: the curated rules, the CMS indicators, settled by the note's situation."""
    store = ask.store
    verdicts = curated_verdicts(store.rules, code, store.codes.get(code), mod.code)
    row = store.pfs(code)
    if row is not None:
        verdicts += indicator_verdicts(store.indicators, code, row, mod.code)
    return _settled_by_situation(ask, mod, verdicts)


def _instead_from_the_case(
    ask: Ask, reply: Reply, code: str, checked: list[tuple[Modifier, list[RuleVerdict], str, str]]
) -> None:
    """When no modifier asked about fits and no rule names what to use instead, the note may: the digit it names
    takes its digit modifier ("LT on 26770 for the left ring finger?": F3), and a situation it shows takes the
    modifier for that situation ("AA on 23655? the surgeon gave the general himself": 47), when that one fits."""
    store, case = ask.store, ask.case
    overall = [min((_RANK[v.verdict] for v in verdicts), default=1) for _, verdicts, _, _ in checked]
    if any(r > _RANK["depends"] for r in overall):
        return
    asked = {m.code for m, *_ in checked}
    digits = digit_candidates(store, code)
    named = [m for m in digit_modifiers(case, store.modifiers, digits) if m not in asked] if digits else []
    if named and len(named) < len(digits):  # a digit's own modifier comes before any rule's general one (XS)
        reply.modifier(*named)
        reply.say(f"Instead: {', '.join(named)}, the digit modifier for the finger or toe and side the note names.")
        return
    if any(v.instead for _, vs, _, _ in checked for v in vs):
        return
    seen = situations.shown(case, ask.item)
    for mod in store.modifiers.values():
        if mod.code in asked or mod.on_visit or not seen & set(mod.situations):
            continue
        verdicts = _verdicts_on(ask, code, mod)
        if verdicts and min(_RANK[v.verdict] for v in verdicts) == _RANK["fits"]:
            reply.modifier(mod.code)
            reply.say(f"Instead: {code}-{mod.code} ({mod.name.lower()}): the note shows the situation it is for.")
            return


def _settled_by_situation(ask: Ask, mod: Modifier, verdicts: list[RuleVerdict]) -> list[RuleVerdict]:
    """A "depends" is settled by the situation it depends on: 47 fits when the note shows the surgeon gave
    the general or regional himself, and does not when a separate anesthesia practitioner gave it; 54 on a
    090-day code fits when the note shows the physician who reduced handing the follow-up on."""
    if not mod.situations:
        return verdicts
    if set(mod.situations) & situations.ruled_out(ask.case, ask.item):
        settled, why = "does_not_fit", f"The note rules out the situation {mod.code} is for"
    elif set(mod.situations) & situations.shown(ask.case, ask.item):
        settled, why = "fits", f"The note shows the situation {mod.code} is for"
    else:
        return verdicts
    return [
        replace(v, verdict=settled, why=f"{why} ({mod.name.lower()}). {v.why}") if v.verdict == "depends" else v
        for v in verdicts
    ]


def _by_global_days(reply: Reply, store: KnowledgeStore, visit: str, mod: Modifier) -> None:
    """A modifier on the visit with no procedure named: what each global period of the procedure leads to."""
    reply.answered = True
    reply.modifier(mod.code)
    reply.modifier_verdicts[mod.code] = "depends"
    reply.say(f"*{visit}-{mod.code}: depends on the global days of the procedure done with the visit.* Which code?")
    for ind in store.indicators:
        for rule in ind.decides:
            if rule.modifier == mod.code:
                instead = f" Instead: {', '.join(rule.instead)}." if rule.instead else ""
                reply.say(
                    f"- {ind.name} {'/'.join(rule.values)}: {VERDICT_WORDS[rule.verdict]}. {rule.why}{instead}",
                    [PFS_SOURCE, *(rule.sources or ind.sources)],
                )


def _visit_and_procedure(ask: Ask, codes: list[str], code: str) -> tuple[str | None, str | None]:
    """For a modifier that goes on the E/M (25, 57): the visit code the message names, and the procedure whose
    global days judge it (None when it names only the visit)."""
    named = list(dict.fromkeys([code, *codes, *ask.case.code_list()]))
    visit = next((c for c in named if is_visit(ask.store, c)), None)
    procedure = next((c for c in named if not is_visit(ask.store, c)), None)
    return visit, procedure


def _verdict(
    reply: Reply, store: KnowledgeStore, code: str, shown: str, mod: Modifier, verdicts: list[RuleVerdict]
) -> None:
    """The verdict on `mod` as `code`'s indicators and rules give it; `shown` names the pairing ("99203-25 (the
    E/M with 28630)" for a modifier on the visit)."""
    if not verdicts:
        reply.say(
            f"*{shown}*: no CMS indicator or curated rule decides this pairing. "
            f"Modifier {mod.code} ({mod.name}): {mod.meaning}",
            mod.sources,
        )
        return
    overall = min(verdicts, key=lambda v: (_RANK[v.verdict], v.origin != "curated"))
    reply.modifier_verdicts[mod.code] = overall.verdict
    reply.judged_on[mod.code] = code
    reply.say(f"*{shown}: {VERDICT_WORDS[overall.verdict]}.*")
    for n, v in enumerate(sorted(verdicts, key=lambda v: (_RANK[v.verdict], v.origin != "curated"))):
        basis = f"CMS {v.field.replace('_', ' ')} indicator {v.value} for {code}" if v.field else "Rule"
        line, sources = (
            f"- {basis}: {labelled(v.why, v.status)}",
            [PFS_SOURCE, *v.sources] if v.field else list(v.sources),
        )
        if n == 0:
            reply.say(line, sources)
        else:
            reply.detail(line, sources)
        if v.instead:
            reply.say(f"  Instead: {', '.join(v.instead)}.")
            for item in v.instead:  # "25" (a modifier) or "27252-47" (a code with its modifiers)
                head, *mods = item.split("-")
                reply.modifier(*(mods if mods else [head] if head in store.modifiers else []))
                if mods or head not in store.modifiers:
                    reply.code(head)
    reply.suggest(f"what is modifier {mod.code}?", f"global days for {code}?")
