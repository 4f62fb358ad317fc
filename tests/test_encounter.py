"""The encounter around a reduction: fracture codes, splint/cast/supply/imaging/E/M/global rules, and their checks.

Encounter rules (knowledge/encounter.yaml) may name codes the content does not curate (an x-ray, a supply, a
visit), so validation checks them against the curated codes and the public extracts; a mistake is reported
with its file, entry, field and line like every other content error.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from bot.content import knowledge_dir
from bot.kb.build import validated_knowledge
from bot.kb.load import load_knowledge
from bot.kb.models import EncounterRule
from bot.kb.store import KnowledgeStore
from bot.yamlfile import ContentErrors

ENCOUNTER = "encounter.yaml"
TOPICS = {"splint", "cast", "supply", "imaging", "em", "global", "fracture"}


def _errors(root: Path) -> list[str]:
    with pytest.raises(ContentErrors) as exc:
        validated_knowledge(root)
    return [str(e) for e in exc.value.errors]


def _edit_rule(root: Path, rule_id: str, change) -> int:
    """Change one encounter rule in place; returns the line its entry starts on in the rewritten file."""
    path = root / ENCOUNTER
    data = yaml.safe_load(path.read_text())
    rule = next(r for r in data["encounter_rules"] if r["id"] == rule_id)
    change(rule)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120))
    lines = path.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.strip() == f"- id: {rule_id}")


def _extract(name: str) -> dict[str, dict[str, str]]:
    with (knowledge_dir() / "data" / name).open(newline="") as fh:
        return {r[next(iter(r))]: r for r in csv.DictReader(fh) if not r.get("mod")}


# -- loading --------------------------------------------------------------------------------------------------
def test_encounter_rules_load_with_every_topic() -> None:
    kb, errors = load_knowledge(knowledge_dir())
    assert kb is not None and not errors
    assert len(kb.encounter) >= 25
    assert TOPICS <= {r.topic for r in kb.encounter}
    assert all(r.sources for r in kb.encounter)
    assert kb.origin[("encounter", kb.encounter[0].id)][0] == "knowledge/encounter.yaml"


def test_code_ranges_cover_codes_of_the_same_kind() -> None:
    rule = EncounterRule(
        id="r",
        topic="cast",
        title="t",
        situation="s",
        report="report",
        rule="r",
        sources=["x"],
        codes=["29000-29799", "Q4001-Q4051", "99024"],
    )
    assert rule.covers("29125") and rule.covers("q4010") and rule.covers("99024")
    assert (
        not rule.covers("29800") and not rule.covers("Q4052") and not rule.covers("2912") and not rule.covers("A4580")
    )


@pytest.mark.parametrize("codes", [["29799-29000"], ["29000-Q4051"], ["2900"], ["29125-50"]])
def test_a_malformed_code_or_range_is_refused(codes: list[str]) -> None:
    with pytest.raises(ValueError, match="codes"):
        EncounterRule(
            id="r", topic="cast", title="t", situation="s", report="report", rule="r", sources=["x"], codes=codes
        )


# -- validation errors: file, entry, field, line ----------------------------------------------------------------
def test_unknown_code_names_file_entry_field_and_line(knowledge_copy: Path) -> None:
    line = _edit_rule(knowledge_copy, "cast-removal-in-global-period", lambda r: r.update(codes=["29700-29751"]))
    errors = _errors(knowledge_copy)
    hit = [e for e in errors if "cast-removal-in-global-period" in e and "unknown code '29751'" in e]
    assert hit, errors
    assert hit[0].startswith(f"knowledge/encounter.yaml:{line}:")
    assert "field 'codes[0]'" in hit[0] and "end of the range" in hit[0]


def test_reversed_range_and_missing_modifier_are_field_errors(knowledge_copy: Path) -> None:
    _edit_rule(knowledge_copy, "first-cast-included-in-fracture-care", lambda r: r.update(codes=["29799-29000"]))
    _edit_rule(knowledge_copy, "em-before-major-procedure-57", lambda r: r.pop("modifiers"))
    errors = _errors(knowledge_copy)
    assert any(
        "first-cast-included-in-fracture-care" in e and "field 'codes'" in e and "lower first" in e for e in errors
    )
    assert any(
        "em-before-major-procedure-57" in e and "field 'modifiers'" in e and "report_with_modifier" in e for e in errors
    ), errors


def test_unknown_modifier_instead_code_and_source(knowledge_copy: Path) -> None:
    _edit_rule(
        knowledge_copy,
        "xray-interpretation-with-26",
        lambda r: r.update(modifiers=["ZZ"], modifiers_on=["73000-73999"]),
    )
    _edit_rule(knowledge_copy, "splint-by-initial-care-physician", lambda r: r.update(instead=["99283-ZZ", "12345"]))
    _edit_rule(knowledge_copy, "report-99024-post-op-visits", lambda r: r.update(sources=["no-such-source"]))
    errors = _errors(knowledge_copy)
    assert any("field 'modifiers[0]'" in e and "unknown modifier 'ZZ'" in e for e in errors)
    assert any("field 'modifiers_on[0]'" in e and "unknown code '73999'" in e for e in errors), errors
    assert any("field 'instead[0]'" in e and "unknown modifier 'ZZ' in '99283-ZZ'" in e for e in errors)
    assert any("field 'instead[1]'" in e and "unknown code '12345'" in e for e in errors)
    assert any("report-99024-post-op-visits" in e and "unknown source id 'no-such-source'" in e for e in errors)


def test_unknown_field_duplicate_id_and_ama_text(knowledge_copy: Path) -> None:
    _edit_rule(knowledge_copy, "cast-supplies-in-the-office", lambda r: r.update(payer="medicare"))
    _edit_rule(
        knowledge_copy,
        "xray-in-the-global-period",
        lambda r: r.update(rule="Gadget repair of the widget joint, acute; requiring anesthesia"),
    )
    path = knowledge_copy / ENCOUNTER
    data = yaml.safe_load(path.read_text())
    data["encounter_rules"].append(dict(data["encounter_rules"][0]))
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    errors = _errors(knowledge_copy)
    assert any("cast-supplies-in-the-office" in e and "field 'payer'" in e and "unknown field" in e for e in errors)
    assert any("duplicate encounter rule" in e and "first-cast-included-in-fracture-care" in e for e in errors), errors
    assert any("xray-in-the-global-period" in e and "field 'rule'" in e and "AMA" in e for e in errors)


def test_missing_encounter_file_is_reported(knowledge_copy: Path) -> None:
    (knowledge_copy / ENCOUNTER).unlink()
    assert any("encounter*.yaml" in e and "missing" in e for e in _errors(knowledge_copy))


# -- the store ------------------------------------------------------------------------------------------------
def test_store_reads_the_rules_by_code_and_topic(store: KnowledgeStore) -> None:
    assert store.counts["encounter_rules"] == len(store.encounter_rules) >= 25
    by_splint = {r.id for r in store.encounter_rules_for("29125")}
    assert {"first-cast-included-in-fracture-care", "splint-by-initial-care-physician"} <= by_splint
    assert "cast-supplies-in-the-office" in {r.id for r in store.encounter_rules_for("Q4010")}
    assert {r.topic for r in store.encounter_rules_for(topic="imaging")} == {"imaging"}
    reads = store.encounter_rules_for("73610", topic="imaging")
    assert any(r.report == "report_with_modifier" and r.modifiers == ["26"] for r in reads)
    assert not store.encounter_rules_for("27447")  # a knee replacement is no part of these rules
    same_day = next(r for r in store.encounter_rules if r.id == "em-same-day-minor-procedure-25")
    assert same_day.covers("29125") and same_day.modifiers == ["25"] and "99281-99285" in same_day.modifiers_on
    g0559 = next(r for r in store.encounter_rules if r.id == "post-op-visit-without-transfer-g0559")
    assert str(g0559.effective_from) == "2025-01-01" and store.hcpcs("G0559") is not None


# -- codes the rules name --------------------------------------------------------------------------------------
def test_supply_and_visit_codes_of_the_rules_exist_in_the_public_extracts() -> None:
    hcpcs = _extract("cms-hcpcs.csv")
    for code in ["Q4001", "Q4010", "Q4049", "Q4050", "Q4051", "G0559"]:
        assert code in hcpcs, code
    pfs = _extract("cms-pfs-indicators.csv")
    assert pfs["99024"]["status"] == "B" and pfs["Q4010"]["status"] == "X"
    assert pfs["99242"]["status"] == "I" and pfs["73610"]["pctc"] == "1"


def test_a_broken_extract_gives_no_cascade_of_unknown_codes(knowledge_copy: Path) -> None:
    """The build names a broken extract itself; the content checks must not add an error for every code."""
    from bot.kb.load import load_public_codes

    codes, modifiers, complete = load_public_codes(knowledge_copy / "data")
    assert complete and "29125" in codes and "Q4010" in codes and "FA" in modifiers and "FA" not in codes
    (knowledge_copy / "data" / "cms-pfs-indicators.csv").write_text("not,an,extract\n1,2,3\n")
    assert load_public_codes(knowledge_copy / "data")[2] is False
    kb, _ = load_knowledge(knowledge_copy)
    from bot.kb.ama import AmaTextGuard
    from bot.kb.checks import check_knowledge

    assert not [e for e in check_knowledge(kb, AmaTextGuard()) if "unknown code" in e.message and "encounter" in e.file]
