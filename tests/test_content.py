"""Coverage of the curated content: what the first release promised coders it would know."""

from __future__ import annotations

from bot.kb.store import KnowledgeStore

PAIRS = [
    ("27250", "27252"),
    ("27256", "27257"),
    ("27265", "27266"),
    ("23650", "23655"),
    ("24600", "24605"),
    ("27550", "27552"),
    ("27560", "27562"),
    ("27840", "27842"),
    ("26670", "26675"),
    ("26700", "26705"),
    ("26770", "26775"),
    ("28540", "28545"),
    ("28570", "28575"),
    ("28600", "28605"),
    ("28630", "28635"),
    ("28660", "28665"),
]
OTHER_CODES = [
    "27253",
    "27254",
    "23520",
    "23525",
    "23540",
    "23545",
    "26641",
    "24640",
    "99151",
    "99152",
    "99153",
    "99155",
    "99156",
    "99157",
    "01200",
    "01380",
    "01390",
    "01462",
    "01620",
    "01730",
    "01820",
    "T84.020A",
    "T84.021A",
]
MODIFIERS = (
    "22 23 25 26 47 50 51 52 54 55 56 57 58 59 62 66 76 77 78 79 80 81 82 AS TC LT RT XE XS XP XU AA AD QK QX QY QZ "
    "QS G8 G9 P1 P2 P3 P4 P5 P6"
).split()


def test_every_anesthesia_pair_is_a_distinction_without_code_first(store: KnowledgeStore) -> None:
    anesthesia = {tuple(o.code for o in d.options): d for d in store.distinctions if d.kind == "anesthesia"}
    for without, requiring in PAIRS:
        assert (without, requiring) in anesthesia, f"{without}/{requiring} missing"
        assert store.codes[without].anesthesia == "none" and store.codes[requiring].anesthesia == "required"
        assert anesthesia[(without, requiring)].guidance in store.guidance


def test_other_codes_and_modifiers(store: KnowledgeStore) -> None:
    assert not [c for c in OTHER_CODES if c not in store.codes]
    assert not [m for m in MODIFIERS if m not in store.modifiers]


def test_hip_dislocation_icd_family_links_to_procedures(store: KnowledgeStore) -> None:
    s73 = [c for c in store.codes.values() if c.code.startswith("S73.0")]
    assert len(s73) >= 15
    assert all({"27250", "27252"} <= set(c.related) for c in s73)
    assert {"27265", "27266"} <= set(store.codes["T84.020A"].related)


def test_guidance_shows_the_conflict_most_recent_first(store: KnowledgeStore) -> None:
    guidance = store.guidance["requiring-anesthesia"]
    picks = {f.finding: f.picks for f in guidance.findings}
    assert picks["general"] == picks["regional"] == picks["mac"] == "requiring"
    assert picks["moderate_sedation"] == picks["local"] == picks["digital_block"] == "without"
    assert picks["deep_sedation"] == "unclear"
    years = [p.year for p in guidance.positions if p.year]
    assert years and years[0] == max(years)


def test_anesthesia_sites_point_at_the_crosswalk(store: KnowledgeStore) -> None:
    hip = next(s for s in store.sites if s.site == "hip")
    assert hip.anesthesia_codes == ["01200"] and hip.status == "unconfirmed"


def test_modifier_23_never_fits_a_requiring_anesthesia_code(store: KnowledgeStore) -> None:
    from bot.kb.rules import curated_verdicts

    for code in (c for c in store.codes.values() if c.anesthesia == "required"):
        verdicts = curated_verdicts(store.rules, code.code, code, "23")
        assert verdicts and all(v.verdict == "does_not_fit" for v in verdicts), code.code


def test_indicator_rules_decide_the_cms_cases(store: KnowledgeStore) -> None:
    from bot.kb.rules import indicator_verdicts

    def verdict(code: str, mod: str) -> str:
        return indicator_verdicts(store.indicators, code, store.pfs(code), mod)[0].verdict

    assert verdict("27252", "50") == "fits" and verdict("26700", "50") == "does_not_fit"  # BILAT 1 vs 0
    assert verdict("27250", "57") == "does_not_fit" and verdict("27252", "57") == "fits"  # 000 vs 090 global
    assert verdict("27250", "80") == "does_not_fit" and verdict("27253", "80") == "fits"  # ASST 1 vs 2
    assert verdict("27252", "62") == "does_not_fit"  # CO-SURG 0


def test_no_unreliable_source_is_cited(store: KnowledgeStore) -> None:
    for bad in ("openpayer.com", "rvuedge.com", "medpayiq.com"):
        assert not [s.id for s in store.sources.values() if s.url and bad in s.url]
