"""An engine for worker-process tests: the real one, except that a question containing 'STALL' never finishes
(as an input that makes a pattern backtrack for minutes would). Built in the worker by ProcessEngine(factory=)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bot.engine import Engine
from bot.kb.store import KnowledgeStore


class StallingEngine:
    def __init__(self, kb_path: Path) -> None:
        self.engine = Engine(KnowledgeStore(kb_path))

    def answer(self, question: str) -> Any:
        while "STALL" in question:
            time.sleep(1)
        return self.engine.answer(question)


def build(kb_path: Path) -> StallingEngine:
    return StallingEngine(kb_path)
