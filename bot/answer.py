"""The Answer contract (DESIGN.md): what `answer()` returns and every surface renders.

Stable: the JSON output, the tests and the Slack renderer rely on these field names.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Verdict = Literal["yes", "no", "depends"]
Intent = Literal[
    "code_lookup",
    "code_search",
    "anesthesia_distinction",
    "modifier_lookup",
    "modifier_check",
    "payment_indicators",
    "anesthesia_crosswalk",
    "diagnosis_codes",
    "help",
    "out_of_scope",
]
INTENTS: tuple[str, ...] = Intent.__args__  # type: ignore[attr-defined]


class SourceRef(BaseModel):
    id: str
    title: str
    citation: str = Field(description="Publisher, title and edition: what a coder shows an auditor")
    url: str | None = None


class AskAnswer(BaseModel):
    """One ask of a message that asks several things, answered in the order asked (the first is the Answer's own
    intent, codes and verdict)."""

    intent: Intent
    answered: bool
    confidence: float = Field(ge=0.0, le=1.0)
    codes: list[str] = []
    modifiers: list[str] = []
    text: str
    proposed: list[str] = Field(default=[], description="Codes or modifiers the coder proposed for a verdict")
    verdict: Verdict | None = Field(default=None, description="On the proposal, when there was one")
    not_reported: list[str] = Field(
        default=[], description="Codes the answer names as not reported here (the first cast); last in `codes`"
    )


class Answer(BaseModel):
    question: str
    intent: Intent
    confidence: float = Field(ge=0.0, le=1.0)
    answered: bool
    codes: list[str] = []
    modifiers: list[str] = []
    text: str
    sources: list[SourceRef] = []
    suggestions: list[str] = []
    phi_detected: bool = False
    asks: list[AskAnswer] = Field(default=[], description="Every ask of the message in order; added field, optional")
    not_reported: list[str] = Field(
        default=[], description="Codes the answer names as not reported here; added field, optional"
    )
    details: str = Field(default="", description="The reasoning in full, caveats and history: one step away ('Why?')")
    more_sources: list[SourceRef] = Field(
        default=[], description="Sources of the details, beyond the three shown per ask"
    )
