"""Shared fixtures: the bundled content, one built knowledge base per test session, and a scratch data dir."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content import intents_dir, knowledge_dir
from bot.kb.build import build
from bot.kb.store import KnowledgeStore

REPO = Path(__file__).resolve().parent.parent
SHARED_CMS = REPO.parent / "shared" / "data" / "cms" / "PPRRVU24_JUL.csv"
SHARED_HCPCS = REPO.parent / "shared" / "data" / "hcpcs"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A developer's own Slack tokens or data dir must never leak into a test."""
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_API_URL",
        "CODING_BOT_DATA_DIR",
        "CODING_BOT_SLASH_COMMAND",
        "CODING_BOT_CURATORS",
        "CODING_BOT_RETENTION_DAYS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def built_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kb") / "kb.sqlite"
    build(knowledge_dir(), path, imports_dir=None, progress=lambda _: None)
    return path


@pytest.fixture(scope="session")
def store(built_kb: Path) -> KnowledgeStore:
    return KnowledgeStore(built_kb)


@pytest.fixture(scope="session")
def engine(store: KnowledgeStore):
    from bot.engine import Engine

    return Engine(store)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled content, for tests that break it on purpose."""
    target = tmp_path / "knowledge"
    shutil.copytree(knowledge_dir(), target)
    return target


@pytest.fixture
def intents_copy(tmp_path: Path) -> Path:
    target = tmp_path / "intents"
    shutil.copytree(intents_dir(), target)
    return target
