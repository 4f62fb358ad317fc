"""Where the curated content lives, in a source checkout and in an installed package alike.

A wheel carries `knowledge/` and `intents/` inside the package (`bot/knowledge`, `bot/intents`); a source
checkout keeps them beside `bot/`, where coding leads edit them.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _content_dir(name: str) -> Path:
    installed = _PACKAGE / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


def knowledge_dir() -> Path:
    return _content_dir("knowledge")


def intents_dir() -> Path:
    return _content_dir("intents")
