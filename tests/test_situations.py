"""Modifiers for situations the Case shows (modifiers.yaml `situations:`), and families a site alone does not
choose. Phrasings are new, not from the evaluation sets."""

from __future__ import annotations

import re

import pytest

from bot.engine import Engine
from bot.respond import situations


@pytest.mark.parametrize(
    "question, modifier",
    [
        (
            "The orthopedist ran an interscalene block himself, then reduced the shoulder. 23655 needs which modifier?",
            "47",
        ),
        ("both knees dislocated and put back under GA, 27552, which modifier", "50"),
        ("ED doc reduced the elbow, ortho to follow in clinic. what modifier does the ED doc put on 24600?", "54"),
        (
            "ED doc reduced the elbow and handed off to ortho; which modifier goes on ortho's 24600 for the follow up?",
            "55",
        ),
    ],
)
def test_the_modifier_for_the_situation_the_case_shows(engine: Engine, question: str, modifier: str) -> None:
    a = engine.answer(question)
    assert modifier in a.modifiers[:2], (a.modifiers, a.text)


def test_every_situation_a_modifier_names_is_one_the_reader_can_show(engine: Engine) -> None:
    named = {s for m in engine.store.modifiers.values() for s in m.situations}
    assert named and named <= set(situations.READ)


@pytest.mark.parametrize(
    "question, first",
    [
        ("hip put back under general, code?", "27252"),
        ("dislocated hip relocated without sedation, cpt", "27250"),
        ("baby with DDH, closed reduction under GA, code?", "27257"),
        ("dislocated hip replacement relocated under general", "27266"),
    ],
)
def test_a_site_said_alone_is_not_a_family_its_qualifier_names(engine: Engine, question: str, first: str) -> None:
    a = engine.answer(question)
    assert a.codes and a.codes[0] == first, (a.codes, a.text)


def test_a_number_that_is_an_identifier_is_never_answered_as_a_code(engine: Engine) -> None:
    a = engine.answer("MR# 88417, zip 62705. what is 88417?")
    assert "88417" not in a.text and "88417" not in a.codes and a.phi_detected


def test_a_paste_longer_than_slack_allows_keeps_its_question(engine: Engine) -> None:
    note = "Tolerated well. " * 7000 + "Hip reduced under general anesthesia by ortho. Which code, 27250 or 27252?"
    a = engine.answer(note)
    assert a.codes and a.codes[0] == "27252", a.codes


@pytest.mark.parametrize(
    "question, line",
    [
        (
            "Knee put back under general, the anesthesiologist personally ran the case. Anesthesia code + modifier?",
            "AA",
        ),
        (
            "Elbow reduced in the OR; anesthesiologist supervising six rooms. "
            "Which anesthesia code and mod does he use?",
            "AD",
        ),
        (
            "Anesthesiologist medically directing 2 CRNAs; one CRNA gave the GA for the hip. "
            "What does anesthesia bill?",
            "QK",
        ),
        ("Shoulder under general by a CRNA with no medical direction. What is the anesthesia code and modifier?", "QZ"),
        ("Ankle reduced under MAC, CRNA medically directed by the anesthesiologist. CRNA's code and modifiers?", "QX"),
    ],
)
def test_the_anesthesia_claim_line_carries_the_pricing_modifier_for_who_gave_it(
    engine, question: str, line: str
) -> None:
    """Who furnished the anesthesia (read from the facts, lexicon topics) decides the pricing modifier on the
    anesthesia code, and monitored anesthesia care adds QS after it."""
    a = engine.answer(question)
    assert line in a.modifiers, (a.modifiers, a.text)
    assert re.search(rf"\b01\d{{3}}-{line}\b", a.text), a.text
    assert ("QS" in a.modifiers) == ("MAC" in question), a.text


def test_lower_case_words_after_mods_are_not_modifiers(engine) -> None:
    a = engine.answer("Hip reduced under general by the CRNA, medically directed. What code and mods go on her line?")
    assert "GO" not in a.modifiers and "QX" in a.modifiers, (a.modifiers, a.text)


@pytest.mark.parametrize(
    "question, verdict",
    [
        ("Knee put back under general; the CRNA ran the anesthetic and billed 01400. Ortho sent 27552-47. OK?", "no"),
        ("The anesthesiologist did the interscalene block, then ortho reduced it. 23655-47 for ortho?", "no"),
        ("Ortho placed the femoral block himself and reduced the knee; no anesthesia staff. 27552-47 ok?", "yes"),
    ],
)
def test_a_rule_that_depends_on_a_situation_is_settled_by_the_case(engine: Engine, question: str, verdict: str) -> None:
    """47's rule depends on who gave the anesthesia: a separate anesthesia practitioner rules it out, the surgeon
    giving it himself settles it, and the first line names the code the modifier was judged on."""
    a = engine.answer(question)
    assert a.asks[0].verdict == verdict, (a.asks[0].verdict, a.text)
    if verdict == "no":
        assert re.search(r"47 does not fit on 2\d{4}", a.text.splitlines()[0]), a.text


def test_a_situation_ruled_out_is_never_also_shown(engine: Engine) -> None:
    """A reading of 'did not happen' must not also read as happened, for every situation that has both."""
    case = engine.reader.read("The anesthesiologist gave the general, then ortho reduced the hip. 27252-47?")
    for name in situations.RULED_OUT:
        assert name in situations.READ
        assert not (name in situations.ruled_out(case, case.asks[0]) and name in situations.shown(case, case.asks[0]))


@pytest.mark.parametrize("word", ["no", "not"])
def test_a_two_letter_trigger_before_modifier_is_not_a_modifier(engine: Engine, word: str) -> None:
    case = engine.reader.read(f"Should the shoulder be 23655 with {word} modifier at all?")
    assert not case.modifiers, case.modifiers


@pytest.mark.parametrize(
    "question, verdict",
    [
        ("Our ED doctor put the elbow back (24600); ortho to follow in their clinic. 24600-54 for him?", "yes"),
        ("The ED doc reduced the kneecap, referred to ortho for the follow up. Ortho bills 27560-55?", "yes"),
    ],
)
def test_a_hand_off_the_case_shows_settles_54_and_55(engine: Engine, question: str, verdict: str) -> None:
    a = engine.answer(question)
    assert a.asks[0].verdict == verdict, (a.asks[0].verdict, a.text)


@pytest.mark.parametrize(
    "question, instead",
    [
        ("can I put LT on 26770 for the left ring finger?", "F3"),
        ("left great toe IP joint put back, 28660-LT ok?", "TA"),
        ("would RT be ok on 26775 - right index finger PIP, reduced under a wrist block?", "F6"),
        ("Can AA go on the surgeon's 23655? he did the general himself, no CRNA in the room", "47"),
    ],
)
def test_a_modifier_that_does_not_fit_is_answered_with_the_one_the_note_points_to(
    engine: Engine, question: str, instead: str
) -> None:
    a = engine.answer(question)
    assert a.intent == "modifier_check" and instead in a.modifiers, (a.modifiers, a.text)
    assert f"Instead: {instead}" in a.text or f"-{instead} (" in a.text, a.text


@pytest.mark.parametrize(
    "question",
    [
        "LT on 26770 for a finger?",  # no digit named: nothing to point to
        "is 50 ok on 27552, both knees reduced under general?",  # the asked modifier fits
    ],
)
def test_no_modifier_is_pointed_to_when_the_note_names_none_or_the_asked_one_fits(
    engine: Engine, question: str
) -> None:
    assert "Instead:" not in engine.answer(question).text


@pytest.mark.parametrize(
    "question, modifiers",
    [
        # a negated 'medically directed' is the CRNA without medical direction (procedures.yaml `negated`)
        ("Knee reduced under GA; our CRNA was not medically directed that evening. Anesthesia code?", ["QZ"]),
        # the ratio written as rooms of CRNAs, or as 1:1
        (
            "The anesthesiologist was directing two CRNA rooms when the elbow went back in under GA. Modifiers?",
            ["QK", "QX"],
        ),
        ("CRNA gave the spinal for the ankle reduction, medically directed 1:1. Which modifiers?", ["QY", "QX"]),
        # the physical status on the record, its E aside
        (
            "Hip reduced under general, anesthesiologist personally, ASA III E. Anesthesia code and modifiers?",
            ["AA", "P3"],
        ),
    ],
)
def test_the_anesthesia_claim_line_the_record_describes(engine: Engine, question: str, modifiers: list[str]) -> None:
    a = engine.answer(question)
    assert modifiers == [m for m in a.modifiers if m in modifiers], (a.modifiers, a.text)


def test_an_ask_about_the_crna_line_is_answered_with_its_modifier(engine: Engine) -> None:
    a = engine.answer(
        "Shoulder reduced under GA, anesthesiologist covering 3 rooms. What modifier goes on the CRNA line?"
    )
    assert a.modifiers and a.modifiers[0] == "QX", (a.modifiers, a.text)


def test_a_physical_status_the_record_contradicts_does_not_fit(engine: Engine) -> None:
    a = engine.answer("Record says ASA 2 for this shoulder reduction but the anesthesia biller sent P4. Is P4 right?")
    assert a.asks[0].verdict == "no" and "P2" in a.modifiers, (a.asks[0].verdict, a.modifiers, a.text)
