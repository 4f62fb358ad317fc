"""Keep AMA CPT descriptor text out of the content.

Two guards, because descriptors leak in two ways: pasted from the CMS fee-schedule file (its DESCRIPTION
column holds AMA short descriptors; we keep only
hashes of them, never the text, to recognise a paste), and typed from memory in the AMA long-descriptor style
("...; requiring anesthesia").
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

# The AMA long-descriptor style: a base service, a semicolon, then the variant.
_AMA_STYLE = [
    re.compile(r";\s*(requiring|without|with)\s+(general\s+)?anesthesia", re.I),
    re.compile(r"\bclosed treatment of [a-z ]+dislocation, [a-z ]+;", re.I),
    re.compile(r"\bcopyright\b.*\bamerican medical association\b", re.I),
]
_WORDS = re.compile(r"[a-z0-9]+")


def normalise(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower()))


def descriptor_hash(text: str) -> str:
    return hashlib.sha256(normalise(text).encode()).hexdigest()[:16]


class AmaTextGuard:
    def __init__(self, hashes: set[str] | None = None):
        self.hashes = hashes or set()

    @classmethod
    def from_file(cls, path: Path) -> AmaTextGuard:
        if not path.exists():
            return cls()
        return cls(
            {line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")}
        )

    def problem(self, text: str) -> str | None:
        for pattern in _AMA_STYLE:
            if pattern.search(text):
                return "reads like AMA CPT descriptor text; write it in our own words"
        for piece in re.split(r"[.;:\n]", text):
            words = normalise(piece)
            if len(words.split()) >= 2 and descriptor_hash(words) in self.hashes:
                return "matches a CMS/AMA short descriptor; write it in our own words"
        return None
