"""The CMS fee-schedule importer: the real file, our own fixture, and every way a file can be wrong."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.kb.pfs import (
    COLUMNS,
    EXTRACT_NAME,
    HASHES_NAME,
    RELEASE_NAME,
    PfsImportError,
    parse_pfs,
    read_extract,
    write_extract,
)
from tests.conftest import FIXTURES, SHARED_CMS

FIXTURE = FIXTURES / "pfs_small.csv"


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_fixture_imports_indicators_only(tmp_path: Path) -> None:
    result = parse_pfs(FIXTURE)
    rows = {r["hcpcs"]: r for r in result.rows if not r["mod"]}
    assert rows["27250"]["glob_days"] == "000" and rows["27252"]["glob_days"] == "090"
    assert rows["27253"]["asst_surg"] == "2" and rows["27253"]["co_surg"] == "1"
    assert rows["26700"]["bilat_surg"] == "0" and rows["99153"]["pctc"] == "3"
    assert (rows["27252"]["pre_op"], rows["27252"]["intra_op"], rows["27252"]["post_op"]) == ("0.10", "0.69", "0.21")
    assert result.release["released"] == "05/03/2024" and "July Release" in str(result.release["title"])
    write_extract(result, tmp_path)
    with (tmp_path / EXTRACT_NAME).open() as fh:
        header = next(csv.reader(fh))
    assert header == list(COLUMNS) and "description" not in {h.lower() for h in header}
    assert "omitted in this fixture" not in (tmp_path / EXTRACT_NAME).read_text()
    loaded, release = read_extract(tmp_path)
    assert len(loaded) == len(result.rows) and release["file"] == "pfs_small.csv"


@pytest.mark.skipif(not SHARED_CMS.exists(), reason="the shared CMS file is not beside this checkout")
def test_real_cms_file(tmp_path: Path) -> None:
    seen: list[int] = []
    result = parse_pfs(SHARED_CMS, progress=seen.append)
    assert len(result.rows) > 18_000 and seen, "progress is reported on a large file"
    by_code = {r["hcpcs"]: r for r in result.rows if not r["mod"]}
    assert by_code["29881"]["glob_days"] == "090"
    assert by_code["27252"]["glob_days"] == "090" and by_code["27252"]["bilat_surg"] == "1"
    written = write_extract(result, tmp_path)
    with SHARED_CMS.open(newline="", encoding="utf-8") as fh:
        descriptions = [row[2] for row in csv.reader(fh) if row and row[0] in ("27252", "27250", "23655")]
    output = "".join(p.read_text() for p in written)
    assert descriptions and not any(d in output for d in descriptions), "AMA descriptor text leaked"


def test_bundled_extract_matches_the_shared_file() -> None:
    """The committed extract is the importer's output, not hand-typed."""
    bundled = Path(__file__).resolve().parent.parent / "knowledge" / "data"
    rows, release = read_extract(bundled)
    assert release["file"] == "PPRRVU24_JUL.csv" and len(rows) == release["rows"]
    if SHARED_CMS.exists():
        assert rows == parse_pfs(SHARED_CMS).rows


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "PPRRVU99_BAD.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda lines: [], "empty"),
        (lambda lines: ["HCPCS,CODE,SOMETHING", "27250,x,y"], "no row starting 'HCPCS,MOD'"),
        (lambda lines: lines[:8] + [lines[8].replace("GLOB", "GLOBE")] + lines[9:], "missing column(s) GLOBDAYS"),
        (lambda lines: lines[:-1] + [lines[-1][: len(lines[-1]) // 2]], "truncated file?"),
        (lambda lines: lines[:12] + [lines[12].replace(",090,", ",9O,", 1)] + lines[13:], "column GLOBDAYS is '9O'"),
        (lambda lines: lines[:10], "no data rows"),
    ],
    ids=["empty", "wrong-header", "missing-column", "truncated", "bad-value", "header-only"],
)
def test_bad_files_are_refused_with_a_clear_message(tmp_path: Path, mutate, message: str) -> None:
    path = _write(tmp_path, "\r\n".join(mutate(_lines(FIXTURE))))
    with pytest.raises(PfsImportError) as err:
        parse_pfs(path)
    assert message in str(err.value)
    if message == "truncated file?":
        assert f"line {len(_lines(FIXTURE))}" in str(err.value)


def test_binary_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PfsImportError, match="binary"):
        parse_pfs(_write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00"))


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PfsImportError, match="cannot read"):
        parse_pfs(tmp_path / "nope.csv")


def test_hashes_file_holds_no_text(tmp_path: Path) -> None:
    write_extract(parse_pfs(FIXTURE), tmp_path)
    lines = [line for line in (tmp_path / HASHES_NAME).read_text().splitlines() if not line.startswith("#")]
    assert lines and all(len(line) == 16 and int(line, 16) >= 0 for line in lines)
    assert (tmp_path / RELEASE_NAME).exists()
