"""What the HTTP benchmarks (load_http.py, soak_faults.py) share: the knowledge base, signed mention events,
paced client threads that send them to the real server, percentiles and process memory.

Import after putting the repository on sys.path (each benchmark does), as `from benchmarks.common import …`.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.content import knowledge_dir
from bot.evaluate import load_questions
from bot.kb.build import build
from bot.kb.store import KnowledgeStore, StoreError
from tests.slack.fake_slack import SIGNING_SECRET, app_mention, event_callback
from tests.slack.harness import signed_headers

REPO = Path(__file__).resolve().parent.parent


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def data_dir(temp: Path) -> Path:
    """Where the knowledge base is: reused when it opens, built when missing or from another schema version."""
    folder = Path(os.environ.get("CODING_BOT_DATA_DIR") or temp)
    try:
        KnowledgeStore(folder / "kb.sqlite")
    except StoreError:
        print(f"building the knowledge base at {folder / 'kb.sqlite'}", file=sys.stderr)
        build(knowledge_dir(), folder / "kb.sqlite", imports_dir=None, progress=lambda _: None)
    return folder


def eval_questions() -> list[str]:
    """The evaluation set's questions: realistic and varied (codes, modifiers, anesthesia, misses)."""
    return [q.q for q in load_questions(REPO / "tests" / "eval" / "questions.yaml")]


@dataclass(frozen=True)
class Mention:
    ts: str  # the message's ts: the reply goes to this thread, so it identifies the event's reply
    event_id: str
    body: str  # the event_callback JSON, exactly as signed


def mentions(count: int, questions: list[str], run_id: str) -> list[Mention]:
    """`count` app_mention events, each with its own event_id and ts (run_id keeps ids unique across runs:
    a reused data dir remembers the ids it has seen)."""
    out = []
    for i in range(count):
        ts = f"1700000000.{i:06d}"
        event = app_mention(f"<@U0BOT> {questions[i % len(questions)]}", ts=ts)
        out.append(
            Mention(ts, f"Ev{run_id}-{i:06d}", json.dumps(event_callback(event, event_id=f"Ev{run_id}-{i:06d}")))
        )
    return out


@dataclass
class Sent:
    """One delivery to the server: when it was due, how long the ack took (from when it was due), its status."""

    due: float = 0.0
    ack_ms: float = 0.0
    status: int = 0


@dataclass
class Sender:
    """Sends (body, extra headers) items to POST /slack/events, signed, from `clients` keep-alive threads.

    Items are offered at a steady `rate` (item i is due at start + i/rate; each client sends its share on
    schedule, and latencies count from the scheduled time, so a stalled client cannot hide a slow server);
    rate 0 sends each item as soon as the client's previous ack came back (the ceiling).
    """

    port: int
    items: list[tuple[str, dict[str, str]]]
    clients: int = 32
    rate: float = 200.0
    secret: str = SIGNING_SECRET
    sent: list[Sent] = field(default_factory=list)
    began: float = 0.0
    acked: float = 0.0

    def run(self) -> Sender:
        self.sent = [Sent() for _ in self.items]
        self.began = time.monotonic() + (0.1 if self.rate else 0.0)  # paced clients get a moment to start
        threads = [threading.Thread(target=self._client, args=(w,)) for w in range(self.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.acked = time.monotonic()
        return self

    def _client(self, worker: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        for i in range(worker, len(self.items), self.clients):
            body, extra = self.items[i]
            due = self.began + i / self.rate if self.rate else time.monotonic()
            time.sleep(max(0.0, due - time.monotonic()))
            conn.request(
                "POST",
                "/slack/events",
                body=body.encode(),
                headers={**signed_headers(body, secret=self.secret), **extra},
            )
            response = conn.getresponse()
            response.read()
            self.sent[i] = Sent(due, (time.monotonic() - due) * 1000, response.status)  # one writer per index
        conn.close()

    @property
    def ack_ms(self) -> list[float]:
        return [s.ack_ms for s in self.sent]

    @property
    def failures(self) -> list[str]:
        return [f"item {i}: HTTP {s.status}" for i, s in enumerate(self.sent) if s.status != 200]


def rss_kb(pid: int | str = "self", field: str = "VmRSS") -> int:
    """Resident memory of a process in KiB, from /proc (0 when it is gone); field "VmHWM" gives the peak."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    """The direct child processes of `pid` (the server's engine workers), from /proc."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


class ServerProcess:
    """`coding-bot serve --http` as an admin runs it, in its own process: its own interpreter and GIL, so the
    load generator and the fake Web API in the benchmark's process do not slow it down."""

    SECRET = "8f14e45fceea167a5a36dedd4bea2543"  # the real command checks a signing secret's shape

    def __init__(
        self, data: Path, api_url: str, extra_env: dict[str, str] | None = None, open_files: int | None = None
    ) -> None:
        """`open_files`: the limit on open files the server runs under (hard and soft: it cannot lift it)."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "CODING_BOT_DATA_DIR": str(data),
            "SLACK_BOT_TOKEN": "xoxb-load",
            "SLACK_SIGNING_SECRET": self.SECRET,
            "SLACK_API_URL": api_url,
            **(extra_env or {}),
        }
        env.pop("SLACK_APP_TOKEN", None)
        # its log goes to a file, not a pipe: a pipe nobody reads fills up (64 KiB of retry warnings under
        # faults) and then blocks the server on its next log line
        self._log = tempfile.TemporaryFile("w+", encoding="utf-8")

        def limit() -> None:
            if open_files:
                import resource

                resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=data,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            preexec_fn=limit if open_files else None,
        )
        self._wait_healthy()

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read()

    def _wait_healthy(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"coding-bot serve exited {self.proc.returncode}: {self.log()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("coding-bot serve never answered /healthz")

    def stop(self) -> tuple[int, str]:
        """SIGTERM, as an orchestrator stops it: the exit status and what it wrote to stderr."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        stderr = self.log()
        self._log.close()
        return self.proc.returncode, stderr
