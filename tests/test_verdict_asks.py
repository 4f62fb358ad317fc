"""A proposal gets its verdict however it was stated: a yes-or-no question about a code, a position stated in any
verb before "who is right?" or "is X needed?", or stated after the message's one ask. Phrasings are new."""

from __future__ import annotations

import pytest

from bot.engine import Engine


@pytest.mark.parametrize(
    "question, verdict",
    [
        ("Would 27252 be right for a hip put back with no sedation at all, just morphine?", "no"),
        ("Shoulder reduced under general in the OR. Could ortho report 23655 for it?", "yes"),
        ("so is 24605 ok for an elbow reduced with only a hematoma block?", "no"),
    ],
)
def test_a_yes_or_no_question_about_a_code_gets_a_verdict(engine: Engine, question: str, verdict: str) -> None:
    a = engine.answer(question)
    assert a.asks[0].verdict == verdict, (a.asks[0].verdict, a.text)


@pytest.mark.parametrize(
    "question, verdict",
    [
        ("Knee cap relocated in the ED with nitrous only. Our doc circled 27562. I lean to 27560. Who wins?", "no"),
        ("Toe dislocated, digital block, reduced. Charge sheet reads 28660-TA for the left big toe. Correct?", "yes"),
        ("Hip put back in the OR under GA, the office entered 27252-23. Is the 23 required?", "no"),
    ],
)
def test_positions_stated_in_any_verb_are_judged_when_asked(engine: Engine, question: str, verdict: str) -> None:
    a = engine.answer(question)
    assert a.asks[0].verdict == verdict, (a.asks[0].verdict, a.asks[0].proposed, a.text)


def test_a_position_stated_after_the_one_ask_is_judged(engine: Engine) -> None:
    a = engine.answer(
        "Does MAC count as requiring anesthesia? CRNA gave MAC for a closed shoulder reduction and ortho wants 23655."
    )
    assert a.asks[0].verdict == "yes" and "23655" in a.asks[0].proposed, (a.asks[0].verdict, a.text)


def test_a_choice_between_codes_is_not_a_proposal(engine: Engine) -> None:
    a = engine.answer("Is it 27250 or 27252 when the hip went back under general?")
    assert a.codes[0] == "27252" and a.asks[0].verdict is None, (a.asks[0].verdict, a.text)


def test_a_wrong_modifier_on_a_right_code_says_the_modifier_is_the_problem(engine: Engine) -> None:
    a = engine.answer("Closed hip reduction under general by anesthesia; the surgeon's office billed 27252-23. OK?")
    assert a.asks[0].verdict == "no" and a.text.startswith("*No*: modifier 23 does not fit on 27252"), a.text


@pytest.mark.parametrize(
    "question",
    [
        "Elbow put back under an axillary block by anesthesia. 24605 ok? And which code does anesthesia use.",
        "Knee reduced in the OR under MAC, 27552 right? Also what would the CRNA report for that",
        "Patella reduced, no meds, 27560. Is that right? And the anesthesia group wants to know if 01380 fits",
    ],
)
def test_a_second_question_without_its_question_mark_is_still_asked(engine: Engine, question: str) -> None:
    a = engine.answer(question)
    assert len(a.asks) == 2 and a.asks[1].intent == "anesthesia_crosswalk", [(x.intent, x.codes) for x in a.asks]


@pytest.mark.parametrize(
    "question, modifier",
    [
        ("What is XS really for? Billing keeps adding it to the second finger reduction on the left hand.", "XS"),
        ("what does QK mean exactly? our anesthesiologist covered three rooms for shoulder and hip reductions", "QK"),
    ],
)
def test_a_definition_asked_of_a_modifier_is_a_lookup_whatever_the_case_around_it(
    engine: Engine, question: str, modifier: str
) -> None:
    a = engine.answer(question)
    assert a.asks[0].intent == "modifier_lookup" and modifier in a.modifiers, (a.intent, a.text)


@pytest.mark.parametrize(
    "question, intent",
    [
        ("Ortho coded 23655. Is 23655 a 90 day global?", "payment_indicators"),
        ("We are billing 01200. What is the MUE for 01200?", "out_of_scope"),
    ],
)
def test_a_code_stated_then_asked_about_is_one_ask(engine: Engine, question: str, intent: str) -> None:
    a = engine.answer(question)
    assert [x.intent for x in a.asks] == [intent], [(x.intent, x.codes) for x in a.asks]


@pytest.mark.parametrize(
    "question",
    [
        "Our ED physicians add 54 to 24600 when ortho follows up. What are the pre, intra and post op shares of 24600?",
        "We always bill 23650 with RT. Separate question: what is the global period of 23650?",
    ],
)
def test_an_indicator_asked_is_answered_whatever_modifier_the_case_mentions(engine: Engine, question: str) -> None:
    a = engine.answer(question)
    assert a.asks[-1].intent == "payment_indicators", [(x.intent, x.codes) for x in a.asks]


@pytest.mark.parametrize(
    "question, code",
    [
        ("Our charge sheet has 23651 for a shoulder put back with no sedation. Is that a real code?", "23651"),
        ("can we bill 99154 for the moderate sedation on this elbow?", "99154"),
        ("hip popped back in the ED, they coded 27251 - ok?", "27251"),
    ],
)
def test_a_code_that_exists_nowhere_is_said_so_and_never_answered_as_another(
    engine: Engine, question: str, code: str
) -> None:
    a = engine.answer(question)
    assert not a.asks[0].answered and f"{code} is not in" in a.text, a.text
    assert not a.codes, a.codes


@pytest.mark.parametrize(
    "question, first",
    [
        (
            "Knee put back under conscious sedation the ED doc gave, RN observing. The biller has 27552. Thoughts?",
            "27550",
        ),
        ("Shoulder reduced with no sedation at all; the charge is 23655. Is there a problem with that?", "23650"),
        ("Elbow reduced with just IV morphine. Our tip sheet says 24605 for every elbow. Correct?", "24600"),
    ],
)
def test_a_position_stated_as_held_gets_a_verdict(engine, question: str, first: str) -> None:
    """'the biller has', 'the charge is', 'the sheet says': a code someone holds is a proposal to judge."""
    a = engine.answer(question)
    assert a.asks[0].verdict == "no" and a.codes[0] == first, (a.codes, a.text)


@pytest.mark.parametrize(
    "question, verdict",
    [
        (
            "Elbow out, ED doc did moderate sedation himself, 15 min, reduced it. My codes: 24605 + 99152. pls check",
            "no",
        ),
        ("Knee cap popped back with nothing given. I'm coding 27560. Sanity check before I drop the claim?", "yes"),
        ("Hip reduced under propofol by anesthesia in the OR. I would code 27250, am I missing anything?", "no"),
    ],
)
def test_the_coders_own_lines_offered_for_a_check_are_judged(engine: Engine, question: str, verdict: str) -> None:
    """ "My codes: ...", "I'm coding ..." state the coder's own lines; "pls check", "sanity check", "am I missing
    anything" ask for a verdict on them."""
    a = engine.answer(question)
    assert a.asks[0].verdict == verdict, (a.asks[0].verdict, a.text)


def test_two_codes_requested_in_one_clause_are_two_asks(engine: Engine) -> None:
    a = engine.answer(
        "Knee dislocation put back in the OR under a spinal by anesthesia. Which CPT for the surgeon, and the "
        "anesthesia code for the anesthesiologist?"
    )
    assert a.asks[0].codes[:1] == ["27552"] and "01380" in a.codes, [(x.intent, x.codes) for x in a.asks]
    case = engine.reader.read("Toe put back under GA by anesthesia. Which CPT for ortho, and the anesthesia code too?")
    assert [sorted(x.kinds) for x in case.asks] == [["which_code"], ["anesthesia_code"]], case.asks


@pytest.mark.parametrize("question", ["59 versus XS, what's the difference again?", "quick one: modifier 24 vs 79?"])
def test_two_modifiers_compared_with_no_code_is_what_each_one_is(engine: Engine, question: str) -> None:
    a = engine.answer(question)
    assert a.intent == "modifier_lookup" and len(a.modifiers) >= 2, (a.intent, a.modifiers, a.text)


@pytest.mark.parametrize(
    "question",
    [
        "Monteggia in a 6 yo, reduced closed in the OR. The resident wrote 24670 + 24600. Shouldn't it be one code?",
        "Shoulder out with a greater tuberosity fracture, reduced closed. Charge sheet has 23650 and 23620. Right?",
    ],
)
def test_codes_written_on_a_record_are_positions_and_two_for_one_injury_are_wrong(
    engine: Engine, question: str
) -> None:
    a = engine.answer(question)
    assert a.asks[0].verdict == "no", (a.asks[0].verdict, a.text)


def test_and_then_a_question_word_starts_a_second_ask_when_each_side_asks_about_a_code(engine: Engine) -> None:
    """Either side may ask without a cue: by a code word ("surgeon code please"), a code it names ("is 28635
    right"), or a provider's code ("what does the anesthesiologist bill"). "and also 27780" lists a code."""
    two = engine.reader.read(
        "Hip put back in the OR under GA by the anesthesiologist. Surgeon code please, and what does the "
        "anesthesiologist bill?"
    )
    assert len(two.asks) == 2 and "anesthesia_code" in two.asks[1].kinds, two.asks
    named = engine.reader.read("Toe MTP reduced under GA. Is 28635 right and can anesthesia use 01462 for it?")
    assert len(named.asks) == 2, named.asks
    listed = engine.reader.read("Tibia and fibula both broken, casted. Can I bill 27750 and also 27780?")
    assert len(listed.asks) == 1, listed.asks


@pytest.mark.parametrize(
    "question, visit, procedure, fits, unfit",
    [
        # a 010-day toe reduction: 25 fits on the visit, 57 does not
        (
            "Office visit 99203, then reduced a dislocated second toe MTP joint, no block (28630). 25 or 57?",
            "99203",
            "28630",
            "25",
            "57",
        ),
        # a 090-day elbow reduction decided in the ED: 57, and the visit code leads the answer
        (
            "ED level 4 (99284) and then the ED doc put the elbow back under propofol, 24615. Mod 57 or 25 on the E/M?",
            "99284",
            "24615",
            "57",
            None,
        ),
    ],
)
def test_a_modifier_on_the_visit_names_the_visit_and_is_judged_by_the_procedure(
    engine: Engine, question: str, visit: str, procedure: str, fits: str, unfit: str | None
) -> None:
    a = engine.answer(question)
    ask = next(x for x in a.asks if x.intent == "modifier_check")
    assert ask.codes[0] == visit, (ask.codes, a.text)
    assert f"{visit}-{fits} (the E/M with {procedure}): fits" in a.text, a.text
    assert unfit is None or f"{visit}-{unfit} (the E/M with {procedure}): does not fit" in a.text, a.text
    assert f"{procedure}-{fits}:" not in a.text  # never said to go on the procedure code


def test_a_modifier_on_the_visit_with_no_procedure_named_shows_each_global_period(engine: Engine) -> None:
    a = engine.answer("coder added 57 to the 99214 - can she?")
    assert a.asks[0].verdict == "depends", a.text
    assert "99214-57: depends on the global days" in a.text
    assert "090: fits" in a.text and "000/010: does not fit" in a.text, a.text


def _digit_modifiers(engine: Engine) -> list[tuple[str, str, int, str]]:
    """(modifier, side, digit, site) for every finger and toe modifier in modifiers.yaml."""
    out = []
    for m in engine.store.modifiers.values():
        if m.digit and m.side:
            site, digit = m.digit.split("-")
            out.append((m.code, m.side, int(digit), site))
    return out


def test_the_digit_modifier_asked_for_is_the_one_the_note_names(engine: Engine) -> None:
    """Every finger and toe modifier, by the digit terms of the lexicon and the side: 'which finger modifier' is
    answered with the modifier of the digit and side the note documents, never another one."""
    import json

    sites = json.loads(engine.store.lexicon_json)["concepts"]["site"]
    by_digit = {(s["site"], s["digit"]): s["terms"][0] for s in sites if s.get("digit")}
    wrong = []
    for code, side, digit, site in _digit_modifiers(engine):
        where = by_digit.get(("thumb" if site == "finger" and digit == 1 else site, digit))
        if where is None:
            continue
        procedure = "28630" if site == "toe" else "26770"
        a = engine.answer(
            f"{side} {where} dislocated, reduced with a digital block, {procedure}. Which {site} modifier?"
        )
        if a.asks[0].modifiers != [code]:
            wrong.append((code, side, where, a.asks[0].modifiers))
    assert len(_digit_modifiers(engine)) >= 20
    assert not wrong, wrong


@pytest.mark.parametrize("side, modifier", [("right", "RT"), ("left", "LT")])
def test_the_side_modifier_asked_for_is_the_side_the_note_names(engine: Engine, side: str, modifier: str) -> None:
    a = engine.answer(f"Kneecap on the {side} popped back in the ED with no sedation, 27560. Laterality modifier?")
    assert a.asks[0].modifiers == [modifier], a.text


def test_a_digit_modifier_asked_for_without_the_digit_is_asked_back(engine: Engine) -> None:
    a = engine.answer("Finger joint dislocation reduced under a digital block, 26770. What finger modifier goes on it?")
    assert not a.answered and "Which finger or toe, and which side?" in a.text, a.text


@pytest.mark.parametrize(
    "question, verdict, lead",
    [
        (
            "Biller appended 57 to the office visit 99203 for a toe MTP reduction (28630). Doesn't 57 only go with "
            "the major procedures?",
            "no",
            "No: modifier 57 does not fit on 99203 (the E/M with 28630).",
        ),
        (
            "ED level 4 visit 99284 plus the shoulder reduction 23650. We added 25 to the visit. Is 25 right there?",
            "depends",
            "",
        ),
    ],
)
def test_a_modifier_the_ask_names_again_is_the_proposal_judged(
    engine: Engine, question: str, verdict: str, lead: str
) -> None:
    a = engine.answer(question)
    assert a.asks[0].verdict == verdict, a.text
    assert a.text.replace("*", "").startswith(lead), a.text


@pytest.mark.parametrize(
    "question, verdict",
    [
        ("Elbow reduced under general in the OR by ortho. Is 24605 the code for that?", "yes"),
        ("Shoulder put back under an interscalene block placed by anesthesia. Is 23650 the code for it?", "no"),
    ],
)
def test_is_this_the_code_after_a_case_gets_a_verdict(engine: Engine, question: str, verdict: str) -> None:
    a = engine.answer(question)
    assert a.asks[0].verdict == verdict, a.text


def test_a_yes_on_a_modifier_that_goes_on_the_visit_says_where_it_goes(engine: Engine) -> None:
    a = engine.answer(
        "New patient visit 99204 where she decided on a closed reduction under GA; 23655 done the next morning. "
        "Can the visit carry 57?"
    )
    assert a.text.replace("*", "").startswith("Yes: modifier 57 on 99204 (the E/M with 23655)."), a.text


def test_a_request_made_with_please_and_no_question_mark_is_an_ask_of_its_own(engine: Engine) -> None:
    a = engine.answer(
        "Left elbow dislocation reduced in clinic, no sedation. Is it 24600? Also the ICD-10 code please."
    )
    assert [x.intent for x in a.asks] == ["anesthesia_distinction", "diagnosis_codes"], [
        (x.intent, x.codes) for x in a.asks
    ]
    assert a.asks[1].codes[0].startswith("S53.") and a.asks[1].codes[0].endswith("A"), a.asks[1].codes


@pytest.mark.parametrize(
    "question, first, verdict",
    [
        # the 7th character the visit calls for, against the one on the claim
        (
            "Clinic recheck ten days after her right anterior shoulder dislocation was put back. Billed S43.014A, ok?",
            "S43.014D",
            "no",
        ),
        # a replaced joint is the prosthesis code, not the native one named
        (
            "Our biller keyed S73.014A for a posterior dislocation of a right hip replacement in the ED. Is that it?",
            "T84.020A",
            "no",
        ),
        # what the case leaves unsaid (the side) is no reason to overrule the coder's code
        ("Posterior hip dislocation, native hip, ED visit. Going with S73.014A, correct?", "S73.014A", "yes"),
    ],
)
def test_an_icd_code_on_the_claim_is_weighed_against_the_case(engine: Engine, question, first, verdict) -> None:
    a = engine.answer(question)
    assert a.intent == "diagnosis_codes" and a.codes[0] == first, (a.codes, a.text)
    assert a.asks[0].verdict == verdict, (a.asks[0].verdict, a.text)


def test_two_injuries_coded_keep_both_codes(engine: Engine) -> None:
    """A second code for another injury of the case is not ruled out by the reading of the first."""
    a = engine.answer("Left posterior hip dislocation with an acetabular wall fracture: S73.015A and S32.422A, right?")
    assert a.codes[:2] == ["S73.015A", "S32.422A"] or set(a.codes[:2]) == {"S73.015A", "S32.422A"}, a.codes
    assert not a.not_reported and "Not *" not in a.text, a.text


@pytest.mark.parametrize(
    "question, code",
    [
        (
            "Seen in ortho 4 wks after the reduction of a left anterior shoulder dislocation, routine check. dx?",
            "S43.015D",
        ),
        # chatter no ICD-10-CM description uses, and 'unspecified' said of a code, decide nothing
        (
            "Right patella dislocated laterally, ED visit. Our biller keeps keying an unspecified knee code, dx?",
            "S83.014A",
        ),
    ],
)
def test_the_diagnosis_the_case_describes(engine: Engine, question: str, code: str) -> None:
    a = engine.answer(question)
    assert a.codes[0] == code, (a.codes, a.text)


@pytest.mark.parametrize(
    "question, mods",
    [
        (
            "R index and R long finger PIP dislocations, both reduced under digital blocks. 26770 twice with XS?",
            {"F6", "F7"},
        ),
        ("Both great toes dislocated at the IP joint, reduced in clinic. Is 28660-50 right?", {"TA", "T5"}),
    ],
)
def test_two_digits_take_their_own_modifiers(engine: Engine, question: str, mods: set[str]) -> None:
    """A second finger or toe takes its digit modifier before 59, XS or 50; 'both' is the left one and the right."""
    a = engine.answer(question)
    assert mods <= set(a.modifiers), (a.modifiers, a.text)


@pytest.mark.parametrize(
    ("question", "code", "modifier"),
    [
        ("left thumb MCP dislocation reduced with a digital block, which code?", "26700", "FA"),
        ("R 2nd toe MTP dislocation put back in clinic, no anesthesia. CPT?", "28630", "T6"),
        ("Right little finger PIP out, reduced under a digital block in the ED, 26770 or 26775?", "26770", "F9"),
    ],
)
def test_a_finger_or_toe_code_is_answered_with_the_digit_modifier_the_note_names(
    engine: Engine, question: str, code: str, modifier: str
) -> None:
    """The claim line of a digit code carries its digit modifier: the answer gives it when the note names the
    digit and the side, though the question did not ask for a modifier."""
    a = engine.answer(question)
    assert a.codes[0] == code and modifier in a.modifiers, (a.codes, a.modifiers, a.text)
    assert f"{code}-{modifier}" in a.text


def test_no_digit_modifier_is_guessed_when_the_side_is_not_said(engine: Engine) -> None:
    a = engine.answer("index finger PIP dislocation reduced closed with no anesthesia. Which CPT?")
    assert a.codes[0] == "26770" and not {"F1", "F6"} & set(a.modifiers), (a.modifiers, a.text)
