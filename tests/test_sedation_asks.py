"""Asks about the sedation read from the Case: whose claim is asked about, deleted codes quoted, what the
sedation requirements rule out. Phrased apart from the evaluation sets, so they test the mechanism."""

from __future__ import annotations

import pytest

from bot.engine import Engine


@pytest.mark.parametrize(
    "question, codes",
    [
        # the provider asked about only sedated: the sedation codes, not the reduction another physician did
        (
            "Ortho reduced the shoulder while our ED attending ran the sedation (70 yo, 30 minutes intraservice, RN "
            "observing). What does the ED attending put down?",
            ["99156", "99157"],
        ),
        ("the ER doc sedated, the orthopedist reduced the knee. what should the ED bill?", ["99156"]),
        # a deleted code quoted: today's code for the same service, from the case (who sedated, the age)
        (
            "A second doctor sedated an adult for a knee reduction. In 2015 we reported 99149 for that; what replaces "
            "it today?",
            ["99156"],
        ),
        (
            "what do we use now instead of 99143 for a 2 year old sedated by the physician who reduced her finger?",
            ["99151"],
        ),
    ],
)
def test_the_sedation_codes_of_whoever_is_asked_about(engine: Engine, question: str, codes: list[str]) -> None:
    a = engine.answer(question)
    assert a.answered and a.codes[: len(codes)] == codes, (a.intent, a.codes, a.text)


def test_the_whole_claim_when_one_physician_reduced_and_sedated(engine: Engine) -> None:
    a = engine.answer(
        "Same physician sedated and reduced a toddler's dislocated elbow (age 3), moderate sedation, "
        "20 min, RN present. Full set of codes for the claim?"
    )
    assert a.codes[:2] == ["24600", "99151"], (a.codes, a.text)


@pytest.mark.parametrize(
    "question",
    [
        "Propofol documented as moderate sedation, nurse watching, only 6 minutes, ED doc reduced the elbow himself. "
        "24600 + 99152 ok?",
        "moderate sedation by the surgeon for a knee reduction, 25 min, and no observer was present. 27550 with 99152?",
    ],
)
def test_a_sedation_code_the_case_does_not_support_gets_no(engine: Engine, question: str) -> None:
    a = engine.answer(question)
    assert a.asks[0].verdict == "no" and "99152" not in a.codes[:2], (a.codes, a.text)


def test_what_a_deleted_code_was(engine: Engine) -> None:
    a = engine.answer("is 99141 still valid?")
    assert a.intent == "code_lookup" and a.codes[0] == "99141" and "deleted" in a.text


def test_the_drugs_alone_make_the_sedation_code_conditional(engine: Engine) -> None:
    a = engine.answer("hip put back in the ED after midazolam and fentanyl from the ED doc, RN present. 27250?")
    assert a.codes[0] == "27250" and "if moderate sedation is documented" in a.text.lower(), a.text


@pytest.mark.parametrize(
    "question, said",
    [
        (
            "Knee dislocation put back by the ED physician under deep sedation with propofol, RN watching. "
            "Can she add 99152 for the sedation?",
            "Deep sedation is not moderate sedation",
        ),
        (
            "4 yo, elbow reduced by the ED doc, who documented deep sedation. Is 24600 or 24605 right, and can "
            "the ED doc bill 99151 too?",
            "Deep sedation is not moderate sedation",
        ),
        ("Anesthesia ran MAC while ortho reduced the ankle. Can ortho also bill 99152?", "anesthesia service"),
    ],
)
def test_a_sedation_code_asked_of_deep_sedation_or_mac_is_ruled_out_by_its_own_rule(
    engine: Engine, question: str, said: str
) -> None:
    """The pair may be unsettled under deep sedation, but the moderate sedation codes surely do not apply: the
    sedation ask is answered with that settled statement, not with the pair's unsettled one."""
    a = engine.answer(question)
    sedation = a.asks[-1]  # the sedation code is asked last
    assert said in sedation.text, a.text
    assert "99152" not in sedation.codes[:1] and "99151" not in sedation.codes[:1], sedation.codes


def test_the_code_to_report_leads_a_no(engine: Engine) -> None:
    a = engine.answer(
        "Index finger MCP dislocation reduced after a digital block by the ED doc; we put 26705, that right?"
    )
    assert a.asks[0].verdict == "no" and a.codes[0] == "26700", (a.codes, a.text)


@pytest.mark.parametrize(
    "question, code",
    [
        (
            "Knee cap relocated by the ED physician who also ran the moderate sedation, 20 min with an RN watching. "
            "What knee code do we bill, and is 99152 ok for her sedation?",
            "27560",
        ),
        ("Elbow put back by the ED doc under sedation she gave. Which elbow code, and may she add 99152?", "24600"),
    ],
)
def test_an_ask_naming_a_site_is_about_that_sites_code_though_the_message_names_a_sedation_code(
    engine: Engine, question: str, code: str
) -> None:
    a = engine.answer(question)
    assert a.asks[0].codes[:1] == [code], [(x.intent, x.codes) for x in a.asks]


@pytest.mark.parametrize(
    "question",
    [
        "Shoulder put back after one dose of oral lorazepam for nerves, charted as minimal sedation. 23650 and 99152?",
        "Elbow reduced with local only, the patient was not sedated at all. We billed 24600 + 99152, ok?",
    ],
)
def test_a_proposed_sedation_code_the_documented_sedation_does_not_add_is_a_no(engine: Engine, question: str) -> None:
    a = engine.answer(question)
    assert a.asks[0].verdict == "no" and "99152" not in a.asks[0].codes[:1], a.text


def test_procedural_sedation_with_no_depth_asks_for_the_depth(engine: Engine) -> None:
    a = engine.answer(
        "Knee dislocation reduced by the ED doc under procedural sedation she gave, 20 min. 27550 + 99152?"
    )
    assert a.asks[0].verdict == "depends" and "depth" in a.text, a.text


@pytest.mark.parametrize(
    "question, first",
    [
        # the reducing physician's codes are asked for, not only the sedation's, whatever sedation codes were named
        (
            "Elbow put back by the ED doc after moderate sedation he gave, 25 min, RN watching. Before 2017 we used "
            "99144 for this. What do I code for the ED doc?",
            "24600",
        ),
        (
            "Ortho put the ankle back in the ED while the ED physician ran the moderate sedation, 18 min, nurse "
            "observing. What does ortho bill?",
            "27840",
        ),
    ],
)
def test_an_ask_about_the_reducing_physician_gets_the_reduction(engine: Engine, question: str, first: str) -> None:
    a = engine.answer(question)
    assert a.codes and a.codes[0] == first, (a.codes, a.text)


@pytest.mark.parametrize(
    "question, why",
    [
        (
            "Only 7 min of moderate sedation by the ED doc, RN watching, before the elbow went in. Is 99152 billable?",
            "under the 10 minutes",
        ),
        (
            "The doc pushed the propofol and did the reduction, nobody else there as an observer. Can he bill 99152?",
            "no independent trained observer",
        ),
        ("Sedation began 23:55 and ended 00:03, same doc reduced the hip, RN observing. 99152 ok?", "8 minutes"),
    ],
)
def test_a_sedation_code_asked_about_is_ruled_out_by_an_unmet_requirement(engine: Engine, question, why) -> None:
    """Asked of the sedation code alone, as beside a reduction code: too short, or no observer, is a no."""
    a = engine.answer(question)
    assert a.asks[0].verdict == "no" and why in a.text, (a.asks[0].verdict, a.text)


@pytest.mark.parametrize(
    "text, minutes",
    [
        ("Sedation: start 10:05, end 10:36, RN observer", 31),
        ("sedation 21:50-22:12 by the ED attending", 22),
        ("shoulder at 02:00, came back at 20:00 for the toe", None),  # two events, not a duration
    ],
)
def test_a_time_written_as_two_clock_times_is_its_minutes(engine: Engine, text: str, minutes: int | None) -> None:
    assert engine.reader.read(text).minutes == minutes
