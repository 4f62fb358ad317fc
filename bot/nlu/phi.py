"""Spot and redact likely patient identifiers in a question.

Coders paste note snippets; identifiers must never be stored or logged. Redaction replaces each finding
with a tag ([NAME], [DOB], ...) and leaves codes, modifiers and clinical words alone: the patterns are
anchored on identifier cues (pt/patient/name, DOB, MRN, SSN, phone and email shapes, street addresses), and
anything that looks like a procedure or diagnosis code is protected before they run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME_WORD = r"(?:[A-Z][a-zA-Z'\-]+|[A-Z]\.)"  # capitalised: "pt had" is not a name, "pt Ann Lee" is
_DATE = r"(?:\d{1,2}[/\-.]\d{1,2}[/\-.](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}|\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]* \d{4})"
_STREET = r"(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|ct|court|way|pl|place|ter|terrace|hwy|highway|pkwy|parkway|cir|circle)"
_NOT_NAMES = {
    "had", "has", "is", "was", "with", "w", "seen", "presented", "presents", "came", "who", "underwent", "s", "status",
    "reduced", "returned", "got", "received", "and", "in", "on", "at", "to", "for", "the", "a", "an", "of", "states",
    "says", "states", "reports", "complains", "c", "sp", "age", "aged", "male", "female", "here", "there", "this",
    "that", "seen", "went", "needs", "needed", "then", "after", "before", "under", "from", "post", "pre", "again",
}

_NOT_NAME_ABBREVIATIONS = {
    "DOB", "MRN", "SSN", "GA", "ED", "ER", "OR", "MAC", "CRNA", "ASA", "ICU", "PACU", "CPT", "ICD", "DX", "HX", "PMH",
    "S/P", "SP", "W/", "LT", "RT", "ACCT", "FIN", "DOS", "PT", "MR", "MD", "DO", "PA", "NP", "RN", "EMS", "MVC", "CT",
    "MRI", "XR", "ID", "NKDA", "BMI", "CC", "HPI", "ROS", "ORIF", "THA", "TKA",
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
        rf"\b(?i:patient name|pt name|name|patient|pt|pat|mr|mrs|ms|miss)\b\.?\s*[:\-]?\s*"
        rf"({_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})")),
    # after an explicit label a name may be typed in lower case: "patient name: john smith"
    ("NAME", re.compile(r"\b(?:patient name|pt name|name)\s*[:\-]\s*([a-z][a-z'\-]+(?:\s+[a-z][a-z'\-]+){0,2})", re.I)),
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
            if tag == "NAME":
                name = _name_part(m.group(1))
                if not name:
                    continue
                end = start + len(name)
            if tag in ("NAME", "ADDRESS", "MRN") and any(s <= start and end <= e for s, e in protected):
                continue
            if any(f.start < end and start < f.end for f in found):
                continue
            found.append(PhiFinding(tag, start, end))
    return sorted(found, key=lambda f: f.start)


def _name_part(words: str) -> str:
    """The leading words that can be a name: stops at clinical abbreviations, cue words and common words."""
    kept: list[str] = []
    for word in words.split():
        bare = word.rstrip(".,;:")
        if bare.lower() in _NOT_NAMES or bare.upper() in _NOT_NAME_ABBREVIATIONS or _PROTECT.fullmatch(bare):
            break
        kept.append(word)
    return " ".join(kept).rstrip(".,;:") if kept else ""


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
