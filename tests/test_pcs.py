"""ICD-10-PCS for the facility claim: the reposition code from the Case's body part, side and approach, and what
a named code is, both from the code list the build loaded (so every code named exists)."""

from __future__ import annotations

import pytest

from bot.engine import Engine


@pytest.mark.parametrize(
    "question, codes",
    [
        ("pcs code for reducing a dislocated left elbow under general in the OR?", ["0RSMXZZ"]),
        ("inpatient facility coder: icd 10 pcs for closed reduction of a right ankle dislocation", ["0SSFXZZ"]),
        ("PCS for the closed reduction of her left thumb CMC joint", ["0RSTXZZ"]),
        ("what pcs code for percutaneous pinning of a left distal radius fracture", ["0PSJ34Z"]),
    ],
)
def test_the_reposition_code_for_the_reduction_described(engine: Engine, question: str, codes: list[str]) -> None:
    a = engine.answer(question)
    assert a.answered and a.codes[: len(codes)] == codes, (a.intent, a.codes, a.text)
    assert "inpatient" in a.text and any(s.id == "cms-icd10pcs" for s in a.sources)


def test_without_the_side_both_codes_are_given(engine: Engine) -> None:
    a = engine.answer("root operation and pcs code for a closed knee relocation")
    assert set(a.codes[:2]) == {"0SSCXZZ", "0SSDXZZ"} and "side" in a.text.lower()


def test_a_named_pcs_code_is_described_from_the_code_list(engine: Engine) -> None:
    a = engine.answer("what is 0SSBXZZ?")
    assert a.answered and a.codes == ["0SSBXZZ"] and "Left Hip Joint" in a.text
    missing = engine.answer("what is 0SSBXZY?")
    assert not missing.answered or "not in" in missing.text


def test_an_open_reduction_leaves_the_device_to_the_note(engine: Engine) -> None:
    a = engine.answer("icd-10-pcs root operation for an open right hip reduction?")
    assert a.answered and a.codes[0].startswith("0SS90") and "device" in a.text.lower(), a.text
