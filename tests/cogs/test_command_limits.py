"""Every slash command the bot registers fits Discord's limits for application commands.

Discord refuses a whole bulk registration (400, 50035) when one name, description,
option or choice breaks a limit, so a long description added to one option would take
every command off Discord. The limits are Discord's ("Application Command Naming" and
the Application Command Structure in its developer documentation):

* CHAT_INPUT command and option names: 1-32 characters of
  ``^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$``, using lowercase letters where
  a lowercase exists; descriptions 1-100 characters;
* at most 25 options per command or subcommand, 25 subcommands or groups per command,
  25 subcommands per group, 25 choices per option; choice names 1-100 characters,
  string choice values at most 100; option min/max_length within 0-6000;
* required options before optional ones; option names unique at their level;
* all names, descriptions and choice names/values of one command together at most
  4,000 characters;
* at most 100 global and 100 guild CHAT_INPUT commands.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest

from bot.app import EXTENSIONS, NewsroomBot
from tests.conftest import make_settings

SUB_COMMAND, SUB_COMMAND_GROUP, STRING = 1, 2, 3
CHAT_INPUT = 1
NAME_PUNCTUATION = frozenset("-_'")


@pytest.fixture
async def payloads(tmp_path) -> dict[str, list[dict[str, Any]]]:
    bot = NewsroomBot(make_settings(tmp_path, NEWSROOM_GUILD_ID=42))
    for extension in EXTENSIONS:
        await bot.load_extension(extension)
    yield {"global": bot.command_payload(None), "guild": bot.command_payload(bot.home_guild)}
    await bot.close()


def name_problem(name: str) -> str | None:
    """Why Discord would refuse this CHAT_INPUT command or option name, if it would."""
    if not 1 <= len(name) <= 32:
        return f"{len(name)} characters (1-32)"
    for char in name:
        script_ok = unicodedata.name(char, "").startswith(("DEVANAGARI", "THAI"))
        if not (char.isalnum() or char in NAME_PUNCTUATION or script_ok):
            return f"character {char!r} is not allowed"
    if name != name.lower():
        return "has uppercase letters"
    return None


def walk(command: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, node) for the command and every option, subcommand and group in it."""
    stack = [(command["name"], command)]
    while stack:
        path, node = stack.pop()
        yield path, node
        for option in node.get("options") or []:
            stack.append((f"{path} {option['name']}", option))


def total_characters(command: dict[str, Any]) -> int:
    count = 0
    for _, node in walk(command):
        count += len(node["name"]) + len(node.get("description") or "")
        for choice in node.get("choices") or []:
            count += len(choice["name"]) + len(str(choice["value"]))
    return count


def node_problems(path: str, node: dict[str, Any]) -> list[str]:
    problems = []
    if (why := name_problem(node["name"])) is not None:
        problems.append(f"/{path}: name {why}")
    if not 1 <= len(node.get("description") or "") <= 100:
        problems.append(f"/{path}: description must be 1-100 characters")
    options = node.get("options") or []
    if len(options) > 25:
        problems.append(f"/{path}: {len(options)} options (at most 25)")
    names = [o["name"] for o in options]
    if len(set(names)) != len(names):
        problems.append(f"/{path}: option names repeat")
    required = [bool(o.get("required")) for o in options
                if o["type"] not in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if required != sorted(required, reverse=True):
        problems.append(f"/{path}: a required option follows an optional one")
    problems += choice_problems(path, node)
    for key in ("min_length", "max_length"):
        if key in node and not 0 <= node[key] <= 6000:
            problems.append(f"/{path}: {key} {node[key]} outside 0-6000")
    return problems


def choice_problems(path: str, node: dict[str, Any]) -> list[str]:
    choices = node.get("choices") or []
    problems = [f"/{path}: {len(choices)} choices (at most 25)"] if len(choices) > 25 else []
    for choice in choices:
        if not 1 <= len(choice["name"]) <= 100:
            problems.append(f"/{path}: choice name {choice['name']!r} must be 1-100 characters")
        if node["type"] == STRING and not 1 <= len(choice["value"]) <= 100:
            problems.append(f"/{path}: choice value {choice['value']!r} must be 1-100 chars")
    return problems


def command_problems(command: dict[str, Any]) -> list[str]:
    problems = []
    for path, node in walk(command):
        problems += node_problems(path, node)
    if (total := total_characters(command)) > 4000:
        problems.append(f"/{command['name']}: {total} characters in all (at most 4,000)")
    return problems


async def test_every_registered_command_fits_discords_limits(payloads) -> None:
    problems = []
    for scope, commands in payloads.items():
        chat_input = [c for c in commands if c.get("type", CHAT_INPUT) == CHAT_INPUT]
        if len(chat_input) > 100:
            problems.append(f"{scope}: {len(chat_input)} commands (at most 100)")
        for command in chat_input:
            problems += command_problems(command)
    assert problems == []
    assert sum(len(c) for c in payloads.values()) >= 10  # the walk saw the real commands


def test_the_limit_checks_catch_what_discord_refuses() -> None:
    too_much = {
        "name": "Draft", "description": "d" * 101, "type": CHAT_INPUT,
        "options": [
            {"name": "optional", "description": "o", "type": STRING, "required": False},
            {"name": "needed", "description": "n", "type": STRING, "required": True,
             "choices": [{"name": f"c{i}", "value": "v" * 101} for i in range(26)]},
        ],
    }
    problems = "\n".join(command_problems(too_much))
    for expected in ("name has uppercase letters", "description must be 1-100",
                     "a required option follows an optional one", "26 choices",
                     "choice value"):
        assert expected in problems
    assert name_problem("newsroom") is None and name_problem("my cmd") is not None
    assert name_problem("x" * 33) is not None and name_problem("") is not None
    long = {"name": "a", "description": "d" * 100, "type": CHAT_INPUT, "options": [
        {"name": f"s{i}", "description": "d" * 100, "type": SUB_COMMAND, "options": [
            {"name": "o", "description": "d" * 100, "type": STRING}]} for i in range(25)]}
    assert any("characters in all" in p for p in command_problems(long))
