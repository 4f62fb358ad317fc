"""anesthesia_distinction: which code of a pair the documented anesthesia supports, and why.

The decision is data: a distinction points at shared guidance whose findings say which side each kind of
anesthesia or sedation picks. Conflicting positions are shown most recent and authoritative first.
"""

from __future__ import annotations

from bot.kb.models import Distinction, FindingRule, Guidance
from bot.kb.store import KnowledgeStore
from bot.respond.base import Ask, Reply, declined, labelled
from bot.respond.retrieve import SEDATION_FAMILY, best_family, find_distinction, pick_sedation


def decide(store: KnowledgeStore, dist: Distinction, findings: list[str]) -> tuple[str | None, FindingRule | None]:
    """The option the first decisive finding picks (requiring before without when a note names several)."""
    guidance = store.guidance.get(dist.guidance or "")
    if guidance is None or dist.kind != "anesthesia":
        return None, None
    rules = [r for f in findings for r in guidance.findings if r.finding == f]
    if not rules:
        return None, None
    rule = next((r for r in rules if r.picks == "requiring"), rules[0])
    if rule.picks == "unclear":
        return None, rule
    index = 0 if rule.picks == "without" else len(dist.options) - 1
    return dist.options[index].code, rule


def compose(ask: Ask) -> Reply:
    store, case = ask.store, ask.case
    codes = ask.procedure_codes
    dist = find_distinction(store, codes) or _by_description(ask)
    guidance = store.guidance.get(dist.guidance or "") if dist else next(iter(store.guidance.values()), None)
    if dist is None:
        if guidance and (case.findings or not codes):
            return _meaning(store, guidance, case.findings)
        unknown = [c for c in codes if c not in store.codes]
        return declined(
            f"I have no without/requiring-anesthesia pair for {', '.join(unknown or codes)}."
            if codes else "I could not tell which pair of codes you mean.",
            suggestions=["27250 or 27252 under moderate sedation?", "what does requiring anesthesia mean?"],
        )
    return explain(ask, dist)


def explain(ask: Ask, dist: Distinction) -> Reply:
    """The pair's answer for the anesthesia the Case documents; a sedation code it adds follows the patient's
    age and who sedated (the sedation table)."""
    store = ask.store
    reply = Reply(answered=True)
    picked, rule = decide(store, dist, ask.case.findings)
    codes = [o.code for o in dist.options]
    guidance = store.guidance.get(dist.guidance or "")
    if picked and rule:
        reply.code(picked, *(_sedation_code(ask, c) for c in rule.add_codes))
        reply.code(*codes)
        reply.say(f"*{picked}*: {labelled(rule.text, rule.status)}", rule.sources)
        chosen = next(o for o in dist.options if o.code == picked)
        reply.say(f"{picked}: {chosen.when}", dist.sources)
    elif rule:  # documented, but the sources do not settle it (deep sedation)
        reply.code(*codes)
        reply.say(f"{' or '.join(codes)}: {labelled(rule.text, rule.status)}", rule.sources)
    else:
        reply.code(*codes)
        reply.say(f"{dist.title}: {dist.rule}", dist.sources)
        for option in dist.options:
            reply.say(f"- *{option.code}*: {option.when}")
        if guidance:
            reply.suggest(f"{codes[0]} or {codes[-1]} under moderate sedation?", f"{codes[0]} or {codes[-1]} under general anesthesia?")
    if not picked:  # the notes matter while the choice is open; once decided, the answer stays short
        for note in dist.notes:
            reply.say(labelled(note.text, note.status), note.sources)
    if guidance and guidance.positions and dist.kind == "anesthesia":
        _conflict(reply, guidance)
    reply.suggest(f"global days for {codes[-1]}?", f"anesthesia code for {codes[-1]}?")
    return reply


def _sedation_code(ask: Ask, code: str) -> str:
    curated = ask.store.codes.get(code)
    if curated is None or curated.family != SEDATION_FAMILY:
        return code
    picked = pick_sedation(ask.store, ask)
    return picked.code if picked else code


def _conflict(reply: Reply, guidance: Guidance) -> None:
    """The current position first; the older, narrower readings named so a coder can answer an auditor."""
    first, *older = guidance.positions
    reply.say(f"Current guidance{f' ({first.year})' if first.year else ''}: {first.statement}", first.sources)
    if older:
        years = sorted({p.year for p in older if p.year})
        span = f" ({years[0]}-{years[-1]})" if len(years) > 1 else (f" ({years[0]})" if years else "")
        reply.say(f"Older or conflicting sources{span}: {older[0].statement}", older[0].sources)


def _meaning(store: KnowledgeStore, guidance: Guidance, findings: list[str]) -> Reply:
    reply = Reply(answered=True)
    reply.say(f"{guidance.title}: {guidance.rule}", guidance.sources)
    for rule in guidance.findings:
        if not findings or rule.finding in findings:
            side = {"without": "the without-anesthesia code", "requiring": "the requiring-anesthesia code",
                    "unclear": "not settled"}[rule.picks]
            reply.say(f"- {rule.finding.replace('_', ' ')}: {side}. {labelled(rule.text, rule.status)}", rule.sources)
            reply.code(*rule.add_codes)
    _conflict(reply, guidance)
    reply.suggest("27250 or 27252 under moderate sedation?", "23650 vs 23655?")
    return reply


def _by_description(ask: Ask) -> Distinction | None:
    """No code named: the site and wording pick the family ("shoulder reduction under MAC, which code?")."""
    store = ask.store
    pairs = [d for d in store.distinctions if d.kind == "anesthesia"]
    family = best_family(store, ask)
    if family is None:  # the description matched weakly, but a site with one pair only has decided ("elbow")
        on_site = {d.family for d in pairs if any(store.codes[o.code].body_site in ask.case.sites
                                                  for o in d.options if o.code in store.codes)}
        family = on_site.pop() if len(on_site) == 1 else None
    return next((d for d in pairs if d.family == family), None)
