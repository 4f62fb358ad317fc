"""Load `knowledge/` into validated models, collecting every problem with its file, entry and field."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from bot.kb.models import (
    AnesthesiaSite,
    Code,
    CodeGroup,
    Distinction,
    EncounterRule,
    Guidance,
    Indicator,
    Manifest,
    Modifier,
    ModifierRule,
    SedationRow,
    SedationTime,
    Source,
    UnreliableSource,
    ValidationPolicy,
)
from bot.yamlfile import ContentError, list_entries, read_yaml, validate_entry

if TYPE_CHECKING:
    from bot.kb.lexicon import Lexicon
    from bot.nlu.intents import IntentDef


@dataclass
class Knowledge:
    manifest: Manifest
    sources: list[Source] = field(default_factory=list)
    unreliable: list[UnreliableSource] = field(default_factory=list)
    codes: list[Code] = field(default_factory=list)
    guidance: list[Guidance] = field(default_factory=list)
    distinctions: list[Distinction] = field(default_factory=list)
    modifiers: list[Modifier] = field(default_factory=list)
    rules: list[ModifierRule] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    sites: list[AnesthesiaSite] = field(default_factory=list)
    sedation: list[SedationRow] = field(default_factory=list)
    sedation_time: SedationTime | None = None
    encounter: list[EncounterRule] = field(default_factory=list)  # knowledge/encounter*.yaml
    code_groups: list[CodeGroup] = field(default_factory=list)  # knowledge/code_groups.yaml
    # Codes and modifiers of the public extracts in data/ (CMS fee schedule, HCPCS Level II), which content may
    # name without curating them: an x-ray code, a supply code, a finger modifier
    public_codes: set[str] = field(default_factory=set)
    public_modifiers: set[str] = field(default_factory=set)
    public_codes_complete: bool = True  # False when an extract is missing or not an extract: the build reports it
    policy: ValidationPolicy = field(default_factory=ValidationPolicy)  # knowledge/validation.yaml
    lexicon: Lexicon | None = None  # knowledge/lexicon/, checked against the codes and sources above
    intents: list[IntentDef] = field(default_factory=list)  # intents/, one file per intent
    # Where each record came from, for cross-reference errors: (kind, id) -> (file, label, line)
    origin: dict[tuple[str, str], tuple[str, str, int | None]] = field(default_factory=dict)
    digest: str = ""


# (attribute, file glob, top-level key, model, identifying field)
_SECTIONS: list[tuple[str, str, str, type[BaseModel], str]] = [
    ("sources", "sources*.yaml", "sources", Source, "id"),
    ("unreliable", "unreliable.yaml", "unreliable", UnreliableSource, "match"),
    ("codes", "codes/*.yaml", "codes", Code, "code"),
    ("guidance", "distinctions.yaml", "guidance", Guidance, "id"),
    ("distinctions", "distinctions*.yaml", "distinctions", Distinction, "id"),
    ("modifiers", "modifiers.yaml", "modifiers", Modifier, "code"),
    ("rules", "modifier_rules.yaml", "rules", ModifierRule, "id"),
    ("indicators", "indicators.yaml", "indicators", Indicator, "field"),
    ("sites", "anesthesia_sites.yaml", "sites", AnesthesiaSite, "site"),
    ("sedation", "sedation_rules.yaml", "sedation", SedationRow, "who"),
    ("encounter", "encounter*.yaml", "encounter_rules", EncounterRule, "id"),
    ("code_groups", "code_groups.yaml", "code_groups", CodeGroup, "id"),
]

PFS_EXTRACT = "cms-pfs-indicators.csv"  # bot.kb.pfs.EXTRACT_NAME; not imported, to keep the importers out
HCPCS_EXTRACT = "cms-hcpcs.csv"  # bot.kb.hcpcs.EXTRACT_NAME


def load_knowledge(root: Path) -> tuple[Knowledge | None, list[ContentError]]:
    """Parse and validate every content file under `root`; returns all errors, never raises on content."""
    errors: list[ContentError] = []
    manifest = _load_manifest(root, errors)
    kb = Knowledge(manifest=manifest or Manifest(name="?", version="0"))
    for attr, pattern, key, model, ident in _SECTIONS:
        files = sorted(root.glob(pattern))
        if not files:
            errors.append(ContentError(pattern, "file is missing"))
        for path in files:
            display = str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)
            # distinctions.yaml is read twice (guidance, distinctions): report its parse errors once
            entries, file_errors = list_entries(path, key, display, ident, required=key != "guidance")
            errors.extend(e for e in file_errors if e not in errors)
            for entry in entries:
                record, entry_errors = validate_entry(model, entry)
                errors.extend(entry_errors)
                if record is not None:
                    getattr(kb, attr).append(record)
                    kb.origin.setdefault((attr, str(getattr(record, ident))), (entry.file, entry.label, entry.line))
    kb.sedation_time = _load_sedation_time(root, errors)
    kb.public_codes, kb.public_modifiers, kb.public_codes_complete = load_public_codes(root / "data")
    kb.policy = _load_policy(root, errors)
    kb.digest = content_digest(root)
    return (kb if manifest else None), errors


def _matches_its_release(extract: Path) -> bool:
    """An extract cut short or changed after import no longer matches the SHA-256 its release record holds (the
    build refuses it, naming why); one whose record holds none is taken as it is."""
    record = extract.with_name(
        extract.name.replace("-indicators.csv", "-release.json").replace(".csv", "-release.json")
    )
    try:
        expected = json.loads(record.read_text()).get("extract_sha256") if record.is_file() else None
        return not isinstance(expected, str) or hashlib.sha256(extract.read_bytes()).hexdigest() == expected
    except (OSError, ValueError):
        return False


def load_public_codes(data_dir: Path | None) -> tuple[set[str], set[str], bool]:
    """The codes of the fee-schedule extract and the codes and modifiers of the HCPCS extract in `data_dir`, by
    their first columns only: whether content may name a code it does not curate. The last value is False when
    either file is missing or is not an importer's extract; the build then reports that file itself, and the
    content checks do not pile up an unknown-code error for every code the broken file would have held."""
    codes: set[str] = set()
    modifiers: set[str] = set()
    complete = data_dir is not None
    for name, header in ((PFS_EXTRACT, ["hcpcs", "mod", "status"]), (HCPCS_EXTRACT, ["code", "kind"])):
        path = data_dir / name if data_dir is not None else None
        if path is None or not path.is_file() or not _matches_its_release(path):
            complete = False
            continue
        try:
            with path.open(newline="", encoding="utf-8") as fh:
                reader = csv.reader(fh)
                columns = next(reader, [])
                if columns[: len(header)] != header:
                    complete = False
                    continue
                kind_at = columns.index("kind") if "kind" in columns else None
                for row in reader:
                    if not row or not row[0]:
                        continue
                    if kind_at is not None and len(row) > kind_at and row[kind_at] == "modifier":
                        modifiers.add(row[0].strip().upper())
                    else:
                        codes.add(row[0].strip().upper())
        except (OSError, UnicodeDecodeError, csv.Error):
            complete = False
    return codes, modifiers, complete


def _load_sedation_time(root: Path, errors: list[ContentError]) -> SedationTime | None:
    path, display = root / "sedation_rules.yaml", "knowledge/sedation_rules.yaml"
    data, _, file_errors = read_yaml(path, display) if path.exists() else (None, None, [])
    if file_errors or not isinstance(data, dict) or "time" not in data:
        if not file_errors and path.exists():
            errors.append(ContentError(display, "expected a top-level 'time:' mapping"))
        return None
    try:
        return SedationTime.model_validate(data["time"])
    except Exception as exc:  # pydantic ValidationError: one line per field
        for err in getattr(exc, "errors", lambda: [])():
            errors.append(ContentError(display, err["msg"], "time", ".".join(map(str, err["loc"]))))
        return None


def _load_policy(root: Path, errors: list[ContentError]) -> ValidationPolicy:
    """The wording and address rules `kb validate` applies to what users see (knowledge/validation.yaml)."""
    path, display = root / "validation.yaml", "knowledge/validation.yaml"
    if not path.exists():
        errors.append(ContentError(display, "file is missing"))
        return ValidationPolicy()
    data, _, file_errors = read_yaml(path, display)
    if file_errors:
        errors.extend(file_errors)
        return ValidationPolicy()
    try:
        return ValidationPolicy.model_validate(data)
    except Exception as exc:  # pydantic ValidationError: one line per field
        for err in getattr(exc, "errors", lambda: [])():
            errors.append(ContentError(display, err["msg"], None, ".".join(map(str, err["loc"]))))
        return ValidationPolicy()


def _load_manifest(root: Path, errors: list[ContentError]) -> Manifest | None:
    path = root / "manifest.yaml"
    if not path.exists():
        errors.append(ContentError("knowledge/manifest.yaml", "file is missing"))
        return None
    data, _, file_errors = read_yaml(path, "knowledge/manifest.yaml")
    if file_errors:
        errors.extend(file_errors)
        return None
    try:
        return Manifest.model_validate(data)
    except Exception as exc:  # pydantic ValidationError: report, do not crash
        errors.append(ContentError("knowledge/manifest.yaml", str(exc).splitlines()[0]))
        return None


def content_digest(root: Path) -> str:
    """A short hash of every content and data file, the intents beside the knowledge folder included (both
    layouts keep them there), so a built database says exactly what it holds."""
    h = hashlib.sha256()
    base = root.parent
    folders = [root] + ([base / "intents"] if (base / "intents").is_dir() else [])
    for path in sorted(
        p for folder in folders for p in folder.rglob("*") if p.is_file() and p.suffix in {".yaml", ".csv", ".json"}
    ):
        h.update(str(path.relative_to(base)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]
