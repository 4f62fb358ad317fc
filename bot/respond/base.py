"""What every composer gets and gives back.

A composer turns the matched intent and entities into facts from the knowledge base. It returns a Reply
whose every fact names its source ids; the engine turns ids into citations. Composers never see Slack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.kb.models import Code
from bot.kb.store import KnowledgeStore
from bot.nlu.entities import Entities

PFS_SOURCE = "cms-pfs"  # the fee-schedule release the build loaded (bundled or an operator's import)
LICENSED_CPT_SOURCE = "licensed-cpt"
ICD_SOURCE = "cdc-icd10cm-2026"
STATUS_LABEL = {"inference": "Guidance (our reasoning from the sources)", "unconfirmed": "Not confirmed"}


@dataclass
class Ask:
    question: str
    ent: Entities
    store: KnowledgeStore
    intent: str


@dataclass
class Reply:
    answered: bool
    lines: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    modifiers: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    confidence: float | None = None  # set when retrieval, not intent matching, decides how sure we are

    def say(self, line: str, sources: list[str] | tuple[str, ...] = ()) -> Reply:
        self.lines.append(line)
        self.cite(sources)
        return self

    def cite(self, sources: list[str] | tuple[str, ...]) -> None:
        for sid in sources:
            if sid not in self.sources:
                self.sources.append(sid)

    def code(self, *codes: str) -> None:
        for c in codes:
            if c not in self.codes:
                self.codes.append(c)

    def modifier(self, *mods: str) -> None:
        for m in mods:
            if m not in self.modifiers:
                self.modifiers.append(m)

    def suggest(self, *questions: str) -> None:
        for q in questions:
            if q not in self.suggestions and len(self.suggestions) < 4:
                self.suggestions.append(q)


def declined(*lines: str, suggestions: list[str] | None = None) -> Reply:
    return Reply(answered=False, lines=list(lines), suggestions=list(suggestions or []))


def labelled(text: str, status: str) -> str:
    label = STATUS_LABEL.get(status)
    return f"{label}: {text}" if label else text


def code_label(code: Code) -> str:
    return f"*{code.code}* ({code.title})"


def follow_ups(code: str) -> list[str]:
    return [f"global days for {code}?", f"{code} with modifier 50?", f"anesthesia code for {code}?"]
