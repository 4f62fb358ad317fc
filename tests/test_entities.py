"""The reader takes codes and modifiers out of the text exactly: every written form of a modifier, and no
modifier from a dash between words; the anesthesia provider's own code told apart from the surgeon's code."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content import knowledge_dir
from bot.kb.lexicon import load_lexicon
from bot.kb.load import load_knowledge
from bot.nlu.lexicon import compile_lexicon
from bot.nlu.reader import Reader

KNOWN = frozenset(
    {"22", "23", "25", "47", "50", "51", "57", "59", "62", "76", "78", "80", "LT", "RT", "XS", "AA", "QZ", "PT"}
)


@pytest.fixture(scope="module")
def reader() -> Reader:
    kb, _ = load_knowledge(knowledge_dir())
    assert kb is not None
    lexicon, errors = load_lexicon(
        Path(knowledge_dir()), {c.family for c in kb.codes if c.family}, {s.id for s in kb.sources}
    )
    assert lexicon is not None and not errors, errors
    return Reader(compile_lexicon(lexicon.model_dump()), KNOWN, frozenset(m for m in KNOWN if not m.isdigit()))


@pytest.mark.parametrize(
    "text, codes, modifiers",
    [
        ("27252-59 ok?", ["27252"], ["59"]),
        ("can 27252 take -59", ["27252"], ["59"]),
        ("mod 59 on 27252", ["27252"], ["59"]),
        ("modifier 59 with 27252", ["27252"], ["59"]),
        ("59 modifier on 27252?", ["27252"], ["59"]),
        ("27252-50-LT", ["27252"], ["50", "LT"]),
        ("27252 RT", ["27252"], ["RT"]),
        ("27252 -xs allowed", ["27252"], ["XS"]),
        ("27252-99?", ["27252"], ["99"]),  # an unknown modifier is still taken, to be declined, never guessed
        # a dash used as punctuation: the word after it is not a modifier
        ("23700 - is that one for dislocations", ["23700"], []),
        ("27250 v 27252 - pt got ketamine", ["27250", "27252"], []),
        ("explain 99151 - is it the under 5 sedation code?", ["99151"], []),
        ("27252 - PT", ["27252"], ["PT"]),  # written in capitals it is the modifier
        # a dose or a time is not a modifier: "fentanyl 50 mcg" once answered as modifier 50 on the hip code
        ("propofol 80 mg and fentanyl 50 mcg by the CRNA, 27250 or 27252?", ["27250", "27252"], []),
        ("sedation 25 min, 27250 or 27252?", ["27250", "27252"], []),
        ("27252 59 LT", ["27252"], ["59", "LT"]),  # in the order written
        ("01200 with P-3", ["01200"], ["P3"]),  # physical status written with a dash
        ("27550 - 90 day or 0 day global?", ["27550"], []),  # a dash, then a number of days
        ("is it a 10 or 90 day global for 27252", ["27252"], []),
    ],
)
def test_modifiers_in_every_written_form(reader: Reader, text: str, codes: list[str], modifiers: list[str]) -> None:
    case = reader.read(text)
    assert sorted(case.code_list()) == sorted(codes)
    assert case.modifier_codes == modifiers


def _kinds(reader: Reader, text: str) -> set[str]:
    return set().union(*(a.kinds for a in reader.read(text).asks))


@pytest.mark.parametrize(
    "text, asks",
    [
        ("anes code for 26705", True),
        ("which anesthesia cpt goes with 27842", True),
        ("what 0xxxx code does anesthesia use for a toe reduction", True),
        ("what code does the anesthesiologist put on their claim", True),
        ("code the crna should bill for a hip reduction", True),
        ("asa crosswalk for 28605", True),
        # the surgeon's code of a pair, described by its anesthesia
        ("patella dislocation reduced under GA code", False),
        ("thats the with anesthesia code right?", False),
        ("THA reduced at bedside w/o any anesthesia, code?", False),
        ("knee reduced under a block placed by anesthesia - 27552?", False),
    ],
)
def test_a_request_for_the_anesthesia_providers_code(reader: Reader, text: str, asks: bool) -> None:
    assert ("anesthesia_code" in _kinds(reader, text)) is asks


@pytest.mark.parametrize(
    "text, asks",
    [
        ("what is 01200 exactly", True),
        ("is 26641 the thumb one?", True),
        ("28545 - is that the navicular code", True),
        ("billing office put 24600 on the claim, whats that", True),
        ("what is 27252 global", False),  # a question about the code, not what it is
        ("can 27252 take 50", False),
    ],
)
def test_a_question_asking_what_a_code_is(reader: Reader, text: str, asks: bool) -> None:
    assert ("define_code" in _kinds(reader, text)) is asks


@pytest.mark.parametrize(
    "text, asks",
    [
        ("QK modifier, what does it signify", True),
        ("whats the AD modifier", True),
        ("modifier 62 meaning", True),
        ("which modifier for both hips", False),  # asks which one, not what one is
        ("what does modifier 59 mean on 27252", False),  # about a code: a check
    ],
)
def test_a_question_asking_what_a_modifier_is(reader: Reader, text: str, asks: bool) -> None:
    case = reader.read(text)
    assert ("define_modifier" in _kinds(reader, text) and not case.code_list()) is asks


def test_every_slot_an_intent_may_name_is_filled_by_some_entity() -> None:
    from bot.nlu.intents import SLOT_EVIDENCE, Slot

    assert set(Slot.__args__) == {slot for slot, _ in SLOT_EVIDENCE}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text, mods",
    [
        ("our compensation model is RVU based", []),
        ("a modest fee for the modelling", []),
        ("mod25 on the visit, mod-59 on the second line", ["25", "59"]),
        ("modifier 54 and mods 55/56", ["54", "55", "56"]),
    ],
)
def test_a_modifier_keyword_is_a_word_of_its_own(engine, text: str, mods: list[str]) -> None:
    assert [m.code for m in engine.reader.read(text).modifiers] == mods


def test_entity_patterns_take_time_in_proportion_to_the_text() -> None:
    """Every entity pattern, and the check that entities never overlap, is linear: four times the text takes
    about four times as long, never the sixteen times a quadratic check took (issue 10). A ratio, not a time, so
    a busy machine does not make it flake; the figures are in benchmarks/answer_latency.py."""
    import time

    from bot.nlu.patterns import find_entities

    def best(text: str) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            find_entities(text.lower(), text, frozenset(), frozenset())
            times.append(time.perf_counter() - started)
        return min(times)

    unit = "mod 59, 50, 51 or 76 and 27252-RT-50 S73.014A "
    short, long = best(unit * 200), best(unit * 800)
    assert long / short < 9, f"{short * 1000:.1f} ms -> {long * 1000:.1f} ms"


@pytest.mark.parametrize(
    "text, modifiers",
    [
        ("ED visit 99283, then the ED doc put the hip back (27250). Does the visit get 25?", ["25"]),
        ("Both hips reduced under GA. Does 27252 take 50 here?", ["50"]),
        ("The second reduction took 25 minutes under propofol, 27250 or 27252?", []),
        ("She gets 25 mg of ketamine before the reduction, 24600 or 24605?", []),
    ],
)
def test_a_bare_number_after_take_or_get_is_a_modifier_unless_a_unit_follows(
    reader: Reader, text: str, modifiers: list[str]
) -> None:
    case = reader.read(text)
    assert [m.code for m in case.modifiers] == modifiers, [m.code for m in case.modifiers]


@pytest.mark.parametrize(
    "text, icd",
    [
        ("a coworker mentioned something in the T84s for a dislocated total hip", ["T84"]),  # a plural of a category
        ("are the S73s the hip dislocation codes?", ["S73"]),
        ("is S73.004A right for the hip?", ["S73.004A"]),
    ],
)
def test_a_category_written_in_the_plural_is_the_category(reader: Reader, text: str, icd: list[str]) -> None:
    assert reader.read(text).code_list(kinds=("icd",)) == icd
