"""The HCPCS Level II importer: CMS's fixed-width ANWEB file, the converted CSV, and every way a file can be wrong."""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.kb.hcpcs import (
    COLUMNS,
    CONVERTED,
    EXTRACT_NAME,
    RELEASE_NAME,
    HcpcsImportError,
    parse_anweb,
    parse_converted_csv,
    parse_hcpcs,
    read_extract,
    write_extract,
)
from tests.conftest import FIXTURES, REPO, SHARED_HCPCS

ANWEB = FIXTURES / "HCPC2020_ANWEB_small.txt"
CONVERTED_CSV = FIXTURES / "HCPC2025_OCT_ANWEB_converted_small.csv"
SHARED_2020 = SHARED_HCPCS / "HCPC2020_ANWEB_w_disclaimer.txt"
SHARED_2025 = SHARED_HCPCS / "HCPC2025_OCT_ANWEB_converted.csv"
BUNDLED = REPO / "knowledge" / "data"


def _by_code(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {r["code"]: r for r in rows}


def test_anweb_fixture(tmp_path: Path) -> None:
    result = parse_anweb(ANWEB)
    rows = _by_code(result.rows)
    assert rows["E0114"] == {
        "code": "E0114",
        "kind": "procedure",
        "long_description": (
            "Crutches underarm, other than wood, adjustable or fixed, pair, with pads, tips and handgrips"
        ),
        "short_description": "Crutch underarm pair no wood",
        "add_date": "1986-01-01",
        "effective_date": "1997-01-01",
        "termination_date": "",
        "action_code": "N",
    }
    assert rows["AD"]["kind"] == "modifier" and rows["AD"]["long_description"].endswith("anesthesia procedures"), (
        "a modifier's continuation record (id 8) is joined to its first line"
    )
    assert (
        rows["FA"]["long_description"] == "Left hand, thumb"
        and rows["TA"]["long_description"] == "Left foot, great toe"
    )
    assert rows["A4466"]["termination_date"] == "2016-12-31", "terminated codes are kept, with their date"
    assert "Note regarding" not in str(result.rows), "CMS's notice above the records is not a record"
    release = result.release
    assert (release["release"], release["effective"], release["layout"]) == (
        "January 2020",
        "2020-01-01",
        "CMS ANWEB fixed-width",
    )
    assert (release["rows"], release["procedures"], release["modifiers"]) == (13, 7, 6)
    assert release["sha256"] == hashlib.sha256(ANWEB.read_bytes()).hexdigest()


def test_converted_csv_fixture_trusts_code_and_description1_only() -> None:
    result = parse_converted_csv(CONVERTED_CSV)
    rows = _by_code(result.rows)
    assert rows["AB"]["long_description"].startswith(
        "Audiology service furnished personally by an audiologist without a physician/npp order"
    )
    assert rows["AB"]["long_description"].endswith("once every 12 months, per beneficiary"), "five records joined"
    assert rows["E0114"]["long_description"] == _by_code(parse_anweb(ANWEB).rows)["E0114"]["long_description"]
    for row in result.rows:  # its other columns are cut at the wrong places
        assert row["short_description"] == row["add_date"] == row["effective_date"] == row["action_code"] == ""
    assert "Crutch underarm pair no wood32" not in str(result.rows)
    release = result.release
    assert (release["release"], release["effective"], release["layout"]) == ("October 2025", "2025-10-01", CONVERTED)
    assert "third-party CSV conversion of the CMS October 2025" in str(release["source_note"])


def test_parse_hcpcs_tells_the_layouts_apart() -> None:
    assert parse_hcpcs(ANWEB).release["layout"] == "CMS ANWEB fixed-width"
    assert parse_hcpcs(CONVERTED_CSV).release["layout"] == CONVERTED
    with pytest.raises(HcpcsImportError, match="third-party CSV conversion, not CMS's fixed-width file"):
        parse_anweb(CONVERTED_CSV)


def test_extract_round_trip(tmp_path: Path) -> None:
    result = parse_anweb(ANWEB)
    written = write_extract(result, tmp_path)
    assert [p.name for p in written] == [EXTRACT_NAME, RELEASE_NAME]
    with (tmp_path / EXTRACT_NAME).open(newline="") as fh:
        assert next(csv.reader(fh)) == COLUMNS
    text = (tmp_path / EXTRACT_NAME).read_text()
    assert "A60-9" not in text and "2100.1" not in text, "pricing and manual references are not copied"
    rows, release = read_extract(tmp_path)
    assert rows == result.rows and release == result.release


def test_extract_with_a_cpt_code_is_refused(tmp_path: Path) -> None:
    write_extract(parse_anweb(ANWEB), tmp_path)
    extract = tmp_path / EXTRACT_NAME
    extract.write_text(extract.read_text() + "27252,procedure,pasted text,,,,,\n")
    with pytest.raises(HcpcsImportError, match="'27252' .* is not a HCPCS Level II"):
        read_extract(tmp_path)
    extract.write_text("not,an,extract\n1,2,3\n")
    with pytest.raises(HcpcsImportError, match="not an extract"):
        read_extract(tmp_path)


def _lines() -> list[str]:
    return ANWEB.read_bytes().decode("cp1252").split("\r\n")


def _at(lines: list[str], code: str, record_id: str = "3") -> int:
    return next(i for i, line in enumerate(lines) if line[:5].strip() == code and line[10:11] == record_id)


def _replace(code: str, start: int, text: str, record_id: str = "3") -> Callable[[list[str]], list[str]]:
    """Overwrite columns from `start` (1-based) of one record."""

    def mutate(lines: list[str]) -> list[str]:
        i = _at(lines, code, record_id)
        line = lines[i]
        lines[i] = line[: start - 1] + text + line[start - 1 + len(text) :]
        return lines

    return mutate


def _drop(code: str, record_id: str = "3") -> Callable[[list[str]], list[str]]:
    return lambda lines: lines[: _at(lines, code, record_id)] + lines[_at(lines, code, record_id) + 1 :]


def _duplicate(code: str) -> Callable[[list[str]], list[str]]:
    return lambda lines: lines[: _at(lines, code)] + [lines[_at(lines, code)]] + lines[_at(lines, code) :]


def _cut(code: str, length: int) -> Callable[[list[str]], list[str]]:
    def mutate(lines: list[str]) -> list[str]:
        lines[_at(lines, code)] = lines[_at(lines, code)][:length]
        return lines

    return mutate


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda lines: lines[:-2] + [lines[-2][:200]], "record of 200 characters, expected 320"),
        (_cut("E0114", 293), "trailing spaces stripped?"),
        (_cut("E0114", 60), "record of 60 characters"),
        (_replace("A4570", 11, "5"), "unknown record id '5' for A4570"),
        (_drop("E0114"), "a continuation (record id 4) of E0114 without its first line (record id 3)"),
        (
            _replace("E0114", 11, "8", record_id="4"),
            "a continuation (record id 8) of E0114 without its first line (record id 7)",
        ),
        (_replace("E0114", 6, "00100", record_id="4"), "sequence 00100 of E0114 does not follow 00100"),
        (_replace("A4570", 1, "27252"), "27252 is a CPT code"),
        (_replace("FA", 1, "   25", record_id="7"), "25 is a CPT code"),
        (
            _replace("A4570", 1, "W4570"),
            "code 'W4570' with record id 3 (a procedure) is not a letter A-V and four digits",
        ),
        (
            _replace("KX", 1, "E0114", record_id="7"),
            "code 'E0114' with record id 7 (a modifier) is not two letters or digits",
        ),
        (_duplicate("A4570"), "A4570 starts again (its first line was line"),
        (_replace("A4570", 12, " " * 80), "A4570 has no long description (columns 12-91)"),
        (_replace("A4570", 269, "2002X701"), "A4570: ADD DT (columns 269-276) is '2002X701', expected a date YYYYMMDD"),
        (_replace("A4570", 285, "20201340"), "TERM DT (columns 285-292) is '20201340'"),
        (_replace("A4570", 293, "7"), "ACTION CD (column 293) is '7'"),
        (
            lambda lines: lines[:12] + ["a note typed in the middle of the file"] + lines[12:],
            "line 13: not an ANWEB record",
        ),
        (lambda lines: lines[:9], "no HCPCS record in the first 40 lines"),
        (lambda lines: lines[:9] * 6 + lines[9:], "no HCPCS record in the first 40 lines"),
        (lambda lines: [], "the file is empty"),
        (lambda lines: ["", "   ", "\x1a"], "the file is empty"),
    ],
    ids=[
        "truncated-last-record",
        "trailing-spaces-stripped",
        "truncated-record",
        "unknown-record-id",
        "continuation-without-first-line",
        "continuation-of-the-other-kind",
        "sequence-out-of-order",
        "cpt-code",
        "cpt-modifier",
        "not-a-hcpcs-code",
        "procedure-code-as-modifier",
        "code-twice",
        "no-description",
        "bad-add-date",
        "bad-term-date",
        "bad-action-code",
        "text-among-records",
        "notice-only",
        "notice-too-long",
        "empty",
        "blank",
    ],
)
def test_broken_anweb_files_are_refused_whole(
    tmp_path: Path, mutate: Callable[[list[str]], list[str]], message: str
) -> None:
    path = tmp_path / "HCPC2020_ANWEB_bad.txt"
    path.write_bytes("\r\n".join(mutate(_lines())).encode("cp1252"))
    with pytest.raises(HcpcsImportError) as err:
        parse_anweb(path)
    assert message in str(err.value)
    assert "Traceback" not in str(err.value)


def test_the_line_that_is_wrong_is_named_once(tmp_path: Path) -> None:
    """E0114's continuation is not reported as well: its first line is the one that is wrong."""
    lines = _lines()
    i = _at(lines, "E0114")
    lines[i] = lines[i][:150]
    path = tmp_path / "HCPC2020_ANWEB_bad.txt"
    path.write_text("\r\n".join(lines), encoding="cp1252")
    with pytest.raises(
        HcpcsImportError, match=f"1 bad record\\(s\\); nothing was imported:\n  line {i + 1}: record of 150"
    ):
        parse_anweb(path)


def test_many_problems_stop_early(tmp_path: Path) -> None:
    path = tmp_path / "HCPC2020_ANWEB_bad.txt"
    path.write_text("\r\n".join(["E0114001005" + "x" * 309] * 50))
    with pytest.raises(HcpcsImportError, match=r"20 bad record\(s\) \(stopped after the first problems\)"):
        parse_anweb(path)


@pytest.mark.parametrize(
    "data",
    [
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00",
        b"PK\x03\x04\x14\x00\x06\x00",
        ANWEB.read_bytes()[:900] + b"\x00\x01" + ANWEB.read_bytes()[900:],
    ],
    ids=["xls", "zip", "nul-in-text"],
)
def test_binary_data_is_refused(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "HCPC2020_ANWEB.txt"
    path.write_bytes(data)
    with pytest.raises(HcpcsImportError, match=r"binary data \(byte .* at line \d+\)"):
        parse_hcpcs(path)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(HcpcsImportError, match="cannot read"):
        parse_hcpcs(tmp_path / "HCPC2026_JAN_ANWEB.txt")


def test_the_release_comes_from_cms_file_name_or_is_given(tmp_path: Path) -> None:
    renamed = tmp_path / "codes.txt"
    renamed.write_bytes(ANWEB.read_bytes())
    with pytest.raises(HcpcsImportError, match="does not say which release this is.*--release 2026-01"):
        parse_anweb(renamed)
    assert parse_anweb(renamed, "2026-01").release["release"] == "January 2026"
    with pytest.raises(HcpcsImportError, match="expected YYYY-MM with the quarter's month"):
        parse_anweb(renamed, "2026-02")
    quarterly = tmp_path / "HCPC2026_APR_ANWEB_v2.txt"
    quarterly.write_bytes(ANWEB.read_bytes())
    assert parse_anweb(quarterly).release["effective"] == "2026-04-01"


def _csv_lines() -> list[str]:
    return CONVERTED_CSV.read_text().splitlines()


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda lines: ["HCPCS,Long,Short"] + lines[1:], "wrong header ['HCPCS', 'Long', 'Short']"),
        (
            lambda lines: [re.sub(r"^E0114001003", "E0114-00100", line) for line in lines],
            "Code is 'E0114-00100', expected a code",
        ),
        (lambda lines: lines[:-1] + ["Q4022001003,Cast supplies"], "2 columns, expected 8 (truncated file?)"),
        (
            lambda lines: [line for line in lines if not line.startswith("E0114001003")],
            "a continuation (record id 4) of E0114 without",
        ),
        (lambda lines: lines + ["27252001003,pasted,,,,,,"], "27252 is a CPT code"),
        (lambda lines: lines + ["E0114001003,again,,,,,,"], "E0114 starts again"),
        (lambda lines: lines[:1], "no HCPCS codes in the file"),
    ],
    ids=[
        "wrong-header",
        "bad-code",
        "truncated-row",
        "continuation-without-first-line",
        "cpt-code",
        "code-twice",
        "header-only",
    ],
)
def test_broken_converted_csv_is_refused_whole(
    tmp_path: Path, mutate: Callable[[list[str]], list[str]], message: str
) -> None:
    path = tmp_path / "HCPC2025_OCT_ANWEB_converted.csv"
    path.write_text("\n".join(mutate(_csv_lines())) + "\n")
    with pytest.raises(HcpcsImportError) as err:
        parse_hcpcs(path)
    assert message in str(err.value)


@pytest.mark.skipif(not SHARED_2020.exists(), reason="the shared CMS HCPCS files are not beside this checkout")
def test_real_cms_2020_anweb_file() -> None:
    result = parse_anweb(SHARED_2020)
    raw = SHARED_2020.read_bytes().split(b"\r\n")
    assert result.release["procedures"] == sum(1 for line in raw if line[10:11] == b"3") == 6710
    assert result.release["modifiers"] == sum(1 for line in raw if line[10:11] == b"7") == 369
    rows = _by_code(result.rows)
    assert rows["E0114"]["long_description"].endswith("with pads, tips and handgrips")
    assert rows["GW"]["short_description"] == "Service unrelated to term co"
    assert all(not re.fullmatch(r"\d{5}|\d{2}", r["code"]) for r in result.rows)


@pytest.mark.skipif(not SHARED_2025.exists(), reason="the shared CMS HCPCS files are not beside this checkout")
def test_bundled_extract_is_the_importers_output_of_the_newest_release() -> None:
    rows, release = read_extract(BUNDLED)
    result = parse_converted_csv(SHARED_2025)
    assert rows == result.rows and release == result.release


def test_bundled_extract() -> None:
    """A fresh clone answers every HCPCS code and modifier of the October 2025 release, and nothing from CPT."""
    rows, release = read_extract(BUNDLED)
    assert (release["release"], release["procedures"], release["modifiers"]) == ("October 2025", 8463, 383)
    assert release["layout"] == CONVERTED and "third-party" in str(release["source_note"])
    assert len(rows) == release["rows"] and not [r for r in rows if re.fullmatch(r"\d{5}|\d{4}[FTU]|\d{2}", r["code"])]
    codes = _by_code(rows)
    assert {f"F{c}" for c in "A123456789"} | {f"T{c}" for c in "A123456789"} | {"GW", "KX"} <= set(codes)


def test_cli_import_hcpcs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CODING_BOT_DATA_DIR", str(tmp_path / "data"))
    assert main(["kb", "import-hcpcs", str(ANWEB)]) == 0
    out = capsys.readouterr().out
    assert "imported 7 codes and 6 modifiers of HCPCS Level II alpha-numeric file, January 2020" in out
    assert (tmp_path / "data" / "imports" / EXTRACT_NAME).exists() and "kb build" in out
    assert main(["kb", "import-hcpcs", str(CONVERTED_CSV), "--out", str(tmp_path / "out")]) == 0
    assert "third-party CSV conversion" in capsys.readouterr().out
    bad = tmp_path / "HCPC2026_JAN_ANWEB.txt"
    bad.write_bytes(ANWEB.read_bytes()[:-100])
    assert main(["kb", "import-hcpcs", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "expected 320" in err and "Traceback" not in err
    renamed = tmp_path / "codes.txt"
    renamed.write_bytes(ANWEB.read_bytes())
    assert main(["kb", "import-hcpcs", str(renamed), "--release", "2026-01", "--out", str(tmp_path / "out2")]) == 0
    assert "January 2026" in capsys.readouterr().out
