"""The encounter rules answer from the Case (applies_when): the splint, the cast, the supplies, the read, the
hand-off. Phrasings are new, not from the encounter set."""

from __future__ import annotations

import pytest

from bot.engine import Engine


def test_the_splint_of_the_physician_who_reduced_is_part_of_the_fracture_care(engine: Engine) -> None:
    a = engine.answer(
        "Our ortho reduced the wrist fracture in clinic and put the sugar tong splint on himself. "
        "Can he add 29125 to 25605?"
    )
    assert a.asks[0].verdict == "no" and "25605" in a.codes and "29125" not in a.codes[:1], (a.codes, a.text)
    assert "first cast, splint or strapping" in a.text


def test_a_splint_as_first_care_before_someone_else_treats_it_is_reported(engine: Engine) -> None:
    a = engine.answer(
        "Urgent care put a volar splint on a displaced wrist fracture and sent her to ortho for the "
        "reduction. Is 29125 billable for urgent care?"
    )
    assert a.answered and a.asks[0].verdict == "yes" and "29125" in a.codes, (a.codes, a.text)
    assert "E/M visit" in a.text and "25" in a.modifiers


def test_a_splint_staff_applied_in_the_ed_is_not_the_physicians(engine: Engine) -> None:
    a = engine.answer("In the ER the cast tech applied the short leg splint the doctor ordered. 29515 for the doc?")
    assert a.asks[0].verdict == "no", (a.codes, a.text)


def test_every_rule_names_only_what_the_reader_knows(engine: Engine) -> None:
    """kb validate checks it; here: every rule with conditions can be met by some words the lexicon holds."""
    import json

    topics = {c["id"] for c in json.loads(engine.store.lexicon_json)["concepts"]["procedure"] if c["kind"] == "topic"}
    for rule in engine.store.encounter_rules:
        if rule.applies_when:
            assert set(rule.applies_when.topics + rule.applies_when.also) <= topics, rule.id


@pytest.mark.parametrize(
    "question, modifier",
    [
        (
            "fractured right index finger (proximal phalanx) and left thumb, both buddy taped. which digit modifiers?",
            "F6",
        ),
    ],
)
def test_the_digit_modifier_follows_the_side_and_the_digit(engine: Engine, question: str, modifier: str) -> None:
    a = engine.answer(question)
    assert modifier in a.modifiers, (a.modifiers, a.text)


@pytest.mark.parametrize(
    "question, treatment, bundled",
    [
        ("Ortho set the distal radius (25605), then put the first short arm cast on. Add 29075?", "25605", "29075"),
        ("Elbow reduced by our ED doc, 24600, then he placed a long arm splint. 29105 on top of it?", "24600", "29105"),
    ],
)
def test_a_bundled_service_is_answered_with_what_to_report_instead(
    engine, question: str, treatment: str, bundled: str
) -> None:
    a = engine.answer(question)
    assert a.codes[0] == treatment and a.asks[0].verdict == "no", (a.codes, a.asks[0].verdict, a.text)
    assert bundled in a.asks[0].proposed, a.asks[0].proposed


def test_a_modifier_asked_on_a_reported_service_is_a_modifier_check_and_on_a_bundled_one_a_code_question(
    engine,
) -> None:
    """ "Bill 73610-26 for her complete report?" asks whether the modifier fits a service that is reported; the same
    words about films radiology already read ask whether anything is billable at all."""
    read = engine.answer(
        "The ED physician dictated a complete report on the ankle films herself. Can the group bill 73610-26?"
    )
    assert read.intent == "modifier_check" and "26" in read.modifiers and read.asks[0].verdict == "yes", read.text
    review = engine.answer(
        "Ortho looked at the ankle films at the follow-up; radiology had already read them. Can ortho bill 73610-26?"
    )
    assert review.intent == "code_search" and review.asks[0].verdict == "no", review.text


@pytest.mark.parametrize(
    "question, supply",
    [
        ("Clinic note: closed tx of a shaft of humerus fx, 24500, 58 yo, long arm fiberglass cast. Q code?", "Q4006"),
        (
            "Ortho office, kid is 6, nondisplaced distal radius fx (25600) in a plaster short arm cast - supply code?",
            "Q4011",
        ),
        (
            "We casted a 70 y/o's ankle fx in the office, 27786, short leg fiberglass. What do I bill for materials?",
            "Q4038",
        ),
    ],
)
def test_a_supply_ask_is_answered_with_the_supply_code_first_whatever_treatment_code_it_names(
    engine, question: str, supply: str
) -> None:
    """An ask for the supply code ("Q code?") is about the supplies: the treatment code the note names is its
    context and neither leads the answer nor makes it a code lookup."""
    a = engine.answer(question)
    assert a.asks[0].intent == "code_search" and a.asks[0].codes[0] == supply, (a.asks[0].intent, a.codes, a.text)


def test_supplies_in_a_facility_are_not_the_physicians_and_the_treatment_he_gave_is_reported_instead(engine) -> None:
    """In a hospital or ASC the facility furnishes the materials: a supply code proposed for the physician is
    ruled out, and what he reports is the treatment the description decides, named or not."""
    a = engine.answer(
        "Surgery center: closed reduction of a distal radius fracture with pins, short arm cast at the end. "
        "The surgeon's biller put Q4010 on his claim as well. OK?"
    )
    assert a.asks[0].verdict == "no" and "Q4010" in a.asks[0].proposed, (a.asks[0].verdict, a.text)
    assert a.codes[0] == "25606", a.codes
    ed = engine.answer(
        "Hospital ER physician placed a fiberglass sugar-tong splint and sent the patient to ortho; can the ED doc "
        "put Q4022 for the splinting material next to 29125?"
    )
    assert ed.asks[0].verdict == "no" and "Q4022" in ed.asks[0].proposed, (ed.asks[0].verdict, ed.text)


@pytest.mark.parametrize(
    "question, supply",
    [
        # the words just before the cast describe it; a splint named elsewhere does not make it a splint
        (
            "Office, 40 yo, long leg plaster cast for a tib shaft fx; not sure if the splint codes apply. Q code?",
            "Q4029",
        ),
        # body words may come from elsewhere in the note when the splint itself names none
        ("Boxer's fracture of the 5th finger, office, 33 yo. We used a static finger splint. Supply code?", "Q4049"),
        # a material CMS lists no code for: the codes for other materials
        ("Office: custom thermoplastic splint for a thumb fracture, adult. Which Q code?", "Q4051"),
        ("Adult short arm soft cast in the office (not plaster, not fiberglass). Supply code?", "Q4050"),
        # an ask for the supply code is a coding question in any words
        ("Doctor put plaster short leg splint child 4 year in clinic. Which Q code please?", "Q4047"),
    ],
)
def test_the_supply_code_is_chosen_from_the_words_that_describe_the_cast_or_splint(
    engine, question: str, supply: str
) -> None:
    a = engine.answer(question)
    assert a.asks[0].intent == "code_search" and a.codes[:1] == [supply], (a.asks[0].intent, a.codes, a.text)


def test_a_replacement_cast_that_depends_on_the_payer_still_names_the_code(engine) -> None:
    a = engine.answer("Same surgeon, day 30 of the global for 27786: the cast got wet and he applied a new one. 29425?")
    assert a.asks[0].verdict == "depends" and a.codes[:1] == ["29425"], (a.asks[0].verdict, a.codes, a.text)


def test_a_thin_ask_about_a_proposed_service_the_rules_rule_out_is_not_said_to_fit(engine: Engine) -> None:
    """'Allowed?' after the case takes the codes the case proposes: the review rule answers, and the modifier is
    not also said to fit the code it rules out."""
    a = engine.answer(
        "Radiology already reported the knee films. At the clinic visit the surgeon looked them over and noted "
        "'images reviewed, agree'. He would like 73560-26 added for that. Allowed?"
    )
    assert a.asks[0].verdict == "no", a.text
    assert a.asks[0].codes[:1] == ["73560"] and "26" in a.asks[0].modifiers, (a.asks[0].codes, a.asks[0].modifiers)
    assert "fits" not in a.text, a.text


@pytest.mark.parametrize(
    "question, supply",
    [
        (
            "Clinic visit: nondisplaced distal radius fx treated closed (25600), short arm fiberglass cast put on by "
            "the doc, adult. Can 29075 be added? Also what Q code for the supplies, it is our own office stock.",
            "Q4010",
        ),
        (
            "Our hand surgeon applied an adult short arm plaster cast in his office after closed care of the "
            "fracture (25600). We want 29075 on top. And which HCPCS for the cast materials?",
            "Q4009",
        ),
    ],
)
def test_a_supply_ask_beside_a_proposed_application_code_is_answered_with_the_supply(
    engine: Engine, question: str, supply: str
) -> None:
    """The application code the message names brings the cast rule, but the supply ask keeps its own topic's rule
    and no verdict borrowed from the application code."""
    a = engine.answer(question)
    asked = next(x for x in a.asks if supply in x.codes)
    assert asked.codes[0] == supply and asked.verdict is None, [(x.intent, x.codes, x.verdict) for x in a.asks]


@pytest.mark.parametrize(
    "question, verdict",
    [
        ("Our ED attending read the wrist films, 73110. Can she bill 73110-26 for it?", "depends"),
        ("ED doc interpreted the elbow series himself. 73080-26 for his interpretation?", "depends"),
        ("Ortho wrote a complete interpretation of the knee films in his note. 73560-26 ok?", "yes"),
        ("Wrist films: the ED doc's read has findings and a comparison with 2021 films. Bill 73110-26?", "yes"),
        ("ED doc was just looking at the ankle films before radiology read them. 73610-26 for him?", "no"),
    ],
)
def test_a_read_is_billed_by_its_written_report(engine, question: str, verdict: str) -> None:
    """Modifier 26 on a read needs a complete written report: with one it is billed, a review is part of the E/M,
    and a read the question does not describe either way gets the rule and both outcomes, never a bare yes."""
    a = engine.answer(question)
    assert a.asks[0].verdict == verdict, (a.asks[0].verdict, a.text)
    if verdict != "no":
        assert "26" in a.modifiers, a.modifiers


def test_every_written_report_term_makes_a_read_billable(engine, store) -> None:
    import json

    lexicon = json.loads(store.lexicon_json)
    report = next(c for c in lexicon["concepts"]["procedure"] if c["id"] == "written-report")
    wrong = []
    for term in report["terms"]:
        a = engine.answer(
            f"Ankle films taken in the ED; the ED doctor's note: {term} of the films. Can he bill 73610-26?"
        )
        if a.asks[0].verdict != "yes":
            wrong.append((term, a.asks[0].verdict))
    assert not wrong, wrong[:8]


@pytest.mark.parametrize("visit", ["99282", "99285", "99213"])
def test_the_visit_the_question_names_stands_in_for_a_rules_example_level(engine, visit: str) -> None:
    a = engine.answer(
        f"Displaced wrist fx; our doctor put the splint on himself, no reduction, ortho will reduce it tomorrow. "
        f"{visit}-25 plus 29125?"
    )
    assert visit in a.codes and "99283" not in a.codes, (a.codes, a.text)
    assert "example level" not in a.text, a.text


def test_a_review_of_films_already_read_is_the_e_m_even_in_the_ed_where_one_read_is_paid(engine: Engine) -> None:
    """Two rules of one topic apply (the review is part of the E/M; Medicare pays one ED read): the one that
    decides answers, not the one that says it depends."""
    a = engine.answer(
        "In the ED the ortho resident looked over the elbow films the radiologist had already reported. "
        "Can ortho bill 73070-26 for that?"
    )
    assert a.asks[0].verdict == "no" and "part of the E/M" in a.text, (a.codes, a.text)


def test_the_cast_that_belongs_to_the_fracture_care_is_named_as_not_reported(engine: Engine) -> None:
    a = engine.answer("Ortho casted a nondisplaced distal radius fracture in clinic, no reduction. 25600 plus 29075?")
    assert a.codes[0] == "25600" and a.not_reported == ["29075"] and a.codes[-1] == "29075", (a.codes, a.text)


def test_an_anesthesia_code_we_hold_no_record_of_is_answered_from_the_other_codes_notes(engine: Engine) -> None:
    a = engine.answer("for the CRNA on a closed hip reduction: 01200 or 01202?")
    assert a.codes[:2] == ["01200", "01202"] and "arthroscopy" in a.text, (a.codes, a.text)
    b = engine.answer("anesthesia for the shoulder reduction, 01620 or 01630?")
    assert "01630" in b.text + b.details and "not an anesthesia code" not in b.text + b.details, b.text


def test_the_radiologists_report_is_not_the_treating_physicians(engine: Engine) -> None:
    """'The radiologist dictated the final report later': that report does not make the ED doctor's glance a read."""
    a = engine.answer(
        "ED doc glanced at the wrist films for a wet read; the radiologist wrote the final report the next day. "
        "Can the ED doc bill 73110-26?"
    )
    assert a.asks[0].verdict == "no", (a.asks[0].verdict, a.text)
    b = engine.answer("The ED doc wrote a complete report of the wrist films in the chart. Can she bill 73110-26?")
    assert b.asks[0].verdict == "yes", (b.asks[0].verdict, b.text)
