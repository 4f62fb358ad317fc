"""The reader's vocabulary as content: `knowledge/lexicon/*.yaml`, its models and its checks.

Coding leads edit the YAML ("PENG block is regional", "Precedex is moderate sedation") and
`coding-bot kb validate` checks it: every entry against its model, every term mapping to one concept only,
families and sources that exist. `kb build` stores the validated lexicon in the knowledge base, so the
running bot never parses YAML; bot.nlu.lexicon compiles it into the index the reader looks words up in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.nlu.lexicon import AskKind, FindingId, iter_terms
from bot.nlu.tokens import words
from bot.yamlfile import ContentError, list_entries, read_yaml, validate_entry


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True)


class Concept(_Strict):
    """One thing the reader recognises, and the words for it."""

    id: str
    terms: list[str] = Field(default=[], description="Whole words, any case, after shorthand is expanded")
    exact: list[str] = Field(default=[], description="Matched only as written: abbreviations that are also words")
    icd_words: list[str] = Field(
        default=[], description="The words ICD-10-CM descriptions use for it, for a diagnosis search"
    )


class SiteConcept(Concept):
    kind: Literal["site", "joint", "qualifier"]
    site: str
    family: str | None = None
    by_site: dict[str, str] = {}
    unless: list[str] = Field(default=[], description="Procedure conditions that, stated, outrank this qualifier")
    digit: int | None = Field(default=None, ge=1, le=5, description="Which finger or toe (1 the thumb or great toe)")
    levels: list[str] = Field(
        default=[],
        description="Letters that with a number name a level of it ('L1' of the spine): read as the level, never "
        "as a modifier, in a sentence that names the site",
    )
    pcs_body_part: str | None = Field(
        default=None, description="The ICD-10-PCS body part it is ('Hip Joint', 'Radius'), for a reposition code"
    )
    pcs_by_site: dict[str, str] = Field(default={}, description="The PCS body part by site, for a joint of two sites")
    condition: Literal["fracture", "fracture_dislocation"] | None = Field(
        default=None,
        description="fracture: the family it names is fracture care, decided only when a fracture is "
        "described; fracture_dislocation: its name says both (Monteggia, Bennett)",
    )


class SideConcept(Concept):
    id: Literal["right", "left", "bilateral"]
    before_site: list[str] = []
    not_after: list[str] = Field(
        default=[], description="Words that, right before the term, make it no side: 'is that right' asks if correct"
    )
    not_asked: bool = Field(
        default=False,
        description="The one-word term asked on its own ('Right?', '23650, right?') means correct, not a side",
    )


ProcedureKind = Literal[
    "reduction",
    "manipulation",
    "self_reduced",
    "approach",
    "sequence",
    "condition",
    "topic",
    "furnished",
    "physical_status",
]


class ProcedureConcept(Concept):
    kind: ProcedureKind
    asked_as: AskKind | None = Field(
        default=None,
        description="A which-code cue just before the term asks this kind ('what do I bill for the supplies')",
    )
    with_modifiers: list[str] = Field(
        default=[], description="A code written with one of these modifiers names this topic ('73110-26': the read)"
    )
    negated: str | None = Field(
        default=None,
        description="The procedure concept this one means when the note negates it ('the CRNA was not medically "
        "directed': no-medical-direction)",
    )
    hcpcs_words: list[str] = Field(
        default=[],
        description="An item dispensed: the words CMS's HCPCS descriptions use for it; a code of the dme-items "
        "group is one of the item's when its description has them all",
    )
    first: str | None = Field(
        default=None,
        description="The item's code listed first when the note does not say what tells its codes apart",
    )
    implies: str | None = Field(
        default=None,
        description="The procedure entry this one also names: a sling or a knee immobilizer given immobilizes, "
        "as a splint does ('splint')",
    )


class FindingConcept(Concept):
    id: FindingId
    beside_sedation: list[str] = Field(
        default=[],
        description="Bare words that name this depth beside a sedation word or a sedative in the same sentence "
        "('sedated her (moderate, 15 min)')",
    )


class MentionConcept(Concept):
    id: Literal["anesthesia", "sedation"]


class DrugConcept(Concept):
    depths: list[FindingId] = Field(min_length=1, description="The depths the drug usually gives")


class ProviderConcept(Concept):
    role: Literal[
        "anesthesia", "emergency", "surgeon", "other_physician", "same_physician", "observer", "nonphysician", "staff"
    ]
    referred: str | None = Field(
        default=None,
        description="The procedures.yaml topic a referral verb before this provider means ('sent to hand surgery': "
        "hand-off)",
    )
    names_the_sedation: bool = Field(
        default=False,
        description="Its words say who gave the sedation ('did both', 'own sedation'), wherever the sentence is",
    )
    emphatic: bool = Field(
        default=False,
        description="Says 'the same one' only as emphasis ('himself'): read after who the note names doing the "
        "sedation and the reduction",
    )


class SettingConcept(Concept):
    facility: bool | None = None
    bills_as: str | None = Field(
        default=None,
        description="The provider concept meant when the place bills ('the ED billed 99148' is the ED physician)",
    )


class EncounterConcept(Concept):
    character: Literal["A", "D", "S"]


class AgeConcept(Concept):
    years: float = Field(ge=0, le=120)


class UnitConcept(Concept):
    id: Literal["years", "months", "weeks", "days", "minutes", "hours", "dose"]


# What a context rule may be limited to: a fact category, or a procedure kind
ScopedKind = Literal["site", "finding", "mention", "drug", "provider", "setting", ProcedureKind]


class ContextRule(Concept):
    """A ConText trigger: the facts in its scope are negated, hypothetical, historical or corrected."""

    category: Literal["negated", "hypothetical", "historical", "correction", "pseudo"]
    direction: Literal["forward", "backward", "both"]
    window: int = Field(ge=0, le=60)
    not_after: list[str] = Field(
        default=[],
        description="Words that, a few words before the trigger, make it no "
        "trigger: 'so ortho could reduce it' says why, not what if",
    )
    not_after_window: int = Field(
        default=1, ge=1, le=6, description="How many words before the trigger not_after looks"
    )
    only: list[ScopedKind] = Field(
        default=[],
        description="The facts it scopes, by category or procedure kind ('reduction', 'finding'); empty: every "
        "fact. 'ortho will reduce it' plans a reduction; 'will follow up in fracture clinic' is still a hand-off",
    )
    through: list[str] = Field(
        default=[],
        description="Terminators that do not end this scope: what someone argues includes why ('argued for 26705 "
        "since anesthesia was required')",
    )


class AskCue(Concept):
    kind: AskKind
    field: str | None = Field(default=None, description="For kind indicator: the RVU file column asked about")
    weak: bool = Field(default=False, description="Evidence of its kind, but no sentence is an ask for it alone")
    not_after: list[str] = Field(default=[], description="Words that, right before the cue, make it something else")
    at_end: bool = Field(default=False, description="Counts only when nothing but ordinary words follows it")
    modifier_group: Literal["digit", "side"] | None = Field(
        default=None,
        description="For kind which_modifier: the modifiers asked for name a location, the digit (FA-F9, TA-T9) or "
        "the side (RT, LT), and the note's digits and side choose them",
    )
    terms_with_a_qualifier: list[str] = Field(
        default=[],
        description="Terms that also read with one word between their first two: 'which modifier' reads 'which "
        "side modifier' and 'what finger modifier'; the word between is still read for itself (finger: a site)",
    )
    guidance: str | None = Field(default=None, description="For kind rule: the guidance record that answers it")
    topic: str | None = Field(
        default=None, description="The encounter topic the ask is about, a topic id of procedures.yaml ('supply')"
    )

    @field_validator("terms_with_a_qualifier")
    @classmethod
    def _two_words(cls, terms: list[str]) -> list[str]:
        for term in terms:
            if len(words(term)) < 2:
                raise ValueError(f"{term!r}: a qualifier goes between two words, so the term needs at least two")
        return terms


class Gap(Concept):
    """Something the knowledge base does not hold, and where it is published."""

    name: str
    published_in: list[str] = Field(min_length=1)


class Section(Concept):
    role: Literal["anesthesia", "sedation", "procedure", "diagnosis", "provider", "time", "age", "ignore"]
    values: dict[str, FindingId] = Field(default={}, description="A bare word of the value and the finding it means")


class Shorthand(_Strict):
    written: str
    means: str


class WordList(_Strict):
    terms: list[str]


# (file, key, model, category): lists of concepts; a category is what a matched term is a fact of.
LISTS: list[tuple[str, str, type[BaseModel], str]] = [
    ("sites.yaml", "sites", SiteConcept, "site"),
    ("laterality.yaml", "sides", SideConcept, "side"),
    ("procedures.yaml", "procedures", ProcedureConcept, "procedure"),
    ("anesthesia.yaml", "findings", FindingConcept, "finding"),
    ("anesthesia.yaml", "mentions", MentionConcept, "mention"),
    ("anesthesia.yaml", "drugs", DrugConcept, "drug"),
    ("anesthesia.yaml", "providers", ProviderConcept, "provider"),
    ("context.yaml", "settings", SettingConcept, "setting"),
    ("context.yaml", "encounters", EncounterConcept, "encounter"),
    ("context.yaml", "ages", AgeConcept, "age"),
    ("context.yaml", "units", UnitConcept, "unit"),
    ("context.yaml", "context_rules", ContextRule, "context"),
    ("asks.yaml", "ask_cues", AskCue, "ask"),
    ("asks.yaml", "gaps", Gap, "gap"),
    ("language.yaml", "sections", Section, "section"),
]
# (file, key, category): plain word lists
WORD_LISTS: list[tuple[str, str, str]] = [
    ("context.yaml", "terminators", "terminator"),
    ("context.yaml", "quantities", "quantity"),
    ("asks.yaml", "modifier_cues", "modifier_cue"),
    ("asks.yaml", "billing_verbs", "billing_verb"),
    ("procedures.yaml", "referral_verbs", "referral_verb"),
    ("asks.yaml", "modifier_before_code", "modifier_before_code"),
    ("asks.yaml", "modifier_after_code", "modifier_after_code"),
    ("asks.yaml", "modifier_link_verbs", "modifier_link_verb"),
    ("asks.yaml", "determiners", "determiner"),
    ("asks.yaml", "comparison_cues", "comparison_cue"),
    ("asks.yaml", "yes_no_openers", "yes_no_opener"),
    ("asks.yaml", "question_openers", "question_opener"),
    ("asks.yaml", "second_question_starts", "second_question_start"),
    ("asks.yaml", "code_words", "code_word"),
    ("asks.yaml", "code_nouns", "code_noun"),
    ("asks.yaml", "clause_fillers", "clause_filler"),
    ("laterality.yaml", "side_words", "side_word"),
    ("laterality.yaml", "digit_coordinators", "digit_coordinator"),
    ("context.yaml", "age_subjects", "age_subject"),
    ("context.yaml", "age_verbs", "age_verb"),
    ("context.yaml", "age_bounds", "age_bound"),
    ("anesthesia.yaml", "depth_confirmers", "depth_confirmer"),
    ("language.yaml", "greetings", "greeting"),
    ("language.yaml", "thanks", "thanks"),
    ("language.yaml", "stopwords", "stopword"),
    ("language.yaml", "abbreviations", "abbreviation"),
    ("language.yaml", "icd_common", "icd_common"),
    ("language.yaml", "icd_said_of_codes", "icd_said_of_codes"),
]
# Categories whose terms are read as facts of the question: a term may belong to one of them only.
# Section headers are read only before a colon, stop words and abbreviations only as ordinary words.
_EXCLUSIVE = {
    "site",
    "side",
    "procedure",
    "finding",
    "mention",
    "drug",
    "provider",
    "setting",
    "encounter",
    "age",
    "unit",
    "context",
    "ask",
    "gap",
    "terminator",
    "greeting",
    "thanks",
}


class Lexicon(_Strict):
    """Everything under knowledge/lexicon/, validated; stored whole in the knowledge base."""

    concepts: dict[str, list[dict[str, Any]]]  # category -> concept records (model dumps)
    word_lists: dict[str, list[str]]  # category -> words
    shorthand: list[Shorthand]

    def records(self, category: str) -> list[dict[str, Any]]:
        return self.concepts.get(category, [])


def load_lexicon(
    root: Path,
    families: set[str],
    sources: set[str],
    guidance: set[str] | None = None,
    modifiers: set[str] | None = None,
) -> tuple[Lexicon | None, list[ContentError]]:
    """Parse and check knowledge/lexicon/; every problem with its file, entry, field and line."""
    folder = root / "lexicon"
    errors: list[ContentError] = []
    concepts: dict[str, list[dict[str, Any]]] = {}
    origin: dict[tuple[str, str], tuple[str, str, int | None]] = {}
    if not folder.is_dir():
        return None, [ContentError("knowledge/lexicon/", "folder is missing")]
    for file, key, model, category in LISTS:
        path, display = folder / file, f"knowledge/lexicon/{file}"
        if not path.exists():
            errors.append(ContentError(display, "file is missing"))
            continue
        entries, file_errors = list_entries(path, key, display, "id")
        errors += [e for e in file_errors if e not in errors]
        seen: set[str] = set()
        for entry in entries:
            record, entry_errors = validate_entry(model, entry)
            errors += entry_errors
            if record is None:
                continue
            ident = str(cast(Concept, record).id)
            if ident in seen:
                errors.append(
                    ContentError(display, f"duplicate id {ident!r} in '{key}'", entry.label, "id", entry.line)
                )
            seen.add(ident)
            origin[(category, ident)] = (display, entry.label, entry.line)
            errors += _check_record(record, category, families, sources, display, entry.label, entry.line)
            for code in getattr(record, "with_modifiers", []):
                if modifiers is not None and code not in modifiers:
                    errors.append(
                        ContentError(
                            display,
                            f"unknown modifier {code!r} (not in modifiers.yaml)",
                            entry.label,
                            "with_modifiers",
                            entry.line,
                        )
                    )
            cue = record if isinstance(record, AskCue) else None
            if cue is not None and (cue.kind == "rule") != (cue.guidance is not None):
                errors.append(
                    ContentError(
                        display,
                        "a rule ask names its guidance record, and only a rule ask does",
                        entry.label,
                        "guidance",
                        entry.line,
                    )
                )
            elif cue is not None and cue.guidance and guidance is not None and cue.guidance not in guidance:
                errors.append(
                    ContentError(
                        display,
                        f"unknown guidance id {cue.guidance!r} (not in distinctions.yaml guidance)",
                        entry.label,
                        "guidance",
                        entry.line,
                    )
                )
            concepts.setdefault(category, []).append(record.model_dump())
    word_lists: dict[str, list[str]] = {}
    for file, key, category in WORD_LISTS:
        display = f"knowledge/lexicon/{file}"
        data, _, file_errors = read_yaml(folder / file, display) if (folder / file).exists() else (None, None, [])
        errors += [e for e in file_errors if e not in errors]
        section = data.get(key) if isinstance(data, dict) else None
        if section is None:
            errors.append(ContentError(display, f"expected a top-level '{key}:' with a 'terms:' list"))
            continue
        origin[(category, category)] = (display, key, None)
        try:
            word_lists[category] = WordList.model_validate(section).terms
        except Exception as exc:
            errors.append(ContentError(display, str(exc).splitlines()[-1].strip(), key, "terms"))
    shorthand = _load_shorthand(folder / "language.yaml", errors)
    if errors:
        return None, errors
    lexicon = Lexicon(concepts=concepts, word_lists=word_lists, shorthand=shorthand)
    return lexicon, _check_terms(lexicon, origin) + _check_by_site(lexicon, origin) + _check_topics(lexicon, origin)


def _check_topics(lexicon: Lexicon, origin: dict[tuple[str, str], tuple[str, str, int | None]]) -> list[ContentError]:
    """An ask cue's topic, a provider's referred topic and what a procedure implies are topics of procedures.yaml:
    the encounter rules read topics by those ids. An item dispensed (hcpcs_words) names its first code, and only
    an item does. A procedure's `negated` meaning is a procedure of its kind. A context rule's `through`
    words are terminators."""
    known = {str(c["id"]) for c in lexicon.concepts.get("procedure", []) if c.get("kind") == "topic"}
    errors = []
    for category, field in (("ask", "topic"), ("provider", "referred"), ("procedure", "implies")):
        for record in lexicon.concepts.get(category, []):
            if record.get(field) and record[field] not in known:
                file, label, line = origin[(category, str(record["id"]))]
                what = f"unknown topic {record[field]!r} (not a procedures.yaml topic)"
                errors.append(ContentError(file, what, label, field, line))
    procedures = {str(c["id"]): c.get("kind") for c in lexicon.concepts.get("procedure", [])}
    for record in lexicon.concepts.get("procedure", []):
        if bool(record.get("hcpcs_words")) != bool(record.get("first")):
            file, label, line = origin[("procedure", str(record["id"]))]
            what = "an item dispensed needs both hcpcs_words and first (the code listed first), or neither"
            errors.append(ContentError(file, what, label, "first", line))
        meant = record.get("negated")
        if meant and procedures.get(meant) != record.get("kind"):
            file, label, line = origin[("procedure", str(record["id"]))]
            what = f"negated names {meant!r}, not a procedures.yaml concept of kind {record.get('kind')!r}"
            errors.append(ContentError(file, what, label, "negated", line))
    terminators = set(lexicon.word_lists.get("terminator", []))
    for record in lexicon.concepts.get("context", []):
        for word in record.get("through") or []:
            if word not in terminators:
                file, label, line = origin[("context", str(record["id"]))]
                errors.append(ContentError(file, f"through: {word!r} is not a terminator", label, "through", line))
    return errors


def _check_by_site(lexicon: Lexicon, origin: dict[tuple[str, str], tuple[str, str, int | None]]) -> list[ContentError]:
    """A by_site key is a body site ("toe") or a site entry's id ("great-toe", more specific, listed first)."""
    sites = lexicon.concepts.get("site", [])
    known = {str(c["site"]) for c in sites} | {str(c["id"]) for c in sites}
    errors = []
    for record in sites:
        for key in [*(record.get("by_site") or {}), *(record.get("pcs_by_site") or {})]:
            if key not in known:
                file, label, line = origin[("site", str(record["id"]))]
                errors.append(
                    ContentError(file, f"by_site key {key!r} is neither a site nor a site id", label, "by_site", line)
                )
    return errors


def _load_shorthand(path: Path, errors: list[ContentError]) -> list[Shorthand]:
    display = "knowledge/lexicon/language.yaml"
    if not path.exists():
        return []
    entries, file_errors = list_entries(path, "shorthand", display, "written")
    errors += [e for e in file_errors if e not in errors]
    out = []
    for entry in entries:
        record, entry_errors = validate_entry(Shorthand, entry)
        errors += entry_errors
        if record is not None:
            if not words(record.written) or not words(record.means):
                errors.append(
                    ContentError(display, "written and means must each hold a word", entry.label, line=entry.line)
                )
            out.append(record)
    return out


def _check_record(
    record: BaseModel, category: str, families: set[str], sources: set[str], file: str, label: str, line: int | None
) -> list[ContentError]:
    errors = []
    concept = cast(Concept, record)
    if not (concept.terms or concept.exact):
        errors.append(ContentError(file, "needs at least one term", label, "terms", line))
    for term in [*concept.terms, *concept.exact]:
        if not words(term):
            errors.append(ContentError(file, f"term {term!r} has no letters or digits", label, "terms", line))
    if isinstance(record, SiteConcept):
        for fam in [record.family, *record.by_site.values()]:
            if fam is not None and fam not in families:
                errors.append(
                    ContentError(
                        file, f"unknown family {fam!r} (no code in knowledge/codes has it)", label, "family", line
                    )
                )
    if isinstance(record, FindingConcept):
        for word in record.beside_sedation:
            if len(words(word)) != 1:
                errors.append(ContentError(file, f"{word!r} is not one word", label, "beside_sedation", line))
    if isinstance(record, Gap):
        for sid in record.published_in:
            if sid not in sources:
                errors.append(
                    ContentError(file, f"unknown source id {sid!r} (not in sources.yaml)", label, "published_in", line)
                )
    return errors


def _check_terms(lexicon: Lexicon, origin: dict[tuple[str, str], tuple[str, str, int | None]]) -> list[ContentError]:
    """No term may mean two things: 'block' under both regional and digital_block would make answers depend on
    the order of the files."""
    errors = []
    owner: dict[tuple[tuple[str, ...], bool], tuple[str, str]] = {}
    for category, ident, term, exact in iter_terms(lexicon.model_dump()):
        if category not in _EXCLUSIVE:
            continue
        key = ((term,) if exact else words(term), exact)
        here = (category, ident)
        if key in owner and owner[key] != here:
            other = owner[key]
            file, label, line = origin.get(here, (f"knowledge/lexicon ({category})", ident, None))
            where = origin.get(other, ("", other[1], None))
            errors.append(
                ContentError(
                    file,
                    f"term {term!r} also belongs to {where[1]} in {where[0] or other[0]}: "
                    "a term may mean one thing only",
                    label,
                    "terms",
                    line,
                )
            )
        owner.setdefault(key, here)
    depth_of: dict[str, str] = {}
    for record in lexicon.records("finding"):
        for word in record.get("beside_sedation", []):
            if depth_of.setdefault(word, record["id"]) != record["id"]:
                file, label, line = origin[("finding", record["id"])]
                errors.append(
                    ContentError(
                        file,
                        f"{word!r} already names {depth_of[word]} beside sedation: a word may name one depth only",
                        label,
                        "beside_sedation",
                        line,
                    )
                )
    return errors
