"""Situations the Case shows that call for a modifier: read from facts, not from how the words sound.

A modifier lists the situations it fits (modifiers.yaml `situations:`); each is read here from the Case. The
fuzzy match on modifier names and aliases (bot.respond.modifiers) remains for situations no fact names.
"""

from __future__ import annotations

from collections.abc import Callable

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


READ: dict[str, Callable[[Case, CaseAsk], bool]] = {
    "anesthesia_by_surgeon": _anesthesia_by_surgeon,
    "bilateral": _bilateral,
    "surgical_care_only": _surgical_care_only,
    "postoperative_care_only": _postoperative_care_only,
}


def shown(case: Case, item: CaseAsk) -> set[str]:
    """The situations the Case shows for this ask."""
    return {name for name, read in READ.items() if read(case, item)}
