"""Import a licensed CPT descriptor file (CSV: code, descriptor) into the operator's own data folder.

An organisation that holds an AMA CPT licence may show official descriptors to its own coders. The file
is checked, stored under the data directory (never in the repository or the package) and folded into the
next `kb build` of that installation only.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

LICENSED_NAME = "licensed-cpt-descriptors.csv"
_CPT = re.compile(r"^(\d{5}|\d{4}[FTU])$")


class CptImportError(Exception):
    pass


def parse_cpt_file(path: Path) -> list[tuple[str, str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CptImportError(f"{path}: cannot read ({exc.strerror})") from exc
    if not raw.strip():
        raise CptImportError(f"{path}: the file is empty")
    if b"\x00" in raw:
        raise CptImportError(f"{path}: this is a binary file, expected CSV with columns code, descriptor")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig", errors="replace"))))
    if rows and [c.strip().lower() for c in rows[0][:2]] == ["code", "descriptor"]:
        rows = rows[1:]
    out, problems = [], []
    for n, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) < 2 or not _CPT.match(row[0].strip()) or not row[1].strip():
            problems.append(f"line {n}: expected 'code,descriptor' with a CPT code, got {row[:2]!r}")
            if len(problems) >= 20:
                break
            continue
        out.append((row[0].strip(), row[1].strip()))
    if problems:
        raise CptImportError(f"{path}: {len(problems)} bad row(s); nothing was imported:\n  " + "\n  ".join(problems))
    if not out:
        raise CptImportError(f"{path}: no descriptor rows found")
    return out


def write_licensed(rows: list[tuple[str, str]], imports_dir: Path) -> Path:
    imports_dir.mkdir(parents=True, exist_ok=True)
    target = imports_dir / LICENSED_NAME
    tmp = target.with_suffix(".tmp")
    with tmp.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["code", "descriptor"])
        writer.writerows(rows)
    tmp.replace(target)
    return target


def read_licensed(imports_dir: Path) -> list[tuple[str, str]]:
    path = imports_dir / LICENSED_NAME
    return parse_cpt_file(path) if path.exists() else []
