"""HCPCS Level II codes and modifiers answered from CMS's own description (the imported release), with the
release named and cited; curated modifiers keep their richer answers; a code CMS does not list is not guessed."""

from __future__ import annotations

import pytest

from bot.engine import Engine


@pytest.mark.parametrize(
    "question, code",
    [("what is E0114", "E0114"), ("q4012 - what is it?", "Q4012"), ("what does hcpcs A4570 mean", "A4570")],
)
def test_a_level_ii_code_is_described_as_cms_lists_it(engine: Engine, question: str, code: str) -> None:
    a = engine.answer(question)
    listed = engine.store.hcpcs(code)
    assert listed is not None and a.answered and a.codes[0] == code
    assert listed.long_description.rstrip(".")[:30] in a.text and "October 2025" in a.text
    assert "cms-hcpcs" in [s.id for s in a.sources]


@pytest.mark.parametrize(
    "question, modifier",
    [("what does modifier GW mean", "GW"), ("whats KX used for?", "KX"), ("-GZ on 27842, what is that", "GZ")],
)
def test_an_uncurated_modifier_is_described_from_the_hcpcs_file(engine: Engine, question: str, modifier: str) -> None:
    a = engine.answer(question)
    assert a.answered and modifier in a.modifiers and "HCPCS Level II" in a.text, a.text
    assert "no curated rules" in a.text  # it says what CMS calls it, not whether it fits


def test_a_curated_modifier_keeps_its_own_answer(engine: Engine) -> None:
    a = engine.answer("what is modifier LT")
    assert "HCPCS Level II):" not in a.text and a.modifiers == ["LT"]


def test_a_level_ii_code_cms_does_not_list_is_not_guessed(engine: Engine) -> None:
    a = engine.answer("what is Q4052?")
    assert not a.answered and "not in" in a.text and "HCPCS Level II file" in a.text
