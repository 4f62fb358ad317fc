"""Content errors an auditor found (issue 12), each checked through the engine's answer where the engine shows
the content, and through the store where it does not. Questions are worded afresh, not copied from the issue."""

from __future__ import annotations

import re

import pytest

from bot.engine import Engine
from bot.kb.store import KnowledgeStore


def _ids(answer) -> list[str]:
    return [s.id for s in answer.sources]


# -- sedation ---------------------------------------------------------------------------------------------
def test_anxiolysis_is_said_to_have_no_code_of_its_own(engine: Engine) -> None:
    a = engine.answer("Can anxiolysis be billed? Looking at 99152 for a patient who only got a little oral valium")
    text = a.text.lower()
    assert "not reported separately" in text or "no code of its own" in text, a.text
    assert not re.search(r"minimal sedation[^.]*reported with anesthesia codes", text), a.text


def test_the_sedation_codes_never_send_minimal_sedation_to_the_anesthesia_codes(store: KnowledgeStore) -> None:
    for code in ("99151", "99152"):
        notes = " ".join(n.text for n in store.codes[code].notes).lower()
        assert "not reported separately" in notes and "minimal sedation (anxiolysis)" in notes
        assert not re.search(r"minimal sedation[^.]*: those are reported with anesthesia codes", notes)


# -- 27265/27266 under monitored anesthesia care ------------------------------------------------------------
def test_a_replaced_hip_put_back_under_mac_alone_leaves_both_codes_open(engine: Engine) -> None:
    a = engine.answer(
        "Total hip popped out again, relocated in the OR with monitored anesthesia care only. 27265 or 27266?"
    )
    assert a.answered and a.codes[:2] == ["27265", "27266"], a.codes
    assert "not confirmed" in a.text.lower() or "not settled" in a.text.lower()


def test_a_replaced_hip_put_back_under_general_still_picks_27266(engine: Engine) -> None:
    a = engine.answer("dislocated total hip reduced under a general anesthetic, which closed code")
    assert a.codes[0] == "27266", a.codes


# -- diagnosis links ------------------------------------------------------------------------------------------
def test_a_plain_hip_dislocation_diagnosis_does_not_claim_the_fracture_dislocation_code(engine: Engine) -> None:
    a = engine.answer("what procedures go with S73.035A")
    assert a.answered and "27254" not in a.text and "27250" in a.text, a.text


def test_the_fracture_dislocation_code_points_at_the_socket_and_head_fractures(engine: Engine) -> None:
    a = engine.answer("which ICD-10 codes support 27254")
    assert a.answered and {"S32.42", "S72.06"} <= set(a.codes), a.codes
    assert not [c for c in a.codes if c.startswith("S73.0")], a.codes
    assert "S73.0" in a.text  # the dislocation itself is still coded


def test_external_cause_codes_are_voluntary_unless_a_state_or_payer_requires_them(store: KnowledgeStore) -> None:
    s73 = [c for c in store.codes.values() if c.code.startswith("S73.0")]
    for code in s73:
        note = next(n for n in code.notes if "external cause" in n.text.lower())
        assert "voluntary" in note.text and ("state" in note.text and "payer" in note.text), code.code
        assert "icd10cm-guidelines-fy2026" in note.sources
    assert "I.C.20" in store.sources["icd10cm-guidelines-fy2026"].title


def test_a_recurrent_hip_dislocation_is_not_tied_to_the_spontaneous_codes(
    engine: Engine, store: KnowledgeStore
) -> None:
    for code in ("M24.451", "M24.452"):
        assert not {"27256", "27257"} & set(store.codes[code].related)
        a = engine.answer(f"{code} - is that 27256 territory?")
        assert "Procedure codes it supports: 27256" not in a.text, a.text


# -- modifiers 47, 54/55, 57, assistants, 25 vs 57 -------------------------------------------------------------
def test_the_noridian_disagreement_on_47_stays_with_the_curators(engine: Engine, store: KnowledgeStore) -> None:
    a = engine.answer("explain the modifier for anesthesia given by the surgeon himself (47)")
    shown = f"{a.text}\n{a.details or ''}"  # the answer and its details one step away ("Why?")
    assert "50 percent" not in shown and "Noridian page" not in shown, shown
    assert "Other payers" in shown
    assert any("50" in n for n in store.modifiers["47"].curator_notes)


def test_the_79_answer_carries_no_blog_aside(engine: Engine) -> None:
    a = engine.answer("does 79 restart the global clock")
    assert "blog" not in a.text.lower(), a.text


def test_follow_up_only_needs_the_written_handoff_and_its_dates(engine: Engine) -> None:
    a = engine.answer("ortho sees the patient after the ED reduction, can they bill 24605-55")
    text = a.text.lower()
    assert "depends" in text and "written" in text and "dates" in text, a.text
    assert "g0559" in text  # what applies without the agreement


def test_surgical_care_only_on_a_090_code_reflects_the_2025_expected_transfer_rule(
    engine: Engine, store: KnowledgeStore
) -> None:
    a = engine.answer("ED physician reduced a shoulder, 23655, and sends all follow up elsewhere: 23655-54?")
    assert "2025" in a.text and "expected" in a.text.lower(), a.text
    assert "cms-mln-global-surgery" in _ids(a)
    assert "G0559" in store.codes and store.codes["G0559"].effective_from.year == 2025


def test_decision_for_surgery_notes_other_payers_and_minor_procedures(engine: Engine) -> None:
    a = engine.answer("tell me about the decision for surgery modifier 57")
    shown = f"{a.text}\n{a.details or ''}"  # the answer and its details one step away ("Why?")
    assert "Other payers" in shown and "minor" in shown, shown


def test_assistant_modifiers_say_other_payers_keep_their_own_lists(store: KnowledgeStore) -> None:
    for code in ("80", "81", "82", "AS"):
        assert "own lists" in (store.modifiers[code].other_payers or ""), code


def test_an_em_on_the_day_of_a_major_procedure_splits_decision_from_unrelated_problem(engine: Engine) -> None:
    a = engine.answer("E/M for an unrelated problem on the day of 27252, is modifier 25 ok?")
    text = a.text
    assert "57" in text and "unrelated" in text and "25" in text, text
    assert "Instead: 57" not in text


def test_the_25_and_57_decisions_cite_the_global_surgery_rules_not_modifier_79(engine: Engine) -> None:
    for question in ("27252 with 57?", "25 on the E/M before 27250?"):
        ids = _ids(engine.answer(question))
        assert "cms-claims-manual-ch12-30-6-6" in ids and "palmetto-mod79" not in ids, (question, ids)


# -- blocks, titles, P6, 59 -------------------------------------------------------------------------------------
def test_a_nerve_block_is_not_a_block_that_keeps_26670(store: KnowledgeStore) -> None:
    summary = store.codes["26670"].summary
    assert "digital or metacarpal block" in summary and "26675" in summary
    assert not re.search(r"local or a block\b", summary)


def test_the_traumatic_hip_pair_is_closed_treatment_even_without_a_reduction(engine: Engine) -> None:
    a = engine.answer("what is 27250")
    assert "Closed treatment" in a.text and "Closed reduction of a traumatic" not in a.text, a.text
    assert "went back by itself" in a.text or "reduced on its own" in a.text
    assert engine.store.codes["27252"].title.startswith("Closed treatment")


def test_brain_dead_donor_status_does_not_fit_a_reduction_anesthesia_code(engine: Engine) -> None:
    a = engine.answer("P6 on 01820?")
    assert "does not fit" in a.text, a.text


def test_distinct_service_on_a_procedure_line_offers_no_em_modifier(engine: Engine) -> None:
    a = engine.answer("two dislocations at different sites, 59 on the 27552 line?")
    instead = [line for line in a.text.splitlines() if "Instead:" in line]
    assert instead and all("25" not in line for line in instead), a.text


def test_a_second_finger_takes_its_digit_modifier_before_xs_or_59(engine: Engine, store: KnowledgeStore) -> None:
    a = engine.answer("two knuckle dislocations on different fingers, 26700 twice: XS on the second?")
    assert "FA to F9" in a.text, a.text
    assert "*26775-F8: fits" in engine.answer("26775-F8 ok?").text
    for code in ("FA", "F1", "F9", "TA", "T5", "T9"):
        assert code in store.modifiers and "fcso-anatomical-modifiers" in store.modifiers[code].sources
    assert "digit modifier" in " ".join(r.why for r in store.rules if r.id == "modLT-on-digit-joints")


# -- current guidance, descriptor distance ---------------------------------------------------------------------------
def test_the_2006_statement_is_called_the_most_recent_found_not_current(store: KnowledgeStore) -> None:
    first = store.guidance["requiring-anesthesia"].positions[0]
    assert first.year == 2006 and first.statement.startswith("The most recent AMA statement found")


@pytest.mark.parametrize(
    "code, banned",
    [
        ("01462", "closed procedures on the lower leg, ankle and foot"),
        ("01820", "closed procedures on the radius, ulna, wrist or hand bones"),
        ("01620", "humeral head and neck"),
        ("27256", "abduction, splint or traction"),
        ("27254", "acetabular wall and femoral head fracture"),
        ("27842", "percutaneous skeletal fixation"),
        ("24640", "radial head subluxation in a child"),
    ],
)
def test_titles_keep_their_distance_from_the_long_descriptors(store: KnowledgeStore, code: str, banned: str) -> None:
    record = store.codes[code]
    assert banned.lower() not in f"{record.title} {record.summary}".lower()


def test_asking_for_the_exact_descriptor_is_answered_by_the_licence_record(store: KnowledgeStore) -> None:
    rule = store.guidance["cpt-descriptor-licence"].rule
    assert "AMA" in rule and "licensed" in rule and "coding-bot kb import-cpt" in rule


# -- what every answer shows -------------------------------------------------------------------------------------
def test_no_answer_over_the_question_sets_shows_internal_wording_or_a_copy(engine: Engine) -> None:
    """Every eval question, answered: no phrase from validation.yaml in the text or a citation, and no cited
    address that is a site's home page or a copy of a CMS document."""
    from pathlib import Path
    from urllib.parse import urlparse

    import yaml

    from bot.content import knowledge_dir
    from bot.evaluate import load_questions

    phrases = [p.lower() for p in yaml.safe_load((knowledge_dir() / "validation.yaml").read_text())["internal_wording"]]
    sets = Path(__file__).resolve().parent / "eval"
    bad, home, primary, answered = [], [], 0, 0
    for path in sorted(sets.glob("*.yaml")):
        for q in load_questions(path):
            a = engine.answer(q.q)
            shown = (a.text + " " + " ".join(s.citation for s in a.sources)).lower()
            bad += [(q.q, p) for p in phrases if p in shown]
            home += [
                (q.q, s.url)
                for s in a.sources
                if s.url and not urlparse(s.url).path.strip("/") and not urlparse(s.url).query
            ]
            if a.answered and a.sources:
                answered += 1
                primary += any(engine.store.sources[s.id].tier == "primary" for s in a.sources)
    assert not bad, bad[:5]
    assert not home, home[:5]
    assert primary / answered >= 0.95, f"{primary}/{answered} answered replies cite a primary source"
