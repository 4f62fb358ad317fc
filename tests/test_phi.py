"""PHI: identifiers are removed before anything is stored or logged; codes and modifiers never are.

Synthetic corpora, each written independently of the redactor: `corpus.yaml` (the patterns were developed
against it), then `holdout.yaml` and `holdout_b.yaml`, each measured once untouched (72.0% and 92.1% recall)
and then used to generalise the redactor, so all three are development data now. All must meet the targets:
recall of at least 98%, no code or modifier ever removed, at most 5% of clean questions changed at all, and
at most 1% of the other words the corpora mark as kept ("Springfield", "5/20") lost.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
import yaml

from bot.activity.log import ActivityLog, answer_and_log
from bot.evaluate import evaluate_redaction

PHI_DIR = Path(__file__).resolve().parent / "phi"
CORPORA = ["corpus.yaml", "holdout.yaml", "holdout_b.yaml"]


@pytest.mark.parametrize("name", CORPORA)
def test_recall_and_no_code_ever_removed(name: str) -> None:
    figures = evaluate_redaction(PHI_DIR / name)
    assert figures["recall"] >= 0.98, figures
    assert not figures["codes_lost"], f"codes or modifiers removed: {figures['codes_lost'][:5]}"
    assert figures["clean_damaged"] <= 0.05 * figures["clean_texts"], figures
    kept = sum(len(item.get("keep", [])) for part in ("phi", "clean")
               for item in yaml.safe_load((PHI_DIR / name).read_text())[part])
    assert len(figures["kept_lost"]) <= 0.01 * kept, f"clinical or plain words removed: {figures['kept_lost'][:5]}"


def test_no_planted_identifier_reaches_the_database_or_the_logs(engine, tmp_path: Path) -> None:
    log_file = tmp_path / "bot.log"
    handler = logging.FileHandler(log_file)
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    activity = ActivityLog(tmp_path / "activity.sqlite")
    planted: list[str] = []
    try:
        for name in CORPORA:
            for item in yaml.safe_load((PHI_DIR / name).read_text())["phi"]:
                _, qid = answer_and_log(engine, activity, item["text"], "mention", user="U0PHI", channel="C0PHI")
                activity.record_feedback(qid, False, f"wrong: {item['text']}")
                planted += item["identifiers"]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
    activity.close()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("activity.sqlite*")) + log_file.read_bytes()
    # hashed ids and question ids are long hex strings: a planted "4417" may appear inside one by chance
    stored = re.sub(rb"[0-9a-f]{16,}", b" ", stored)
    leaked = sorted({p for p in planted if len(p) >= 4 and p.encode() in stored})
    assert not leaked, f"identifiers found in the activity database or logs: {leaked[:10]}"
    assert b"U0PHI" not in stored and b"C0PHI" not in stored


@pytest.mark.parametrize("text", ["which MS-DRG does a hip dislocation admission group to", "MS-DRG 536 vs 537?"])
def test_a_term_joined_to_an_honorific_is_not_a_name(text: str) -> None:
    from bot.nlu.phi import redact

    assert redact(text) == text
