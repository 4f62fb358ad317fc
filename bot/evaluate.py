"""Score the engine on a question file: accuracy per intent, the wrong answers, the decline rate.

An answer is correct when the intent and answered flag match and the expected codes and modifiers are all
in the answer, with the expected first code recommended first.
"""

from __future__ import annotations

import re

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from bot.answer import Answer, Intent
from bot.engine import Engine


class Expected(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str
    intent: Intent
    codes: list[str] = []
    modifiers: list[str] = []
    answered: bool = True
    note: str | None = None


@dataclass
class EvalReport:
    total: int = 0
    correct: int = 0
    declined: int = 0
    per_intent: Counter[str] = field(default_factory=Counter)
    per_intent_correct: Counter[str] = field(default_factory=Counter)
    wrong: list[tuple[Expected, Answer, str]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total, "correct": self.correct, "accuracy": round(self.accuracy, 4),
            "decline_rate": round(self.declined / self.total, 4) if self.total else 0.0,
            "per_intent": {i: {"n": n, "accuracy": round(self.per_intent_correct[i] / n, 4)}
                           for i, n in sorted(self.per_intent.items())},
            "wrong": [{"q": e.q, "why": why, "expected_intent": e.intent, "intent": a.intent, "codes": a.codes,
                       "modifiers": a.modifiers, "answered": a.answered} for e, a, why in self.wrong],
        }


def load_questions(path: Path) -> list[Expected]:
    data = yaml.safe_load(path.read_text())
    return [Expected.model_validate(q) for q in data["questions"]]


def problem(expected: Expected, answer: Answer) -> str | None:
    """Why the answer is wrong, or None when it is right."""
    if answer.intent != expected.intent:
        return f"intent {answer.intent}, expected {expected.intent}"
    if answer.answered != expected.answered:
        return f"answered={answer.answered}, expected {expected.answered}"
    if expected.codes and (not answer.codes or answer.codes[0] != expected.codes[0]):
        return f"first code {answer.codes[:1]}, expected {expected.codes[0]}"
    missing = [c for c in expected.codes if c not in answer.codes] + [m for m in expected.modifiers if m not in answer.modifiers]
    if missing:
        return f"missing {missing}"
    return None


def evaluate(engine: Engine, questions: list[Expected]) -> EvalReport:
    report = EvalReport()
    for expected in questions:
        answer = engine.answer(expected.q)
        report.total += 1
        report.per_intent[expected.intent] += 1
        report.declined += not answer.answered
        why = problem(expected, answer)
        if why is None:
            report.correct += 1
            report.per_intent_correct[expected.intent] += 1
        else:
            report.wrong.append((expected, answer, why))
    return report


_CODE_OR_MODIFIER = re.compile(r"(?<![\w/])(?:\d{5}|\d{4}[FTU]|[A-Z]\d{4}|[A-Z]\d[0-9A-Z]\.[0-9A-Z]{1,4}|[0-9A-Z]{2})(?![\w])")


def evaluate_redaction(path: Path) -> dict[str, Any]:
    """PHI redaction on a corpus file: recall of planted identifiers, clean text damaged, and what was lost of
    the `keep` lists: every entry (`kept_lost`) and the codes and modifiers among them (`codes_lost`)."""
    from bot.nlu.phi import redact

    data = yaml.safe_load(path.read_text())
    planted = removed = damaged = 0
    lost: list[str] = []
    codes_lost: list[str] = []

    def check_kept(item: dict[str, Any], out: str) -> None:
        for keep in item.get("keep", []):
            if keep not in out:
                lost.append(keep)
                codes_lost.extend(c for c in _CODE_OR_MODIFIER.findall(keep) if c not in out)

    for item in data["phi"]:
        out = redact(item["text"])
        planted += len(item["identifiers"])
        removed += sum(1 for i in item["identifiers"] if i not in out)
        check_kept(item, out)
    for item in data["clean"]:
        out = redact(item["text"])
        damaged += out != item["text"]
        check_kept(item, out)
    return {"phi_texts": len(data["phi"]), "planted": planted, "removed": removed, "recall": removed / planted,
            "clean_texts": len(data["clean"]), "clean_damaged": damaged, "kept_lost": lost,
            "codes_lost": codes_lost}
