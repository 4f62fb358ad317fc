"""Whether a modifier fits a code: from CMS indicators where they decide, from curated rules otherwise.

One function per origin, both used by the build (to publish the verdicts for curated codes) and by the
engine (for any code in the fee schedule), so the two can never disagree.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from bot.kb.models import Code, Indicator, ModifierRule

if TYPE_CHECKING:  # the builder's loader is not imported to answer a question
    from bot.kb.load import Knowledge


@dataclass(frozen=True)
class RuleVerdict:
    modifier: str
    code: str
    verdict: str  # fits | does_not_fit | depends
    why: str
    sources: tuple[str, ...]
    origin: str  # "cms-indicator" or "curated"
    field: str | None = None  # the indicator that decided, e.g. bilat_surg
    value: str | None = None  # its value for this code, e.g. "1"
    instead: tuple[str, ...] = ()
    status: str = "confirmed"


def indicator_verdicts(
    indicators: list[Indicator], code: str, row: dict[str, str], modifier: str | None = None
) -> list[RuleVerdict]:
    """Verdicts that the CMS indicator values of `row` decide, for one modifier or all; each cites the sources of
    its own decision (the indicator's only when the decision names none)."""
    out = []
    for ind in indicators:
        value = str(row.get(ind.field, ""))
        for rule in ind.decides:
            if (modifier is None or rule.modifier == modifier) and value in rule.values:
                out.append(
                    RuleVerdict(
                        rule.modifier,
                        code,
                        rule.verdict,
                        rule.why,
                        tuple(rule.sources or ind.sources),
                        "cms-indicator",
                        ind.field,
                        value,
                        tuple(rule.instead),
                    )
                )
    return out


def rule_applies(rule: ModifierRule, code: str, curated: Code | None) -> bool:
    if code in rule.codes:
        return True
    if curated is None:
        return False
    return (curated.family is not None and curated.family in rule.families) or (
        rule.anesthesia is not None and rule.anesthesia == curated.anesthesia
    )


def curated_verdicts(
    rules: list[ModifierRule], code: str, curated: Code | None, modifier: str | None = None
) -> list[RuleVerdict]:
    return [
        RuleVerdict(
            r.modifier, code, r.verdict, r.why, tuple(r.sources), "curated", instead=tuple(r.instead), status=r.status
        )
        for r in rules
        if (modifier is None or r.modifier == modifier) and rule_applies(r, code, curated)
    ]


def derived_rules(kb: Knowledge, pfs_by_code: dict[str, dict[str, str]]) -> list[dict[str, object]]:
    """Rows for the `modifier_rules` table: indicator verdicts for every curated code in the fee schedule."""
    rows: list[dict[str, object]] = []
    for code in kb.codes:
        row = pfs_by_code.get(code.code)
        if row is None:
            continue
        for v in indicator_verdicts(kb.indicators, code.code, row):
            rows.append(
                {
                    "id": f"{v.modifier}:{v.code}:{v.field}",
                    "modifier": v.modifier,
                    "origin": v.origin,
                    "code": v.code,
                    "verdict": v.verdict,
                    "data": json.dumps(asdict(v)),
                }
            )
    return rows
