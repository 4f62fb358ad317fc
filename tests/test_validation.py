"""`kb validate`: every kind of content mistake is reported with its file, entry and field, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.kb.ama import descriptor_hash
from bot.kb.build import validated_knowledge
from bot.kb.pfs import HASHES_NAME
from bot.yamlfile import ContentErrors


def _errors(root: Path) -> list[str]:
    with pytest.raises(ContentErrors) as exc:
        validated_knowledge(root)
    return [str(e) for e in exc.value.errors]


def _edit(path: Path, key: str, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data[key])
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def test_bundled_content_is_valid(knowledge_copy: Path) -> None:
    kb = validated_knowledge(knowledge_copy)
    assert kb.codes and kb.modifiers and kb.distinctions


def test_malformed_yaml_names_the_line(knowledge_copy: Path) -> None:
    path = knowledge_copy / "codes" / "hip.yaml"
    lines = path.read_text().splitlines()
    lines.insert(5, "  - code: [unclosed")
    path.write_text("\n".join(lines))
    errors = _errors(knowledge_copy)
    assert any(e.startswith("knowledge/codes/hip.yaml:") and "YAML syntax error" in e for e in errors), errors
    line = int(next(e for e in errors if "hip.yaml" in e).split(":")[1])
    assert 5 <= line <= 8


def test_unknown_source_duplicate_code_and_unknown_field_reported_together(knowledge_copy: Path) -> None:
    hip = knowledge_copy / "codes" / "hip.yaml"

    def break_codes(codes: list[dict]) -> None:
        codes[0]["sources"] = ["no-such-source"]
        codes.append(dict(codes[1]))  # a duplicate of the second code
        codes[2]["anesthesia_status"] = "none"  # misspelt field name

    _edit(hip, "codes", break_codes)
    errors = _errors(knowledge_copy)
    assert any("unknown source id 'no-such-source'" in e and "field 'sources'" in e and "hip.yaml" in e for e in errors)
    assert any("duplicate code" in e for e in errors)
    assert any("field 'anesthesia_status'" in e and "unknown field" in e for e in errors)


def test_wrong_value_names_entry_and_field(knowledge_copy: Path) -> None:
    _edit(knowledge_copy / "codes" / "hip.yaml", "codes", lambda codes: codes[0].update(anesthesia="maybe"))
    errors = _errors(knowledge_copy)
    first = yaml.safe_load((knowledge_copy / "codes" / "hip.yaml").read_text())["codes"][0]["code"]
    assert any(f"codes[0] ({first})" in e and "field 'anesthesia'" in e for e in errors), errors


def test_reference_to_missing_code_and_family(knowledge_copy: Path) -> None:
    def break_rules(rules: list[dict]) -> None:
        rules[0]["codes"] = ["27299"]
        rules[0]["families"] = ["no-such-family"]

    _edit(knowledge_copy / "modifier_rules.yaml", "rules", break_rules)
    errors = _errors(knowledge_copy)
    assert any("unknown code '27299'" in e for e in errors)
    assert any("unknown family 'no-such-family'" in e for e in errors)


def test_unreliable_source_is_refused(knowledge_copy: Path) -> None:
    _edit(
        knowledge_copy / "sources.yaml",
        "sources",
        lambda sources: sources[0].update(url="https://www.openpayer.com/billing-codes/cpt-27252"),
    )
    assert any("unreliable list" in e for e in _errors(knowledge_copy))


def test_fact_without_source_is_refused(knowledge_copy: Path) -> None:
    _edit(knowledge_copy / "modifiers.yaml", "modifiers", lambda mods: mods[0].update(sources=[]))
    assert any("field 'sources'" in e for e in _errors(knowledge_copy))


def test_ama_descriptor_style_is_refused(knowledge_copy: Path) -> None:
    # A made-up service in the AMA long-descriptor shape (real descriptor text never enters the repo)
    _edit(
        knowledge_copy / "codes" / "hip.yaml",
        "codes",
        lambda codes: codes[0].update(title="Gadget repair of the widget joint, acute; requiring anesthesia"),
    )
    assert any("AMA" in e and "field 'title'" in e for e in _errors(knowledge_copy))


def test_text_pasted_from_the_cms_description_column_is_refused(knowledge_copy: Path) -> None:
    """The hashes file lets validation recognise a descriptor without storing it; a made-up one stands in here."""
    pasted = "Fix sprocket joint widget"
    with (knowledge_copy / "data" / HASHES_NAME).open("a") as fh:
        fh.write(descriptor_hash(pasted) + "\n")
    _edit(
        knowledge_copy / "codes" / "hip.yaml", "codes", lambda codes: codes[0].update(summary=f"{pasted}. More words.")
    )
    assert any("short descriptor" in e and "field 'summary'" in e for e in _errors(knowledge_copy))


def test_slack_control_characters_are_refused(knowledge_copy: Path) -> None:
    _edit(knowledge_copy / "codes" / "hip.yaml", "codes", lambda codes: codes[0].update(summary="<!channel> hello"))
    assert any("control characters" in e for e in _errors(knowledge_copy))


def test_empty_and_missing_files(knowledge_copy: Path) -> None:
    (knowledge_copy / "modifiers.yaml").write_text("")
    (knowledge_copy / "anesthesia_sites.yaml").unlink()
    errors = _errors(knowledge_copy)
    assert any("modifiers.yaml" in e and "empty" in e for e in errors)
    assert any("anesthesia_sites.yaml" in e and "missing" in e for e in errors)


def test_binary_file(knowledge_copy: Path) -> None:
    (knowledge_copy / "codes" / "hip.yaml").write_bytes(b"\xff\xfe\x00binary")
    assert any("not UTF-8" in e for e in _errors(knowledge_copy))


def test_cli_validate_exit_codes(knowledge_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "validate", "--knowledge", str(knowledge_copy)]) == 0
    assert "ok:" in capsys.readouterr().out
    (knowledge_copy / "codes" / "hip.yaml").write_text("codes:\n  - code: '27250'\n    system: CPT\n")
    assert main(["kb", "validate", "--knowledge", str(knowledge_copy)]) == 1
    err = capsys.readouterr().err
    assert "field 'title'" in err and "problem(s) found" in err


def test_code_groups_name_real_codes_and_the_answers_groups_are_present(knowledge_copy: Path) -> None:
    path = knowledge_copy / "code_groups.yaml"
    path.write_text(path.read_text().replace('"27750-27848"', '"27750-27849"').replace("id: em-visit", "id: visits"))
    errors = _errors(knowledge_copy)
    assert any("code_groups.yaml" in e and "'27849' (an end of the range '27750-27849')" in e for e in errors), errors
    assert any("code group 'em-visit' is missing" in e for e in errors), errors
