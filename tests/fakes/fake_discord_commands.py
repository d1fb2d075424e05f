"""Application command registry of the fake Discord.

Stores the schema the bot synced (global and per guild), validates it like Discord
does on PUT (so a bad command definition fails in tests, not at deploy time), keeps
ids stable across re-syncs of the same name, and answers "which command would a
user in this guild/DM see for ``/draft request``?" for ``FakeDiscord.invoke``.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.fake_discord_http import ApiError, FormErrors
from tests.fakes.fake_discord_world import Perm, SnowflakeFactory

logger = logging.getLogger(__name__)

CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)
_NAME = re.compile(r"^[-_'\w]{1,32}$")
_LIMITS = {CHAT_INPUT: 100, USER_COMMAND: 15, MESSAGE_COMMAND: 15}


class CommandUnavailable(LookupError):
    """The user could not see or use this command (wrong guild, DM, permissions)."""


@dataclass
class ResolvedCommand:
    """A command found for an invocation: the stored command, where it is
    registered (``scope`` = guild id or None), the subcommand path and the option
    schema of the leaf that receives values."""

    command: dict[str, Any]
    scope: int | None
    path: list[str]
    leaf_options: list[dict[str, Any]]

    @property
    def qualified_name(self) -> str:
        """``"draft request"``."""
        return " ".join(self.path)


class CommandRegistry:
    """Registered commands per scope (None = global, else guild id)."""

    def __init__(
        self, application_id: int, snowflakes: SnowflakeFactory, on_change: Callable[[], None]
    ) -> None:
        self.application_id = application_id
        self._on_change = on_change
        self._snowflakes = snowflakes
        self.scopes: dict[int | None, dict[int, dict[str, Any]]] = {}
        self.sync_calls: list[tuple[int | None, list[dict[str, Any]]]] = []

    # ------------------------------------------------------------- REST ops
    def bulk_overwrite(
        self, scope: int | None, payload: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """PUT: replace every command of the scope; same (name, type) keeps its id."""
        self.sync_calls.append((scope, copy.deepcopy(payload)))
        errors = FormErrors()
        seen: set[tuple[str, int]] = set()
        counts: dict[int, int] = {}
        for index, command in enumerate(payload):
            _validate_command(command, (index,), errors)
            key = (command.get("name", ""), int(command.get("type", CHAT_INPUT)))
            if key in seen:
                errors.add(
                    (index, "name"),
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    f"Application command names must be unique: {key[0]}",
                )
            seen.add(key)
            counts[key[1]] = counts.get(key[1], 0) + 1
        for ctype, count in counts.items():
            if count > _LIMITS.get(ctype, 100):
                errors.add(
                    (), "APPLICATION_COMMANDS_TOO_MANY", f"Too many commands of type {ctype}"
                )
        errors.raise_if_any()
        old = {(c["name"], c["type"]): c for c in self.scopes.get(scope, {}).values()}
        stored: dict[int, dict[str, Any]] = {}
        for command in payload:
            normalized = self._normalize(
                scope, command, old.get((command["name"], int(command.get("type", 1))))
            )
            stored[int(normalized["id"])] = normalized
        self.scopes[scope] = stored
        logger.debug("synced %d commands to scope %s", len(stored), scope)
        self._on_change()
        return [copy.deepcopy(c) for c in stored.values()]

    def upsert(self, scope: int | None, command: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        """POST: create or replace one command by (name, type); True when created."""
        errors = FormErrors()
        _validate_command(command, (), errors)
        errors.raise_if_any()
        existing = self._find(scope, command["name"], int(command.get("type", CHAT_INPUT)))
        normalized = self._normalize(scope, command, existing)
        self.scopes.setdefault(scope, {})[int(normalized["id"])] = normalized
        return existing is None, copy.deepcopy(normalized)

    def edit(self, scope: int | None, command_id: int, patch: dict[str, Any]) -> dict[str, Any]:
        """PATCH one command."""
        current = self.get(scope, command_id)
        merged = {**current, **patch}
        errors = FormErrors()
        _validate_command(merged, (), errors)
        errors.raise_if_any()
        normalized = self._normalize(scope, merged, current)
        self.scopes[scope][command_id] = normalized
        return copy.deepcopy(normalized)

    def delete(self, scope: int | None, command_id: int) -> None:
        """DELETE one command."""
        self.get(scope, command_id)
        del self.scopes[scope][command_id]

    def get(self, scope: int | None, command_id: int) -> dict[str, Any]:
        """One command or 404 10063 Unknown application command."""
        command = self.scopes.get(scope, {}).get(int(command_id))
        if command is None:
            raise ApiError(404, 10063, "Unknown application command")
        return command

    def list(self, scope: int | None) -> list[dict[str, Any]]:
        """Every command of a scope."""
        return [copy.deepcopy(c) for c in self.scopes.get(scope, {}).values()]

    # --------------------------------------------------------------- lookup
    def resolve(
        self,
        path: str,
        *,
        guild_id: int | None,
        user_permissions: int,
        command_type: int = CHAT_INPUT,
        override: bool | None = None,
    ) -> ResolvedCommand:
        """The command a user in ``guild_id`` (None = bot DM) sees for ``path``.

        Guild commands are only visible in their guild; global ones everywhere their
        ``contexts``/``dm_permission`` allow; ``default_member_permissions`` hides a
        command from members lacking those permissions (``"0"``: admins only).
        """
        tokens = path.split() if command_type == CHAT_INPUT else [path]
        if not tokens:
            raise ValueError("empty command name")
        command, scope = self._visible(tokens[0], guild_id, command_type)
        self._check_member_permissions(command, user_permissions, path, override)
        names = [command["name"]]
        options: list[dict[str, Any]] = command.get("options") or []
        for token in tokens[1:]:
            sub = next(
                (
                    o
                    for o in options
                    if o["name"] == token and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
                ),
                None,
            )
            if sub is None:
                raise CommandUnavailable(
                    f"/{' '.join(names)} has no subcommand {token!r}; it has {_sub_names(options)}"
                )
            names.append(sub["name"])
            options = sub.get("options") or []
        if any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in options):
            raise ValueError(
                f"/{' '.join(names)} cannot be run by itself; "
                f"pick a subcommand: {_sub_names(options)}"
            )
        return ResolvedCommand(command=command, scope=scope, path=names, leaf_options=options)

    def _visible(
        self, name: str, guild_id: int | None, command_type: int
    ) -> tuple[dict[str, Any], int | None]:
        scopes: list[int | None] = [guild_id, None] if guild_id is not None else [None]
        for scope in scopes:
            command = self._find(scope, name, command_type)
            if command is None:
                continue
            context = 0 if guild_id is not None else 1
            contexts = command.get("contexts")
            if contexts is not None and context not in contexts:
                continue
            if contexts is None and guild_id is None and command.get("dm_permission") is False:
                continue
            installs = command.get("integration_types")
            if installs is not None and 0 not in installs:
                continue
            return command, scope
        where = f"guild {guild_id}" if guild_id is not None else "a DM with the bot"
        raise CommandUnavailable(
            f"/{name} is not visible in {where}; synced there: {self.visible_names(guild_id)} "
            f"(all scopes: {self._all_names()})"
        )

    def visible_names(self, guild_id: int | None) -> list[str]:
        """Names a user would see in the command picker (ignoring permissions)."""
        names = []
        for scope in [guild_id, None] if guild_id is not None else [None]:
            names.extend(c["name"] for c in self.scopes.get(scope, {}).values())
        return sorted(set(names))

    def _all_names(self) -> dict[int | None, list[str]]:
        return {s: sorted(c["name"] for c in cmds.values()) for s, cmds in self.scopes.items()}

    @staticmethod
    def _check_member_permissions(
        command: dict[str, Any], user_permissions: int, path: str, override: bool | None
    ) -> None:
        required = command.get("default_member_permissions")
        if user_permissions & Perm.ADMINISTRATOR:
            return
        if override is not None:
            if not override:
                raise CommandUnavailable(f"/{path} is denied to this user by the guild's "
                                         "command permissions (Integrations)")
            return
        if required is None:
            return
        needed = int(required)
        if needed == 0:
            allowed = bool(user_permissions & Perm.ADMINISTRATOR)
        else:
            allowed = user_permissions & needed == needed
        if not allowed:
            raise CommandUnavailable(
                f"/{path} is hidden from this user: default_member_permissions={needed:#x}, "
                f"user has {user_permissions:#x}"
            )

    def _find(self, scope: int | None, name: str, command_type: int) -> dict[str, Any] | None:
        for command in self.scopes.get(scope, {}).values():
            if command["name"] == name and command["type"] == command_type:
                return command
        return None

    def _normalize(
        self, scope: int | None, command: dict[str, Any], existing: dict[str, Any] | None
    ) -> dict[str, Any]:
        perms = command.get("default_member_permissions")
        normalized: dict[str, Any] = {
            "id": existing["id"] if existing else str(self._snowflakes.next()),
            "application_id": str(self.application_id),
            "version": existing["version"] if existing else str(self._snowflakes.next()),
            "type": int(command.get("type", CHAT_INPUT)),
            "name": command["name"],
            "name_localizations": command.get("name_localizations"),
            "description": command.get("description", ""),
            "description_localizations": command.get("description_localizations"),
            "default_member_permissions": None if perms is None else str(perms),
            "dm_permission": command.get("dm_permission", True),
            "contexts": command.get("contexts"),
            "integration_types": command.get("integration_types") or [0],
            "nsfw": bool(command.get("nsfw", False)),
            "options": copy.deepcopy(command.get("options") or []),
        }
        if scope is not None:
            normalized["guild_id"] = str(scope)
        if existing is not None and _comparable(existing) != _comparable(normalized):
            normalized["version"] = str(self._snowflakes.next())
        return normalized


def _comparable(command: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in command.items() if k not in ("id", "version")}


def _sub_names(options: list[dict[str, Any]]) -> list[str]:
    return [o["name"] for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]


# ------------------------------------------------------------------ validation
def _validate_command(
    command: dict[str, Any], path: tuple[str | int, ...], errors: FormErrors
) -> None:
    ctype = int(command.get("type", CHAT_INPUT))
    name = command.get("name") or ""
    if ctype == CHAT_INPUT:
        if not _NAME.match(name) or name != name.lower():
            errors.add(
                (*path, "name"),
                "APPLICATION_COMMAND_INVALID_NAME",
                f"Command name is invalid: {name!r}",
            )
        description = command.get("description") or ""
        if not 1 <= len(description) <= 100:
            errors.add(
                (*path, "description"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        _validate_options(command.get("options") or [], (*path, "options"), errors, depth=0)
    elif not 1 <= len(name) <= 32:
        errors.add((*path, "name"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
    if _size(command) > 8000:
        errors.add((*path,), "APPLICATION_COMMAND_TOO_LARGE", "Command exceeds maximum size (8000)")


def _validate_options(
    options: list[dict[str, Any]], path: tuple[str | int, ...], errors: FormErrors, *, depth: int
) -> None:
    if len(options) > 25:
        errors.max_length(path, 25)
    names: set[str] = set()
    seen_optional = False
    kinds = {o.get("type") for o in options}
    if kinds & {SUB_COMMAND, SUB_COMMAND_GROUP} and kinds - {SUB_COMMAND, SUB_COMMAND_GROUP}:
        errors.add(
            path,
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-command and sub-command group option types are mutually exclusive "
            "to all other types",
        )
    for index, option in enumerate(options):
        here = (*path, index)
        name = option.get("name") or ""
        if not _NAME.match(name) or name != name.lower():
            errors.add(
                (*here, "name"),
                "APPLICATION_COMMAND_INVALID_NAME",
                f"Option name is invalid: {name!r}",
            )
        if name in names:
            errors.add(
                (*here, "name"),
                "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                "Option names must be unique",
            )
        names.add(name)
        if not 1 <= len(option.get("description") or "") <= 100:
            errors.add(
                (*here, "description"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        otype = option.get("type")
        if otype == SUB_COMMAND_GROUP:
            if depth > 0:
                errors.add(
                    (*here, "type"),
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "Sub-command groups cannot be nested",
                )
            _validate_options(
                option.get("options") or [], (*here, "options"), errors, depth=depth + 1
            )
            continue
        if otype == SUB_COMMAND:
            if depth > 1:
                errors.add(
                    (*here, "type"), "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Too deeply nested"
                )
            _validate_options(option.get("options") or [], (*here, "options"), errors, depth=2)
            continue
        if option.get("required"):
            if seen_optional:
                errors.add(
                    (*here, "required"),
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        _validate_option_values(option, here, errors)


def _validate_option_values(
    option: dict[str, Any], here: tuple[str | int, ...], errors: FormErrors
) -> None:
    choices = option.get("choices") or []
    if len(choices) > 25:
        errors.max_length((*here, "choices"), 25)
    if choices and option.get("autocomplete"):
        errors.add(
            (*here, "autocomplete"),
            "APPLICATION_COMMAND_OPTION_CHOICES_AUTOCOMPLETE",
            "Autocomplete cannot be set with choices",
        )
    for j, choice in enumerate(choices):
        if not 1 <= len(choice.get("name") or "") <= 100:
            errors.add(
                (*here, "choices", j, "name"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        if option.get("type") == STRING and len(str(choice.get("value"))) > 100:
            errors.max_length((*here, "choices", j, "value"), 100)
    for key, low, high in (("min_length", 0, 6000), ("max_length", 1, 6000)):
        value = option.get(key)
        if value is not None and not low <= value <= high:
            errors.add((*here, key), "NUMBER_TYPE_MAX", f"{key} must be between {low} and {high}")


def _size(command: dict[str, Any]) -> int:
    total = len(command.get("name") or "") + len(command.get("description") or "")
    for option in command.get("options") or []:
        total += _size(option)
        total += sum(
            len(c.get("name") or "") + len(str(c.get("value"))) for c in option.get("choices") or []
        )
    return total
