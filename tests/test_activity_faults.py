"""Issue 10: the activity log under a full disk, a bad key file and many threads; it never holds up an answer.

A full disk is real SQLite behaviour here, not a mock: `pragma max_page_count` caps the database at its current
size, and SQLite then fails writes with 'database or disk is full' exactly as on a full disk. For the first start
on a full disk, the key file's write fails with ENOSPC and a new database cannot grow past one page.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.activity.log import KEY_BYTES, ActivityKeyError, ActivityLog, answer_and_log
from bot.cli import main


def _tiny_databases(monkeypatch: pytest.MonkeyPatch) -> dict[str, bool]:
    """New connections to a database are capped at one page while `disk["full"]` is true (the disk is full)."""
    disk = {"full": True}
    real_connect = sqlite3.connect

    def connect(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        if disk["full"]:
            conn.execute("pragma max_page_count = 1")
        return conn

    monkeypatch.setattr("bot.activity.log.sqlite3.connect", connect)
    return disk


def _no_room_for_files(monkeypatch: pytest.MonkeyPatch) -> None:
    def write(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("bot.activity.log.os.write", write)


def test_a_full_disk_drops_records_counted_warns_once_and_recovers(engine, tmp_path: Path, caplog, monkeypatch) -> None:
    """A nearly full disk lets some writes through between failures: reported once all the same."""
    caplog.set_level(logging.WARNING, logger="coding_bot.activity")
    log = ActivityLog(tmp_path / "a.sqlite")
    _, first = answer_and_log(engine, log, "what is 27252", "dm")
    assert log.flush()
    pages = log.rows("pragma page_count")[0]["page_count"]
    real_connect = sqlite3.connect
    full = {"pages": pages}

    def connect(*args, **kwargs):  # every connection the log opens meets the same full disk
        conn = real_connect(*args, **kwargs)
        if full["pages"]:
            conn.execute(f"pragma max_page_count = {full['pages']}")
        return conn

    monkeypatch.setattr("bot.activity.log.sqlite3.connect", connect)
    log.execute(f"pragma max_page_count = {pages}")  # the disk is full now
    for n in range(30):
        answer, _ = answer_and_log(engine, log, f"global days for 2725{n % 10} " + "x" * 3000, "mention")
        assert answer.text  # answering goes on
    assert log.flush()
    assert log.dropped > 0 and "full" in (log.last_error or "")
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1, warnings  # reported once, not per record
    full["pages"] = 0  # room again
    log.execute("pragma max_page_count = 1000000")
    monkeypatch.setattr("bot.activity.log.QUIET_SECONDS", 0.0)  # no waiting to see the disk stays writable
    _, later = answer_and_log(engine, log, "what is 27250", "dm")
    assert log.flush() and log.last_error is None
    ids = {r["id"] for r in log.rows("select id from questions")}
    assert {first, later} <= ids
    assert "writable again" in caplog.records[-1].getMessage()


def test_a_full_disk_at_first_start_then_room_again(engine, tmp_path: Path, monkeypatch) -> None:
    """The key file ended up empty after a full disk at first start, and was then used silently."""
    disk = _tiny_databases(monkeypatch)
    with monkeypatch.context() as m:
        _no_room_for_files(m)
        log = ActivityLog(tmp_path / "data" / "activity.sqlite")  # no crash
        answer, qid = answer_and_log(engine, log, "pt Ann Lee MRN 88442211 what is 27252", "mention", user="U1")
        assert answer.answered and qid
        assert log.flush() and log.dropped == 1 and log.last_error
        assert not log.key_path.exists(), "no empty or partial key is left behind"
    disk["full"] = False
    monkeypatch.setattr("bot.activity.log.QUIET_SECONDS", 0.0)
    log.close()
    log = ActivityLog(tmp_path / "data" / "activity.sqlite")
    _, qid = answer_and_log(engine, log, "what is 27250", "dm", user="U1")
    assert log.flush() and log.last_error is None
    assert len(log.key_path.read_text().strip()) == 2 * KEY_BYTES
    assert [r["id"] for r in log.rows("select id from questions")] == [qid]
    assert sorted(p.name for p in log.key_path.parent.iterdir() if p.name.endswith(".tmp")) == []


@pytest.mark.parametrize("content", ["", "\n", "abc123", "zz" * KEY_BYTES, "0" * (2 * KEY_BYTES - 1)])
def test_an_empty_or_short_key_is_refused_with_a_clear_error(tmp_path: Path, content: str) -> None:
    (tmp_path / "activity.key").write_text(content)
    with pytest.raises(ActivityKeyError) as refused:
        ActivityLog(tmp_path / "activity.sqlite")
    message = str(refused.value)
    assert "activity.key" in message and "delete it" in message and "\n" not in message


def test_two_processes_starting_at_once_share_one_key(tmp_path: Path) -> None:
    keys: list[bytes] = []
    start = threading.Barrier(6)

    def open_log() -> None:
        start.wait()
        log = ActivityLog(tmp_path / "activity.sqlite")
        keys.append(log._key_bytes())

    threads = [threading.Thread(target=open_log) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and len(keys) == 6
    assert (tmp_path / "activity.key").stat().st_mode & 0o777 == 0o600


def test_one_writer_and_one_connection_whatever_the_threads(engine, tmp_path: Path) -> None:
    """The server grew a SQLite connection per listener thread (65 to the activity log)."""
    path = tmp_path / "a.sqlite"
    log = ActivityLog(path)
    answer = engine.answer("global days for 27252")

    def work() -> None:
        for _ in range(50):
            log.record_question(answer, "mention", 1.0, user="U1")
        log.rows("select count(*) as n from questions")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert log.flush() and log.rows("select count(*) as n from questions")[0]["n"] == 400
    if Path("/proc/self/fd").is_dir():
        open_on_db = [
            fd for fd in os.listdir("/proc/self/fd") if os.path.realpath(f"/proc/self/fd/{fd}") == str(path.resolve())
        ]
        assert len(open_on_db) == 1, open_on_db
    writers = [t for t in threading.enumerate() if t.name == f"activity-writer-{id(log):x}"]
    assert len(writers) <= 1


def test_one_vote_per_person_per_answer(engine, tmp_path: Path) -> None:
    log = ActivityLog(tmp_path / "a.sqlite")
    _, qid = answer_and_log(engine, log, "global days for 27252", "mention")
    for _ in range(3):  # a replayed click
        log.record_feedback(qid, True, user="U1")
    log.record_feedback(qid, False, "changed my mind", user="U1")  # a changed vote replaces the first
    log.record_feedback(qid, True, user="U2")
    rows = log.rows("select helpful, reason from feedback order by helpful")
    assert rows == [{"helpful": 0, "reason": "changed my mind"}, {"helpful": 1, "reason": None}]


def test_ask_works_on_a_full_disk_at_first_run(engine, tmp_path: Path, monkeypatch, capsys) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("CODING_BOT_DATA_DIR", str(data))
    monkeypatch.setattr("bot.engine._engine", engine)  # the session's engine, as default_engine() would build it
    _tiny_databases(monkeypatch)
    _no_room_for_files(monkeypatch)
    assert main(["ask", "--json", "global days for 27252"]) == 0
    out, err = capsys.readouterr()
    assert '"answered":true' in out.replace(" ", "")
    assert "Traceback" not in err
