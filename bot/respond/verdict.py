"""A verdict on what the coder proposed ("can we report 23655?", "ortho wants 27252, who is right?"), said first.

Decided from what the composer decided (the codes it picked, or the options when the Case leaves the choice
open, and its verdict on each modifier) against the codes and modifiers the Case marks as proposed.
"""

from __future__ import annotations

from bot.kb.models import Code
from bot.kb.store import KnowledgeStore
from bot.nlu.case import Case, CaseAsk
from bot.respond.base import Reply

_WORDS = {"yes": "Yes", "no": "No", "depends": "It depends"}
_FROM_MODIFIER = {"fits": "yes", "does_not_fit": "no", "depends": "depends"}


def judging(item: CaseAsk) -> bool:
    """Whether the ask asks for a judgement ("is that right?", "who is right?", a yes-or-no question): the codes it
    states are then positions, whatever verb stated them."""
    return bool(set(item.kinds) & {"verify", "who_is_right"}) or item.yes_no


def proposals(case: Case, item: CaseAsk) -> tuple[list[str], list[str]]:
    """The codes and modifiers proposed for this ask: those proposed in its own words, else, when it names no
    code ("who is right?", "does that change the sedation code?"), those proposed earlier in the message."""
    # "Ortho put 27252. I think it is 27250. Who is right?", "Billed 28575-23. Is the 23 needed?": asked to
    # judge, the codes stated are the positions, whatever verb stated them
    judged = judging(item)
    stated: tuple[str, ...] = ("proposed", "mentioned") if judged else ("proposed",)
    if judged and "define_code" in item.kinds:
        stated += ("asked",)  # "Is 23605 the fracture code?" after the case: yes or no, on what the case decides
    own = [c.code for c in case.codes if c.role in stated and c.segment in item.segments]
    names_codes = any(c.segment in item.segments for c in case.codes)
    before = [c for c in case.codes if c.segment < max(item.segments, default=0)]
    codes = own or (
        [c.code for c in before if c.role == "proposed"]
        or ([c.code for c in before if c.role == "mentioned"] if judged else [])
        if not names_codes and not item.topics  # "... 29075? And which supply code?": its own topic, no verdict
        else []
    )
    if not codes and not names_codes and len(case.asks) == 1:
        # the one ask of the message, and the positions stated after it ("Does MAC count? Surgeon wants 27252.")
        codes = [c.code for c in case.codes if c.role == "proposed"]
    segments = {c.segment for c in case.codes if c.code in codes} | set(item.segments)
    asserted = [m.code for m in case.modifiers if m.status == "asserted"]
    named = [m.code for m in case.modifiers if m.segment in segments and m.status == "asserted"]
    # "Coder used 57 on the visit. Isn't 57 only for the 90 day codes?": a modifier the ask itself names is judged
    named += [m for m in item.modifiers if m in asserted and m not in named]
    # a modifier named on its own in the question is proposed ("54 on 24600 for the ED doc?"); two named as a
    # choice ("78 or 79?") are asked between, not proposed
    choice = "alternative" in item.kinds and len(set(named)) > 1
    mods = [] if choice else named
    return list(dict.fromkeys(codes)), list(dict.fromkeys(mods))


def judge(reply: Reply, store: KnowledgeStore, codes: list[str], mods: list[str]) -> str | None:
    """yes, no or depends on the proposal; None when the reply decided nothing the proposal is about."""
    results: list[str] = []
    for mod in mods:
        if mod in reply.modifier_verdicts:
            results.append(_FROM_MODIFIER[reply.modifier_verdicts[mod]])
    for code in codes:
        deleted = store.codes.get(code)
        if deleted is not None and deleted.is_deleted or code in reply.ruled_out:
            results.append("no")  # a deleted code is never right today; nor one the case does not support
        elif code in reply.options:
            results.append("depends")
        elif reply.picked and _comparable(store, code, reply.picked):
            results.append("yes" if code in reply.picked else "no")
    if not results:
        return None
    return "no" if "no" in results else "depends" if "depends" in results else "yes"


def _comparable(store: KnowledgeStore, code: str, picked: list[str]) -> bool:
    """Whether the decision speaks to the proposed code: the same family as a picked code (or a sedation code
    beside a picked sedation code), or a code of the same pair."""
    curated = store.codes.get(code)
    if curated is None:
        return code in picked
    families = {store.codes[p].family for p in picked if p in store.codes}
    return (
        curated.family in families
        or any(code in {o.code for o in d.options} for p in picked for d in store.distinctions_for(p))
        or any(_same_injury(curated, store.codes[p]) for p in picked if p in store.codes)
    )


def _same_injury(proposed: Code, picked: Code) -> bool:
    """A treatment code of another part for the injury the decision coded ("25505 and 25535" for a both bone
    forearm fracture coded 25565): at the same body site, or one listed as related to the other."""
    return bool(
        proposed.body_site
        and picked.body_site
        and (
            proposed.body_site == picked.body_site or proposed.code in picked.related or picked.code in proposed.related
        )
    )


def lead(verdict: str, reply: Reply, codes: list[str], mods: list[str]) -> str:
    """The first line: the verdict, and what to report instead when it is no."""
    proposal = ", ".join(codes + [f"modifier {m}" for m in mods if not codes]) or "that"
    unfit = [m for m in mods if reply.modifier_verdicts.get(m) == "does_not_fit"]
    if verdict == "no" and unfit and not reply.ruled_out:  # the code stands; the modifier on it does not
        on = f" on {reply.picked[0] if reply.picked else codes[0]}" if reply.picked or codes else ""
        on = f" on {reply.judged_on[unfit[0]]}" if unfit[0] in reply.judged_on else on  # "27252-47", not 01200
        on = f" on {reply.modifier_on[unfit[0]]}" if unfit[0] in reply.modifier_on else on
        return f"*{_WORDS[verdict]}*: modifier {', '.join(unfit)} does not fit{on}."
    if verdict == "no" and reply.picked:
        wrong = [c for c in codes if c not in reply.picked] or codes  # "not 29125", not "not 25605, 29125"
        return f"*{_WORDS[verdict]}*: not {', '.join(wrong)}; report {' with '.join(reply.picked[:2])}."
    if verdict == "no" and reply.ruled_out:  # nothing to report instead: "No: 99152 does not apply here."
        ruled = [c for c in codes if c in reply.ruled_out] or codes
        return f"*{_WORDS[verdict]}*: {', '.join(ruled)} {'does' if len(ruled) == 1 else 'do'} not apply here."
    if verdict == "depends" and reply.options:
        return f"*{_WORDS[verdict]}*: {' or '.join(reply.options)}, on what the note documents (below)."
    placed = [m for m in mods if m in reply.modifier_on]
    if placed:  # "Does the office visit take 57?": the modifier and where it goes, not the codes around it
        return f"*{_WORDS[verdict]}*: " + "; ".join(f"modifier {m} on {reply.modifier_on[m]}" for m in placed) + "."
    return f"*{_WORDS[verdict]}*: {proposal}."
