"""Soak under Web API faults: thousands of signed mentions while Slack's API misbehaves; nothing lost or doubled.

Everything runs on 127.0.0.1, as in load_http.py: `coding-bot serve --http` in its own process, as an admin
runs it (with its engine worker process), and, in this process, the client threads and the fake Web API
(tests/slack/fake_slack.py) in fault mode: a fraction of calls get a 429 with Retry-After, a 500, or a
connection closed without an answer, all before the fake does anything, so only the bot's client retries can
deliver a reply. Each event has its own event_id and thread ts; some are delivered again as Slack retries
(X-Slack-Retry-Num, same event_id), and a few arrive only as a retry (the first delivery never reached us).

Prints events sent, replies delivered, lost and duplicated (per thread), faults injected by kind, the
client's retries, ack p50/p99, time to reply, and resident memory (server process and engine workers) at
the start, after a tenth of the deliveries (warmed up), at the middle and at the end. Errors are counted from
the server's JSON log on stderr. Targets: 0 lost, 0 duplicated, memory flat once warm.

    python benchmarks/soak_faults.py [--events 3000] [--rate 100] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.common import (  # noqa: E402
    Sender,
    ServerProcess,
    children,
    data_dir,
    eval_questions,
    mentions,
    percentile,
    rss_kb,
)
from tests.slack.fake_slack import FakeSlack, FaultPlan  # noqa: E402

REPLY_TIMEOUT = 180.0  # after the last ack; a reply can wait out several backoffs and Retry-Afters
RETRIED = 0.05  # share of events Slack delivers a second time (our ack "timed out")
RETRY_ONLY = 0.01  # share of events whose first delivery never reached us: only a retry arrives
RETRY_LAG = 40  # a retry is sent this many deliveries after the original


def memory(server: int, workers: list[int]) -> tuple[int, int, int]:
    """(server process, its child processes together, their count) resident memory, KiB."""
    return rss_kb(server), sum(rss_kb(w) for w in workers), len(workers)


def show_memory(label: str, sample: tuple[int, int, int]) -> str:
    server, workers, count = sample
    return (
        f"{label} {server / 1024:.1f} MiB server + {workers / 1024:.1f} MiB in {count} child process(es) "
        f"= {(server + workers) / 1024:.1f} MiB"
    )


def deliveries(events: list, seed: int) -> tuple[list[tuple[str, dict[str, str]]], int, int]:
    """The bodies in sending order, with Slack's retries woven in; also how many retries and retry-only events."""
    rng = random.Random(seed)
    slots: list[list[tuple[str, dict[str, str]]]] = [[] for _ in range(len(events) + RETRY_LAG + 1)]
    retries = retry_only = 0
    for i, m in enumerate(events):
        roll = rng.random()
        if roll < RETRY_ONLY:  # the original was lost on the way: Slack's first retry is the only copy
            slots[i].append((m.body, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}))
            retry_only += 1
            continue
        slots[i].append((m.body, {}))
        if roll < RETRY_ONLY + RETRIED:  # our ack was "too slow": the same event_id again, later
            slots[i + rng.randint(1, RETRY_LAG)].append(
                (m.body, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
            )
            retries += 1
    return [item for slot in slots for item in slot], retries, retry_only


def errors(stderr: str) -> tuple[int, int]:
    """Errors the bot logged (JSON lines): the engine failing (the user got an apology), and any other (a
    listener giving up). slack_sdk's own lines about each dropped connection are not the bot's errors."""
    engine = other = 0
    for line in stderr.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("level") in ("ERROR", "CRITICAL") and str(entry.get("logger", "")).startswith("bot"):
            engine += entry.get("message") == "the engine failed on a question"
            other += entry.get("message") != "the engine failed on a question"
    return engine, other


def run(events: int, rate: float, clients: int, plan: FaultPlan) -> int:
    # the fake keeps two short fields per call, so its records add little to the memory figures
    with tempfile.TemporaryDirectory() as tmp, FakeSlack(faults=plan, body_keys=("channel", "thread_ts")) as fake:
        server = ServerProcess(data_dir(Path(tmp)), fake.base_url)
        pid, workers = server.proc.pid, children(server.proc.pid)

        sent = mentions(events, eval_questions(), "Soak" + uuid.uuid4().hex[:8])
        items, slack_retries, retry_only = deliveries(sent, plan.seed)
        samples = {"start": memory(pid, workers)}
        sender = Sender(server.port, items, clients, rate, ServerProcess.SECRET)

        def sample_during() -> None:  # once a tenth (warmed up: pools, caches, connections) and half are acked
            for label, share in (("warm", 0.1), ("middle", 0.5)):
                while sum(1 for s in sender.sent if s.status) < len(items) * share:
                    time.sleep(0.05)
                samples[label] = memory(pid, workers)

        sampler = threading.Thread(target=sample_during, daemon=True)
        sampler.start()
        sender.run()
        sampler.join()

        deadline = time.monotonic() + REPLY_TIMEOUT
        threads = {m.ts for m in sent}
        while time.monotonic() < deadline:
            answered = {c.body.get("thread_ts") for c in fake.deliveries(frozenset({"chat.postMessage"}))}
            if threads <= answered:
                break
            time.sleep(0.2)
        samples["end"] = memory(pid, workers)  # replies in, workers still up
        status, stderr = server.stop()  # drains the listener pool: any late or duplicate reply is in by now

        replies = fake.deliveries()
        first_due = {}
        for (body, _), delivery in zip(items, sender.sent, strict=False):
            first_due.setdefault(body, delivery.due)
        due_by_ts = {m.ts: first_due[m.body] for m in sent}
        reply_ms = sorted(
            (c.at - due_by_ts[c.body["thread_ts"]]) * 1000
            for c in replies
            if c.method == "chat.postMessage" and c.body.get("thread_ts") in due_by_ts
        )
        per_reply = Counter((c.method, c.body.get("thread_ts")) for c in replies)
        posted = Counter(c.body.get("thread_ts") for c in replies if c.method == "chat.postMessage")
        lost = sum(1 for m in sent if not posted[m.ts])
        duplicated = sum(n - 1 for n in per_reply.values() if n > 1)
        apologies, listener_errors = errors(stderr)
        attempts = len([c for c in fake.calls if c.method != "auth.test"])
        faults = dict(sorted(fake.injected.items()))
        gave_up = sum(fake.injected.values()) - fake.retries
        acks, failures = sender.ack_ms, sender.failures
        span = sender.acked - sender.began

    print(
        f"events sent: {events} distinct ({retry_only} only as a Slack retry) + {slack_retries} Slack retries "
        f"of an event already sent = {len(items)} deliveries in {span:.1f} s ({len(items) / span:.0f}/s, "
        f"offered at {rate:.0f}/s)"
    )
    print(
        f"replies delivered: {len(replies)} ({sum(posted.values())} chat.postMessage, "
        f"{len(replies) - sum(posted.values())} ephemeral PHI reminders); Web API attempts {attempts}"
    )
    print(
        f"lost: {lost}, duplicated: {duplicated}, apologies (engine errors): {apologies}, "
        f"listener errors: {listener_errors}, non-200 acks: {len(failures)}"
    )
    print(
        f"faults injected: {faults} (total {sum(faults.values())}; "
        f"rates 429 {plan.rate_429:.0%}, 500 {plan.rate_500:.0%}, drop {plan.rate_drop:.0%}, seed {plan.seed})"
    )
    print(f"client retries: {fake.retries} (calls given up after a fault: {gave_up})")
    print(f"ack: p50 {percentile(acks, 50):.1f} ms, p99 {percentile(acks, 99):.1f} ms, max {max(acks):.1f} ms")
    print(
        f"time to reply: p50 {percentile(reply_ms, 50):.0f} ms, p99 {percentile(reply_ms, 99):.0f} ms, "
        f"max {max(reply_ms):.0f} ms (retries wait out backoffs and Retry-After)"
    )
    print(f"server exit status after SIGTERM: {status}")
    for label in ("start", "warm", "middle", "end"):
        print(show_memory(f"memory {label + ':':8}", samples[label]))
    return 0 if not (lost or duplicated or apologies or listener_errors or failures or status) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=100.0, help="deliveries per second offered")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate-429", type=float, default=0.05)
    parser.add_argument("--rate-500", type=float, default=0.05)
    parser.add_argument("--rate-drop", type=float, default=0.03)
    args = parser.parse_args()
    plan = FaultPlan(rate_429=args.rate_429, rate_500=args.rate_500, rate_drop=args.rate_drop, seed=args.seed)
    return run(args.events, args.rate, args.clients, plan)


if __name__ == "__main__":
    sys.exit(main())
