"""Items dispensed beside the care (crutches, a sling, a knee immobilizer, a walking boot): the HCPCS Level II code
comes from CMS's own descriptions in the imported release, by the item the note names and the words that tell
its codes apart; the lexicon holds the items (procedures.yaml hcpcs_words, first), kb validate checks them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine import Engine
from bot.kb.store import KnowledgeStore
from bot.respond.dme import GROUP, _rows


@pytest.mark.parametrize(
    ("question", "code"),
    [
        ("HCPCS for a pair of forearm crutches we dispensed in the office?", "E0110"),
        ("what's the HCPCS code for underarm crutches, wooden ones, the pair we hand out?", "E0112"),
        ("Pt got a pair of adjustable aluminum underarm crutches for the ankle fx. Which HCPCS code?", "E0114"),
        (
            "Knee immobilizer (canvas, off the shelf) after a patellar dislocation reduction. What's the L code?",
            "L1830",
        ),
        ("Is there a HCPCS code for just a plain arm sling? Our ED hands them out for clavicle fx.", "A4565"),
        ("figure of 8 clavicle strap, prefab, off the shelf, which HCPCS?", "L3650"),
        ("5th metatarsal fx, pneumatic walking boot off the shelf, which L code?", "L4361"),
        ("non-pneumatic cam boot, off the shelf, what is the HCPCS code for it?", "L4387"),
        ("off the shelf cock-up wrist brace after the cast came off: what's the HCPCS for the brace?", "L3908"),
    ],
)
def test_the_item_the_note_names_gets_its_code_from_cms_wording(engine: Engine, question: str, code: str) -> None:
    a = engine.answer(question)
    assert a.intent == "code_search" and a.answered and a.codes[0] == code, (a.intent, a.codes, a.text)
    assert "HCPCS Level II" in a.text and "release" in a.text  # the release the description comes from


def test_an_item_the_note_leaves_open_lists_its_codes_with_what_sets_them_apart(engine: Engine) -> None:
    a = engine.answer("what HCPCS for the crutches?")
    assert a.codes[0] == "E0114" and {"E0110", "E0112"} <= set(a.codes), a.codes
    assert "tells the crutches codes apart" in a.text


def test_a_description_that_says_other_than_wood_is_not_the_wooden_item(store: KnowledgeStore) -> None:
    rows = {row.code: out for row, _, out in _rows(store)}
    assert rows["E0114"] == {"wood"} and not rows["E0112"]


def test_every_item_code_is_in_the_group_and_the_release(store: KnowledgeStore, lexicon_items: list[dict]) -> None:
    group = store.code_groups[GROUP]
    for item in lexicon_items:
        assert group.covers(item["first"]) and store.hcpcs(item["first"]) is not None, item["id"]


def test_the_ask_beside_a_reduction_gets_the_item_code_too(engine: Engine) -> None:
    a = engine.answer(
        "Patella popped back in the ED, no sedation, knee immobilizer given. 27560? And the HCPCS for the immobilizer?"
    )
    assert a.codes[0] == "27560" and "L1830" in a.codes, (a.codes, a.text)


def test_non_joined_to_a_word_negates_nothing_after_it(engine: Engine) -> None:
    a = engine.answer("non-displaced distal radius fracture, no reduction, splinted by the ortho who follows her. CPT?")
    assert a.codes[0] == "25600", (a.codes, a.text)


def test_an_item_without_its_first_code_is_refused(knowledge_copy: Path) -> None:
    from tests.test_reader import _errors_after

    errors = _errors_after(knowledge_copy, "procedures.yaml", "    first: E0100\n", "")
    assert any("needs both hcpcs_words and first" in e and "procedures.yaml" in e for e in errors), errors


@pytest.fixture
def lexicon_items(store: KnowledgeStore) -> list[dict]:
    import json

    return [c for c in json.loads(store.lexicon_json)["concepts"]["procedure"] if c.get("hcpcs_words")]
