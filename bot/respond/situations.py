"""Situations the Case shows that call for a modifier: read from facts, not from how the words sound.

A modifier lists the situations it fits (modifiers.yaml `situations:`); each is read here from the Case. The
fuzzy match on modifier names and aliases (bot.respond.modifiers) remains for situations no fact names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.kb.models import Modifier
from bot.kb.rules import curated_verdicts
from bot.kb.store import KnowledgeStore
from bot.nlu.case import Case, CaseAsk


def _anesthesia_by_surgeon(case: Case, item: CaseAsk) -> bool:
    """The physician who did the procedure gave the regional or general anesthesia himself."""
    return bool({"regional", "general"} & set(case.findings)) and case.sedation_by == "same"


def _bilateral(case: Case, item: CaseAsk) -> bool:
    return "bilateral" in case.sides


def _asked_provider(case: Case, item: CaseAsk) -> str | None:
    last = item.segments[-1] if item.segments else None
    return next((f.concept for f in case.of("provider") if f.segment == last), None)


def _surgical_care_only(case: Case, item: CaseAsk) -> bool:
    """The physician who reduced hands the follow-up to someone else, and the ask is about the one who reduced
    (or names no one)."""
    if "hand-off" not in case.topics:
        return False
    reducer, asked = case.doer("reduction"), _asked_provider(case, item)
    return asked is None or reducer is None or asked == reducer.concept


def _postoperative_care_only(case: Case, item: CaseAsk) -> bool:
    """Someone other than the physician who reduced gives only the follow-up care, and the ask is about them."""
    if "hand-off" not in case.topics:
        return False
    reducer, asked = case.doer("reduction"), _asked_provider(case, item)
    return asked is not None and reducer is not None and asked != reducer.concept


def _furnished(case: Case) -> set[str]:
    """What the note says of how the anesthesia was furnished (lexicon procedures of kind furnished)."""
    return set(case.procedures("furnished"))


def _practitioners(case: Case) -> set[str]:
    return {f.concept for f in case.of("provider") if f.attrs.get("role") == "anesthesia"}


def _anesthesiologist_alone(case: Case, item: CaseAsk) -> bool:
    """The anesthesiologist gave it personally: said so, or named with no anesthetist and nothing said of
    direction or supervision."""
    if "anesthesiologist" not in _practitioners(case):
        return False
    furnished = _furnished(case)
    return "personally-performed" in furnished or "crna" not in _practitioners(case) and not furnished


def _anesthetist_directed(case: Case, item: CaseAsk) -> bool:
    """The CRNA worked under medical direction: said so, or the anesthesiologist was directing concurrent cases
    ("covering 3 rooms") or one CRNA."""
    topics = _furnished(case)
    directed = bool({"medical-direction", "concurrent-cases", "one-anesthetist"} & topics)
    return directed and ("crna" in _practitioners(case) or bool({"concurrent-cases", "one-anesthetist"} & topics))


def _anesthetist_not_directed(case: Case, item: CaseAsk) -> bool:
    return "crna" in _practitioners(case) and "no-medical-direction" in _furnished(case)


def _directing_concurrent(case: Case, item: CaseAsk) -> bool:
    """The anesthesiologist directed two to four cases at once ("covering 3 rooms", "directing 2 CRNAs")."""
    return "concurrent-cases" in _furnished(case) and (
        "medical-direction" in _furnished(case) or bool({"crna", "anesthesiologist"} & _practitioners(case))
    )


def _directing_one(case: Case, item: CaseAsk) -> bool:
    return "one-anesthetist" in _furnished(case) and "medical-direction" in _furnished(case)


def _supervising_more_than_four(case: Case, item: CaseAsk) -> bool:
    return "medical-supervision" in _furnished(case) and bool(_practitioners(case))


def _monitored_anesthesia_care(case: Case, item: CaseAsk) -> bool:
    """Monitored anesthesia care the note states (not only inferred from an anesthesia practitioner's presence)."""
    return any(f.concept == "mac" for f in case.of("finding")) and bool(_practitioners(case))


def _physical_status(n: int) -> Callable[[Case, CaseAsk], bool]:
    """The ASA physical status class the anesthesia record gives ("ASA 3E": 3)."""
    return lambda case, item: f"physical-status-{n}" in case.procedures("physical_status")


PHYSICAL_STATUS = tuple(f"physical_status_{n}" for n in range(1, 7))

READ: dict[str, Callable[[Case, CaseAsk], bool]] = {
    "anesthesia_by_surgeon": _anesthesia_by_surgeon,
    "bilateral": _bilateral,
    "surgical_care_only": _surgical_care_only,
    "postoperative_care_only": _postoperative_care_only,
    "anesthesiologist_alone": _anesthesiologist_alone,
    "anesthetist_directed": _anesthetist_directed,
    "anesthetist_not_directed": _anesthetist_not_directed,
    "directing_concurrent": _directing_concurrent,
    "directing_one": _directing_one,
    "supervising_more_than_four": _supervising_more_than_four,
    "monitored_anesthesia_care": _monitored_anesthesia_care,
    **{name: _physical_status(n) for n, name in enumerate(PHYSICAL_STATUS, start=1)},
}


# The anesthesia claim line's situations, in the order their modifiers are written: who furnished it (a pricing
# modifier), then monitored anesthesia care and the physical status (informational, after the pricing one)
CLAIM_LINE = (
    "anesthesiologist_alone",
    "directing_concurrent",
    "directing_one",
    "supervising_more_than_four",
    "anesthetist_directed",
    "anesthetist_not_directed",
    "monitored_anesthesia_care",
    *PHYSICAL_STATUS,
)


# Whose claim line each claim-line situation's modifier goes on (monitored anesthesia care: either one's)
LINE_OF = {
    "anesthesiologist_alone": "anesthesiologist",
    "directing_concurrent": "anesthesiologist",
    "directing_one": "anesthesiologist",
    "supervising_more_than_four": "anesthesiologist",
    "anesthetist_directed": "crna",
    "anesthetist_not_directed": "crna",
}


def asked_line(case: Case, item: CaseAsk) -> str | None:
    """The anesthesia practitioner whose line the ask is about ("what goes on the CRNA line?"), if it names one."""
    asked = _asked_provider(case, item)
    return asked if asked in set(LINE_OF.values()) else None


def _another_physical_status(n: int) -> Callable[[Case, CaseAsk], bool]:
    """The record gives a physical status class other than n ("ASA 3E": not P6)."""
    this = f"physical-status-{n}"
    return lambda case, item: (
        bool(case.procedures("physical_status")) and this not in case.procedures("physical_status")
    )


# Situations the Case rules out: a separate anesthesia practitioner gave it, so the surgeon did not; the record
# gives another physical status
RULED_OUT: dict[str, Callable[[Case, CaseAsk], bool]] = {
    "anesthesia_by_surgeon": lambda case, item: case.sedation_by == "anesthesia",
    **{name: _another_physical_status(n) for n, name in enumerate(PHYSICAL_STATUS, start=1)},
}


def shown(case: Case, item: CaseAsk) -> set[str]:
    """The situations the Case shows for this ask."""
    return {name for name, read in READ.items() if read(case, item)}


def ruled_out(case: Case, item: CaseAsk) -> set[str]:
    """The situations the Case shows did not happen."""
    return {name for name, read in RULED_OUT.items() if read(case, item)}


def side_of(case: Case, site: object) -> str | None:
    """The side written just before a site ("right index finger", "L thumb"), else the note's side."""
    near = [
        f
        for f in case.of("side")
        if f.segment == getattr(site, "segment", None) and 0 <= getattr(site, "start", 0) - f.end <= 12
    ]
    return near[-1].concept if near else case.side


_BOTH = {"bilateral": ("left", "right")}  # "both index fingers": the left one and the right one


def digit_modifiers(case: Case, modifiers: Mapping[str, Modifier], candidates: list[str]) -> list[str]:
    """From a list of finger and toe modifiers, those the note's side and digits name ("right index finger":
    F6); all of them when the note does not say which digit or side."""
    digits = {
        (f"{'toe' if f.attrs.get('site') in ('toe', 'foot') else 'finger'}-{f.attrs['digit']}", side)
        for f in case.of("site")
        if f.attrs.get("digit")
        for side in _BOTH.get(side_of(case, f) or "", (side_of(case, f),))
    }
    named = [m for m in candidates if m in modifiers and (modifiers[m].digit, modifiers[m].side) in digits]
    return named or candidates


def digit_candidates(store: KnowledgeStore, code: str) -> list[str]:
    """The finger and toe modifiers a curated rule says fit this code (FA-F9 on a finger joint code)."""
    return [
        m.code
        for m in store.modifiers.values()
        if m.digit
        and any(v.verdict == "fits" for v in curated_verdicts(store.rules, code, store.codes.get(code), m.code))
    ]


def named_digit_modifiers(store: KnowledgeStore, case: Case, code: str) -> list[str]:
    """The digit modifiers of the fingers or toes and sides the note names, for a code that takes them; none
    when the note does not say which digit and side (the claim line is then the coder's to complete)."""
    candidates = digit_candidates(store, code)
    named = digit_modifiers(case, store.modifiers, candidates) if candidates else []
    return named if len(named) < len(candidates) else []
