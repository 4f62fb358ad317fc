"""Score one ask against the intents' example questions (rapidfuzz), with what the Case holds as strong signals.

Why this scorer: token_set_ratio gives 100 whenever one text's words are a subset of the other's, and
WRatio ties often, so neither yields a usable confidence. We compare masked questions ("can i use
modifier on cptcode") with token_sort_ratio (order-insensitive, penalises extra words) blended with
ratio over the whole string, and average each intent's best three neighbours so one lucky example does not
decide. Entities then move the scores: an intent whose `slots` use an entity the question has gains,
one that cannot use it loses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz import fuzz, process

from bot.nlu.lexicon import AskKind

Slot = Literal[
    "codes",
    "code_pair",
    "modifiers",
    "modifier_request",
    "icd_codes",
    "anesthesia_codes",
    "body_site",
    "anesthesia_finding",
    "indicator",
    "anesthesia_code_request",
    "code_question",
    "modifier_question",
    "pair_question",
    "sedation_question",
]


class IntentDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    intent: str
    description: str
    slots: list[Slot] = []
    keywords: list[str] = Field(default=[], description="Words or phrases that point strongly at this intent")
    keyword_weight: float = Field(
        default=12.0,
        ge=0,
        le=60,
        description="Points a keyword adds; out_of_scope uses more, since 'how much does Aetna pay' is out of scope "
        "whatever codes it names",
    )
    decisive: list[str] = Field(
        default=[],
        description="Phrases that settle the intent whatever else the question holds: another code set "
        "(ICD-10-PCS, CDT) is out of scope even when it names a body site we cover",
    )
    asks: list[AskKind | Literal["gap"]] = Field(
        default=[],
        description="Kinds of ask (knowledge/lexicon/asks.yaml) that point at this intent: a cue of one of "
        "these in the ask adds ask_weight points ('gap' = a topic the knowledge base does not hold)",
    )
    ask_weight: float = Field(default=10.0, ge=0, le=60)
    needs: list[Slot] = Field(
        default=[],
        description="The intent loses its slot bonus unless the question has one of these: a modifier "
        "check is about a code, a body site or a request for a modifier, never a modifier alone",
    )
    examples: list[str] = Field(min_length=5)


def load_intents(folder: Path, known: tuple[str, ...]) -> list[IntentDef]:
    """One YAML file per intent; raise ContentErrors naming every bad file or field. (The running bot reads
    the intents from the knowledge base instead, so YAML is not loaded at start.)"""
    from bot.yamlfile import ContentError, ContentErrors, read_yaml

    errors: list[ContentError] = []
    intents: list[IntentDef] = []
    for path in sorted(folder.glob("*.yaml")):
        display = f"intents/{path.name}"
        data, _, file_errors = read_yaml(path, display)
        if file_errors:
            errors += file_errors
            continue
        try:
            intent = IntentDef.model_validate(data)
        except Exception as exc:
            for err in getattr(exc, "errors", lambda: [])():
                errors.append(ContentError(display, err["msg"], field=".".join(map(str, err["loc"]))))
            continue
        if intent.intent not in known:
            errors.append(ContentError(display, f"unknown intent {intent.intent!r}", field="intent"))
        elif not all(isinstance(e, str) and e.strip() for e in intent.examples):
            errors.append(ContentError(display, "every example must be a non-empty line of text", field="examples"))
        else:
            intents.append(intent)
    missing = set(known) - {i.intent for i in intents}
    if missing and not errors:
        errors.append(ContentError("intents/", f"missing intent file(s): {', '.join(sorted(missing))}"))
    if errors:
        raise ContentErrors(errors)
    return intents


# How strongly each kind of evidence moves an intent's score (points on the 0..100 fuzzy scale).
PARTIAL_SHORTLIST = 60  # examples close enough by token_sort to be worth a partial ratio
SLOT_BONUS = 14.0
SLOT_PENALTY = 18.0


@dataclass(frozen=True)
class AskView:
    """What the matcher weighs for one ask: its words (codes and modifiers as placeholders) and the evidence the
    Case holds for it (bot.engine builds it from the Case)."""

    masked: str
    kinds: frozenset[str] = frozenset()  # the ask's cue kinds (which_code, indicator:glob_days, gap:mue ...)
    procedure_codes: list[str] = field(default_factory=list)
    anesthesia_codes: list[str] = field(default_factory=list)
    modifiers: list[str] = field(default_factory=list)
    icd_codes: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    indicator_fields: list[str] = field(default_factory=list)
    anesthesia_code_request: bool = False
    asks_what_code_is: bool = False
    asks_what_modifier_is: bool = False


@dataclass(frozen=True)
class IntentScore:
    intent: str
    score: float  # fuzzy similarity 0..100 plus entity and keyword points
    nearest: str  # the closest example question, for "did you mean"


class IntentMatcher:
    """`mask` reads a text the way the question is read (bot.nlu.reader.Reader.mask), so examples, keywords and
    the question are compared in the same words."""

    def __init__(self, intents: list[IntentDef], mask: Callable[[str], str], masked: dict[str, Any] | None = None):
        """`masked`: the examples, keywords and decisive phrases as `export()` wrote them at build time, reused
        so that start-up does not read 700 examples again; anything missing is masked here."""
        self.intents = {i.intent: i for i in intents}
        self._examples: list[str] = []
        self._masked: list[str] = []
        self._labels: list[str] = []
        done = masked or {}
        if done.get("texts") and not set(done["texts"]) >= {
            t for i in intents for t in (*i.examples, *i.keywords, *i.decisive)
        }:
            done = {}
        known: dict[str, str] = done.get("texts", {})
        mask_ = lambda t: known[t] if t in known else mask(t)  # noqa: E731
        self._keywords = {i.intent: [mask_(k) for k in i.keywords] for i in intents}
        self._long_keywords = {
            name: [k for k in kws if " " not in k and len(k) >= 6] for name, kws in self._keywords.items()
        }
        self._decisive = {i.intent: [f" {mask_(k)} " for k in i.decisive] for i in intents if i.decisive}
        for intent in intents:
            for example in intent.examples:
                self._examples.append(example)
                self._masked.append(mask_(example))
                self._labels.append(intent.intent)
        self._sorted = [" ".join(sorted(m.split())) for m in self._masked]
        # the kinds of ask that point at a coding intent: "which Q code?" is a coding question in any other words;
        # a bare "which code?" is asked of procedures the knowledge base may not hold, so the words still decide
        self._coding_asks = {
            k for i in intents if i.intent not in (OUT_OF_SCOPE, HELP) for k in i.asks if k != "which_code"
        }
        self.vocabulary = {
            w
            for i, text in zip(self._labels, self._masked, strict=True)
            if i != OUT_OF_SCOPE
            for w in text.split()
            if w not in STOPWORDS and not w.isdigit()
        } | {
            w
            for i, kws in self._keywords.items()
            if i != OUT_OF_SCOPE
            for k in kws
            for w in k.split()
            if w not in STOPWORDS and not w.isdigit()
        }

    @staticmethod
    def export(intents: list[IntentDef], mask: Callable[[str], str]) -> dict[str, Any]:
        """Every example, keyword and decisive phrase masked, for `kb build` to store."""
        return {"texts": {t: mask(t) for i in intents for t in (*i.examples, *i.keywords, *i.decisive)}}

    def _keyword_hit(self, intent: str, query: str, words: set[str]) -> bool:
        """A keyword phrase as whole words, or one long keyword word with a typo ("globel")."""
        padded = f" {query} "
        if any(f" {keyword} " in padded for keyword in self._keywords[intent]):
            return True
        long = self._long_keywords[intent]
        return bool(long) and any(process.extractOne(w, long, scorer=fuzz.ratio, score_cutoff=85) for w in words)

    def present_slots(self, ent: AskView) -> set[str]:
        return {slot for slot, present in SLOT_EVIDENCE if present(ent)}

    def in_domain(self, ent: AskView) -> bool:
        """Whether most of the question is coding vocabulary; typos of long words count."""
        if (
            self.present_slots(ent)
            or {k.split(":", 1)[0] for k in ent.kinds} & self._coding_asks
            or HELP in self.intents
            and self._keyword_hit(HELP, ent.masked, _long_words(ent.masked))
        ):
            return True  # a question about the bot itself is in scope, in whatever words
        words = [w for w in ent.masked.split() if w not in STOPWORDS]
        if not words:
            return True  # "what can you do?": nothing to judge by, let the examples decide
        known = sum(
            1
            for w in words
            if w in self.vocabulary
            or (len(w) >= 6 and process.extractOne(w, self.vocabulary, scorer=fuzz.ratio, score_cutoff=85))
        )
        return known / len(words) > 0.5

    def score(self, ent: AskView, exclude: int | None = None) -> list[IntentScore]:
        """All intents, best first. `exclude` leaves one example out (for cross-validation).

        A question with no entity and no word of coding vocabulary is out of scope outright: fuzzy
        scores between unrelated sentences are noise, not evidence.
        """
        query = ent.masked
        # Native scorers: token_sort over every example, the dearer partial ratio only on the closest ones; each
        # intent keeps its best three (an example outside the shortlist scores its token_sort alone).
        # token_sort_ratio is ratio over the words sorted; the examples are sorted once, at start
        ordered = " ".join(sorted(query.split()))
        order = process.extract(ordered, self._sorted, scorer=fuzz.ratio, processor=None, limit=None)
        short = [idx for _, _, idx in order[:PARTIAL_SHORTLIST] if idx != exclude]
        partials = {
            idx: p
            for _, p, idx in process.extract(
                ordered, {i: self._sorted[i] for i in short}, scorer=fuzz.partial_ratio, processor=None, limit=None
            )
        }
        best: dict[str, list[tuple[float, int]]] = {}
        plain: dict[str, int] = {}  # examples outside the shortlist kept per intent: sorted by sim, three suffice
        for n, (_, sim, idx) in enumerate(order):
            if idx == exclude:
                continue
            label = self._labels[idx]
            kept = best.setdefault(label, [])
            if idx in partials:
                kept.append((0.6 * sim + 0.4 * partials[idx] if query else 0.0, idx))
            elif plain.get(label, 0) < 3:
                kept.append((sim if query else 0.0, idx))
                plain[label] = plain.get(label, 0) + 1
            elif n >= PARTIAL_SHORTLIST and len(plain) == len(self.intents) and min(plain.values()) >= 3:
                break
        present = self.present_slots(ent)
        words = _long_words(query)
        scores = []
        for name, intent in self.intents.items():
            top = sorted(best.get(name, [(0.0, -1)]), reverse=True)[:3]
            fuzzy = sum(s for s, _ in top) / len(top)
            wanted = set(intent.slots)
            bonus = SLOT_BONUS * len(present & wanted) - SLOT_PENALTY * len(present - wanted - _WEAK_SLOTS)
            if intent.needs and not present & set(intent.needs):
                bonus -= SLOT_PENALTY
            if self._keyword_hit(name, query, words):
                bonus += intent.keyword_weight
            if intent.asks and {k.split(":", 1)[0] for k in ent.kinds} & set(intent.asks):
                bonus += intent.ask_weight
            nearest = self._examples[top[0][1]] if top[0][1] >= 0 else ""
            scores.append(IntentScore(name, max(0.0, fuzzy + bonus), nearest))
        settled = next(
            (name for name, phrases in self._decisive.items() if any(p in f" {query} " for p in phrases)), None
        )
        if settled is None and OUT_OF_SCOPE in self.intents and not self.in_domain(ent):
            settled = OUT_OF_SCOPE
        if settled:
            scores = [
                IntentScore(s.intent, 100.0 if s.intent == settled else min(s.score, 40.0), s.nearest) for s in scores
            ]
        return sorted(scores, key=lambda s: s.score, reverse=True)


def _long_words(text: str) -> set[str]:
    """The words long enough to be a keyword with a typo."""
    return {w for w in text.split() if len(w) >= 5}


# Which entities fill which slot.
SLOT_EVIDENCE: list[tuple[str, Callable[[AskView], bool]]] = [
    ("codes", lambda e: bool(e.procedure_codes)),
    ("code_pair", lambda e: len(e.procedure_codes) >= 2),
    ("anesthesia_codes", lambda e: bool(e.anesthesia_codes)),
    ("modifiers", lambda e: bool(e.modifiers)),
    ("modifier_request", lambda e: not e.modifiers and " modifier" in f" {e.masked}"),  # "..., which modifier?"
    ("icd_codes", lambda e: bool(e.icd_codes)),
    ("body_site", lambda e: bool(e.sites)),
    ("anesthesia_finding", lambda e: bool(e.findings)),
    ("indicator", lambda e: bool(e.indicator_fields)),
    ("anesthesia_code_request", lambda e: e.anesthesia_code_request),
    ("code_question", lambda e: e.asks_what_code_is),
    ("modifier_question", lambda e: e.asks_what_modifier_is),
    (
        "pair_question",
        lambda e: bool(e.kinds & {"compare", "meaning"}),
    ),  # "with or without anesthesia?", "does X count"
    ("sedation_question", lambda e: "sedation_code" in e.kinds),  # about the sedation codes, not the reduction's
]
OUT_OF_SCOPE = "out_of_scope"
HELP = "help"
STOPWORDS = set(
    "a an the is are was be i im me my we our you your it its this that of to in on at for from by as and or please "
    "can could would should do does did have has what whats which how when who there here just so if any some get "
    "got tell give know want need like about with without one".split()
)
# Slots that cost an intent nothing when it does not use them: they add evidence, never rule an intent out.
_WEAK_SLOTS = {
    "body_site",
    "anesthesia_finding",
    "code_pair",
    "code_question",
    "modifier_question",
    "pair_question",
    "sedation_question",
}
