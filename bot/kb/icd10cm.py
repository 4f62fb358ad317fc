"""Import the full ICD-10-CM code set from the `simple-icd-10-cm` package (CDC/NCHS tabular, offline).

ICD-10-CM is public domain (CDC), so descriptions are stored as published. Chapters and blocks are left
out: coders ask about categories, subcategories and billable codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

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
