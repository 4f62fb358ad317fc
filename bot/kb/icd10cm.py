"""Import the full ICD-10-CM code set from the `simple-icd-10-cm` package (CDC/NCHS tabular, offline).

ICD-10-CM is public domain (CDC), so descriptions are stored as published. Chapters and blocks are left
out: coders ask about categories, subcategories and billable codes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from importlib.metadata import version

from bot.kb.datasets import Dataset, package_dir

SOURCE_ID = "cdc-icd10cm-2026"


def icd10cm_rows(progress: Callable[[int], None] | None = None) -> Iterator[dict[str, object]]:
    import simple_icd_10_cm as cm  # 2 s to import: only the build pays for it, never `ask`

    count = 0
    for code in cm.get_all_codes(True):
        if cm.is_chapter_or_block(code):
            continue
        # The levels above say what a leaf leaves unsaid ("humerus" is filed under "shoulder joint")
        context = " | ".join(cm.get_description(a) for a in cm.get_ancestors(code) if not cm.is_chapter_or_block(a))
        count += 1
        if progress and count % 25000 == 0:
            progress(count)
        yield {
            "code": code,
            "compact": code.replace(".", ""),
            "description": cm.get_description(code),
            "billable": cm.is_leaf(code),
            "parent": cm.get_parent(code) or None,
            "context": context,
        }


def dataset(rows: int) -> Dataset:
    """The package names the CDC release in its data file's name (icd10c-tabular-April-1-2026.xml)."""
    where = package_dir("simple_icd_10_cm")
    name = next((p.name for p in sorted((where / "data").glob("icd10c-tabular-*.xml"))), "") if where else ""
    named = re.search(r"tabular-([A-Za-z]+)-(\d{1,2})-(\d{4})", name)
    release = " ".join(named.groups()) if named else ""  # "April 1 2026"
    return Dataset(
        id="icd10cm",
        name="ICD-10-CM",
        release=f"{release} release" if release else "as packaged",
        date=datetime.strptime(release, "%B %d %Y").date() if release else None,
        date_kind="effective",
        source=SOURCE_ID,
        rows=rows,
        note=f"CDC/NCHS tabular list {name or '(file not found)'}, via simple-icd-10-cm {version('simple-icd-10-cm')}",
    )
