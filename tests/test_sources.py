"""Source records cite the publication itself, with an authority tier; how a copy was read stays curator-only."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.kb.models import CURATOR_FIELDS, Source
from bot.kb.store import KnowledgeStore

BASE = {"id": "x", "title": "T", "publisher": "P", "edition": "2024", "licence": "facts only"}


def test_kind_follows_the_tier_for_the_code_that_still_reads_it() -> None:
    assert Source(**BASE, tier="primary").kind == "primary"
    assert Source(**BASE, tier="secondary").kind == "secondary"
    assert Source(**BASE, tier="tertiary").kind == "secondary"
    with pytest.raises(ValidationError, match="contradicts tier"):
        Source(**BASE, tier="tertiary", kind="primary")
    with pytest.raises(ValidationError):
        Source(**BASE)  # a source without a tier


def test_every_built_source_has_a_tier_and_copies_stay_curator_only(store: KnowledgeStore) -> None:
    assert all(s.tier in ("primary", "secondary", "tertiary") for s in store.sources.values())
    assert {"copy_url", "copy_note"} <= CURATOR_FIELDS
    copies = [s for s in store.sources.values() if s.copy_url]
    assert copies and all(s.url != s.copy_url for s in copies)


def test_the_cms_manuals_and_files_cite_cms_not_a_copy(store: KnowledgeStore) -> None:
    for sid in (
        "cms-pfs-rvu-2024-jul",
        "cms-claims-manual-ch12-40-2",
        "cms-claims-manual-ch12-40-7",
        "cms-claims-manual-ch12-50",
        "icd10cm-guidelines-fy2026",
    ):
        s = store.sources[sid]
        assert s.tier == "primary" and s.url and s.url.startswith("https://www.cms.gov/"), sid
        assert "copy" not in s.publisher.lower() and "github" not in (s.url or ""), sid
    assert store.sources["cdc-icd10cm-2026"].url.startswith("https://www.cdc.gov/")


def test_the_two_key_rules_cite_a_real_page(store: KnowledgeStore) -> None:
    """What 'requiring anesthesia' means and the anesthesia modifier list: never a site's home page."""
    from urllib.parse import urlparse

    guidance = store.guidance["requiring-anesthesia"]
    modifier_list = store.modifiers["QK"]
    for ids in (guidance.sources, modifier_list.sources):
        urls = [store.sources[i].url for i in ids if store.sources[i].url]
        assert urls and all(urlparse(u).path.strip("/") for u in urls), urls
    assert store.sources["cpt-assistant-2006-se"].publisher == "American Medical Association"
    assert store.sources["cms-claims-manual-ch12-50"].tier == "primary"
