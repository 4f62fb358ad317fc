"""`kb validate` keeps what users see auditable: no internal wording, editions that are editions, real pages,
official addresses for CMS and contractor documents, and no tertiary-only rule stated as fact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.kb.build import validated_knowledge
from bot.yamlfile import ContentErrors

LOCATED = re.compile(r"^knowledge/[\w/]+\.yaml:\d+: ")  # file and line, then entry and field


def _errors(root: Path) -> list[str]:
    with pytest.raises(ContentErrors) as exc:
        validated_knowledge(root)
    return [str(e) for e in exc.value.errors]


def _edit(path: Path, key: str, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data[key])
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def _source(root: Path, sid: str, **fields) -> None:
    def change(sources: list[dict]) -> None:
        next(s for s in sources if s["id"] == sid).update(fields)

    _edit(root / "sources.yaml", "sources", change)


def test_internal_wording_in_a_note_is_refused_with_file_entry_field_and_line(knowledge_copy: Path) -> None:
    _edit(
        knowledge_copy / "codes" / "hip.yaml",
        "codes",
        lambda codes: codes[0]["notes"][0].update(text="Global 000, as read for the research brief."),
    )
    errors = [e for e in _errors(knowledge_copy) if "internal wording" in e]
    assert len(errors) == 1 and LOCATED.match(errors[0]), errors
    assert "codes/hip.yaml" in errors[0] and "(27250)" in errors[0] and "field 'notes[0].text'" in errors[0]


def test_internal_wording_is_refused_in_a_citation_but_allowed_in_curator_notes(knowledge_copy: Path) -> None:
    _source(
        knowledge_copy,
        "palmetto-mod79",
        edition="Web article, date not stated in the brief (2024)",
        copy_note="Read for the research brief; a source we no longer trust had it too.",
    )
    _edit(
        knowledge_copy / "modifiers.yaml",
        "modifiers",
        lambda mods: mods[0].update(curator_notes=["Not in a source of our research yet."]),
    )
    errors = [e for e in _errors(knowledge_copy) if "internal wording" in e]
    assert len(errors) == 1 and "palmetto-mod79" in errors[0] and "field 'edition'" in errors[0], errors


def test_the_phrase_list_is_data(knowledge_copy: Path) -> None:
    _edit(knowledge_copy / "validation.yaml", "internal_wording", lambda phrases: phrases.append("see the wiki"))
    _edit(
        knowledge_copy / "modifiers.yaml",
        "modifiers",
        lambda mods: mods[0].update(meaning="Harder work; see the wiki."),
    )
    assert any("'see the wiki'" in e and "field 'meaning'" in e for e in _errors(knowledge_copy))


@pytest.mark.parametrize("edition", ["", "as read", "N/A", "Web page as read in 2024", "current edition", "Web page"])
def test_an_edition_that_is_not_an_edition_is_refused(knowledge_copy: Path, edition: str) -> None:
    _source(knowledge_copy, "noridian-jfb-mod47", edition=edition)
    errors = [e for e in _errors(knowledge_copy) if "noridian-jfb-mod47" in e]
    assert errors and "field 'edition'" in errors[0] and LOCATED.match(errors[0]), errors


def test_a_site_home_page_is_refused(knowledge_copy: Path) -> None:
    _source(knowledge_copy, "aapc-anesthesia-with-anesthesia", url="https://aapc.com")
    _source(knowledge_copy, "acep-moderate-sedation-faq", url="https://www.acep.org/")
    errors = [e for e in _errors(knowledge_copy) if "home page" in e]
    assert len(errors) == 2 and all("field 'url'" in e for e in errors), errors


def test_a_copy_site_for_a_cms_document_is_refused(knowledge_copy: Path) -> None:
    _source(
        knowledge_copy,
        "cms-claims-manual-ch12-40-7",
        url="https://medicarepaymentandreimbursement.com/2010/06/how-to-bill-bilateral-procedure-and-get.html",
    )
    _source(knowledge_copy, "noridian-jfb-mod47", url="https://www.codingahead.com/noridian-modifier-47-copy/")
    errors = [e for e in _errors(knowledge_copy) if "official address" in e]
    assert len(errors) == 2 and all("copy_url" in e for e in errors), errors
    assert any("cms-claims-manual-ch12-40-7" in e for e in errors)


def test_the_copy_itself_may_stay_in_copy_url(knowledge_copy: Path) -> None:
    _source(knowledge_copy, "cms-claims-manual-ch12-40-7", copy_url="https://example.org/a-copy-of-40-7.html")
    validated_knowledge(knowledge_copy)


def test_a_rule_only_tertiary_sources_support_cannot_be_stated_as_fact(knowledge_copy: Path) -> None:
    def forum_only(codes: list[dict]) -> None:
        codes[0]["notes"][0].update(status="confirmed", sources=["aapc-forum-deep-sedation-ed"])

    _edit(knowledge_copy / "codes" / "hip.yaml", "codes", forum_only)
    errors = [e for e in _errors(knowledge_copy) if "tertiary" in e]
    assert len(errors) == 1 and "field 'notes[0].sources'" in errors[0] and "unconfirmed" in errors[0], errors


def test_coders_practice_from_tertiary_sources_is_allowed_when_unconfirmed(knowledge_copy: Path) -> None:
    _edit(
        knowledge_copy / "codes" / "hip.yaml",
        "codes",
        lambda codes: codes[0]["notes"][0].update(
            status="unconfirmed",
            text="Coders' practice, not confirmed: some report it this way.",
            sources=["aapc-forum-deep-sedation-ed"],
        ),
    )
    validated_knowledge(knowledge_copy)


def test_a_modifier_resting_only_on_vendor_pages_is_refused(knowledge_copy: Path) -> None:
    _edit(
        knowledge_copy / "modifiers.yaml",
        "modifiers",
        lambda mods: next(m for m in mods if m["code"] == "XS").update(sources=["x-modifiers-definitions"]),
    )
    assert any("(XS)" in e and "tertiary" in e for e in _errors(knowledge_copy))


def test_the_validation_rules_file_is_required(knowledge_copy: Path) -> None:
    (knowledge_copy / "validation.yaml").unlink()
    assert any("validation.yaml" in e and "missing" in e for e in _errors(knowledge_copy))


def test_bundled_content_passes_every_source_check(knowledge_copy: Path) -> None:
    kb = validated_knowledge(knowledge_copy)
    assert kb.policy.internal_wording and kb.policy.official_domains
    assert all(s.tier in ("primary", "secondary", "tertiary") for s in kb.sources)


def test_an_indicator_decision_must_cite_its_own_sources(knowledge_copy: Path) -> None:
    def strip(indicators: list[dict]) -> None:
        glob = next(i for i in indicators if i["field"] == "glob_days")
        glob["decides"][0].pop("sources")

    _edit(knowledge_copy / "indicators.yaml", "indicators", strip)
    errors = [e for e in _errors(knowledge_copy) if "sources of its own" in e]
    assert len(errors) == 1 and "(glob_days)" in errors[0] and "field 'decides[0].sources'" in errors[0], errors


@pytest.mark.parametrize(
    "edition", ["CPT 2026, as quoted by a coding newsletter", "Appendix A (2026), wording reproduced by a lookup site"]
)
def test_where_we_read_a_publication_stays_out_of_its_citation(knowledge_copy: Path, edition: str) -> None:
    _source(knowledge_copy, "palmetto-mod79", edition=edition, copy_note="Read as quoted by a newsletter in 2026.")
    errors = [e for e in _errors(knowledge_copy) if "internal wording" in e]
    assert len(errors) == 1 and "palmetto-mod79" in errors[0] and "field 'edition'" in errors[0], errors
