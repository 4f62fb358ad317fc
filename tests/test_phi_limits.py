"""The redactor is linear-time: no input, however built, makes it stall (issue 10).

`redact('DOB' + ' ' * 8000 + 'x')` took 11 s; Bolt logged a whole unsigned body and the log scrubber ran the
redactor over it inside the server, so one 10 KB POST froze every ack for 23 s. The figures against the 50 ms
target come from benchmarks/redaction.py; this test only makes sure nothing comes near a stall. It runs the
inputs in a child process with a deadline, because a backtracking regex cannot be interrupted: before the fix
the child never finished, now every 20,000-character input takes a few milliseconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUDGET_MS = 1000.0  # 20 times the benchmark's 50 ms target: far from any scheduling noise, far below a stall
_CHILD = """
import json, sys, time
from bot.nlu.phi import redact
from tests.adversarial import adversarial_inputs
redact("warm up the vocabulary")
out = {}
for name, text in adversarial_inputs(20_000).items():
    started = time.perf_counter()
    redact(text)
    out[name] = (time.perf_counter() - started) * 1000
    print(json.dumps([name, out[name]]), flush=True)
"""


def test_no_input_of_20000_characters_comes_near_a_stall() -> None:
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD], cwd=REPO, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired as exc:
        finished = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        last = finished.strip().splitlines()[-1:] or ["none"]
        raise AssertionError(f"the redactor stalled; the last input it finished: {last[0]}") from None
    assert done.returncode == 0, done.stderr[-2000:]
    times = dict(json.loads(line) for line in done.stdout.splitlines())
    slow = {name: round(ms) for name, ms in times.items() if ms > BUDGET_MS}
    assert not slow, f"inputs over {BUDGET_MS:.0f} ms: {slow}"
    assert len(times) > 100


def test_the_knowledge_base_publishes_the_ordinary_words_the_redactor_uses(store) -> None:
    """Worked out at build, not read from every YAML file at each start: the same words either way."""
    from bot.content import intents_dir, knowledge_dir
    from bot.engine import Engine
    from bot.nlu import phi

    assert store.ordinary_words == phi.ordinary_words((knowledge_dir(), intents_dir()))
    assert {"shoulder", "sedation", "modifier"} <= store.ordinary_words
    Engine(store)
    assert phi._content_words() is store.ordinary_words
