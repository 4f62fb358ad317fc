"""The encounter around a reduction: splints, casts and their supplies, x-ray reads, the E/M that day, the global
period and who follows the patient (knowledge/encounter.yaml).

A rule answers when the Case shows what its `applies_when` asks for; among those that do, the most specific one
per topic answers, and a rule about a code the question names comes first. Its verdict on the services the
question proposes comes from the rule's `report`, so the engine's verdict ("No: 29125 is not reported") rests
on the rule, and every line cites the rule's sources.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.kb.models import AppliesWhen, EncounterRule
from bot.kb.store import KnowledgeStore
from bot.nlu.case import Case, CaseAsk
from bot.respond import supplies
from bot.respond.base import HCPCS_SOURCE, PFS_SOURCE, Ask, Reply, is_held, labelled
from bot.respond.situations import digit_modifiers, side_of

_SETTING = {"office": False, "facility": True}  # a rule's setting against the Case's place of service
_REPORT = {
    "report": "Report it",
    "do_not_report": "Not reported separately",
    "report_with_modifier": "Report it with a modifier",
    "depends": "It depends",
}


def is_treatment(store: KnowledgeStore, code: str) -> bool:
    """A fracture or dislocation treatment code (knowledge/code_groups.yaml, treatment)."""
    return code.isdigit() and store.code_groups["treatment"].covers(code)


def is_visit(store: KnowledgeStore, code: str) -> bool:
    """An E/M visit code (knowledge/code_groups.yaml, em-visit): a rule's example stands for any level."""
    return code.isdigit() and store.code_groups["em-visit"].covers(code)


def treatment_codes(store: KnowledgeStore, case: Case) -> list[str]:
    """The fracture or dislocation treatment codes the question names."""
    return [c for c in case.code_list() if is_treatment(store, c)]


def treated(store: KnowledgeStore, case: Case, item: CaseAsk) -> bool:
    """Whether the physician the ask is about reduced or treated the injury: a reduction (or a treatment code) is
    described, no first-care-only words, and no one else is named as having done it."""
    if "initial-care-only" in case.topics:
        return False
    reducer = case.doer("reduction")
    last = item.segments[-1] if item.segments else None
    asked = [f.concept for f in case.of("provider") if f.segment == last and f.attrs.get("role") != "staff"]
    if reducer is not None and asked and reducer.concept not in asked:
        return False  # someone else reduced it
    if case.procedures("reduction") or case.manipulation:
        return True
    if "hand-off" in case.topics:
        return False  # splinted and referred: first care only
    # named treatment codes, or definitive closed care without manipulation ("nondisplaced, casted")
    return bool(treatment_codes(store, case)) or case.manipulation is False


def _several(case: Case) -> bool:
    """Two or more fractures or injured digits: said so, two joints named, or two digits named."""
    digits = {
        (f.attrs.get("site"), f.attrs.get("digit"), side_of(case, f)) for f in case.of("site") if f.attrs.get("digit")
    }
    return (
        "several-fractures" in case.topics or len(digits) > 1 or len(case.joints) > 1 and case.condition == "fracture"
    )


def _global_days(ask: Ask) -> str | None:
    for code in treatment_codes(ask.store, ask.case) or ask.earlier:
        row = ask.store.pfs(code)
        if row:
            return str(row.get("glob_days"))
    return None


def applies(when: AppliesWhen, ask: Ask, named: frozenset[str] = frozenset()) -> int | None:
    """How many of the rule's conditions the Case meets, when it meets them all; None when it does not. `named`:
    the topics of the services the question names by code ("Q4010 on his claim?" is about the supplies).

    Conditions are tried in order and the first unmet one ends it: a long note is checked against every rule."""
    case, item = ask.case, ask.item
    topics = set(case.topics) | named
    tests: list[Callable[[], bool]] = []
    if when.topics:
        tests.append(lambda: bool(topics & set(when.topics)))
    if when.also:
        tests.append(lambda: bool(topics & set(when.also)))
    if when.not_topics:
        tests.append(lambda: not topics & set(when.not_topics))
    if when.procedures:
        tests.append(lambda: any(case.has("procedure", p) for p in when.procedures))
    if when.providers:
        tests.append(lambda: any(case.has("provider", p) for p in when.providers))
    if when.condition:
        tests.append(lambda: (case.condition or "none") in when.condition)
    if when.approach:
        tests.append(lambda: case.approach in when.approach)
    if when.sites:
        tests.append(lambda: bool(set(case.sites) & set(when.sites)))
    if when.families:
        tests.append(lambda: bool(set(case.families) & set(when.families)))
    if when.families_all:
        tests.append(lambda: set(when.families_all) <= set(case.families))
    if when.treated is not None:
        tests.append(lambda: treated(ask.store, case, item) == when.treated)
    if when.several is not None:
        tests.append(lambda: _several(case) == when.several)
    if when.global_days:
        tests.append(lambda: _global_days(ask) in when.global_days)
    if not tests or not all(test() for test in tests):
        return None
    return len(tests)


def _setting_fits(rule: EncounterRule, case: Case) -> bool:
    if rule.setting == "any":
        return True
    if rule.setting == "emergency_department":
        return "ed" in case.settings
    return case.facility is None or case.facility == _SETTING[rule.setting]


def matching(ask: Ask) -> list[EncounterRule]:
    """The rules that answer this ask, best first: one per topic, the most specific; a rule about a code the
    question names first."""
    named = [c for c in ask.case.code_list() + ask.case.code_list(kinds=("hcpcs",))]
    services = [c for c in named if not is_treatment(ask.store, c)]
    topics = frozenset(r.topic for r in ask.store.encounter_rules if any(r.covers(c) for c in services)) | {
        # "73110-26?": the modifier names the read, on a code a rule about reads covers (not on "27252-26")
        str(f.attrs["topic"])
        for f in ask.case.of("procedure")
        if f.attrs.get("kind") == "topic_by_modifier"
        and any(
            r.covers(str(f.attrs["on"])) and r.applies_when and f.attrs["topic"] in r.applies_when.also
            for r in ask.store.encounter_rules
        )
    }
    scored: list[tuple[int, int, EncounterRule]] = []
    for n, rule in enumerate(ask.store.encounter_rules):
        if rule.applies_when is None or not _setting_fits(rule, ask.case):
            continue
        score = applies(rule.applies_when, ask, topics)
        if score is None:
            continue
        names = any(rule.covers(c) for c in named if not is_treatment(ask.store, c))
        # the place named is specific too, and so is a rule that decides, beside one that says it depends
        scored.append((score + 3 * names + (rule.setting != "any") + (rule.report != "depends"), -n, rule))
    if any(r.covers(c) for _, _, r in scored for c in named if not is_treatment(ask.store, c)):
        # the question names a service (29125, Q4010): the rules about it answer, not every topic it touches, but
        # an ask about a topic of its own keeps that topic's rules ("29075 for the cast? And which supply code?")
        scored = [
            s
            for s in scored
            if s[2].topic in ask.item.topics or any(s[2].covers(c) for c in named if not is_treatment(ask.store, c))
        ]
    best: dict[str, EncounterRule] = {}
    for _, _, rule in sorted(scored, key=lambda s: (s[0], s[1]), reverse=True):
        best.setdefault(rule.topic, rule)
    return list(best.values())


RULES_PER_ASK = 2  # the encounter rules one answer shows; a question about more gets the rest when asked


def around(ask: Ask, reply: Reply) -> tuple[Reply, bool]:
    """The encounter rules that answer this ask, beside the code the composer chose ("25605; the splint is part
    of it"); the rules alone when the composer found no code to name, or when the ask names only the encounter's
    services ("can the ED bill 29125?"), which the second value says."""
    # the topic asked about first, then a rule that decides before one that says it depends on what the first
    # decides ("ortho reviewed the films radiology read: 73090-26?": the review is part of the E/M, whoever else reads)
    rules = sorted(matching(ask), key=lambda r: (r.topic not in ask.item.topics, r.report == "depends"))
    if not rules:
        return reply, False
    # a thin ask ("Allowed?") is about the codes its case proposes ("Ortho wants 73030-26 on top of his visit")
    thin = len(ask.item.segments) > 1 and not ask.item.own_codes  # took its case from the sentences before it
    own = [c for c in (ask.case.proposed if thin else ask.item.own_codes) if c not in ask.case.code_list("rejected")]
    services = [c for c in own if any(r.covers(c) for r in rules) and not is_treatment(ask.store, c)]
    about_services = not any(
        k.startswith("indicator") or k in ("define_code", "define_modifier") for k in ask.item.kinds
    ) and (
        # "which Q code?": the supply is asked for, not the treatment ("what's the status of the Q codes" is not)
        any(r.topic in ask.item.topics for r in rules)
        and "define" not in ask.item.kinds
        or bool(services)
        and not any(is_treatment(ask.store, c) for c in own)
    )
    chosen = [c for c in reply.picked if is_treatment(ask.store, c)] if reply.answered else []
    if not reply.answered or about_services:
        reply = Reply(answered=True)  # the rules answer it
    for rule in rules[:RULES_PER_ASK]:
        add(ask, rule, reply, chosen)
    if not reply.codes:  # nothing to report instead ("73610-26 for his review?"): the answer is about what it rules out
        reply.code(*reply.ruled_out)
        reply.modifier(*[m.code for m in ask.case.modifiers if m.target in reply.ruled_out])
    return reply, about_services


def add(ask: Ask, rule: EncounterRule, reply: Reply, chosen: list[str] | None = None) -> None:
    """One rule's answer: what to do with the services it covers that the question names, and why. `chosen`:
    the treatment codes the composer chose from the description, reported instead of a bundled service when the
    question names none."""
    case = ask.case
    # a code in no code set we hold ("29590, is it still valid?") is never reported or ruled on
    listed = case.code_list() + case.code_list(kinds=("hcpcs",))
    covered = [c for c in dict.fromkeys(listed) if rule.covers(c) and is_held(ask.store, c)]
    services = [c for c in covered if not is_treatment(ask.store, c)]
    if not services and rule.report != "do_not_report":
        services = covered  # a rule about the treatment code itself; what is not reported is never the treatment

    instead = [(item.split("-")[0], item.split("-")[1:]) for item in rule.instead]
    # a rule's E/M is an example level: the visit the question names stands in for it ("99284-25 and 29125?")
    visits = [c for c in case.code_list() if is_visit(ask.store, c)]
    instead = [(visits[0], m) if visits and is_visit(ask.store, c) else (c, m) for c, m in instead]
    reply.basis = reply.basis or ("documented" if rule.status == "confirmed" else "unsettled")
    lead = _REPORT[rule.report]
    supply = supplies.choose(ask.store, case) if rule.topic == "supply" and rule.report == "report" else []
    if supply:  # which Q code: CMS's description of the cast or splint the note names
        services = [c for c in services if c not in [s.code for s in supply]]
        reply.ruled_out += [c for c in services if c not in reply.ruled_out]  # a Q code proposed that does not fit
        services = [s.code for s in supply[:2]]
        if len(supply) > 1:
            reply.options += services
    if rule.report == "do_not_report":
        reply.ruled_out += [c for c in services if c not in reply.ruled_out]
        # what is reported instead of the bundled service: the treatment code the question names ("29075 on top
        # of 25605?": 25605 alone), when nothing decided the treatment code already
        named = (
            []
            if reply.picked
            else [c for c in treatment_codes(ask.store, case) or chosen or [] if c not in reply.ruled_out]
        )
        reply.code(*named)
        reply.picked += named
    elif rule.report == "depends":
        reply.code(*services)  # the service is still what the answer is about ("29345: it depends")
        reply.options += [c for c in services if c not in reply.options]
        reply.modifier(*rule.modifiers)  # what the service takes when the deciding fact holds (26 with a report)
    else:
        reply.code(*services)
        reply.picked += [c for c in services if c not in reply.picked]
    if rule.report in ("report", "report_with_modifier") and rule.modifiers:
        on = _modifier_codes(ask, rule) or services
        wanted = (
            digit_modifiers(ask.case, ask.store.modifiers, rule.modifiers)
            if len(rule.modifiers) > 2
            else rule.modifiers
        )
        reply.code(*on)
        reply.modifier(*wanted)
        lead += f" ({', '.join(f'{c}-{m}' for c in on[:1] for m in wanted[:2]) or ', '.join(wanted)})"
    for code, mods in instead:
        reply.code(code)
        reply.modifier(*mods)
    what = f" ({', '.join(services)})" if services and rule.report != "report_with_modifier" else ""
    unsure = {"inference": " (our guidance)", "unconfirmed": " (not confirmed)"}.get(rule.status, "")
    reply.say(f"*{lead}*{what}{unsure}: {rule.title}.", rule.sources)
    if instead:
        how = "Report instead" if rule.report == "do_not_report" else "Report with it"
        named = [
            f"the E/M visit ({'-'.join([c, *m])} as an example level)"
            if is_visit(ask.store, c) and c not in visits
            else "-".join([c, *m])
            for c, m in instead
        ]
        reply.say(f"{how}: {', '.join(named)}.")
    reply.detail(
        labelled(rule.rule, rule.status),
        [*rule.sources, *([PFS_SOURCE] if rule.applies_when and rule.applies_when.global_days else [])],
    )
    for row in supply[:2]:
        reply.say(f"*{row.code}* (HCPCS Level II): {row.long_description.rstrip('.')}.", [HCPCS_SOURCE])
    for position in rule.positions[:1]:
        reply.detail(labelled(position.statement, position.status), position.sources)
    for note in rule.notes:
        reply.detail(labelled(note.text, note.status), note.sources)


def _modifier_codes(ask: Ask, rule: EncounterRule) -> list[str]:
    """The codes a rule's modifiers go on: its modifiers_on codes the question names, else the treatment code."""
    case = ask.case
    named = case.code_list()
    if rule.modifiers_on:
        on = EncounterRule.model_construct(codes=rule.modifiers_on)
        return [c for c in named if on.covers(c)]
    return treatment_codes(ask.store, case) or list(ask.earlier[:1])
