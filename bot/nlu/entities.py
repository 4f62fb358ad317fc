"""Pull the hard facts out of a question before any fuzzy matching: codes, modifiers, findings, sites.

Codes are taken exactly as written and never fuzzed (27250 must never become 27252). Each entity is
replaced by a placeholder word in `masked`, so intent matching compares the shape of the question
("can i use MODIFIER on CPTCODE") rather than its numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.nlu.normalize import ascii_text, fold, normalise

_UNITS = (r"(?:(?:days?|d|min|minutes?|hours?|hrs?|yo|y/o|years?|yrs?|mg|mcg|ug|ml|cc|meq|g|gm|l|bpm|mmhg|units?|percent"
          r"|weeks?|wks?|months?|mos?|kg|lbs?|cm|mm|degrees?)\b|%)")  # whole words: "59 lt" is not "59 l"
_CODE_WITH_MODS = re.compile(rf"(?<![\w.])(\d{{5}}|\d{{4}}[ftu]|[a-v]\d{{4}})((?:\s?-\s?[0-9a-z]{{2}}\b(?!\s*{_UNITS}))+)", re.I)
_CPT = re.compile(r"(?<![\w.\-/])(\d{5}|\d{4}[ftu])(?![\w]|\.\d)", re.I)
_HCPCS = re.compile(r"(?<![\w.])([a-v]\d{4})(?![\w.])", re.I)
_ICD_DOTTED = re.compile(r"(?<![\w.])([a-tv-z]\d[0-9a-z])\.([0-9a-z]{1,4})(?![\w])", re.I)
_ICD_COMPACT = re.compile(r"(?<![\w.])([a-tv-z]\d[0-9a-z](?:[0-9a-z]{1,4}))(?![\w])", re.I)
_ICD_CATEGORY = re.compile(r"(?<![\w.])([a-tv-z]\d\d)(?=\s*(?:\.|-|\bcodes?\b|\bfamily\b|\bcategory\b|$))", re.I)
_MOD_KEYWORD = re.compile(
    r"\b(?:mod(?:ifier|ifer)?s?)\s*[-#:]?\s*([0-9a-z]{2})\b((?:\s*(?:,|/|\band\b|\bor\b|&)\s*-?[0-9a-z]{2}\b)*)", re.I
)
_MOD_TRAILING = re.compile(r"(?<![\w-])-?([0-9a-z]{2})\s+mod(?:ifier|ifer)?s?\b", re.I)
_PHYSICAL_STATUS = re.compile(r"(?<![\w-])p[- ]([1-6])\b(?!\s*(?:mg|ml|min|%|percent))", re.I)
_MOD_DASH = re.compile(r"(?<![\w-])-([0-9a-z]{2})\b", re.I)
_LETTER_MODS = {"LT", "RT", "XE", "XS", "XP", "XU", "AA", "AD", "QK", "QX", "QY", "QZ", "QS", "G8", "G9", "TC", "AS",
                "P1", "P2", "P3", "P4", "P5", "P6", "F1", "FA", "T1", "TA", "GC", "GA", "GY", "GZ", "KX", "Q9"}
_BARE_TWO_DIGIT = re.compile(rf"(?<![\w.\-/$])(\d{{2}})(?![\w.%/])(?!\s*{_UNITS})", re.I)
_NEGATED = re.compile(r"\b(not|other than|except|excluding|non)\s+(the\s+|a\s+)?$")
_ENGLISH = {"do", "is", "on", "in", "to", "at", "be", "it", "or", "an", "me", "my", "we", "if", "so", "no", "up", "us", "go",
            "of", "as", "by", "he", "hi", "ok", "am", "pt"}
_AGE_BEFORE = re.compile(r"(?:\bage[sd]?|\baged|\bunder|\bover|\bolder than|\byounger than|\bthan)\s*$", re.I)
_UNIT_WORDS = re.compile(r"\b(rvus?|percent|x)\s*$", re.I)

FINDINGS: list[tuple[str, re.Pattern[str]]] = [
    ("deep_sedation", re.compile(r"\bdeep sedation\b|\bdeeply sedated\b")),
    ("moderate_sedation", re.compile(
        r"\b(moderate|conscious|procedural|iv) sedation\b|\bversed\b|\bmidazolam\b|\bfentanyl and versed\b|\bketamine\b"
        r"|\b9915[1-7]\b")),
    ("minimal_sedation", re.compile(r"\bminimal sedation\b|\banxiolysis\b")),
    ("mac", re.compile(r"\bmonitored anesthesia care\b")),
    ("general", re.compile(
        r"\bgeneral anesthesia\b|\bunder general\b|\bintubat\w*\b|\bendotracheal\b|\bgeneral endotracheal\b|\blma\b"
        r"|\bin the or\b|\bgeneral\b(?= (?:anesthesia|by))|\b(?:gave|give|gives|given|giving|got|had|did) (?:the |a )?general\b")),
    ("regional", re.compile(
        r"\bregional\b|\bspinal\b|\bepidural\b|\b(?:femoral|sciatic|interscalene|axillary|supraclavicular|fascia iliaca"
        r"|popliteal|brachial plexus|peripheral) (?:nerve )?block\b|\bnerve block\b|\bbier block\b")),
    ("digital_block", re.compile(r"\bdigital (?:nerve )?block\b|\bring block\b")),
    ("local", re.compile(r"\blocal\b|\blidocaine\b|\bhematoma block\b|\bintra ?articular\b|\binfiltration\b")),
    ("topical", re.compile(r"\btopical\b")),
    ("none", re.compile(
        r"\bwithout (?:any )?(?:anesthesia|sedation)\b|\bno (?:anesthesia|sedation|meds|medication)\b"
        r"|\bnothing given\b|\bunsedated\b|\bwithout meds\b|\bno anesthesia\b")),
]
# Who gave it, when the note does not name the type: a separate anesthesia practitioner means MAC or more.
_ANESTHESIA_PROVIDER = re.compile(r"\b(anesthesiologist|crna|anesthesia (?:team|provider|practitioner|staff)|by anesthesia)\b")
_PROPOFOL = re.compile(r"\bpropofol\b|\betomidate\b")
# Asking what a named code is, not something about it: the question ends there or asks which kind it is.
_CODE = r"(?:cptcode|anescode)"
_WHAT_CODE_IS = re.compile(
    rf"\b(?:what s|whats|what is|explain|define|describe) (?:the )?(?:code )?{_CODE}(?: exactly| again| for)?$"
    rf"|\b{_CODE} (?:is (?:that|it)|exactly|what is (?:that|it)|whats that|what s that)\b"
    rf"|\bis {_CODE} (?:the|a|an|for)\b|\b{_CODE} (?:is that|is it) (?:the|a|an|one|for)\b|\bwhats that$|\bwhat s that$")

_WHAT_MODIFIER_IS = re.compile(
    r"\b(?:what s|whats|what is|what are|explain|define) (?:the |a |an )?(?:\w+ )?modifiers?\b(?! (?:on|for|with|to) cptcode)"
    r"|\bmodifiers? (?:\w+ ){0,4}?(?:mean|means|meaning|signify|signifies|stand for|stands for|used for|indicate|indicates)\b"
    r"|\bwhat does (?:it|that) (?:mean|signify|stand for|indicate)\b")

# Asking for the anesthesia provider's own code (the crosswalk), not the surgeon's: "anes code for ...",
# "0xxxx", "what code does the CRNA bill", "the anesthesiologist's claim". "the with-anesthesia code" is the
# surgeon's code of a pair, so a with/without/requiring before it does not count.
_NOT_ASKING_FOR_ITS_CODE = "".join(  # "under general anesthesia code", "w/o any anesthesia, code?", "the with-anesthesia code"
    rf"(?<!\b{w} )" for w in ("with", "without", "requiring", "no", "any", "general", "regional", "under", "by"))
_ANESTHESIA_CODE_REQUEST = re.compile(
    rf"{_NOT_ASKING_FOR_ITS_CODE}\banes(?:thesia)? (?:base )?(?:cpt(?!code)\w*|codes?|crosswalk)\b"
    r"|\basa (?:cpt(?!code)\w*|codes?|crosswalk)\b|\b0 ?x{4}\b|\b0 codes?\b|\bcrosswalk\b"
    r"|\b(?:codes?|cpt(?!code)\w*)\b(?: \w+){0,4}? (?:the )?(?:anes(?:thesia)?|anesthesiologists?|anesthesiology|crnas?)"
    r"(?: \w+){0,2}? (?:uses?|bills?|reports?|puts?|claims?|submits?)\b"
    r"|\b(?:anesthesiologists?|crnas?)(?: s)? (?:claim|line|bill)\b")

SITES: list[tuple[str, re.Pattern[str]]] = [
    ("sternoclavicular", re.compile(r"\bsternoclavicular\b|\bsc joint\b|\bs c joint\b")),
    ("acromioclavicular", re.compile(r"\bacromioclavicular\b|\bac joint\b|\ba c joint\b|\bac sep\w*\b|\ba c sep\w*\b")),
    ("thumb", re.compile(r"\bthumb\b")),
    ("patella", re.compile(r"\bpatell\w*\b|\bkneecap\b|\bknee cap\b")),
    ("hip", re.compile(r"\bhips?\b|\bfemoral head\b|\bacetabul\w*\b|\barthroplasty\b|\btha\b|\bthr\b")),
    ("shoulder", re.compile(r"\bshoulders?\b|\bglenohumeral\b")),
    ("elbow", re.compile(r"\belbows?\b|\bnursemaid\w*\b|\bradial head\b")),
    ("knee", re.compile(r"\bknees?\b|\btibiofemoral\b")),
    ("ankle", re.compile(r"\bankles?\b|\btibiotalar\b")),
    ("foot", re.compile(r"\btarsal\b|\bnavicular\b|\bcuboid\b|\bcuneiform\b|\btalotarsal\b|\bsubtalar\b|\btarsometatarsal\b|\blisfranc\b|\bmidfoot\b|\bfoot\b|\bfeet\b")),
    ("toe", re.compile(r"\btoes?\b|\bmtp\b|\bmetatarsophalangeal\b|\bhallux\b")),
    ("hand", re.compile(r"\bcmc\b|\bcarpometacarpal\b|\bmcp\b|\bmetacarpophalangeal\b|\bknuckle\b|\bhand\b")),
    ("finger", re.compile(r"\bfingers?\b|\bpip\b|\bdip\b|\binterphalangeal\b|\bdigit\b")),
]

INDICATOR_WORDS: list[tuple[str, re.Pattern[str]]] = [
    ("glob_days", re.compile(r"\bglobal\b|\bpost ?op(?:erative)? (?:period|days)\b|\b(?:0|00|000|10|010|90|090) day\b|\bfollow ?up days\b")),
    ("bilat_surg", re.compile(r"\bbilat\w* (?:indicator|surg|payment|rule|adjustment)\b|\b150\b|\bbilat\w* ind\b")),
    ("asst_surg", re.compile(r"\bassist\w*\b|\basst\b")),
    ("co_surg", re.compile(r"\bco ?surg\w*\b|\btwo surgeons\b")),
    ("team_surg", re.compile(r"\bteam (?:surg\w*|indicator)\b")),
    ("mult_proc", re.compile(r"\bmultiple procedure\b|\bmult proc\b|\bmppr\b|\bmultiple surg\w*\b")),
    ("pctc", re.compile(r"\bpc ?tc\b|\bprofessional component\b|\btechnical component\b")),
    ("status", re.compile(r"\bstatus (?:code|indicator)\b|\bpayable\b|\bcovered by medicare\b")),
    ("split", re.compile(r"\bpre ?op\b|\bintra ?op\b|\bsplit\b|\bpercentages?\b")),
    ("work_rvu", re.compile(r"\brvus?\b|\brelative value\b")),
]
ENCOUNTERS = [("A", re.compile(r"\binitial\b|\bfirst (?:\w+ )?(?:visit|encounter|time)\b|\bactive treatment\b|\bed visit\b")),
              ("D", re.compile(r"\bsubsequent\b|\bfollow ?up\b|\bf u\b|\brecheck\b|\broutine healing\b")),
              ("S", re.compile(r"\bsequela\w*\b|\blate effect\b"))]
LATERALITY = [("right", re.compile(r"\bright\b|\brt\b|\br (?=tha|thr|tka|hip|knee|shoulder|elbow|ankle|foot|hand|ring|index|long|little|thumb|toe|great|arm|forearm|wrist|leg|side|2nd|3rd|4th|5th|second|third|fourth|fifth|small|middle|pinky)")),
              ("left", re.compile(r"\bleft\b|\blt\b|\bl (?=tha|thr|tka|hip|knee|shoulder|elbow|ankle|foot|hand|ring|index|long|little|thumb|toe|great|arm|forearm|wrist|leg|side|2nd|3rd|4th|5th|second|third|fourth|fifth|small|middle|pinky)")),
              ("bilateral", re.compile(r"\bbilateral\b|\bboth\b"))]


@dataclass
class Entities:
    codes: list[str] = field(default_factory=list)  # CPT / HCPCS, as written, in order
    icd_codes: list[str] = field(default_factory=list)  # with the dot, upper case
    modifiers: list[str] = field(default_factory=list)  # every modifier mention, upper case
    explicit_modifiers: list[str] = field(default_factory=list)  # written with "modifier", "-" or a code hyphen
    findings: list[str] = field(default_factory=list)
    anesthesia_provider: bool = False
    anesthesia_code_request: bool = False  # asks which code the anesthesia provider reports
    asks_what_code_is: bool = False  # "what is 01380 exactly", "is 23700 the MUA one", "24601, whats that"
    asks_what_modifier_is: bool = False  # "G9 modifier, what does it signify", "whats the FA modifier"
    sites: list[str] = field(default_factory=list)
    indicator_fields: list[str] = field(default_factory=list)
    encounter: str | None = None
    laterality: str | None = None
    masked: str = ""  # normalised text with placeholders

    @property
    def anesthesia_codes(self) -> list[str]:
        return [c for c in self.codes if re.fullmatch(r"0[01]\d{3}", c)]

    @property
    def procedure_codes(self) -> list[str]:
        return [c for c in self.codes if c not in self.anesthesia_codes]


def _add(items: list[str], value: str) -> None:
    if value not in items:
        items.append(value)


def extract(question: str, known_modifiers: set[str]) -> Entities:
    """Entities of one question; `known_modifiers` decides which bare two-digit numbers are modifiers."""
    ent = Entities()
    text = fold(question)
    spans: list[tuple[int, int, str]] = []  # (start, end, placeholder) to mask

    def take(match: re.Match[str], group: int, placeholder: str) -> None:
        spans.append((match.start(group), match.end(group), placeholder))

    cased = ascii_text(question)
    for m in _CODE_WITH_MODS.finditer(text):
        mods = _code_suffixes(m, cased, known_modifiers)
        if not mods:
            continue  # "23700 - is that one for...": a dash between words; _CPT takes the code
        _add(ent.codes, m.group(1).upper())
        for mod, _ in mods:
            _add(ent.modifiers, mod)
            _add(ent.explicit_modifiers, mod)
        take(m, 1, " cptcode ")
        spans.append((m.start(2), mods[-1][1], " modifier "))
    for m in _ICD_DOTTED.finditer(text):
        _add(ent.icd_codes, f"{m.group(1)}.{m.group(2)}".upper())
        take(m, 0, " icdcode ")
    for m in _CPT.finditer(text):
        if _overlaps(spans, m.start(), m.end()):
            continue
        code = m.group(1).upper()
        _add(ent.codes, code)
        take(m, 1, " anescode " if re.fullmatch(r"0[01]\d{3}", code) else " cptcode ")
    for m in _HCPCS.finditer(text):
        if _overlaps(spans, m.start(), m.end()):
            continue
        # A letter and four digits can be HCPCS (G0008) or an undotted ICD-10-CM code (S7301): keep both.
        _add(ent.codes, m.group(1).upper())
        take(m, 1, " cptcode ")
    for m in _ICD_COMPACT.finditer(text):
        raw = m.group(1).upper()
        if _overlaps(spans, m.start(), m.end()) or raw in _LETTER_MODS or not re.search(r"\d", raw[1:]):
            continue
        if len(raw) >= 4 and re.search(r"[A-Z]", raw[3:]) or len(raw) in (4, 6, 7):
            _add(ent.icd_codes, f"{raw[:3]}.{raw[3:]}")
            take(m, 1, " icdcode ")
    for m in _ICD_CATEGORY.finditer(text):
        if not _overlaps(spans, m.start(), m.end()) and m.group(1).upper() not in _LETTER_MODS:
            _add(ent.icd_codes, m.group(1).upper())
            take(m, 1, " icdcode ")

    for m in _MOD_KEYWORD.finditer(text):
        if m.group(1) in _ENGLISH and not cased[m.start(1) : m.end(1)].isupper():
            continue  # "which mod do i use", "modifier on the E/M": a word, not a modifier
        mods = [m.group(1)] + re.findall(r"[0-9a-z]{2}", re.sub(r"\band\b|\bor\b", " ", m.group(2) or ""))
        for mod in mods:
            if not _overlaps(spans, m.start(1), m.end(1)):
                _add(ent.modifiers, mod.upper())
                _add(ent.explicit_modifiers, mod.upper())
        spans.append((m.start(), m.end(), " modifier "))
    for m in _PHYSICAL_STATUS.finditer(text):  # "P-4", "p 3": the ASA physical status modifiers
        if not _overlaps(spans, m.start(), m.end()):
            _add(ent.modifiers, f"P{m.group(1)}")
            _add(ent.explicit_modifiers, f"P{m.group(1)}")
            spans.append((m.start(), m.end(), " modifier "))
    for regex in (_MOD_TRAILING, _MOD_DASH):
        for m in regex.finditer(text):
            if _overlaps(spans, m.start(1), m.end(1)):
                continue
            mod = m.group(1).upper()
            if regex is _MOD_DASH and not (mod in known_modifiers or mod in _LETTER_MODS or mod.isdigit()):
                continue
            if m.group(1) in _ENGLISH and not cased[m.start(1) : m.end(1)].isupper():
                continue  # "what is modifier 59": 'is' is a word
            _add(ent.modifiers, mod)
            _add(ent.explicit_modifiers, mod)
            spans.append((m.start(), m.end(), " modifier "))
    for m in re.finditer(r"(?<![\w/-])([A-Z][A-Z0-9])(?![\w/-])", cased):
        mod = m.group(1)
        if _overlaps(spans, m.start(), m.end()):
            continue
        if mod in _LETTER_MODS and mod in known_modifiers or re.fullmatch(r"[A-Z]\d", mod):
            # a capitalised modifier, or the shape of one (P7, Q9): unknown ones are declined, never guessed
            _add(ent.modifiers, mod)
            spans.append((m.start(), m.end(), " modifier "))
    if ent.codes or ent.explicit_modifiers or re.search(
        r"\b(append|attach|modifier|mod|bill|use[ds]?|using|add|mean|means|meaning|vs|versus|difference|diff)\b", text
    ):
        for m in _BARE_TWO_DIGIT.finditer(text):
            mod = m.group(1)
            before = text[: m.start()]
            if mod in known_modifiers and not _overlaps(spans, m.start(), m.end()) and not _AGE_BEFORE.search(before) \
                    and not _UNIT_WORDS.search(before):
                _add(ent.modifiers, mod)
                spans.append((m.start(), m.end(), " modifier "))

    masked = _apply_spans(text, spans)
    ent.masked = normalise(masked)
    words = " " + ent.masked + " "
    for name, pattern in FINDINGS:
        if pattern.search(words):
            ent.findings.append(name)
    if "none" in ent.findings and len(ent.findings) > 1 and re.search(r"\bwithout anesthesia\b", words):
        # "27250 without anesthesia or 27252 under general?" names both codes' wording: no finding at all
        ent.findings = [f for f in ent.findings if f != "none"] if re.search(r"\bcptcode\b.*\bcptcode\b", words) else ent.findings
    ent.anesthesia_provider = bool(_ANESTHESIA_PROVIDER.search(words))
    ent.anesthesia_code_request = bool(_ANESTHESIA_CODE_REQUEST.search(words))
    ent.asks_what_code_is = bool(ent.codes) and bool(_WHAT_CODE_IS.search(ent.masked))
    ent.asks_what_modifier_is = not ent.codes and bool(_WHAT_MODIFIER_IS.search(ent.masked))
    if _PROPOFOL.search(words) and not ent.findings:
        ent.findings.append("mac" if ent.anesthesia_provider else "deep_sedation")
    elif ent.anesthesia_provider and not ent.findings:
        ent.findings.append("mac")
    for name, pattern in SITES:
        if any(not _NEGATED.search(words[: m.start()]) for m in pattern.finditer(words)):
            ent.sites.append(name)
    for name, pattern in INDICATOR_WORDS:
        if pattern.search(words):
            ent.indicator_fields.append(name)
    ent.encounter = next((code for code, p in ENCOUNTERS if p.search(words)), None)
    ent.laterality = next((side for side, p in LATERALITY if p.search(words)), None)
    return ent


def _code_suffixes(m: re.Match[str], cased: str, known_modifiers: set[str]) -> list[tuple[str, int]]:
    """The modifiers hyphenated onto a code ("27252-50-LT"), each with where it ends; stops at the first
    suffix that is a word, not a modifier ("27252 - pt got ketamine", "23700 - is that...")."""
    found: list[tuple[str, int]] = []
    for s in re.finditer(r"[0-9a-z]{2}", m.group(2)):
        start, end = m.start(2) + s.start(), m.start(2) + s.end()
        mod = s.group().upper()
        written_upper = cased[start:end].isupper()
        if not mod.isdigit() and (s.group() in _ENGLISH and not written_upper or not (
                mod in known_modifiers or mod in _LETTER_MODS or re.fullmatch(r"[A-Z]\d", mod))):
            break
        found.append((mod, end))
    return found


def _overlaps(spans: list[tuple[int, int, str]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e, _ in spans)


def _apply_spans(text: str, spans: list[tuple[int, int, str]]) -> str:
    out, pos = [], 0
    for start, end, placeholder in sorted(spans):
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(placeholder)
        pos = end
    out.append(text[pos:])
    return "".join(out)
