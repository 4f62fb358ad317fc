"""Settings from the environment (and a `.env` file), validated once with messages an admin can act on."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

ENV_NAMES = {
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_api_url": "SLACK_API_URL",
    "data_dir": "CODING_BOT_DATA_DIR",
    "slash_command": "CODING_BOT_SLASH_COMMAND",
    "retention_days": "CODING_BOT_RETENTION_DAYS",
    "curators": "CODING_BOT_CURATORS",
}


class ConfigError(Exception):
    """One clear sentence naming the variable; never the value of a secret."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    data_dir: Path = Path("var")
    slash_command: str = "/code"
    retention_days: int = 90
    curators: tuple[str, ...] = ()

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with 'xoxb-' (OAuth & Permissions page)")
        return v

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with 'xapp-' (Basic Information > App-Level Tokens)")
        return v

    @field_validator("slash_command")
    @classmethod
    def _command(cls, v: str) -> str:
        if not v.startswith("/") or len(v) < 2 or " " in v:
            raise ValueError("must look like '/code'")
        return v

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return v if v.endswith("/") else v + "/"

    @property
    def slack_configured(self) -> bool:
        return self.slack_bot_token is not None

    @property
    def kb_path(self) -> Path:
        return self.data_dir / "kb.sqlite"

    @property
    def activity_path(self) -> Path:
        return self.data_dir / "activity.sqlite"

    @property
    def imports_dir(self) -> Path:
        """Operator imports (a newer CMS release, a licensed CPT file): local to this installation."""
        return self.data_dir / "imports"


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; comments, blank lines and `export ` prefixes allowed; quotes stripped."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for n, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        if "=" not in line:
            raise ConfigError(f"{path}:{n}: expected KEY=VALUE")
        key, value = line.split("=", 1)
        values[key.strip()] = value.strip().strip("'\"")
    return values


def load_settings(environ: dict[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
    """The environment wins over `.env`; empty values count as unset."""
    env = dict(read_dotenv(dotenv) if dotenv else {})
    env.update(os.environ if environ is None else environ)
    raw: dict[str, object] = {}
    for field, name in ENV_NAMES.items():
        value = env.get(name, "").strip()
        if not value:
            continue
        raw[field] = tuple(v.strip() for v in value.split(",") if v.strip()) if field == "curators" else value
    try:
        return Settings.model_validate(raw)
    except Exception as exc:  # pydantic ValidationError -> one line per variable, never the value
        errors: list[Any] = getattr(exc, "errors", lambda: [])()
        lines = [f"{ENV_NAMES[str(e['loc'][0])]}: {e['msg'].removeprefix('Value error, ')}" for e in errors]
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines or [str(exc)])) from None
