"""Find curated codes from a description, and near misses for a code that does not exist.

Descriptions are matched with rapidfuzz over each code's title and the aliases coders type, after
filtering by body site and approach. Code numbers are never fuzzed into an answer: a near number is only
ever offered as "did you mean".
"""

from __future__ import annotations

import math
import re
from functools import cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot.kb.models import Code, Distinction
from bot.kb.store import KnowledgeStore
from bot.nlu.entities import Entities
from bot.nlu.normalize import normalise
from bot.respond.base import Reply

MIN_MATCH = 62.0  # below this a description matches nothing well enough to name a code
MIN_MATCH_SITELESS = 50.0  # sedation codes: their words are theirs alone, and the family logic then picks the code
_STOP = set(
    "a an the is are was be i im me my we our you your it its this that of to in on at for from by as and or please "
    "can could would should do does did have has what whats which how when who there here just so if any some code "
    "codes cpt cptcode bill billing report use correct right proper need help thanks".split()
)
# Body sites as the content names them, for each site word the question may use.
_SITE_FAMILY = {"hand": {"hand", "finger", "thumb"}, "finger": {"finger", "hand"}, "foot": {"foot", "ankle", "toe"},
                "toe": {"toe", "foot"}, "knee": {"knee", "patella"}}


_NEGATED_WORD = re.compile(r"\b(?:not|other than|except|excluding|non)\s+(?:the\s+|a\s+)?\w+")


def content_words(masked: str) -> str:
    """The words that carry meaning; 'not thumb' drops 'thumb' so a negated site cannot pull a match."""
    return " ".join(w for w in _NEGATED_WORD.sub(" ", masked).split() if w not in _STOP)


@cache
def _index(store: KnowledgeStore) -> tuple[dict[str, list[str]], dict[str, float], dict[str, set[str]]]:
    """Each curated code's searchable texts, normalised like questions; how rare each word is; and every word
    of each family's titles and aliases.

    Rare words ("lisfranc", "pip", "talotarsal") separate families that fuzzy ratios blur together.
    """
    texts = {c.code: [normalise(t) for t in (c.title, *c.aliases)] for c in store.codes.values()}
    families: dict[str, set[str]] = {}
    for c in store.codes.values():
        families.setdefault(c.family or c.code, set()).update(w for t in texts[c.code] for w in t.split())
    df: dict[str, int] = {}
    for words in families.values():
        for w in words - _STOP:
            df[w] = df.get(w, 0) + 1
    idf = {w: math.log(1 + len(families) / n) for w, n in df.items()}
    return texts, idf, families


# Words that mark one family within a body site (the site filter comes first): the joint, or what kind of
# dislocation of the hip it is (a replacement's, a developmental one).
FAMILY_MARKERS = {"mcp", "metacarpophalangeal", "cmc", "carpometacarpal", "pip", "dip", "ip", "interphalangeal", "mtp",
                  "metatarsophalangeal", "lisfranc", "tarsometatarsal", "talotarsal", "subtalar", "acromioclavicular",
                  "sternoclavicular", "tha", "thr", "prosthesis", "prosthetic", "replacement", "arthroplasty",
                  "ddh", "developmental", "congenital", "spontaneous", "navicular", "cuboid", "cuneiform"}
OPEN_WORDS = {"open", "arthrotomy", "orif", "incision", "opened"}


def _family_words(store: KnowledgeStore, code: Code) -> set[str]:
    return _index(store)[2][code.family or code.code]


SEDATION_FAMILY = "moderate-sedation"
_ASKS_FOR_SEDATION_CODE = re.compile(
    r"\b(?:which|what|the) (?:\w+ )?sedation (?:codes?|cpt)\b|\bcodes? for (?:the )?(?:\w+ )?sedation\b"
    r"|\bbill(?:s|ed|ing)? for (?:the )?(?:\w+ )?sedation\b")


def _candidates(store: KnowledgeStore, ent: Entities) -> list[Code]:
    """Curated procedure codes left once the question's body site, family marker and approach have spoken;
    each filter applies only when it leaves something."""
    words = set(content_words(ent.masked).split())
    candidates = [c for c in store.codes.values() if c.system != "ICD-10-CM" and not re.fullmatch(r"0[01]\d{3}", c.code)]
    if _ASKS_FOR_SEDATION_CODE.search(ent.masked):  # "which sedation code", whatever was reduced where
        return [c for c in candidates if c.family == SEDATION_FAMILY]
    if ent.sites:
        wanted = set().union(*(_SITE_FAMILY.get(s, {s}) for s in ent.sites))
        candidates = [c for c in candidates if c.body_site in wanted] or candidates
    markers = words & FAMILY_MARKERS
    if markers:  # "MCP of the index", "great toe MTP", "THA": the marker decides the family, whatever else matches
        candidates = [c for c in candidates if markers & _family_words(store, c)] or candidates
    if words & OPEN_WORDS and "closed" not in words:
        candidates = [c for c in candidates if c.approach == "open"] or candidates
    elif {"closed", "reduction", "reduce", "reduced", "relocation"} & words:
        candidates = [c for c in candidates if c.approach != "open"] or candidates
    return candidates


def rank_codes(store: KnowledgeStore, ent: Entities, question: str) -> list[tuple[Code, float]]:
    """Curated procedure codes best first: fuzzy match on titles and aliases plus rare shared words."""
    query = content_words(ent.masked)
    if not query:
        return []
    texts, idf, _ = _index(store)
    candidates = _candidates(store, ent)
    words = set(query.split())
    known = [w for w in words if w in idf]
    weight = sum(idf[w] for w in known) or 1.0
    scored = []
    for code in candidates:
        # how much of the question the code's family speaks of ("cmc" + "ring finger" is the CMC family)
        covered_q = sum(idf[w] for w in known if w in _family_words(store, code)) / weight
        best = 0.0
        for text in texts[code.code]:
            alias = [w for w in text.split() if w in idf]
            covered_alias = sum(idf[w] for w in alias if w in words) / (sum(idf[w] for w in alias) or 1.0)
            fuzzy = 0.5 * fuzz.token_set_ratio(query, text) + 0.5 * fuzz.token_sort_ratio(query, text)
            # a short question is judged by its own words, a pasted note by how much of an alias it contains
            best = max(best, 0.4 * fuzzy + 30 * covered_q + 30 * covered_alias)
        scored.append((code, best))
    return sorted(scored, key=lambda cs: cs[1], reverse=True)


def good_enough(ent: Entities, ranked: list[tuple[Code, float]]) -> bool:
    """Whether the best of `ranked` (rank_codes' answer) may be named. A site-bound procedure needs a site we
    cover in the question: no site, no code ('dislocated jaw').

    Where the question's site, joint or approach leaves one family only (the AC joint, the kneecap, the
    MTP joint, an open hip reduction), that has already decided, and a note's many other words only dilute
    the fuzzy score, so the lower bar applies.
    """
    if not ranked:
        return False
    code, score = ranked[0]
    if code.body_site and not ent.sites:
        return False
    if code.body_site and {c.family for c, _ in ranked} == {code.family}:
        # every family we hold is dislocation care: the question must still be about that
        return score >= MIN_MATCH_SITELESS or bool(_DISLOCATION_CARE.search(ent.masked))
    return score >= (MIN_MATCH if code.body_site else MIN_MATCH_SITELESS)


_DISLOCATION_CARE = re.compile(r"\b(?:dislocation|subluxation|reduc\w*|manipulat\w*|relocat\w*|put back|popped back)\b")


_OTHER_PHYSICIAN = re.compile(r"\b(different|another|other|second|2nd|separate|anesthesia)\b.{0,20}"
                              r"\b(physician|doctor|doc|provider|md|hospitalist|intensivist|pediatrician)\b"
                              r"|\bnot the (one|physician|doctor|doc)\b|\bsecond physician\b"
                              r"|\bwhile (?:the )?\w+ (?:reduced|reduces|did|does|performed|relocated|manipulated)\b")
_UNDER_FIVE = re.compile(r"\bunder (5|five)\b|\b(age|aged)\s*[0-4]\b|\b[0-4]\s*(yo|y o|years? old|year old|yrs? old|yrs?)\b"
                         r"|\b(toddler|infant|baby|child under)\b|\b[0-4]\s*(month|months|mo)\b")
_ADD_ON = re.compile(r"\b(each|every) (additional|extra|further)\b|\badditional 15\b|\baddl\b|\badd on\b|\bextra 15\b"
                     r"|\bafter the first 15\b")


_NO_MANIPULATION = re.compile(r"\b(no|without|not|nor|any) (?:\w+ )?manipulat\w*|\bsling only\b|\bjust a sling\b|\bno reduction\b")
_MANIPULATION = re.compile(r"\bmanipulat\w*|\breduc\w*|\brelocat\w*")


def pick_by_manipulation(dist_options: list[str], masked: str) -> str | None:
    """Manipulation pairs (23520/23525): the first option is without manipulation, the last with it."""
    if _NO_MANIPULATION.search(masked):
        return dist_options[0]
    if _MANIPULATION.search(masked):
        return dist_options[-1]
    return None


_MINUTES = re.compile(r"\b(\d{2,3}) ?(?:min|mins|minutes)\b")
ADD_ON_CODES = {"99151": "99153", "99152": "99153", "99155": "99157", "99156": "99157"}


def sedation_add_ons(initial: Code, masked: str) -> tuple[str, int] | None:
    """For a stated sedation time, the add-on code and how many full further 15-minute blocks it certainly
    covers (35 minutes: one). A part block is left to the coder: its counting rule is not in our sources."""
    minutes = max((int(m) for m in _MINUTES.findall(masked)), default=0)
    add_on = ADD_ON_CODES.get(initial.code)
    blocks = (minutes - 15) // 15
    return (add_on, blocks) if add_on and blocks >= 1 else None


def pick_sedation(codes: list[Code], masked: str) -> Code | None:
    """Moderate sedation codes split on who sedates, the patient's age and the time unit (CPT 99151-99157)."""
    other = bool(_OTHER_PHYSICIAN.search(masked))
    add_on = bool(_ADD_ON.search(masked))
    young = bool(_UNDER_FIVE.search(masked))
    wanted = ("99157" if add_on else "99155" if young else "99156") if other else \
             ("99153" if add_on else "99151" if young else "99152")
    return next((c for c in codes if c.code == wanted), None)


def best_family(store: KnowledgeStore, ent: Entities, question: str) -> str | None:
    ranked = rank_codes(store, ent, question)
    if not good_enough(ent, ranked):
        return None
    return ranked[0][0].family


def find_distinction(store: KnowledgeStore, ent: Entities) -> Distinction | None:
    """The distinction that the named codes belong to; with two codes, one that holds both."""
    codes = ent.procedure_codes
    for code in codes:
        for dist in store.distinctions_for(code):
            options = {o.code for o in dist.options}
            if len(codes) < 2 or options & set(codes[1:] if code == codes[0] else codes) or len(set(codes) & options) >= 2:
                return dist
    return None


def did_you_mean(store: KnowledgeStore, code: str, limit: int = 3) -> list[str]:
    """Codes one edit away: curated ones first, then fee-schedule ones. Offered, never answered."""
    curated = [c for c in store.codes if len(c) == len(code)]
    near = [c for c, _, _ in process.extract(code, curated, scorer=Levenshtein.distance, score_cutoff=1, limit=limit)]
    if len(near) < limit:
        everything = [c for c in store.all_hcpcs if len(c) == len(code) and c not in near]
        near += [c for c, _, _ in process.extract(code, everything, scorer=Levenshtein.distance, score_cutoff=1,
                                                  limit=limit - len(near))]
    return near


def unknown_code(reply: Reply, store: KnowledgeStore, code: str, follow_up: str) -> None:
    """Say a code is in neither the knowledge base nor the fee schedule; offer near numbers, never answer them.

    `follow_up` is the question to suggest for each near code, with {code} in it ("global days for {code}?").
    """
    near = did_you_mean(store, code)
    reply.say(f"{code} is not in the knowledge base or the CMS fee schedule, so I can't say anything about it."
              + (f" Did you mean {', '.join(near)}?" if near else ""))
    reply.suggest(*(follow_up.format(code=c) for c in near))
