"""Fracture care content: every curated fracture code is a fee-schedule code, its stated global period is the CMS
file's, each fracture family splits on manipulation (without first), and a fracture-dislocation is one code."""

from __future__ import annotations

import csv
import re

import pytest
import yaml

from bot.content import knowledge_dir
from bot.kb.load import load_knowledge
from bot.kb.store import KnowledgeStore


def _extract(name: str) -> dict[str, dict[str, str]]:
    with (knowledge_dir() / "data" / name).open(newline="") as fh:
        return {r[next(iter(r))]: r for r in csv.DictReader(fh) if not r.get("mod")}


def _fracture_codes() -> list[dict]:
    return [
        c
        for f in sorted((knowledge_dir() / "codes").glob("fractures_*.yaml"))
        for c in yaml.safe_load(f.read_text())["codes"]
    ]


def test_every_fracture_code_is_in_the_fee_schedule_and_its_stated_global_matches() -> None:
    pfs = _extract("cms-pfs-indicators.csv")
    codes = _fracture_codes()
    assert len(codes) >= 100
    for c in codes:
        row = pfs.get(c["code"])
        assert row is not None and row["status"] == "A", c["code"]
        for note in c.get("notes", []):
            for stated in re.findall(r"global period is (\d{3})", note["text"]):
                assert stated == row["glob_days"], f"{c['code']}: note says {stated}, CMS file {row['glob_days']}"


def test_every_fracture_family_splits_on_manipulation_without_first(store: KnowledgeStore) -> None:
    fracture_families = {c.family for c in store.codes.values() if c.family and c.family.endswith("-fracture")}
    manipulation = {d.family: d for d in store.distinctions if d.kind == "manipulation"}
    # families with a closed without- and with-manipulation pair each have the distinction
    for family in fracture_families:
        closed = [c for c in store.family(family) if c.approach == "closed"]
        if len(closed) >= 2 and family not in ("tibial-plateau-fracture",):
            assert family in manipulation, family
    for d in manipulation.values():
        if d.family.endswith("-fracture"):
            without, with_ = (store.codes[o.code] for o in d.options)
            assert len(d.options) == 2 and "no manipulation" in without.title.lower()
            assert "no manipulation" not in with_.title.lower(), d.id


def test_fracture_dislocations_are_one_code() -> None:
    kb, _ = load_knowledge(knowledge_dir())
    combined = {d.id: {o.code for o in d.options} for d in kb.distinctions if d.kind == "fracture_dislocation"}
    assert {"23665", "23675"} <= combined["shoulder-dislocation-with-fracture"]
    assert (
        "24620" in combined["monteggia-fracture-dislocation"] and "25520" in combined["galeazzi-fracture-dislocation"]
    )
    assert "26645" in combined["thumb-base-fracture-dislocation"]


@pytest.mark.parametrize(
    "question, first",
    [
        ("nondisplaced proximal humerus fx, sling only, which code?", "23600"),
        ("radial shaft fracture reduced closed in the office under a hematoma block, code?", "25505"),
        ("supracondylar fracture, closed reduction and percutaneous pinning in the OR: 24535 or 24538?", "24538"),
        ("humeral shaft fracture fixed with an intramedullary nail, 24515 or 24516?", "24516"),
    ],
)
def test_the_treatment_the_note_documents_decides_the_fracture_code(engine, question: str, first: str) -> None:
    a = engine.answer(question)
    assert a.codes and a.codes[0] == first, (a.codes, a.text)


def test_when_the_note_leaves_several_codes_it_says_what_decides(engine) -> None:
    a = engine.answer("ORIF of an intra-articular distal radius fracture, which code?")
    assert {"25608", "25609"} <= set(a.codes) and a.asks[0].verdict is None


def test_an_open_choice_names_what_decides_it_for_its_kind_of_family(engine) -> None:
    """A manipulation pair left open is settled by whether the bone was set, never by the anesthesia (its rule
    says anesthesia does not decide it); an anesthesia pair left open, by the anesthesia."""
    fracture = engine.answer("is it 27750 or 27752 for the tibia? note is vague").text
    assert "whether the note documents a reduction" in fracture and "anesthesia documented" not in fracture, fracture
    hip = engine.answer("27250 or 27252 for the hip? nothing in the note about anesthesia").text
    assert "the anesthesia documented for the reduction decides" in hip, hip


def test_a_modifier_on_a_choice_of_codes_is_judged_on_the_right_code(engine) -> None:
    a = engine.answer(
        "ED doc reduced a distal radius fracture under a hematoma block, ortho to follow. 25600-54 or 25605-54?"
    )
    assert a.codes[0] == "25605" and "54" in a.modifiers, (a.codes, a.text)


@pytest.mark.parametrize(
    "question, combined",
    [
        (
            "Dislocated L shoulder, greater tuberosity avulsed too, put back closed in the ED. We had 23650, 23625.",
            "23665",
        ),
        (
            "R shoulder dislocated, surgical neck fx of the humerus, reduced closed under GA; 23655 + 23605 ok?",
            "23675",
        ),
        (
            "Kid with a radial head dislocation and a proximal ulna fracture, set closed in the OR. 24605 plus 24675?",
            "24620",
        ),
        ("Thumb CMC fracture-dislocation (Bennett), closed reduction only, cast. Which code?", "26645"),
    ],
)
def test_a_dislocation_with_a_fracture_is_answered_with_the_one_code_for_both(
    engine, question: str, combined: str
) -> None:
    a = engine.answer(question)
    assert a.codes[0] == combined, (a.codes, a.text)
    if a.asks[0].proposed:
        assert a.asks[0].verdict == "no", a.text  # the two separate codes are not how it is reported


@pytest.mark.parametrize(
    ("question", "fracture_code"),
    [
        (
            "Bimalleolar ankle fracture-dislocation, reduced closed under procedural sedation and splinted. CPT?",
            "27810",
        ),
        (
            "Dislocated ankle with a lateral malleolus fx, put back in the ED with a hematoma block, what's the code?",
            "27788",
        ),
        ("Trimalleolar fx with the talus out posteriorly, ED set it under ketamine. 27818 plus 27840 ok?", "27818"),
    ],
)
def test_where_no_code_covers_both_the_fracture_described_is_reported(engine, question: str, fracture_code: str):
    """An ankle has no combined closed code (encounter rule ankle-fracture-dislocation): the malleolar code of the
    fracture described leads, never the dislocation code of the same site."""
    a = engine.answer(question)
    assert a.codes[0] == fracture_code, (a.codes, a.text)


@pytest.mark.parametrize(
    ("question", "code"),
    [
        (
            "Posterior hip fracture-dislocation, acetabular rim and femoral head fragments, taken for ORIF. CPT?",
            "27254",
        ),
        (
            "Hip fracture dislocation: wall and head both broken, opened and fixed. We had 27253, which code is it?",
            "27254",
        ),
        (
            "Hip fracture-dislocation with a small wall fleck, reduced closed under general, nothing opened. Code?",
            "27252",
        ),
    ],
)
def test_a_hip_fracture_dislocation_is_no_femoral_neck_fracture(engine, question: str, code: str) -> None:
    """'hip fracture-dislocation' holds the words 'hip fracture' (the femoral neck) but names the dislocation with
    a wall or head fracture: open treatment of both is 27254, a closed one stays with the closed codes."""
    a = engine.answer(question)
    assert a.codes[0] == code, (a.codes, a.text)


@pytest.mark.parametrize(
    "plan",
    [
        "ORIF planned once the swelling is down",
        "ORIF is scheduled for Friday",
        "ortho plans ORIF next week",
        "open reduction pending",
    ],
)
def test_a_planned_open_treatment_is_not_the_treatment_done_today(engine, plan: str) -> None:
    a = engine.answer(f"Trimalleolar ankle fx reduced closed in the ED under a block, splinted; {plan}. CPT today?")
    assert a.codes[0] == "27818", (a.codes, a.text)


@pytest.mark.parametrize(
    "note", ["CT neg for fx", "films negative for fracture", "x-ray: fracture negative", "fx ruled out on CT"]
)
def test_a_fracture_ruled_out_leaves_a_plain_dislocation(engine, note: str) -> None:
    a = engine.answer(f"Posterior R hip dislocation, {note}, reduced in the ED with no sedation. Which code?")
    assert a.codes[0] == "27250", (a.codes, a.text)


@pytest.mark.parametrize(
    "question, described",
    [
        (
            "Radius and ulna shafts both broken in a 30 yo, set closed under a Bier block. "
            "Coder billed 25505 and 25535.",
            "25565",
        ),
        (
            "Both bones of the forearm fractured, manipulated closed in the OR; "
            "we were going to bill 25505, is that right?",
            "25565",
        ),
        (
            "Bimalleolar ankle fracture put back closed by the ED doc under procedural sedation. "
            "Is 27788 right for it?",
            "27810",
        ),
        (
            "Trimalleolar ankle fracture reduced closed under moderate sedation by the emergency physician; "
            "can we bill 27840?",
            "27818",
        ),
    ],
)
def test_the_part_the_facts_describe_decides_over_a_code_proposed_for_another(
    engine, question: str, described: str
) -> None:
    """A proposed code of another part ("25505" for a both bone forearm fracture) is a position to judge: the
    injury the facts describe is coded, and the proposal is said not to fit."""
    a = engine.answer(question)
    assert a.codes[0] == described, (a.codes, a.text)
    assert a.asks[0].verdict in (None, "no") and not (a.asks[0].verdict is None and a.asks[0].proposed), a.text


@pytest.mark.parametrize(
    "question, family_code",
    [
        ("Stubbed toe: proximal phalanx fracture of the second toe, buddy taped, no manipulation. Code?", "28510"),
        ("Great toe proximal phalanx fracture, no reduction, hard soled shoe. Code?", "28490"),
        ("Distal phalanx fracture of the big toe, nothing set, stiff shoe. Which code?", "28490"),
        ("proximal phalanx fx of the ring finger, buddy taped, no reduction, code?", "26720"),
    ],
)
def test_a_phalanx_is_a_finger_or_a_toe_by_the_digit_named(engine, question: str, family_code: str) -> None:
    a = engine.answer(question)
    assert a.codes[0] == family_code, (a.codes, a.text)


def test_a_code_decided_by_the_manipulation_rule_lists_no_near_matches(engine) -> None:
    a = engine.answer("Great toe proximal phalanx fracture, no reduction, hard soled shoe. Code?")
    assert a.codes == ["28490"], a.text


@pytest.mark.parametrize(
    "question, closed",
    [
        ("Femur shaft fracture fixed with an intramedullary rod in the OR last night, what CPT?", {"27500", "27502"}),
        ("Intertrochanteric hip fracture, ORIF with a sliding hip screw and plate. Which code?", {"27238", "27240"}),
    ],
)
def test_an_open_treatment_is_never_answered_with_a_closed_code(engine, question: str, closed: set[str]) -> None:
    """Where no open code is held for the part, the answer says it cannot match rather than name closed care."""
    a = engine.answer(question)
    assert not closed & set(a.codes), (a.codes, a.text)


@pytest.mark.parametrize(
    "question, code",
    [
        ("AC joint separation, sling, reduction not attempted. Coder has 23545. Is that right?", "23540"),
        ("Clavicle fracture in a 9 yo, figure of eight brace, no reduction attempted. 23505?", "23500"),
    ],
)
def test_no_reduction_attempted_is_treatment_without_manipulation(engine, question: str, code: str) -> None:
    """ "No reduction attempted" says the bone or joint was not manipulated: the without-manipulation code, and a
    No for the with-manipulation one proposed."""
    a = engine.answer(question)
    assert a.codes[:1] == [code] and a.asks[0].verdict == "no", (a.codes, a.asks[0].verdict, a.text)


def test_a_shoulder_dislocation_with_no_fracture_is_decided_by_the_anesthesia_even_beside_a_combined_code(engine):
    """'23650 or 23665?' for a plain dislocation: the combined family leaves 23650/23655, an anesthesia pair, never
    settled by the manipulation shortcut (which once picked 23655 for a reduction with no sedation)."""
    a = engine.answer("shoulder dislocation reduced in the ED with no sedation, 23650 or 23665?")
    assert a.codes[0] == "23650", (a.codes, a.text)
    b = engine.answer("shoulder dislocated, reduced in the OR under general, no fracture. 23655 or 23665?")
    assert b.codes[0] == "23655", (b.codes, b.text)
