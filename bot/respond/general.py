"""help and out_of_scope: what the bot can do, and a polite decline for everything else."""

from __future__ import annotations

from typing import Any

from bot.kb.store import KnowledgeStore
from bot.respond.base import Ask, Reply

EXAMPLES = [
    "27250 or 27252 if the hip was reduced under moderate sedation?",
    "global days for 27252?",
    "can I use modifier 23 on 27252?",
    "what is modifier 59?",
    "anesthesia code for 23655?",
    "icd10 for posterior dislocation of right hip, initial encounter?",
]


def help_reply(ask: Ask) -> Reply:
    reply = Reply(answered=True)
    reply.say(
        "I answer coding questions with the rule and its source: what a CPT, HCPCS or ICD-10-CM code is, "
        "which code a described procedure is, without- vs requiring-anesthesia pairs, what a modifier means and "
        "whether it fits a code, CMS fee-schedule indicators (global days, bilateral, assistant, co-surgeon, team), "
        "and the anesthesia code for a body site."
    )
    reply.say(
        "Ask in a channel by mentioning me, in a direct message, or with the slash command. "
        "Please never paste patient names, dates of birth or record numbers."
    )
    reply.suggest(*EXAMPLES)
    return reply


def out_of_scope(ask: Ask) -> Reply:
    reply = Reply(answered=False)
    reply.say(
        "That is outside what I can answer. I cover procedure and diagnosis codes, anesthesia distinctions, "
        "modifiers and CMS fee-schedule indicators; I don't give payment amounts, clinical advice or payer "
        "contract terms."
    )
    reply.suggest(*EXAMPLES[:3])
    return reply


def gap_reply(store: KnowledgeStore, gaps: list[dict[str, Any]]) -> Reply:
    """What the knowledge base does not hold, said as such, with where it is published (the lexicon's gaps),
    and never an answer to another question."""
    reply = Reply(answered=False)
    for gap in gaps:
        where = [store.sources[s] for s in gap["published_in"] if s in store.sources]
        named = "; ".join(f"{s.publisher}, {s.title}" + (f" <{s.url}>" if s.url else "") for s in where)
        where_said = f" They are published in: {named}." if named else ""
        reply.say(f"I don't hold {gap['name']}.{where_said}", [s.id for s in where])
    reply.suggest(*EXAMPLES[:3])
    return reply


def rule_reply(store: KnowledgeStore, guidance_ids: list[str]) -> Reply:
    """A rule asked about that no code carries (how anesthesia units are counted): the guidance record itself."""
    reply = Reply(answered=True)
    for gid in guidance_ids:
        record = store.guidance[gid]
        reply.say(f"*{record.title}*: {record.rule}", record.sources)
    return reply


def thanks_reply() -> Reply:
    """A message of nothing but thanks gets a short reply, not a refusal with buttons."""
    reply = Reply(answered=True)
    reply.say("You're welcome. Ask me another coding question any time.")
    return reply
