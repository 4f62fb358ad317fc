"""Load benchmark for HTTP mode: N signed app_mention events, sent concurrently to the real server.

The server is `coding-bot serve --http` started as its own process, as an admin runs it (uvicorn + Bolt,
with its engine worker process), stopped with SIGTERM at the end. This process holds, on 127.0.0.1, the
fake Slack Web API (tests/slack/fake_slack.py) and the client threads (http.client, keep-alive): sharing
one interpreter with them, the server's figures were the load generator's (reply p50 from 10 to 580 ms run
to run). Each event has its own event_id and thread ts; the fake records when the chat.postMessage for that
thread arrives. Prints events/s, time-to-ack and time-to-reply percentiles, lost and duplicated replies.

    python benchmarks/load_http.py [--events 1000] [--clients 32] [--rate 200]

Events are offered at a steady --rate (each client thread sends its share on schedule, and latencies count
from the scheduled time, so a stalled client cannot hide a slow server); --rate 0 sends each event as soon as
the client's previous ack came back, which measures the ceiling: then ack latency is simply the number of
clients divided by the ack rate. Targets on the 2-core development machine: 200 events/s answered as they
arrive, p99 ack < 50 ms, nothing lost or duplicated.
The knowledge base is $CODING_BOT_DATA_DIR/kb.sqlite (built when missing), or a temporary one.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
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
from bot.render.blocks import APOLOGY  # noqa: E402
from tests.slack.fake_slack import FakeSlack  # noqa: E402

REPLY_TIMEOUT = 120.0  # seconds to wait for the last reply before counting the rest as lost


def run(events: int, clients: int, rate: float) -> int:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        questions = eval_questions()
        server = ServerProcess(data_dir(Path(tmp)), fake.base_url)
        workers = children(server.proc.pid)
        events_sent = mentions(events, questions, "Load" + uuid.uuid4().hex[:8])
        sender = Sender(server.port, [(m.body, {}) for m in events_sent], clients, rate, ServerProcess.SECRET).run()
        began, acked, ack_ms, failures = sender.began, sender.acked, sender.ack_ms, sender.failures
        sent_at = {m.ts: sender.sent[i].due for i, m in enumerate(events_sent)}
        try:
            fake.wait_for("chat.postMessage", count=events, timeout=REPLY_TIMEOUT)
        except AssertionError:
            pass  # counted as lost below
        peak_kb = rss_kb(server.proc.pid, "VmHWM") + sum(rss_kb(w, "VmHWM") for w in workers)
        status, stderr = server.stop()  # drains the listener pool: any late or duplicate reply is in by now

        posts = fake.calls_to("chat.postMessage")
        per_thread = Counter(p.body.get("thread_ts") for p in posts)
        first_reply = {}
        for p in posts:
            first_reply.setdefault(p.body.get("thread_ts"), p.at)
        reply_ms = [(first_reply[ts] - sent_at[ts]) * 1000 for ts in sent_at if ts in first_reply]
        lost = sum(1 for m in events_sent if m.ts not in per_thread)
        duplicated = sum(n - 1 for n in per_thread.values() if n > 1)
        apologies = sum(1 for p in posts if p.body.get("text") == APOLOGY)
        finished = max(first_reply.values(), default=acked)

    print(
        f"server: `coding-bot serve --http` as its own process (pid {server.proc.pid}, {len(workers)} child "
        f"process(es): engine worker, resource tracker); peak memory {peak_kb / 1024:.1f} MiB; "
        f"exit status after SIGTERM {status}"
    )
    if status != 0:
        print(stderr[-3000:])
    offered = f"offered at {rate:.0f} events/s" if rate else "as fast as the clients get acks (closed loop)"
    print(
        f"events: {events} from {clients} client threads (keep-alive), {offered}; "
        f"{len(set(questions))} distinct questions"
    )
    print(
        f"throughput: {events / (finished - began):.0f} events/s answered "
        f"({events / (acked - began):.0f} events/s acked)"
    )
    print(
        f"time to ack:   p50 {percentile(ack_ms, 50):.1f} ms, p99 {percentile(ack_ms, 99):.1f} ms, "
        f"max {max(ack_ms):.1f} ms"
    )
    if reply_ms:
        print(
            f"time to reply: p50 {percentile(reply_ms, 50):.1f} ms, p99 {percentile(reply_ms, 99):.1f} ms, "
            f"max {max(reply_ms):.1f} ms"
        )
    print(
        f"lost replies: {lost}, duplicated replies: {duplicated}, non-200 acks: {len(failures)}, "
        f"apologies (engine errors): {apologies}"
    )
    return 0 if not (lost or duplicated or failures or apologies or status) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument(
        "--rate",
        type=float,
        default=200.0,
        help="events per second offered in total (0: each client sends as soon as its last ack came)",
    )
    args = parser.parse_args()
    return run(args.events, args.clients, args.rate)


if __name__ == "__main__":
    sys.exit(main())
