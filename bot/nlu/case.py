"""The Case: everything the reader took from one question, typed, so nothing below it reads the text again.

A Case holds the question's segments (sentences and note sections), each fact with its status and the words it
came from, the codes and modifiers with their roles, and the asks in the order asked. Its properties resolve
what the facts add up to (the anesthesia in force, the side after a correction, who sedated), so every
composer decides from the same reading.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar, overload

Status = Literal["asserted", "negated", "hypothetical", "historical"]
CodeRole = Literal["asked", "proposed", "prior", "rejected", "mentioned", "compared"]
# A documented type or depth outranks what a drug usually gives ("propofol, moderate sedation documented").
_SPECIFIC_FIRST = (
    "general",
    "regional",
    "mac",
    "deep_sedation",
    "moderate_sedation",
    "minimal_sedation",
    "digital_block",
    "local",
    "topical",
    "anesthesia",
    "sedation",
    "none",
)
REQUIRING = {"general", "regional", "mac", "anesthesia"}
T = TypeVar("T")


class derived(Generic[T]):  # noqa: N801 - used like @property
    """A property of the Case worked out once per reading. Composers ask what the facts add up to (the sites,
    the families, the anesthesia in force) hundreds of times on a long note; the facts only grow while reading,
    so a value is kept until the fact list changes. A list comes back as a copy, so no caller changes the kept
    one."""

    def __init__(self, compute: Callable[[Case], T]) -> None:
        self.compute, self.name, self.__doc__ = compute, compute.__name__, compute.__doc__

    @overload
    def __get__(self, case: None, owner: type) -> derived[T]: ...
    @overload
    def __get__(self, case: Case, owner: type) -> T: ...
    def __get__(self, case: Case | None, owner: type) -> derived[T] | T:
        if case is None:
            return self
        memo = case._memo()
        if self.name not in memo:
            memo[self.name] = self.compute(case)
        value: T = memo[self.name]
        return list(value) if isinstance(value, list) else value  # type: ignore[return-value]


@dataclass
class Segment:
    index: int
    start: int
    end: int
    kind: Literal["sentence", "section"]
    role: str | None = None  # for a note section: what its value holds (anesthesia, sedation, ignore, ...)
    question: bool = False  # ends with a question mark
    greeting: bool = False  # nothing but greetings, thanks and ordinary words: not read


@dataclass
class Fact:
    category: str  # site, side, procedure, finding, drug, provider, setting, encounter, age, minutes, gap, topic ...
    concept: str
    words: str  # the words it was read from, as written
    start: int
    end: int
    segment: int
    status: Status = "asserted"
    correction: bool = False  # stated in a correction ("sorry, the LEFT one"): outranks what came before
    fuzzy: bool = False  # read through a typo
    value: float | None = None  # minutes, years
    attrs: dict[str, Any] = field(default_factory=dict)  # the lexicon concept's attributes

    @property
    def in_force(self) -> bool:
        return self.status == "asserted"


@dataclass
class CodeMention:
    code: str
    kind: str  # cpt | hcpcs | icd | pcs
    start: int
    end: int
    segment: int
    role: CodeRole = "mentioned"
    modifiers: list[str] = field(default_factory=list)  # hyphenated onto it ("27252-50-LT")
    wording: str | None = None  # a finding phrase right after it that names the code ("27250 without anesthesia")

    @property
    def is_anesthesia_code(self) -> bool:
        return self.kind == "cpt" and self.code[:2] in ("00", "01")


@dataclass
class ModifierMention:
    code: str
    start: int
    end: int
    segment: int
    explicit: bool  # written with "modifier", a dash, or onto a code
    target: str | None = None  # the code it goes on, when the text says
    status: Status = "asserted"


@dataclass
class CaseAsk:
    """One thing asked, with the words it was asked in and what it mentions itself."""

    start: int
    end: int
    segments: list[int]
    kinds: set[str] = field(default_factory=set)  # ask cue kinds: which_code, verify, compare, indicator:glob_days ...
    topics: set[str] = field(default_factory=set)  # encounter topics its cues are about ("which Q code": supply)
    codes: list[str] = field(default_factory=list)  # its own codes, then those of the case sentences it takes in
    own_codes: list[str] = field(default_factory=list)  # the codes in its own words
    modifiers: list[str] = field(default_factory=list)
    masked: str = ""  # its words, codes and modifiers as placeholders, for matching against example questions
    yes_no: bool = False  # asked as a yes-or-no question ("is the 23 needed?"): what it names is up for a verdict
    intent: str | None = None  # decided by the intent matcher
    confidence: float = 0.0

    @property
    def indicator_fields(self) -> list[str]:
        return [k.split(":", 1)[1] for k in sorted(self.kinds) if k.startswith("indicator:")]


@dataclass
class Case:
    text: str  # the question as read (cleaned and bounded)
    segments: list[Segment] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    codes: list[CodeMention] = field(default_factory=list)
    modifiers: list[ModifierMention] = field(default_factory=list)
    asks: list[CaseAsk] = field(default_factory=list)
    masked: str = ""  # the whole question with placeholders
    content: list[tuple[str, str, Status]] = field(default_factory=list)  # every word that carries meaning, in order,
    # with what the lexicon read it as ("site", "procedure:reduction", ...; "" when nothing did) and its status
    search_words: list[str] = field(default_factory=list)  # content words no lexicon entry took, not negated
    search_segments: list[int] = field(default_factory=list)  # the sentence each search word is in
    unknown_words: list[str] = field(default_factory=list)  # words neither the lexicon nor the vocabulary knows
    common_words: list[str] = field(default_factory=list)  # words too common in ICD-10-CM to search by alone
    said_of_codes: list[str] = field(default_factory=list)  # "an unspecified toe code": not the injury's words
    greeting: bool = False  # it said hello (or thanks) somewhere
    only_thanks: bool = False  # it said nothing but thanks
    phi: bool = False
    truncated: bool = False
    _index: dict[str, list[Fact]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    _read_from: tuple[list[Fact] | None, int] = field(default=(None, -1), init=False, repr=False, compare=False)

    @property
    def content_words(self) -> list[str]:
        """The words in force: a negated one is left out ("not the thumb" must not pull the thumb code)."""
        return [w for w, read_as, status in self.content if status != "negated" and read_as != "context"]

    # -- facts ------------------------------------------------------------------------------------
    def of(self, category: str, *, status: Status | None = "asserted") -> list[Fact]:
        """Facts of a category, in order; by default only those in force, and a correction's over earlier ones."""
        facts = self._by_category().get(category, [])
        return [f for f in facts if status is None or f.status == status]

    def _by_category(self) -> dict[str, list[Fact]]:
        """The facts grouped by category: composers ask `of` thousands of times on a long note."""
        self._memo()
        if not self._index:
            for f in self.facts:
                self._index.setdefault(f.category, []).append(f)
        return self._index

    def _memo(self) -> dict[str, Any]:
        """What has been worked out from the facts, emptied when the fact list changed (facts are only ever
        appended, or the list replaced, while reading). The list itself is held, so its identity cannot be
        reused by another."""
        facts, size = self._read_from
        if facts is not self.facts or size != len(self.facts):
            self._index, self._derived = {}, {}
            self._read_from = (self.facts, len(self.facts))
        return self._derived

    def concepts(self, category: str) -> list[str]:
        out: list[str] = []
        for f in self.of(category):
            if f.concept not in out:
                out.append(f.concept)
        return out

    def has(self, category: str, concept: str) -> bool:
        return any(f.concept == concept for f in self.of(category))

    def negated(self, category: str) -> list[str]:
        return [f.concept for f in self.of(category, status="negated")]

    def _latest(self, category: str) -> Fact | None:
        facts = self.of(category)
        corrected = [f for f in facts if f.correction]
        return (corrected or facts)[-1] if facts else None

    # -- what the facts add up to ---------------------------------------------------------------------
    @derived
    def findings(self) -> list[str]:
        """The anesthesia or sedation the note documents, most specific first: a correction outranks what it
        corrects; negated anesthesia or sedation is none; a separate anesthesia practitioner with nothing
        documented is at least monitored anesthesia care. A drug's usual depths are apart (drug_depths)."""
        stated = self.of("finding")
        corrected = [f for f in stated if f.correction]
        if corrected:
            stated = corrected
        found = [f.concept for f in stated]
        negated = self.negated("finding") + self.negated("mention")
        if not found and any(n in ("anesthesia", "sedation") for n in negated):
            found.append("none")
        ordered = sorted(dict.fromkeys(found), key=lambda f: _SPECIFIC_FIRST.index(f) if f in _SPECIFIC_FIRST else 99)
        if len(ordered) > 1 and "none" in ordered:
            ordered.remove("none")  # "no sedation ... reduced under general": general is what was given
        if not ordered and self.anesthesia_provider and not self.of("drug"):
            ordered.append("mac")  # a separate anesthesia practitioner gave it: at least monitored anesthesia care
        return ordered

    @derived
    def drug_depths(self) -> list[list[str]]:
        """For each drug given, the depths it usually gives (propofol: moderate or deep); read only when the
        note documents no type or depth."""
        if self.anesthesia_provider and any(f.concept == "propofol" for f in self.of("drug")):
            return [["mac"]]  # propofol run by an anesthesia practitioner is monitored anesthesia care
        return [[str(d) for d in f.attrs.get("depths") or []] for f in self.of("drug")]

    @derived
    def conflicting(self) -> bool:
        """The note says both that there was no anesthesia and that there was ("Anesthesia: none", then "under
        general by the CRNA"): the decisive fact is contradictory, so it is asked for."""
        stated = self.of("finding")
        if any(f.correction for f in stated):
            return False
        said_none = any(
            f.concept == "none" and (f.attrs.get("section") == "anesthesia" or "anesth" in f.words.lower())
            for f in stated
        ) or "anesthesia" in self.negated("mention")
        return said_none and any(f.concept in REQUIRING for f in stated)

    @derived
    def stated_findings(self) -> list[str]:
        """Anesthesia or sedation the note states (a type, a depth or a drug), not inferred from who was there."""
        drugs = [d for depths in self.drug_depths for d in depths]
        return self.findings + drugs if (self.of("finding") or drugs or self.negated("mention")) else []

    @derived
    def excluded_findings(self) -> list[str]:
        """Types the note says were not given ("not under GA")."""
        return [c for c in self.negated("finding") if c not in ("anesthesia", "sedation")]

    @derived
    def anesthesia_provider(self) -> bool:
        return any(f.attrs.get("role") == "anesthesia" for f in self.of("provider"))

    @derived
    def sides(self) -> list[str]:
        latest = self._latest("side")
        if latest is None:
            return []
        if latest.correction:
            return [latest.concept]
        return self.concepts("side")

    @derived
    def side(self) -> str | None:
        """The one side: a correction's, else the only one named, else the first."""
        sides = self.sides
        latest = self._latest("side")
        if len(sides) == 1 or (sides and latest is not None and latest.correction):
            return sides[-1]
        return sides[0] if sides else None

    @derived
    def sites(self) -> list[str]:
        """Body sites (as codes name them), in the order named, negated ones left out."""
        out: list[str] = []
        for f in self.of("site"):
            site = str(f.attrs.get("site"))
            if site not in out:
                out.append(site)
        return out

    @derived
    def joints(self) -> list[Fact]:
        return [f for f in self.of("site") if f.attrs.get("kind") in ("joint", "qualifier")]

    @derived
    def condition(self) -> str | None:
        """What was treated: fracture, dislocation, or fracture_dislocation (both, or one named as both:
        "Monteggia", "fracture-dislocation"); None when the note does not say."""
        conditions = set(self.procedures("condition"))
        named = {f.attrs.get("condition") for f in self.joints}  # "distal radius", "Jones fracture", "Monteggia"
        fracture = "fracture" in conditions or "fracture" in named
        dislocated = bool({"dislocation", "subluxation"} & conditions)
        if "fracture-dislocation" in conditions or "fracture_dislocation" in named or (fracture and dislocated):
            return "fracture_dislocation"
        return "fracture" if fracture else "dislocation" if dislocated else None

    @derived
    def families(self) -> list[str]:
        """Code families the joints decide ("MCP" is the MCP pair, "THA" a replacement's dislocation). A fracture
        joint ("distal radius") decides only when a fracture is described, a dislocation joint ("radial head":
        a pulled elbow) only when a fracture alone is not."""
        out: list[str] = []
        sites = set(self.sites)
        places = sites | {f.concept for f in self.of("site")}  # by_site may name a site entry: "great-toe" first
        condition = self.condition
        for f in self.joints:
            named = f.attrs.get("condition")
            if (
                named != "fracture_dislocation"
                and condition != "fracture_dislocation"
                and ((named == "fracture") != (condition == "fracture"))
            ):
                continue
            by_site = f.attrs.get("by_site") or {}
            family = next((fam for s, fam in by_site.items() if s in places and s != f.attrs.get("site")), None)
            family = family or f.attrs.get("family") or (by_site.get(str(f.attrs.get("site"))) if by_site else None)
            if f.attrs.get("kind") == "qualifier" and f.attrs.get("site") not in sites - {None}:
                continue
            if any(self.has("procedure", c) for c in f.attrs.get("unless") or []):
                continue  # "dislocated before, but this time he fell": a new injury is traumatic
            if family and family not in out:
                out.append(str(family))
        return out

    @property
    def encounter(self) -> str | None:
        latest = self._latest("encounter")
        return str(latest.attrs.get("character")) if latest else None

    @property
    def age(self) -> float | None:
        """The patient's age: a number given ("6 yo", "the patient is 14", a correction outranking it) before a
        word that only suggests one ("child", "adult")."""
        ages = self.of("age")
        stated = [f for f in ages if f.concept in ("years", "months")]
        chosen = [f for f in stated or ages if f.correction] or stated or ages
        return chosen[-1].value if chosen else None

    @property
    def minutes(self) -> float | None:
        facts = self.of("minutes")
        corrected = [f for f in facts if f.correction]
        chosen = corrected or facts
        return max(f.value or 0 for f in chosen) if chosen else None

    @property
    def settings(self) -> list[str]:
        return self.concepts("setting")

    @property
    def facility(self) -> bool | None:
        values = [f.attrs.get("facility") for f in self.of("setting") if f.attrs.get("facility") is not None]
        return bool(values[-1]) if values else None

    def procedures(self, kind: str) -> list[str]:
        """The procedure concepts of a kind the note states, and those it states by negating another ("not
        medically directed": the `negated` concept of medical-direction)."""
        stated = [f.concept for f in self.of("procedure") if f.attrs.get("kind") == kind]
        negated = [
            str(f.attrs["negated"])
            for f in self.of("procedure", status="negated")
            if f.attrs.get("kind") == kind and f.attrs.get("negated")
        ]
        return stated + [c for c in negated if c not in stated]

    @derived
    def approach(self) -> str | None:
        """closed, percutaneous (pins or screws through the skin), open, or failed_closed_then_open (an attempt
        that failed, then open treatment)."""
        approaches = self.procedures("approach")
        failed = bool(self.procedures("sequence"))
        if "open" in approaches and (failed or "closed" in approaches):
            return "failed_closed_then_open" if failed else "open"
        if "open" in approaches:
            return "open"
        if "percutaneous" in approaches:
            return "percutaneous"
        return "closed" if approaches or self.procedures("reduction") or self.procedures("self_reduced") else None

    @derived
    def manipulation(self) -> bool | None:
        """True when manipulated or reduced, False when it was explicitly not (or went back by itself)."""
        if self.has("procedure", "no-manipulation") or (
            self.procedures("self_reduced") and not self.has("procedure", "manipulation")
        ):
            return False
        if self.procedures("manipulation") or self.procedures("reduction"):
            return True
        if any(f.concept in ("manipulation", "reduction") for f in self.of("procedure", status="negated")):
            return False
        return None

    @derived
    def sedation_by(self) -> str | None:
        """Who gave the sedation: same (the physician doing the procedure), other (another physician), or
        anesthesia (a separate anesthesia practitioner); None when the note does not say. Said outright ("by
        a second physician", "himself"), or read from who is named beside the sedation and beside the
        reduction ("the ED doc sedated while ortho reduced")."""
        roles = [f.attrs.get("role") for f in self.of("provider")]
        # said beside the sedation: in a correction, else in the first sentence that says it; there, another
        # physician outranks the same one. An emphatic "himself" away from the reduction ("wants 27250 for
        # himself"), and the words in other sentences, wait for the doers.
        sedation = {f.segment for f in self._sedation_acts()}
        reduction = {f.segment for f in self.of("procedure") if f.attrs.get("kind") in ("reduction", "manipulation")}
        beside = [
            f
            for f in self.of("provider")
            if f.attrs.get("role") in ("same_physician", "other_physician")
            and (not f.attrs.get("emphatic") or f.segment in reduction)  # "sedated when he reduced it himself"
            and (f.segment in sedation or f.attrs.get("names_the_sedation"))  # "did both"
        ]
        corrected = [f for f in beside if f.correction]
        first = corrected or [f for f in beside if f.segment == beside[0].segment] if beside else []
        said = {f.attrs.get("role") for f in first}
        if "other_physician" in said:
            return "other"
        if "same_physician" in said:
            return "same"
        sedator, reducer = self.doer("sedation"), self.doer("reduction")
        if sedator is not None and sedator.attrs.get("role") == "anesthesia":
            return "anesthesia"
        if sedator is not None and reducer is not None:
            return "same" if sedator.concept == reducer.concept else "other"
        if "same_physician" in roles:
            return "same"
        if "other_physician" in roles:
            return "other"
        return "anesthesia" if "anesthesia" in roles else None

    def _sedation_acts(self) -> list[Fact]:
        return [
            f
            for f in self.of("finding") + self.of("drug") + self.of("mention")
            if "sedation" in f.concept or f.category == "drug"
        ]

    def doer(self, what: str) -> Fact | None:
        """The provider named nearest to the sedation (or the reduction), in the same sentence."""
        if what == "sedation":
            acts = self._sedation_acts()
        else:
            acts = [f for f in self.of("procedure") if f.attrs.get("kind") in ("reduction", "manipulation")]
        providers = [
            p
            for p in self.of("provider")
            if p.attrs.get("role") in ("emergency", "surgeon", "nonphysician", "anesthesia")
        ]
        best: tuple[int, Fact] | None = None
        for act in acts:
            for p in providers:
                if p.segment != act.segment:
                    continue
                if p.start >= act.end:  # after the act only as its agent: "sedation by the ED doc"
                    between = self.text[act.end : p.start].lower().split()
                    if "by" not in between[-3:]:
                        continue
                    distance = p.start - act.end
                else:  # before it, as its subject: "the ED physician did the sedation"
                    distance = act.start - p.end
                if distance <= 80 and (best is None or distance < best[0]):
                    best = (distance, p)
        return best[1] if best else None

    @property
    def topics(self) -> list[str]:
        """The encounter topics: named ("the splint") or asked about ("which Q code?" is about the supplies)."""
        return [
            "radiologist" if self._the_radiologists(f) else f.concept
            for f in self.of("procedure")
            if f.attrs.get("kind") == "topic"
        ] + [str(f.attrs["topic"]) for f in self.of("ask") if f.attrs.get("topic")]

    def _the_radiologists(self, report: Fact) -> bool:
        """A written report the radiologist wrote ("the radiologist's formal report comes the next day"): the
        radiologist's read, not the treating physician's report."""
        if report.concept != "written-report":
            return False
        before = [
            f
            for f in self.of("provider") + self.of("procedure")
            if f.segment == report.segment and f.end <= report.start and report.start - f.end <= 30
        ]
        return bool(before) and max(before, key=lambda f: f.end).concept == "radiologist"

    @property
    def icd_words(self) -> list[str]:
        """The words an ICD-10-CM search looks for: what the sites, joints and conditions are called there (a
        joint's words in place of its region's: "radial head", not "elbow"), then the words no lexicon entry
        took ("posterior", "obturator")."""
        facts, out, _ = self._icd_facts_and_names()
        clinical = {f.segment for f in facts}  # words from sentences about the injury, not the chatter around it
        return out + [
            w
            for w, seg in zip(self.search_words, self.search_segments, strict=True)
            if w not in out and seg in clinical
        ]

    @property
    def icd_names(self) -> list[str]:
        """What the lexicon says ICD-10-CM calls the sites and conditions named ("prosthesis" for a total hip):
        the words a code must have, where the rest of icd_words ("posterior") only tell codes apart."""
        return self._icd_facts_and_names()[2]

    def _icd_facts_and_names(self) -> tuple[list[Fact], list[str], list[str]]:
        from bot.nlu.tokens import words

        facts = [
            f
            for f in self.of("site") + self.of("procedure") + self.of("side")
            if f.attrs.get("icd_words") or f.category == "site"
        ]
        regions_with_joint = {f.attrs.get("site") for f in facts if f.attrs.get("kind") == "joint"}
        out: list[str] = []
        names: list[str] = []
        for f in facts:
            typed = list(words(f.words)) if f.category == "site" else []
            synonyms = (
                []
                if f.attrs.get("kind") == "site" and f.attrs.get("site") in regions_with_joint
                else [w for phrase in f.attrs.get("icd_words") or [] for w in str(phrase).split()]
            )
            out += [w for w in typed + synonyms if w not in out]
            names += [w for w in synonyms if w not in names]
        return facts, out, names

    @property
    def gaps(self) -> list[Fact]:
        return self.of("gap")

    # -- codes --------------------------------------------------------------------------------------
    def code_list(self, *roles: CodeRole, kinds: tuple[str, ...] = ("cpt", "hcpcs")) -> list[str]:
        out: list[str] = []
        for c in self.codes:
            if c.kind in kinds and (not roles or c.role in roles) and c.code not in out:
                out.append(c.code)
        return out

    def ask_codes(self, item: CaseAsk, earlier: list[str] | None = None) -> list[str]:
        """CPT and HCPCS codes an ask is about: its own, else those the message names (not a rejected one), else
        a prior procedure's, else those an earlier ask's answer recommended ("which code, and is there bilateral
        payment on it?"). A code named only for comparison ("25 like the native hip 27250") comes last."""
        known = self.code_list()
        compared = [c for c in known if all(m.role == "compared" for m in self.codes if m.code == c)]
        own = [c for c in item.codes if c in known and c not in compared]
        return (
            own
            or self.code_list("asked", "proposed", "mentioned")
            or self.code_list("prior")
            or list(earlier or [])
            or [c for c in item.codes if c in known]
        )

    @property
    def procedure_codes(self) -> list[str]:
        return [c for c in self.code_list() if not (c[:2] in ("00", "01") and c.isdigit())]

    @property
    def anesthesia_codes(self) -> list[str]:
        return [c for c in self.code_list() if c[:2] in ("00", "01") and c.isdigit()]

    @property
    def icd_codes(self) -> list[str]:
        return self.code_list(kinds=("icd",))

    @property
    def pcs_codes(self) -> list[str]:
        return self.code_list(kinds=("pcs",))

    @property
    def proposed(self) -> list[str]:
        return self.code_list("proposed")

    @property
    def modifier_codes(self) -> list[str]:
        out: list[str] = []
        for m in self.modifiers:
            if m.status != "negated" and m.code not in out:
                out.append(m.code)
        return out
