"""The event-id store behind de-duplication: exactly one first delivery, whatever the threads."""

from __future__ import annotations

import threading

from bot.slack.middleware import SeenEvents


def test_each_event_id_is_new_exactly_once_across_threads(tmp_path):
    seen = SeenEvents(tmp_path / "seen.sqlite")
    firsts: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def deliver() -> None:
        start.wait()
        for n in range(200):
            if seen.first_time(f"Ev{n}"):
                with lock:
                    firsts.append(f"Ev{n}")

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(firsts) == sorted(f"Ev{n}" for n in range(200))


def test_seen_ids_survive_a_restart(tmp_path):
    assert SeenEvents(tmp_path / "seen.sqlite").first_time("EvA") is True
    assert SeenEvents(tmp_path / "seen.sqlite").first_time("EvA") is False
