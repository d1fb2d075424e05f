"""Whole-project checks: every cog loads, names are unique, the README tells the truth."""

from __future__ import annotations

import re

import discord
import pytest

from bot.app import EXTENSIONS, NewsroomBot
from bot.config import Settings
from tests.conftest import ROOT, make_settings

README = (ROOT / "README.md").read_text()


@pytest.fixture
async def loaded_bot(tmp_path):
    bot = NewsroomBot(make_settings(tmp_path, NEWSROOM_GUILD_ID=42))
    for extension in EXTENSIONS:
        await bot.load_extension(extension)
    yield bot
    await bot.close()


def command_paths(commands) -> set[str]:
    paths = set()
    for command in commands:
        if isinstance(command, discord.app_commands.Group):
            paths |= {f"/{c.qualified_name}" for c in command.walk_commands()
                      if not isinstance(c, discord.app_commands.Group)}
        else:
            paths.add(f"/{command.qualified_name}")
    return paths


async def test_every_cog_loads_and_registers_its_commands(loaded_bot) -> None:
    assert set(loaded_bot.extensions) == set(EXTENSIONS)
    assert len(loaded_bot.cogs) == len(EXTENSIONS)


async def test_editorial_commands_are_guild_only_and_reader_commands_global(loaded_bot) -> None:
    home = command_paths(loaded_bot.tree.get_commands(guild=loaded_bot.home_guild))
    glob = command_paths(loaded_bot.tree.get_commands())
    assert {p.split()[0] for p in home} == {"/draft", "/review", "/publish", "/correct",
                                            "/retract", "/triage", "/newsroom"}
    assert {p.split()[0] for p in glob} == {"/feedback", "/subscribe", "/unsubscribe",
                                            "/subscriptions", "/archive", "/help"}
    assert not home & glob


async def test_readme_command_table_matches_the_code(loaded_bot) -> None:
    table = set(re.findall(r"^\| `(/[a-z ]+)` \|", README, flags=re.MULTILINE))
    code = command_paths(loaded_bot.tree.get_commands(guild=loaded_bot.home_guild))
    code |= command_paths(loaded_bot.tree.get_commands())
    assert table == code


def test_readme_settings_table_matches_the_settings_class() -> None:
    table = set(re.findall(r"^\| `([A-Z_]+)` \|", README, flags=re.MULTILINE))
    assert table == {f.alias for f in Settings.model_fields.values()}


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second() -> None:
    block = README.split("```sh\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(block) == 2
    assert block[0].endswith("newsroom run") and "pip install" in block[0]
    assert block[1].endswith("pytest -q") and "pip install" in block[1]
    assert README.index("```sh") < README.index("## ")
    assert "sed -n 2p" in (ROOT / ".ci" / "run").read_text()


async def test_every_command_has_a_description_and_described_options(loaded_bot) -> None:
    for guild in (None, loaded_bot.home_guild):
        for payload in loaded_bot.command_payload(guild):
            assert payload["description"], payload["name"]
