"""Checks across records: references resolve, nothing is duplicated, every fact is sourced, no AMA text.

Models check one record; these checks need the whole knowledge base. Each finding names the file, the
entry and the field so a coding lead can fix it without reading Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import BaseModel

from bot.kb.ama import AmaTextGuard
from bot.kb.load import Knowledge
from bot.kb.models import code_range
from bot.yamlfile import ContentError

_INSTEAD_CODE = re.compile(r"^([0-9A-Z.]+)(-[0-9A-Z]{2})*$")


def check_knowledge(kb: Knowledge, guard: AmaTextGuard) -> list[ContentError]:
    errors: list[ContentError] = []
    errors += _duplicates(kb)
    errors += _source_references(kb)
    errors += _code_references(kb)
    errors += _encounter_references(kb)
    errors += _text_checks(kb, guard)
    return errors


def _err(kb: Knowledge, kind: str, ident: str, field: str, message: str) -> ContentError:
    file, label, line = kb.origin.get((kind, ident), (f"knowledge ({kind})", ident, None))
    return ContentError(file, message, label, field, line)


def _ident(record: BaseModel) -> str:
    for name in ("id", "code", "site", "field", "match"):
        if hasattr(record, name):
            return str(getattr(record, name))
    return "?"


def _records(kb: Knowledge) -> Iterator[tuple[str, BaseModel]]:
    for kind in ("sources", "codes", "guidance", "distinctions", "modifiers", "rules", "indicators", "sites", "sedation",
                 "encounter"):
        for record in getattr(kb, kind):
            yield kind, record
    if kb.sedation_time is not None:
        yield "sedation", kb.sedation_time


def _duplicates(kb: Knowledge) -> list[ContentError]:
    errors = []
    for kind in ("sources", "codes", "guidance", "distinctions", "modifiers", "rules", "indicators", "sites", "encounter"):
        seen: set[str] = set()
        for record in getattr(kb, kind):
            ident = _ident(record)
            if ident in seen:
                file, label, line = _find_duplicate_origin(kb, kind, ident)
                what = "encounter rule" if kind == "encounter" else kind[:-1]
                errors.append(ContentError(file, f"duplicate {what} {ident!r} (it is defined twice)", label, None, line))
            seen.add(ident)
    return errors


def _find_duplicate_origin(kb: Knowledge, kind: str, ident: str) -> tuple[str, str, int | None]:
    return kb.origin.get((kind, ident), (f"knowledge ({kind})", ident, None))


def _walk_sources(value: Any, path: str) -> Iterator[tuple[str, list[str]]]:
    """Every `sources` list inside a record, with the dotted field path that holds it."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            child = getattr(value, name)
            child_path = f"{path}.{name}" if path else name
            if name == "sources":
                yield child_path, child
            else:
                yield from _walk_sources(child, child_path)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk_sources(item, f"{path}[{i}]")


def _source_references(kb: Knowledge) -> list[ContentError]:
    errors = []
    known = {s.id for s in kb.sources}
    for source in kb.sources:
        for bad in kb.unreliable:
            if source.url and bad.match.lower() in source.url.lower():
                errors.append(_err(kb, "sources", source.id, "url",
                                   f"this source is on the unreliable list ({bad.match}): {bad.reason}"))
    for kind, record in _records(kb):
        if kind == "sources":
            continue
        for field, ids in _walk_sources(record, ""):
            for sid in ids:
                if sid not in known:
                    errors.append(_err(kb, kind, _ident(record), field, f"unknown source id {sid!r} (not in sources.yaml)"))
    return errors


def _code_references(kb: Knowledge) -> list[ContentError]:
    errors = []
    codes = {c.code for c in kb.codes}
    families = {c.family for c in kb.codes if c.family}
    modifiers = {m.code for m in kb.modifiers}
    guidance = {g.id for g in kb.guidance}

    def need_codes(kind: str, ident: str, field: str, values: Iterable[str], modifiers_too: bool = False) -> None:
        for value in values:
            if modifiers_too and value in modifiers:
                continue
            match = _INSTEAD_CODE.match(value)
            code = match.group(1) if match else value
            if code not in codes:
                errors.append(_err(kb, kind, ident, field, f"unknown code {value!r} (not in knowledge/codes)"))
            for mod in value.split("-")[1:]:
                if mod not in modifiers:
                    errors.append(_err(kb, kind, ident, field, f"unknown modifier {mod!r} in {value!r}"))

    def need_families(kind: str, ident: str, field: str, values: Iterable[str]) -> None:
        for value in values:
            if value not in families:
                errors.append(_err(kb, kind, ident, field, f"unknown family {value!r} (no code has it)"))

    for code in kb.codes:
        need_codes("codes", code.code, "related", code.related)
        need_codes("codes", code.code, "replaced_by", code.replaced_by)
        if code.replaced_by and not code.is_deleted:
            errors.append(_err(kb, "codes", code.code, "deleted",
                               "a code with replaced_by is deleted: give effective_to (its last day) or deleted: true"))
    for g in kb.guidance:
        for i, f in enumerate(g.findings):
            need_codes("guidance", g.id, f"findings[{i}].add_codes", f.add_codes)
    for d in kb.distinctions:
        need_codes("distinctions", d.id, "options", [o.code for o in d.options])
        need_families("distinctions", d.id, "family", [d.family])
        if d.guidance and d.guidance not in guidance:
            errors.append(_err(kb, "distinctions", d.id, "guidance", f"unknown guidance id {d.guidance!r}"))
    for r in kb.rules:
        if r.modifier not in modifiers:
            errors.append(_err(kb, "rules", r.id, "modifier", f"unknown modifier {r.modifier!r}"))
        need_codes("rules", r.id, "codes", r.codes)
        need_codes("rules", r.id, "instead", r.instead, modifiers_too=True)
        need_families("rules", r.id, "families", r.families)
    for ind in kb.indicators:
        for i, rule in enumerate(ind.decides):
            if rule.modifier not in modifiers:
                errors.append(_err(kb, "indicators", ind.field, f"decides[{i}].modifier", f"unknown modifier {rule.modifier!r}"))
            known_values = {v.value for v in ind.values}
            for value in rule.values:
                if value not in known_values:
                    errors.append(_err(kb, "indicators", ind.field, f"decides[{i}].values",
                                       f"value {value!r} is not defined under values"))
    for s in kb.sites:
        need_codes("sites", s.site, "anesthesia_codes", s.anesthesia_codes)
        need_families("sites", s.site, "families", s.families)
    for row in kb.sedation:
        need_codes("sedation", row.who, "codes", [row.under_5, row.five_and_over, row.add_on])
    return errors


def _encounter_references(kb: Knowledge) -> list[ContentError]:
    """An encounter rule may name codes we do not curate (an x-ray, a supply, an E/M visit), but each must exist in
    the curated codes or the public extracts (CMS fee schedule, HCPCS Level II); so must both ends of a range.
    Modifiers must be curated ones or HCPCS Level II modifiers (the finger and toe modifiers are those)."""
    errors: list[ContentError] = []
    if not kb.public_codes_complete:  # a broken or missing extract: the build says so, not one error per code
        return errors
    known = {c.code for c in kb.codes} | kb.public_codes
    modifiers = {m.code for m in kb.modifiers} | kb.public_modifiers

    where = "not in knowledge/codes, the fee schedule extract or the HCPCS extract"

    for r in kb.encounter:
        for name, items in (("codes", r.codes), ("modifiers_on", r.modifiers_on)):
            for i, item in enumerate(items):
                ends = code_range(item) or (item, item)
                missing = [end for end in dict.fromkeys(ends) if end not in known]
                for end in missing:
                    what = f"code {end!r}" if ends[0] == ends[1] else f"code {end!r} (an end of the range {item!r})"
                    errors.append(_err(kb, "encounter", r.id, f"{name}[{i}]", f"unknown {what}: {where}"))
        for i, mod in enumerate(r.modifiers):
            if mod not in modifiers:
                errors.append(_err(kb, "encounter", r.id, f"modifiers[{i}]",
                                   f"unknown modifier {mod!r} (not in modifiers.yaml or the HCPCS extract)"))
        for i, value in enumerate(r.instead):
            match = _INSTEAD_CODE.match(value)
            code = match.group(1) if match else value
            if code not in known:
                errors.append(_err(kb, "encounter", r.id, f"instead[{i}]", f"unknown code {value!r}: {where}"))
            for mod in value.split("-")[1:]:
                if mod not in modifiers:
                    errors.append(_err(kb, "encounter", r.id, f"instead[{i}]", f"unknown modifier {mod!r} in {value!r}"))
    return errors


def _text_fields(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _text_fields(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _text_fields(item, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


def _text_checks(kb: Knowledge, guard: AmaTextGuard) -> list[ContentError]:
    """No AMA descriptor text, and no Slack control characters that would break an answer's formatting."""
    errors = []
    for kind, record in _records(kb):
        if kind == "sources":
            continue
        for field, text in _text_fields(record, ""):
            problem = guard.problem(text)
            if problem:
                errors.append(_err(kb, kind, _ident(record), field, problem))
            if "<" in text or ">" in text:
                errors.append(_err(kb, kind, _ident(record), field,
                                   "'<' and '>' are Slack control characters; write 'less than' / 'more than'"))
    return errors
