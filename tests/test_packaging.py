"""A non-editable install carries knowledge/ and intents/ inside the package and works from any folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_non_editable_install_works_from_anywhere(tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    assert (target / "bot" / "knowledge" / "manifest.yaml").is_file()
    assert (target / "bot" / "intents" / "code_lookup.yaml").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PYTHONPATH": str(target), "CODING_BOT_DATA_DIR": str(tmp_path / "data"), "PATH": ""}
    where = subprocess.run(
        [sys.executable, "-c", "from bot.content import knowledge_dir; print(knowledge_dir())"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.strip().startswith(str(target))
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "kb", "validate"], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
