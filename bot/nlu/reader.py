"""read(text) -> Case: the one parse of a question, from its words to its facts, codes, modifiers and asks.

The steps, each grammar over the lexicon's data:
1. clean and bound the text (Slack markup out; a long paste keeps its head and its end, where the question is);
2. codes and explicitly written modifiers by exact pattern (bot.nlu.patterns); identifiers the PHI scan finds
   are never read as codes ("MRN 27252");
3. segments: lines, note sections ("Anesthesia: general") and sentences; greetings and thanks dropped;
4. words, with shorthand expanded and typos matched to lexicon words (rapidfuzz, never on digits);
5. lexicon phrases, longest first, into facts; numbers with their units (ages, minutes);
6. ConText: negation, hypothesis, history and correction triggers mark the facts in their scope;
7. roles: a code proposed for a verdict, a prior procedure, the code a modifier goes on;
8. asks: each question asked, in order, with its own words and cues.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.nlu.case import Case, CaseAsk, CodeMention, Fact, ModifierMention, Segment, Status
from bot.nlu.lexicon import CompiledLexicon, Match
from bot.nlu.patterns import Entity, find_entities
from bot.nlu.phi import find_phi
from bot.nlu.tokens import Token, expand, fold, tokenise
from bot.nlu.tokens import cased as cased_text

MAX_CHARS = 40_000  # what Slack allows in one message; a longer text is cut before anything else
HEAD_CHARS = 2_000  # a longer pasted note keeps its start (the case) ...
TAIL_CHARS = 10_000  # ... and its end, where the question is
DEPTH_REACH = 8  # words between a bare depth ("moderate") and the sedation or sedative it qualifies
_SLACK_MARKUP = re.compile(
    r"<(?:[@#!][^>|]{0,200})(?:\|([^>]{0,200}))?>|<(?:https?|mailto):[^>|]{0,2000}\|([^>]{0,200})>"
    r"|<((?:https?|mailto):[^>]{0,2000})>"
)
_TYPED_COMMAND = re.compile(r"^\s*/[a-z][\w-]{0,30}(?=\s|$)", re.I)
_SENTENCE_END = re.compile(r"[.!?;]+(?=\s|$)|\n")
_PLACEHOLDER = {"cpt": "cptcode", "hcpcs": "cptcode", "icd": "icdcode", "pcs": "pcscode", "modifier": "modcode"}
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_AGE_SEX = re.compile(r"(\d{1,3})([mf])")  # "34M", "7f": an age and a sex, as notes write them
_JOINERS = frozenset({"and", "also", "plus"})  # English: what may join a second question to a first
_PHI_NOT_CODES = {"ID", "DOB", "DATE", "PHONE", "ZIP", "ADDRESS", "SSN", "AGE"}
# Lexicon categories that say how something is asked, not what it is about
_NOT_CONTENT = {"context", "terminator", "greeting", "thanks", "ask", "unit", "gap"}


def fingerprint() -> str:
    """A hash of the reading code: example questions masked at `kb build` are reused only by this same code."""
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for name in ("reader.py", "tokens.py", "patterns.py", "lexicon.py", "case.py", "intents.py"):
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


def by_this_reader(stored_json: str) -> dict[str, Any] | None:
    """What `kb build` stored from reading (the compiled lexicon, the masked intent examples), when this same
    reading code made it; None when an older one did."""
    stored: dict[str, Any] = json.loads(stored_json)
    return stored if stored.get("reader") == fingerprint() else None


def clean(question: str) -> tuple[str, bool]:
    """Slack mentions and broadcasts out (link labels kept), a slash command typed as text dropped, and a text
    longer than Slack allows bounded to its head and its end."""
    text = question if len(question) <= MAX_CHARS * 2 else question[:MAX_CHARS] + "\n" + question[-MAX_CHARS:]
    text = _SLACK_MARKUP.sub(lambda m: m.group(1) or m.group(2) or m.group(3) or " ", text)
    text = _TYPED_COMMAND.sub("", text).strip()
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text, False
    return text[:HEAD_CHARS] + "\n...\n" + text[-TAIL_CHARS:], True


# What a question sentence can ask about a code it names; any other question naming a code offers it for a verdict
ABOUT_A_CODE = frozenset(
    {
        "indicator",
        "anesthesia_code",
        "diagnosis",
        "which_modifier",
        "compare",
        "alternative",
        "meaning",
        "sedation_code",
        "which_code",
        "supply_code",
        "more",
        "add_on",
        "help",
    }
)
# Kinds of ask that request a code of their own: two of them joined by "and" are two asks
_REQUESTS = frozenset(
    {"which_code", "anesthesia_code", "which_modifier", "diagnosis", "sedation_code", "supply_code", "pcs"}
)
# ... of which these still let a yes-or-no question propose it ("is 23700 the right code?")
CHOICE = frozenset({"which_code", "supply_code", "alternative", "compare"})


@dataclass
class _Word:
    """A token as the reader sees it: its text (after shorthand and typo correction) and what it stands for."""

    token: Token
    text: str
    entity: Entity | None = None
    fuzzy: bool = False
    hit: int | None = None  # index of the lexicon hit covering it


@dataclass
class _Hit:
    match: Match
    first: int  # word indices, inclusive-exclusive
    last: int
    fuzzy: bool = False


@dataclass
class _Scope:
    category: str
    first: int
    last: int
    only: frozenset[str] = frozenset()  # the fact categories and procedure kinds it scopes; empty: all


@dataclass
class _Reading:
    """One segment's words, lexicon hits and context scopes."""

    segment: Segment
    folded: str  # the whole question, folded: what lies between two words
    words: list[_Word] = field(default_factory=list)
    hits: list[_Hit] = field(default_factory=list)
    scopes: list[_Scope] = field(default_factory=list)
    header: int = 0  # words of a section header at the start, not read as facts
    hit_at: dict[int, _Hit] = field(default_factory=dict)  # the hit that starts at each word


class Reader:
    def __init__(
        self,
        lexicon: CompiledLexicon,
        modifiers: frozenset[str],
        curated_modifiers: frozenset[str],
        known_word: Callable[[str], bool] = lambda w: False,
        side_modifiers: Mapping[str, str] | None = None,
    ):
        self.lex = lexicon
        self.side_modifiers = side_modifiers or {}  # "RT" -> right: a modifier that also tells the side
        self.modifiers = modifiers  # every modifier the knowledge base knows: decides what "-XX" is
        self.curated = curated_modifiers  # those read when written bare in capitals ("27252 LT")
        self.known_word = known_word  # ordinary or medical words that are no typo (the code sets' vocabulary)
        # two-letter English words, modifiers only when written in capitals: stop words, shorthand and context
        # triggers ("with no modifier" is no modifier NO)
        triggers = (k[0] for k, m in lexicon.index.items() if m.category == "context" and len(k) == 1)
        self.ordinary = frozenset(
            w for w in (*lexicon.stopwords, *(k[0] for k in lexicon.shorthand), *triggers) if len(w) == 2
        )
        self._typos: dict[str, str | None] = {}

    # -- the one parse --------------------------------------------------------------------------------
    def read(self, question: str, phi: bool = True) -> Case:
        """The Case of a question; `phi` False skips the patient-identifier scan (for our own example texts)."""
        text, truncated = clean(question)
        case = Case(text=text, truncated=truncated)
        if not text:
            return case
        folded, written = fold(text), cased_text(text)
        findings = find_phi(text) if phi else []
        case.phi = bool(findings)
        identifiers = [(f.start, f.end) for f in findings if f.tag in _PHI_NOT_CODES]
        # a number that is an identifier somewhere is never a code anywhere: "MR# 88417 ... 88417?" must not be
        # answered (and so repeated) as a code
        id_values = {re.sub(r"\W", "", text[s:t]).upper() for s, t in identifiers}
        entities = [
            e
            for e in find_entities(folded, written, self.modifiers, self.ordinary, self.lex.units)
            if not (
                e.kind != "modifier"
                and (any(s <= e.start and e.end <= t for s, t in identifiers) or e.value.replace(".", "") in id_values)
            )
        ]
        readings = [self._read_segment(seg, folded, written, entities) for seg in self._segments(folded)]
        case.segments = [r.segment for r in readings]
        for reading in readings:
            self._facts(case, reading, written)
        self._clock_minutes(case, written)
        self._codes_and_modifiers(case, readings, written)
        self._asks(case, readings)
        self._words_left(case, readings)
        case.common_words = [w for w in case.content_words if w in self.lex.icd_common]
        case.said_of_codes = [w for w in case.content_words if w in self.lex.icd_said_of_codes]
        live = [r for r in readings if not r.segment.greeting]
        case.masked = " ".join(w.text for r in live for w in r.words)
        case.greeting = any(r.segment.greeting for r in readings) or any(
            h.match.category in ("greeting", "thanks") for r in readings for h in r.hits
        )
        case.only_thanks = (
            bool(readings) and not live and any(h.match.category == "thanks" for r in readings for h in r.hits)
        )
        return case

    def mask(self, text: str) -> str:
        """An example question as the intent matcher compares it: words and placeholders."""
        return self.read(text, phi=False).masked

    # -- segments -------------------------------------------------------------------------------------
    def _segments(self, folded: str) -> list[Segment]:
        """Lines, then note sections ("Anesthesia: none documented"), then sentences."""
        segments: list[Segment] = []
        pos = 0
        for line in folded.split("\n"):
            start, end = pos, pos + len(line)
            pos = end + 1
            for s, e, role in self._sections(folded, start, end):
                self._sentences(segments, folded, s, e, role)
        return segments

    def _sections(self, folded: str, start: int, end: int) -> list[tuple[int, int, str | None]]:
        """Cut a line at every section header followed by a colon; each piece has the header's role."""
        cuts: list[tuple[int, str]] = []
        for colon in [m.start() for m in re.finditer(":", folded[start:end])]:
            colon += start
            before = tokenise(folded, max(start, colon - 60), colon)
            for n in range(min(5, len(before)), 0, -1):
                key = tuple(t.text for t in before[-n:])
                role = self.lex.sections.get(key)
                gap = folded[before[-n].start : colon] if before else ""
                if role and not re.search(r"[.;!?]", gap):
                    cuts.append((before[-n].start, role))
                    break
        pieces: list[tuple[int, int, str | None]] = []
        marks: list[tuple[int, str | None]] = [] if cuts and cuts[0][0] == start else [(start, None)]
        marks += cuts
        for i, (s, role) in enumerate(marks):
            e = marks[i + 1][0] if i + 1 < len(marks) else end
            if folded[s:e].strip():
                pieces.append((s, e, role))
        return pieces

    def _sentences(self, segments: list[Segment], folded: str, start: int, end: int, role: str | None) -> None:
        """Sentences of one piece; a section's value is its first sentence, the rest plain sentences."""
        s = start
        for m in _SENTENCE_END.finditer(folded, start, end):
            if m.group().startswith(".") and self._not_an_end(folded, m.start()):
                continue
            self._add(segments, folded, s, m.end(), role, "?" in m.group())
            role, s = None, m.end()
        self._add(segments, folded, s, end, role, False)

    def _not_an_end(self, folded: str, dot: int) -> bool:
        """'2.5 mg', 'Dr. Lee', 'S73.014A', 'vs.': a full stop inside a number or after an abbreviation."""
        if dot + 1 < len(folded) and folded[dot + 1].isdigit():
            return True
        word = re.search(r"([a-z]+)$", folded[max(0, dot - 12) : dot])
        return bool(word) and (word.group(1) in self.lex.abbreviations or len(word.group(1)) == 1)  # type: ignore[union-attr]

    def _add(
        self, segments: list[Segment], folded: str, start: int, end: int, role: str | None, question: bool
    ) -> None:
        if re.search(r"[a-z0-9]", folded[start:end]):
            kind: Literal["sentence", "section"] = "section" if role else "sentence"
            segments.append(
                Segment(len(segments), start, end, kind, role, question or folded[start:end].rstrip().endswith("?"))
            )

    # -- words and lexicon hits ------------------------------------------------------------------------
    def _read_segment(self, seg: Segment, folded: str, written: str, entities: list[Entity]) -> _Reading:
        reading = _Reading(seg, folded)
        inside = [e for e in entities if seg.start <= e.start < seg.end]
        words: list[_Word] = []
        used: set[int] = set()
        for token in expand(
            tokenise(folded, seg.start, seg.end, self.lex.units),
            self.lex.shorthand,
            self.lex.shorthand_len,
            self.lex.shorthand_firsts,
        ):
            entity = next((e for e in inside if e.start < token.end and token.start < e.end), None)
            if entity is not None:
                if id(entity) in used:
                    continue  # one placeholder per entity, however many tokens it spans ("27252-50")
                used.add(id(entity))
                words.append(
                    _Word(
                        Token(_PLACEHOLDER[entity.kind], entity.start, entity.end),
                        "anescode" if entity.is_anesthesia_code else _PLACEHOLDER[entity.kind],
                        entity,
                    )
                )
                continue
            words.append(_Word(token, token.text))
        if seg.kind == "section":
            reading.header = self._header_length(words, folded, seg)
        for w in words:
            if w.entity is None and self._typo_candidate(w.text):
                corrected = self._correct(w.text)
                if corrected:
                    w.text, w.fuzzy = corrected, True
        reading.words = words
        reading.hits = self._hits(words, written, reading.header)
        for n, hit in enumerate(reading.hits):
            reading.hit_at[hit.first] = hit
            for i in range(hit.first, hit.last):
                words[i].hit = n
        reading.scopes = self._scopes(reading)
        seg.greeting = self._is_greeting(reading)
        return reading

    def _header_length(self, words: list[_Word], folded: str, seg: Segment) -> int:
        for n in range(min(5, len(words)), 0, -1):
            key = tuple(w.text for w in words[:n])
            if key in self.lex.sections and ":" in folded[words[n - 1].token.end : words[n - 1].token.end + 3]:
                return n
        return 0

    def _typo_candidate(self, word: str) -> bool:
        return (
            len(word) >= 5
            and word.isalpha()
            and word not in self.lex.term_words
            and word not in self.lex.stopwords
            and not self.known_word(word)
        )

    def _correct(self, word: str) -> str | None:
        """The lexicon word a typo stands for: same first letter, one edit (two for words of eight or more)."""
        if word not in self._typos:
            limit = 1 if len(word) < 8 else 2
            best = process.extractOne(word, self.lex.fuzzy_targets, scorer=OSA.distance, score_cutoff=limit)
            self._typos[word] = (
                best[0] if best and best[0][0] == word[0] and abs(len(best[0]) - len(word)) <= limit else None
            )
            if len(self._typos) > 50_000:
                self._typos.clear()
        return self._typos[word]

    def _hits(self, words: list[_Word], written: str, skip: int) -> list[_Hit]:
        """Lexicon phrases, longest first at each word; placeholders never match a term alone. Linear in the
        words: at most max_len dictionary lookups at each, and a phrase is only built where one can start."""
        texts = [w.text for w in words]
        cased = [written[w.token.start : w.token.end] for w in words]
        starts, exact_starts = self.lex.first_words, self.lex.exact_first_words
        hits: list[_Hit] = []
        i = skip
        while i < len(words):
            found = None
            if texts[i] in starts or cased[i] in exact_starts:
                for n in range(min(self.lex.max_len, len(words) - i), 0, -1):
                    if n == 1 and words[i].entity:
                        break  # a code alone is no term; a placeholder inside a phrase is ("what is cptcode")
                    match = self.lex.exact.get(tuple(cased[i : i + n])) if cased[i] in exact_starts else None
                    if match is None:  # written as an abbreviation ("OR"), the exact term comes first
                        match = self.lex.index.get(tuple(texts[i : i + n]))
                    if match and not self._blocked(match, words, i, i + n, written):
                        found = _Hit(match, i, i + n, any(w.fuzzy for w in words[i : i + n]))
                        break
            if found is None and texts[i] in self.lex.qualified:
                found = self._qualified(words, texts, i)
            if found is None and texts[i] in self.lex.side_words:
                found = self._digit_before_its_noun(texts, i)
            if (
                found is None
                and texts[i] in self.lex.before_site
                and (
                    i + 1 < len(words)
                    and (texts[i + 1] in self.lex.side_words or self._site_starts(words, i + 1))
                    or cased[i].isupper()
                    and any(h.match.category == "site" for h in hits[-3:])
                )
            ):
                found = _Hit(Match("side", self.lex.before_site[texts[i]]), i, i + 1)  # "R hip", "hip R,"
            if found:
                hits.append(found)
                i = found.last
            else:
                i += 1
        return hits

    def _qualified(self, words: list[_Word], texts: list[str], i: int) -> _Hit | None:
        """The rest of an ask phrase read with one word between ("which side modifier", "what hip code"), word i
        being the phrase's second word. The hit leaves out the phrase's first word and the word between, so both
        are still read for themselves ("which" ends a scope, "hip" is a site); a word between that starts a phrase
        through here ("what anesthesia code") has already been read as that phrase."""
        between = i - 1
        if between < 1 or words[between].entity or texts[between] in self.lex.stopwords:
            return None
        for key, match in self.lex.qualified[texts[i]]:
            end = i + len(key) - 1
            if texts[between - 1] == key[0] and tuple(texts[i:end]) == key[1:]:
                return _Hit(match, i, end)
        return None

    def _digit_before_its_noun(self, texts: list[str], i: int) -> _Hit | None:
        """A finger or toe named without its noun, which a later digit's noun serves too ("L ring and L little
        fingers", "2nd and 3rd toe", "little fingers"): word i read as that digit's site, for its digit modifier."""
        for j in range(i + 1, min(i + 6, len(texts))):
            noun = self.lex.digit_nouns.get(texts[j])
            if noun is None:
                continue
            between = texts[i + 1 : j]
            joined = not between or between[0] in self.lex.digit_coordinators
            if joined and all(w in self.lex.side_words or w in self.lex.before_site for w in between[1:]):
                match = self.lex.index.get((texts[i], noun))
                if match is not None and self.lex.concept(match).get("digit"):
                    return _Hit(match, i, i + 1)
            return None
        return None

    def _site_starts(self, words: list[_Word], i: int) -> bool:
        """Whether a body-site term starts at word i ("R ring finger", "L THA")."""
        for n in range(min(self.lex.max_len, len(words) - i), 0, -1):
            match = self.lex.index.get(tuple(w.text for w in words[i : i + n]))
            if match is not None:
                return match.category == "site"
        return False

    def _blocked(self, match: Match, words: list[_Word], i: int, end: int, written: str = "") -> bool:
        """A cue or side with `not_after` words right before it is something else ("the with anesthesia code", "is
        that right"); a number followed by a unit is a quantity ("propofol 150 mg"); an `at_end` cue followed by
        more than ordinary words is something else too ("what is 27252 global"); and a side that is `not_asked`
        means correct when it alone, or right after a code, is asked ("Coder has 23545. Right?", "23650, right?",
        "is 27253 right?")."""
        if match.category not in ("ask", "side"):
            return False
        if all(w.text.isdigit() for w in words[i:end]) and end < len(words) and words[end].text in self.lex.units:
            return True  # a number with its unit is a quantity ("propofol 150 mg"), never the cue it spells ("150")
        concept = self.lex.concept(match)
        if concept.get("at_end") and any(w.text not in self.lex.stopwords for w in words[end:]):
            return True
        if concept.get("not_asked") and end == len(words) and end - i == 1 and written:
            asked = written[words[i].token.end :].lstrip().startswith("?")
            alone = i == 0 or written[words[i - 1].token.end : words[i].token.start].strip() in (",", "-", "--")
            before = words[i - 1].entity if i > 0 else None
            alone = alone or (before is not None and before.kind != "modifier")  # "27253 right?"
            if asked and alone:
                return True
        not_after = concept.get("not_after") or []
        return i > 0 and words[i - 1].text in not_after

    def _scopes(self, reading: _Reading) -> list[_Scope]:
        """ConText: each trigger's scope, ended by its window, a terminator, or a comma or semicolon between words."""
        scopes = []
        words = reading.words
        ends = {h.first: h for h in reading.hits if h.match.category == "terminator"}
        for hit in reading.hits:
            match, opened = hit.match, False
            if match.category != "context" and hit.last - hit.first > 1:
                # a phrase that opens with a negation ("no anesthesiologist or CRNA involved") still scopes on, up to
                # the next trigger ("no manipulation and no anesthesia": each no is its own)
                opener = self.lex.index.get((words[hit.first].text,))
                if opener is None or opener.category != "context":
                    continue
                rule = self.lex.concept(opener)
                if rule.get("direction") != "forward" or rule.get("category") != "negated":
                    continue  # "would it be 23655-47?" asks; only a negation carries on past its phrase
                match, opened = opener, True
            elif match.category != "context":
                continue
            rule = self.lex.concept(match)
            category, direction, window = str(rule["category"]), str(rule["direction"]), int(rule["window"])
            if category == "pseudo":
                continue
            before = {w.text for w in words[max(0, hit.first - int(rule.get("not_after_window") or 1)) : hit.first]}
            if before & set(rule.get("not_after") or []):
                continue  # "so ortho could reduce it": a purpose, not a hypothesis
            through = set(rule.get("through") or [])  # "argued for 26705 since ...": the reason is argued too
            if direction in ("forward", "both"):
                last = hit.last
                while (
                    last < len(words)
                    and last - hit.last < window
                    and (last not in ends or " ".join(w.text for w in words[last : ends[last].last]) in through)
                    and not (category != "correction" and self._break_before(reading, last))
                    and not (opened and self._opens_a_scope(words[last].text))
                ):
                    last += 1
                scopes.append(_Scope(category, hit.last, last, frozenset(rule.get("only") or ())))
            if direction in ("backward", "both"):
                first = hit.first
                while (
                    first > reading.header
                    and hit.first - first < window
                    and (first - 1) not in ends
                    and not (self._break_before(reading, first))
                ):
                    first -= 1
                scopes.append(_Scope(category, first, hit.first, frozenset(rule.get("only") or ())))
        return scopes

    def _opens_a_scope(self, word: str) -> bool:
        match = self.lex.index.get((word,))
        return match is not None and match.category == "context"

    @staticmethod
    def _break_before(reading: _Reading, i: int) -> bool:
        """A comma, semicolon, colon, bracket or a dash set apart between word i-1 and word i ends a scope ("would RT
        be ok on 26775 - right index finger?": the finger is not the hypothesis)."""
        if i <= 0 or i >= len(reading.words):
            return False
        return (
            False
            if reading.words[i - 1].token.end >= reading.words[i].token.start
            else bool(_SCOPE_BREAK.search(_text_between(reading, i)))
        )

    def _is_greeting(self, reading: _Reading) -> bool:
        """Nothing but greetings, thanks and ordinary words."""
        words = reading.words
        if not words or any(w.entity for w in words):
            return False
        covered = {
            i for h in reading.hits if h.match.category in ("greeting", "thanks") for i in range(h.first, h.last)
        }
        if not covered:
            return False
        return all(i in covered or w.text in self.lex.stopwords for i, w in enumerate(words))

    # -- facts ------------------------------------------------------------------------------------------
    def _status(self, reading: _Reading, i: int, *what: str) -> tuple[Status, bool]:
        """The status of word `i`; `what`: the fact's category and kind, for scopes limited to some facts."""
        status: Status = "asserted"
        correction = False
        for scope in reading.scopes:
            if scope.first <= i < scope.last and (not scope.only or any(w in scope.only for w in what)):
                if scope.category == "correction":
                    correction = True
                elif status == "asserted" or scope.category == "negated":
                    status = scope.category  # type: ignore[assignment]  # negated, hypothetical or historical
        return status, correction

    def _facts(self, case: Case, reading: _Reading, written: str) -> None:
        if reading.segment.greeting:
            return
        seg, words = reading.segment, reading.words
        for hit in reading.hits:
            category = hit.match.category
            if category in ("context", "terminator", "greeting", "thanks", "unit"):
                continue
            attrs = dict(self.lex.concept(hit.match))
            status, correction = self._status(reading, hit.first, category, str(attrs.get("kind")))
            if seg.role == "ignore":
                continue  # "EBL: none" says nothing about anesthesia
            category = {"ask": "ask"}.get(category, category)
            if category == "ask" and attrs.get("kind") == "indicator":
                attrs["kind"] = f"indicator:{attrs.get('field')}"
            start, end = words[hit.first].token.start, words[hit.last - 1].token.end
            said = written[start:end]
            case.facts.append(
                Fact(
                    category, hit.match.concept, said, start, end, seg.index, status, correction, hit.fuzzy, attrs=attrs
                )
            )
            # what the words also say, from the lexicon entry: "what should the ED have billed" names the emergency
            # physician (a setting's bills_as); "sent to hand surgery" hands the care off (a provider's referred); a
            # sling given immobilizes as a splint does (an item's implies)
            implied = (
                ("provider", attrs.get("bills_as"))
                if category == "setting" and self._bills(words, hit.first, hit.last)
                else ("procedure", attrs.get("referred"))
                if category == "provider" and self._referred(words, hit.first)
                else ("procedure", attrs.get("implies"))
                if category == "procedure"
                else None
            )
            if implied is not None and implied[1]:
                kind, concept = implied[0], str(implied[1])
                entry = dict(self.lex.concepts.get((kind, concept), {}))
                case.facts.append(Fact(kind, concept, said, start, end, seg.index, status, correction, attrs=entry))
        self._numbers(case, reading, written)
        self._section_values(case, reading, written)
        self._depth_beside_sedation(case, reading, written)
        if seg.role in ("anesthesia", "sedation"):
            value = written[words[reading.header].token.start : seg.end] if reading.header < len(words) else ""
            if re.match(r"\s*(none|no|n/?a|nil)\b", value, re.I):  # "Anesthesia: none documented"
                case.facts.append(
                    Fact("finding", "none", value.strip(), seg.start, seg.end, seg.index, attrs={"section": seg.role})
                )

    def _referred(self, words: list[_Word], first: int) -> bool:
        """A referral verb up to five words before a provider ("referred her on to the pediatrician", "sent her to
        peds ortho", "f/u with ortho")."""
        return any(w.text in self.lex.referral_verbs for w in words[max(0, first - 5) : first])

    def _bills(self, words: list[_Word], first: int, after: int) -> bool:
        """A billing verb within three words of a place: "the ED billed", "the ED should have billed", "billable
        for urgent care"."""
        return any(
            w.text in self.lex.billing_verbs for w in words[max(0, first - 3) : first] + words[after : after + 3]
        )

    def _section_values(self, case: Case, reading: _Reading, written: str) -> None:
        """A bare word under a note header that names what was given ("Sedation: moderate", "Anesthesia: spinal")."""
        values = self.lex.section_values.get(reading.segment.role or "", {})
        if not values:
            return
        for i, w in enumerate(reading.words[reading.header :], start=reading.header):
            finding = values.get(w.text)
            if finding and w.hit is None and w.entity is None:
                self._bare_finding(case, reading, written, i, finding, {"section": reading.segment.role})

    def _bare_finding(
        self, case: Case, reading: _Reading, written: str, i: int, finding: str, attrs: dict[str, Any]
    ) -> None:
        """Word i, a bare word no lexicon phrase took, read as a finding ("Sedation: moderate", "sedated (deep)")."""
        w = reading.words[i]
        status, correction = self._status(reading, i, "finding")
        case.facts.append(
            Fact(
                "finding",
                finding,
                written[w.token.start : w.token.end],
                w.token.start,
                w.token.end,
                reading.segment.index,
                status,
                correction,
                attrs=attrs,
            )
        )

    def _depth_beside_sedation(self, case: Case, reading: _Reading, written: str) -> None:
        """A bare depth word near sedation or a sedative in the sentence ("sedated her (moderate, 15 min)"): the
        documented depth. Only where punctuation or a confirming word follows it: "moderate pain" is no depth."""
        words = reading.words
        near = [h for h in reading.hits if h.match.category == "drug" or h.match == Match("finding", "sedation")]
        if not near:
            return
        for i, w in enumerate(words):
            finding = self.lex.beside_sedation.get(w.text)
            if finding is None or w.hit is not None or w.entity is not None:
                continue
            if not any(h.first - DEPTH_REACH <= i < h.last + DEPTH_REACH for h in near):
                continue
            after = words[i + 1] if i + 1 < len(words) else None
            if after is not None and after.text not in self.lex.depth_confirmers:
                between = reading.folded[w.token.end : after.token.start]
                if not any(c in between for c in ",;.)(:/"):
                    continue
            self._bare_finding(case, reading, written, i, finding, {"beside": "sedation"})

    def _clock_minutes(self, case: Case, written: str) -> None:
        """The time a note gives as two clock times ("sedation start 02:10, end 02:41", "09:10-09:29"): the
        minutes between them, when the message writes exactly two and they are under ten hours apart (two times
        far apart are two events, not a duration)."""
        times = list(_CLOCK.finditer(written))
        if len(times) != 2:
            return
        first, last = (int(m[1]) * 60 + int(m[2]) for m in times)
        span = (last - first) % (24 * 60)  # past midnight: 23:50 to 00:20 is 30 minutes
        if not 0 < span <= 600:
            return
        start, end = times[0].start(), times[1].end()
        seg = next((g.index for g in case.segments if g.start <= times[1].start() < g.end), 0)
        case.facts.append(Fact("minutes", "minutes", written[start:end], start, end, seg, value=float(span)))

    def _numbers(self, case: Case, reading: _Reading, written: str) -> None:
        """Ages and minutes: a number with its unit ("62 y/o", "18 min", "34M"), or an age word."""
        words, seg = reading.words, reading.segment
        for i, w in enumerate(words):
            status, correction = self._status(reading, i)
            unit_hit = reading.hit_at.get(i + 1)
            unit_hit = unit_hit if unit_hit is not None and unit_hit.match.category == "unit" else None
            number = _number(w.text)
            sexed = _AGE_SEX.fullmatch(w.text)
            start, end = w.token.start, w.token.end
            if w.entity is None and unit_hit is None and re.fullmatch(r"20\d\d", w.text):
                # "the 2026 global days", "for 2025": the year a question asks about (a data release may be older)
                year = float(w.text)
                case.facts.append(
                    Fact("year", "year", written[start:end], start, end, seg.index, status, correction, value=year)
                )
                continue
            if sexed and int(sexed.group(1)) <= 110:
                case.facts.append(
                    Fact(
                        "age",
                        "years",
                        written[start:end],
                        start,
                        end,
                        seg.index,
                        status,
                        correction,
                        value=float(sexed.group(1)),
                    )
                )
                continue
            if number is None or _in_clock_time(written, start, end):
                continue
            read: tuple[str, str, int, float] | None = None  # category, concept, where its words start, value
            if unit_hit is not None:
                unit = unit_hit.match.concept
                end = words[unit_hit.last - 1].token.end
                after = words[unit_hit.last].text if unit_hit.last < len(words) else ""
                if unit == "years" and number <= 110:
                    read = ("age", "years", start, number)
                elif unit == "months" and (after == "old" or seg.role == "age") and number <= 36:
                    read = ("age", "months", start, round(number / 12, 2))
                elif unit == "minutes" and 0 < number <= 600:
                    read = ("minutes", "minutes", start, number)
            elif (
                i > 0
                and (words[i - 1].text,) in self.lex.sections
                and self.lex.sections[(words[i - 1].text,)] == "age"
                and number <= 110
            ):
                read = ("age", "years", words[i - 1].token.start, number)
            elif i > 0 and words[i - 1].text in self.lex.age_verbs and number <= 110:
                read = ("age", "years", words[i - 1].token.start, number)  # "she just turned 5"
            elif i > 1 and words[i - 1].text == "is" and words[i - 2].text in self.lex.age_subjects and number <= 110:
                read = ("age", "years", words[i - 2].token.start, number)  # "the patient is 14"
            elif i > 0 and words[i - 1].text in self.lex.age_bounds and number <= 18:
                read = ("age", "years", words[i - 1].token.start, number - 0.5)
            elif seg.role == "time" and 0 < number <= 600:
                read = ("minutes", "minutes", start, number)
            elif seg.role == "age" and number <= 110:
                read = ("age", "years", start, number)
            if read is not None:
                category, concept, first, value = read
                case.facts.append(
                    Fact(category, concept, written[first:end], start, end, seg.index, status, correction, value=value)
                )
        for f in [
            f
            for f in case.facts
            if f.category == "age" and f.segment == seg.index and f.concept not in ("years", "months")
        ]:
            f.value = float(f.attrs.get("years", 0))

    # -- codes, modifiers and their roles ------------------------------------------------------------------
    def _codes_and_modifiers(self, case: Case, readings: list[_Reading], written: str) -> None:
        for reading in readings:
            if reading.segment.greeting:
                continue
            kinds = {str(self.lex.concept(h.match).get("kind")) for h in reading.hits if h.match.category == "ask"}
            codes_here = len({w.entity.value for w in reading.words if w.entity and w.entity.kind != "modifier"})
            levels = {
                str(letter).lower()
                for f in case.of("site")
                if f.segment == reading.segment.index
                for letter in f.attrs.get("levels") or []
            }
            for i, w in enumerate(reading.words):
                e = w.entity
                if levels and re.fullmatch(r"[a-z]\d{1,2}", w.text) and w.text[0] in levels:
                    continue  # "L1 compression fracture": a level of the spine the sentence names
                if e is None:
                    self._implicit_modifier(case, reading, i, written, kinds)
                    continue
                status, _ = self._status(reading, i)
                if e.kind == "modifier":
                    case.modifiers.append(
                        ModifierMention(
                            e.value,
                            e.start,
                            e.end,
                            reading.segment.index,
                            e.explicit,
                            e.code or self._target(reading, i),
                            status,
                        )
                    )
                    continue
                role = {"negated": "rejected", "historical": "prior"}.get(status)
                if role is None and self._compared(reading, i):
                    role = "compared"
                if role is None:
                    role = self._code_role(reading, kinds, codes_here)
                mention = CodeMention(e.value, e.kind, e.start, e.end, reading.segment.index, role)  # type: ignore[arg-type]
                mention.modifiers = [
                    x.entity.value
                    for x in reading.words
                    if x.entity is not None
                    and x.entity.kind == "modifier"
                    and x.entity.code == e.value
                    and x.entity.start > e.start
                ]
                nxt = self._hit_after(reading, i)
                if nxt is not None and nxt.match.category == "finding":
                    mention.wording = nxt.match.concept
                case.codes.append(mention)
        self._code_wording(case)
        for m in case.modifiers:  # "27252-RT": the modifier tells the side too
            side = self.side_modifiers.get(m.code)
            if side and m.status == "asserted":
                case.facts.append(Fact("side", side, m.code, m.start, m.end, m.segment, attrs={"id": side}))
            topic = self.lex.modifier_topics.get(m.code) if m.target else None
            if topic and m.status == "asserted":  # "73110-26" may ask about the read: the encounter rules decide
                attrs = {"kind": "topic_by_modifier", "topic": topic, "on": m.target}
                case.facts.append(Fact("procedure", topic, m.code, m.start, m.end, m.segment, attrs=attrs))

    def _code_role(self, reading: _Reading, kinds: set[str], codes_here: int) -> str:
        """A code is proposed for a verdict when its sentence offers it ("ortho wants 27252", "can we report
        23655"), asks yes or no about it ("is 23700 the right code here?") or simply asks it ("27250 + 99152?");
        asked about when its sentence asks what it is, or asks something about it (its global days, its
        anesthesia code); else mentioned."""
        if kinds & {"verify", "proposal", "who_is_right"}:
            return "proposed"
        if kinds & {"define", "define_code"}:
            return "asked"
        choice = codes_here > 1 and bool(kinds & {"alternative", "compare"})
        if reading.segment.question and self._yes_no(reading) and not choice and not kinds & (ABOUT_A_CODE - CHOICE):
            return "proposed"
        if reading.segment.question and not kinds & ABOUT_A_CODE and not any(k.startswith("gap") for k in kinds):
            return "proposed"
        return "asked" if reading.segment.question else "mentioned"

    def _yes_no(self, reading: _Reading, first: int = 0) -> bool:
        """Whether the sentence (or its ask from word `first`) opens with a yes-or-no question word, after any
        filler ("so is it 27250?")."""
        for w in reading.words[max(first, reading.header) :]:
            if w.text in self.lex.clause_fillers:
                continue
            return w.text in self.lex.yes_no_openers
        return False

    @staticmethod
    def _hit_after(reading: _Reading, i: int) -> _Hit | None:
        return reading.hit_at.get(i + 1)

    def _code_wording(self, case: Case) -> None:
        """'27250 without anesthesia or 27252 under general?': when two codes each carry an anesthesia phrase, the
        phrases name the codes, not what was done."""
        worded = [c for c in case.codes if c.wording]
        if len(worded) < 2:
            for c in worded:
                c.wording = None
            return
        spans = {(c.end) for c in worded}
        case.facts = [
            f for f in case.facts if not (f.category == "finding" and any(0 <= f.start - e <= 2 for e in spans))
        ]

    def _target(self, reading: _Reading, i: int) -> str | None:
        """The code a modifier goes on, when the sentence says: "58 on 27253", "-50 to the 27552", "does the
        27254 get 58" (the linking words are lexicon data)."""
        words, lex = reading.words, self.lex

        def code_at(j: int) -> str | None:
            e = words[j].entity if 0 <= j < len(words) else None
            return e.value if e is not None and e.kind in ("cpt", "hcpcs") else None

        j = i + 1
        while j < min(i + 3, len(words)) and words[j].text in lex.modifier_link_verbs:
            j += 1
        if j < len(words) and words[j].text in lex.modifier_before_code:
            j += 1
            while j < len(words) and words[j].text in lex.determiners:
                j += 1
            if code_at(j):
                return code_at(j)
        j = i - 1
        if j >= 0 and words[j].text in lex.modifier_after_code:
            j -= 1
            if code_at(j) and not self._compared(reading, j):
                return code_at(j)
        return None

    def _after_a_service(self, reading: _Reading, i: int) -> bool:
        """A number right after a service named in words and a linking word ("office visit with 24", "the splint
        takes 58"): a modifier on that service, as after a code."""
        j = i - 1
        if j < 1 or reading.words[j].text not in self.lex.modifier_after_code:
            return False
        hit = reading.words[j - 1].hit
        if hit is None or reading.hits[hit].last != j:
            return False
        match = reading.hits[hit].match
        return match.category == "procedure" and self.lex.concept(match).get("kind") == "topic"

    def _compared(self, reading: _Reading, j: int) -> bool:
        """A code named for comparison ("is it 25 like the native hip 27250?"): a comparison cue within the four
        words before it, outside any phrase of the lexicon ("he would like 73560-26" wants it: an ask)."""
        lo = max(0, j - 5)
        before = tuple(w.text for w in reading.words[lo:j])
        return any(
            before[k : k + len(cue)] == cue and all(w.hit is None for w in reading.words[lo + k : lo + k + len(cue)])
            for cue in self.lex.comparisons
            for k in range(len(before))
        )

    def _implicit_modifier(self, case: Case, reading: _Reading, i: int, written: str, kinds: set[str]) -> None:
        """A modifier written bare: a capitalised curated modifier ("27252 LT"), a letter and a digit ("P7", read to
        be declined), or a two-digit modifier where the question is about codes or modifiers ("23 on 27252?")."""
        w = reading.words[i]
        raw = written[w.token.start : w.token.end]
        side_hit = (
            w.hit is not None
            and reading.hits[w.hit].match.category == "side"
            and reading.hits[w.hit].last - reading.hits[w.hit].first == 1
        )
        if (w.hit is not None and not (side_hit and raw in self.curated)) or w.fuzzy:
            # a lexicon word ("GA", "OR", "AC") is not a modifier unless written as one; "LT" in capitals is both
            return
        seg = reading.segment
        status, _ = self._status(reading, i)
        listed = raw in self.modifiers and bool(
            kinds & {"define", "define_modifier", "meaning", "which_modifier", "verify"}
        )
        if len(raw) == 2 and raw.isupper() and (raw in self.curated or re.fullmatch(r"[A-Z]\d", raw) or listed):
            # a curated modifier, a letter and a digit, or any listed one where the sentence asks about it ("whats GC")
            w.text = "modcode"
            case.modifiers.append(
                ModifierMention(raw, w.token.start, w.token.end, seg.index, False, self._target(reading, i), status)
            )
            return
        if not (len(raw) == 2 and raw.isdigit() and raw in self.modifiers):
            return
        about = (
            any(x.entity for x in reading.words)
            or bool(kinds & {"which_modifier", "verify", "compare", "alternative", "define"})
            or any(x.text in self.lex.modifier_cues for x in reading.words)
            or any(m.code == raw for m in case.modifiers)  # "Coder used 57 on the visit. Isn't 57 only for ...?"
            or self._after_a_service(reading, i)
        )
        if not about:
            return
        before = reading.words[i - 1].text if i else ""
        unit_after = self._hit_after(reading, i)
        if before in self.lex.quantities or (unit_after is not None and unit_after.match.category == "unit"):
            return
        if any(f.category == "age" and f.start <= w.token.start < f.end for f in case.facts):
            return  # "pt is 50": the age, not modifier 50
        w.text = "modcode"
        case.modifiers.append(
            ModifierMention(raw, w.token.start, w.token.end, seg.index, False, self._target(reading, i), status)
        )

    # -- asks -------------------------------------------------------------------------------------------
    def _asks(self, case: Case, readings: list[_Reading]) -> None:
        """The asks, in order. Sentences that end with a question mark, or ask without one ("please advise on the
        modifier"), are asks; when the message has such sentences, the others are the case they are about. With
        none, a sentence with a cue asks ("global days for 27252"); with no cue at all, the whole message does.
        An ask too thin to stand alone ("Can both be billed?") takes the sentences before it as its own."""
        live = [r for r in readings if not r.segment.greeting]
        asking = [r for r in live if r.segment.question or self._requests(r) or self._unmarked_question(r)]
        if not asking:
            asking = [r for r in live if self._ask_spans(r, cued_only=True)]
        if not asking and live:
            case.asks.append(self._ask(case, live, 0, None))
            return
        asking += [
            r for r in live if r not in asking and self._proposes(r) and not self._context_of_next_ask(r, live, asking)
        ]
        asking.sort(key=lambda r: r.segment.index)
        taken = 0  # index into live of the first sentence not yet part of an ask
        for reading in asking:
            at = live.index(reading)
            before = [r for r in live[taken:at] if r not in asking][-3:]
            spans = self._ask_spans(reading) or [(0, len(reading.words))]
            for n, (first, last) in enumerate(spans):
                ask = self._ask(case, [reading], first, last)
                if n == 0 and before and self._thin(reading, first, last):
                    ask = self._ask(case, [*before, reading], 0, last)
                case.asks.append(ask)
            taken = at + 1

    def _unmarked_question(self, reading: _Reading) -> bool:
        """A question written without its question mark: it opens with a question word (after "and", "also") and
        asks something a cue names or names a code."""
        first = next((w.text for w in reading.words if w.text not in self.lex.clause_fillers | {"also"}), None)
        if first not in self.lex.question_openers:
            return False
        cued = any(h.match.category == "ask" and not self.lex.concept(h.match).get("weak") for h in reading.hits)
        return (
            cued
            or any(w.entity is not None for w in reading.words)
            or self._asks_providers_code(reading, 0, len(reading.words))
        )

    def _proposes(self, reading: _Reading) -> bool:
        """A statement that offers a code for a verdict ("28605." after the case, "I coded 26770.")."""
        if not any(w.entity is not None and w.entity.kind in ("cpt", "hcpcs") for w in reading.words):
            return False
        own = [
            w
            for w in reading.words
            if w.entity is None
            and w.text not in self.lex.stopwords
            and (w.hit is None or reading.hits[w.hit].match.category not in _NOT_CONTENT)
        ]
        return len(own) <= 1  # the sentence is the proposal; a narrative that names a code is the case

    def _context_of_next_ask(self, reading: _Reading, live: list[_Reading], asking: list[_Reading]) -> bool:
        """Whether a thin ask right after this sentence takes it as its case ("27252 and 27250. Can both be
        billed?")."""
        at = live.index(reading)
        nxt = next((r for r in live[at + 1 :] if r in asking), None)
        if nxt is None or live.index(nxt) - at > 3:
            return False
        # "We're coding 01200. What's the base unit value for 01200?": the question asks about the code stated
        stated = {w.entity.value for w in reading.words if w.entity and w.entity.kind != "modifier"}
        asked = {w.entity.value for w in nxt.words if w.entity and w.entity.kind != "modifier"}
        return self._thin(nxt, 0, len(nxt.words)) or bool(stated) and stated <= asked

    def _requests(self, reading: _Reading) -> bool:
        """A sentence that asks without a question mark: a request ("please advise") beside another ask cue."""
        kinds = {str(self.lex.concept(h.match).get("kind")) for h in reading.hits if h.match.category == "ask"}
        return (
            "request" in kinds and len(kinds) > 1 or bool(kinds & {"request"}) and any(w.entity for w in reading.words)
        )

    def _thin(self, reading: _Reading, first: int, last: int) -> bool:
        """An ask with hardly a word of its own beyond how it asks and the codes it names ("28605?", "Can both
        be billed?"): the case is in the sentences before it."""
        words = reading.words[first:last]
        own = [
            w
            for w in words
            if w.entity is None
            and w.text not in self.lex.stopwords
            and (w.hit is None or reading.hits[w.hit].match.category not in _NOT_CONTENT)
        ]
        return len(own) < 2

    def _ask_spans(self, reading: _Reading, cued_only: bool = False) -> list[tuple[int, int]]:
        """The asks in one sentence: a question mark or a cue makes it an ask, and a question word after 'and'
        or a comma starts a second one ("which code, and can the ED doc bill sedation too?")."""
        cues = [h for h in reading.hits if h.match.category == "ask" and not self.lex.concept(h.match).get("weak")]
        if not (
            (reading.segment.question and not cued_only) or cues or any(h.match.category == "gap" for h in reading.hits)
        ):
            return []
        words = reading.words
        starts = [0]
        for i in range(1, len(words)):
            after_joiner = words[i - 1].text in _JOINERS
            if self._second_request(reading, cues, starts[-1], i):
                starts.append(i - 1)  # "which CPT for ortho, and the anesthesia code for the anesthesiologist?"
            elif words[i].text in self.lex.second_question_starts and (
                after_joiner or self._break_before(reading, i) and i > 2 and ":" not in _text_between(reading, i)
            ):  # a colon introduces what follows ("Toe modifier check: what does T5 stand for?"): one ask
                # "and also 27780" lists a code; "and what does ..." asks again
                joined = after_joiner and words[i].text not in ("also", "any")
                # joined by "and", each side may ask about a code without a cue ("surgeon code please, and what
                # does the anesthesiologist bill?"); after a comma alone, a cue on each side decides
                before = [h for h in cues if h.last <= i and h.first >= starts[-1]] or (
                    joined and self._asks_of_code(reading, starts[-1], i)
                )
                after = [h for h in cues if h.first >= i] or (joined and self._asks_of_code(reading, i, len(words)))
                # a clause that opens as a question asks, cue or not ("Is 24600 or 24605 right, and can ...")
                opens = words[starts[-1]].text in self.lex.question_openers
                if (before or opens) and after:
                    starts.append(i - after_joiner)
        return [(s, starts[n + 1] if n + 1 < len(starts) else len(words)) for n, s in enumerate(starts)]

    def _correct_asked(self, reading: _Reading, hi: int) -> bool:
        """The ask ends on a side word read as no side ("..., right?"): it asks whether that is correct."""
        if not hi or hi != len(reading.words) or reading.words[hi - 1].hit is not None:
            return False
        match = self.lex.index.get((reading.words[hi - 1].text,))
        return match is not None and match.category == "side" and bool(self.lex.concept(match).get("not_asked"))

    def _asks_of_code(self, reading: _Reading, lo: int, hi: int) -> bool:
        """Words lo..hi ask about a code without an ask cue: they name one ("28635 right for the toe"), say code
        ("surgeon code please"), or ask for a provider's code ("what does the anesthesiologist bill")."""
        span = reading.words[lo:hi]
        return (
            any(w.entity is not None and w.entity.kind != "modifier" for w in span)
            or any(w.text in self.lex.code_words for w in span)
            or self._asks_providers_code(reading, lo, hi)
        )

    def _second_request(self, reading: _Reading, cues: list[_Hit], start: int, i: int) -> bool:
        """Word `i` starts a second request for a code in the same clause: "and" (or "plus") before it, a cue
        for one kind of code within two words after it, and a cue for another kind since the clause began
        ("code and digit modifier?", "which CPT for ortho, and the anesthesia code?")."""
        if reading.words[i - 1].text not in ("and", "plus"):
            return False
        kind = self._kind_of
        after = {kind(h) for h in cues if i <= h.first <= i + 2} & _REQUESTS
        before = {kind(h) for h in cues if start <= h.first and h.last <= i - 1} & _REQUESTS
        return bool(after and before and not after & before)

    def _kind_of(self, hit: _Hit) -> str:
        return str(self.lex.concept(hit.match).get("kind"))

    def _ask(self, case: Case, readings: list[_Reading], first: int, last: int | None) -> CaseAsk:
        """An ask over `readings`: from word `first` of the first reading to word `last` of the last."""
        segs = [r.segment.index for r in readings]
        ask = CaseAsk(0, 0, segs)
        texts: list[str] = []
        context_codes: list[str] = []
        compared: list[str] = []
        for n, reading in enumerate(readings):
            lo = first if n == 0 else 0
            hi = (last if last is not None else len(reading.words)) if n == len(readings) - 1 else len(reading.words)
            span = reading.words[lo:hi]
            if not span:
                continue
            ask.start = ask.start or span[0].token.start
            ask.end = span[-1].token.end
            texts += [w.text for w in span]
            context = n < len(readings) - 1  # a sentence taken in as the case of a thin ask: it says what, not how
            for h in reading.hits:
                if h.match.category == "ask" and lo <= h.first < hi:
                    kind = str(self.lex.concept(h.match)["kind"])
                    if not context or kind == "proposal":
                        concept = self.lex.concept(h.match)
                        if concept.get("topic"):
                            ask.topics.add(str(concept["topic"]))
                        ask.kinds.add(
                            f"indicator:{concept.get('field')}"
                            if kind == "indicator"
                            else f"rule:{concept.get('guidance')}"
                            if kind == "rule"
                            else kind
                        )
                        if concept.get("modifier_group"):  # "which finger modifier": the note's digit decides
                            ask.kinds.add(f"modifiers:{concept['modifier_group']}")
                elif (
                    h.match.category == "gap" and lo <= h.first < hi and self._status(reading, h.first)[0] != "negated"
                ):
                    # "They say 23655 and 23650 are mutually exclusive. Is that right?": the thin ask is about it;
                    # "not the dollar amount, just the RVUs" does not ask for what it turns down
                    ask.kinds.add(f"gap:{h.match.concept}")
            if not context and reading.segment.question and self._yes_no(reading, lo):
                ask.yes_no = True
            if not context and reading.segment.question and self._correct_asked(reading, hi):
                ask.kinds.add("verify")  # "Coder has 23545. Right?"
            if not context and self._asks_providers_code(reading, lo, hi):
                ask.kinds.add("anesthesia_code")
            if not context and self._asks_sedation_code(reading, lo, hi):
                ask.kinds.add("sedation_code")
            for asked in [] if context else self._asked_as(reading, lo, hi):
                # "what do I bill for the materials": the topic's own kind of ask, about that topic
                ask.kinds.add(str(asked.get("asked_as")))
                ask.topics.add(str(asked["id"]))
            for k, w in enumerate(span, start=lo):
                if w.entity is None:
                    continue
                if w.entity.kind != "modifier":
                    if w.entity.value not in ask.codes:  # a code named twice is still one code, never a modifier
                        (compared if self._compared(reading, k) else context_codes if context else ask.codes).append(
                            w.entity.value
                        )
                elif w.entity.value not in ask.modifiers:
                    ask.modifiers.append(w.entity.value)
        # its own codes first ("79 on the 26770?" after a case naming 27252), then the case's, then comparisons
        ask.own_codes = list(ask.codes)
        ask.codes += [c for c in context_codes + compared if c not in ask.codes]
        for m in case.modifiers:
            if ask.start <= m.start < ask.end and m.code not in ask.modifiers:
                ask.modifiers.append(m.code)
        ask.masked = " ".join(texts)
        return ask

    def _asks_providers_code(self, reading: _Reading, lo: int, hi: int) -> bool:
        """ "what code does the anesthesiologist put on the claim", "code the CRNA should bill", "what does the
        anesthesia group report", "code and mods go on the CRNA's line": a code word (lexicon), an anesthesia
        provider within six words after it, then a billing verb (or a claim line) within three more; or the
        provider's own code ("the CRNA's code and mods")."""
        words = reading.words
        providers = [
            h
            for h in reading.hits
            if lo <= h.first < hi
            and (
                h.match.category == "provider"
                and self.lex.concept(h.match).get("role") == "anesthesia"
                or h.match == Match("mention", "anesthesia")  # "which code does anesthesia use"
            )
        ]
        for p in providers:
            before = [i for i in range(max(lo, p.first - 7), p.first) if words[i].text in self.lex.code_words]
            after = [i for i in range(p.last, min(hi, p.last + 3)) if words[i].text in self.lex.billing_verbs]
            last = words[p.last - 1].token
            possessive = "'" in reading.folded[last.start : last.end]  # "the CRNA's code and modifiers"
            owned = possessive and p.last < hi and words[p.last].text in self.lex.code_words
            if before and after or owned:
                return True
        return False

    def _asks_sedation_code(self, reading: _Reading, lo: int, hi: int) -> bool:
        """ "codes for the sedation", "what code for moderate sedation": a which-code cue with sedation right
        after it (within three words) asks for the sedation codes, whatever was reduced."""
        hits = [h for h in reading.hits if lo <= h.first < hi]
        for n, h in enumerate(hits):
            if h.match.category == "ask" and self.lex.concept(h.match).get("kind") == "which_code":
                after = next((x for x in hits[n + 1 :] if x.first - h.last <= 3), None)
                if (
                    after is not None
                    and after.match.category in ("mention", "finding")
                    and "sedation" in after.match.concept
                ):
                    return True
        return False

    def _asked_as(self, reading: _Reading, lo: int, hi: int) -> list[dict[str, Any]]:
        """The procedure topics a which-code cue asks about: one within three words after the cue whose lexicon
        entry names the kind of ask it makes ("code for the supplies" asks for a supply code)."""
        hits = [h for h in reading.hits if lo <= h.first < hi]
        out = []
        for n, h in enumerate(hits):
            if h.match.category == "ask" and self.lex.concept(h.match).get("kind") == "which_code":
                after = next((x for x in hits[n + 1 :] if x.first - h.last <= 3), None)
                concept = self.lex.concept(after.match) if after is not None else {}
                if after is not None and after.match.category == "procedure" and concept.get("asked_as"):
                    out.append(concept)
        return out

    def _words_left(self, case: Case, readings: list[_Reading]) -> None:
        """The words in force that carry meaning (matched against codes' titles and aliases); those no lexicon
        entry took (searched for in ICD-10-CM descriptions); and those no vocabulary knows (named as not
        understood). A negated word is left out of all three: "not the thumb" must not pull the thumb code."""
        for reading in readings:
            if reading.segment.greeting or reading.segment.role == "ignore":
                continue
            for i, w in enumerate(reading.words):
                if w.entity is not None or not w.text.isalnum() or w.text == "modcode" or i < reading.header:
                    continue
                status, _ = self._status(reading, i)
                if w.hit is not None:
                    match = reading.hits[w.hit].match
                    concept = self.lex.concept(match)
                    kind = concept.get("kind") if match.category in ("procedure", "ask") else None
                    if match.category == "context" and concept.get("category") == "negated":
                        case.content.append((w.text, "context", status))  # "no medical direction"
                    elif match.category not in _NOT_CONTENT or kind == "indicator":
                        case.content.append((w.text, f"{match.category}:{kind}" if kind else match.category, status))
                    continue
                if w.text in self.lex.stopwords:
                    continue
                case.content.append((w.text, "", status))
                if status == "negated" or not w.text.isalpha():
                    continue
                case.search_words.append(w.text)
                case.search_segments.append(reading.segment.index)
                if len(w.text) >= 4 and w.text not in self.lex.term_words and not self.known_word(w.text):
                    case.unknown_words.append(w.text)


_CLOCK = re.compile(r"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])")  # 02:10, 14:02


def _in_clock_time(written: str, start: int, end: int) -> bool:
    """Whether the number at start:end is the hours or the minutes of a clock time ("14:02")."""
    offset = max(0, start - 3)
    return any(
        m.start() + offset <= start and end <= m.end() + offset for m in _CLOCK.finditer(written[offset : end + 3])
    )


def _number(text: str) -> float | None:
    if text.isdigit() and len(text) <= 3:
        return float(text)
    return float(_NUMBER_WORDS[text]) if text in _NUMBER_WORDS else None


_SCOPE_BREAK = re.compile(r"[,;:()\u2013\u2014]|\s--?(?:\s|$)|^--?\s")  # a dash with a space beside it


def _text_between(reading: _Reading, i: int) -> str:
    return reading.folded[reading.words[i - 1].token.end : reading.words[i].token.start]
