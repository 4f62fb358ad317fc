"""The reader's vocabulary compiled for reading: phrase indexes and the concepts behind them.

The content (knowledge/lexicon/*.yaml) is validated by bot.kb.lexicon and stored whole in the knowledge base
at build; compile_lexicon() turns that stored form (plain JSON data, no models, so start-up stays light) into
what the reader looks words up in. The build also stores that result (export_index), so a start with the same
reading code only reads it back (load_index) instead of tokenising every term again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from bot.nlu.tokens import expand_words, words

FindingId = Literal[
    "general",
    "regional",
    "mac",
    "anesthesia",
    "deep_sedation",
    "moderate_sedation",
    "sedation",
    "minimal_sedation",
    "local",
    "digital_block",
    "topical",
    "none",
]
AskKind = Literal[
    "define",
    "define_code",
    "define_modifier",
    "which_code",
    "rule",  # asks how a rule works that a guidance record states ("how are anesthesia time units counted")
    "verify",
    "proposal",
    "compare",
    "alternative",
    "meaning",
    "who_is_right",
    "where_written",
    "which_modifier",
    "anesthesia_code",
    "sedation_code",
    "diagnosis",
    "more",
    "add_on",
    "help",
    "indicator",
    "request",
    "every_claim",
    "pcs",
    "supply_code",  # a cast or splint supply code: the treatment codes the message names are its context
    "dme_code",  # the HCPCS code of an item dispensed (crutches, a sling, a knee immobilizer)
]


def iter_terms(lexicon: dict[str, Any]) -> Iterator[tuple[str, str, str, bool]]:
    """(category, concept id, term, exact) for every term of a stored lexicon, word lists included (their id is
    the category)."""
    for category, records in lexicon["concepts"].items():
        for record in records:
            for term in record.get("terms", []):
                yield category, str(record["id"]), str(term), False
            for term in record.get("terms_with_a_qualifier", []):
                yield category, str(record["id"]), str(term), False
            for term in record.get("exact", []):
                yield category, str(record["id"]), str(term), True
    for category, terms in lexicon["word_lists"].items():
        for term in terms:
            yield category, category, term, False


# Word lists read beside the facts rather than as facts: they may share words with them.
BESIDE = {
    "stopword",
    "abbreviation",
    "quantity",
    "icd_common",
    "icd_said_of_codes",
    "modifier_cue",
    "billing_verb",
    "referral_verb",
    "side_word",
    "digit_coordinator",
    "age_subject",
    "age_verb",
    "age_bound",
    "modifier_before_code",
    "modifier_after_code",
    "modifier_link_verb",
    "determiner",
    "comparison_cue",
    "yes_no_opener",
    "question_opener",
    "second_question_start",
    "code_word",
    "code_noun",
    "clause_filler",
}


@dataclass(frozen=True)
class Match:
    category: str
    concept: str


@dataclass
class CompiledLexicon:
    """What the reader looks words up in: phrase indexes, the concepts behind them, word sets."""

    index: dict[tuple[str, ...], Match] = field(default_factory=dict)  # lower-case phrases
    exact: dict[tuple[str, ...], Match] = field(default_factory=dict)  # phrases as written (keys keep case)
    sections: dict[tuple[str, ...], str] = field(default_factory=dict)  # header words -> role
    section_values: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> bare value word -> finding
    shorthand: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    concepts: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    stopwords: frozenset[str] = frozenset()
    abbreviations: frozenset[str] = frozenset()
    age_subjects: frozenset[str] = frozenset()  # "the patient is 14": who a bare number after "is" is the age of
    age_verbs: frozenset[str] = frozenset()  # "just turned 5": a bare number after one is an age in years
    beside_sedation: dict[str, str] = field(default_factory=dict)  # "moderate" -> moderate_sedation beside "sedated"
    modifier_topics: dict[str, str] = field(default_factory=dict)  # "26" -> interpretation: "73110-26" asks the read
    depth_confirmers: frozenset[str] = frozenset()  # "moderate documented": the word after a bare depth that keeps it
    age_bounds: frozenset[str] = frozenset()  # "under 5": a child's age below the number (read as half a year less)
    side_words: frozenset[str] = frozenset()  # words a one-letter side may stand before ("R arm")
    digit_coordinators: frozenset[str] = frozenset()  # "ring and little fingers": digits joined before one noun
    digit_nouns: dict[str, str] = field(default_factory=dict)  # "fingers" -> finger: the last word of digit terms
    billing_verbs: frozenset[str] = frozenset()  # what a provider does with a code ("the CRNA bills")
    referral_verbs: frozenset[str] = frozenset()  # "sent to hand surgery": the care goes to someone else
    modifier_cues: frozenset[str] = frozenset()  # words that make a bare two-digit number a modifier
    modifier_before_code: frozenset[str] = frozenset()  # "58 on 27254": the code a modifier goes on follows these
    modifier_after_code: frozenset[str] = frozenset()  # "27254 get 58": ... or comes before these
    determiners: frozenset[str] = frozenset()  # "on the 26770"
    modifier_link_verbs: frozenset[str] = frozenset()  # "50 go to the 27552"
    yes_no_openers: frozenset[str] = frozenset()  # "is 23700 right?": a question asking yes or no
    clause_fillers: frozenset[str] = frozenset()  # "so is it ...": words before such an opener
    question_openers: frozenset[str] = frozenset()  # "And what code for the elbow.": a question without its mark
    second_question_starts: frozenset[str] = frozenset()  # "which code, and may she add 99152?": a second ask
    code_words: frozenset[str] = frozenset()  # "what code does the CRNA bill": asks for a provider's code
    code_nouns: frozenset[str] = frozenset()  # "the reduction and sedation codes": the words naming a code itself
    comparisons: tuple[tuple[str, ...], ...] = ()  # "like the native hip 27250": a code named for comparison
    icd_common: frozenset[str] = frozenset()  # ICD-10-CM words too common to find candidates by
    icd_said_of_codes: frozenset[str] = frozenset()  # "an unspecified toe code": never counted in an ICD search
    quantities: frozenset[str] = frozenset()  # last words of quantity phrases: a number after one is not a modifier
    units: frozenset[str] = frozenset()  # one-word unit terms, for splitting "62yo"
    fuzzy_targets: tuple[str, ...] = ()  # words of fact terms long enough to be worth matching a typo against
    term_words: frozenset[str] = frozenset()
    first_words: frozenset[str] = frozenset()  # words a lower-case phrase can start with
    exact_first_words: frozenset[str] = frozenset()  # words (as written) an exact phrase can start with
    max_len: int = 1
    shorthand_len: int = 1
    shorthand_firsts: frozenset[str] = frozenset()
    before_site: dict[str, str] = field(default_factory=dict)  # "r" -> right, only before a site word
    # second word -> phrases that also read with one word before it ("which [side] modifier"), longest first
    qualified: dict[str, list[tuple[tuple[str, ...], Match]]] = field(default_factory=dict)

    def concept(self, match: Match) -> dict[str, Any]:
        return self.concepts.get((match.category, match.concept), {})

    def records(self, category: str) -> list[dict[str, Any]]:
        return [c for (cat, _), c in self.concepts.items() if cat == category]


FUZZY_CATEGORIES = {"site", "procedure", "finding", "drug", "provider", "setting"}
FUZZY_MIN_LENGTH = 5


def compile_lexicon(lexicon: dict[str, Any]) -> CompiledLexicon:
    """The index over a stored lexicon (bot.kb.lexicon.Lexicon.model_dump(), or the same read back from JSON)."""
    out = CompiledLexicon()
    for category, records in lexicon["concepts"].items():
        for record in records:
            out.concepts[(category, str(record["id"]))] = record
    for item in lexicon["shorthand"]:
        key = words(item["written"])
        out.shorthand[key] = words(item["means"])
        out.shorthand_len = max(out.shorthand_len, len(key))
    out.shorthand_firsts = frozenset(k[0] for k in out.shorthand)
    targets: set[str] = set()
    for category, ident, term, exact in iter_terms(lexicon):
        if category in BESIDE:
            continue
        if category == "section":
            record = out.concepts[("section", ident)]
            out.sections[expand_words(words(term), out.shorthand, out.shorthand_len, out.shorthand_firsts)] = str(
                record["role"]
            )
            out.section_values.setdefault(str(record["role"]), {}).update(record.get("values") or {})
            continue
        match = Match(category, ident)
        if exact:
            key = tuple(term.split())
            out.exact.setdefault(key, match)
        else:
            key = expand_words(words(term), out.shorthand, out.shorthand_len, out.shorthand_firsts)
            out.index.setdefault(key, match)
            if category in FUZZY_CATEGORIES:
                targets.update(w for w in key if len(w) >= FUZZY_MIN_LENGTH and w.isalpha())
        out.max_len = max(out.max_len, len(key))
    for record in lexicon["concepts"].get("ask", []):
        for term in record.get("terms_with_a_qualifier", []):
            key = expand_words(words(term), out.shorthand, out.shorthand_len, out.shorthand_firsts)
            phrases = out.qualified.setdefault(key[1], [])
            if all(k != key for k, _ in phrases):  # "which mod" is "which modifier" once expanded
                phrases.append((key, Match("ask", str(record["id"]))))
    for phrases in out.qualified.values():
        phrases.sort(key=lambda km: -len(km[0]))
    for record in lexicon["concepts"].get("procedure", []):
        for code in record.get("with_modifiers", []):
            out.modifier_topics[str(code)] = str(record["id"])
    for record in lexicon["concepts"].get("side", []):
        for letter in record.get("before_site", []):
            out.before_site[str(letter).lower()] = str(record["id"])
    out.stopwords = frozenset(w for t in lexicon["word_lists"].get("stopword", []) for w in words(t))
    out.abbreviations = frozenset(w for t in lexicon["word_lists"].get("abbreviation", []) for w in words(t))
    out.age_subjects = frozenset(w for t in lexicon["word_lists"].get("age_subject", []) for w in words(t))
    out.age_verbs = frozenset(w for t in lexicon["word_lists"].get("age_verb", []) for w in words(t))
    out.age_bounds = frozenset(w for t in lexicon["word_lists"].get("age_bound", []) for w in words(t))
    out.depth_confirmers = frozenset(w for t in lexicon["word_lists"].get("depth_confirmer", []) for w in words(t))
    for record in lexicon["concepts"].get("finding", []):
        for word in record.get("beside_sedation", []):
            out.beside_sedation[words(word)[0]] = str(record["id"])
    out.side_words = frozenset(w for t in lexicon["word_lists"].get("side_word", []) for w in words(t))
    out.digit_coordinators = frozenset(w for t in lexicon["word_lists"].get("digit_coordinator", []) for w in words(t))
    for record in lexicon["concepts"].get("site", []):
        if record.get("digit"):
            for term in record.get("terms", []):
                key = words(term)
                if len(key) == 2:  # "ring finger", "3rd toe": the noun a bare digit word borrows
                    out.digit_nouns[key[1]] = out.digit_nouns[key[1] + "s"] = key[1]
    out.billing_verbs = frozenset(w for t in lexicon["word_lists"].get("billing_verb", []) for w in words(t))
    out.referral_verbs = frozenset(w for t in lexicon["word_lists"].get("referral_verb", []) for w in words(t))
    out.modifier_cues = frozenset(w for t in lexicon["word_lists"].get("modifier_cue", []) for w in words(t))
    out.modifier_before_code = frozenset(
        w for t in lexicon["word_lists"].get("modifier_before_code", []) for w in words(t)
    )
    out.modifier_after_code = frozenset(
        w for t in lexicon["word_lists"].get("modifier_after_code", []) for w in words(t)
    )
    out.modifier_link_verbs = frozenset(
        w for t in lexicon["word_lists"].get("modifier_link_verb", []) for w in words(t)
    )
    out.determiners = frozenset(w for t in lexicon["word_lists"].get("determiner", []) for w in words(t))
    out.yes_no_openers = frozenset(w for t in lexicon["word_lists"].get("yes_no_opener", []) for w in words(t))
    out.clause_fillers = frozenset(w for t in lexicon["word_lists"].get("clause_filler", []) for w in words(t))
    out.question_openers = frozenset(w for t in lexicon["word_lists"].get("question_opener", []) for w in words(t))
    out.second_question_starts = frozenset(
        w for t in lexicon["word_lists"].get("second_question_start", []) for w in words(t)
    )
    out.code_words = frozenset(w for t in lexicon["word_lists"].get("code_word", []) for w in words(t))
    out.code_nouns = frozenset(w for t in lexicon["word_lists"].get("code_noun", []) for w in words(t))
    out.comparisons = tuple(
        sorted({words(t) for t in lexicon["word_lists"].get("comparison_cue", []) if words(t)}, key=len, reverse=True)
    )
    out.icd_common = frozenset(w for t in lexicon["word_lists"].get("icd_common", []) for w in words(t))
    out.icd_said_of_codes = frozenset(w for t in lexicon["word_lists"].get("icd_said_of_codes", []) for w in words(t))
    out.quantities = frozenset(words(t)[-1] for t in lexicon["word_lists"].get("quantity", []) if words(t))
    out.units = frozenset(k[0] for k, m in out.index.items() if m.category == "unit" and len(k) == 1)
    out.term_words = frozenset(w for k in out.index for w in k)
    out.first_words = frozenset(k[0] for k in out.index)
    out.exact_first_words = frozenset(k[0] for k in out.exact)
    out.fuzzy_targets = tuple(sorted(targets - out.stopwords))
    return out


# How each field of a CompiledLexicon is written to JSON and read back (concepts come from the lexicon itself).
_PHRASE_MATCHES = ("index", "exact")
_PHRASE_MAPS = ("sections", "shorthand")
_PLAIN = (
    "section_values",
    "beside_sedation",
    "modifier_topics",
    "before_site",
    "digit_nouns",
    "max_len",
    "shorthand_len",
)


def export_index(compiled: CompiledLexicon) -> dict[str, Any]:
    """The compiled lexicon without its concepts, as plain JSON data."""
    out: dict[str, Any] = {}
    for name in _PHRASE_MATCHES:
        out[name] = [[list(k), m.category, m.concept] for k, m in getattr(compiled, name).items()]
    for name in _PHRASE_MAPS:
        out[name] = [[list(k), list(v) if isinstance(v, tuple) else v] for k, v in getattr(compiled, name).items()]
    for name in _PLAIN:
        out[name] = getattr(compiled, name)
    for f in fields(CompiledLexicon):
        value = getattr(compiled, f.name)
        if isinstance(value, frozenset):
            out[f.name] = sorted(value)
    out["comparisons"] = [list(v) for v in compiled.comparisons]
    out["fuzzy_targets"] = list(compiled.fuzzy_targets)
    out["qualified"] = {
        w: [[list(k), m.category, m.concept] for k, m in phrases] for w, phrases in compiled.qualified.items()
    }
    return out


def load_index(lexicon: dict[str, Any], index: dict[str, Any]) -> CompiledLexicon:
    """export_index() read back, with the concepts of the lexicon it was made from."""
    out = CompiledLexicon()
    for category, records in lexicon["concepts"].items():
        for record in records:
            out.concepts[(category, str(record["id"]))] = record
    for name in _PHRASE_MATCHES:
        setattr(out, name, {tuple(k): Match(c, i) for k, c, i in index[name]})
    out.sections = {tuple(k): v for k, v in index["sections"]}
    out.shorthand = {tuple(k): tuple(v) for k, v in index["shorthand"]}
    for name in _PLAIN:
        setattr(out, name, index[name])
    for f in fields(CompiledLexicon):
        if isinstance(getattr(out, f.name), frozenset):
            setattr(out, f.name, frozenset(index[f.name]))
    out.comparisons = tuple(tuple(v) for v in index["comparisons"])
    out.fuzzy_targets = tuple(index["fuzzy_targets"])
    out.qualified = {w: [(tuple(k), Match(c, i)) for k, c, i in phrases] for w, phrases in index["qualified"].items()}
    return out
