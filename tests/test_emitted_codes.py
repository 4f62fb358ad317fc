"""Every code the bot emits exists in the code set it belongs to (issue 13): every question of every set is
answered, and each code in each answer is looked up in its edition (CPT and HCPCS in the fee schedule, the HCPCS
release or the curated content, which keeps deleted codes as history; ICD-10-CM; ICD-10-PCS). A code in the text
that does not exist may only be one the question itself quoted ("27251 is not a code")."""

from __future__ import annotations

import re
from pathlib import Path

from bot.engine import Engine
from bot.evaluate import load_questions
from bot.kb.store import KnowledgeStore

SETS = sorted((Path(__file__).parent / "eval").glob("*.yaml"))
IN_TEXT = re.compile(
    r"(?<![\w.-])(\d{4}[0-9A-Z]|[A-V]\d{4}|[A-TV-Z]\d[0-9A-Z]\.[0-9A-Z]{1,4}|0[0-9A-HJ-NP-Z]{6})(?![\w-])"
)


def exists(store: KnowledgeStore, code: str) -> bool:
    if "." in code or re.fullmatch(r"[A-TV-Z]\d[0-9A-Z]", code):
        return store.icd(code) is not None
    if len(code) == 7:
        return store.pcs(code) is not None
    return code in store.codes or store.pfs(code) is not None or store.hcpcs(code) is not None


def test_every_code_in_every_answer_exists_in_its_code_set(engine: Engine, store: KnowledgeStore) -> None:
    invented: list[tuple[str, str]] = []
    listed = 0
    for path in SETS:
        for q in load_questions(path):
            a = engine.answer(q.q)
            for code in dict.fromkeys(a.codes + [c for ask in a.asks for c in ask.codes]):
                listed += 1
                if not exists(store, code):
                    invented.append((code, q.q[:80]))
            for code in set(IN_TEXT.findall(a.text)):
                if not exists(store, code) and code not in q.q.upper():
                    invented.append((code, q.q[:80]))
    assert listed > 3000 and not invented, invented[:10]


def test_the_lookup_knows_a_code_from_one_that_is_not(store: KnowledgeStore) -> None:
    """The check above can fail: codes that never existed are told from real ones in each code set."""
    assert all(exists(store, c) for c in ("27250", "99152", "Q4012", "S73.014A", "0SS9XZZ"))
    assert not any(exists(store, c) for c in ("27251", "99154", "Q4099", "S73.999Z", "0SSAXZZ"))
