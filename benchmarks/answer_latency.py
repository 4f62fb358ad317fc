"""Benchmark the question engine: answer() latency p50/p99, questions per second, `ask` start-up time.

Run with `make bench` (or `python benchmarks/answer_latency.py`). Uses the full knowledge base (all CMS
indicators and ICD-10-CM) at $CODING_BOT_DATA_DIR, building it first if it is missing.
Targets (issue 11): p99 at most 5 ms over the held-out questions, at most 10 ms for 2,000-character
questions, `coding-bot ask` start-up at most 0.3 s; issue 10: the entity patterns (and the redactor, in
benchmarks/redaction.py) on any 20,000-character input (the adversarial shapes below) under 50 ms. The whole
answer() on those inputs is printed too: no target, but it must stay far from a stall.
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

from benchmarks.common import percentile  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.content import knowledge_dir  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.evaluate import load_questions  # noqa: E402
from bot.kb.build import build  # noqa: E402
from bot.kb.store import KnowledgeStore  # noqa: E402

ROUNDS = 5


ADVERSARIAL = {
    "DOB then 20,000 spaces": "DOB" + " " * 20_000 + "x",
    "20,000 capitals": ("ABCDEFGHIJ" * 2_000),
    "20,000 digits": "1" * 20_000,
    "code-hyphen chains": ("27252-" * 3_400)[:20_000],
    "modifier lists": ("mod 59, 50, 51 or 76 and " * 800)[:20_000],
    "slashes and ampersands": ("w/o/w/e&m/" * 2_000)[:20_000],
    "one long word": "a" * 20_000,
    "colons (note headers)": ("Anesthesia: " * 1_700)[:20_000],
    "sentence ends": ("no. " * 5_000)[:20_000],
    "pasted note": ("Procedure: closed reduction R hip under GA by CRNA. Sedation: none. EBL: none. 27252-RT? " * 250)[
        :20_000
    ],
}


def long_questions(questions: list[str], size: int = 2_000) -> list[str]:
    """Real-style questions joined to about `size` characters: pasted notes with a question at the end."""
    out, current = [], ""
    for q in questions:
        current += " " + q
        if len(current) >= size:
            out.append(current[-size:])
            current = ""
    return out


def entity_pattern_ms(engine: Engine, text: str) -> float:
    """The entity patterns alone on one input, best of 3, with the reader's own modifier and word lists."""
    from bot.nlu.patterns import find_entities

    reader = engine.reader
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        find_entities(text.lower(), text, reader.modifiers, reader.ordinary, reader.lex.units)
        best = min(best, (time.perf_counter() - t) * 1000)
    return best


def timed(engine: Engine, questions: list[str], rounds: int) -> list[float]:
    latencies = []
    for _ in range(rounds):
        for q in questions:
            t = time.perf_counter()
            engine.answer(q)
            latencies.append((time.perf_counter() - t) * 1000)
    return latencies


def main() -> None:
    settings = load_settings()
    if not settings.kb_path.exists():
        build(knowledge_dir(), settings.kb_path, settings.imports_dir)
    started = time.perf_counter()
    engine = Engine(KnowledgeStore(settings.kb_path))
    init_ms = (time.perf_counter() - started) * 1000
    eval_dir = REPO / "tests" / "eval"
    questions = [
        q.q
        for name in ("questions", "holdout", "holdout_c", "holdout_d", "holdout_e", "real_a")
        for q in load_questions(eval_dir / f"{name}.yaml")
    ]
    real = [q.q for q in load_questions(eval_dir / "real_a.yaml")]
    for q in questions:  # warm-up: first-touch costs are start-up, measured separately
        engine.answer(q)
    wall = time.perf_counter()
    latencies = timed(engine, questions, ROUNDS)
    wall = time.perf_counter() - wall
    real_latencies = timed(engine, real, ROUNDS)
    long = long_questions(real)
    long_latencies = timed(engine, long, ROUNDS)
    adversarial = {name: min(timed(engine, [text], 3)) for name, text in ADVERSARIAL.items()}
    patterns = {name: entity_pattern_ms(engine, text) for name, text in ADVERSARIAL.items()}
    env = {**os.environ, "CODING_BOT_DATA_DIR": str(settings.data_dir.resolve())}
    startups = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot.cli", "ask", "what is 27252"],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
        )
        startups.append(time.perf_counter() - t)
    print(
        f"knowledge base: {engine.store.content_version}; {engine.store.counts['indicators']:,} CMS rows, "
        f"{engine.store.counts['icd10cm']:,} ICD-10-CM codes"
    )
    print(f"questions: {len(questions)} (every held-out set) x {ROUNDS} rounds = {len(latencies)} answers")
    print(
        f"answer() latency: p50 {percentile(latencies, 50):.2f} ms, p99 {percentile(latencies, 99):.2f} ms, "
        f"max {max(latencies):.2f} ms, mean {statistics.mean(latencies):.2f} ms"
    )
    print(
        f"real-style questions ({len(real)}, median {statistics.median(len(q) for q in real):.0f} chars): "
        f"p50 {percentile(real_latencies, 50):.2f} ms, p99 {percentile(real_latencies, 99):.2f} ms"
    )
    print(
        f"2,000-character questions ({len(long)}): p50 {percentile(long_latencies, 50):.2f} ms, "
        f"p99 {percentile(long_latencies, 99):.2f} ms, max {max(long_latencies):.2f} ms"
    )
    print(
        "20,000-character adversarial inputs, entity patterns (best of 3): "
        + ", ".join(f"{k} {v:.1f} ms" for k, v in patterns.items())
    )
    print(
        "20,000-character adversarial inputs, whole answer() (best of 3): "
        + ", ".join(f"{k} {v:.1f} ms" for k, v in adversarial.items())
    )
    print(f"throughput: {len(latencies) / wall:.0f} questions/s (one thread)")
    print(f"engine start-up in process: {init_ms:.0f} ms")
    print(
        f"`coding-bot ask` start-up (whole process, 5 runs): median {statistics.median(startups) * 1000:.0f} ms, "
        f"max {max(startups) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
