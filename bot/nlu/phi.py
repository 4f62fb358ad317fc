"""Spot and redact likely patient identifiers in a question.

Coders paste note snippets; identifiers must never be stored or logged. Redaction replaces each finding
with a tag ([NAME], [DOB], ...) and leaves codes, modifiers and clinical words alone.

Two kinds of evidence find identifiers. Shapes with a cue (DOB, MRN, acct #, phone and email shapes, street
addresses, "pt Ann Lee") come from the patterns below; anything that looks like a procedure or diagnosis
code is protected from them. Names without a cue come from a scan for runs of capitalised words that are not
ordinary words: the vocabulary is the lower-case words of our own curated content and intents plus the lists
below, so "Blue Cross Blue Shield" or "Claims Processing Manual" stay and "Jolene Marsh" goes.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from bot.content import intents_dir, knowledge_dir

# -- vocabulary: capitalised words that are never names ---------------------------------------------------
_STOP_WORDS = set("""
a about after again age aged all also an and any anyone anything are as at back be before being both but by
c came can could daily dear did do does done each else even every few for from get go good got had has have
he hello her here hey hi his how i if in into is it its just last left let like made many may me mine more
most much my need needed needs new next no not now of off ok okay on once one only or other our out over per
please post pre quick re right s said says seen she should since so some sp status still such than thank
thanks that the their them then there these they this those though to today too two under up us very via
w was we well went were what when where which while who whom whose why will with within without would yes
yesterday you your
january february march april june july august september october november december monday tuesday wednesday
thursday friday saturday sunday jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
team everyone folks guys happy morning afternoon evening question answer update note notes reminder fyi
chief complaint posterior anterior reduced reduction discharge summary registration info history physical
exam plan assessment impression procedure operative report emergency department patient came closed open
hip knee shoulder elbow ankle finger toe thumb hand foot medicare medicaid aetna cigna humana united blue
cross shield anesthesia general moderate sedation long story short excerpt copied physician ortho
orthopedics orthopaedic surgery clinic hospital urgent care xray imaging global days modifier code codes cpt
icd hcpcs dislocation dislocated traumatic lisfranc kocher allis stimson bigelow ncci mue cms ama asa
crosswalk palmetto noridian wps ngs novitas cgs first coast triage course hpi ros health healthcare
insurance medical center centre services group associates advantage manual chapter section guide guidance
bulletin transmittal assistant national correct coding initiative fee schedule claims processing policy
article local coverage determination payer payers commercial tricare champva anthem kaiser molina centene
wellcare optum elevance highmark regence premera caresource ambetter oscar bcbs unitedhealthcare
unitedhealth york jersey mexico carolina dakota virginia hampshire island angeles francisco diego vegas
orleans louis city county state north south east west saint st mount fort lake dr doctor md nurse resident
attending surgeon provider coder coders coding billing biller front desk office staff admin supervisor
lead auditor audit compliance ed er or icu pacu ems room bed unit floor ward
american national northern southern eastern western central community memorial regional university children
childrens medicine society association college academy institute foundation gold plus better mercy solutions
options system systems network partners alliance physicians surgeons anesthesiologists family valley river
heights general baptist methodist presbyterian lutheran adventist catholic good samaritan sacred heart
""".split())
_ABBREVIATIONS = set("""
DOB MRN SSN GA ED ER OR MAC CRNA ASA ICU PACU CPT ICD DX HX PMH S/P SP W/ LT RT ACCT FIN DOS PT MR MD DO PA NP
RN EMS MVC CT MRI XR ID NKDA BMI CC HPI ROS ORIF THA TKA FAQ NCCI MUE CMS AMA LCD NCD MLN OIG HHS CDC NCHS
AL AK AZ AR CA CO CT DE FL GA HI IA ID IL IN KS KY LA MA MD ME MI MN MO MS MT NC ND NE NH NJ NM NV NY OH OK OR
PA RI SC SD TN TX UT VA VT WA WI WV WY DC PR USA US UK EOB ERA HMO PPO EPO POS ABN GBA IV IM PO PRN BID TID
""".split())
_PARTICLES = {"van", "von", "der", "den", "de", "la", "le", "del", "della", "da", "di", "du", "dos", "das", "ní", "ni",
              "nic", "bin", "ibn", "al", "el", "ter", "ten", "y"}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}


@lru_cache(maxsize=1)
def _content_words() -> frozenset[str]:
    """Words our curated content and intents use in lower case: ordinary words, never a patient's name."""
    words: set[str] = set()
    for folder in (knowledge_dir(), intents_dir()):
        for path in folder.rglob("*.yaml"):
            words.update(re.findall(r"(?<!\w)[a-z][a-z'\-]+", path.read_text(encoding="utf-8", errors="replace")))
    return frozenset(words)


# -- patterns with a cue --------------------------------------------------------------------------------
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
          r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_DATE = (
    r"(?:\d{1,2}[/\-.]\d{1,2}[/\-.](?:\d{4}|\d{2})|\d{4}[/\-.]\d{1,2}[/\-.]\d{1,2}"
    r"|(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    rf"|{_MONTH}\s+{_DAY}(?:,?\s+\d{{4}})?(?![\w:])|{_DAY}(?:\s+of)?[ \-]{_MONTH}(?:,?[ \-](?:\d{{4}}|\d{{2}}))?"
    r"|(?<![\d.])(?:1[0-2]|0?[1-9])/(?:3[01]|[12]\d|0?[1-9])(?![\w/]))"
)
_STREET = (r"(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|ct|court|way|pl|place|ter|terrace|hwy|"
           r"highway|pkwy|parkway|cir|circle|sq|square|trl|trail|loop)")
_STATES = ("AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|IA|ID|IL|IN|KS|KY|LA|MA|MD|ME|MI|MN|MO|MS|MT|NC|ND|NE|NH|NJ|NM|NV|NY|"
           "OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VA|VT|WA|WI|WV|WY|DC|PR")
_AGE = r"(?:9\d|1[01]\d)"
_ID_CUES = (r"mrn|mr ?#|med(?:ical)? rec(?:ord)?(?: number| no\.?| #)?|acct|account|member|subscriber|policy|mbi|medicare|"
            r"medicaid|fin|csn|har|encounter|enc|visit|chart|claim|case|ref|reference|ticket|invoice|expediente|dossier|"
            r"patient|pt|insurance|ins|id")
_STRONG_ID_CUES = {"mrn", "acct", "account", "member", "subscriber", "policy", "mbi", "fin", "har", "expediente"}

# (tag, pattern); the value is group "v" when the pattern has one. Order matters: specific shapes first.
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("EMAIL", re.compile(r"(?<![\w.+\-])[\w.+\-]+@[\w\-]+\.[\w.\-]+\b")),
    ("SSN", re.compile(
        r"\b(?:ssn|ss ?#|ss no\.?|soc(?:ial)? sec(?:urity)?(?: number| no\.?| #)?|social)\s*[:#]?\s*\d{3}[- ]?\d{2}[- ]?\d{4}\b"
        r"|\b\d{3}-\d{2}-\d{4}\b|(?:\*{3}|x{3}|X{3})[- ]?(?:\*{2}|x{2}|X{2})[- ]?\d{4}\b", re.I)),
    ("DOB", re.compile(rf"\b(?:dob|d\.o\.b\.?|date of birth|birth ?date|born(?: on)?|b\.)\s*[:#=]?\s*(?P<v>{_DATE})", re.I)),
    # "Chicago, IL 60607", "[street], Evanston IL 60201": a ZIP after a city and a state, never a bare number
    ("ZIP", re.compile(rf"(?:(?<=[^\W\d_]{{2}})\.?,\s+|,\s*[A-Z][\w'\-]*(?:\s+[A-Z][\w'\-]*){{0,2}}\s+)(?:{_STATES})\s+"
                       r"(?P<v>\d{5}(?:-\d{4})?)\b")),
    ("ID", re.compile(
        rf"\b(?P<cue>{_ID_CUES})(?:\s*(?:#|:|=|\bid\b|\bno\b\.?|\bnumber\b|\bnum\b|\bis\b))*\s*[:#=\-]?\s*(?:[A-Z]{{2,5}}\s+)?"
        r"(?P<v>(?=[A-Z0-9\-]*\d[A-Z0-9\-]*\d[A-Z0-9\-]*\d[A-Z0-9\-]*\d)[A-Z0-9][A-Z0-9\-]{3,}[A-Z0-9])\b", re.I)),
    ("PHONE", re.compile(
        r"(?<![\w.\-])(?:(?:\+?1[ .\-]?)?(?:\(\d{3}\)\s?|\d{3}[ .\-])\d{3}[ .\-]\d{4}|1?\d{10}|\d{3}-\d{4})(?![\w\-])"
        r"(?:,?\s*(?:x|ext\.?|extension)\s*\d{1,5}\b)?", re.I)),
    # a long number or dashed digit groups with no cue: no code looks like either
    ("ID", re.compile(r"(?<![\w\-/.$,])(?:\d{6,12}|(?=(?:\d-?){6})\d+(?:-\d+){2,})(?![\w\-/]|[.,]\d)")),
    ("ADDRESS", re.compile(
        rf"(?<![\w.])\d{{1,6}}\s+(?:(?:[A-Za-z0-9]+\s+){{0,4}}{_STREET}\b\.?|(?:rue|calle|avenida|via|camino|chemin)(?:\s+(?!apt\b|unit\b|suite\b|ste\b)[^\W\d_][\w'’\-]*){{1,4}})"
        r"(?:,?\s+(?:apt|unit|suite|ste|#)\.?\s*\w+)?(?!\w)", re.I)),
    ("NAME", re.compile(
        r"\b(?i:patient name|pt name|name is|name|patient|ptn|pt|pat|member|guarantor|insured|paciente|mr|mrs|ms|miss|mx)"
        r"\b\.?\s*[:\-]?\s*(?P<v>[^\W\d_][\w'’.\-]*(?:[ \t]+[^\W\d_][\w'’.\-]*){0,4})")),
    # after an explicit label a name may be typed in lower case: "patient name: john smith"
    ("NAME", re.compile(r"\b(?:patient name|pt name|name)\s*[:\-]\s*(?P<lc>[a-z][a-z'\-]+(?:\s+[a-z][a-z'\-]+){0,2})", re.I)),
    # Any full date is about someone (service, admission, birth) unless it is a rule's or a document's date.
    ("DATE", re.compile(rf"(?<![\w/.\-]){_DATE}(?![\w/])", re.I)),
    ("AGE", re.compile(
        rf"\b(?:age|aged|ages)\s*[:=]?\s*{_AGE}\b|\b{_AGE}\s*(?:yo|y/o|y\.o\.?|yrs?(?: old)?|years?[- ]old|-?year-old)(?!\w)"
        rf"|\b{_AGE}\s?[MF]\b|\b(?:she|he)(?:'s|’s| is)\s+{_AGE}\b|\bis\s+{_AGE}\s+(?:now|years)\b"
        r"|\b(?:who's|who is|she's|he's|aged?)\s+(?:ninety|one hundred)(?:[- ][a-z]+)?\b"
        r"|\b(?:ninety|one hundred)(?:[- ][a-z]+)?[- ](?:years?[- ]old|year-old|yo)\b", re.I)),
]
_DOCUMENT_DATE = re.compile(
    r"\b(effective|as of|since|starting|beginning|released?|updated?|transmittal|dated|bulletin|webinar|revision|"
    r"revised|newsletter|memo|guidance|published|issued|version|edition|lcd|ncd|mln|article|quarter|deadline|"
    r"rule|manual)\b", re.I)
_DOCUMENT_AFTER = re.compile(r"^\S+\s+(?:\w+\s+)?(?:webinar|bulletin|update|release|transmittal|newsletter|revision|"
                             r"memo|manual|lcd|ncd|ncci|guidance|article|edition|fee schedule)\b", re.I)
_PERSON_DATE = re.compile(r"\b(dos|dob|born|admit\w*|adm|seen|visit|service|svc|surgery|injur\w*|fell|came|discharg\w*)\b", re.I)
# Codes and modifiers that must survive redaction untouched.
_PROTECT = re.compile(
    r"(?<![\w\-])(?:\d{5}(?:-[0-9A-Z]{2})*|\d{4}[FTU]|[A-V]\d{4}|[A-TV-Z]\d[0-9A-Z]\.?[0-9A-Z]{0,4})\b", re.I
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
            value = next((g for g in ("v", "lc") if g in pattern.groupindex and m.group(g)), None)
            start, end = m.span(value) if value else m.span()
            if value == "v" and tag == "NAME":
                end = start + len(_name_part(m.group("v")))
                if end == start:
                    continue
            overrides = tag in ("EMAIL", "ZIP", "PHONE") or (tag == "ID" and "cue" in pattern.groupindex
                                                                  and m.group("cue").lower() in _STRONG_ID_CUES)
            if not overrides and any(s < end and start < e for s, e in protected):
                continue
            if tag == "DATE" and _is_document_date(text, start):
                continue
            found.append(PhiFinding(tag, start, end))
    found += _bare_names(text, found)
    found += _neighbours(text, found)
    return _merge(found)


def _is_document_date(text: str, start: int) -> bool:
    """'effective 1/1/2024', 'the bulletin dated 9/30/2024': a date of a rule or a document, not of a person."""
    before = re.split(r"[|;\n]", text[max(0, start - 40) : start])[-1]
    if _DOCUMENT_AFTER.match(text[start : start + 40]):
        return True
    cues = [(m.start(), "doc") for m in _DOCUMENT_DATE.finditer(before)]
    cues += [(m.start(), "person") for m in _PERSON_DATE.finditer(before)]
    return bool(cues) and max(cues)[1] == "doc"


def _merge(found: list[PhiFinding]) -> list[PhiFinding]:
    merged: list[PhiFinding] = []
    for f in sorted(found, key=lambda f: (f.start, -f.end)):
        if merged and f.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = PhiFinding(last.tag, last.start, max(last.end, f.end))
        else:
            merged.append(f)
    return merged


# -- names without a cue -----------------------------------------------------------------------------------
_TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*\.?")


def _kind(token: str) -> str:
    """'name' (Ann, O'Neil, LEE), 'initial' (R.), 'particle' (de, van), 'suffix' (Jr.), or 'word'."""
    bare = token.rstrip(".")
    low = bare.lower()
    if low in _PARTICLES and (bare.islower() or low == "ní"):
        return "particle"
    if low in _SUFFIXES and bare[0].isupper():
        return "suffix"
    if len(bare) == 1 and bare.isupper():
        return "initial"
    if not bare[0].isupper() or low in _STOP_WORDS or bare.upper() in _ABBREVIATIONS:
        return "word"
    return "name"


def _is_name(words: list[str]) -> bool:
    """At least two name words and none of them a word our own content uses."""
    names = [w.rstrip(".") for w in words if _kind(w) == "name"]
    if len(names) < 2:
        return False
    common = _content_words()
    return not any(n.lower() in common for n in names)


def _bare_names(text: str, found: list[PhiFinding]) -> list[PhiFinding]:
    """Runs of capitalised words ('Dana Whitfield', 'Vance, Theodora K.', 'Leopold von Stauffenberg-Rhee')."""
    names: list[PhiFinding] = []
    run: list[re.Match[str]] = []

    def close() -> None:
        while run and _kind(run[-1].group()) in ("particle", "word"):
            run.pop()
        if run and _is_name([m.group() for m in run]):
            end = run[-1].end() - (run[-1].group().endswith(".") and _kind(run[-1].group()) == "name")
            names.append(PhiFinding("NAME", run[0].start(), end))
        run.clear()

    for m in _TOKEN.finditer(text):
        kind = _kind(m.group())
        gap = text[run[-1].end() : m.start()] if run else ""
        joined = bool(run) and (gap.strip() == "" or (gap.strip() == "," and "," not in _between(text, run))) \
            and "\n" not in gap and len(gap) <= 3 and not _ends_sentence(run[-1].group())
        if kind == "word" or (kind == "particle" and not run):
            close()
            continue
        if run and not joined:
            close()
        if kind in ("suffix", "initial", "particle") and not run:
            continue
        run.append(m)
    close()
    return names


def _ends_sentence(token: str) -> bool:
    """'WBAT. Follow up': a full stop after a word (not an initial or 'Jr.') ends the run."""
    return token.endswith(".") and _kind(token) == "name"


def _between(text: str, run: list[re.Match[str]]) -> str:
    return text[run[0].start() : run[-1].end()]


_NEXT_TO = re.compile(r"^[ \t,()'\"‘’“”/|:;\-]{0,4}$")
_AGE_AFTER = re.compile(rf"^[\s,(]*(?:(?:she|he)(?:'s|’s| is)\s+|the\s+|age\s+)?{_AGE}\b(?!\s*(?:-|\s)?(?:day|min|%))", re.I)


def _neighbours(text: str, found: list[PhiFinding]) -> list[PhiFinding]:
    """Words that belong to a finding: a lone unusual name beside it ('(Keiko, 555-0188)'), the surname used
    again ('Mrs. Pinkham'), an age of 90 or more right after a name ('Mrs. Lee (92)')."""
    extra: list[PhiFinding] = []
    common = _content_words()
    ordered = sorted(found, key=lambda f: f.start)
    starts = [f.start for f in ordered]
    ends = sorted(f.end for f in found)
    names = {w.rstrip(".") for f in found if f.tag == "NAME" for w in _TOKEN.findall(text[f.start : f.end])
             if _kind(w) == "name" and len(w.rstrip(".")) > 2}
    for m in _TOKEN.finditer(text):
        word = m.group().rstrip(".")
        if _kind(m.group()) != "name" or word.isupper():
            continue
        after = bisect.bisect_left(starts, m.end())  # the next finding after the word
        before = bisect.bisect_right(ends, m.start()) - 1  # the last one ending before it
        beside = (after < len(starts) and _NEXT_TO.match(text[m.end() : starts[after]])) or \
            (before >= 0 and _NEXT_TO.match(text[ends[before] : m.start()]))
        if word in names or (beside and word.lower() not in common):
            extra.append(PhiFinding("NAME", m.start(), m.start() + len(word)))
    for f in ordered:
        if f.tag == "NAME" and (age := _AGE_AFTER.match(text[f.end : f.end + 30])):
            number = re.search(_AGE, age.group())
            if number:
                extra.append(PhiFinding("AGE", f.end + number.start(), f.end + number.end()))
    return extra


def _name_part(words: str) -> str:
    """The leading words after a cue that can be a name: stops at the first ordinary word."""
    kept: list[str] = []
    for word in words.split():
        kind = _kind(word)
        bare = word.rstrip(".,;:")
        if kind == "word" or _PROTECT.fullmatch(bare) or (kind == "particle" and not kept):
            break
        kept.append(word)
    while kept and _kind(kept[-1]) == "particle":
        kept.pop()
    return " ".join(kept).rstrip(",;:") if kept else ""


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
