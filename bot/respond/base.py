"""What every composer gets and gives back.

A composer decides one ask from the Case (bot.nlu.case) and the knowledge base: it never sees the question's
text. It returns a Reply whose every fact names its source ids; the engine turns ids into citations.
Composers never see Slack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.kb import source_ids
from bot.kb.models import Code
from bot.kb.store import KnowledgeStore
from bot.nlu.case import Case, CaseAsk

PFS_SOURCE = source_ids.PFS
HCPCS_SOURCE = source_ids.HCPCS
PCS_SOURCE = source_ids.ICD10PCS
LICENSED_CPT_SOURCE = "licensed-cpt"
CPT_SOURCE = "ama-cpt-code-set"  # the publication of the CPT codes we hold none of
ICD_SOURCE = "cdc-icd10cm-2026"
ASK_TEXT_LIMIT = 900  # one ask's answer in Slack: typically under 600 characters, never over 900 (issue 12)
_MORE = "…and {n} more in the details."


def is_held(store: KnowledgeStore, code: str) -> bool:
    """A procedure or supply code in some code set we hold: curated (deleted codes included), the CMS fee schedule
    or HCPCS Level II."""
    return code in store.codes or store.pfs(code) is not None or store.hcpcs(code) is not None


def is_sedation_code(store: KnowledgeStore, code: str) -> bool:
    """A moderate sedation code, current or deleted (knowledge/code_groups.yaml, sedation)."""
    return code.isdigit() and store.code_groups["sedation"].covers(code)


STATUS_LABEL = {"inference": "Guidance (our reasoning from the sources)", "unconfirmed": "Not confirmed"}


@dataclass
class Ask:
    """One ask of a Case, with the knowledge base: what a composer decides from."""

    case: Case
    item: CaseAsk
    store: KnowledgeStore
    intent: str
    earlier: list[str] = field(default_factory=list)  # codes the answers to earlier asks recommended
    kinds: frozenset[str] = frozenset()  # what the ask asks, as the engine weighed it (the reader's cues and what
    # the Case adds: an ask about the provider who only sedated asks for the sedation codes)

    @property
    def codes(self) -> list[str]:
        """CPT and HCPCS codes this ask is about (Case.ask_codes)."""
        return self.case.ask_codes(self.item, self.earlier)

    @property
    def procedure_codes(self) -> list[str]:
        return [c for c in self.codes if not (c.isdigit() and c[:2] in ("00", "01"))]

    @property
    def anesthesia_codes(self) -> list[str]:
        return [c for c in self.codes if c.isdigit() and c[:2] in ("00", "01")]

    @property
    def icd_codes(self) -> list[str]:
        own = [c for c in self.item.codes if c in self.case.icd_codes]
        return own or self.case.icd_codes

    @property
    def modifiers(self) -> list[str]:
        own = [m for m in self.item.modifiers if m in self.case.modifier_codes]
        return own or self.case.modifier_codes

    def kind(self, *kinds: str) -> bool:
        return bool((self.kinds or self.item.kinds) & set(kinds))

    def said(self, *kinds: str) -> bool:
        """Whether the ask's own words say it ("which sedation code"), not only what the Case adds."""
        return bool(self.item.kinds & set(kinds))


@dataclass
class Reply:
    answered: bool
    lines: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    modifiers: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    confidence: float | None = None  # set when retrieval, not intent matching, decides how sure we are
    picked: list[str] = field(default_factory=list)  # the codes the decision recommends (first the main one)
    basis: str | None = None  # what a decision rests on: documented, drug, or open (missing, range, conflict...)
    options: list[str] = field(default_factory=list)  # when the decision is open: the codes it is between
    ruled_out: list[str] = field(default_factory=list)  # codes the decision says cannot be reported here (99152
    # with 7 minutes of sedation)
    outside: bool = False  # what was asked is outside the knowledge base: the ask is answered as out_of_scope
    weighed: list[str] = field(default_factory=list)  # codes the question named that the reply weighed against the
    # case (an ICD-10-CM code on the claim): positions for a verdict when the ask judges ("S73.005A, or a T code?")
    modifier_verdicts: dict[str, str] = field(default_factory=dict)  # modifier -> fits | does_not_fit | depends
    modifier_on: dict[str, str] = field(default_factory=dict)  # modifier -> where it goes, when not on the code judged
    judged_on: dict[str, str] = field(default_factory=dict)  # modifier -> the code its verdict was judged on
    proposed: list[str] = field(default_factory=list)  # what the coder proposed, when the reply gives a verdict on it
    verdict: str | None = None  # yes | no | depends

    details: list[str] = field(default_factory=list)  # the reasoning, caveats and history: one step away ("Why?")
    shown_sources: list[str] = field(default_factory=list)  # the sources of the lines shown

    def say(self, line: str, sources: list[str] | tuple[str, ...] = ()) -> Reply:
        """A line of the answer itself: the verdict, the code, the rule that decides; its sources are shown."""
        self.lines.append(line)
        self.cite(sources)
        self.shown_sources += [s for s in sources if s not in self.shown_sources]
        return self

    def fit(self, limit: int = ASK_TEXT_LIMIT) -> None:
        """Keep the answer within `limit` characters for Slack: whole lines from the top (the verdict and the
        code come first), the rest moved to the front of the details with a line saying so. A first line longer
        than the limit is cut at its last clause end before it."""
        if len("\n".join(self.lines)) <= limit:
            return
        room = limit - len(_MORE.format(n=999))
        kept: list[str] = []
        size = 0
        for line in self.lines:
            if size + len(line) + 1 > room:
                break
            kept.append(line)
            size += len(line) + 1
        rest = self.lines[len(kept) :]
        if not kept:
            line = rest.pop(0)
            cut = max(line.rfind("; ", 0, room), line.rfind(". ", 0, room))
            cut = cut if cut > 0 else max(line.rfind(" ", 0, room), room - 1)
            kept, rest = [line[: cut + 1].rstrip()], [line[cut + 1 :].strip(), *rest]
        self.lines = [*kept, _MORE.format(n=len(rest))]
        self.details = [*rest, *self.details]

    def detail(self, line: str, sources: list[str] | tuple[str, ...] = ()) -> Reply:
        """A line one step away: the reasoning in full, notes, the conflict history; its sources are listed with
        it ("More sources")."""
        self.details.append(line)
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
