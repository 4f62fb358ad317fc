"""The question engine: the Answer contract, exact codes, declines, PHI, and bad input of every kind."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answer import INTENTS, Answer
from bot.engine import Engine


def test_answer_contract(engine: Engine) -> None:
    a = engine.answer("global days for 27252")
    data = json.loads(a.model_dump_json())
    assert set(data) == {
        "question",
        "intent",
        "confidence",
        "answered",
        "codes",
        "modifiers",
        "text",
        "sources",
        "suggestions",
        "phi_detected",
        "asks",
        "details",
        "more_sources",
        "not_reported",
    }  # the optional fields added
    assert a.intent == "payment_indicators" and a.answered and a.codes[0] == "27252"
    assert [(x.intent, x.answered, x.codes[:1]) for x in a.asks] == [("payment_indicators", True, ["27252"])]
    assert "090" in a.text and a.sources and all(s.citation for s in a.sources)
    assert 0 < a.confidence <= 1


def test_classic_distinction(engine: Engine) -> None:
    general = engine.answer("closed reduction of a traumatic hip dislocation under general anesthesia, 27250 or 27252?")
    sedation = engine.answer("hip reduced in the ED under moderate sedation, 27250 or 27252?")
    assert general.codes[0] == "27252" and sedation.codes[0] == "27250"
    assert "99152" in sedation.codes, "moderate sedation is reported with its own code"
    assert general.sources and sedation.sources


def test_code_numbers_are_never_fuzzed(engine: Engine) -> None:
    a = engine.answer("what is 27250")
    assert a.codes[0] == "27250" and "27250" in a.text
    missing = engine.answer("what is 27251")
    assert not missing.answered and "27251" not in missing.codes
    assert any("27250" in s or "27252" in s for s in missing.suggestions), "a typo gets 'did you mean' at most"


def test_unknown_modifier_is_not_invented(engine: Engine) -> None:
    a = engine.answer("what does modifier Y7 mean")  # in neither modifiers.yaml nor the HCPCS Level II file
    assert not a.answered and a.modifiers == []
    listed = engine.answer("what does modifier Q9 mean")  # uncurated, but CMS lists it: its description, no more
    assert listed.answered and listed.modifiers == ["Q9"] and "no curated rules" in listed.text


def test_uncurated_code_gets_cms_facts_only(engine: Engine) -> None:
    a = engine.answer("what is 29881")
    assert a.answered and a.codes == ["29881"] and "no plain-language summary" in a.text
    assert [s.id for s in a.sources] == ["cms-pfs"]


def test_modifier_23_never_on_27252(engine: Engine) -> None:
    a = engine.answer("can I bill 27252 with modifier 23?")
    assert a.intent == "modifier_check" and a.answered
    assert "does not fit" in a.text and "23" in a.modifiers


def test_phi_is_flagged_and_reminded(engine: Engine) -> None:
    a = engine.answer("pt John Smith DOB 01/02/1950 MRN 12345678 had hip reduced under GA, 27250 or 27252?")
    assert a.phi_detected and "patient details" in a.text and a.codes[0] == "27252"
    assert not engine.answer("global days for 27252").phi_detected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "x" * 50_000,
        "27252 " * 10_000,
        "\x00\x01\x02 27252 \x7f",
        "🦴🏥💉 27252?",
        "<!channel> <@U123> <script>alert(1)</script> global days 27252",
        "¿Cuál es el código para luxación de cadera?",
        "*bold* _it_ ~s~ `code` > quote",
        "\ud800 broken surrogate?",
    ],
)
def test_bad_input_never_raises(engine: Engine, text: str) -> None:
    a = engine.answer(text)
    assert isinstance(a, Answer) and a.intent in INTENTS
    assert "<!channel>" not in a.text and "<script>" not in a.text and "<@U123>" not in a.text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400))
def test_any_text_gets_an_answer(engine: Engine, text: str) -> None:
    a = engine.answer(text)
    assert a.intent in INTENTS and 0.0 <= a.confidence <= 1.0
    if a.answered and a.intent not in ("help",):
        assert a.sources, "an answered question states facts, and every fact carries a source"


def test_ask_cli_json_and_batch(built_kb, tmp_path, monkeypatch) -> None:
    env = {"CODING_BOT_DATA_DIR": str(built_kb.parent), "PATH": ""}
    one = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--json", "global days for 27252"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert json.loads(one.stdout)["codes"][0] == "27252"
    batch = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--json"],
        input="what is 27250\nmodifier 59?\n",
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [line["intent"] for line in lines] == ["code_lookup", "modifier_lookup"]


def test_ask_does_not_import_slack(built_kb) -> None:
    code = (
        "import sys; from bot.cli import main; main(['ask', 'what is 27252']); "
        "assert not [m for m in sys.modules if m.startswith('slack')], 'slack imported'"
    )
    subprocess.run(
        [sys.executable, "-c", code], env={"CODING_BOT_DATA_DIR": str(built_kb.parent)}, check=True, capture_output=True
    )


def test_chat_exits_cleanly_on_eof(built_kb) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat"],
        input="what is 27252\n",
        capture_output=True,
        text=True,
        env={"CODING_BOT_DATA_DIR": str(built_kb.parent)},
        timeout=60,
    )
    assert done.returncode == 0 and "27252" in done.stdout


@pytest.mark.parametrize(
    "question, code",
    [
        ("dx code for a dislocated right ankle, first time seen", "S93.04XA"),  # not "burn of first degree"
        ("icd for recurrent dislocation of the right hip", "M24.451"),
        ("newborn with a congenital dislocation of the right hip only, icd10", "Q65.01"),
        ("posterior hip dislocation, side not documented, initial encounter icd", "S73.016A"),  # side never assumed
    ],
)
def test_diagnosis_search_by_description(engine: Engine, question: str, code: str) -> None:
    a = engine.answer(question)
    assert a.intent == "diagnosis_codes" and a.answered and a.codes[0] == code, (a.codes, a.text)


@pytest.mark.parametrize(
    "question",
    [
        "?",
        "/code ?",
        "/code help",
        "what r u good for",
        "any tips on how to phrase a question for you?",
        "do you cover icd codes too",
    ],
)
def test_questions_about_the_bot_get_help(engine: Engine, question: str) -> None:
    a = engine.answer(question)
    assert a.intent == "help" and a.answered, (a.intent, a.text)


@pytest.mark.parametrize("question", ["what r u having for lunch", "can you reset my password"])
def test_chat_that_names_the_bot_is_still_out_of_scope(engine: Engine, question: str) -> None:
    assert not engine.answer(question).answered


@pytest.mark.parametrize(
    "question, first",
    [
        ("closed reduction of a second toe MTP under a regional block, code?", "28635"),  # the joint, not the toe IP
        ("IP joint of the little toe put back without anesthesia, cpt", "28660"),
        ("index finger MCP reduced after an axillary nerve block, which cpt", "26705"),  # not the hand's CMC
        ("hip dislocation treated through an arthrotomy, no hardware, which cpt", "27253"),  # arthrotomy is open
        ("AC separation in clinic, ortho manipulated it back closed, what cpt", "23545"),  # the site decides the family
        (
            "they had to open the hip joint to relocate it, nothing fixed in place, which cpt",
            "27253",
        ),  # open: one family
        (
            "cuboid dislocation put back in clinic without anesthesia, which cpt",
            "28540",
        ),  # a tarsal bone, not the ankle
        ("type III AC sep reduced by manipulation, code?", "23545"),
        (
            "his total hip slipped out in PT, ortho popped it back at bedside with oral oxycodone only, cpt?",
            "27265",
        ),  # a replacement's dislocation
    ],
)
def test_code_search_by_joint_and_approach(engine: Engine, question: str, first: str) -> None:
    a = engine.answer(question)
    assert a.answered and a.codes and a.codes[0] == first, (a.intent, a.codes, a.text)


def test_a_body_site_alone_is_no_modifier_situation(engine: Engine) -> None:
    """'toe or finger' once matched the XS rule's 'a different finger or toe' and answered with modifier XS."""
    a = engine.answer("26770 - hand or foot, finger or toe?")
    assert "XS" not in a.modifiers and not (a.intent == "modifier_check" and a.answered), (a.intent, a.text)


def test_the_surgeon_giving_the_general_is_general_anesthesia(engine: Engine) -> None:
    a = engine.answer("small finger CMC dislocation, the surgeon gave the general himself, 26670 or 26675")
    assert a.codes[:1] == ["26675"], a.codes


@pytest.mark.parametrize(
    "question, sedation",
    [
        ("2 year old, same ED doc gave moderate sedation and reduced the elbow, 24600 or 24605?", "99151"),
        ("hip reduced under conscious sedation given by a second physician, 27250 or 27252?", "99156"),
        ("adult shoulder reduced by the ED doc under his own moderate sedation, 23650 or 23655?", "99152"),
    ],
)
def test_the_sedation_code_follows_age_and_who_sedated(engine: Engine, question: str, sedation: str) -> None:
    a = engine.answer(question)
    assert a.answered and sedation in a.codes and a.codes[0] in {"24600", "27250", "23650"}, a.codes


def test_the_modifier_goes_on_the_code_written_after_on(engine: Engine) -> None:
    a = engine.answer(
        "closed hip reduction 27250 earlier, then open 27253 by the same surgeon, can i put 58 onto 27253"
    )
    assert a.intent == "modifier_check" and a.codes[0] == "27253" and "58" in a.modifiers, a.codes


def test_a_site_with_one_pair_decides_the_pair(engine: Engine) -> None:
    a = engine.answer(
        "elbow went back in after the joint was numbed with lidocaine, do we bill the with anesthesia one?"
    )
    assert a.intent == "anesthesia_distinction" and a.answered and a.codes[:1] == ["24600"], (a.intent, a.codes)


@pytest.mark.parametrize(
    "question, code",
    [
        (
            "posterior elbow dislocation on the right, initial encounter, icd?",
            "S53.124A",
        ),  # the elbow joint, not the radial head
        ("pulled elbow (nursemaid) R arm, initial, dx code", "S53.031A"),  # the rare word decides, not "arm"
        ("right hip posterior dislocation, which S73 code, initial", "S73.014A"),  # searched within the category named
        ("dislocated IP joint of the R 4th toe, initial encounter dx", "S93.114A"),  # a lesser toe, on the side given
        ("R THA dislocated again, initial encounter, which icd", "T84.020A"),  # a THA is a hip prosthesis
    ],
)
def test_diagnosis_words_weighted_by_how_telling_they_are(engine: Engine, question: str, code: str) -> None:
    a = engine.answer(question)
    assert a.answered and a.codes[:1] == [code], (a.codes, a.text)


@pytest.mark.parametrize(
    "question",
    [
        "is tingling in the fingers normal after a shoulder reduction",  # a clinical question
        "help me write my appeal letter to the payer",  # a writing job, not a coding answer
        "how many mg of propofol for a hip reduction",
    ],
)
def test_out_of_scope_in_coding_words_is_declined(engine: Engine, question: str) -> None:
    a = engine.answer(question)
    assert a.intent == "out_of_scope" and not a.answered, (a.intent, a.text)


@pytest.mark.parametrize(
    "question, codes",
    [
        # asked for the sedation code: the reduction's site does not narrow the search to that joint's codes
        (
            "intensivist did the moderate sedation while ortho reduced the hip, adult, what sedation code is theirs",
            ["99156"],
        ),
        (
            "40 minutes of moderate sedation by the same doc who reduced the knee, adult, codes for the sedation?",
            ["99152", "99153"],
        ),  # one full further block of 15 is certain (x1); a part block is left to the coder
    ],
)
def test_sedation_code_questions(engine: Engine, question: str, codes: list[str]) -> None:
    a = engine.answer(question)
    assert a.answered and a.codes == codes, (a.intent, a.codes, a.text)


@pytest.mark.parametrize(
    "question",
    [
        "what DRG does a hip dislocation admission group to",
        "CDT code for reducing a dislocated jaw in the dental office?",
    ],
)
def test_another_code_set_is_out_of_scope_even_with_a_site_we_cover(engine: Engine, question: str) -> None:
    a = engine.answer(question)
    assert a.intent == "out_of_scope" and not a.answered and not a.codes, (a.intent, a.codes)


@pytest.mark.parametrize(
    "question, sides",
    [
        ("reduced the right knee, what laterality modifier for 27552", ["RT"]),  # once answered LT
        ("left elbow 24600, which side modifier do I add", ["LT"]),
        ("27840 which side modifier?", ["RT", "LT"]),  # side not given: both, and the rule
    ],
)
def test_the_side_modifier_follows_the_documented_side(engine: Engine, question: str, sides: list[str]) -> None:
    a = engine.answer(question)
    assert a.intent == "modifier_check" and a.answered and a.modifiers == sides, (a.modifiers, a.text)


def test_words_no_modifier_speaks_of_weigh_against_a_situation(engine: Engine) -> None:
    """Counting only the words some modifier's aliases use, 'before relocating' made this 57 (decision for surgery)."""
    a = engine.answer(
        "the orthopod placed an interscalene block himself before relocating the shoulder, 23655 which modifier"
    )
    assert a.modifiers == ["47"], (a.modifiers, a.text)


def test_a_cause_left_open_is_never_decided_by_the_manipulation(engine: Engine) -> None:
    """'Why the hip is out' spans three families (injury, no injury, prosthesis): a closed reduction with its
    manipulation says nothing of the cause, so no code of one family is picked over the others."""
    a = engine.answer("Recurring R hip dislocation again, no new injury, put back in the ED. 27250 or 27256?")
    assert a.asks[0].verdict != "yes" and a.codes[0] != "27266", (a.codes, a.text)
    assert {"27250", "27256"} <= set(a.codes), a.codes
