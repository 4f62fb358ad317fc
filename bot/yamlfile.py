"""Read curated YAML files and report problems the way a coding lead can act on them.

Used for both `knowledge/` and `intents/`: every problem names the file, the entry, the field and, where
YAML knows it, the line, and all problems are collected rather than stopping at the first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when PyYAML has it: faster


class ContentLoader(_BaseLoader):
    """Safe YAML where only true/false are booleans: a coding lead's `no`, `on` or `off` stays a word
    (YAML 1.1 would read the negation trigger "no" as False)."""


_BOOL = "tag:yaml.org,2002:bool"
ContentLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()  # type: ignore[attr-defined]  # untyped
}
ContentLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


@dataclass(frozen=True)
class ContentError:
    file: str
    message: str
    entry: str | None = None
    field: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        what = " ".join(p for p in (self.entry, f"field '{self.field}'" if self.field else None) if p)
        return f"{where}: {what + ': ' if what else ''}{self.message}"


class ContentErrors(Exception):
    """Raised with every problem found, so one run of `kb validate` shows them all."""

    def __init__(self, errors: list[ContentError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class Entry:
    """One record of a YAML list, with where it came from."""

    data: Any
    file: str
    line: int | None
    label: str


def read_yaml(path: Path, display: str) -> tuple[Any, Any, list[ContentError]]:
    """Parse a YAML file into (data, node tree); a syntax error becomes one error with its line."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, None, [ContentError(display, f"not UTF-8 text (byte {exc.start})")]
    except OSError as exc:
        return None, None, [ContentError(display, f"cannot read: {exc.strerror}")]
    if not text.strip():
        return None, None, [ContentError(display, "the file is empty")]
    try:
        node = yaml.compose(text, Loader=ContentLoader)
        data = yaml.load(text, Loader=ContentLoader)  # noqa: S506 - ContentLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        return None, None, [ContentError(display, f"YAML syntax error: {problem}", line=line)]
    except yaml.YAMLError as exc:
        return None, None, [ContentError(display, f"YAML error: {exc}")]
    duplicate = _duplicate_key(node)
    if duplicate is not None:
        key, line = duplicate
        return (
            None,
            None,
            [
                ContentError(
                    display,
                    f"the key {key!r} appears twice here; YAML would silently keep only the last one",
                    line=line,
                )
            ],
        )
    return data, node, []


def _duplicate_key(node: Any) -> tuple[str, int] | None:
    """The first key that a mapping repeats, with its line (iteratively: content files nest shallowly but
    a hostile file must not exhaust the stack)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        return key.value, key.start_mark.line + 1
                    seen.add(key.value)
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return None


def list_entries(
    path: Path, key: str, display: str, label_field: str, required: bool = True
) -> tuple[list[Entry], list[ContentError]]:
    """The records under top-level `key` (a list), each with its line number and a readable label."""
    data, node, errors = read_yaml(path, display)
    if errors:
        return [], errors
    if not isinstance(data, dict) or key not in data:
        if not required and isinstance(data, dict):
            return [], []
        return [], [ContentError(display, f"expected a top-level '{key}:' list")]
    items = data[key]
    if not isinstance(items, list):
        return [], [ContentError(display, f"'{key}' must be a list", field=key)]
    item_nodes = _child_nodes(node, key)
    entries = []
    for i, item in enumerate(items):
        line = item_nodes[i].start_mark.line + 1 if i < len(item_nodes) else None
        ident = item.get(label_field) if isinstance(item, dict) else None
        label = f"{key}[{i}]" + (f" ({ident})" if ident is not None else "")
        entries.append(Entry(item, display, line, label))
    return entries, []


def _child_nodes(node: Any, key: str) -> list[Any]:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key and isinstance(v, yaml.SequenceNode):
                return list(v.value)
    return []


def validate_entry(model: type[M], entry: Entry) -> tuple[M | None, list[ContentError]]:
    """Validate one record; each pydantic error becomes a ContentError naming the field."""
    if not isinstance(entry.data, dict):
        return None, [ContentError(entry.file, "expected a mapping of fields", entry.label, line=entry.line)]
    try:
        return model.model_validate(entry.data), []
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or None
            errors.append(ContentError(entry.file, _message(err), entry.label, field, entry.line))
        return None, errors


def _message(err: Mapping[str, Any]) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown field (check the spelling; see knowledge/README.md)"
    if err["type"] == "missing":
        return "required field is missing"
    return err["msg"].removeprefix("Value error, ")
