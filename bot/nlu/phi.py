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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from bot.content import intents_dir, knowledge_dir

# -- vocabulary: capitalised words that are never names ---------------------------------------------------
_STOP_WORDS = set(
    """
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
""".split()
)
_ABBREVIATIONS = set(
    """
DOB MRN SSN GA ED ER OR MAC CRNA ASA ICU PACU CPT ICD DX HX PMH S/P SP W/ LT RT ACCT FIN DOS PT MR MD DO PA NP
RN EMS MVC CT MRI XR ID NKDA BMI CC HPI ROS ORIF THA TKA FAQ NCCI MUE CMS AMA LCD NCD MLN OIG HHS CDC NCHS
AL AK AZ AR CA CO CT DE FL GA HI IA ID IL IN KS KY LA MA MD ME MI MN MO MS MT NC ND NE NH NJ NM NV NY OH OK OR
PA RI SC SD TN TX UT VA VT WA WI WV WY DC PR USA US UK EOB ERA HMO PPO EPO POS ABN GBA IV IM PO PRN BID TID
CTRL HTTP HTTPS URL API JSON
""".split()
)
_PARTICLES = {
    "van",
    "von",
    "der",
    "den",
    "de",
    "la",
    "le",
    "del",
    "della",
    "da",
    "di",
    "du",
    "dos",
    "das",
    "ní",
    "ni",
    "nic",
    "bin",
    "ibn",
    "ben",
    "bat",
    "abu",
    "al",
    "el",
    "ter",
    "ten",
    "y",
}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}


_CONTENT_WORD = re.compile(r"(?<!\w)[a-z][a-z'\-]+")


def ordinary_words(folders: Iterable[Path]) -> frozenset[str]:
    """Words our curated content and intents use in lower case: ordinary words, never a patient's name.
    Worked out at `kb build` and published in the knowledge base (reading every YAML file costs a start 30 ms)."""
    words: set[str] = set()
    for folder in folders:
        for path in sorted(folder.rglob("*.yaml")):
            text = path.read_text(encoding="utf-8", errors="replace")
            # addresses are left out token by token: a regex for them scans every position (twice as slow at start)
            kept = " ".join(token for token in text.split() if "://" not in token and "@" not in token)
            words.update(_CONTENT_WORD.findall(kept))
    return frozenset(words)


_ordinary: list[frozenset[str]] = []  # the words in use: the knowledge base's, or read from the YAML once


def use_ordinary_words(words: frozenset[str]) -> None:
    """Take the ordinary words the loaded knowledge base publishes (the engine calls this when it starts)."""
    _ordinary[:] = [words]


def _content_words() -> frozenset[str]:
    if not _ordinary:  # no knowledge base loaded (the redactor used alone): read the content itself
        use_ordinary_words(ordinary_words((knowledge_dir(), intents_dir())))
    return _ordinary[0]


@lru_cache(maxsize=1)
def _modifier_codes() -> frozenset[str]:
    """The letter modifiers of our content (AA, QX, XS...): written in capitals, they look like initials."""
    text = (knowledge_dir() / "modifiers.yaml").read_text(encoding="utf-8", errors="replace")
    return frozenset(c for c in re.findall(r"(?m)^\s*-?\s*code:\s*[\"']?([0-9A-Z]{2})\b", text) if not c.isdigit())


# -- patterns with a cue --------------------------------------------------------------------------------
_MONTH = (
    r"(?=[jfmasondeJFMASONDE])"  # what a month's name can start with: other words fail at once
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
    # coders paste notes in Spanish, French and German too
    r"|enero|febrero|marzo|abril|mayo|junio|julio|agosto|sep?tiembre|octubre|noviembre|diciembre"
    r"|janvier|février|avril|juin|juillet|août|septembre|octobre|novembre|décembre"
    r"|januar|februar|märz|juni|juli|oktober|dezember)\.?"
)
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_DATE = (
    r"(?:\d{1,2}[/\-.]\d{1,2}[/\-.](?:\d{4}|\d{2})|\d{4}[/\-.]\d{1,2}[/\-.]\d{1,2}"
    r"|(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    rf"|{_MONTH}\s++{_DAY}(?:,?\s++\d{{4}})?(?![\w:])"
    rf"|{_DAY}(?:\s++of|\s++de)?[ \-]{_MONTH}(?:,?(?:\s++de)?[ \-](?:\d{{4}}|\d{{2}}))?"
    r"|(?<![\d.])(?:1[0-2]|0?[1-9])/(?:3[01]|[12]\d|0?[1-9])(?![\w/]))"
)
_STREET = (
    r"(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|ct|court|way|pl|place|ter|terrace|hwy|"
    r"highway|pkwy|parkway|cir|circle|sq|square|trl|trail|loop)"
)
_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|IA|ID|IL|IN|KS|KY|LA|MA|MD|ME|MI|MN|MO|MS|MT|NC|ND|NE|NH|NJ|NM|NV|NY|"
    "OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VA|VT|WA|WI|WV|WY|DC|PR"
)
_AGE = r"(?:9\d|1[01]\d)"
_ID_CUES = (
    r"mrn|mr ?#|med(?:ical)? rec(?:ord)?(?: number| no\.?| #)?|acct|account|member|subscriber|policy|mbi|medicare|"
    r"medicaid|fin|csn|har|encounter|enc|visit|chart|claim|case|ref|reference|ticket|invoice|expediente|dossier|"
    r"icn|dcn|card|nr|patient|pt|insurance|ins|id"
)
# after these a number is the record's even when it looks like a code ("Enc 77412"): nobody writes a code there
_STRONG_ID_CUES = {
    "mrn",
    "acct",
    "account",
    "member",
    "subscriber",
    "policy",
    "mbi",
    "fin",
    "har",
    "expediente",
    "enc",
    "encounter",
    "csn",
    "icn",
    "dcn",
}
_ID_VALUE = (
    r"(?-i:[A-Z]{1,5}[ \-])?(?:(?=(?:\d ?){6})\d{2,4}(?: \d{1,4}){1,4}\b"  # 8837 2019 4455, ZGP 440 918 336
    r"|(?=[A-Z0-9\-]*\d[A-Z0-9\-]*\d[A-Z0-9\-]*\d[A-Z0-9\-]*\d)[A-Z0-9][A-Z0-9\-]{3,}[A-Z0-9])"
)
_SPELLED_AGE = (
    r"(?>(?:ninety|one hundred)(?:(?:[- ]|\s+and\s+)(?:one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve)\b)?)(?!\s*+-?\s*+(?:days?|minutes?|mins?|seconds?|hours?|percent|%|units?|mg|ml|dollars))"
)


@dataclass(frozen=True)
class _Probe:
    """What a text holds, measured once in linear time, so a pattern that cannot match is not even run."""

    low: str
    digits: int

    def has(self, *words: str) -> bool:
        return any(w in self.low for w in words)


_DIGIT = re.compile(r"\d")


def _probe(text: str) -> _Probe:
    return _Probe(text.lower(), _DIGIT.subn("", text)[1])


# Shapes that win over a code inside them (a ZIP code like 27252, a URL path through /encounter/27252): no code is
# ever written in these places. (tag, pattern, gate) as below.
_ALWAYS_WIN: list[tuple[str, re.Pattern[str], Callable[[_Probe], bool]]] = [
    # the path and query of a URL name a record ("/patients/88417/chart"); the scheme and host stay, so a curator
    # still sees which site. With a scheme, or a bare host with a dot and a lower-case top-level domain.
    ("URL", re.compile(r"(?=[hfw])\b(?:https?|ftp)://[^\s/<>|]++/(?P<v>[^\s<>|]++)", re.I), lambda p: "://" in p.low),
    (
        "URL",
        re.compile(r"(?=[a-z0-9])(?<![\w.@/\-])(?-i:(?:[a-z0-9][a-z0-9\-]*+\.)++[a-z]{2,24})/(?P<v>[^\s<>|]++)"),
        lambda p: "/" in p.low and "." in p.low,
    ),
    # Slack ids of people and channels, as markup (<@U0123ABCD|name>, <#C0123ABCD|coding>, <!subteam^S1|@team>)
    # or bare; the asker's own is stored hashed, anybody else's is an identifier of someone who did not ask
    ("SLACK_ID", re.compile(r"<(?:[@#][UWCGD]|!subteam\^)[A-Z0-9]{2,}(?:\|[^<>\n]{0,80})?>"), lambda p: "<" in p.low),
    (
        "SLACK_ID",
        re.compile(r"(?=[UWCGD])(?<![\w\-./])(?=[A-Z]*+\d)[UWCGD][A-Z0-9]{8,11}(?![\w\-])"),
        lambda p: p.digits >= 1,
    ),
    (
        "IP",
        re.compile(
            r"(?=\d)(?<![\w.])(?!(?:127\.0\.0\.1|0\.0\.0\.0)(?![\w.]))"  # loopback and "any" name nobody
            r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
            r"(?![\w]|\.\d)"
        ),
        lambda p: p.digits >= 4 and "." in p.low,
    ),
    (
        "IP",
        re.compile(
            r"(?=[0-9a-f:])(?<![\w:])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}"
            r"|(?:[0-9a-f]{1,4}:){1,6}(?::[0-9a-f]{1,4}){1,6}"
            r"|(?:[0-9a-f]{1,4}:){1,7}:|::(?:[0-9a-f]{1,4}:){0,5}[0-9a-f]{1,4})(?![\w:])",
            re.I,
        ),
        lambda p: "::" in p.low or p.low.count(":") >= 7,
    ),
    (
        "ZIP",
        re.compile(
            r"(?=[zp])\b(?:zip(?:\s*+code)?|zipcode|postal\s++code|post\s++code)\s*+[:#=]?+\s*+"
            r"(?P<v>\d{5}(?:-\d{4})?)(?![\w\-])",
            re.I,
        ),
        lambda p: p.digits >= 5 and p.has("zip", "post"),
    ),
    (
        "ADDRESS",
        re.compile(r"(?=[p])\b(?:p\.?\s?o\.?\s?box|post\s++office\s++box|pob)\s*+#?\s*+\d{1,6}(?!\w)", re.I),
        lambda p: p.digits >= 1 and p.has("box", "pob"),
    ),
    # a driver's licence, and a vehicle's plate: only after their labels (a bare "plate" is an implant)
    (
        "LICENCE",
        re.compile(
            r"(?=[dl])\b(?:driver'?s?\s*+licen[cs]e|drivers?\s*+lic\b\.?|licen[cs]e(?!\s*+plate)|d\.?l\.?n?)(?!\w)"
            r"(?>(?:\s*+(?:#|:|=|\bno\b\.?|\bnumber\b|\bnum\b|\bis\b))*)\s*+"
            r"(?P<v>(?=[A-Z0-9\-]{0,20}?\d[A-Z0-9\-]{0,20}?\d)[A-Z0-9][A-Z0-9\-]{3,18}[A-Z0-9])(?![\w\-])",
            re.I,
        ),
        lambda p: p.digits >= 2 and p.has("lic", "dl", "d.l"),
    ),
    (
        "PLATE",
        re.compile(
            r"(?=[lvctp])\b(?:licen[cs]e\s++plate|(?:vehicle|car)\s++(?:plate|tag|registration)|(?:plate|tag)\s*+(?:no\b\.?|number|#)"
            r"|plate\s*+:)\s*+[:#]?+\s*+"
            r"(?P<v>(?-i:(?=[A-Z0-9 \-]{0,12}\d)[A-Z0-9]{1,4}(?:[ \-]?[A-Z0-9]{1,4}){1,3}))(?![\w\-])",
            re.I,
        ),
        lambda p: p.digits >= 1 and p.has("plate", "tag", "registration"),
    ),
]

# (tag, pattern, gate); the value is group "v" when the pattern has one. Order matters: specific shapes first.
# Each pattern begins with a look-ahead for the characters it can start with, so that most positions fail at
# once, and the gate says what the text must hold for the pattern to have any chance.
PATTERNS: list[tuple[str, re.Pattern[str], Callable[[_Probe], bool]]] = [
    ("EMAIL", re.compile(r"(?=[\w.+\-])(?<![\w.+\-])[\w.+\-]++@[\w\-]++\.[\w.\-]+\b"), lambda p: "@" in p.low),
    (
        "SSN",
        re.compile(
            r"(?=[s*x]|\d{3}[- ])(?:\b(?:ssn|ss ?#|ss no\.?|soc(?:ial)? sec(?:urity)?(?: number| no\.?| #)?|social)"
            r"\s*+[:#]?+\s*+\d{3}[- ]?\d{2}[- ]?\d{4}\b"
            r"|\b\d{3}-\d{2}-\d{4}\b|\b\d{3} \d{2} \d{4}\b|(?:\*{3}|x{3}|X{3})[- ]?(?:\*{2}|x{2}|X{2})[- ]?\d{4}\b)",
            re.I,
        ),
        lambda p: p.digits >= 4,
    ),
    (
        "SSN",
        re.compile(
            r"(?=[^\W\d_])\b(?:ssn|ss ?#|social(?: security)?(?: number| no\.?| #)?)"
            r"\s*+(?:(?:ending|ends)(?: in| with)?"
            r"|last\s*+(?:4|four)(?: digits?)?(?: (?:is|are|of))?)\s*+[:#=]?+\s*+(?P<v>\d{4})\b",
            re.I,
        ),
        lambda p: p.digits >= 4 and p.has("ss", "social"),
    ),
    (
        "DOB",
        re.compile(
            rf"(?=[^\W\d_])\b(?:dob|d\.o\.b\.?|date of birth|birth ?date|born(?: on)?|b\.)\s*+[:#=]?+\s*+"
            rf"(?P<v>{_DATE}|\d{{1,2}} \d{{1,2}} (?:19|20)\d{{2}})",
            re.I,
        ),
        lambda p: p.digits >= 1 and p.has("dob", "d.o.b", "birth", "born", "b."),
    ),
    (
        "ID",
        re.compile(
            rf"(?=[^\W\d_])\b(?P<cue>{_ID_CUES})(?!\w)(?>(?:\s*+(?:#|:|=|\.|\bid\b|\bno\b\.?|\bnumber\b|\bnum\b|\bis\b))*)\s*+[:#=\-]?+\s*+"
            rf"(?P<v>{_ID_VALUE})\b",
            re.I,
        ),
        lambda p: p.digits >= 4,
    ),
    (
        "PHONE",
        re.compile(
            r"(?=[+(\d])(?<![\w.\-])"
            r"(?:(?:\+?1[ .\-]?)?(?:\(\d{3}\)\s?|\d{3}[ .\-])\d{3}[ .\-]\d{4}|1?\d{10}|\d{3}-\d{4})(?![\w\-])"
            r"(?:,?\s*+(?:x|ext\.?|extension)\s*+\d{1,5}\b)?",
            re.I,
        ),
        lambda p: p.digits >= 7,
    ),
    # a long number or dashed digit groups with no cue: no code looks like either
    (
        "ID",
        re.compile(r"(?=\d)(?<![\w\-/.$,])(?:\d{6,16}|(?=(?:\d-?){6})\d++(?:-\d++){2,})(?![\w\-/]|[.,]\d)"),
        lambda p: p.digits >= 6,
    ),
    (
        "ADDRESS",
        re.compile(
            rf"(?=\d)(?<![\w./])\d{{1,6}}\s++(?:(?:[A-Za-z0-9]++\s++){{0,4}}(?=[^\W\d_]){_STREET}\b\.?|(?:rue|calle|avenida|camino|chemin)(?:\s++(?!apt\b|unit\b|suite\b|ste\b)[^\W\d_][\w'’\-]*+){{1,4}})"
            r"(?:,?\s++(?:apt|unit|suite|ste|#)\.?\s*+\w+)?(?!\w)",
            re.I,
        ),
        lambda p: p.digits >= 1,
    ),
    (
        "NAME",
        re.compile(
            r"(?=[^\W\d_])\b(?P<cue>(?i:patient name|pt name|name is|name|patient|ptn|pt|pat|member|guarantor|insured"
            r"|paciente|nombre"
            r"|mr|mrs|ms|miss|mx))\b\.?\s*+[:\-]?+\s*+"
            r"(?=(?P<v>['‘“]?[^\W\d_][\w'’.\-]*+['’”]?(?:[ \t]++['‘“]?[^\W\d_][\w'’.\-]*+['’”]?){0,4}))"
        ),
        lambda p: p.has(
            "name", "pt", "pat", "member", "guarantor", "insured", "paciente", "nombre", "mr", "ms", "miss", "mx"
        ),
    ),
    # after an explicit label a name may be typed in lower case: "patient name: john smith", "pt: kiara m. rhodes"
    (
        "NAME",
        re.compile(
            r"(?=[^\W\d_])\b(?:patient name|pt name|name|patient|pt|paciente|nombre)\s*+[:\-]\s*+"
            r"(?P<lc>(?-i:[a-z][a-z'\-]*+\.?(?:\s++[a-z][a-z'\-]*+\.?){0,3}))",
            re.I,
        ),
        lambda p: p.has("name", "pt", "patient", "paciente", "nombre") and p.has(":", "-"),
    ),
    # "jones, tamika  dob ...": a lower-case "last, first" right before an identifier's label
    (
        "NAME",
        re.compile(
            r"(?=[^\W\d_])(?<![\w,])(?P<lc>(?-i:[a-z][a-z'\-]++,\s*+[a-z][a-z'\-]++))"
            r"(?=\s++(?:dob|d\.o\.b|mrn|acct|ssn)\b)",
            re.I,
        ),
        lambda p: "," in p.low and p.has("dob", "d.o.b", "mrn", "acct", "ssn"),
    ),
    # Any full date is about someone (service, admission, birth) unless it is a rule's or a document's date.
    ("DATE", re.compile(rf"(?=\d|[jfmasonde])(?<![\w/.\-]){_DATE}(?![\w/])", re.I), lambda p: p.digits >= 1),
    # A month and a year is usually a document's ("CPT Assistant Oct 2017", "the July 2024 file"): only with a cue
    (
        "DATE",
        re.compile(
            rf"(?=[^\W\d_])\b(?P<cue>dos|seen|surgery|admitted|discharged|injured|fell|done|performed)\b"
            rf"[^\n.;|]{{0,20}}?"
            rf"(?P<v>{_MONTH},?\s++(?:19|20)\d{{2}})\b",
            re.I,
        ),
        lambda p: (
            p.digits >= 4
            and p.has("dos", "seen", "surgery", "admitted", "discharged", "injured", "fell", "done", "performed")
        ),
    ),
    (
        "AGE",
        re.compile(
            rf"(?=[aâe91shino])\b(?:(?:age|aged|ages|edad|âge|alter)\s*+[:=]?+\s*+{_AGE}\b"
            rf"|{_AGE}\s*+(?:yo|y/o|y\.o\.?|yrs?(?: old)?|years?[- ]old|-?year-old|años|ans|jahre)(?!\w)|{_AGE}y(?!\w)"
            rf"|{_AGE}\s?[MF]\b|(?:she|he)(?:'s|’s| is)\s++{_AGE}\b|is\s++{_AGE}\s++(?:now|years)\b"
            # spelled out, an age of ninety or more is the only likely reading ("ninety-day global" is not one)
            rf"|{_SPELLED_AGE})",
            re.I,
        ),
        lambda p: p.digits >= 2 or p.has("ninety", "hundred"),
    ),
]
_DOCUMENT_DATE = re.compile(
    r"\b(effective|as of|since|starting|beginning|released?|updated?|transmittal|dated|bulletin|webinar|revision|"
    r"revised|newsletter|memo|guidance|published|issued|version|edition|lcd|ncd|mln|article|quarter|deadline|"
    r"rule|manual|policy|policies|transmittals|bulletins|articles|rules|manuals|updates|edits)\b",
    re.I,
)
_DOCUMENT_AFTER = re.compile(
    r"^\S+\s+(?:\w+\s+)?(?:webinar|bulletin|update|release|transmittal|newsletter|revision|"
    r"memo|manual|lcd|ncd|ncci|guidance|article|edition|fee schedule)\b",
    re.I,
)
_PERSON_DATE = re.compile(
    r"\b(dos|dob|born|admit\w*|adm|seen|visit|service|svc|surgery|injur\w*|fell|came|discharg\w*"
    r"|done|performed)\b",
    re.I,
)
# Codes and modifiers that must survive redaction untouched.
_PROTECT = re.compile(
    r"(?=\w)(?<![\w\-])(?:\d{5}(?:-[0-9A-Z]{2})*|\d{4}[FTU]|[A-V]\d{4}|[A-TV-Z]\d[0-9A-Z]\.?[0-9A-Z]{0,4})\b", re.I
)
# Numbers that belong to the organisation or a document, never to a patient: a charge master line, a revenue
# code, a drug's NDC, a provider's NPI or tax ID, a CMS transmittal or change request.
_NOT_PATIENT = re.compile(
    r"(?=[^\W\d_])\b(?:cdm|chargemaster|charge (?:code|number|item|line)|rev(?:enue)? code|ndc|npi|tin|ein|transmittal|"
    r"change request|cr)s?\s*+(?:#|no\.?|number|code)?\s*+[:#=]?+\s*+(?P<v>[A-Z]{0,3}\d[\d\-]{2,}\d)",
    re.I,
)
_HONORIFICS = {"mr", "mrs", "ms", "miss", "mx"}
# Words that end a name even after "Mr." ("Mr. and Mrs. Lee"): after an honorific other capitalised words count.
_FUNCTION_WORDS = set(
    "a an and are as at be but by for from had has have he her his i in is it of on or she so the "
    "their they this to was we were with you your".split()
)


class PhiFinding(NamedTuple):
    """One identifier: its tag and where it is. A tuple, because a long paste can hold thousands of them."""

    tag: str
    start: int
    end: int


def find_phi(text: str) -> list[PhiFinding]:
    """Every likely identifier in `text`, merged and in order. Linear in the length of the text: every pattern
    is written so that no run of spaces, digits or capitals can make it backtrack (possessive quantifiers,
    atomic groups), and the scans below look at bounded windows only (benchmarks/redaction.py measures it)."""
    probe = _probe(text)
    spans: list[tuple[int, int]] = []
    if probe.digits:  # every code has a digit
        spans += [m.span() for m in _PROTECT.finditer(text)]
        spans += [m.span("v") for m in _NOT_PATIENT.finditer(text)]
    protected = _Spans(spans)
    found: list[PhiFinding] = []
    for tag, pattern, gate in PATTERNS:
        if not gate(probe):
            continue
        for m in pattern.finditer(text):
            value = next((g for g in ("v", "lc") if g in pattern.groupindex and m.group(g)), None)
            start, end = m.span(value) if value else m.span()
            cue = m.group("cue").lower() if "cue" in pattern.groupindex else None
            if tag == "NAME":
                if cue and _not_a_label(text, m.end("cue"), cue):
                    continue
                words = m.group(value) if value else ""
                end = start + len(_name_part(words, lax=cue in _HONORIFICS) if value == "v" else _lowercase_name(words))
                if end == start:
                    continue
            if not _allowed(tag, cue, start, end, protected):
                continue
            if tag == "DATE" and _is_document_date(text, start):
                continue
            found.append(PhiFinding(tag, start, end))
    for tag, pattern, gate in _ALWAYS_WIN:  # after the others: an ID's own tag wins where both match
        if gate(probe):
            for m in pattern.finditer(text):
                start, end = m.span("v") if "v" in pattern.groupindex else m.span()
                if tag == "URL":  # "see https://x.org/a/b." : the sentence's full stop is not part of the path
                    while end > start and text[end - 1] in ".,;:!?)]}'\"":
                        end -= 1
                if end > start:
                    found.append(PhiFinding(tag, start, end))
    if probe.digits >= 5:  # a ZIP code
        found += _places(text)
    found += _bare_names(text, found)
    found += _neighbours(text, found)
    return _merge(found)


def _not_a_label(text: str, end: int, cue: str) -> bool:
    """An honorific joined by a hyphen is part of a term ("MS-DRG"), not a title before a name. (A cue that
    ends a sentence, "risks discussed with pt. Decision made", is still read as a label: "with pt. Garcia"
    is as likely, and a missed name costs more than a redacted word.)"""
    return cue in _HONORIFICS and text[end : end + 1] == "-"


class _Spans:
    """The protected spans, sorted, with the furthest end reached so far: "does any span touch (or hold) this
    one" in O(log n), where scanning the list for every finding was quadratic on a paste of many codes."""

    def __init__(self, spans: list[tuple[int, int]]):
        spans.sort()
        self.starts = [s for s, _ in spans]
        self.reach: list[int] = []
        for _, e in spans:
            self.reach.append(max(e, self.reach[-1]) if self.reach else e)

    def touches(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.starts, end)  # spans starting before `end`
        return i > 0 and self.reach[i - 1] > start

    def holds(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, start)  # spans starting at or before `start`
        return i > 0 and self.reach[i - 1] >= end


def _strong_cue(cue: str) -> bool:
    """'MRN 27252', 'MR# 88417', 'medical record # 27252': after these a number is the record's."""
    return cue in _STRONG_ID_CUES or cue.startswith(("mr", "med"))


def _allowed(tag: str, cue: str | None, start: int, end: int, protected: _Spans) -> bool:
    """Codes win over a finding that touches them, except where the shape or the cue says otherwise: an email,
    a phone number; a number after a strong label ("MRN 27252"); a labelled value longer than the code-like
    part inside it ("visit #: 40019-A")."""
    if tag in ("EMAIL", "PHONE") or (tag == "ID" and cue is not None and _strong_cue(cue)):
        return True
    if tag == "ID" and cue is not None:
        return not protected.holds(start, end)
    return not protected.touches(start, end)


# "Santa Fe NM 87501", "Springfield, IL 62704-1234": the city and the ZIP (both smaller than a state); the state stays
_PLACE = re.compile(
    rf"(?=[A-Z])(?<![\w'’\-.])(?P<city>(?:[A-Z][\w'’\-]*+\.?[ \t]++){{0,2}}[A-Z][\w'’\-]*+),?[ \t]++"
    rf"(?:{_STATES})[ \t]++"
    r"(?P<zip>\d{5}(?:-\d{4})?)(?![\w\-])"
)
_PLACE_WORDS = {
    "city",
    "lake",
    "falls",
    "springs",
    "beach",
    "park",
    "heights",
    "hills",
    "village",
    "valley",
    "saint",
    "st",
    "fort",
    "mount",
    "san",
    "santa",
    "new",
    "north",
    "south",
    "east",
    "west",
    "port",
    "grand",
}


def _places(text: str) -> list[PhiFinding]:
    found: list[PhiFinding] = []
    for m in _PLACE.finditer(text):
        words = m.group("city").split()
        last = words[-1].rstrip(".").lower()
        if words[-1].upper() in _ABBREVIATIONS or (
            last not in _PLACE_WORDS and (last in _FUNCTION_WORDS or last in _content_words())
        ):  # "Physician Assistant PA 26770"
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
_TOKEN = re.compile(r"[^\W\d_]++(?:['’\-][^\W\d_]++)*+\.?")
_LOOK_AFTER = 80  # how far past a run of words the checks for what follows it look


@lru_cache(maxsize=65536)  # words repeat: a 20,000-character paste has a few hundred distinct ones
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
    if bare in _modifier_codes():  # "AA, AD modifiers", "QX, QZ": letter modifiers of our own content
        return "word"
    # an abbreviation is written in capitals ("AMA"); in title case only the short ones are ("Dx"), "Ama" is a name
    if (
        not bare[0].isupper()
        or low in _STOP_WORDS
        or bare.upper() in _ABBREVIATIONS
        and (bare.isupper() or len(bare) < 3)
    ):
        return "word"
    return "name"


def _is_name(words: list[str], gaps: str) -> bool:
    """At least two name words, or "RAMIREZ-OCHOA, J.", not all of them words our own content uses: an eponym
    in our content is a surname too ("Jones, Tamika"), and "Jones fracture" is caught by what follows it."""
    return _is_name_words(tuple(words), "," in gaps)


@lru_cache(maxsize=16384)  # a paste repeats its names: each run of words is judged once
def _is_name_words(words: tuple[str, ...], comma: bool) -> bool:
    names = [w.rstrip(".") for w in words if _kind(w) == "name"]
    if names and all(len(n) <= 2 and n.isupper() for n in names):
        return False  # "GY, GZ", "FX, FY": letter modifiers and abbreviations, not a "LAST, FIRST" of two letters
    last_initial = len(words) == 2 and _kind(words[1]) == "initial" and words[1].endswith(".") and comma
    if len(names) < 2 and not (len(names) == 1 and last_initial and len(names[0]) > 2):
        return False
    common = _content_words()
    return not all(n.lower() in common for n in names)


# after a run of capitalised words, what makes it something other than a person: an eponym's noun
# ("Captain Morgan technique") or a form field's answer ("Neurovascular Intact: Yes")
_NOT_A_PERSON_AFTER = re.compile(  # matched at the end of a run (pattern.match(text, pos))
    r"(?:\s+(?:technique|maneuver|manoeuvre|method|fracture|lesion|sign|test|classification|reduction|repair|"
    r"procedure|view|position|splint|criteria|rule|scale|score|syndrome|disease|deformity|injury|approach|incision)s?\b"
    r"|\s*:\s*(?:yes|no|none|n/?a|y|n|positive|negative|normal|abnormal|present|absent|unknown|done|pending|complete|"
    r"completed|given|declined|performed|intact|wnl|nad|true|false|checked|unchecked|x)\b)",
    re.I,
)
_SLASHED_NAME = re.compile(r"(?=[A-Z])(?<![\w/])[A-Z][A-Z'’\-]{2,}/[A-Z][A-Z'’\-]{2,}(?![\w/])")  # KOWALSKI/STANISLAW
_QUOTES = "'\"‘’“”"


def _slashed_names(text: str) -> list[PhiFinding]:
    common = _content_words()
    return [
        PhiFinding("NAME", *m.span())
        for m in _SLASHED_NAME.finditer(text)
        if all(_kind(w) == "name" and w.lower() not in common for w in m.group().split("/"))
    ]


def _bare_names(text: str, found: list[PhiFinding]) -> list[PhiFinding]:
    """Runs of capitalised words ('Dana Whitfield', 'Vance, Theodora K.', 'Leopold von Stauffenberg-Rhee').

    One pass over the words; only a few characters around each are looked at, so a 20,000-character paste of
    capitals costs what its words cost."""
    names: list[PhiFinding] = _slashed_names(text) if "/" in text else []
    size = len(text)
    run: list[tuple[int, int, str]] = []  # (start, end, word) of the words in the current run
    comma = False  # the run already has a comma in it ("Vance, Theodora"): a second one ends it

    def close() -> None:
        nonlocal comma
        while run and _kind(run[-1][2]) in ("particle", "word"):
            run.pop()
        if run:
            start, end, last = run[0][0], run[-1][1], run[-1][2]
            if _is_name([word for _, _, word in run], text[start:end]) and not _NOT_A_PERSON_AFTER.match(
                text, end, end + _LOOK_AFTER
            ):
                names.append(PhiFinding("NAME", start, end - (last.endswith(".") and _kind(last) == "name")))
            run.clear()
        comma = False

    kind_of, blank = _kind, " \t" + _QUOTES
    for m in _TOKEN.finditer(text):
        token = m.group()
        kind = kind_of(token)
        if kind == "word":
            if run:
                close()
            continue
        start, end = m.span()
        # glued to a digit or a slash it is part of a code or a list ("MM13452", "FA/F1/F2"), not a word
        before, after = text[start - 1] if start else "", text[end] if end < size else ""
        if before == "/" or after == "/" or before.isdigit() or after.isdigit():
            if run:
                close()
            continue
        if run:
            previous_end, previous = run[-1][1], run[-1][2]
            gap = text[previous_end:start] if start - previous_end <= 3 else None
            with_comma = gap is not None and gap.strip() == ","
            joined = (
                gap is not None
                and "\n" not in gap
                and not (previous[-1] == "." and kind_of(previous) == "name")
                and (gap.strip(blank) == "" or (with_comma and not comma))
            )  # "Terrence 'TJ' Jackson"; "WBAT. Follow"
            if not joined:
                close()
            elif with_comma:
                comma = True
        if not run and kind != "name":  # a suffix, an initial or a particle never starts a run
            continue
        run.append((start, end, token))
    close()
    return names


def _ends_sentence(token: str) -> bool:
    """'WBAT. Follow up': a full stop after a word (not an initial or 'Jr.') ends the run."""
    return token.endswith(".") and _kind(token) == "name"


_NEXT_TO = re.compile(r"[ \t,()'\"‘’“”/|:;\-&]{0,4}")  # the whole gap (fullmatch)
_NEXT_TO_GAP = 4
# "Lee, Ann | 98 | F", "(MRN 123456), 94, seen": a bare 90+ between separators right after an identifier
_ANY_AGE = re.compile(rf"(?<!\d){_AGE}\b")
_AGE_ALONE = re.compile(rf"^[ \t)\]]*[,|(;][ \t]*({_AGE})(?=[ \t]*[,|);])")
_AGE_AFTER = re.compile(
    rf"^[\s,(]*(?:(?:she|he)(?:'s|’s| is)\s+|the\s+|age\s+)?{_AGE}\b(?!\s*(?:-|\s)?(?:day|min|%))", re.I
)


def _neighbours(text: str, found: list[PhiFinding]) -> list[PhiFinding]:
    """Words that belong to a finding: a lone unusual name beside it ('(Keiko, 555-0188)', 'Nils & [NAME]'),
    a name used again, alone or cut short ('Mrs. Pinkham', 'Morozova ... not Moroz'), an age of 90 or more
    right after a name ('Mrs. Lee (92)')."""
    common = _content_words()
    ordered = sorted(found, key=lambda f: f.start)
    starts = [f.start for f in ordered]
    ends = sorted(f.end for f in found)
    inside = _Spans([(f.start, f.end) for f in ordered])
    names = {
        w.rstrip(".").lower()
        for f in found
        if f.tag == "NAME"
        for w in _TOKEN.findall(text, f.start, f.end)
        if _kind(w) == "name" and len(w.rstrip(".")) > 2
    }
    candidates: list[tuple[int, str]] = []  # (start, word) of the capitalised words not inside a finding already
    kind_of, beside_gap, first_after, last_before = _kind, _NEXT_TO.fullmatch, bisect.bisect_left, bisect.bisect_right
    count = len(starts)
    seen: dict[str, tuple[str, str, bool] | None] = {}  # a word's reading, worked out once however often it recurs
    for m in _TOKEN.finditer(text):
        token = m.group()
        if token in seen:
            reading = seen[token]
        else:
            reading = None
            if (token[0].isupper() or "-" in token) and kind_of(token) == "name":  # only these can be names
                word = token.rstrip(".")
                if not word.isupper():
                    reading = (word, word.lower(), word.lower() in common)
            seen[token] = reading
        if reading is None:
            continue
        word, low, usual = reading
        start, end = m.span()
        if not usual and low not in names:  # being beside a finding makes a new name of it
            after = first_after(starts, end)  # the next finding after the word
            before = last_before(ends, start) - 1  # the last one ending before it
            # only a gap of a few characters can be "beside": never look as far as a distant finding
            if (after < count and starts[after] - end <= _NEXT_TO_GAP and beside_gap(text, end, starts[after])) or (
                before >= 0 and start - ends[before] <= _NEXT_TO_GAP and beside_gap(text, ends[before], start)
            ):
                names.add(low)
        if not inside.holds(start, start + len(word)):  # a word inside a finding is redacted with it
            candidates.append((start, word))
    longer = sorted(n for n in names if len(n) > 4)  # a name cut short ("Moroz" for "Morozova"): a prefix search

    def cut_short(word: str) -> bool:
        i = bisect.bisect_left(longer, word)
        return i < len(longer) and longer[i].startswith(word)

    extra = [
        PhiFinding("NAME", start, start + len(word))
        for start, word in candidates
        if (low := word.lower()) in names or (len(word) > 3 and low not in common and cut_short(low))
    ]
    for f in ordered if _ANY_AGE.search(text) else ():  # an age of 90 or more somewhere, or nothing to look for
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
        if (
            lax
            and kind == "word"
            and bare[:1].isupper()
            and bare.lower() not in _FUNCTION_WORDS
            and bare.upper() not in _ABBREVIATIONS
        ):
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
