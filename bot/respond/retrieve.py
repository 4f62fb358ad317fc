"""Find curated codes from what a Case describes, and near misses for a code that does not exist.

The Case's body sites, joints and approach narrow the curated codes first; its words are then matched with
rapidfuzz against each code's title and the aliases coders type. Code numbers are never fuzzed into an
answer: a near number is only ever offered as "did you mean".
"""

from __future__ import annotations

import math
from functools import cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot.kb.models import Code, Distinction, SedationRow
from bot.kb.store import KnowledgeStore
from bot.nlu.case import Case
from bot.respond.base import Ask, Reply

MIN_MATCH = 62.0  # below this a description matches nothing well enough to name a code
MIN_MATCH_SITELESS = 50.0  # sedation codes: their words are theirs alone, and the family logic then picks the code
SEDATION_FAMILY = "moderate-sedation"
# Body sites as the content names them, for each site the question names: a finger is also the hand.
_SITE_FAMILY = {
    "hand": {"hand", "finger", "thumb"},
    "finger": {"finger", "hand"},
    "foot": {"foot", "ankle", "toe"},
    "toe": {"toe", "foot"},
    "knee": {"knee", "patella"},
}
# A fracture is named by the region coders say ("shoulder fracture", "elbow fracture") more loosely than the
# bone the code names: the neighbouring bones count too.
_FRACTURE_SITES = {
    **_SITE_FAMILY,
    "shoulder": {"shoulder", "upper arm", "clavicle"},
    "elbow": {"elbow", "upper arm", "forearm"},
    "wrist": {"wrist", "forearm"},
    "hip": {"hip", "thigh"},
    "knee": {"knee", "patella", "lower leg"},
    "ankle": {"ankle", "lower leg"},
    "forearm": {"forearm", "wrist", "elbow"},
    "lower leg": {"lower leg", "ankle", "knee"},
}


@cache
def _index(store: KnowledgeStore) -> tuple[dict[str, list[str]], dict[str, float], dict[str, set[str]]]:
    """Each curated code's searchable texts, in the reader's words; how rare each word is; and every word of each
    family's titles and aliases. Rare words ("lisfranc", "pip", "talotarsal") separate families that fuzzy
    ratios blur together."""
    from bot.nlu.tokens import words

    texts = {c.code: [" ".join(words(t)) for t in (c.title, *c.aliases)] for c in store.codes.values()}
    families: dict[str, set[str]] = {}
    for c in store.codes.values():
        families.setdefault(c.family or c.code, set()).update(w for t in texts[c.code] for w in t.split())
    df: dict[str, int] = {}
    for ws in families.values():
        for w in ws:
            df[w] = df.get(w, 0) + 1
    idf = {w: math.log(1 + len(families) / n) for w, n in df.items()}
    return texts, idf, families


def _family_words(store: KnowledgeStore, code: Code) -> set[str]:
    return _index(store)[2][code.family or code.code]


def replaced(store: KnowledgeStore, case: Case) -> list[Code]:
    """Deleted codes the message quotes ("we used 99143"), each with what replaced it."""
    return [store.codes[c] for c in case.code_list() if c in store.codes and store.codes[c].replaced_by]


def _candidates(store: KnowledgeStore, ask: Ask) -> list[Code]:
    """Curated procedure codes left once the Case's body site, joint and approach have spoken; each filter
    applies only when it leaves something."""
    case = ask.case
    candidates = [
        c
        for c in store.codes.values()
        if c.system != "ICD-10-CM" and not c.is_deleted and not (c.code.isdigit() and c.code[:2] in ("00", "01"))
    ]
    old = {store.codes[r].family for d in replaced(store, case) for r in d.replaced_by if r in store.codes}
    if ask.kind("sedation_code", "add_on"):
        return [c for c in candidates if c.family == SEDATION_FAMILY]  # "which sedation code", whatever was reduced
    if old and not describes_joint_care(case):
        return [c for c in candidates if c.family in old]  # "what replaced 99148", "what do we bill today"
    pairs = {d.family for d in store.distinctions}  # the dislocation families: each has its pair
    condition = case.condition
    if case.sites:
        near = _FRACTURE_SITES if condition in ("fracture", "fracture_dislocation") else _SITE_FAMILY
        wanted = set().union(*(near.get(s, {s}) for s in case.sites))
        candidates = [c for c in candidates if c.body_site in wanted] or candidates
    if condition == "fracture":  # fracture care, not the dislocation codes of the same site
        candidates = [c for c in candidates if c.condition in ("fracture", "fracture_dislocation")] or candidates
    elif condition == "fracture_dislocation":  # the one code that covers both, where there is one; else the
        # fracture part described decides (an ankle has no combined code: the malleolar code is reported)
        broken = {c.family for c in candidates if c.condition == "fracture"} & set(case.families)
        opened = ("open", "percutaneous")  # a closed treatment is not answered with the open combined code (27254)
        candidates = (
            [
                c
                for c in candidates
                if c.condition == "fracture_dislocation" and not (case.approach == "closed" and c.approach in opened)
            ]
            or [c for c in candidates if c.family in broken]
            or [c for c in candidates if c.condition != "fracture"]
            or candidates
        )
    else:
        candidates = [c for c in candidates if c.condition not in ("fracture", "fracture_dislocation")] or candidates
    if "dislocation" in case.negated("procedure"):  # "no dislocation at all, just a stiff shoulder"
        candidates = [c for c in candidates if c.family not in pairs] or candidates
    elif {"dislocation", "subluxation"} & set(case.procedures("condition")) and not case.families:
        candidates = [c for c in candidates if c.family in pairs] or candidates  # a dislocation: not the MUA
    if not case.families:  # a plain "hip" is the traumatic dislocation, not a replacement's or a baby's hip
        candidates = [c for c in candidates if c.family not in _marked_families(store)] or candidates
    if case.families:  # "MCP of the index", "great toe MTP", "THA": the joint decides the family
        candidates = [c for c in candidates if c.family in case.families] or candidates
    if case.approach in ("open", "failed_closed_then_open"):
        # an open treatment is never answered with a closed code: none held, none named ("IM nail", "ORIF")
        return [c for c in candidates if c.approach == "open" or c.family == SEDATION_FAMILY]
    if case.approach == "percutaneous":  # some closed codes include pins through the skin (27842)
        candidates = [c for c in candidates if c.approach == "percutaneous"] or candidates
    elif case.approach == "closed":
        candidates = [c for c in candidates if c.approach not in ("open", "percutaneous")] or candidates
    return candidates


@cache
def _marked_families(store: KnowledgeStore) -> frozenset[str]:
    """Families a joint or qualifier of the lexicon names ("THA", "DDH", "MCP"): chosen when it is said, so a
    site said alone is answered from the site's other families."""
    import json

    sites = json.loads(store.lexicon_json)["concepts"].get("site", [])
    return frozenset(str(f) for c in sites for f in [c.get("family"), *(c.get("by_site") or {}).values()] if f)


def rank_codes(store: KnowledgeStore, ask: Ask) -> list[tuple[Code, float]]:
    """Curated procedure codes best first: fuzzy match on titles and aliases plus rare shared words."""
    query = " ".join(ask.case.content_words)
    if not query:
        return []
    texts, idf, _ = _index(store)
    words = set(query.split())
    known = [w for w in words if w in idf]
    weight = sum(idf[w] for w in known) or 1.0
    scored = []
    for code in _candidates(store, ask):
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


def rank_among(store: KnowledgeStore, case: Case, codes: list[str]) -> list[tuple[str, float]]:
    """Some codes, best first by how much of their title and aliases the Case's words hold: where the facts left
    several standing ("open treatment" of a humeral shaft: plate or nail), the codes' own descriptions decide."""
    words = set(case.content_words)
    texts, idf, _ = _index(store)
    vocab = {c: {w for t in texts.get(c, []) for w in t.split() if w in idf} for c in codes}
    shared = set.intersection(*vocab.values()) if vocab else set()
    scored = []
    for code in codes:  # only the words that tell these codes apart count ("nail", "three", not "shaft")
        telling = vocab[code] - shared
        weight = sum(idf[w] for w in telling) or 1.0
        scored.append((code, 100 * sum(idf[w] for w in telling if w in words) / weight))
    return sorted(scored, key=lambda cs: cs[1], reverse=True)


def good_enough(case: Case, ranked: list[tuple[Code, float]]) -> bool:
    """Whether the best of `ranked` may be named. A site-bound procedure needs a site we cover in the question:
    no site, no code ('dislocated jaw').

    Where the question's site, joint or approach leaves one family only (the AC joint, the kneecap, the MTP
    joint, an open hip reduction), that has already decided, and a note's many other words only dilute the
    fuzzy score, so the lower bar applies.
    """
    if not ranked:
        return False
    code, score = ranked[0]
    if code.body_site and code.body_site not in _covered(case):
        return False
    if code.body_site and {c.family for c, _ in ranked} == {code.family}:
        # every family we hold is dislocation or fracture care: the question must still be about that
        treated = case.condition is not None and case.condition == code.condition  # "both bones broken, set closed"
        return score >= MIN_MATCH_SITELESS or describes_joint_care(case) or treated
    return score >= (MIN_MATCH if code.body_site else MIN_MATCH_SITELESS)


def _covered(case: Case) -> set[str]:
    return set().union(*(_SITE_FAMILY.get(s, {s}) for s in case.sites)) if case.sites else set()


def describes_joint_care(case: Case) -> bool:
    """A dislocation, a subluxation, or a joint put back or manipulated."""
    return bool(
        case.procedures("reduction")
        or case.procedures("manipulation")
        or case.procedures("self_reduced")
        or {"dislocation", "subluxation"} & set(case.procedures("condition"))
    )


def pick_by_manipulation(options: list[str], case: Case) -> str | None:
    """Manipulation pairs (23520/23525): the first option is without manipulation, the last with it."""
    manipulated = case.manipulation
    if manipulated is None:
        return None
    return options[-1] if manipulated else options[0]


def _row_of(store: KnowledgeStore, code: str) -> SedationRow | None:
    return next((r for r in store.sedation_rows if code in (r.under_5, r.five_and_over, r.add_on)), None)


def sedation_row(store: KnowledgeStore, case: Case) -> SedationRow | None:
    """The row of the sedation table for who gave it: another physician, or (by default) the one who did the
    procedure. When the note does not say, a deleted code it quotes does (99148 was another physician's)."""
    who = {"other": "other", "same": "same"}.get(case.sedation_by or "")
    if who is None:
        quoted = [_row_of(store, d.replaced_by[0]) for d in replaced(store, case)]
        who = next((r.who for r in quoted if r is not None), "same")
    return next((r for r in store.sedation_rows if r.who == who), None)


def pick_sedation(store: KnowledgeStore, ask: Ask) -> Code | None:
    """Moderate sedation codes split on who sedates, the patient's age and the time unit (the sedation table)."""
    row = sedation_row(store, ask.case)
    if row is None:
        return None
    age = ask.case.age
    if age is None:  # a quoted deleted code tells the age group too (99143 was for a child under 5)
        quoted = [d.replaced_by[0] for d in replaced(store, ask.case)]
        age = 4 if any(r == row.under_5 for r in quoted) else None
    wanted = row.add_on if ask.kind("add_on") else row.under_5 if age is not None and age < 5 else row.five_and_over
    return store.codes.get(wanted)


def sedation_add_ons(store: KnowledgeStore, initial: Code, case: Case) -> tuple[str, int] | None:
    """For a stated sedation time, the add-on code and how many full further blocks it certainly covers (35
    minutes: one). A part block is left to the coder: its counting rule is not in our sources."""
    time = store.sedation_time
    row = next((r for r in store.sedation_rows if initial.code in (r.under_5, r.five_and_over)), None)
    minutes = case.minutes or 0
    if time is None or row is None:
        return None
    blocks = int((minutes - time.first_minutes) // time.add_on_minutes)
    return (row.add_on, blocks) if blocks >= 1 else None


def best_family(store: KnowledgeStore, ask: Ask) -> str | None:
    ranked = rank_codes(store, ask)
    if not good_enough(ask.case, ranked):
        return None
    return ranked[0][0].family


def find_distinction(store: KnowledgeStore, codes: list[str]) -> Distinction | None:
    """The distinction that the named codes belong to; with two codes, one that holds both. Codes of no pair
    (a sedation code named beside the reduction) are left aside."""
    codes = [c for c in codes if store.distinctions_for(c)]
    for code in codes:
        for dist in store.distinctions_for(code):
            options = {o.code for o in dist.options}
            if len(codes) < 2 or options & (set(codes) - {code}) or len(set(codes) & options) >= 2:
                return dist
    return None


def described_apart(store: KnowledgeStore, case: Case, codes: list[str]) -> bool:
    """Whether the part the facts describe names a family ("both bone forearm", "bimalleolar", "Galeazzi") that
    none of the named treatment codes is of: those codes are then positions to judge, and the facts decide."""
    described = set(case.families)
    named = {store.codes[c].family for c in codes if c in store.codes and store.codes[c].body_site}
    return bool(described) and bool(named) and not named & described


def did_you_mean(store: KnowledgeStore, code: str, limit: int = 3) -> list[str]:
    """Codes one edit away: curated ones first, then fee-schedule ones. Offered, never answered."""
    curated = [c for c in store.codes if len(c) == len(code)]
    near = [c for c, _, _ in process.extract(code, curated, scorer=Levenshtein.distance, score_cutoff=1, limit=limit)]
    if len(near) < limit:
        everything = [c for c in store.all_hcpcs if len(c) == len(code) and c not in near]
        near += [
            c
            for c, _, _ in process.extract(
                code, everything, scorer=Levenshtein.distance, score_cutoff=1, limit=limit - len(near)
            )
        ]
    return near


def unknown_code(reply: Reply, store: KnowledgeStore, code: str, follow_up: str) -> None:
    """Say a code is in neither the knowledge base nor the fee schedule; offer near numbers, never answer them.

    `follow_up` is the question to suggest for each near code, with {code} in it ("global days for {code}?").
    """
    near = did_you_mean(store, code)
    where = (
        "the knowledge base, the CMS fee schedule or the HCPCS Level II file"
        if code[0].isalpha()
        else "the knowledge base or the CMS fee schedule"
    )
    reply.say(
        f"{code} is not in {where}, so I can't say anything about it."
        + (f" Did you mean {', '.join(near)}?" if near else "")
    )
    reply.suggest(*(follow_up.format(code=c) for c in near))
