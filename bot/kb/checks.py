"""Checks across records: references resolve, nothing is duplicated, every fact is sourced, no AMA text.

Models check one record; these checks need the whole knowledge base. Each finding names the file, the
entry and the field so a coding lead can fix it without reading Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlparse

from pydantic import BaseModel

from bot.kb.ama import AmaTextGuard
from bot.kb.load import Knowledge
from bot.kb.models import CURATOR_FIELDS, Source, code_range
from bot.yamlfile import ContentError

_INSTEAD_CODE = re.compile(r"^([0-9A-Z.]+)(-[0-9A-Z]{2})*$")


def check_knowledge(kb: Knowledge, guard: AmaTextGuard) -> list[ContentError]:
    errors: list[ContentError] = []
    errors += _duplicates(kb)
    errors += _source_references(kb)
    errors += _code_references(kb)
    errors += _encounter_references(kb)
    errors += _code_groups(kb)
    errors += _encounter_conditions(kb)
    errors += _text_checks(kb, guard)
    errors += _source_checks(kb)
    errors += _internal_wording(kb)
    errors += _tertiary_only(kb)
    errors += _decision_sources(kb)
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
    for kind in (
        "sources",
        "codes",
        "guidance",
        "distinctions",
        "modifiers",
        "rules",
        "indicators",
        "sites",
        "sedation",
        "encounter",
        "code_groups",
    ):
        for record in getattr(kb, kind):
            yield kind, record
    if kb.sedation_time is not None:
        yield "sedation", kb.sedation_time


def _duplicates(kb: Knowledge) -> list[ContentError]:
    errors = []
    for kind in (
        "sources",
        "codes",
        "guidance",
        "distinctions",
        "modifiers",
        "rules",
        "indicators",
        "sites",
        "encounter",
        "code_groups",
    ):
        seen: set[str] = set()
        for record in getattr(kb, kind):
            ident = _ident(record)
            if ident in seen:
                file, label, line = _find_duplicate_origin(kb, kind, ident)
                what = "encounter rule" if kind == "encounter" else kind[:-1]
                errors.append(
                    ContentError(file, f"duplicate {what} {ident!r} (it is defined twice)", label, None, line)
                )
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
                errors.append(
                    _err(
                        kb,
                        "sources",
                        source.id,
                        "url",
                        f"this source is on the unreliable list ({bad.match}): {bad.reason}",
                    )
                )
    for kind, record in _records(kb):
        if kind == "sources":
            continue
        for field, ids in _walk_sources(record, ""):
            for sid in ids:
                if sid not in known:
                    errors.append(
                        _err(kb, kind, _ident(record), field, f"unknown source id {sid!r} (not in sources.yaml)")
                    )
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
            errors.append(
                _err(
                    kb,
                    "codes",
                    code.code,
                    "deleted",
                    "a code with replaced_by is deleted: give effective_to (its last day) or deleted: true",
                )
            )
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
                errors.append(
                    _err(kb, "indicators", ind.field, f"decides[{i}].modifier", f"unknown modifier {rule.modifier!r}")
                )
            known_values = {v.value for v in ind.values}
            for value in rule.values:
                if value not in known_values:
                    errors.append(
                        _err(
                            kb,
                            "indicators",
                            ind.field,
                            f"decides[{i}].values",
                            f"value {value!r} is not defined under values",
                        )
                    )
    for s in kb.sites:
        need_codes("sites", s.site, "anesthesia_codes", s.anesthesia_codes)
        need_families("sites", s.site, "families", s.families)
    for row in kb.sedation:
        need_codes("sedation", row.who, "codes", [row.under_5, row.five_and_over, row.add_on])
    return errors


# the groups the answers read (bot.respond): the encounter's treatment, E/M and supply codes, the sedation codes
REQUIRED_GROUPS = ("treatment", "em-visit", "cast-supplies", "sedation")


def _code_groups(kb: Knowledge) -> list[ContentError]:
    missing = [g for g in REQUIRED_GROUPS if g not in {group.id for group in kb.code_groups}]
    return [
        ContentError("knowledge/code_groups.yaml", f"code group {g!r} is missing: the encounter answers use it")
        for g in missing
    ]


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

    def check_codes(kind: str, ident: str, name: str, items: list[str]) -> None:
        for i, item in enumerate(items):
            ends = code_range(item) or (item, item)
            for end in [end for end in dict.fromkeys(ends) if end not in known]:
                what = f"code {end!r}" if ends[0] == ends[1] else f"code {end!r} (an end of the range {item!r})"
                errors.append(_err(kb, kind, ident, f"{name}[{i}]", f"unknown {what}: {where}"))

    for group in kb.code_groups:
        check_codes("code_groups", group.id, "codes", group.codes)
    for r in kb.encounter:
        for name, items in (("codes", r.codes), ("modifiers_on", r.modifiers_on)):
            check_codes("encounter", r.id, name, items)
        for i, mod in enumerate(r.modifiers):
            if mod not in modifiers:
                errors.append(
                    _err(
                        kb,
                        "encounter",
                        r.id,
                        f"modifiers[{i}]",
                        f"unknown modifier {mod!r} (not in modifiers.yaml or the HCPCS extract)",
                    )
                )
        for i, value in enumerate(r.instead):
            match = _INSTEAD_CODE.match(value)
            code = match.group(1) if match else value
            if code not in known:
                errors.append(_err(kb, "encounter", r.id, f"instead[{i}]", f"unknown code {value!r}: {where}"))
            for mod in value.split("-")[1:]:
                if mod not in modifiers:
                    errors.append(
                        _err(kb, "encounter", r.id, f"instead[{i}]", f"unknown modifier {mod!r} in {value!r}")
                    )
    return errors


def _encounter_conditions(kb: Knowledge) -> list[ContentError]:
    """An encounter rule's applies_when names what the reader knows: topics and procedures of the lexicon, its
    providers, sites and families the codes use. A misspelt topic would make a rule silently never apply."""
    if kb.lexicon is None:
        return []
    concepts = {cat: {str(c["id"]) for c in kb.lexicon.records(cat)} for cat in ("procedure", "provider")}
    topics = {str(c["id"]) for c in kb.lexicon.records("procedure") if c.get("kind") == "topic"}
    families = {c.family for c in kb.codes if c.family}
    sites = {c.body_site for c in kb.codes if c.body_site}
    errors: list[ContentError] = []
    for r in kb.encounter:
        when = r.applies_when
        if when is None:
            continue
        checks = (
            ("topics", when.topics, topics, "topic"),
            ("also", when.also, topics, "topic"),
            ("not_topics", when.not_topics, topics, "topic"),
            ("procedures", when.procedures, concepts["procedure"], "procedure"),
            ("providers", when.providers, concepts["provider"], "provider"),
            ("families", when.families + when.families_all, families, "code family"),
            ("sites", when.sites, sites, "body site"),
        )
        for name, values, known, what in checks:
            for v in values:
                if v not in known:
                    errors.append(
                        _err(
                            kb,
                            "encounter",
                            r.id,
                            f"applies_when.{name}",
                            f"unknown {what} {v!r} (not in knowledge/lexicon or the codes)",
                        )
                    )
    return errors


def _text_fields(value: Any, path: str, skip: frozenset[str] = frozenset()) -> Iterator[tuple[str, str]]:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            if name not in skip:
                yield from _text_fields(getattr(value, name), f"{path}.{name}" if path else name, skip)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _text_fields(item, f"{path}[{i}]", skip)
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
                errors.append(
                    _err(
                        kb,
                        kind,
                        _ident(record),
                        field,
                        "'<' and '>' are Slack control characters; write 'less than' / 'more than'",
                    )
                )
    return errors


# What users see of a source: the citation (publisher, title, edition) and its link.
SOURCE_SHOWN = ("title", "publisher", "edition")


def _host_is(host: str, domains: Iterable[str]) -> bool:
    host = host.lower().removeprefix("www.")
    return any(host == d or host.endswith("." + d) for d in (d.lower().removeprefix("www.") for d in domains))


def _source_checks(kb: Knowledge) -> list[ContentError]:
    """An edition that is an edition; a URL that is a page, not a site's home page; a government or Medicare
    contractor document at its official address, not a copy on another site."""
    policy = kb.policy
    year = re.compile(policy.edition_year)
    errors = []
    for s in kb.sources:
        edition = s.edition.strip()
        bad = next((w for w in policy.not_an_edition if w.lower() in edition.lower()), None)
        if not edition or bad:
            errors.append(
                _err(
                    kb,
                    "sources",
                    s.id,
                    "edition",
                    f"{edition!r} is not an edition{f' ({bad!r})' if bad else ''}: give the revision, release "
                    "or publication date the publication prints, or 'undated web page, viewed <month year>'",
                )
            )
        elif not year.search(edition):
            errors.append(
                _err(
                    kb,
                    "sources",
                    s.id,
                    "edition",
                    f"{edition!r} names no year: give the revision, release or publication date, or "
                    "'undated web page, viewed <month year>'",
                )
            )
        if s.url:
            parsed = urlparse(s.url)
            if not parsed.scheme or not parsed.netloc:
                errors.append(_err(kb, "sources", s.id, "url", f"{s.url!r} is not a web address"))
            elif parsed.path.strip("/") == "" and not parsed.query:
                errors.append(
                    _err(
                        kb,
                        "sources",
                        s.id,
                        "url",
                        f"{s.url!r} is only a site's home page: cite the page that says it (or leave url "
                        "out and say in copy_note where the wording was read)",
                    )
                )
            elif _government(kb, s) and not _host_is(parsed.netloc, policy.official_domains):
                errors.append(
                    _err(
                        kb,
                        "sources",
                        s.id,
                        "url",
                        f"{parsed.netloc} is not an official address for a {s.publisher} document: cite it at "
                        "cms.gov, the contractor's site, govinfo, uscode or ecfr, and move this copy to copy_url",
                    )
                )
    return errors


def _government(kb: Knowledge, source: Source) -> bool:
    publisher = source.publisher.lower()
    return any(p.lower() in publisher for p in kb.policy.government_publishers)


def _internal_wording(kb: Knowledge) -> list[ContentError]:
    """No words about how the content was made in any field a user sees (the phrases are data)."""
    phrases = [p.lower() for p in kb.policy.internal_wording if p.strip()]
    if not phrases:
        return []
    errors = []
    for kind, record in _records(kb):
        if kind == "sources":
            fields: Iterable[tuple[str, str]] = ((f, getattr(record, f)) for f in SOURCE_SHOWN)
        else:
            fields = _text_fields(record, "", CURATOR_FIELDS)
        for field, text in fields:
            found = next((p for p in phrases if p in text.lower()), None)
            if found:
                errors.append(
                    _err(
                        kb,
                        kind,
                        _ident(record),
                        field,
                        f"internal wording {found!r} in text users see: say what the publication states "
                        "(keep how we worked in copy_note or curator_notes)",
                    )
                )
    return errors


def _statements(value: Any, path: str) -> Iterator[tuple[str, str | None, list[str]]]:
    """Every sourced statement inside a record: (field path, its status if it has one, its sources)."""
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        sources = getattr(value, "sources", None)  # noqa: B009  # models without sources have no such field
        if "sources" in fields and sources:
            yield path or "sources", getattr(value, "status", None), sources
        for name in fields:
            if name != "sources":
                yield from _statements(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _statements(item, f"{path}[{i}]")


def _tertiary_only(kb: Knowledge) -> list[ContentError]:
    """A rule only tertiary sources (forums, blogs, vendor and code-lookup pages) support is coders' practice:
    it may be said only as `status: unconfirmed`, never as confirmed fact or as our reasoning."""
    tiers = {s.id: s.tier for s in kb.sources}
    errors = []
    for kind, record in _records(kb):
        if kind == "sources":
            continue
        for field, status, ids in _statements(record, ""):
            known = [tiers[i] for i in ids if i in tiers]
            if not known or any(t != "tertiary" for t in known) or status == "unconfirmed":
                continue
            where = field if field == "sources" else f"{field}.sources"
            if status is None:
                message = (
                    "only tertiary sources (forums, blogs, vendor pages) support this: add a primary or secondary "
                    "source, or state it in a note with status: unconfirmed as coders' practice"
                )
            else:
                message = (
                    f"status {status!r} rests only on tertiary sources (forums, blogs, vendor pages): make it "
                    "status: unconfirmed (coders' practice, not confirmed) or add a primary or secondary source"
                )
            errors.append(_err(kb, kind, _ident(record), where, message))
    return errors


def _decision_sources(kb: Knowledge) -> list[ContentError]:
    """Each decision an indicator makes cites what supports that decision: a 57 verdict must not borrow the
    modifier 79 page because both hang off the global-days indicator."""
    return [
        _err(
            kb,
            "indicators",
            ind.field,
            f"decides[{i}].sources",
            f"the {rule.modifier} decision names no sources of its own: list the ones that support it",
        )
        for ind in kb.indicators
        for i, rule in enumerate(ind.decides)
        if not rule.sources
    ]
