"""Content models for the curated knowledge base.

Coding leads edit YAML under `knowledge/`; every record is validated against these models on load,
so a typo is caught with its file, entry and field rather than surfacing as a wrong answer later.
Every fact carries `sources` (ids from `knowledge/sources.yaml`); guidance that is reasoning rather than
something read in a source is marked `status: inference`, and open questions `status: unconfirmed`.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from bot.nlu.lexicon import FindingId

System = Literal["CPT", "HCPCS", "ICD-10-CM"]
Anesthesia = Literal["none", "required", "not_applicable"]
Approach = Literal["closed", "open", "percutaneous", "not_applicable"]
Status = Literal["confirmed", "inference", "unconfirmed"]
Verdict = Literal["fits", "does_not_fit", "depends"]
# Authority of a publication: primary = CMS manuals and data files, the NCCI Policy Manual, CDC/NCHS and the
# ICD-10-CM Official Guidelines, MAC articles, AMA CPT publications, statute and CFR; secondary = AAPC,
# SuperCoder, ACEP, AAOS and other society or payer publications; tertiary = forums, blogs, vendor and
# code-lookup pages.
Tier = Literal["primary", "secondary", "tertiary"]
# What a note can say about how the reduction was done; drives the anesthesia distinction. One list, the
# lexicon's: a finding the reader can read is a finding the content may decide on.
Finding = FindingId

CPT_RE = re.compile(r"^(\d{5}|\d{4}[FTU])$")
HCPCS_RE = re.compile(r"^[A-V]\d{4}$")
ICD_RE = re.compile(r"^[A-TV-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?$")
MODIFIER_RE = re.compile(r"^([0-9]{2}|[A-Z][A-Z0-9]|[0-9][A-Z])$")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


class Strict(BaseModel):
    """Unknown keys are errors: a misspelt field must not be silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# Fields only curators see: never shown in an answer, and not held to the wording rules of the fields users see.
CURATOR_FIELDS = frozenset({"copy_url", "copy_note", "curator_notes", "brief_ref", "licence"})


class Source(Strict):
    """A publication a fact cites. `title`, `publisher`, `edition` and `url` are what a coder shows an auditor:
    the publication itself (title with chapter and section, its revision or date, its official address). How we
    read it, when that was a copy, stays in the curator-only `copy_url` and `copy_note`."""

    id: str
    title: str
    publisher: str
    edition: str = Field(description="Edition, revision, release or publication date, as the publication states it")
    url: str | None = Field(default=None, description="The publication's official address (never a copy)")
    licence: str = Field(description="What we may take from it: facts only, public domain, licensed, ...")
    tier: Tier = Field(description="Authority: primary, secondary or tertiary (see Tier)")
    kind: Literal["primary", "secondary"] | None = Field(
        default=None, description="Older two-way label, kept for readers of it: derived from tier"
    )
    copy_url: str | None = Field(default=None, description="Curator only: the copy we actually read")
    copy_note: str | None = Field(default=None, description="Curator only: how and where the wording was read")
    brief_ref: str | None = Field(default=None, description="Tag in the research brief, e.g. S19")

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError("use lower-case letters, digits, '.', '_' or '-'")
        return v

    @model_validator(mode="before")
    @classmethod
    def _kind_from_tier(cls, data: object) -> object:
        if (
            isinstance(data, dict)
            and data.get("kind") is None
            and data.get("tier") in ("primary", "secondary", "tertiary")
        ):
            data = {**data, "kind": "primary" if data["tier"] == "primary" else "secondary"}
        return data

    @model_validator(mode="after")
    def _kind_matches_tier(self) -> Source:
        if self.kind != ("primary" if self.tier == "primary" else "secondary"):
            raise ValueError(f"kind {self.kind!r} contradicts tier {self.tier!r}: leave kind out, it follows the tier")
        return self


class UnreliableSource(Strict):
    """A site or page the research found wrong: any source whose URL contains `match` is refused."""

    match: str
    reason: str


class Note(Strict):
    """One extra fact or caveat, with its own sources and how sure we are of it."""

    text: str
    status: Status = "confirmed"
    sources: list[str] = Field(min_length=1)


class Code(Strict):
    code: str
    system: System
    title: str = Field(description="Short title in our own words (never the AMA descriptor)")
    summary: str = Field(description="Plain-language summary in our own words")
    body_site: str | None = None
    approach: Approach = "not_applicable"
    anesthesia: Anesthesia = "not_applicable"
    family: str | None = None
    condition: Literal["dislocation", "fracture", "fracture_dislocation"] | None = Field(
        default=None,
        description="What the code treats, for procedure codes: a question about a fracture is "
        "answered from fracture codes, one about a dislocation from dislocation codes",
    )
    related: list[str] = []
    aliases: list[str] = Field(default=[], description="What coders type for this service")
    effective_from: date | None = None
    effective_to: date | None = Field(default=None, description="Last day the code could be reported: a deleted code")
    deleted: bool = Field(
        default=False, description="No longer in the code set; effective_to says since when, if known"
    )
    replaced_by: list[str] = Field(default=[], description="For a deleted code: what is reported instead today")
    notes: list[Note] = []
    curator_notes: list[str] = Field(
        default=[], description="Curator only, never shown: history, disagreements, to-dos"
    )
    sources: list[str] = Field(min_length=1)

    @property
    def is_deleted(self) -> bool:
        return self.deleted or self.effective_to is not None

    @model_validator(mode="after")
    def _code_matches_system(self) -> Code:
        pattern = {"CPT": CPT_RE, "HCPCS": HCPCS_RE, "ICD-10-CM": ICD_RE}[self.system]
        if not pattern.match(self.code):
            raise ValueError(f"{self.code!r} is not a valid {self.system} code")
        return self


class Option(Strict):
    """One code of a distinction and, in our words, when it is the right one."""

    code: str
    when: str


class FindingRule(Strict):
    """How one documented anesthesia/sedation finding decides between the codes of a pair."""

    finding: Finding
    picks: Literal["without", "requiring", "unclear"]
    add_codes: list[str] = Field(default=[], description="Codes reported in addition, e.g. moderate sedation")
    text: str
    status: Status = "confirmed"
    sources: list[str] = Field(min_length=1)
    sedation_codes: Note | None = Field(
        default=None,
        description="What this finding means for the moderate sedation codes, when that is settled apart from "
        "the pair (deep sedation: the pair is unsettled, the sedation codes surely do not apply)",
    )


class Position(Strict):
    """One side of a conflict between sources; listed most recent and most authoritative first."""

    statement: str
    year: int | None = None
    status: Status = "confirmed"
    sources: list[str] = Field(min_length=1)


class Guidance(Strict):
    """Shared decision guidance that several distinctions point at (e.g. what 'requiring anesthesia' means)."""

    id: str
    title: str
    rule: str
    findings: list[FindingRule] = []
    positions: list[Position] = []
    sources: list[str] = Field(min_length=1)


class Distinction(Strict):
    id: str
    title: str
    kind: Literal["anesthesia", "approach", "manipulation", "cause", "fracture_dislocation"]
    family: str
    body_site: str
    options: list[Option] = Field(min_length=2)
    rule: str
    guidance: str | None = Field(default=None, description="id of a Guidance record")
    notes: list[Note] = []
    sources: list[str] = Field(min_length=1)


# What a question can show that calls for a modifier, read from the Case (bot.respond.situations)
CaseSituation = Literal[
    "anesthesia_by_surgeon",
    "bilateral",
    "surgical_care_only",
    "postoperative_care_only",
    "anesthesiologist_alone",
    "anesthetist_directed",
    "anesthetist_not_directed",
    "directing_concurrent",
    "directing_one",
    "supervising_more_than_four",
    "monitored_anesthesia_care",
    "physical_status_1",
    "physical_status_2",
    "physical_status_3",
    "physical_status_4",
    "physical_status_5",
    "physical_status_6",
]


class Modifier(Strict):
    code: str
    kind: Literal["CPT", "HCPCS"]
    side: Literal["right", "left"] | None = Field(default=None, description="The side it says (RT, LT)")
    digit: str | None = Field(
        default=None,
        pattern=r"^(finger|toe)-[1-5]$",
        description="The digit it names, with side: finger-1 (the thumb) to toe-5",
    )
    name: str
    meaning: str
    use_when: list[str] = []
    not_when: list[str] = []
    medicare: str | None = None
    other_payers: str | None = None
    aliases: list[str] = []
    on_visit: bool = Field(
        default=False,
        description="Appended to the E/M visit and judged by the global days of the procedure done with it "
        "(24, 25, 57): the verdict names the visit code, not the procedure's",
    )
    situations: list[CaseSituation] = Field(
        default=[],
        description="Situations the reader can tell from a question that call for this modifier "
        "(bot.respond.situations says how each is read): 'anesthesia_by_surgeon' for 47",
    )
    notes: list[Note] = []
    curator_notes: list[str] = Field(
        default=[], description="Curator only, never shown: history, disagreements, to-dos"
    )
    sources: list[str] = Field(min_length=1)

    @field_validator("code")
    @classmethod
    def _modifier(cls, v: str) -> str:
        if not MODIFIER_RE.match(v):
            raise ValueError(f"{v!r} is not a two-character modifier")
        return v


class ModifierRule(Strict):
    """A curated verdict on a modifier for some codes: where CMS indicators do not decide."""

    id: str
    modifier: str
    codes: list[str] = []
    families: list[str] = []
    anesthesia: Anesthesia | None = Field(
        default=None, description="Applies to every curated code with this anesthesia status"
    )
    verdict: Verdict
    why: str
    instead: list[str] = Field(default=[], description="What to report instead: ['27252-47'], or a modifier ['25']")
    status: Status = "confirmed"
    sources: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _has_target(self) -> ModifierRule:
        if not (self.codes or self.families or self.anesthesia):
            raise ValueError("a rule needs codes, families or anesthesia to apply to")
        return self


class IndicatorValue(Strict):
    value: str
    meaning: str


class IndicatorRule(Strict):
    """What one indicator value means for a modifier (bilateral indicator 1 -> modifier 50 fits ...)."""

    modifier: str
    values: list[str]
    verdict: Verdict
    why: str
    instead: list[str] = Field(default=[], description="Modifiers to use instead, e.g. ['25'] for 57 on a 000 global")
    sources: list[str] = Field(
        default=[], description="What supports this decision; when empty, the indicator's own sources are cited"
    )


class Indicator(Strict):
    """An MPFS RVU-file indicator column, its values' meanings, and the modifiers it decides."""

    field: Literal["status", "glob_days", "mult_proc", "bilat_surg", "asst_surg", "co_surg", "team_surg", "pctc"]
    name: str
    values: list[IndicatorValue]
    decides: list[IndicatorRule] = []
    sources: list[str] = Field(min_length=1)


class AnesthesiaSite(Strict):
    """The anesthesia code whose own descriptor covers a body site; the ASA Crosswalk confirms the pairing."""

    site: str
    anesthesia_codes: list[str] = Field(min_length=1)
    families: list[str] = Field(min_length=1)
    descriptor_check: str
    status: Status
    notes: list[Note] = []
    sources: list[str] = Field(min_length=1)


class SedationRow(Strict):
    """Moderate sedation codes for one kind of sedating provider (knowledge/sedation_rules.yaml)."""

    who: Literal["same", "other"]
    under_5: str
    five_and_over: str
    add_on: str
    sources: list[str] = Field(min_length=1)


class SedationTime(Strict):
    minimum_minutes: int = Field(ge=0, le=60)
    first_minutes: int = Field(ge=1, le=60)
    add_on_minutes: int = Field(ge=1, le=60)
    sources: list[str] = Field(min_length=1)


EncounterTopic = Literal["splint", "cast", "strapping", "supply", "imaging", "em", "global", "fracture"]
EncounterReport = Literal["report", "do_not_report", "report_with_modifier", "depends"]
CODE_OR_RANGE_RE = re.compile(r"^(?P<start>\d{5}|\d{4}[FTU]|[A-V]\d{4})(-(?P<end>\d{5}|\d{4}[FTU]|[A-V]\d{4}))?$")


def code_range(item: str) -> tuple[str, str] | None:
    """("29000", "29799") for "29000-29799", ("29125", "29125") for a single code, None if neither."""
    match = CODE_OR_RANGE_RE.match(item)
    if not match:
        return None
    start = match.group("start")
    return start, match.group("end") or start


def _same_kind(a: str, b: str) -> bool:
    """Both ends of a range are the same kind of code: five digits, four digits and the same letter, or the
    same HCPCS letter (Q4001-Q4051)."""
    if a.isdigit() and b.isdigit():
        return True
    if a[0].isalpha() and b[0].isalpha():
        return a[0] == b[0]
    return a[-1].isalpha() and b[-1].isalpha() and a[-1] == b[-1]


class AppliesWhen(Strict):
    """What the Case must show for an encounter rule to be the one that answers: every condition given holds.
    Topics, procedures and providers are lexicon concept ids (knowledge/lexicon), checked by `kb validate`."""

    topics: list[str] = Field(default=[], description="At least one of these topics is in the question")
    also: list[str] = Field(default=[], description="And at least one of these topics too")
    not_topics: list[str] = Field(default=[], description="None of these topics")
    procedures: list[str] = Field(default=[], description="At least one of these procedure concepts (open-injury, ...)")
    providers: list[str] = Field(default=[], description="At least one of these providers is named (staff, ...)")
    condition: list[Literal["fracture", "dislocation", "fracture_dislocation", "none"]] = Field(
        default=[], description="What was treated, as the reader tells it; none: neither a fracture nor a dislocation"
    )
    approach: list[Literal["closed", "percutaneous", "open"]] = []
    sites: list[str] = Field(default=[], description="At least one of these body sites (as codes name them)")
    families: list[str] = Field(default=[], description="At least one of these code families")
    families_all: list[str] = Field(default=[], description="All of these code families")
    treated: bool | None = Field(
        default=None,
        description="Whether the physician asked about reduced or treated "
        "the fracture or dislocation (false: someone else does, or only first care was given)",
    )
    several: bool | None = Field(default=None, description="Two or more fractures, digits or injuries")
    global_days: list[str] = Field(default=[], description="The treatment code's CMS global period is one of these")


def covered_by(items: list[str], code: str) -> bool:
    """Whether `code` is one of `items` (codes or inclusive ranges, "29000-29799") or falls in one of the ranges."""
    return _covered(tuple(items), code.strip().upper())


@lru_cache(maxsize=65_536)
def _covered(items: tuple[str, ...], code: str) -> bool:
    """covered_by(), remembered: the encounter rules ask it hundreds of times for one long question."""
    for item in items:
        start, end = code_range(item) or (item, item)
        if len(code) == len(start) and _same_kind(code, start) and start <= code <= end:
            return True
    return False


class CodeGroup(Strict):
    """A named group of codes the answers tell apart (knowledge/code_groups.yaml): the fracture and dislocation
    treatment codes, the E/M visits. A coding lead widens a range here, not in Python."""

    id: str
    title: str = Field(description="What the codes are, in our own words")
    codes: list[str] = Field(min_length=1, description="Codes or inclusive ranges")

    def covers(self, code: str) -> bool:
        return covered_by(self.codes, code)


class EncounterRule(Strict):
    """A rule for a service around the reduction or fracture care (knowledge/encounter.yaml): the splint, the
    cast and its supplies, the x-ray read, the E/M that day, the global period and who follows the patient.

    `codes` names the services the rule is about, as codes or inclusive ranges ("29000-29799"); `report` says
    what to do with them; `modifiers` are the ones to append when `report` is report_with_modifier (or that the
    rule is about); `instead` is what to report in their place, as codes with modifiers ("99283-25").
    """

    id: str
    topic: EncounterTopic
    title: str = Field(description="Short title in our own words")
    situation: str = Field(description="When the rule applies, in plain words")
    setting: Literal["any", "office", "facility", "emergency_department"] = "any"
    scope: Literal["medicare", "cpt", "medicare_and_cpt", "payer_varies"] = "medicare_and_cpt"
    codes: list[str] = Field(min_length=1, description="Codes or inclusive ranges the rule is about")
    report: EncounterReport
    modifiers: list[str] = Field(default=[], validate_default=True)
    modifiers_on: list[str] = Field(
        default=[], description="The codes or ranges the modifiers go on; empty: the rule's codes"
    )
    instead: list[str] = Field(default=[], description="What to report instead, e.g. ['99283-25', '29125']")
    rule: str = Field(description="What to do and why, in our own words")
    effective_from: date | None = Field(default=None, description="First day the rule applies, for a policy change")
    status: Status = "confirmed"
    positions: list[Position] = Field(default=[], description="Where sources disagree, most authoritative first")
    notes: list[Note] = []
    applies_when: AppliesWhen | None = Field(
        default=None,
        description="What the question must show for the rule to "
        "answer it; without it the rule answers only questions naming its codes",
    )
    sources: list[str] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError("use lower-case letters, digits, '.', '_' or '-'")
        return v

    @field_validator("codes", "modifiers_on")
    @classmethod
    def _codes(cls, values: list[str]) -> list[str]:
        for item in values:
            ends = code_range(item)
            if ends is None:
                raise ValueError(f"{item!r} is not a CPT or HCPCS code or a range like '29000-29799'")
            start, end = ends
            if not _same_kind(start, end) or start > end:
                raise ValueError(f"{item!r} is not a range: both ends must be the same kind of code, the lower first")
        return values

    @field_validator("modifiers")
    @classmethod
    def _modifiers(cls, values: list[str], info: ValidationInfo) -> list[str]:
        for v in values:
            if not MODIFIER_RE.match(v):
                raise ValueError(f"{v!r} is not a two-character modifier")
        if info.data.get("report") == "report_with_modifier" and not values:
            raise ValueError("report: report_with_modifier needs the modifiers to append")
        return values

    def covers(self, code: str) -> bool:
        """Whether `code` is one of the rule's codes or falls in one of its ranges."""
        return covered_by(self.codes, code)


class ValidationPolicy(Strict):
    """knowledge/validation.yaml: what `kb validate` refuses in what users see, kept as data curators extend."""

    internal_wording: list[str] = Field(
        default=[], description="Phrases about how the content was made, refused in any field a user sees"
    )
    not_an_edition: list[str] = Field(
        default=[], description="Words that show an edition names no edition ('as read', 'n/a', ...)"
    )
    edition_year: str = Field(
        default=r"\b(19|20)\d\d\b", description="Every edition names a year: a date, a release or 'viewed <month year>'"
    )
    government_publishers: list[str] = Field(
        default=[], description="Publisher names whose documents must be cited at an official address"
    )
    official_domains: list[str] = Field(
        default=[], description="Hosts (and their subdomains) that are official addresses for those publishers"
    )


class Manifest(Strict):
    name: str
    version: str
    description: str = ""
