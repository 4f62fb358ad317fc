"""payment_indicators: the CMS fee-schedule indicators of a code, each with what its value means."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.kb.store import KnowledgeStore
from bot.respond.base import PFS_SOURCE, Ask, Reply, declined
from bot.respond.retrieve import unknown_code

NAMES = {
    "status": "status",
    "glob_days": "global days",
    "mult_proc": "multiple procedure",
    "bilat_surg": "bilateral surgery",
    "asst_surg": "assistant at surgery",
    "co_surg": "co-surgeons",
    "team_surg": "team surgery",
    "pctc": "PC/TC",
}
DEFAULT_FIELDS = ["status", "glob_days", "mult_proc", "bilat_surg", "asst_surg", "co_surg", "team_surg"]


def meaning(store: KnowledgeStore, field: str, value: str) -> str | None:
    for ind in store.indicators:
        if ind.field == field:
            return next((v.meaning for v in ind.values if v.value == value), None)
    return None


def indicator_sources(store: KnowledgeStore, fields: list[str]) -> list[str]:
    """Where each indicator's meaning comes from: its first two references, enough for an auditor."""
    return [s for ind in store.indicators if ind.field in fields for s in ind.sources[:2]]


def indicator_line(store: KnowledgeStore, row: dict[str, Any], fields: list[str]) -> str:
    parts = []
    for field in fields:
        value = str(row[field])
        text = meaning(store, field, value)
        parts.append(f"{NAMES[field]} {value}" + (f" ({text.rstrip('.')})" if text else ""))
    return "; ".join(parts) + "."


def compose(ask: Ask) -> Reply:
    store = ask.store
    codes = ask.procedure_codes or ask.codes
    if not codes:
        return declined("Which code? For example: global days for 27252.", suggestions=["global days for 27252?"])
    asked = ask.item.indicator_fields or [
        k.split(":", 1)[1] for a in ask.case.asks for k in sorted(a.kinds) if k.startswith("indicator:")
    ]
    wanted = [f for f in asked if f in NAMES]
    reply = Reply(answered=False)
    for code in codes[:3]:
        row = store.pfs(code)
        if row is None:
            unknown_code(reply, store, code, "global days for {code}?")
            continue
        reply.answered = True
        reply.code(code)
        # a question about the RVUs or the pre/intra/post split alone gets those figures, not every indicator
        fields = wanted or ([] if asked else DEFAULT_FIELDS)
        head = f"*{code}* in the {store.pfs_release['title']}: "
        if fields:
            reply.say(head + indicator_line(store, row, fields), [PFS_SOURCE, *indicator_sources(store, fields)])
            head = ""
        if "split" in asked or "glob_days" in fields:
            if row["glob_days"] in ("010", "090"):
                reply.say(
                    f"{head}Pre/intra/post-operative shares: "
                    f"{row['pre_op']:.2f}/{row['intra_op']:.2f}/{row['post_op']:.2f}.",
                    [PFS_SOURCE],
                )
                head = ""
            elif "split" in asked:
                reply.say(
                    f"{head}global days {row['glob_days']}: no pre/intra/post-operative shares apply "
                    "(they split the payment of 010 and 090 codes).",
                    [PFS_SOURCE, *indicator_sources(store, ["glob_days"])],
                )
                head = ""
        if "work_rvu" in asked:
            reply.say(
                f"{head}Work RVU {row['work_rvu']:.2f}; total RVU non-facility {row['total_nonfac']:.2f}, "
                f"facility {row['total_fac']:.2f}.",
                [PFS_SOURCE],
            )
        reply.suggest(f"{code} with modifier 50?", f"what is {code}?")
    if reply.answered:
        age_note(store, reply, asked_years=[int(f.value) for f in ask.case.of("year") if f.value])
    return reply


STALE_AFTER_DAYS = 365  # a fee-schedule release older than this is said to be old in every answer that uses it


def age_note(
    store: KnowledgeStore, reply: Reply, today: dt.date | None = None, asked_years: list[int] | None = None
) -> None:
    """The release's age, when it is over a year, or a later year the question asks about: CMS publishes a file
    every quarter and values do change."""
    pfs = store.datasets.get(PFS_SOURCE)
    age = pfs.age_days(today or dt.date.today()) if pfs else None
    if pfs is None or pfs.date is None:
        return
    later = sorted(y for y in asked_years or [] if y > pfs.date.year)
    if later:
        reply.say(
            f"You asked about {later[-1]}; these values are from the {pfs.release} (dated {pfs.date:%d %B %Y}). "
            f"Check CMS's {later[-1]} file before relying on them.",
            [PFS_SOURCE],
        )
        return
    if age is None or age <= STALE_AFTER_DAYS:
        return
    reply.say(
        f"Values from the {pfs.release}, dated {pfs.date:%d %B %Y} ({age // 30} months ago): CMS has published "
        "newer files since; check the current one before relying on them.",
        [PFS_SOURCE],
    )
