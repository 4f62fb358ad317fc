"""Import HCPCS Level II: CMS's alpha-numeric file in its fixed-width ANWEB layout, or a third-party CSV
conversion of it, into a descriptions extract that `kb build` loads.

HCPCS Level II is public CMS data with no CPT or CDT text in it, so descriptions are kept as published; a
CPT-range code in the input means it is not the alpha-numeric file, and the file is refused. A code's long
description runs over its first record and its continuation records. A broken file is refused whole, with
the line that is wrong: a code set with holes would answer "no such code" for codes that exist.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bot.kb import source_ids
from bot.kb.datasets import Dataset

EXTRACT_NAME = "cms-hcpcs.csv"
RELEASE_NAME = "cms-hcpcs-release.json"
SOURCE_ID = source_ids.HCPCS
URL = "https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update"
COLUMNS = [
    "code",
    "kind",
    "long_description",
    "short_description",
    "add_date",
    "effective_date",
    "termination_date",
    "action_code",
]
MAX_REPORTED = 20

# The ANWEB record: 1-based inclusive columns, checked against every record of the 2020 release's .xls.
RECORD_LENGTH = 320
CONTINUATION_LENGTH = 91  # CMS ends a continuation record after its line of long description
LAYOUT = {
    "code": (1, 5),
    "sequence": (6, 10),
    "record_id": (11, 11),
    "long_description": (12, 91),
    "short_description": (92, 119),
    "add_date": (269, 276),
    "effective_date": (277, 284),
    "termination_date": (285, 292),
    "action_code": (293, 293),
}
_XLS_NAMES = {"add_date": "ADD DT", "effective_date": "ACT EFF DT", "termination_date": "TERM DT"}
FIRST_LINE = {"3": "procedure", "7": "modifier"}
CONTINUES = {"4": "3", "8": "7"}  # a continuation's record id -> the record id of the first line it continues
MAX_PREAMBLE = 40  # CMS puts a short notice above the records of some releases ("_w_disclaimer")

_RECORD_START = re.compile(r"^[A-Z0-9 ]{5}\d{5}")
_CODE = {"procedure": re.compile(r"^[A-V]\d{4}$"), "modifier": re.compile(r"^[A-Z0-9]{2}$")}
_CPT = re.compile(r"^(\d{5}|\d{4}[FTU]|\d{2})$")  # CPT codes and CPT's numeric modifiers: AMA text
_CONVERTED_CODE = re.compile(r"^([A-Z0-9]{2}|[A-Z0-9]{5})(\d{5})(\d)$")
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0e-\x19\x1b-\x1f]")
_NAMED_RELEASE = re.compile(r"HCPC(\d{4})(?:_(JAN|APR|JUL|OCT))?", re.IGNORECASE)
_QUARTERS = {"JAN": 1, "APR": 4, "JUL": 7, "OCT": 10}
_MONTHS = {1: "January", 4: "April", 7: "July", 10: "October"}
CONVERTED = "third-party CSV conversion"


class HcpcsImportError(Exception):
    """The file is not a usable HCPCS Level II file; the message says what and where."""


@dataclass(frozen=True)
class HcpcsImport:
    rows: list[dict[str, str]]
    release: dict[str, object]


@dataclass
class _Code:
    line: int
    kind: str
    record_id: str
    sequence: int
    parts: list[str]
    fields: dict[str, str]


class _Assembler:
    """Joins each code's first line with its continuations and names every record out of order."""

    def __init__(self) -> None:
        self.codes: dict[str, _Code] = {}
        self.current: tuple[str, _Code] | None = None
        self.refused: str | None = None  # the code whose first line was just refused
        self.problems: list[str] = []

    def refuse(self, line: int, code: str, record_id: str, problem: str) -> None:
        self.problems.append(f"line {line}: {problem}")
        if record_id in FIRST_LINE:
            self.refused = code

    def add(self, line: int, code: str, sequence: str, record_id: str, text: str, fields: dict[str, str]) -> None:
        if record_id in CONTINUES and code == self.refused:
            return  # its first line is reported already; "a continuation without its first line" would say it twice
        problem = self._check(code, sequence, record_id, text)
        if problem:
            self.refuse(line, code, record_id, problem)
            return
        self.refused = None
        if record_id in FIRST_LINE:
            entry = _Code(line, FIRST_LINE[record_id], record_id, int(sequence), [text], fields)
            self.codes[code] = entry
            self.current = (code, entry)
        else:
            assert self.current is not None  # _check refused a continuation without its first line
            self.current[1].parts.append(text)
            self.current[1].sequence = int(sequence)

    def _check(self, code: str, sequence: str, record_id: str, text: str) -> str | None:
        if record_id not in FIRST_LINE and record_id not in CONTINUES:
            return (
                f"unknown record id {record_id!r} for {code or 'a blank code'}; expected 3 or 4 (a procedure, "
                "first line or continuation) or 7 or 8 (a modifier)"
            )
        if _CPT.match(code):
            return f"{code} is a CPT code: CMS's HCPCS Level II file holds none, so this is not that file"
        if record_id in FIRST_LINE:
            kind = FIRST_LINE[record_id]
            if not _CODE[kind].match(code):
                expected = "a letter A-V and four digits" if kind == "procedure" else "two letters or digits"
                return f"code {code!r} with record id {record_id} (a {kind}) is not {expected}"
            if code in self.codes:
                return f"{code} starts again (its first line was line {self.codes[code].line})"
            if not text.strip():
                return f"{code} has no long description (columns {_span('long_description')})"
            return None
        first = CONTINUES[record_id]  # it follows its own first line: same code, same kind
        if self.current is None or self.current[0] != code or self.current[1].record_id != first:
            return f"a continuation (record id {record_id}) of {code} without its first line (record id {first})"
        if int(sequence) <= self.current[1].sequence:
            return f"sequence {sequence} of {code} does not follow {self.current[1].sequence:05d}"
        return None

    def rows(self) -> list[dict[str, str]]:
        return [
            {
                "code": code,
                "kind": c.kind,
                "long_description": " ".join(" ".join(c.parts).split()),
                "short_description": " ".join(c.fields.get("short_description", "").split()),
                **{k: c.fields.get(k, "") for k in ("add_date", "effective_date", "termination_date", "action_code")},
            }
            for code, c in self.codes.items()
        ]


def _span(name: str) -> str:
    start, end = LAYOUT[name]
    return f"{start}-{end}" if end > start else str(start)


def _read_text(path: Path) -> tuple[bytes, str]:
    """The file's bytes (for its checksum) and text; empty, unreadable and binary files are refused here."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise HcpcsImportError(f"{path}: cannot read ({exc.strerror})") from exc
    if not raw.strip(b" \t\r\n\x1a"):
        raise HcpcsImportError(f"{path}: the file is empty")
    binary = _BINARY.search(raw)
    if binary:
        line = raw.count(b"\n", 0, binary.start()) + 1
        raise HcpcsImportError(
            f"{path}: binary data (byte {binary.group()!r} at line {line}); expected the text file CMS ships "
            "(HCPCyyyy_..._ANWEB.txt) or the converted CSV, not a spreadsheet or an archive"
        )
    for encoding in ("utf-8-sig", "cp1252"):  # CMS writes Windows text: CMS\x92 in the 2020 notice
        try:
            return raw, raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw, raw.decode("latin-1")


def parse_hcpcs(path: Path, release: str | None = None) -> HcpcsImport:
    """Either layout: the converted CSV is a .csv with its header row; CMS's file starts with records or a notice."""
    raw, text = _read_text(path)
    if _is_converted(text) or path.suffix.lower() == ".csv":
        return _converted(path, raw, text, release)
    return _anweb(path, raw, text, release)


def parse_anweb(path: Path, release: str | None = None) -> HcpcsImport:
    """CMS's own fixed-width alpha-numeric file (HCPCyyyy[_QQQ]_ANWEB*.txt)."""
    raw, text = _read_text(path)
    if _is_converted(text):
        raise HcpcsImportError(
            f"{path}: this is the third-party CSV conversion, not CMS's fixed-width file; "
            "`coding-bot kb import-hcpcs` reads it as such"
        )
    return _anweb(path, raw, text, release)


def parse_converted_csv(path: Path, release: str | None = None) -> HcpcsImport:
    """The third-party CSV conversion of an ANWEB file: only Code and Description1 are trusted (see the module doc)."""
    return _converted(path, *_read_text(path), release)


def _is_converted(text: str) -> bool:
    return text.lstrip().startswith("Code,")


def _anweb(path: Path, raw: bytes, text: str, release: str | None) -> HcpcsImport:
    lines = [line.rstrip("\r") for line in text.split("\n")]  # not splitlines(): \x85 and \x1c are not line ends here
    first = next((i for i, line in enumerate(lines[: MAX_PREAMBLE + 1]) if _RECORD_START.match(line)), None)
    if first is None:
        raise HcpcsImportError(
            f"{path}: no HCPCS record in the first {MAX_PREAMBLE} lines; expected CMS's alpha-numeric file in the "
            "fixed-width ANWEB layout (a code in columns 1-5, a 5-digit sequence in 6-10, the record id in 11)"
        )
    codes = _Assembler()
    for n, line in enumerate(lines[first:], start=first + 1):
        if not line.strip(" \t\x1a"):  # blank, or the DOS end-of-file mark
            continue
        fields = {name: line[start - 1 : end].strip() for name, (start, end) in LAYOUT.items()}
        problem = _record_problem(line) or (_fields_problem(fields) if fields["record_id"] in FIRST_LINE else None)
        if problem:
            codes.refuse(n, fields["code"], fields["record_id"], problem)
        else:
            codes.add(
                n,
                fields["code"],
                fields["sequence"],
                fields["record_id"],
                fields["long_description"],
                {**fields, **{k: _iso(fields[k]) for k in _XLS_NAMES}},
            )
        if len(codes.problems) >= MAX_REPORTED:
            break
    return _result(path, raw, codes, release, "CMS ANWEB fixed-width")


def _record_problem(line: str) -> str | None:
    if not _RECORD_START.match(line):
        return f"not an ANWEB record: expected a code in columns 1-5 and a 5-digit sequence in 6-10, got {line[:20]!r}"
    record_id = line[10]
    if record_id in FIRST_LINE and len(line) != RECORD_LENGTH:
        return (
            f"record of {len(line)} characters, expected {RECORD_LENGTH} for a first line (record id "
            f"{record_id}); a truncated file, or trailing spaces stripped?"
        )
    if record_id in CONTINUES and len(line) not in (CONTINUATION_LENGTH, RECORD_LENGTH):
        return (
            f"record of {len(line)} characters, expected {CONTINUATION_LENGTH} or {RECORD_LENGTH} for a "
            f"continuation (record id {record_id}); a truncated file?"
        )
    return None


def _fields_problem(fields: dict[str, str]) -> str | None:
    for name, xls in _XLS_NAMES.items():
        value = fields[name]
        if value and _iso(value) == "":
            return f"{fields['code']}: {xls} (columns {_span(name)}) is {value!r}, expected a date YYYYMMDD or blank"
    if not re.match(r"^[A-Z]?$", fields["action_code"]):
        return (
            f"{fields['code']}: ACTION CD (column {_span('action_code')}) is {fields['action_code']!r}, "
            "expected a letter or blank"
        )
    return None


def _iso(value: str) -> str:
    """YYYYMMDD -> YYYY-MM-DD; "" for blank or not a date."""
    try:
        return datetime.strptime(value, "%Y%m%d").date().isoformat() if len(value) == 8 else ""
    except ValueError:
        return ""


def _converted(path: Path, raw: bytes, text: str, release: str | None) -> HcpcsImport:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    if "Code" not in header or "Description1" not in header:
        raise HcpcsImportError(
            f"{path}: wrong header {header[:4]!r}: the converted CSV has columns Code and "
            "Description1 (Code = code, 5-digit sequence and record id)"
        )
    at_code, at_text = header.index("Code"), header.index("Description1")
    codes = _Assembler()
    for row in reader:
        n = reader.line_num
        if not any(cell.strip(" \t\x1a") for cell in row):
            continue
        if len(row) < len(header):
            codes.refuse(n, "", "", f"{len(row)} columns, expected {len(header)} (truncated file?)")
        else:
            match = _CONVERTED_CODE.match(row[at_code].strip())
            if match:
                code, sequence, record_id = match.groups()
                codes.add(n, code, sequence, record_id, row[at_text].strip(), {})
            else:
                codes.refuse(
                    n,
                    "",
                    "",
                    f"Code is {row[at_code]!r}, expected a code (2 or 5 characters), a 5-digit "
                    "sequence and a 1-digit record id, as E0114001003",
                )
        if len(codes.problems) >= MAX_REPORTED:
            break
    return _result(path, raw, codes, release, CONVERTED)


def _result(path: Path, raw: bytes, codes: _Assembler, release: str | None, layout: str) -> HcpcsImport:
    if codes.problems:
        more = " (stopped after the first problems)" if len(codes.problems) >= MAX_REPORTED else ""
        listed = "\n  ".join(codes.problems)
        raise HcpcsImportError(f"{path}: {len(codes.problems)} bad record(s){more}; nothing was imported:\n  {listed}")
    if not codes.codes:
        raise HcpcsImportError(f"{path}: no HCPCS codes in the file")
    rows = codes.rows()
    name, effective = release_of(path.name, release)
    modifiers = sum(1 for r in rows if r["kind"] == "modifier")
    if layout == CONVERTED:
        note = (
            f"A third-party CSV conversion of the CMS {name} HCPCS Level II alpha-numeric file (ANWEB). Only its "
            "Code (code, sequence, record id) and Description1 (long description) columns are read, since the "
            "others are cut at the wrong places: short descriptions, dates and action codes are left empty."
        )
    else:
        note = f"The CMS HCPCS Level II alpha-numeric file {path.name}, read in CMS's fixed-width ANWEB layout."
    return HcpcsImport(
        rows,
        {
            "title": f"HCPCS Level II alpha-numeric file, {name}",
            "release": name,
            "effective": effective.isoformat(),
            "file": path.name,
            "layout": layout,
            "rows": len(rows),
            "procedures": len(rows) - modifiers,
            "modifiers": modifiers,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "source_note": note,
        },
    )


def release_of(file_name: str, given: str | None) -> tuple[str, date]:
    """Which quarter the file is: from `given` (YYYY-MM) or from CMS's file name (HCPC2025_OCT_ANWEB...)."""
    if given:
        match = re.fullmatch(r"(\d{4})-(01|04|07|10)", given.strip())
        if not match:
            raise HcpcsImportError(
                f"release {given!r}: expected YYYY-MM with the quarter's month (01, 04, 07 or 10), as 2026-01"
            )
        year, month = int(match.group(1)), int(match.group(2))
    else:
        named = _NAMED_RELEASE.search(file_name)
        if not named:
            raise HcpcsImportError(
                f"{file_name}: the file name does not say which release this is; keep CMS's "
                "name (as HCPC2026_JAN_ANWEB.txt) or give the release (--release 2026-01)"
            )
        year, month = int(named.group(1)), _QUARTERS[(named.group(2) or "JAN").upper()]
    return f"{_MONTHS[month]} {year}", date(year, month, 1)


def write_extract(result: HcpcsImport, out_dir: Path) -> list[Path]:
    """Write the extract and its release record; the source file itself is never copied."""
    out_dir.mkdir(parents=True, exist_ok=True)
    extract = out_dir / EXTRACT_NAME
    tmp = extract.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(result.rows)
    tmp.replace(extract)
    release = out_dir / RELEASE_NAME
    release.write_text(json.dumps(result.release, indent=2) + "\n", encoding="utf-8")
    return [extract, release]


def extract_dir(knowledge_root: Path, imports_dir: Path | None) -> Path:
    """An operator's newer import wins over the bundled extract."""
    if imports_dir is not None and (imports_dir / EXTRACT_NAME).exists():
        return imports_dir
    return knowledge_root / "data"


def read_extract(data_dir: Path) -> tuple[list[dict[str, str]], dict[str, object]]:
    """Load an extract written by write_extract; checked again, so a hand edit cannot slip CPT codes in."""
    path = data_dir / EXTRACT_NAME
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or list(rows[0]) != COLUMNS:
        raise HcpcsImportError(f"{path}: not an extract written by `coding-bot kb import-hcpcs`")
    for n, row in enumerate(rows, start=2):
        pattern = _CODE.get(row["kind"])
        if pattern is None or not pattern.match(row["code"]) or _CPT.match(row["code"]):
            raise HcpcsImportError(
                f"{path}: line {n}: {row['code']!r} ({row['kind']!r}) is not a HCPCS Level II "
                "procedure or modifier code"
            )
    return rows, json.loads((data_dir / RELEASE_NAME).read_text(encoding="utf-8"))


def dataset(release: dict[str, object]) -> Dataset:
    return Dataset(
        id=SOURCE_ID,
        name="HCPCS Level II",
        release=f"{release['release']} release",
        date=date.fromisoformat(str(release["effective"])),
        date_kind="effective",
        source=SOURCE_ID,
        rows=int(str(release["rows"])),
        note=str(release["source_note"]),
    )


def source_record(release: dict[str, object]) -> dict[str, object]:
    """The source answers cite: CMS's publication, whichever copy of it was read (that stays in the release note)."""
    return {
        "id": SOURCE_ID,
        "title": "HCPCS Level II alpha-numeric file (Healthcare Common Procedure Coding System)",
        "publisher": "Centers for Medicare and Medicaid Services",
        "edition": f"{release['release']} release, effective {release['effective']}",
        "url": URL,
        "licence": "CMS public data; holds no CPT or CDT text; descriptions as published",
        "tier": "primary",
        "kind": "primary",
        "brief_ref": None,
    }
