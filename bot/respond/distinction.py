"""anesthesia_distinction: which code of a pair the documented anesthesia supports, and why.

The decision is data: a distinction points at shared guidance whose findings say which side each kind of
anesthesia or sedation picks. Conflicting positions are shown most recent and authoritative first.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.kb.models import Distinction, FindingRule, Guidance
from bot.kb.store import KnowledgeStore
from bot.nlu.case import Case
from bot.respond.base import Ask, Reply, declined, is_sedation_code, labelled
from bot.respond.retrieve import (
    SEDATION_FAMILY,
    best_family,
    described_apart,
    find_distinction,
    pick_sedation,
    rank_among,
    sedation_add_ons,
)
from bot.respond.situations import named_digit_modifiers

# A code's own description decides among those the facts left when the note holds this much of what sets it
# apart (0-100) and at least twice what the next one holds
DESCRIPTION_FLOOR = 40.0

# What settles each kind of family when the note leaves it open (the kinds of knowledge/distinctions*.yaml)
DECIDED_BY = {
    "anesthesia": "the anesthesia documented for the reduction",
    "manipulation": "whether the note documents a reduction (manipulation)",
    "approach": "how the note says it was treated (closed, through the skin, or open)",
    "cause": "what put the joint out (an injury, no injury, or a prosthesis)",
    "fracture_dislocation": "what the note says was broken and what was put out",
}


@dataclass(frozen=True)
class Decision:
    """Which code of a pair the Case supports, the rule that says so, and what it rests on: documented (a type
    or depth in the note), drug (every depth the drugs given can reach points the same way), or open:
    missing (nothing documented), unsettled (the sources do not decide), conflict (the note contradicts
    itself), range (the drugs' depths point both ways)."""

    picked: str | None
    rule: FindingRule | None
    basis: str


def decide(store: KnowledgeStore, dist: Distinction, case: Case) -> Decision:
    if dist.kind != "anesthesia":
        return decide_treatment(store, dist, case)
    guidance = store.guidance.get(dist.guidance or "")
    if guidance is None:
        return Decision(None, None, "missing")
    if case.conflicting:
        return Decision(None, None, "conflict")
    by_finding = {r.finding: r for r in guidance.findings}
    rules = [by_finding[f] for f in case.findings if f in by_finding]
    basis = "documented"
    if not rules and case.drug_depths:
        ranges = [[by_finding[d] for d in depths if d in by_finding] for depths in case.drug_depths]
        picks = {r.picks for rs in ranges for r in rs}
        if len(picks) != 1 or "unclear" in picks:
            return Decision(None, None, "range")
        rules, basis = [r for rs in ranges for r in rs], "drug"
    if not rules:
        return Decision(None, None, "missing")
    # the requiring side if any rule picks it; else, among rules that agree, one that adds codes (versed and
    # fentanyl reach minimal or moderate sedation: the code is the same, and moderate adds 99152)
    rule = next((r for r in rules if r.picks == "requiring"), None) or next((r for r in rules if r.add_codes), rules[0])
    if rule.picks == "unclear":
        return Decision(None, rule, "unsettled")
    index = 0 if rule.picks == "without" else len(dist.options) - 1
    return Decision(dist.options[index].code, rule, basis)


def decide_treatment(store: KnowledgeStore, dist: Distinction, case: Case) -> Decision:
    """A family split by the treatment (fracture care; closed, percutaneous or open; a fracture-dislocation's one
    code): the condition the note describes, then the approach it documents, then whether the bone or joint was
    manipulated (without-manipulation codes come first, with-manipulation last). Open when the note leaves more
    than one code standing."""
    options = [o.code for o in dist.options]
    codes = {c: store.codes[c] for c in options if c in store.codes}
    if dist.kind == "fracture_dislocation":
        combined = [c for c in options if c in codes and codes[c].condition == "fracture_dislocation"]
        if case.condition == "fracture_dislocation" and combined:
            options = combined
        elif case.condition == "dislocation":
            options = [c for c in options if c not in combined] or options
            pair = find_distinction(store, options)
            if pair is not None and pair.kind == "anesthesia" and set(options) <= {o.code for o in pair.options}:
                return decide(store, pair, case)  # no fracture: what is left is split by the anesthesia, not the set
    approach = {"failed_closed_then_open": "open"}.get(case.approach or "", case.approach)
    if approach is None and case.manipulation is not None:
        approach = "closed"  # "nondisplaced, sling": not operated on
    if approach is not None:
        options = [c for c in options if c in codes and codes[c].approach == approach] or options
    if dist.kind != "fracture_dislocation" and case.condition == "fracture_dislocation":
        # the treatment's codes hold one for both injuries (the hip opened for a wall and head fracture: 27254)
        options = [c for c in options if c in codes and codes[c].condition == "fracture_dislocation"] or options
    if dist.kind == "fracture_dislocation" and case.condition == "fracture_dislocation":
        # the combined code of the fracture described: 23665 goes with a greater tuberosity fracture, 23675 with a
        # humeral neck fracture (each code's related codes say which fracture it covers)
        broken = {c.code for c in store.codes.values() if c.family in case.families and c.condition == "fracture"}
        options = [c for c in options if c in codes and set(codes[c].related) & broken] or options
    closed = [c for c in options if c in codes and codes[c].approach == "closed"]
    one_family = len({codes[c].family for c in closed}) == 1  # "why the hip is out" spans three: the cause first
    if len(options) > 1 and len(closed) == len(options) and one_family and case.manipulation is not None:
        options = [options[-1] if case.manipulation else options[0]]
    if len(options) > 1:  # the facts left several: their own descriptions may tell ("intramedullary nail")
        ranked = rank_among(store, case, options)
        (best, score), runner_up = ranked[0], ranked[1][1]
        if score >= DESCRIPTION_FLOOR and runner_up <= score / 2:
            options = [best]
    if len(options) == 1:
        return Decision(options[0], None, "documented")
    return Decision(None, None, "missing")


def compose(ask: Ask) -> Reply:
    store, case = ask.store, ask.case
    codes = ask.procedure_codes
    dist = find_distinction(store, codes)
    joint = by_joint(ask)
    covering = _covering(ask) if case.condition == "fracture_dislocation" else None
    if covering is not None and (dist is None or dist.kind != "fracture_dislocation"):
        dist = covering  # a dislocation with a fracture: the family whose one code covers both
    elif joint is not None and (dist is None or joint.family != dist.family):
        # the joint described decides over a code named for it ("subtalar: the tarsal 28540 or the talotarsal?")
        dist = joint
    elif _described_elsewhere(ask, dist):
        from bot.respond.codes import search  # the code search holds fracture care (and imports this module)

        return search(ask)
    elif dist is None:
        dist = _by_description(ask)
    guidance = store.guidance.get(dist.guidance or "") if dist else next(iter(store.guidance.values()), None)
    if dist is None:
        if guidance and (case.findings or not codes):
            return _meaning(store, guidance, case.findings)
        unknown = [c for c in codes if c not in store.codes]
        return declined(
            f"I have no without/requiring-anesthesia pair for {', '.join(unknown or codes)}."
            if codes
            else "I could not tell which pair of codes you mean.",
            suggestions=["27250 or 27252 under moderate sedation?", "what does requiring anesthesia mean?"],
        )
    return explain(ask, dist)


def explain(ask: Ask, dist: Distinction) -> Reply:
    """The pair's answer for the anesthesia the Case documents; a sedation code it adds follows the patient's
    age and who sedated (the sedation table)."""
    store = ask.store
    reply = Reply(answered=True)
    decision = decide(store, dist, ask.case)
    picked, rule = decision.picked, decision.rule
    reply.basis = decision.basis
    codes = [o.code for o in dist.options]
    guidance = store.guidance.get(dist.guidance or "")
    if picked and rule:
        added = [_sedation_code(ask, c) for c in rule.add_codes]
        unmet = sedation_unmet(ask) if added else None
        extra = (
            [sedation_add_ons(store, store.codes[c], ask.case) for c in added if c in store.codes] if not unmet else []
        )
        units = {code: n for code, n in (e for e in extra if e)}
        added += list(units)
        reply.code(picked, *([] if unmet else added))
        reply.picked = list(reply.codes)
        reply.code(*codes)
        if unmet:
            reply.ruled_out = [c for c in added if c in store.codes]
            reply.say(f"No moderate sedation code: {unmet}", store.sedation_time.sources if store.sedation_time else [])
        unpicked = [
            c for c in ask.case.proposed if c in store.codes and is_sedation_code(store, c) and c not in reply.picked
        ]
        if unpicked and not added and decision.basis == "documented":
            # "minimal sedation / anxiolysis ... 27560 + 99152?": what the note documents adds no sedation code
            reply.ruled_out += [c for c in unpicked if c not in reply.ruled_out]
            reply.say(f"Not {', '.join(unpicked)}: the sedation the note documents adds no sedation code.")
        elif added:
            line = _sedation_line(ask, [f"{c} x{units[c]}" if c in units else c for c in added])
            if decision.basis == "drug":  # the drugs alone do not say the depth the sedation codes need
                line = f"If the note documents moderate sedation: {line[0].lower()}{line[1:]}"
            reply.say(line)
        chosen = next(o for o in dist.options if o.code == picked)
        added_codes = [c for c in reply.picked if c != picked]
        plus = f" + {' + '.join(added_codes)}" if added_codes else ""
        if added_codes and decision.basis == "drug":
            plus = f" (+ {' + '.join(added_codes)} if moderate sedation is documented)"
        reply.lines.insert(0, f"*{picked}*{plus}: {chosen.when}")
        reply.cite(dist.sources)
        reply.shown_sources += [s for s in rule.sources[:1] + dist.sources[:2] if s not in reply.shown_sources]
        reply.detail(labelled(rule.text, rule.status), rule.sources)
    elif picked:  # a family split by the treatment: the note's approach and manipulation decided
        chosen = next(o for o in dist.options if o.code == picked)
        reply.code(picked)
        reply.picked = [picked]
        reply.code(*codes)
        reply.say(f"*{picked}*: {chosen.when}", dist.sources)
        reply.detail(f"{dist.title}: {dist.rule}", dist.sources)
    elif rule:  # documented, but the sources do not settle it (deep sedation)
        reply.code(*codes)
        reply.options = codes
        reply.say(f"{' or '.join(codes)}: {labelled(rule.text, rule.status)}", rule.sources)
    else:
        reply.code(*codes)
        reply.options = codes
        if decision.basis == "conflict":
            reply.say(
                "The note contradicts itself on anesthesia (it says none, and also names anesthesia): query the "
                "provider; what each answer leads to is below."
            )
        elif decision.basis == "range":
            reply.say(
                "The note names the drugs but not the depth of sedation, and these drugs can give more than "
                "one depth: the documented depth decides, as below."
            )
        reply.say(f"{' or '.join(codes)}: {DECIDED_BY[dist.kind]} decides.", dist.sources)
        for option in dist.options:
            reply.say(f"- *{option.code}*: {option.when}")
        reply.detail(f"{dist.title}: {dist.rule}", dist.sources)
        if guidance:
            reply.suggest(
                f"{codes[0]} or {codes[-1]} under moderate sedation?",
                f"{codes[0]} or {codes[-1]} under general anesthesia?",
            )
    digit_line(ask, reply, picked or codes[0])
    for note in dist.notes:  # the notes matter most while the choice is open; they are one step away either way
        reply.detail(labelled(note.text, note.status), note.sources)
    if guidance and guidance.positions and dist.kind == "anesthesia":
        _conflict(reply, guidance)
    reply.suggest(f"global days for {codes[-1]}?", f"anesthesia code for {codes[-1]}?")
    return reply


def digit_line(ask: Ask, reply: Reply, code: str) -> None:
    """A finger or toe code goes on the claim with the digit modifier of the digit and side the note names
    ("right thumb MCP": F5), so the answer gives the whole line; nothing when the note does not name them."""
    digits = named_digit_modifiers(ask.store, ask.case, code)
    if digits:
        reply.modifier(*digits)
        names = "; ".join(ask.store.modifiers[m].name.lower() for m in digits)
        reply.say(f"Digit modifier: {', '.join(f'{code}-{m}' for m in digits)} ({names}).")


def sedation_unmet(ask: Ask) -> str | None:
    """Why the moderate sedation codes cannot be reported, when the Case shows a requirement unmet: less than
    the minimum intraservice time, or no independent trained observer when the sedating physician also did
    the procedure (the note says there was none)."""
    case, time = ask.case, ask.store.sedation_time
    if time is not None and case.minutes is not None and case.minutes < time.minimum_minutes:
        return (
            f"the intraservice time ({case.minutes:g} minutes) is under the {time.minimum_minutes} minutes the "
            "initial code needs."
        )
    no_observer = any(f.attrs.get("role") == "observer" for f in case.of("provider", status="negated"))
    if no_observer and case.sedation_by in (None, "same"):
        return "the note documents no independent trained observer, which the same-physician codes require."
    return None


def _sedation_line(ask: Ask, codes: list[str]) -> str:
    """The sedation codes with their units, and whose claim they go on."""
    names = " + ".join(codes)
    if ask.case.sedation_by == "other":
        return f"{names} goes on the claim of the physician who gave the sedation, not the one who reduced."
    time = ask.store.sedation_time
    least = f" and at least {time.minimum_minutes} minutes of intraservice time" if time else ""
    return f"{names} for the sedation, with an independent trained observer present{least}."


def _sedation_code(ask: Ask, code: str) -> str:
    curated = ask.store.codes.get(code)
    if curated is None or curated.family != SEDATION_FAMILY:
        return code
    picked = pick_sedation(ask.store, ask)
    return picked.code if picked else code


def _conflict(reply: Reply, guidance: Guidance) -> None:
    """The current position first; the older, narrower readings named so a coder can answer an auditor."""
    first, *older = guidance.positions
    reply.detail(
        f"The most recent AMA position found{f' ({first.year})' if first.year else ''}: {first.statement}",
        first.sources,
    )
    if older:
        years = sorted({p.year for p in older if p.year})
        span = f" ({years[0]}-{years[-1]})" if len(years) > 1 else (f" ({years[0]})" if years else "")
        reply.detail(f"Older or conflicting sources{span}: {older[0].statement}", older[0].sources)


def _meaning(store: KnowledgeStore, guidance: Guidance, findings: list[str]) -> Reply:
    reply = Reply(answered=True)
    reply.say(f"{guidance.title}: {guidance.rule}", guidance.sources)
    for rule in guidance.findings:
        if not findings or rule.finding in findings:
            side = {
                "without": "the without-anesthesia code",
                "requiring": "the requiring-anesthesia code",
                "unclear": "not settled",
            }[rule.picks]
            line = f"- {rule.finding.replace('_', ' ')}: {side}."
            if findings:
                reply.say(line, rule.sources[:1])
            reply.detail(f"{line} {labelled(rule.text, rule.status)}", rule.sources)
            reply.code(*rule.add_codes)
    _conflict(reply, guidance)
    reply.suggest("27250 or 27252 under moderate sedation?", "23650 vs 23655?")
    return reply


def by_joint(ask: Ask) -> Distinction | None:
    """The anesthesia pair of the family the described joint decides (the MCP, the talotarsal joint)."""
    families = ask.case.families
    return next((d for d in ask.store.distinctions if d.kind == "anesthesia" and d.family in families), None)


def _described_elsewhere(ask: Ask, named: Distinction | None) -> bool:
    """Whether the injury the facts describe is answered by no pair of the codes named: a part that names its
    family ("both bone forearm", "bimalleolar", "Galeazzi") the named codes are not of (they are positions to
    judge, not the answer), or a fracture with no pair named. The code search then answers from the facts."""
    case = ask.case
    if named is None:
        return case.condition in ("fracture", "fracture_dislocation") or bool(case.families)
    return named.family not in case.families and described_apart(ask.store, case, ask.procedure_codes)


def _covering(ask: Ask) -> Distinction | None:
    """The fracture-dislocation family for a Case that has both: the one named (Monteggia), else the one most
    of whose codes are, or relate to, the codes named and the codes of the fractured part described."""
    store, case = ask.store, ask.case
    of_parts = {c.code for c in store.codes.values() if c.family in case.families}
    described = of_parts | set(ask.procedure_codes)
    best: tuple[int, Distinction | None] = (0, None)
    for dist in store.distinctions:
        if dist.kind != "fracture_dislocation":
            continue
        if dist.family in case.families:
            return dist
        options = [o.code for o in dist.options]
        if dist.body_site not in case.sites and not set(options) & of_parts:
            continue  # neither at the place described nor holding a code of the part described
        score = len(set(options) & described) + sum(
            1 for o in options if o in store.codes and set(store.codes[o].related) & described
        )
        if score > best[0]:
            best = (score, dist)
    return best[1]


def _by_description(ask: Ask) -> Distinction | None:
    """No code named: the site and wording pick the family ("shoulder reduction under MAC, which code?")."""
    store = ask.store
    pairs = [d for d in store.distinctions if d.kind == "anesthesia"]
    family = best_family(store, ask)
    if family is None:  # the description matched weakly, but a site with one pair only has decided ("elbow")
        on_site = {
            d.family
            for d in pairs
            if any(store.codes[o.code].body_site in ask.case.sites for o in d.options if o.code in store.codes)
        }
        family = on_site.pop() if len(on_site) == 1 else None
    return next((d for d in pairs if d.family == family), None)
