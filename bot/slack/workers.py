"""The engine in worker processes, so answering uses every core and never starves the acks.

An answer is a few milliseconds of pure-Python CPU. In one process every answer holds the GIL that the
HTTP server and the Socket Mode client need to acknowledge Slack within its 3-second limit, and only one core
ever works. Here each worker process opens the read-only knowledge base once and answers questions sent to it;
the server process keeps a local store for what it shows itself (health check, App Home).
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from bot.answer import Answer
from bot.engine import Engine
from bot.kb.store import KnowledgeStore

_engine: Any = None
log = logging.getLogger("bot.slack")
# An answer takes milliseconds; one that takes longer than this is stuck on its input (answer() once took 76 s
# on a 20,000-character paste), and with one worker per core but one it held every other question behind it.
ANSWER_TIMEOUT = 20.0


def _start_worker(kb_path: Path, factory: str | None = None) -> None:
    """Build this worker's engine; shutdown is the parent's job, so Ctrl-C and SIGTERM are ignored here.
    `factory` ("module:function", called with the knowledge base's path) builds another engine (tests)."""
    global _engine
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if factory:
        module, _, name = factory.partition(":")
        _engine = getattr(importlib.import_module(module), name)(kb_path)
    else:
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

    def __init__(self, kb_path: Path, processes: int | None = None, *, factory: str | None = None):
        self.store = KnowledgeStore(kb_path)  # fails here, before any worker starts, when the KB is unusable
        self.factory = factory
        self.processes = processes or max(1, (os.cpu_count() or 1) - 1)
        self._lock = threading.Lock()
        self._pool = self._start()
        for ready in [self._pool.submit(_ready) for _ in range(self.processes)]:
            ready.result(timeout=120)  # workers are up before the first question, not during it

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the server already runs threads, and forking a threaded process is unsafe
        return ProcessPoolExecutor(
            self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self.store.path.resolve(), self.factory),
        )

    def answer(self, question: str) -> Answer:
        """The answer; TimeoutError after ANSWER_TIMEOUT, when the stuck worker is stopped and replaced, so the
        asker gets an apology and every other question goes on."""
        pool = self._pool
        try:
            return self._wait(pool, pool.submit(_answer, question))
        except BrokenProcessPool:
            log.warning("an engine worker process died: starting new workers and asking again")
            pool = self._replace(pool)
            return self._wait(pool, pool.submit(_answer, question))

    def _wait(self, pool: ProcessPoolExecutor, future: Any) -> Answer:
        try:
            return future.result(timeout=ANSWER_TIMEOUT)
        except FutureTimeout:
            log.warning(
                "an answer took longer than %.0f s: its worker is stopped and replaced, the asker gets an apology",
                ANSWER_TIMEOUT,
            )
            self._stop_workers(pool)
            self._replace(pool)
            raise TimeoutError(f"no answer within {ANSWER_TIMEOUT:.0f} s") from None

    @staticmethod
    def _stop_workers(pool: ProcessPoolExecutor) -> None:
        """Kill a pool's worker processes (the executor cannot cancel a task that is running): the questions
        they held meet BrokenProcessPool and are asked again on the new pool."""
        for process in list(getattr(pool, "_processes", {}).values()):
            try:
                process.kill()
            except (OSError, AttributeError):
                pass

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
