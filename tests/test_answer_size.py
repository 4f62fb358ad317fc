"""Answers sized for Slack (issue 12): one ask's text never over 900 characters, the rest one step away; a
question about one figure gets that figure; one publication cited once."""

from __future__ import annotations

import pytest

from bot.engine import Engine
from bot.respond.base import ASK_TEXT_LIMIT, Reply

LONG_ASKS = [
    "explain modifiers 54, 55 and 56 to me",
    "which ICD-10-CM codes go with 27252?",
    "every indicator for 23650, 23655 and 27252 please",
    "what are the dx codes that support 27250",
]


@pytest.mark.parametrize("question", LONG_ASKS)
def test_no_ask_is_longer_than_slack_reads_and_the_rest_is_in_the_details(engine: Engine, question: str) -> None:
    a = engine.answer(question)
    assert a.answered and all(len(ask.text) <= ASK_TEXT_LIMIT for ask in a.asks), [len(x.text) for x in a.asks]


def test_a_long_reply_keeps_its_first_lines_and_moves_the_rest_to_the_details() -> None:
    reply = Reply(True, [f"line {n}: " + "x" * 200 for n in range(8)], details=["why it is so"])
    reply.fit()
    assert reply.lines[0].startswith("line 0") and reply.lines[-1] == "…and 4 more in the details."
    assert len("\n".join(reply.lines)) <= ASK_TEXT_LIMIT
    assert reply.details[0].startswith("line 4") and reply.details[-1] == "why it is so"


def test_one_line_longer_than_the_limit_is_cut_at_a_clause_end() -> None:
    reply = Reply(True, ["; ".join(f"indicator {n} means something long enough" for n in range(40))])
    reply.fit()
    assert len("\n".join(reply.lines)) <= ASK_TEXT_LIMIT and reply.lines[0].endswith(";")
    assert reply.details and reply.details[0].startswith("indicator")


@pytest.mark.parametrize(
    "question", ["work RVUs of 27250 and 27252?", "how many relative value units is 23655", "27252 rvu"]
)
def test_a_question_about_the_rvus_gets_the_rvus_not_every_indicator(engine: Engine, question: str) -> None:
    a = engine.answer(question)
    assert a.intent == "payment_indicators" and "Work RVU" in a.text, a.text
    assert "bilateral surgery" not in a.text and "co-surgeons" not in a.text, a.text


def test_the_fee_schedule_file_is_cited_once_whichever_record_cites_it(engine: Engine) -> None:
    a = engine.answer("work RVUs for 27250 and 27252")
    shown = [s.citation for s in a.sources] + [s.citation for s in a.more_sources]
    assert sum("PPRRVU24_JUL" in c for c in shown) == 1, shown


def test_an_indicator_answer_says_when_its_release_is_over_a_year_old(engine: Engine) -> None:
    import datetime as dt

    from bot.respond.indicators import age_note

    release = engine.store.datasets["cms-pfs"].date
    assert release is not None
    fresh, old = Reply(True), Reply(True)
    age_note(engine.store, fresh, today=release + dt.timedelta(days=200))
    age_note(engine.store, old, today=release + dt.timedelta(days=800))
    assert not fresh.lines and "months ago" in old.lines[0] and "newer files" in old.lines[0], old.lines
    assert "global days 090" in engine.answer("global days for 27252?").text  # the value still leads


@pytest.mark.parametrize("question", ["2026 global days for 27252?", "what's the bilateral indicator on 23650 in 2025"])
def test_an_indicator_answer_says_when_the_question_asks_about_a_later_year(engine: Engine, question: str) -> None:
    a = engine.answer(question)
    year = next(y for y in ("2026", "2025") if y in question)
    assert a.answered and f"You asked about {year}" in a.text and "July 2024 release" in a.text, a.text
