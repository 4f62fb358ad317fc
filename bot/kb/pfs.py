"""Import the CMS National Physician Fee Schedule Relative Value File (the PPRRVUyy_QQQ.csv layout).

The official CSV stacks its column names over several header rows under a title block; we rebuild the
names, keep the indicator columns only and drop DESCRIPTION (AMA text) as soon as a row is read. The
output is an indicators-only extract plus a release record, which `kb build` loads. A wrong, truncated or
malformed file is refused whole with the line that is wrong: a half-imported fee schedule is worse than
the previous release.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.kb.ama import descriptor_hash

EXTRACT_NAME = "cms-pfs-indicators.csv"
RELEASE_NAME = "cms-pfs-release.json"
HASHES_NAME = "ama-descriptor-hashes.txt"

# Our column name -> the CMS column name with spaces and punctuation removed.
COLUMNS = {
    "hcpcs": "HCPCS",
    "mod": "MOD",
    "status": "STATUSCODE",
    "work_rvu": "WORKRVU",
    "total_nonfac": "NONFACILITYTOTAL",
    "total_fac": "FACILITYTOTAL",
    "pctc": "PCTCIND",
    "glob_days": "GLOBDAYS",
    "pre_op": "PREOP",
    "intra_op": "INTRAOP",
    "post_op": "POSTOP",
    "mult_proc": "MULTPROC",
    "bilat_surg": "BILATSURG",
    "asst_surg": "ASSTSURG",
    "co_surg": "COSURG",
    "team_surg": "TEAMSURG",
    "conv_factor": "CONVFACTOR",
}
_CODE = re.compile(r"^(\d{4}[0-9FTU]|[A-Z]\d{4})$")
_DIGIT = re.compile(r"^\d$")
_NUMBER = re.compile(r"^\d*\.?\d+$")
_GLOB = {"000", "010", "090", "MMM", "XXX", "YYY", "ZZZ"}
_CHECKS: dict[str, tuple[Callable[[str], bool], str]] = {
    "hcpcs": (lambda v: bool(_CODE.match(v)), "a CPT or HCPCS code"),
    "mod": (lambda v: v == "" or bool(re.match(r"^[0-9A-Z]{2}$", v)), "empty or a two-character modifier"),
    "status": (lambda v: bool(re.match(r"^[A-Z]$", v)), "a one-letter status code"),
    "glob_days": (lambda v: v in _GLOB, "one of " + ", ".join(sorted(_GLOB))),
    "pctc": (lambda v: bool(_DIGIT.match(v)), "a digit"),
    **{
        k: (lambda v: bool(_DIGIT.match(v)), "a digit")
        for k in ("mult_proc", "bilat_surg", "asst_surg", "co_surg", "team_surg")
    },
    **{
        k: (lambda v: bool(_NUMBER.match(v)), "a number")
        for k in ("pre_op", "intra_op", "post_op", "work_rvu", "total_nonfac", "total_fac", "conv_factor")
    },
}
MAX_REPORTED = 20


class PfsImportError(Exception):
    """The file is not a usable RVU file; the message says what and where."""


@dataclass(frozen=True)
class PfsImport:
    rows: list[dict[str, str]]
    release: dict[str, object]
    descriptor_hashes: set[str]


def _key(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def parse_pfs(path: Path, progress: Callable[[int], None] | None = None) -> PfsImport:
    """Read and check the whole file; raise PfsImportError naming the first problems found."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PfsImportError(f"{path}: cannot read ({exc.strerror})") from exc
    if not raw.strip():
        raise PfsImportError(f"{path}: the file is empty")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if "\x00" in text:
        raise PfsImportError(f"{path}: this is a binary file, not the CMS RVU CSV")
    lines = list(csv.reader(text.splitlines()))
    header_at = next(
        (i for i, row in enumerate(lines) if len(row) >= 2 and _key(row[0]) == "HCPCS" and _key(row[1]) == "MOD"), None
    )
    if header_at is None:
        raise PfsImportError(
            f"{path}: wrong header: no row starting 'HCPCS,MOD' was found; "
            "expected the CMS National Physician Fee Schedule Relative Value File (PPRRVU*.csv)"
        )
    names = _column_names(lines[: header_at + 1])
    missing = [cms for ours, cms in COLUMNS.items() if cms not in names]
    if missing:
        raise PfsImportError(f"{path}: wrong header: missing column(s) {', '.join(missing)} (line {header_at + 1})")
    index = {ours: names.index(cms) for ours, cms in COLUMNS.items()}
    desc_at = names.index("DESCRIPTION") if "DESCRIPTION" in names else None
    width = len(lines[header_at])
    rows: list[dict[str, str]] = []
    hashes: set[str] = set()
    problems: list[str] = []
    for n, row in enumerate(lines[header_at + 1 :], start=header_at + 2):
        if not any(cell.strip(" \t\x1a") for cell in row):  # blank, or the DOS end-of-file mark
            continue
        if len(row) < width:
            problems.append(f"line {n}: {len(row)} columns, expected {width} (truncated file?)")
            continue
        record = {ours: row[i].strip() for ours, i in index.items()}
        for field, (ok, expected) in _CHECKS.items():
            if not ok(record[field]):
                problems.append(f"line {n}: column {COLUMNS[field]} is {record[field]!r}, expected {expected}")
                break
        else:
            rows.append(record)
            if desc_at is not None and re.match(r"^(\d{5}|\d{4}[FTU])$", record["hcpcs"]):
                hashes.add(descriptor_hash(row[desc_at]))  # the text itself is never kept
        if len(problems) >= MAX_REPORTED:
            break
        if progress and len(rows) % 5000 == 0 and rows:
            progress(len(rows))
    if problems:
        more = " (stopped after the first problems)" if len(problems) >= MAX_REPORTED else ""
        raise PfsImportError(
            f"{path}: {len(problems)} bad row(s){more}; nothing was imported:\n  " + "\n  ".join(problems)
        )
    if not rows:
        raise PfsImportError(f"{path}: the header is there but there are no data rows")
    return PfsImport(rows, _release(lines[:header_at], path, raw, len(rows)), hashes)


def _column_names(header_rows: list[list[str]]) -> list[str]:
    """CMS stacks each column's name over several rows; columns 0-2 share rows with the title block."""
    last = header_rows[-1]
    names = []
    for col in range(len(last)):
        if col < 3:
            names.append(_key(last[col]))
            continue
        parts = [row[col] for row in header_rows if col < len(row) and row[col].strip()]
        names.append(_key(" ".join(parts)))
    return names


def _release(title_rows: list[list[str]], path: Path, raw: bytes, count: int) -> dict[str, object]:
    texts = [cell.strip() for row in title_rows for cell in row if cell.strip()]
    title = next((t for t in texts if "Relative Value File" in t), path.stem)
    released = next((t.split("RELEASED", 1)[1].strip() for t in texts if t.upper().startswith("RELEASED")), "")
    return {
        "title": title,
        "released": released,
        "file": path.name,
        "rows": count,
        "sha256": hashlib.sha256(raw).hexdigest(),
    }


def write_extract(result: PfsImport, out_dir: Path) -> list[Path]:
    """Write the indicators-only extract, its release record and the descriptor hashes (never the text).

    Each file is written whole to a temporary name and moved into place, the release record last: it holds the
    extract's row count and SHA-256, so an import killed half-way, or an extract cut short or edited later, is
    refused by `kb build` instead of replacing the live fee schedule."""
    out_dir.mkdir(parents=True, exist_ok=True)
    extract, release, hashes = out_dir / EXTRACT_NAME, out_dir / RELEASE_NAME, out_dir / HASHES_NAME
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS))
    writer.writeheader()
    writer.writerows(result.rows)
    data = buffer.getvalue().encode("utf-8")
    record = {**result.release, "extract_rows": len(result.rows), "extract_sha256": hashlib.sha256(data).hexdigest()}
    _replace(
        hashes,
        (
            "# SHA-256 (first 16 hex) of each normalised CPT short descriptor in the CMS file: used only to\n"
            "# refuse pasted AMA text in knowledge/. The descriptor text itself is never stored.\n"
            + "".join(h + "\n" for h in sorted(result.descriptor_hashes))
        ).encode("utf-8"),
    )
    _replace(extract, data)
    _replace(release, (json.dumps(record, indent=2) + "\n").encode("utf-8"))
    return [extract, release, hashes]


def _replace(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all (a temporary file beside it, fsynced, then renamed)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_extract(data_dir: Path) -> tuple[list[dict[str, str]], dict[str, object]]:
    """Load an extract written by write_extract (the bundled one or an operator's newer import), checked against
    its release record: a file cut at a line boundary parses cleanly, so only the count and the checksum tell."""
    release_path, extract_path = data_dir / RELEASE_NAME, data_dir / EXTRACT_NAME
    try:
        release = json.loads(release_path.read_text())
    except (OSError, ValueError) as exc:
        raise PfsImportError(
            f"{release_path}: cannot read the release record ({exc}); run `coding-bot kb import-pfs` again"
        ) from exc
    try:
        raw = extract_path.read_bytes()
    except OSError as exc:
        raise PfsImportError(f"{extract_path}: cannot read ({exc.strerror or exc})") from exc
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8", errors="replace"), newline="")))
    if not rows or set(rows[0]) != set(COLUMNS):
        raise PfsImportError(f"{extract_path}: not an extract written by `coding-bot kb import-pfs`")
    expected_rows = release.get("extract_rows", release.get("rows"))
    if isinstance(expected_rows, int) and len(rows) != expected_rows:
        raise PfsImportError(
            f"{extract_path}: {len(rows):,} rows where its release record ({release_path.name}) says "
            f"{expected_rows:,}: the file is cut short or was changed; run `coding-bot kb import-pfs` "
            "again"
        )
    expected_sha = release.get("extract_sha256")
    if isinstance(expected_sha, str) and hashlib.sha256(raw).hexdigest() != expected_sha:
        raise PfsImportError(
            f"{extract_path}: its SHA-256 does not match its release record ({release_path.name}): "
            "the file was changed after import; run `coding-bot kb import-pfs` again"
        )
    return rows, release


def print_progress(count: int) -> None:
    print(f"  read {count:,} rows...", file=sys.stderr, flush=True)
