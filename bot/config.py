"""Settings: one typed class read from the environment and `.env`.

Values stored with `/newsroom setup` live in the database and take precedence over
these at run time (see `bot.admin.EffectiveSettings`); this class is only the
environment's view. Secrets are `SecretStr` so that a repr, a log line or a traceback
never shows them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError

DEFAULT_MODEL = "claude-sonnet-5-5"
DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY = "wss://gateway.discord.gg/"
DEFAULT_HTTP = "127.0.0.1:8080"


def _blank_to_none(value: Any) -> Any:
    """`.env` files often carry `NAME=` for unset values; treat those as unset."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


EDITION_NAME = re.compile(r"^[\w][\w '&.-]{0,31}$")
"""An edition's name as readers see it in a masthead ("Morning", "Late edition")."""


def split_edition(entry: str) -> tuple[str | None, str]:
    """`Morning=0 8 * * *` -> ("Morning", "0 8 * * *"); a bare cron line has no name."""
    name, sep, cron = entry.partition("=")
    return (name.strip(), cron.strip()) if sep else (None, entry.strip())


def parse_editions(value: str) -> tuple[str, ...]:
    """Split `;`-separated edition lines (`cron`, or `Name=cron`) and validate each; raise
    ValueError naming the bad one."""
    parts = tuple(p.strip() for p in value.split(";") if p.strip())
    if not parts:
        raise ValueError("give at least one cron expression, e.g. '0 8 * * *'")
    for part in parts:
        name, cron = split_edition(part)
        if name is not None and not EDITION_NAME.match(name):
            raise ValueError(f"'{name}' is not an edition name (1-32 letters, digits, "
                             "spaces or - ' & ., e.g. 'Morning=0 8 * * *')")
        try:
            CronTrigger.from_crontab(cron, timezone="UTC")
        except ValueError as exc:
            raise ValueError(f"'{part}' is not a valid cron expression ({exc})") from None
    return parts


def parse_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{value}' is not an IANA time zone (e.g. Europe/Berlin)") from None
    return value


def parse_address(value: str) -> tuple[str, int]:
    """'host:port' (IPv6 in brackets, '[::1]:8080') for the web server to listen on."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"'{value}' is not host:port (e.g. 127.0.0.1:8080; empty turns "
                         "the web server off)")
    return host, int(port)


PositiveId = Annotated[int, Field(gt=0)]
Snowflake = Annotated[PositiveId | None, BeforeValidator(_blank_to_none)]


class Settings(BaseSettings):
    """Every setting of spec section 6; field aliases are the environment names."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        hide_input_in_errors=True,
    )

    discord_token: Annotated[SecretStr | None, BeforeValidator(_blank_to_none)] = Field(
        None, alias="DISCORD_TOKEN"
    )
    guild_id: Snowflake = Field(None, alias="NEWSROOM_GUILD_ID")
    anthropic_api_key: Annotated[SecretStr | None, BeforeValidator(_blank_to_none)] = Field(
        None, alias="ANTHROPIC_API_KEY"
    )
    anthropic_base_url: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(
        None, alias="ANTHROPIC_BASE_URL"
    )
    model: str = Field(DEFAULT_MODEL, alias="NEWSROOM_MODEL", min_length=1)
    db_path: Path = Field(Path("data/newsroom.db"), alias="NEWSROOM_DB")
    name: str = Field("ClawNews", alias="NEWSROOM_NAME", min_length=1, max_length=60)
    timezone: str = Field("UTC", alias="NEWSROOM_TIMEZONE")
    editions: Annotated[tuple[str, ...], NoDecode] = Field(
        ("0 8 * * *",), alias="NEWSROOM_EDITIONS"
    )
    editor_role_id: Snowflake = Field(None, alias="NEWSROOM_EDITOR_ROLE_ID")
    editorial_channel_id: Snowflake = Field(None, alias="NEWSROOM_EDITORIAL_CHANNEL_ID")
    announce_channel_id: Snowflake = Field(None, alias="NEWSROOM_ANNOUNCE_CHANNEL_ID")
    feedback_channel_id: Snowflake = Field(None, alias="NEWSROOM_FEEDBACK_CHANNEL_ID")
    required_approvals: int = Field(1, alias="NEWSROOM_REQUIRED_APPROVALS", ge=1, le=10)
    allow_self_approval: bool = Field(False, alias="NEWSROOM_ALLOW_SELF_APPROVAL")
    min_sources: int = Field(2, alias="NEWSROOM_MIN_SOURCES", ge=0, le=20)
    draft_max_attempts: int = Field(5, alias="NEWSROOM_DRAFT_MAX_ATTEMPTS", ge=1, le=50)
    draft_timeout: float = Field(180.0, alias="NEWSROOM_DRAFT_TIMEOUT", gt=0)
    feedback_allowance: int = Field(3, alias="NEWSROOM_FEEDBACK_ALLOWANCE", ge=1, le=1000)
    backup_dir: Annotated[Path | None, BeforeValidator(_blank_to_none)] = Field(
        None, alias="NEWSROOM_BACKUP_DIR"
    )
    backup_keep: int = Field(7, alias="NEWSROOM_BACKUP_KEEP", ge=1, le=365)
    log_level: str = Field("INFO", alias="NEWSROOM_LOG_LEVEL")
    log_format: Literal["text", "json"] = Field("text", alias="NEWSROOM_LOG_FORMAT")
    http: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(
        DEFAULT_HTTP, alias="NEWSROOM_HTTP"
    )
    public_url: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(
        None, alias="NEWSROOM_PUBLIC_URL"
    )
    discord_api_base: str = Field(DEFAULT_API_BASE, alias="DISCORD_API_BASE")
    discord_gateway_url: str = Field(DEFAULT_GATEWAY, alias="DISCORD_GATEWAY_URL")

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        return parse_timezone(value)

    @field_validator("editions", mode="before")
    @classmethod
    def _check_editions(cls, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            return parse_editions(value)
        return tuple(value)

    @field_validator("discord_api_base", "discord_gateway_url", "anthropic_base_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://", "ws://", "wss://")):
            raise ValueError(f"'{value}' is not a URL")
        return value.rstrip("/") if value and value.startswith("http") else value

    @field_validator("http")
    @classmethod
    def _check_http(cls, value: str | None) -> str | None:
        if value is not None:
            parse_address(value)
        return value

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"'{value}' is not an http(s) URL")
        return value.rstrip("/") if value else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("use DEBUG, INFO, WARNING or ERROR")
        return level

    @property
    def http_address(self) -> tuple[str, int] | None:
        """(host, port) of the built-in web server, or None when it is off."""
        return parse_address(self.http) if self.http else None

    def story_url(self, story_id: int) -> str | None:
        """The story's page in the public archive, when readers can reach it."""
        return f"{self.public_url}/stories/{story_id}" if self.public_url else None

    def require_for_run(self) -> None:
        """Refuse to start without what a running bot cannot do without."""
        missing = [
            env
            for env, value in (
                ("DISCORD_TOKEN", self.discord_token),
                ("NEWSROOM_GUILD_ID", self.guild_id),
            )
            if value is None
        ]
        if missing:
            raise ConfigError(
                f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
                f"put {'it' if len(missing) == 1 else 'them'} in the environment or in .env "
                "(see .env.example)"
            )


def _describe(error: dict[str, Any]) -> str:
    """One readable line for one pydantic error, named by the environment variable."""
    loc = error.get("loc") or ("?",)
    name = str(loc[0])
    field = Settings.model_fields.get(name)
    env = field.alias if field and field.alias else name
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if error.get("type") in {"int_parsing", "greater_than"} and env.endswith("_ID"):
        message = "must be a Discord id (a positive number)"
    return f"{env}: {message}"


def load_settings(env_file: str | os.PathLike[str] | None = ".env", **overrides: Any) -> Settings:
    """Read the settings, turning validation errors into one ConfigError line."""
    try:
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise ConfigError("; ".join(_describe(e) for e in exc.errors())) from None
