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
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (
    r"(?:\d{1,2}[/\-.]\d{1,2}[/\-.](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}"
    rf"|{_MONTH} \d{{1,2}},? \d{{4}}|\d{{1,2}}[ \-]{_MONTH}[ \-](?:\d{{4}}|\d{{2}}))"
)
_STREET = r"(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|ct|court|way|pl|place|ter|terrace|hwy|highway|pkwy|parkway|cir|circle)"
_NOT_NAMES = {
    "had", "has", "is", "was", "with", "w", "seen", "presented", "presents", "came", "who", "underwent", "s", "status",
    "reduced", "returned", "got", "received", "and", "in", "on", "at", "to", "for", "the", "a", "an", "of", "states",
    "says", "states", "reports", "complains", "c", "sp", "age", "aged", "male", "female", "here", "there", "this",
    "that", "seen", "went", "needs", "needed", "then", "after", "before", "under", "from", "post", "pre", "again",
}

# Capitalised words that start sentences and headings in notes, never names
_CLINICAL_WORDS = {
    "chief", "complaint", "posterior", "anterior", "reduced", "reduction", "discharge", "summary", "note", "notes",
    "registration", "info", "history", "physical", "exam", "plan", "assessment", "impression", "procedure", "operative",
    "report", "emergency", "department", "patient", "seen", "came", "closed", "open", "left", "right", "hip", "knee",
    "shoulder", "elbow", "ankle", "finger", "toe", "thumb", "hand", "foot", "medicare", "medicaid", "aetna", "cigna",
    "humana", "united", "blue", "cross", "shield", "anesthesia", "general", "moderate", "sedation", "long", "story", "short",
    "excerpt", "copied", "physician", "ortho", "orthopedics", "orthopaedic", "surgery", "clinic", "hospital", "urgent",
    "care", "xray", "imaging", "global", "days", "modifier", "code", "codes", "cpt", "icd", "hcpcs", "dislocation",
    "dislocated", "traumatic", "lisfranc", "kocher", "allis", "stimson", "bigelow", "does", "can", "should", "what",
    "which", "is", "the", "and", "with", "without", "for", "per", "ncci", "mue", "cms", "ama", "asa", "crosswalk",
    "palmetto", "noridian", "wps", "ngs", "novitas", "cgs", "first", "coast", "triage", "course", "hpi", "ros",
}
_NOT_NAME_ABBREVIATIONS = {
    "DOB", "MRN", "SSN", "GA", "ED", "ER", "OR", "MAC", "CRNA", "ASA", "ICU", "PACU", "CPT", "ICD", "DX", "HX", "PMH",
    "S/P", "SP", "W/", "LT", "RT", "ACCT", "FIN", "DOS", "PT", "MR", "MD", "DO", "PA", "NP", "RN", "EMS", "MVC", "CT",
    "MRI", "XR", "ID", "NKDA", "BMI", "CC", "HPI", "ROS", "ORIF", "THA", "TKA",
}
# (tag, pattern); order matters: the specific shapes first.
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("EMAIL", re.compile(r"\b[\w.+\-]+@[\w\-]+\.[\w.\-]+\b")),
    ("SSN", re.compile(
        r"\b(?:ssn|ss ?#|ss no\.?|soc(?:ial)? sec(?:urity)?(?: number| no\.?| #)?|social)\s*[:#]?\s*\d{3}[- ]?\d{2}[- ]?\d{4}\b"
        r"|\b\d{3}-\d{2}-\d{4}\b", re.I)),
    ("DOB", re.compile(rf"\b(?:dob|d\.o\.b\.?|date of birth|birth ?date|born(?: on)?)\s*[:#=]?\s*{_DATE}", re.I)),
    ("ID", re.compile(
        r"\b(?:mrn|mr ?#|med(?:ical)? rec(?:ord)?(?: number| no\.?| #)?|acct|account|member|subscriber|policy|mbi|medicare|medicaid|"
        r"fin|csn|encounter|chart|claim|patient|pt|insurance|id)"
        r"(?:\s*(?:#|id|no\.?|number|num))*\s*[:#=\-]?\s*"
        r"((?=[A-Z0-9\-]*\d[A-Z0-9\-]*\d[A-Z0-9\-]*\d[A-Z0-9\-]*\d)[A-Z0-9][A-Z0-9\-]{4,})\b", re.I)),
    ("PHONE", re.compile(
        r"(?<![\w.])(?:\+?1[ .\-]?)?(?:\(\d{3}\)\s?|\d{3}[ .\-])\d{3}[ .\-]\d{4}(?![\w])|(?<![\w.\-])1?\d{10}(?![\w])")),
    ("ADDRESS", re.compile(rf"(?<![\w.])\d{{1,6}}\s+(?:[A-Za-z0-9]+\s+){{0,4}}{_STREET}\b\.?(?:,?\s+(?:apt|unit|suite|#)\s*\w+)?", re.I)),
    ("NAME", re.compile(
        rf"\b(?i:patient name|pt name|name|patient|pt|pat|mr|mrs|ms|miss)\b\.?\s*[:\-]?\s*"
        rf"({_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})")),
    # after an explicit label a name may be typed in lower case: "patient name: john smith"
    ("NAME", re.compile(r"\b(?:patient name|pt name|name)\s*[:\-]\s*([a-z][a-z'\-]+(?:\s+[a-z][a-z'\-]+){0,2})", re.I)),
    # Any full date is about someone (service, admission, birth) unless it is a rule's effective date.
    ("DATE", re.compile(rf"(?<![\w/.\-]){_DATE}(?![\w/])", re.I)),
    ("AGE", re.compile(r"\b(?:age|aged)\s*(?:9\d|1[01]\d)\b|\b(?:9\d|1[01]\d)[- ]?(?:yo|y/o|year[- ]old)\b", re.I)),
]
_REGULATORY_DATE = re.compile(r"\b(effective|as of|since|starting|beginning|released|release|updated|transmittal)\W*$", re.I)
# Codes and modifiers that must survive redaction untouched.
_PROTECT = re.compile(
    r"\b(?:\d{5}(?:-[0-9A-Z]{2})*|\d{4}[FTU]|[A-V]\d{4}|[A-TV-Z]\d[0-9A-Z]\.?[0-9A-Z]{0,4})\b", re.I
)


@dataclass(frozen=True)
class PhiFinding:
    tag: str
    start: int
    end: int


# A bare name in a pasted note: "Harriet A. Prendergast is a 34 yo", "LUZ CHEN-WHITAKER / DOB ...".
_WORD = r"[A-Z][a-zA-Z]*(?:['\-][A-Za-z]+)*"
_BARE_NAME = re.compile(rf"(?<![\w'])({_WORD}(?:\s+[A-Z]\.?)?\s+{_WORD}|{_WORD},\s+{_WORD})(?![\w'])")
_NAME_CONTEXT_AFTER = re.compile(r"^\s*(?:is a\b|,?\s*\(?\d{1,3}\s?(?:yo|y/o|[MF])\b)")
NEAR = 30  # characters between a bare name and another identifier that make it one too


def _bare_names(text: str, found: list[PhiFinding]) -> list[PhiFinding]:
    names = []
    for m in _BARE_NAME.finditer(text):
        words = [w for w in re.split(r"[\s,]+", m.group(1)) if len(w.strip(".")) > 1]
        if any(w.strip(".").lower() in _NOT_NAMES or w.strip(".").upper() in _NOT_NAME_ABBREVIATIONS
               or w.strip(".").lower() in _CLINICAL_WORDS for w in words):
            continue
        near = any(abs(f.start - m.end()) <= NEAR or abs(m.start() - f.end) <= NEAR for f in found)
        if near or _NAME_CONTEXT_AFTER.match(text[m.end():]):
            names.append(PhiFinding("NAME", m.start(), m.end()))
    return names


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
            if tag == "ID":
                start, end = m.start(1), m.end(1)
            if tag != "EMAIL" and any(s < end and start < e for s, e in protected):
                continue
            if tag == "DATE" and _REGULATORY_DATE.search(text[max(0, start - 25) : start]):
                continue
            if any(f.start < end and start < f.end for f in found):
                continue
            found.append(PhiFinding(tag, start, end))
    for name in _bare_names(text, found):
        if not any(f.start < name.end and name.start < f.end for f in found):
            found.append(name)
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
