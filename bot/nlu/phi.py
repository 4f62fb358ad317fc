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
icd hcpcs dislocation dislocated traumatic lisfranc kocher allis stimson bigelow ncci mue cms
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
alabama alaska arizona arkansas california colorado connecticut delaware florida hawaii idaho illinois indiana
iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi missouri montana
nebraska nevada ohio oklahoma oregon pennsylvania rhode tennessee texas utah vermont wisconsin
wyoming puerto rico guam samoa san santa los las workers comp compensation
""".split())
_ABBREVIATIONS = set("""
DOB MRN SSN GA ED ER OR MAC CRNA ASA ICU PACU CPT ICD DX HX PMH S/P SP W/ LT RT ACCT FIN DOS PT MR MD DO PA NP
RN EMS MVC CT MRI XR ID NKDA BMI CC HPI ROS ORIF THA TKA FAQ NCCI MUE CMS AMA LCD NCD MLN OIG HHS CDC NCHS
AL AK AZ AR CA CO CT DE FL GA HI IA ID IL IN KS KY LA MA MD ME MI MN MO MS MT NC ND NE NH NJ NM NV NY OH OK OR
PA RI SC SD TN TX UT VA VT WA WI WV WY DC PR USA US UK EOB ERA HMO PPO EPO POS ABN GBA IV IM PO PRN BID TID
""".split())
_PARTICLES = {"van", "von", "der", "den", "de", "la", "le", "del", "della", "da", "di", "du", "dos", "das", "ní", "ni",
              "nic", "bin", "ibn", "ben", "bat", "abu", "al", "el", "ter", "ten", "y"}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}


@lru_cache(maxsize=1)
def _content_words() -> frozenset[str]:
    """Words our curated content and intents use in lower case: ordinary words, never a patient's name."""
    words: set[str] = set()
    for folder in (knowledge_dir(), intents_dir()):
        for path in folder.rglob("*.yaml"):
            text = re.sub(r"\S+://\S+|\S+@\S+", " ", path.read_text(encoding="utf-8", errors="replace"))
            words.update(re.findall(r"(?<!\w)[a-z][a-z'\-]+", text))
    return frozenset(words)


# -- patterns with a cue --------------------------------------------------------------------------------
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
          r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
          # coders paste notes in Spanish, French and German too
          r"|enero|febrero|marzo|abril|mayo|junio|julio|agosto|sep?tiembre|octubre|noviembre|diciembre"
          r"|janvier|février|avril|juin|juillet|août|septembre|octobre|novembre|décembre"
          r"|januar|februar|märz|juni|juli|oktober|dezember)\.?")
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_DATE = (
    r"(?:\d{1,2}[/\-.]\d{1,2}[/\-.](?:\d{4}|\d{2})|\d{4}[/\-.]\d{1,2}[/\-.]\d{1,2}"
    r"|(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    rf"|{_MONTH}\s+{_DAY}(?:,?\s+\d{{4}})?(?![\w:])"
    rf"|{_DAY}(?:\s+of|\s+de)?[ \-]{_MONTH}(?:,?(?:\s+de)?[ \-](?:\d{{4}}|\d{{2}}))?"
    r"|(?<![\d.])(?:1[0-2]|0?[1-9])/(?:3[01]|[12]\d|0?[1-9])(?![\w/]))"
)
_STREET = (r"(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|ct|court|way|pl|place|ter|terrace|hwy|"
           r"highway|pkwy|parkway|cir|circle|sq|square|trl|trail|loop)")
_STATES = ("AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|IA|ID|IL|IN|KS|KY|LA|MA|MD|ME|MI|MN|MO|MS|MT|NC|ND|NE|NH|NJ|NM|NV|NY|"
           "OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VA|VT|WA|WI|WV|WY|DC|PR")
_AGE = r"(?:9\d|1[01]\d)"
_ID_CUES = (r"mrn|mr ?#|med(?:ical)? rec(?:ord)?(?: number| no\.?| #)?|acct|account|member|subscriber|policy|mbi|medicare|"
            r"medicaid|fin|csn|har|encounter|enc|visit|chart|claim|case|ref|reference|ticket|invoice|expediente|dossier|"
            r"icn|dcn|card|nr|patient|pt|insurance|ins|id")
# after these a number is the record's even when it looks like a code ("Enc 77412"): nobody writes a code there
_STRONG_ID_CUES = {"mrn", "acct", "account", "member", "subscriber", "policy", "mbi", "fin", "har", "expediente",
                   "enc", "encounter", "csn", "icn", "dcn"}
_ID_VALUE = (r"(?-i:[A-Z]{1,5}[ \-])?(?:(?=(?:\d ?){6})\d{2,4}(?: \d{1,4}){1,4}\b"  # 8837 2019 4455, ZGP 440 918 336
             r"|(?=[A-Z0-9\-]*\d[A-Z0-9\-]*\d[A-Z0-9\-]*\d[A-Z0-9\-]*\d)[A-Z0-9][A-Z0-9\-]{3,}[A-Z0-9])")
_SPELLED_AGE = (r"(?>(?:ninety|one hundred)(?:(?:[- ]|\s+and\s+)(?:one|two|three|four|five|six|seven|eight|nine|ten|"
                r"eleven|twelve)\b)?)(?!\s*-?\s*(?:days?|minutes?|mins?|seconds?|hours?|percent|%|units?|mg|ml|dollars))")

# (tag, pattern); the value is group "v" when the pattern has one. Order matters: specific shapes first.
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("EMAIL", re.compile(r"(?<![\w.+\-])[\w.+\-]+@[\w\-]+\.[\w.\-]+\b")),
    ("SSN", re.compile(
        r"\b(?:ssn|ss ?#|ss no\.?|soc(?:ial)? sec(?:urity)?(?: number| no\.?| #)?|social)\s*[:#]?\s*\d{3}[- ]?\d{2}[- ]?\d{4}\b"
        r"|\b\d{3}-\d{2}-\d{4}\b|\b\d{3} \d{2} \d{4}\b|(?:\*{3}|x{3}|X{3})[- ]?(?:\*{2}|x{2}|X{2})[- ]?\d{4}\b", re.I)),
    ("SSN", re.compile(r"\b(?:ssn|ss ?#|social(?: security)?(?: number| no\.?| #)?)\s*(?:(?:ending|ends)(?: in| with)?"
                       r"|last\s*(?:4|four)(?: digits?)?(?: (?:is|are|of))?)\s*[:#=]?\s*(?P<v>\d{4})\b", re.I)),
    ("DOB", re.compile(rf"\b(?:dob|d\.o\.b\.?|date of birth|birth ?date|born(?: on)?|b\.)\s*[:#=]?\s*"
                       rf"(?P<v>{_DATE}|\d{{1,2}} \d{{1,2}} (?:19|20)\d{{2}})", re.I)),
    ("ID", re.compile(
        rf"\b(?P<cue>{_ID_CUES})(?!\w)(?:\s*(?:#|:|=|\.|\bid\b|\bno\b\.?|\bnumber\b|\bnum\b|\bis\b))*\s*[:#=\-]?\s*"
        rf"(?P<v>{_ID_VALUE})\b", re.I)),
    ("PHONE", re.compile(
        r"(?<![\w.\-])(?:(?:\+?1[ .\-]?)?(?:\(\d{3}\)\s?|\d{3}[ .\-])\d{3}[ .\-]\d{4}|1?\d{10}|\d{3}-\d{4})(?![\w\-])"
        r"(?:,?\s*(?:x|ext\.?|extension)\s*\d{1,5}\b)?", re.I)),
    # a long number or dashed digit groups with no cue: no code looks like either
    ("ID", re.compile(r"(?<![\w\-/.$,])(?:\d{6,16}|(?=(?:\d-?){6})\d+(?:-\d+){2,})(?![\w\-/]|[.,]\d)")),
    ("ADDRESS", re.compile(
        rf"(?<![\w./])\d{{1,6}}\s+(?:(?:[A-Za-z0-9]+\s+){{0,4}}{_STREET}\b\.?|(?:rue|calle|avenida|camino|chemin)(?:\s+(?!apt\b|unit\b|suite\b|ste\b)[^\W\d_][\w'’\-]*){{1,4}})"
        r"(?:,?\s+(?:apt|unit|suite|ste|#)\.?\s*\w+)?(?!\w)", re.I)),
    ("NAME", re.compile(
        r"\b(?P<cue>(?i:patient name|pt name|name is|name|patient|ptn|pt|pat|member|guarantor|insured|paciente|nombre"
        r"|mr|mrs|ms|miss|mx))\b\.?\s*[:\-]?\s*"
        r"(?=(?P<v>['‘“]?[^\W\d_][\w'’.\-]*['’”]?(?:[ \t]+['‘“]?[^\W\d_][\w'’.\-]*['’”]?){0,4}))")),
    # after an explicit label a name may be typed in lower case: "patient name: john smith", "pt: kiara m. rhodes"
    ("NAME", re.compile(r"\b(?:patient name|pt name|name|patient|pt|paciente|nombre)\s*[:\-]\s*"
                        r"(?P<lc>(?-i:[a-z][a-z'\-]*\.?(?:\s+[a-z][a-z'\-]*\.?){0,3}))", re.I)),
    # "jones, tamika  dob ...": a lower-case "last, first" right before an identifier's label
    ("NAME", re.compile(r"(?<![\w,])(?P<lc>(?-i:[a-z][a-z'\-]+,\s*[a-z][a-z'\-]+))(?=\s+(?:dob|d\.o\.b|mrn|acct|ssn)\b)", re.I)),
    # Any full date is about someone (service, admission, birth) unless it is a rule's or a document's date.
    ("DATE", re.compile(rf"(?<![\w/.\-]){_DATE}(?![\w/])", re.I)),
    # A month and a year is usually a document's ("CPT Assistant Oct 2017", "the July 2024 file"): only with a cue
    ("DATE", re.compile(rf"\b(?P<cue>dos|seen|surgery|admitted|discharged|injured|fell|done|performed)\b[^\n.;|]{{0,20}}?"
                        rf"(?P<v>{_MONTH},?\s+(?:19|20)\d{{2}})\b", re.I)),
    ("AGE", re.compile(
        rf"\b(?:age|aged|ages|edad|âge|alter)\s*[:=]?\s*{_AGE}\b"
        rf"|\b{_AGE}\s*(?:yo|y/o|y\.o\.?|yrs?(?: old)?|years?[- ]old|-?year-old|años|ans|jahre)(?!\w)|\b{_AGE}y(?!\w)"
        rf"|\b{_AGE}\s?[MF]\b|\b(?:she|he)(?:'s|’s| is)\s+{_AGE}\b|\bis\s+{_AGE}\s+(?:now|years)\b"
        # spelled out, an age of ninety or more is the only likely reading ("ninety-day global" is not one)
        rf"|\b{_SPELLED_AGE}", re.I)),
]
_DOCUMENT_DATE = re.compile(
    r"\b(effective|as of|since|starting|beginning|released?|updated?|transmittal|dated|bulletin|webinar|revision|"
    r"revised|newsletter|memo|guidance|published|issued|version|edition|lcd|ncd|mln|article|quarter|deadline|"
    r"rule|manual|policy|policies|transmittals|bulletins|articles|rules|manuals|updates|edits)\b", re.I)
_DOCUMENT_AFTER = re.compile(r"^\S+\s+(?:\w+\s+)?(?:webinar|bulletin|update|release|transmittal|newsletter|revision|"
                             r"memo|manual|lcd|ncd|ncci|guidance|article|edition|fee schedule)\b", re.I)
_PERSON_DATE = re.compile(r"\b(dos|dob|born|admit\w*|adm|seen|visit|service|svc|surgery|injur\w*|fell|came|discharg\w*"
                          r"|done|performed)\b", re.I)
# Codes and modifiers that must survive redaction untouched.
_PROTECT = re.compile(
    r"(?<![\w\-])(?:\d{5}(?:-[0-9A-Z]{2})*|\d{4}[FTU]|[A-V]\d{4}|[A-TV-Z]\d[0-9A-Z]\.?[0-9A-Z]{0,4})\b", re.I
)
# Numbers that belong to the organisation or a document, never to a patient: a charge master line, a revenue
# code, a drug's NDC, a provider's NPI or tax ID, a CMS transmittal or change request.
_NOT_PATIENT = re.compile(
    r"\b(?:cdm|chargemaster|charge (?:code|number|item|line)|rev(?:enue)? code|ndc|npi|tin|ein|transmittal|"
    r"change request|cr)s?\s*(?:#|no\.?|number|code)?\s*[:#=]?\s*(?P<v>[A-Z]{0,3}\d[\d\-]{2,}\d)", re.I)
_HONORIFICS = {"mr", "mrs", "ms", "miss", "mx"}
# Words that end a name even after "Mr." ("Mr. and Mrs. Lee"): after an honorific other capitalised words count.
_FUNCTION_WORDS = set("a an and are as at be but by for from had has have he her his i in is it of on or she so the "
                      "their they this to was we were with you your".split())


@dataclass(frozen=True)
class PhiFinding:
    tag: str
    start: int
    end: int


def find_phi(text: str) -> list[PhiFinding]:
    protected = [(m.start(), m.end()) for m in _PROTECT.finditer(text)]
    protected += [m.span("v") for m in _NOT_PATIENT.finditer(text)]
    found: list[PhiFinding] = []
    for tag, pattern in PATTERNS:
        for m in pattern.finditer(text):
            value = next((g for g in ("v", "lc") if g in pattern.groupindex and m.group(g)), None)
            start, end = m.span(value) if value else m.span()
            cue = m.group("cue").lower() if "cue" in pattern.groupindex else None
            if tag == "NAME":
                if cue and _not_a_label(text, m.end("cue"), cue):
                    continue
                end = start + len(_name_part(m.group(value), lax=cue in _HONORIFICS) if value == "v"
                                  else _lowercase_name(m.group(value)))
                if end == start:
                    continue
            if not _allowed(tag, cue, start, end, protected):
                continue
            if tag == "DATE" and _is_document_date(text, start):
                continue
            found.append(PhiFinding(tag, start, end))
    found += _places(text)
    found += _bare_names(text, found)
    found += _neighbours(text, found)
    return _merge(found)


def _not_a_label(text: str, end: int, cue: str) -> bool:
    """An honorific joined by a hyphen is part of a term ("MS-DRG"), not a title before a name. (A cue that
    ends a sentence, "risks discussed with pt. Decision made", is still read as a label: "with pt. Garcia"
    is as likely, and a missed name costs more than a redacted word.)"""
    return cue in _HONORIFICS and text[end : end + 1] == "-"


def _allowed(tag: str, cue: str | None, start: int, end: int, protected: list[tuple[int, int]]) -> bool:
    """Codes win over a finding that touches them, except where the shape or the cue says otherwise: an email,
    a phone number; a number after a strong label ("MRN 27252"); a labelled value longer than the code-like
    part inside it ("visit #: 40019-A")."""
    if tag in ("EMAIL", "PHONE") or (tag == "ID" and cue in _STRONG_ID_CUES):
        return True
    if tag == "ID" and cue is not None:
        return not any(s <= start and end <= e for s, e in protected)
    return not any(s < end and start < e for s, e in protected)


# "Santa Fe NM 87501", "Springfield, IL 62704-1234": the city and the ZIP (both smaller than a state); the state stays
_PLACE = re.compile(rf"(?P<city>(?:[A-Z][\w'’\-]*\.?[ \t]+){{0,2}}[A-Z][\w'’\-]*),?[ \t]+(?:{_STATES})[ \t]+"
                    r"(?P<zip>\d{5}(?:-\d{4})?)(?![\w\-])")
_PLACE_WORDS = {"city", "lake", "falls", "springs", "beach", "park", "heights", "hills", "village", "valley", "saint",
                "st", "fort", "mount", "san", "santa", "new", "north", "south", "east", "west", "port", "grand"}


def _places(text: str) -> list[PhiFinding]:
    found: list[PhiFinding] = []
    for m in _PLACE.finditer(text):
        words = m.group("city").split()
        last = words[-1].rstrip(".").lower()
        if words[-1].upper() in _ABBREVIATIONS or (last not in _PLACE_WORDS and (
                last in _FUNCTION_WORDS or last in _content_words())):  # "Physician Assistant PA 26770"
            continue
        # only the words that can be a place name; a street type ends the city ("Maple St DAYTON")
        city_start = m.start("city")
        for word in re.finditer(r"\S+", m.group("city")):
            if re.fullmatch(_STREET + r"\.?", word.group(), re.I) and word.end() < len(m.group("city")):
                city_start = m.start("city") + word.end() + 1
        found.append(PhiFinding("ADDRESS", city_start, m.end("city")))
        found.append(PhiFinding("ZIP", *m.span("zip")))
    return found


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
    bare = re.sub(r"['’]s$", "", token.rstrip("."))  # "PA's": the possessive is not part of the word
    low = bare.lower()
    if re.match(r"[^\W\d_]-", bare):  # "X-ray", "C-arm", "F-mods"
        return "word"
    if "-" in bare and bare.split("-")[0].lower() in _PARTICLES and bare.split("-")[1][:1].isupper():
        return "name"  # "ben-David", "al-Hassan"
    if low in _PARTICLES and (bare.islower() or low == "ní"):
        return "particle"
    if low in _SUFFIXES and bare[0].isupper():
        return "suffix"
    if len(bare) == 1 and bare.isupper():
        return "initial"
    # an abbreviation is written in capitals ("AMA"); in title case only the short ones are ("Dx"), "Ama" is a name
    if not bare[0].isupper() or low in _STOP_WORDS or bare.upper() in _ABBREVIATIONS and (bare.isupper() or len(bare) < 3):
        return "word"
    return "name"


def _is_name(words: list[str], gaps: str) -> bool:
    """At least two name words, or "RAMIREZ-OCHOA, J.", not all of them words our own content uses: an eponym
    in our content is a surname too ("Jones, Tamika"), and "Jones fracture" is caught by what follows it."""
    names = [w.rstrip(".") for w in words if _kind(w) == "name"]
    if names and all(len(n) <= 2 and n.isupper() for n in names):
        return False  # "GY, GZ", "FX, FY": letter modifiers and abbreviations, not a "LAST, FIRST" of two letters
    last_initial = len(words) == 2 and _kind(words[1]) == "initial" and words[1].endswith(".") and "," in gaps
    if len(names) < 2 and not (len(names) == 1 and last_initial and len(names[0]) > 2):
        return False
    common = _content_words()
    return not all(n.lower() in common for n in names)


# after a run of capitalised words, what makes it something other than a person: an eponym's noun
# ("Captain Morgan technique") or a form field's answer ("Neurovascular Intact: Yes")
_NOT_A_PERSON_AFTER = re.compile(
    r"^(?:\s+(?:technique|maneuver|manoeuvre|method|fracture|lesion|sign|test|classification|reduction|repair|"
    r"procedure|view|position|splint|criteria|rule|scale|score|syndrome|disease|deformity|injury|approach|incision)s?\b"
    r"|\s*:\s*(?:yes|no|none|n/?a|y|n|positive|negative|normal|abnormal|present|absent|unknown|done|pending|complete|"
    r"completed|given|declined|performed|intact|wnl|nad|true|false|checked|unchecked|x)\b)", re.I)
_SLASHED_NAME = re.compile(r"(?<![\w/])[A-Z][A-Z'’\-]{2,}/[A-Z][A-Z'’\-]{2,}(?![\w/])")  # KOWALSKI/STANISLAW
_QUOTES = "'\"‘’“”"


def _slashed_names(text: str) -> list[PhiFinding]:
    common = _content_words()
    return [PhiFinding("NAME", *m.span()) for m in _SLASHED_NAME.finditer(text)
            if all(_kind(w) == "name" and w.lower() not in common for w in m.group().split("/"))]


def _bare_names(text: str, found: list[PhiFinding]) -> list[PhiFinding]:
    """Runs of capitalised words ('Dana Whitfield', 'Vance, Theodora K.', 'Leopold von Stauffenberg-Rhee')."""
    names: list[PhiFinding] = _slashed_names(text)
    run: list[re.Match[str]] = []

    def close() -> None:
        while run and _kind(run[-1].group()) in ("particle", "word"):
            run.pop()
        if run and _is_name([m.group() for m in run], _between(text, run)) \
                and not _NOT_A_PERSON_AFTER.match(text[run[-1].end() :]):
            end = run[-1].end() - (run[-1].group().endswith(".") and _kind(run[-1].group()) == "name")
            names.append(PhiFinding("NAME", run[0].start(), end))
        run.clear()

    for m in _TOKEN.finditer(text):
        # glued to a digit or a slash it is part of a code or a list ("MM13452", "FA/F1/F2"), not a word
        before, after = text[m.start() - 1 : m.start()] if m.start() else "", text[m.end() : m.end() + 1]
        glued = "/" in (before, after) or before.isdigit() or after.isdigit()
        kind = "word" if glued else _kind(m.group())
        gap = text[run[-1].end() : m.start()] if run else ""
        joined = bool(run) and (gap.strip(" \t" + _QUOTES) == ""  # "Terrence 'TJ' Jackson"
                                or (gap.strip() == "," and "," not in _between(text, run))) and "\n" not in gap and len(gap) <= 3 and not _ends_sentence(run[-1].group())
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


_NEXT_TO = re.compile(r"^[ \t,()'\"‘’“”/|:;\-&]{0,4}$")
# "Lee, Ann | 98 | F", "(MRN 123456), 94, seen": a bare 90+ between separators right after an identifier
_AGE_ALONE = re.compile(rf"^[ \t)\]]*[,|(;][ \t]*({_AGE})(?=[ \t]*[,|);])")
_AGE_AFTER = re.compile(rf"^[\s,(]*(?:(?:she|he)(?:'s|’s| is)\s+|the\s+|age\s+)?{_AGE}\b(?!\s*(?:-|\s)?(?:day|min|%))", re.I)


def _neighbours(text: str, found: list[PhiFinding]) -> list[PhiFinding]:
    """Words that belong to a finding: a lone unusual name beside it ('(Keiko, 555-0188)', 'Nils & [NAME]'),
    a name used again, alone or cut short ('Mrs. Pinkham', 'Morozova ... not Moroz'), an age of 90 or more
    right after a name ('Mrs. Lee (92)')."""
    common = _content_words()
    ordered = sorted(found, key=lambda f: f.start)
    starts = [f.start for f in ordered]
    ends = sorted(f.end for f in found)
    names = {w.rstrip(".").lower() for f in found if f.tag == "NAME" for w in _TOKEN.findall(text[f.start : f.end])
             if _kind(w) == "name" and len(w.rstrip(".")) > 2}
    candidates: list[tuple[re.Match[str], str]] = []
    for m in _TOKEN.finditer(text):
        word = m.group().rstrip(".")
        if _kind(m.group()) != "name" or word.isupper():
            continue
        after = bisect.bisect_left(starts, m.end())  # the next finding after the word
        before = bisect.bisect_right(ends, m.start()) - 1  # the last one ending before it
        beside = (after < len(starts) and _NEXT_TO.match(text[m.end() : starts[after]])) or \
            (before >= 0 and _NEXT_TO.match(text[ends[before] : m.start()]))
        if beside and word.lower() not in common:
            names.add(word.lower())
        candidates.append((m, word))
    extra = [PhiFinding("NAME", m.start(), m.start() + len(word)) for m, word in candidates
             if word.lower() in names or (len(word) > 3 and word.lower() not in common
                                          and any(n.startswith(word.lower()) for n in names if len(n) > 4))]
    for f in ordered:
        if (alone := _AGE_ALONE.match(text[f.end : f.end + 12])) and f.tag in ("NAME", "ID", "DOB", "DATE"):
            extra.append(PhiFinding("AGE", f.end + alone.start(1), f.end + alone.end(1)))
        if f.tag == "NAME" and (age := _AGE_AFTER.match(text[f.end : f.end + 30])):
            number = re.search(_AGE, age.group())
            if number:
                extra.append(PhiFinding("AGE", f.end + number.start(), f.end + number.end()))
    return extra


def _name_part(words: str, lax: bool = False) -> str:
    """The leading words after a cue that can be a name: stops at the first ordinary word, and after a word
    that ends a sentence. After an honorific ("Mx. River Castellanos") any capitalised word but a function
    word counts, since nobody writes "Mr." before anything but a name."""
    kept: list[str] = []
    for word in words.split():
        bare = word.strip("'‘’“”\"").rstrip(".,;:")
        kind = _kind(word.strip("'‘’“”\""))
        if lax and kind == "word" and bare[:1].isupper() and bare.lower() not in _FUNCTION_WORDS \
                and bare.upper() not in _ABBREVIATIONS:
            kind = "name"
        if kind == "word" or _PROTECT.fullmatch(bare) or (kind == "particle" and not kept):
            break
        kept.append(word)
        if _ends_sentence(word.rstrip(",;:")) and len(bare) > 3:
            break
    while kept and _kind(kept[-1]) == "particle":
        kept.pop()
    return " ".join(kept).rstrip(",;:'’”\"") if kept else ""


def _lowercase_name(words: str) -> str:
    """A name typed in lower case after a label ("pt: kiara m. rhodes", "jones, tamika"): the leading words
    that are not ordinary words (initials allowed); empty when the first is an ordinary word."""
    common = _content_words()
    kept: list[str] = []
    split = words.split()
    for n, word in enumerate(split):
        bare = word.rstrip(".,")
        # "jones, tamika": a surname that is also an eponym in our content, written "last, first"
        surname = n == 0 and word.endswith(",") and len(split) > 1 and split[1].rstrip(".,") not in common
        if not surname and not (len(bare) == 1 and word.endswith(".")) and (bare in _STOP_WORDS or bare in common):
            break
        kept.append(word)
    return " ".join(kept).rstrip(".,") if any(len(w.rstrip(".,")) > 1 for w in kept) else ""


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
