"""Score the engine on a question file: accuracy per intent, the wrong answers, the decline rate.

An answer is correct when the intent and answered flag match and the expected codes and modifiers are all
in the answer, with the expected first code recommended first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict

from bot.answer import Answer, AskAnswer, Intent
from bot.engine import Engine


class ExpectedAsk(BaseModel):
    """One further ask of a message that asks several things."""

    model_config = ConfigDict(extra="forbid")

    intent: Intent
    codes: list[str] = []
    modifiers: list[str] = []
    answered: bool = True
    proposed: list[str] = []
    verdict: Literal["yes", "no", "depends"] | None = None


class Expected(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str
    intent: Intent
    codes: list[str] = []
    modifiers: list[str] = []
    answered: bool = True
    proposed: list[str] = []
    verdict: Literal["yes", "no", "depends"] | None = None
    asks: list[ExpectedAsk] = []
    tags: list[str] = []
    note: str | None = None


BANDS = ((0.0, 0.5), (0.5, 0.8), (0.8, 1.01))  # confidence bands for the calibration table
LONG = 250  # characters: a question longer than this is a "long" one


@dataclass
class EvalReport:
    total: int = 0
    correct: int = 0
    first_ask_correct: int = 0  # the first ask right, further asks and verdicts aside
    declined: int = 0
    confidently_wrong: int = 0  # answered (not declined, not asking back) and wrong
    equivalent_intent: int = 0  # right under the other name of a pair question (EQUIVALENT_INTENTS)
    per_intent: Counter[str] = field(default_factory=Counter)
    per_intent_correct: Counter[str] = field(default_factory=Counter)
    per_tag: Counter[str] = field(default_factory=Counter)
    per_tag_correct: Counter[str] = field(default_factory=Counter)
    by_length: Counter[str] = field(default_factory=Counter)
    by_length_correct: Counter[str] = field(default_factory=Counter)
    bands: Counter[str] = field(default_factory=Counter)  # answered answers per confidence band
    bands_correct: Counter[str] = field(default_factory=Counter)
    wrong: list[tuple[Expected, Answer, str]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, Any]:
        def share(right: Counter[str], n: Counter[str]) -> dict[str, dict[str, float]]:
            return {k: {"n": v, "accuracy": round(right[k] / v, 4)} for k, v in sorted(n.items())}

        return {
            "total": self.total,
            "correct": self.correct,
            "accuracy": round(self.accuracy, 4),
            "first_ask_accuracy": round(self.first_ask_correct / self.total, 4) if self.total else 0.0,
            "decline_rate": round(self.declined / self.total, 4) if self.total else 0.0,
            "confidently_wrong": self.confidently_wrong,
            "right_under_the_other_pair_intent": self.equivalent_intent,
            "confidently_wrong_rate": round(self.confidently_wrong / self.total, 4) if self.total else 0.0,
            "by_length": share(self.by_length_correct, self.by_length),
            "confidence_bands": share(self.bands_correct, self.bands),
            "per_tag": share(self.per_tag_correct, self.per_tag),
            "per_intent": {
                i: {"n": n, "accuracy": round(self.per_intent_correct[i] / n, 4)}
                for i, n in sorted(self.per_intent.items())
            },
            "wrong": [
                {
                    "q": e.q,
                    "why": why,
                    "expected_intent": e.intent,
                    "intent": a.intent,
                    "codes": a.codes,
                    "modifiers": a.modifiers,
                    "answered": a.answered,
                }
                for e, a, why in self.wrong
            ],
        }


def load_questions(path: Path) -> list[Expected]:
    data = yaml.safe_load(path.read_text())
    return [Expected.model_validate(q) for q in data["questions"]]


# One question under two names: which code of a pair, asked as a search ("what do I bill for the hip reduced
# under general?") or as a choice ("27250 or 27252?"). Both answers are the pair's decision, and the question
# sets label such questions differently (the older sets call a described case with no code named a search, the
# real-style set a choice). The intent is accepted under either name when the codes the label asks for are
# there, the first one first; the report counts these.
EQUIVALENT_INTENTS = (frozenset({"code_search", "anesthesia_distinction"}),)


def _same_intent(expected: Expected, answer: Answer) -> bool:
    if answer.intent == expected.intent:
        return True
    return bool(expected.codes) and any({answer.intent, expected.intent} <= pair for pair in EQUIVALENT_INTENTS)


def problem(expected: Expected, answer: Answer) -> str | None:
    """Why the answer is wrong, or None when it is right: the first ask as before (intent, answered, the first
    code recommended first, every expected code and modifier present), then its verdict on a proposal, then
    every further ask (each must be answered by one of the answer's asks, with its codes and modifiers)."""
    first = answer.asks[0] if answer.asks else None
    if not _same_intent(expected, answer):
        return f"intent {answer.intent}, expected {expected.intent}"
    if answer.answered != expected.answered:
        return f"answered={answer.answered}, expected {expected.answered}"
    codes = first.codes if first is not None else answer.codes
    if expected.codes and (not codes or codes[0] != expected.codes[0]):
        return f"first code {codes[:1]}, expected {expected.codes[0]}"
    missing = [c for c in expected.codes if c not in answer.codes] + [
        m for m in expected.modifiers if m not in answer.modifiers
    ]
    if missing:
        return f"missing {missing}"
    if expected.verdict and (first is None or first.verdict != expected.verdict):
        return f"verdict {first.verdict if first else None}, expected {expected.verdict}"
    later = answer.asks[1:]
    for n, ask in enumerate(expected.asks, start=2):
        if not any(_ask_matches(ask, got) for got in later):
            mods = f" {ask.modifiers}" if ask.modifiers else ""
            return f"ask {n} ({ask.intent} {ask.codes[:2]}{mods}) not answered"
    return None


def first_ask_problem(expected: Expected, answer: Answer) -> str | None:
    """problem() for the first ask only: comparable with scores from before answers had several asks."""
    return problem(expected.model_copy(update={"asks": [], "verdict": None}), answer)


def _ask_matches(expected: ExpectedAsk, got: AskAnswer) -> bool:
    if got.answered != expected.answered:
        return False
    if expected.codes and (not got.codes or got.codes[0] != expected.codes[0]):
        return False
    if any(c not in got.codes for c in expected.codes) or any(m not in got.modifiers for m in expected.modifiers):
        return False
    return expected.verdict is None or got.verdict == expected.verdict


def evaluate(engine: Engine | Callable[[str], Answer], questions: list[Expected]) -> EvalReport:
    """Score every question; `engine` is an Engine or any function from a question to an Answer (answers
    saved from another version, for a before-and-after figure)."""
    ask = engine.answer if isinstance(engine, Engine) else engine
    report = EvalReport()
    for expected in questions:
        answer = ask(expected.q)
        right = problem(expected, answer) is None
        report.total += 1
        report.per_intent[expected.intent] += 1
        report.declined += not answer.answered
        report.first_ask_correct += first_ask_problem(expected, answer) is None
        length = "long" if len(expected.q) > LONG else "short"
        report.by_length[length] += 1
        report.by_length_correct[length] += right
        for tag in expected.tags:
            report.per_tag[tag] += 1
            report.per_tag_correct[tag] += right
        if answer.answered:
            band = next(f"{lo:.1f}-{min(hi, 1.0):.1f}" for lo, hi in BANDS if lo <= answer.confidence < hi)
            report.bands[band] += 1
            report.bands_correct[band] += right
        if right:
            report.correct += 1
            report.per_intent_correct[expected.intent] += 1
            report.equivalent_intent += answer.intent != expected.intent
        else:
            report.confidently_wrong += answer.answered
            report.wrong.append((expected, answer, problem(expected, answer) or ""))
    return report


_CODE_OR_MODIFIER = re.compile(
    r"(?<![\w/])(?:\d{5}|\d{4}[FTU]|[A-Z]\d{4}|[A-Z]\d[0-9A-Z]\.[0-9A-Z]{1,4}|[0-9A-Z]{2})(?![\w])"
)


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
    return {
        "phi_texts": len(data["phi"]),
        "planted": planted,
        "removed": removed,
        "recall": removed / planted,
        "clean_texts": len(data["clean"]),
        "clean_damaged": damaged,
        "kept_lost": lost,
        "codes_lost": codes_lost,
    }
