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
    kept = sum(
        len(item.get("keep", []))
        for part in ("phi", "clean")
        for item in yaml.safe_load((PHI_DIR / name).read_text())[part]
    )
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


# issue 10: identifier kinds the redactor missed, and modifier lists it took for names
MISSED = [  # (text, identifiers that must go, words that must stay)
    ("pt MR# 88417 hip reduced under GA, 27252?", ["88417"], ["27252", "GA"]),
    ("medical record # 27252, is 27250 right?", ["27252"], ["27250"]),
    ("lives at zip 62705, 27252 global days?", ["62705"], ["27252"]),
    ("ZIP code: 27130 and the code is 27130?", ["ZIP code: 27130"], ["code is 27130"]),
    ("mail to PO Box 1234 and P.O. Box 77 and POB 27252", ["PO Box 1234", "P.O. Box 77", "POB 27252"], []),
    (
        "portal login from 10.12.1.7 and fe80::1ff:fe23:4567:890a, 27252?",
        ["10.12.1.7", "fe80::1ff:fe23:4567:890a"],
        ["27252"],
    ),
    (
        "see https://portal.example.org/patients/88417/chart?mrn=5 for 27252",
        ["/patients/88417/chart?mrn=5", "88417"],
        ["https://portal.example.org", "27252"],
    ),
    (
        "Slack link <https://ehr.example.org/encounter/27252|ehr.example.org/encounter/27252> 27250?",
        ["/encounter/27252|", "encounter/27252>"],
        ["27250"],
    ),
    ("driver's license D1234567 on file, DL# S530-4609-2367", ["D1234567", "S530-4609-2367"], []),
    ("licence no. 27252-9910 for the pt", ["27252-9910"], []),
    ("license plate 7XYZ123, plate # ABC 1234", ["7XYZ123", "ABC 1234"], []),
    (
        "ask <@U012AB3CD> or in <#C0123ABCD|coding>, also U024BE7LH, about 27252",
        ["U012AB3CD", "C0123ABCD", "coding>", "U024BE7LH"],
        ["27252"],
    ),
]


@pytest.mark.parametrize(("text", "identifiers", "kept"), MISSED, ids=[m[0][:30] for m in MISSED])
def test_identifier_kinds_the_redactor_missed(text: str, identifiers: list[str], kept: list[str]) -> None:
    from bot.nlu.phi import has_phi, redact

    out = redact(text)
    assert has_phi(text)
    for identifier in identifiers:
        assert identifier not in out, (identifier, out)
    for word in kept:
        assert word in out, (word, out)


@pytest.mark.parametrize(
    "text",
    [
        "AA, AD modifiers",
        "QX, QZ modifiers",
        "can I bill QX, QZ?",
        "GY, GZ on 27252?",
        "XE, XS, XP, XU: which one for 27252?",
        "is it LT, RT or 50?",
        "FX, FY modifiers",
    ],
)
def test_modifier_lists_are_not_names(text: str) -> None:
    from bot.nlu.phi import has_phi, redact

    assert redact(text) == text
    assert not has_phi(text)


def test_names_in_capitals_are_still_names() -> None:
    from bot.nlu.phi import redact

    assert redact("SMITH, JOHN 27252?") == "[NAME] 27252?"
    assert redact("pt: MARIA GARCIA, QX modifier?") == "pt: [NAME], QX modifier?"
    assert redact("GARCIA, MARIA QZ modifier on 01402?") == "[NAME] QZ modifier on 01402?"
