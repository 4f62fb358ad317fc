"""The engine in worker processes, so answering uses every core and never starves the acks.

An answer is a few milliseconds of pure-Python CPU. In one process every answer holds the GIL that the
HTTP server and the Socket Mode client need to acknowledge Slack within its 3-second limit, and only one core
ever works. Here each worker process opens the read-only knowledge base once and answers questions sent to it;
the server process keeps a local store for what it shows itself (health check, App Home).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from bot.answer import Answer
from bot.engine import Engine
from bot.kb.store import KnowledgeStore

_engine: Engine | None = None
log = logging.getLogger("bot.slack")


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
    the machine has, leaving a core to the server process (HTTP, Bolt, Web API calls).

    A worker that dies (killed by the OOM killer, a segfault in a C extension) breaks a ProcessPoolExecutor
    for good: every question in flight and every later one fails with BrokenProcessPool. So the first caller
    to see it starts a fresh pool, and each question that met the broken pool is asked once more there; a
    question that kills the fresh pool too gets the apology (the exception propagates) instead of a loop.
    """

    def __init__(self, kb_path: Path, processes: int | None = None):
        self.store = KnowledgeStore(kb_path)  # fails here, before any worker starts, when the KB is unusable
        self.processes = processes or max(1, (os.cpu_count() or 1) - 1)
        self._lock = threading.Lock()
        self._pool = self._start()
        for ready in [self._pool.submit(_ready) for _ in range(self.processes)]:
            ready.result(timeout=120)  # workers are up before the first question, not during it

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the server already runs threads, and forking a threaded process is unsafe
        return ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker, initargs=(self.store.path.resolve(),))

    def answer(self, question: str) -> Answer:
        pool = self._pool
        try:
            return pool.submit(_answer, question).result()
        except BrokenProcessPool:
            log.warning("an engine worker process died: starting new workers and asking again")
            return self._replace(pool).submit(_answer, question).result()

    def _replace(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        """A working pool in place of `broken`; callers that saw the same broken pool share one replacement."""
        with self._lock:
            if self._pool is broken:
                self._pool = self._start()
                broken.shutdown(wait=False, cancel_futures=True)  # its workers are already stopped or dead
            return self._pool

    def close(self) -> None:
        with self._lock:
            pool = self._pool
        pool.shutdown(wait=True)
