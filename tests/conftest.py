"""Shared fixtures: a clean environment for every test, and a fresh store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage.store import Store
from tests.fakes.fake_discord_schema import BodyChecker

ROOT = Path(__file__).resolve().parent.parent
SETTING_PREFIXES = ("NEWSROOM_", "DISCORD_", "ANTHROPIC_")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many request bodies the fake Discord checked against Discord's API description."""
    if BodyChecker.validated:
        terminalreporter.write_line(
            f"fake Discord: {BodyChecker.validated} request bodies validated against Discord's "
            f"OpenAPI description, {BodyChecker.refused} refused")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No setting leaks in from the machine, and no `.env` is read from the repo."""
    for key in list(os.environ):
        if key.startswith(SETTING_PREFIXES):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "newsroom.db")
    yield s
    s.close()


@pytest.fixture
async def fake_anthropic():
    from tests.fakes.fake_anthropic import FakeAnthropic

    fake = FakeAnthropic()
    await fake.start()
    yield fake
    await fake.stop()


def make_settings(tmp_path: Path, **overrides):
    """Settings for a test: a temp database, and whatever the test overrides."""
    from bot.config import load_settings

    values = {"NEWSROOM_DB": str(tmp_path / "newsroom.db"), "NEWSROOM_GUILD_ID": "1"}
    values.update({k: str(v) for k, v in overrides.items()})
    return load_settings(None, **values)
