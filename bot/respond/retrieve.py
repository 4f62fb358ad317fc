"""Find curated codes from a description, and near misses for a code that does not exist.

Descriptions are matched with rapidfuzz over each code's title and the aliases coders type, after
filtering by body site and approach. Code numbers are never fuzzed into an answer: a near number is only
ever offered as "did you mean".
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot.kb.models import Code, Distinction
from bot.kb.store import KnowledgeStore
from bot.nlu.entities import Entities

MIN_MATCH = 62.0  # below this a description matches nothing well enough to name a code
_STOP = set(
    "a an the is are was be i im me my we our you your it its this that of to in on at for from by as and or please "
    "can could would should do does did have has what whats which how when who there here just so if any some code "
    "codes cpt cptcode bill billing report use correct right proper need help thanks".split()
)
# Body sites as the content names them, for each site word the question may use.
_SITE_FAMILY = {"hand": {"hand", "finger", "thumb"}, "finger": {"finger", "hand"}, "foot": {"foot", "ankle", "toe"},
                "toe": {"toe", "foot"}, "knee": {"knee", "patella"}}


def content_words(masked: str) -> str:
    return " ".join(w for w in masked.split() if w not in _STOP)


def rank_codes(store: KnowledgeStore, ent: Entities, question: str) -> list[tuple[Code, float]]:
    """Curated procedure codes best first, by how well a title or alias matches the question."""
    query = content_words(ent.masked)
    if not query:
        return []
    candidates = [c for c in store.codes.values() if c.system != "ICD-10-CM" and not re.fullmatch(r"0[01]\d{3}", c.code)]
    if ent.sites:
        wanted = set().union(*(_SITE_FAMILY.get(s, {s}) for s in ent.sites))
        on_site = [c for c in candidates if c.body_site in wanted]
        candidates = on_site or candidates
    words = set(query.split())
    if "open" in words and "closed" not in words:
        candidates = [c for c in candidates if c.approach == "open"] or candidates
    elif {"closed", "reduction", "reduce", "reduced", "relocation"} & words:
        candidates = [c for c in candidates if c.approach != "open"] or candidates
    scored = []
    for code in candidates:
        texts = [code.title, *code.aliases]
        best = max(0.5 * fuzz.token_set_ratio(query, t) + 0.5 * fuzz.token_sort_ratio(query, t) for t in texts)
        scored.append((code, best))
    return sorted(scored, key=lambda cs: cs[1], reverse=True)


def best_family(store: KnowledgeStore, ent: Entities, question: str) -> str | None:
    ranked = rank_codes(store, ent, question)
    if not ranked or ranked[0][1] < MIN_MATCH:
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
        everything = [c for c in store.all_hcpcs() if len(c) == len(code) and c not in near]
        near += [c for c, _, _ in process.extract(code, everything, scorer=Levenshtein.distance, score_cutoff=1,
                                                  limit=limit - len(near))]
    return near
