"""Benchmark the question engine: answer() latency p50/p99, questions per second, `ask` start-up time.

Run with `make bench` (or `python benchmarks/answer_latency.py`). Uses the full knowledge base (all CMS
indicators and ICD-10-CM) at $CODING_BOT_DATA_DIR, building it first if it is missing.
Targets (issue 3): p99 under 5 ms, `ask` start-up under 0.5 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.config import load_settings  # noqa: E402
from bot.content import knowledge_dir  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.evaluate import load_questions  # noqa: E402
from bot.kb.build import build  # noqa: E402
from bot.kb.store import KnowledgeStore  # noqa: E402
from benchmarks.common import percentile  # noqa: E402

ROUNDS = 5


def main() -> None:
    settings = load_settings()
    if not settings.kb_path.exists():
        build(knowledge_dir(), settings.kb_path, settings.imports_dir)
    started = time.perf_counter()
    engine = Engine(KnowledgeStore(settings.kb_path))
    init_ms = (time.perf_counter() - started) * 1000
    questions = [q.q for q in load_questions(REPO / "tests" / "eval" / "questions.yaml")]
    for q in questions:  # warm-up: first-touch costs are start-up, measured separately
        engine.answer(q)
    latencies = []
    wall = time.perf_counter()
    for _ in range(ROUNDS):
        for q in questions:
            t = time.perf_counter()
            engine.answer(q)
            latencies.append((time.perf_counter() - t) * 1000)
    wall = time.perf_counter() - wall
    env = {**os.environ, "CODING_BOT_DATA_DIR": str(settings.data_dir.resolve())}
    startups = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot.cli", "ask", "what is 27252"], cwd=REPO, env=env, check=True,
                       capture_output=True)
        startups.append(time.perf_counter() - t)
    print(f"knowledge base: {engine.store.content_version}; {engine.store.counts['indicators']:,} CMS rows, "
          f"{engine.store.counts['icd10cm']:,} ICD-10-CM codes")
    print(f"questions: {len(questions)} x {ROUNDS} rounds = {len(latencies)} answers")
    print(f"answer() latency: p50 {percentile(latencies, 50):.2f} ms, p99 {percentile(latencies, 99):.2f} ms, "
          f"max {max(latencies):.2f} ms, mean {statistics.mean(latencies):.2f} ms")
    print(f"throughput: {len(latencies) / wall:.0f} questions/s (one thread)")
    print(f"engine start-up in process: {init_ms:.0f} ms")
    print(f"`coding-bot ask` start-up (whole process, 5 runs): median {statistics.median(startups) * 1000:.0f} ms, "
          f"max {max(startups) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
