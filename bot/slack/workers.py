"""The engine in worker processes, so answering uses every core and never starves the acks.

An answer is a few milliseconds of pure-Python CPU. In one process every answer holds the GIL that the
HTTP server and the Socket Mode client need to acknowledge Slack within its 3-second limit, and only one core
ever works. Here each worker process opens the read-only knowledge base once and answers questions sent to it;
the server process keeps a local store for what it shows itself (health check, App Home).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bot.answer import Answer
from bot.engine import Engine
from bot.kb.store import KnowledgeStore

_engine: Engine | None = None


def _start_worker(kb_path: Path) -> None:
    """Build this worker's engine; shutdown is the parent's job, so Ctrl-C and SIGTERM are ignored here."""
    global _engine
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _engine = Engine(KnowledgeStore(kb_path))


def _answer(question: str) -> Answer:
    assert _engine is not None, "worker not initialised"
    return _engine.answer(question)


def _ready() -> bool:
    return _engine is not None


class ProcessEngine:
    """Engine-compatible (`answer`, `store`): answers run in worker processes, by default one core fewer than
    the machine has, leaving a core to the server process (HTTP, Bolt, Web API calls)."""

    def __init__(self, kb_path: Path, processes: int | None = None):
        self.store = KnowledgeStore(kb_path)  # fails here, before any worker starts, when the KB is unusable
        self.processes = processes or max(1, (os.cpu_count() or 1) - 1)
        # spawn, not fork: the server already runs threads, and forking a threaded process is unsafe
        self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_start_worker, initargs=(self.store.path.resolve(),))
        for ready in [self._pool.submit(_ready) for _ in range(self.processes)]:
            ready.result(timeout=120)  # workers are up before the first question, not during it

    def answer(self, question: str) -> Answer:
        return self._pool.submit(_answer, question).result()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
