"""The built knowledge base, opened read-only for answering.

Curated records (a few hundred) are loaded into memory once as frozen models; the large public tables
(CMS indicators, HCPCS Level II, ICD-10-CM, ICD-10-PCS) stay in SQLite and are read by key or through FTS5.
Nothing here imports the builder or an importer: `coding-bot ask` starts without them. Each thread gets its own
read-only connection, because Slack listeners run on a thread pool and sqlite3 objects are per-thread.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import threading
from dataclasses import dataclass
from functools import cached_property
from itertools import combinations
from pathlib import Path
from typing import Any

from bot.kb import source_ids
from bot.kb.datasets import Dataset
from bot.kb.models import (
    AnesthesiaSite,
    Code,
    CodeGroup,
    Distinction,
    EncounterRule,
    Guidance,
    Indicator,
    Modifier,
    ModifierRule,
    SedationRow,
    SedationTime,
    Source,
)
from bot.kb.schema import SCHEMA_VERSION

MAX_ICD_TERMS = 8  # a long note's words beyond these add little; the searches grow with every one kept
MAX_ICD_QUERIES = 40  # each a fast FTS5 intersection; enough to leave out any two of eight words


class StoreError(Exception):
    """The database is missing, from another version, or damaged: the message says what to run."""


@dataclass(frozen=True)
class IcdCode:
    code: str
    description: str
    billable: bool
    parent: str | None
    context: str = ""  # descriptions of the category levels above it


@dataclass(frozen=True)
class HcpcsCode:
    """A HCPCS Level II code or modifier as CMS describes it (public text, stored as published)."""

    code: str
    kind: str  # procedure | modifier
    long_description: str
    short_description: str  # "" where the release read did not carry it (see its dataset note)
    add_date: str  # ISO dates, "" where not given
    effective_date: str
    termination_date: str
    action_code: str


@dataclass(frozen=True)
class PcsCode:
    code: str
    description: str


class KnowledgeStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise StoreError(f"no knowledge base at {self.path}: run `coding-bot kb build` first")
        self._local = threading.local()
        self._word_weights: dict[str, float] = {}  # shared by threads: each entry is computed the same by any
        self._known: dict[str, bool] = {}
        try:
            self._load()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a usable knowledge base ({exc}); run `coding-bot kb build`") from exc

    # -- connection -------------------------------------------------------------------------------
    def db(self) -> sqlite3.Connection:
        """This thread's read-only connection (plain sqlite3: reading needs no more, and starts faster)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"file:{self.path.resolve()}?mode=ro", uri=True, check_same_thread=True)
            self._local.db = db
        return db

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        cursor = self.db().execute(sql, params)
        cols = [c[0] for c in cursor.description]
        return [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]  # type: ignore[misc]

    # -- load curated content -------------------------------------------------------------------
    def _load(self) -> None:
        meta = {r["key"]: r["value"] for r in self._rows("select key, value from meta")}
        if meta.get("schema_version") != SCHEMA_VERSION:
            raise StoreError(f"{self.path} was built by another version; run `coding-bot kb build`")
        self.meta = meta
        self.content_version: str = meta["content_version"]
        self.pfs_release: dict[str, Any] = json.loads(meta["pfs_release"])
        self.counts: dict[str, int] = json.loads(meta["counts"])
        self.datasets = {d["id"]: Dataset.model_validate(d) for d in json.loads(meta["datasets"])}
        self.sources = {r["id"]: Source.model_validate(r) for r in self._rows("select * from sources")}
        # A curated record of the very fee-schedule file the build loaded is that file's record: cited both
        # ways (a rule curated from it, a figure read from it) it is shown once, as the release loaded.
        loaded = str(self.pfs_release.get("file") or "").rsplit(".", 1)[0]
        self.source_alias = {
            sid: source_ids.PFS
            for sid, src in self.sources.items()
            if loaded and sid != source_ids.PFS and source_ids.PFS in self.sources and loaded in src.title
        }
        self.codes = {
            r["code"]: Code.model_validate_json(r["data"]) for r in self._rows("select code, data from codes")
        }
        self.modifiers = {
            r["code"]: Modifier.model_validate_json(r["data"]) for r in self._rows("select code, data from modifiers")
        }
        self.guidance = {
            r["id"]: Guidance.model_validate_json(r["data"]) for r in self._rows("select id, data from guidance")
        }
        self.distinctions = [
            Distinction.model_validate_json(r["data"]) for r in self._rows("select data from distinctions")
        ]
        self.rules = [
            ModifierRule.model_validate_json(r["data"])
            for r in self._rows("select data from modifier_rules where origin = 'curated'")
        ]
        self.indicators = [Indicator.model_validate_json(r["data"]) for r in self._rows("select data from indicators")]
        self.sites = [
            AnesthesiaSite.model_validate_json(r["data"]) for r in self._rows("select data from anesthesia_sites")
        ]
        # the encounter around the reduction: splints, casts, supplies, x-ray reads, the E/M, the global period
        self.encounter_rules = [
            EncounterRule.model_validate_json(r["data"])
            for r in self._rows("select data from encounter_rules order by rowid")
        ]
        self.has_licensed_cpt = self.counts.get("licensed_cpt", 0) > 0
        self.lexicon_json: str = meta.get("lexicon", "{}")
        sedation = json.loads(meta.get("sedation", "{}"))
        self.sedation_rows = [SedationRow.model_validate(r) for r in sedation.get("rows", [])]
        self.sedation_time = SedationTime.model_validate(sedation["time"]) if sedation.get("time") else None
        self.intents_json: str = meta.get("intents", "[]")
        self.intent_masks_json: str = meta.get("intent_masks", "{}")
        self.lexicon_index_json: str = meta.get("lexicon_index", "{}")
        self.code_groups = {g["id"]: CodeGroup.model_validate(g) for g in json.loads(meta.get("code_groups", "[]"))}
        # words of the content, for the redactor to tell from names; absent in a database built before them
        self.ordinary_words: frozenset[str] | None = (
            frozenset(json.loads(meta["ordinary_words"])) if "ordinary_words" in meta else None
        )

    # -- lookups ----------------------------------------------------------------------------------
    def pfs(self, hcpcs: str, mod: str = "") -> dict[str, Any] | None:
        rows = self._rows("select * from pfs where hcpcs = ? and mod = ?", (hcpcs, mod))
        return dict(rows[0]) if rows else None

    def icd(self, code: str) -> IcdCode | None:
        compact = code.replace(".", "").upper()
        rows = self._rows(
            "select code, description, billable, parent, context from icd10cm where compact = ?", (compact,)
        )
        if not rows:
            return None
        r = rows[0]
        return IcdCode(r["code"], r["description"], bool(r["billable"]), r["parent"], r["context"])

    def icd_children(self, code: str, limit: int = 60) -> list[IcdCode]:
        rows = self._rows(
            "select code, description, billable, parent from icd10cm where parent = ? order by code limit ?",
            (code, limit),
        )
        return [IcdCode(r["code"], r["description"], bool(r["billable"]), r["parent"]) for r in rows]

    def icd_search(self, words: list[str], limit: int = 200) -> list[IcdCode]:
        """FTS5 prefilter over descriptions and their category levels, most words matched first.

        An intersection of the words is fast and precise. When it finds too little, one word at a time is
        left out (then two, and so on), every way round: which word is the odd one out ("baby" in "baby with congenital
        hip dislocation", "first" in "left ankle dislocation first ED visit") cannot be known beforehand, and
        dropping the most common word would drop "dislocation", the one that matters. Words no description
        uses are left out first. An any-word search would have to rank thousands of rows.
        """
        terms = [re.sub(r"[^a-z0-9]", "", w.lower()) for w in words]
        terms = list(dict.fromkeys(t for t in terms if len(t) >= 2))[
            :MAX_ICD_TERMS
        ]  # porter stems: "dislocated" ~ "dislocation"
        terms = [t for t in terms if self._icd_uses(t)]
        found: dict[str, IcdCode] = {}
        budget = MAX_ICD_QUERIES
        for left_out in range(len(terms)):
            for kept in combinations(terms, len(terms) - left_out):
                budget -= 1
                if budget < 0:
                    return list(found.values())
                rows = self._rows(
                    "select i.code, i.description, i.billable, i.parent, i.context from icd10cm_fts f join icd10cm i "
                    "on i.rowid = f.rowid where icd10cm_fts match ? order by bm25(icd10cm_fts, 2.0, 1.0) limit ?",
                    (" AND ".join(f'"{t}"' for t in kept), limit),
                )
                for r in rows:
                    found.setdefault(
                        r["code"], IcdCode(r["code"], r["description"], bool(r["billable"]), r["parent"], r["context"])
                    )
            if len(found) >= 5:
                break
        return list(found.values())

    def icd_word_weight(self, word: str) -> float:
        """How telling a word is among ICD-10-CM descriptions (inverse document frequency): "nursemaid" picks
        one code, "arm" thousands; a word none uses ("biller") tells no code from another and weighs nothing.
        Counted once per word."""
        term = re.sub(r"[^a-z0-9]", "", word.lower())
        if term not in self._word_weights:
            total = self._icd_count or 1
            used = (
                self.db()
                .execute("select count(*) from icd10cm_fts where icd10cm_fts match ?", (f'"{term}"',))
                .fetchone()[0]
                if term
                else 0
            )
            self._word_weights[term] = math.log(1 + total / (1 + used)) if used else 0.0
        return self._word_weights[term]

    def known_word(self, word: str) -> bool:
        """Whether a word is in the vocabulary built from the code sets and our content (so it is no typo)."""
        known = self._known.get(word)
        if known is None:
            known = bool(self.db().execute("select 1 from vocabulary where word = ?", (word,)).fetchone())
            if len(self._known) < 100_000:
                self._known[word] = known
        return known

    @cached_property
    def _icd_count(self) -> int:
        return self.db().execute("select count(*) from icd10cm").fetchone()[0]

    def _icd_uses(self, term: str) -> bool:
        """Whether any description uses the word, as FTS5 stems it ("ankle" is stored as "ankl")."""
        return bool(
            self.db().execute("select 1 from icd10cm_fts where icd10cm_fts match ? limit 1", (f'"{term}"',)).fetchone()
        )

    def hcpcs(self, code: str) -> HcpcsCode | None:
        """A HCPCS Level II procedure code (E0114); terminated codes too, with their termination date."""
        return self._hcpcs(code, "procedure")

    def hcpcs_modifier(self, code: str) -> HcpcsCode | None:
        """A HCPCS Level II modifier (GW, KX, FA, TA...) as CMS describes it."""
        return self._hcpcs(code, "modifier")

    def _hcpcs(self, code: str, kind: str) -> HcpcsCode | None:
        rows = self._rows("select * from hcpcs where code = ? and kind = ?", (code.strip().upper(), kind))
        return HcpcsCode(**rows[0]) if rows else None

    @cached_property
    def hcpcs_modifier_codes(self) -> frozenset[str]:
        """Every HCPCS Level II modifier CMS lists: a modifier written as one ("-GW", "modifier KX") is read."""
        return frozenset(r["code"] for r in self._rows("select code from hcpcs where kind = 'modifier'"))

    def hcpcs_range(self, first: str, last: str) -> list[HcpcsCode]:
        """The HCPCS Level II procedure codes from `first` to `last` (Q4001-Q4051, the cast and splint supplies)."""
        rows = self._rows(
            "select * from hcpcs where kind = 'procedure' and code between ? and ? order by code", (first, last)
        )
        return [HcpcsCode(**r) for r in rows]

    def hcpcs_search(self, words: list[str], limit: int = 20) -> list[HcpcsCode]:
        """Codes and modifiers whose descriptions hold the most of the words, best first."""
        return [HcpcsCode(**r) for r in self._fts_search("hcpcs", words, limit)]

    def pcs(self, code: str) -> PcsCode | None:
        rows = self._rows("select code, description from icd10pcs where code = ?", (code.strip().upper(),))
        return PcsCode(**rows[0]) if rows else None

    def pcs_search(self, words: list[str], limit: int = 20) -> list[PcsCode]:
        """ICD-10-PCS codes whose titles hold the most of the words: "reposition hip joint external approach"."""
        return [PcsCode(r["code"], r["description"]) for r in self._fts_search("icd10pcs", words, limit)]

    def _fts_search(self, table: str, words: list[str], limit: int) -> list[dict[str, Any]]:
        """All the words first, then leaving one out (then two...) every way round, as icd_search does and why.

        `table` is one of ours, never user text; the words are passed as quoted FTS5 terms.
        """
        terms = [re.sub(r"[^a-z0-9]", "", w.lower()) for w in words]
        terms = list(dict.fromkeys(t for t in terms if len(t) >= 2))[:MAX_ICD_TERMS]
        terms = [
            t
            for t in terms
            if self.db().execute(f"select 1 from {table}_fts where {table}_fts match ? limit 1", (f'"{t}"',)).fetchone()
        ]
        found: dict[str, Any] = {}  # code -> row, in the order found
        budget = MAX_ICD_QUERIES
        for size in range(len(terms), 0, -1):
            for kept in combinations(terms, size):
                budget -= 1
                if budget < 0:
                    return list(found.values())[:limit]
                rows = self._rows(
                    f"select t.* from {table}_fts f join {table} t on t.rowid = f.rowid "
                    f"where {table}_fts match ? order by bm25({table}_fts) limit ?",
                    (" AND ".join(f'"{t}"' for t in kept), limit),
                )
                for r in rows:
                    found.setdefault(r["code"], r)
            if found:  # fewer words only when more words found nothing
                break
        return list(found.values())[:limit]

    def licensed_descriptor(self, code: str) -> str | None:
        if not self.has_licensed_cpt:
            return None
        rows = self._rows("select descriptor from cpt_licensed where code = ?", (code,))
        return rows[0]["descriptor"] if rows else None

    @cached_property
    def all_hcpcs(self) -> tuple[str, ...]:
        """Every code in the fee schedule, for "did you mean"; read once."""
        return tuple(r["hcpcs"] for r in self._rows("select distinct hcpcs from pfs"))

    # -- curated navigation ------------------------------------------------------------------------
    def family(self, family: str | None) -> list[Code]:
        return [c for c in self.codes.values() if family and c.family == family]

    def distinctions_for(self, code: str) -> list[Distinction]:
        """Distinctions naming this code; anesthesia ones first, since that is the question coders ask most."""
        return self._distinctions_by_code.get(code, [])

    @cached_property
    def _distinctions_by_code(self) -> dict[str, list[Distinction]]:
        by_code: dict[str, list[Distinction]] = {}
        for d in sorted(self.distinctions, key=lambda d: d.kind != "anesthesia"):
            for o in d.options:
                by_code.setdefault(o.code, []).append(d)
        return by_code

    def encounter_rules_for(self, code: str | None = None, topic: str | None = None) -> list[EncounterRule]:
        """Encounter rules about `code` (named or inside one of their ranges) and/or of `topic`, in file order."""
        return [
            r for r in self.encounter_rules if (code is None or r.covers(code)) and (topic is None or r.topic == topic)
        ]

    def site_for(self, code: Code) -> AnesthesiaSite | None:
        return next((s for s in self.sites if code.family in s.families), None)
