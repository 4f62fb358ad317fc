"""Spot and redact likely patient identifiers in a question.

Coders paste note snippets; identifiers must never be stored or logged. Redaction replaces each finding
with a tag ([NAME], [DOB], ...) and leaves codes, modifiers and clinical words alone: the patterns are
anchored on identifier cues (pt/patient/name, DOB, MRN, SSN, phone and email shapes, street addresses), and
anything that looks like a procedure or diagnosis code is protected before they run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME_WORD = r"(?:[A-Z][a-zA-Z'\-]+|[A-Z]\.)"
_DATE = r"(?:\d{1,2}[/\-.]\d{1,2}[/\-.](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}|\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]* \d{4})"
_STREET = r"(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|ct|court|way|pl|place|ter|terrace|hwy|highway|pkwy|parkway|cir|circle)"
_NOT_NAMES = {
    "had", "has", "is", "was", "with", "w", "seen", "presented", "presents", "came", "who", "underwent", "s", "status",
    "reduced", "returned", "got", "received", "and", "in", "on", "at", "to", "for", "the", "a", "an", "of", "states",
    "says", "states", "reports", "complains", "c", "sp", "age", "aged", "male", "female", "here", "there", "this",
    "that", "seen", "went", "needs", "needed", "then", "after", "before", "under", "from", "post", "pre", "again",
}

# (tag, pattern); order matters: the specific shapes first.
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("EMAIL", re.compile(r"\b[\w.+\-]+@[\w\-]+\.[\w.\-]+\b")),
    ("SSN", re.compile(r"\b(?:ssn|social security(?: number| no)?)\s*[:#]?\s*\d{3}[- ]?\d{2}[- ]?\d{4}\b|\b\d{3}-\d{2}-\d{4}\b", re.I)),
    ("DOB", re.compile(rf"\b(?:dob|d\.o\.b\.?|date of birth|birth ?date|born(?: on)?)\s*[:#=]?\s*{_DATE}", re.I)),
    ("MRN", re.compile(
        r"\b(?:mrn|medical record(?: number| no\.?| #)?|mr#|mr #|acct|account|acct#|account number|account no\.?|"
        r"encounter (?:number|no\.?|#)|fin|csn|member id|subscriber id|policy(?: number| no\.?)?|claim (?:number|#|no\.?)|"
        r"chart(?: number| no\.?| #)?|patient id|pt id|id)\s*[:#=]?\s*[A-Z]{0,3}\d[\d\-]{4,}\b", re.I)),
    ("PHONE", re.compile(r"(?<![\w])(?:\+?1[ .\-]?)?(?:\(\d{3}\)\s?|\d{3}[ .\-])\d{3}[ .\-]\d{4}(?![\w])")),
    ("ADDRESS", re.compile(rf"\b\d{{1,6}}\s+(?:[A-Za-z0-9]+\s+){{0,4}}{_STREET}\b\.?(?:,?\s+(?:apt|unit|suite|#)\s*\w+)?", re.I)),
    ("NAME", re.compile(
        rf"\b(?:pt|patient|pat|name|patient name|pt name|mr|mrs|ms|miss|dr)\b\.?\s*[:\-]?\s*({_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})", re.I)),
    ("DATE", re.compile(rf"\b(?:dos|date of service|admit(?:ted)?|adm|visit date|seen on|on)\s*[:#]?\s*{_DATE}", re.I)),
    ("AGE", re.compile(r"\b(?:age|aged)\s*(?:9\d|1[01]\d)\b|\b(?:9\d|1[01]\d)[- ]?(?:yo|y/o|year[- ]old)\b", re.I)),
]
# Codes and modifiers that must survive redaction untouched.
_PROTECT = re.compile(
    r"\b(?:\d{5}(?:-[0-9A-Z]{2})*|\d{4}[FTU]|[A-V]\d{4}|[A-TV-Z]\d[0-9A-Z]\.?[0-9A-Z]{0,4})\b", re.I
)


@dataclass(frozen=True)
class PhiFinding:
    tag: str
    start: int
    end: int


def find_phi(text: str) -> list[PhiFinding]:
    protected = [(m.start(), m.end()) for m in _PROTECT.finditer(text)]
    found: list[PhiFinding] = []
    for tag, pattern in PATTERNS:
        for m in pattern.finditer(text):
            start, end = (m.start(1), m.end(1)) if tag == "NAME" else (m.start(), m.end())
            if tag == "NAME" and not _looks_like_name(m.group(1)):
                continue
            if tag in ("NAME", "ADDRESS", "MRN") and any(s <= start and end <= e for s, e in protected):
                continue
            if any(f.start < end and start < f.end for f in found):
                continue
            found.append(PhiFinding(tag, start, end))
    return sorted(found, key=lambda f: f.start)


def _looks_like_name(words: str) -> bool:
    first = words.split()[0].lower().rstrip(".")
    return first not in _NOT_NAMES and not _PROTECT.fullmatch(words.split()[0]) and words[0].isupper()


def has_phi(text: str) -> bool:
    return bool(find_phi(text))


def redact(text: str) -> str:
    out, pos = [], 0
    for f in find_phi(text):
        out.append(text[pos : f.start])
        out.append(f"[{f.tag}]")
        pos = f.end
    out.append(text[pos:])
    return "".join(out)
