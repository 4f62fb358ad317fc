"""The activity database: redacted before stored, hashed ids, retention, concurrent writers, a failing disk."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from bot.activity.log import ActivityLog, answer_and_log
from bot.activity.report import build_report, group_similar, render_report
from bot.cli import main

PHI_QUESTION = "pt John Smith DOB 01/02/1950 MRN 12345678 call 555-123-4567, hip reduced under GA, 27250 or 27252?"


def test_questions_are_redacted_and_ids_hashed(engine, tmp_path: Path) -> None:
    log = ActivityLog(tmp_path / "activity.sqlite")
    answer, qid = answer_and_log(engine, log, PHI_QUESTION, "mention", user="U123ABC", channel="C999XYZ")
    assert answer.codes[0] == "27252" and qid
    row = log.rows("select * from questions where id = ?", (qid,))[0]
    for planted in ("John", "Smith", "01/02/1950", "12345678", "555-123-4567", "U123ABC", "C999XYZ"):
        assert planted not in json.dumps(row)
    assert "27250" in row["question"] and "27252" in row["question"] and row["phi_detected"] == 1
    assert row["user_hash"] == log.hash_id("U123ABC") != log.hash_id("U123ABD")
    raw = (tmp_path / "activity.sqlite").read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("activity.sqlite-*")
    )
    assert b"John Smith" not in raw and b"U123ABC" not in raw


def test_feedback_reason_is_redacted(engine, tmp_path: Path) -> None:
    log = ActivityLog(tmp_path / "a.sqlite")
    _, qid = answer_and_log(engine, log, "global days for 27252", "dm")
    assert log.record_feedback(qid, False, "wrong for pt Jane Doe, MRN 55667788", user="U1").ok
    reason = log.rows("select reason from feedback")[0]["reason"]
    assert "Jane" not in reason and "55667788" not in reason


def test_retention_deletes_old_records(engine, tmp_path: Path) -> None:
    log = ActivityLog(tmp_path / "a.sqlite", retention_days=30)
    _, old = answer_and_log(engine, log, "what is 27250", "cli")
    log.record_feedback(old, True)
    _, new = answer_and_log(engine, log, "what is 27252", "cli")
    log.execute("update questions set at = at - 40 * 86400 where id = ?", (old,))
    log.execute("update feedback set at = at - 40 * 86400")
    assert log.purge() == 1
    assert [r["id"] for r in log.rows("select id from questions")] == [new]
    assert log.rows("select count(*) as n from feedback")[0]["n"] == 0


def test_concurrent_writers_lose_nothing(engine, tmp_path: Path) -> None:
    log = ActivityLog(tmp_path / "a.sqlite")
    answer = engine.answer("global days for 27252")
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(50):
                log.record_question(answer, "mention", 1.0, user="U1")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and log.rows("select count(*) as n from questions")[0]["n"] == 400


def test_locked_database_is_reported_and_answering_goes_on(engine, tmp_path: Path, monkeypatch) -> None:
    """A locked activity database made every answer 26 s late: now an answer never waits for it, the records wait
    in memory, the lock is reported once, and nothing is lost when it is released."""
    path = tmp_path / "a.sqlite"
    log = ActivityLog(path)
    log.execute("select 1")  # the database and its tables exist
    monkeypatch.setattr("bot.activity.log.BUSY_RETRIES", 2)
    monkeypatch.setattr("bot.activity.log.BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr("bot.activity.log.QUIET_SECONDS", 0.0)  # the lock's end counts as recovery at once
    log.execute("pragma busy_timeout=50")
    blocker = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    blocker.execute("begin exclusive")
    answer, qid = answer_and_log(engine, log, "what is 27252", "dm")  # returns while the lock is held
    assert answer.answered and qid
    assert not log.flush(timeout=1.0), "nothing can be written while another process holds the lock"
    assert log.last_error and "locked" in log.last_error
    assert log.record_feedback(qid, True, user="U1").ok  # still accepted, queued
    blocker.execute("rollback")
    assert log.flush() and log.last_error is None
    assert [r["id"] for r in log.rows("select id from questions")] == [qid]
    assert log.rows("select helpful from feedback") == [{"helpful": 1}] and log.dropped == 0


def test_unwritable_database_is_reported(engine, tmp_path: Path) -> None:
    log = ActivityLog(tmp_path / "a.sqlite")
    log.execute("pragma query_only = on")  # stands in for a read-only disk
    answer, _ = answer_and_log(engine, log, "what is 27252", "dm")
    assert answer.answered and log.flush() and log.last_error and log.dropped == 1


def test_report_groups_gaps_and_lists_feedback(engine, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CODING_BOT_DATA_DIR", str(tmp_path))
    log = ActivityLog(tmp_path / "activity.sqlite")
    for q in (
        "code for dislocated jaw",
        "cpt for a dislocated jaw?",
        "jaw dislocation code",
        "global days for 27252",
        "what is 27252",
        "what is 27252",
    ):
        answer_and_log(engine, log, q, "mention")
    _, qid = answer_and_log(engine, log, "27250 or 27252 under moderate sedation", "dm")
    log.record_feedback(qid, False, "missed the payer rule")
    report = build_report(log, 30)
    assert report["questions"] == 7 and report["unanswered_groups"][0]["count"] == 3
    assert report["thumbs_down"][0]["reason"] == "missed the payer rule"
    assert report["top_codes"][0][0] == "27252"
    assert "jaw" in render_report(report)
    assert main(["report", "--json", "--since", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["questions"] == 7


def test_grouping_keeps_different_gaps_apart() -> None:
    groups = group_similar(["code for dislocated jaw", "jaw dislocation code", "what is modifier Q9"])
    assert [g["count"] for g in groups] == [2, 1]
