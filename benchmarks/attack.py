"""The attack figures of issue 10, against `coding-bot serve --http` running as its own process, as an admin
runs it (limited to 1,024 open files, a common default), with the fake Slack Web API in this process.

    python benchmarks/attack.py [--stalled 1000] [--mentions 200]

Prints, section by section:
  door      the status of forged, stale, malformed, unsigned, oversized and slow requests, and whether /healthz
            still answered after each (and how fast while a 40 KB unsigned 'DOB' + spaces body was refused)
  fuzz      the redactor over every built shape and random text of 20,000 characters: the slowest input
  stalled   N clients that send part of a request head and stall: /healthz latency while they are open and while
            more keep coming, the server's open files, how many of them the server had closed 12 s later
  phi       identifiers of eleven kinds planted in a mention, a DM, a slash command, its Share and a 👎 reason:
            where any was found (activity database, `coding-bot report`, App Home, the shared message, the log)
  locked    the activity database, then the dedupe database, locked by another process while mentions arrive:
            ack and reply times, replies, and the questions in the database once the lock is gone
  full disk the same server in this process with SQLite capped at its current size (the disk is full): replies,
            records dropped and counted, and writing again once there is room
  load      mentions at a steady rate: replies delivered once each, questions recorded (data lost: none)
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.common import ServerProcess, data_dir, percentile  # noqa: E402
from tests.adversarial import adversarial_inputs  # noqa: E402
from tests.slack.fake_slack import (  # noqa: E402
    FakeSlack,
    app_mention,
    block_actions_body,
    button,
    event_callback,
    feedback_click,
    im_message,
    message_json,
    slash_command_body,
    view_body,
)
from tests.slack.harness import signed_headers  # noqa: E402

SECRET = ServerProcess.SECRET
LEAD = "U0LEAD"
PLANTS = {
    "name": ("pt Margot Delacroix-Hale", "Delacroix"),
    "dob": ("DOB 02/17/1958", "1958"),
    "record number": ("MR# 88417", "88417"),
    "zip": ("zip 62705", "62705"),
    "po box": ("PO Box 4471", "4471"),
    "ip": ("from 10.44.3.121", "10.44.3.121"),
    "url path": ("https://ehr.example.org/patients/77120/chart", "77120"),
    "licence": ("DL# D1234567", "D1234567"),
    "plate": ("plate # 7XYZ123", "7XYZ123"),
    "slack id": ("<@U0OTHER9>", "U0OTHER9"),
    "phone": ("call 555-201-7788", "201-7788"),
}
NOTE = " ".join(typed for typed, _ in PLANTS.values())


def send(port: int, body: str | bytes, headers: dict[str, str] | None = None, timeout: float = 15) -> tuple[int, float]:
    """(status, seconds); status 0 when the connection failed or timed out."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(
            "POST",
            "/slack/events",
            body=body.encode() if isinstance(body, str) else body,
            headers=headers if headers is not None else signed_headers(body, secret=SECRET),
        )
        response = conn.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    except OSError:
        return 0, time.monotonic() - started
    finally:
        conn.close()


def health(port: int, timeout: float = 10) -> float | None:
    """/healthz latency in ms, or None when it did not answer 200 within `timeout`."""
    started = time.monotonic()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("GET", "/healthz")
        ok = conn.getresponse().status == 200
        conn.close()
    except OSError:
        return None
    return (time.monotonic() - started) * 1000 if ok else None


def mention_body(text: str, n: int, run: str) -> str:
    return json.dumps(event_callback(app_mention(f"<@U0BOT> {text}", ts=f"1700000100.{n:06d}"), event_id=f"Ev{run}{n}"))


# -- sections ------------------------------------------------------------------------------------------
def door(server: ServerProcess) -> None:
    port = server.port
    body = mention_body("global days for 27252", 1, "Door" + uuid.uuid4().hex[:6])
    now = str(int(time.time()))
    good = signed_headers(body, secret=SECRET)
    cases: list[tuple[str, str | bytes, dict[str, str]]] = [
        ("forged (wrong secret)", body, signed_headers(body, secret="0" * 32)),
        ("stale (10 minutes old)", body, signed_headers(body, timestamp=int(now) - 600, secret=SECRET)),
        ("timestamp 'abc'", body, {**good, "X-Slack-Request-Timestamp": "abc"}),
        ("timestamp ''", body, {**good, "X-Slack-Request-Timestamp": ""}),
        ("timestamp '1e9'", body, {**good, "X-Slack-Request-Timestamp": "1e9"}),
        ("signature 'v0=é…'", body, {**good, "X-Slack-Signature": "v0=\xe9" + "0" * 63}),
        ("unsigned", body, {"Content-Type": "application/json"}),
        ("unsigned 40 KB 'DOB' + spaces", "DOB" + " " * 40_000 + "x", {"Content-Type": "text/plain"}),
        ("signed 2 MB body", "x" * 2_000_000, signed_headers("x" * 2_000_000, secret=SECRET)),
    ]
    print("door: status (time), then /healthz")
    for name, payload, headers in cases:
        status, seconds = send(port, payload, headers)
        latency = health(port)
        shown = f"{latency:.1f} ms" if latency is not None else "FAILED"
        print(f"  {name:<32} HTTP {status} ({seconds * 1000:.0f} ms); /healthz {shown}")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:  # a body that stops half-way
        started = time.monotonic()
        sock.sendall(
            (
                f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in good.items())
                + "\r\n"
            ).encode()
            + body[:20].encode()
        )
        answer = sock.recv(100).split(b"\r\n")[0].decode()
        print(f"  {'a body that stops half-way':<32} {answer} after {time.monotonic() - started:.1f} s")


def fuzz() -> None:
    from bot.nlu.phi import redact

    redact("warm up")
    inputs = adversarial_inputs(20_000)
    times = []
    for name, text in inputs.items():
        started = time.perf_counter()
        redact(text)
        times.append(((time.perf_counter() - started) * 1000, name))
    times.sort(reverse=True)
    print(
        f"fuzz: {len(times)} inputs of 20,000 characters through the redactor; slowest {times[0][0]:.1f} ms "
        f"({times[0][1]}), median {statistics.median(t for t, _ in times):.1f} ms "
        "(benchmarks/redaction.py adds random texts and repeats)"
    )


def stalled(server: ServerProcess, count: int) -> None:
    port = server.port
    socks: list[socket.socket] = []
    for _ in range(count):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
            socks.append(sock)
        except OSError:
            break
    during = [health(port) for _ in range(20)]
    stop = threading.Event()

    def flood() -> None:
        while not stop.is_set():
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                sock.sendall(b"GET /healthz HTTP/1.1\r\n")
                socks.append(sock)
            except OSError:
                time.sleep(0.01)

    flooder = threading.Thread(target=flood, daemon=True)
    flooder.start()
    flooding = [health(port) for _ in range(20)]
    stop.set()
    flooder.join()
    files = len(list(Path(f"/proc/{server.proc.pid}/fd").iterdir()))
    time.sleep(12)  # past the 10 s deadline for a request head
    closed = 0
    for sock in socks[:count]:
        sock.settimeout(0.5)
        try:
            closed += sock.recv(10) == b""
        except OSError:
            pass
    for sock in socks:
        sock.close()

    def figures(samples: list[float | None]) -> str:
        ok = [s for s in samples if s is not None]
        return (
            f"{len(ok)}/{len(samples)} answered, p50 {percentile(ok, 50):.1f} ms, max {max(ok):.1f} ms"
            if ok
            else "none answered"
        )

    print(f"stalled: {len(socks[:count])} clients holding half a request head (the server limited to 1,024 files)")
    print(f"  /healthz while they wait:              {figures(during)}")
    print(f"  /healthz while {len(socks) - count} more kept arriving: {figures(flooding)}")
    print(f"  server's open files {files}; after 12 s the server had closed {closed} of the first {count}")


def phi(server: ServerProcess, fake: FakeSlack, data: Path) -> None:
    def post(body: str) -> int:
        return send(server.port, body)[0]

    before = len(fake.calls)
    post(
        json.dumps(
            event_callback(
                app_mention(f"<@U0BOT> {NOTE} code for a dislocated jaw?", ts="1700000200.000001"),
                event_id=f"EvPhi{uuid.uuid4().hex[:6]}",
            )
        )
    )
    post(
        json.dumps(
            event_callback(
                im_message(f"{NOTE} global days for 27252?", ts="1700000200.000002"),
                event_id=f"EvPhi{uuid.uuid4().hex[:6]}",
            )
        )
    )
    post(slash_command_body(f"{NOTE} global days for 27252?", fake.response_url("phi")))
    hook = fake.wait_for("response_url", where=lambda c: c.path.endswith("/phi"))[0]
    post(block_actions_body(button(hook, "share_answer"), fake.response_url("phi-share"), ephemeral=True))
    answers = fake.wait_for("chat.postMessage", count=3, where=lambda c: fake.calls.index(c) >= before)
    post(block_actions_body(feedback_click(answers[0], helpful=False), fake.response_url("phi-down")))
    opened = fake.wait_for("views.open")[-1]
    view = opened.body["view"] if isinstance(opened.body["view"], dict) else json.loads(opened.body["view"])
    values = {"reason": {"reason_input": {"type": "plain_text_input", "value": f"wrong for {NOTE}"}}}
    post(view_body("view_submission", view["callback_id"], view["private_metadata"], values))
    post(
        json.dumps(
            event_callback(
                {"type": "app_home_opened", "user": LEAD, "channel": "D0LEAD", "tab": "home", "event_ts": "1.0"},
                event_id=f"EvPhiHome{uuid.uuid4().hex[:6]}",
            )
        )
    )
    published = fake.wait_for("views.publish")[-1]
    time.sleep(1)  # the activity log's writer
    shared = [
        c
        for c in fake.calls_to("chat.postMessage")[len(answers) - 3 :]
        if c.body.get("channel") == "C0CHAN" and "thread_ts" not in c.body
    ]
    report = subprocess.run(
        [sys.executable, "-m", "bot.cli", "report", "--json", "--since", "1"],
        cwd=data,
        env={"PYTHONPATH": str(REPO), "CODING_BOT_DATA_DIR": str(data), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    places = {
        "activity database": b"".join(p.read_bytes() for p in data.glob("activity.sqlite*")).decode("utf-8", "replace"),
        "report": report.stdout + report.stderr,
        "App Home": json.dumps(published.body.get("view")),
        "Share": message_json(shared[-1]) if shared else "(nothing shared)",
        "log": server.log(),
    }
    print(f"phi: {len(PLANTS)} kinds of identifier planted in a mention, a DM, a slash command, its Share, a 👎 reason")
    for place, text in places.items():
        found = [kind for kind, (_, secret) in PLANTS.items() if secret in text]
        print(f"  {place:<18} {len(found)} found" + (f": {', '.join(found)}" if found else ""))


def locked(server: ServerProcess, fake: FakeSlack, data: Path, name: str, count: int) -> None:
    run = "Lock" + uuid.uuid4().hex[:6]
    path = data / name
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("begin exclusive")
    before = len(fake.calls_to("chat.postMessage"))
    questions = (data / "activity.sqlite", "select count(*) from questions")
    rows_before = (
        sqlite3.connect(questions[0]).execute(questions[1]).fetchone()[0] if name != "activity.sqlite" else None
    )
    acks = [send(server.port, mention_body(f"what is 2725{n % 10}", n, run))[1] * 1000 for n in range(count)]
    try:
        fake.wait_for("chat.postMessage", count=before + count, timeout=60)
    except AssertionError:
        pass
    replies = len(fake.calls_to("chat.postMessage")) - before
    blocker.execute("rollback")
    blocker.close()
    time.sleep(3)
    conn = sqlite3.connect(questions[0])
    rows = conn.execute("select count(*) from questions").fetchone()[0]
    conn.close()
    recorded = f"{rows} questions in the database" if rows_before is None else f"{rows - rows_before} new questions"
    print(
        f"locked {name}: {count} mentions while another process held the lock: ack p50 "
        f"{percentile(acks, 50):.1f} ms, max {max(acks):.1f} ms; {replies} replies; after the lock: {recorded}"
    )


def full_disk(count: int) -> None:
    """In this process: SQLite capped at its size, as on a full disk, for the activity and dedupe databases."""
    from pydantic import SecretStr

    from bot.config import Settings
    from bot.engine import Engine
    from bot.kb.store import KnowledgeStore
    from bot.slack.serve import http_server
    from tests.slack.fake_slack import SIGNING_SECRET
    from tests.slack.harness import ServerThread, request

    disk = {"full": True}
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)
        if disk["full"]:
            conn.execute("pragma max_page_count = 1")
        return conn

    import bot.activity.log as activity_module
    import bot.slack.middleware as dedupe_module

    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        folder = data_dir(Path(tmp))
        engine = Engine(KnowledgeStore(folder / "kb.sqlite"))
        settings = Settings(
            slack_bot_token=SecretStr("xoxb-test"),
            slack_signing_secret=SecretStr(SIGNING_SECRET),
            slack_api_url=fake.base_url,
            data_dir=Path(tmp) / "disk",
        )
        activity_module.sqlite3.connect = connect  # type: ignore[assignment]
        dedupe_module.sqlite3.connect = connect  # type: ignore[assignment]
        try:
            activity = activity_module.ActivityLog(settings.activity_path)
            server = ServerThread(http_server(settings, "127.0.0.1", 0, engine=engine, activity=activity)).start()
            statuses: Counter[int] = Counter()

            def mention(n: int) -> None:
                body = json.dumps(
                    event_callback(
                        app_mention(f"<@U0BOT> what is 2725{n % 10}", ts=f"17.{n:06d}"), event_id=f"EvFull{n}"
                    )
                )
                statuses[request(server.port, "POST", "/slack/events", body, signed_headers(body)).status] += 1

            for n in range(count):
                mention(n)
            fake.wait_for("chat.postMessage", count=count, timeout=60)
            activity.flush()
            dropped = activity.dropped
            disk["full"] = False  # room again (the log opens a fresh connection after a failed write)
            activity_module.QUIET_SECONDS = 0.0
            for n in range(count, count + 5):
                mention(n)
            fake.wait_for("chat.postMessage", count=count + 5, timeout=60)
            server.stop()
        finally:
            activity_module.sqlite3.connect = real_connect  # type: ignore[assignment]
            dedupe_module.sqlite3.connect = real_connect  # type: ignore[assignment]
        rows = real_connect(settings.activity_path).execute("select count(*) from questions").fetchone()[0]
        print(
            f"full disk: {count} mentions with the activity and dedupe databases full: statuses {dict(statuses)}, "
            f"{len(fake.calls_to('chat.postMessage'))} replies in all ({count} + 5); {dropped} records dropped and "
            f"counted while full; room again: {rows} questions written, log error now {activity.last_error!r}"
        )


def load(server: ServerProcess, fake: FakeSlack, data: Path, count: int, rate: float) -> None:
    run = "Load" + uuid.uuid4().hex[:6]
    conn = sqlite3.connect(data / "activity.sqlite")
    rows_before = conn.execute("select count(*) from questions").fetchone()[0]
    before = len(fake.calls_to("chat.postMessage"))
    statuses: Counter[int] = Counter()
    began = time.monotonic()
    threads = []
    for n in range(count):
        time.sleep(max(0.0, began + n / rate - time.monotonic()))
        t = threading.Thread(
            target=lambda n=n: statuses.update(
                [send(server.port, mention_body(f"global days for 2725{n % 10}", 500_000 + n, run))[0]]
            )
        )
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    fake.wait_for("chat.postMessage", count=before + count, timeout=120)
    time.sleep(2)
    replies = Counter(c.body.get("thread_ts") for c in fake.calls_to("chat.postMessage")[before:])
    rows = conn.execute("select count(*) from questions").fetchone()[0] - rows_before
    conn.close()
    print(
        f"load: {count} mentions at {rate:.0f}/s: statuses {dict(statuses)}; {len(replies)} threads answered, "
        f"{sum(n - 1 for n in replies.values())} duplicated, {count - len(replies)} lost; {rows} questions recorded"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stalled", type=int, default=1000)
    parser.add_argument("--mentions", type=int, default=200)
    args = parser.parse_args()
    fuzz()
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        data = data_dir(Path(tmp))
        server = ServerProcess(data, fake.base_url, extra_env={"CODING_BOT_CURATORS": LEAD}, open_files=1024)
        try:
            door(server)
            stalled(server, args.stalled)
            phi(server, fake, data)
            locked(server, fake, data, "activity.sqlite", 50)
            locked(server, fake, data, "slack_events.sqlite", 50)
            load(server, fake, data, args.mentions, 100.0)
        finally:
            status, log = server.stop()
        errors = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        levels = Counter(e["level"] for e in errors)
        print(
            f"server: exit status {status} after SIGTERM; log lines by level {dict(levels)}; "
            f"tracebacks {sum('Traceback' in line for line in log.splitlines())}"
        )
    full_disk(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
