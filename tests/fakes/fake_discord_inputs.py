"""User input validation of the fake Discord: what a Discord client lets a user send.

Converts the values a test passes (names or ids of users/channels/roles, files as
``(filename, bytes, content_type)``) into what Discord puts in interaction
payloads, building ``data.resolved``, and raises ValueError for anything the
Discord client would refuse (missing required option, value not in choices,
length/range limits, a select option that does not exist, a required modal input
left empty). Also validates the modals and autocomplete choices a bot sends.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from tests.fakes.fake_discord_commands import (
    ATTACHMENT,
    BOOLEAN,
    CHANNEL,
    INTEGER,
    MENTIONABLE,
    NUMBER,
    ROLE,
    STRING,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    USER,
)
from tests.fakes.fake_discord_handles import ModalInput, ModalRecord
from tests.fakes.fake_discord_http import FormErrors
from tests.fakes.fake_discord_messages import (
    SELECT_TYPES,
    MessageStore,
    StoredFile,
    attachment_payload,
    guess_content_type,
    iter_components,
    number_components,
    sanitize_filename,
)
from tests.fakes.fake_discord_world import THREAD_TYPES, ChannelState, Perm, World

TEXT_INPUT, TEXT_DISPLAY, LABEL, FILE_UPLOAD = 4, 10, 18, 19
RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX = 21, 22, 23
STRING_SELECT, USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT = 3, 5, 6, 7, 8
_MAX_SAFE_INT = 2**53

FileSpec = tuple[str, bytes, str]
"""An upload as tests describe it: (filename, bytes, content type)."""


class Resolver:
    """Accumulates ``data.resolved`` entries for users, members, roles, channels,
    attachments, computed for the invoking user like Discord does."""

    def __init__(
        self,
        world: World,
        store: MessageStore,
        *,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        size_limit: int,
        url_base: str,
    ) -> None:
        self._world = world
        self._store = store
        self._size_limit = size_limit
        self._url_base = url_base
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.user_id = user_id
        self.data: dict[str, dict[str, Any]] = {}

    def user(self, ref: Any) -> str:
        """A user the invoker picked (must be a member when in a guild)."""
        uid = self._world.user_id(ref_id(ref))
        if self.guild_id is not None and self._world.member(self.guild_id, uid) is None:
            raise ValueError(f"user {ref!r} is not a member of guild {self.guild_id}")
        self.data.setdefault("users", {})[str(uid)] = self._world.user_payload(uid)
        if self.guild_id is not None:
            member = self._world.member_payload(
                self.guild_id, uid, with_user=False, channel_id=self.channel_id
            )
            self.data.setdefault("members", {})[str(uid)] = member
        return str(uid)

    def role(self, ref: Any) -> str:
        """A role of the interaction's guild (by id, friendly key or name)."""
        if self.guild_id is None:
            raise ValueError("roles cannot be picked in a DM")
        role = self._world.find_role(self.guild_id, ref_id(ref))
        self.data.setdefault("roles", {})[str(role.id)] = self._world.role_payload(role)
        return str(role.id)

    def mentionable(self, ref: Any) -> str:
        """A user, else a role."""
        try:
            return self.user(ref)
        except (KeyError, ValueError):
            return self.role(ref)

    def channel(self, ref: Any, channel_types: list[int] | None) -> str:
        """A channel of the same guild, visible to the invoker and of an allowed type."""
        channel = self._world.all_channels[self._world.channel_id(ref_id(ref))]
        if channel.guild_id != self.guild_id or self.guild_id is None:
            raise ValueError(
                f"channel {ref!r} cannot be picked here (not in guild {self.guild_id})"
            )
        if channel_types and channel.type not in channel_types:
            raise ValueError(
                f"channel {ref!r} has type {channel.type}, option allows {channel_types}"
            )
        if not self._world.has_permission(channel.id, self.user_id, Perm.VIEW_CHANNEL):
            raise ValueError(f"user cannot see channel {ref!r}")
        self.data.setdefault("channels", {})[str(channel.id)] = _resolved_channel(
            self._world, channel, self.user_id
        )
        return str(channel.id)

    def attachment(self, spec: FileSpec) -> str:
        """An upload, stored on the fake CDN; refused above ``attachment_size_limit``."""
        filename, data, content_type = spec
        limit = self._size_limit
        if len(data) > limit:
            raise ValueError(f"{filename} is {len(data)} bytes; users can upload at most {limit}")
        stored = StoredFile(
            self._world.snowflakes.next(),
            sanitize_filename(filename),
            data,
            guess_content_type(filename, content_type),
        )
        self._store.cdn[stored.attachment_id] = stored
        payload = attachment_payload(stored, self._url_base, self.channel_id, None)
        payload["ephemeral"] = True
        self.data.setdefault("attachments", {})[str(stored.attachment_id)] = payload
        return str(stored.attachment_id)


def ref_id(ref: Any) -> str | int:
    """Accept a user/channel/role dict, an id or a friendly name."""
    if isinstance(ref, dict):
        return int(ref["id"])
    return ref


def _resolved_channel(world: World, channel: ChannelState, user_id: int) -> dict[str, Any]:
    payload = world.channel_payload(channel, for_user=user_id)
    keep = {
        "id",
        "name",
        "type",
        "permissions",
        "parent_id",
        "topic",
        "nsfw",
        "position",
        "last_message_id",
        "flags",
        "rate_limit_per_user",
        "guild_id",
    }
    if channel.type in THREAD_TYPES:
        keep |= {
            "thread_metadata",
            "owner_id",
            "message_count",
            "member_count",
            "total_message_sent",
        }
    return {k: v for k, v in payload.items() if k in keep}


# ================================================================ conversions
def convert_value(option: dict[str, Any], value: Any, resolver: Resolver, command: str) -> Any:
    """Turn a test-supplied value into what Discord sends, validating like the client."""
    otype = option["type"]
    name = option["name"]
    where = f"/{command} {name}"
    if otype == STRING:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError(f"{where}: expected text, got {value!r}")
        value = str(value)
        low, high = max(1, option.get("min_length") or 0), option.get("max_length") or 6000
        if not low <= len(value) <= high:
            raise ValueError(f"{where}: length {len(value)} outside [{low}, {high}]")
    elif otype == INTEGER:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, str))
            or not str(value).lstrip("-").isdigit()
        ):
            raise ValueError(f"{where}: expected an integer, got {value!r}")
        value = int(value)
        _check_range(option, value, where, -_MAX_SAFE_INT, _MAX_SAFE_INT)
    elif otype == NUMBER:
        if isinstance(value, bool):
            raise ValueError(f"{where}: expected a number, got {value!r}")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{where}: expected a number, got {value!r}") from None
        _check_range(option, value, where, -float(_MAX_SAFE_INT), float(_MAX_SAFE_INT))
    elif otype == BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError(f"{where}: expected True/False, got {value!r}")
    elif otype == USER:
        value = resolver.user(value)
    elif otype == ROLE:
        value = resolver.role(value)
    elif otype == MENTIONABLE:
        value = resolver.mentionable(value)
    elif otype == CHANNEL:
        value = resolver.channel(value, option.get("channel_types"))
    elif otype == ATTACHMENT:
        if not (isinstance(value, tuple) and len(value) == 3):
            raise ValueError(f"{where}: attachments are (filename, bytes, content_type) tuples")
        value = resolver.attachment(value)
    elif otype in (SUB_COMMAND, SUB_COMMAND_GROUP):
        raise ValueError(f"{where} is a subcommand; put it in the command path")
    choices = option.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise ValueError(
            f"{where}: {value!r} is not one of the choices {[c['value'] for c in choices]}"
        )
    return value


def _check_range(option: dict[str, Any], value: float, where: str, low: float, high: float) -> None:
    low = option.get("min_value", low) if option.get("min_value") is not None else low
    high = option.get("max_value", high) if option.get("max_value") is not None else high
    if not low <= value <= high:
        raise ValueError(f"{where}: {value} outside [{low}, {high}]")


def find_component(message: dict[str, Any], custom_id: str) -> dict[str, Any]:
    """The enabled component a user can click, by custom_id or (unique) label."""
    components = iter_components(message.get("components"))
    found = next((c for c in components if c.get("custom_id") == custom_id), None)
    if found is None:
        labelled = [c for c in components if c.get("label") == custom_id and c.get("custom_id")]
        found = labelled[0] if len(labelled) == 1 else None
    if found is None:
        present = [c.get("custom_id") for c in components if c.get("custom_id")]
        raise ValueError(
            f"message {message['id']} has no component {custom_id!r}; it has {present}"
        )
    if found.get("disabled"):
        raise ValueError(f"component {custom_id!r} on message {message['id']} is disabled")
    return found


def select_values(
    component: dict[str, Any], values: list[Any] | None, resolver: Resolver
) -> list[str]:
    """Values picked in a select menu, checked against its options and min/max."""
    if values is None:
        raise ValueError(f"select {component['custom_id']!r} needs values=[...]")
    low = component.get("min_values", 1)
    high = component.get("max_values", 1)
    if not low <= len(values) <= high:
        raise ValueError(
            f"select {component['custom_id']!r} takes {low}..{high} values, got {len(values)}"
        )
    ctype = component["type"]
    if ctype == STRING_SELECT:
        allowed = [o["value"] for o in component.get("options") or []]
        bad = [v for v in values if v not in allowed]
        if bad:
            raise ValueError(
                f"select {component['custom_id']!r} has no option(s) {bad}; options: {allowed}"
            )
        return [str(v) for v in values]
    convert: dict[int, Callable[[Any], str]] = {
        USER_SELECT: resolver.user,
        ROLE_SELECT: resolver.role,
        MENTIONABLE_SELECT: resolver.mentionable,
        CHANNEL_SELECT: lambda v: resolver.channel(v, component.get("channel_types")),
    }
    return [convert[ctype](v) for v in values]


def validate_choices(choices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Autocomplete results as Discord checks them (<= 25, names 1..100 chars)."""
    errors = FormErrors()
    if len(choices) > 25:
        errors.max_length(("data", "choices"), 25)
    for i, choice in enumerate(choices):
        if not 1 <= len(choice.get("name") or "") <= 100:
            errors.add(
                ("data", "choices", i, "name"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        if isinstance(choice.get("value"), str) and len(choice["value"]) > 100:
            errors.max_length(("data", "choices", i, "value"), 100)
    errors.raise_if_any()
    return copy.deepcopy(choices)


# ====================================================================== modals
_LABEL_CHILDREN = frozenset(
    {TEXT_INPUT, FILE_UPLOAD, RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX} | SELECT_TYPES
)


def parse_modal(data: dict[str, Any], origin_id: int) -> ModalRecord:
    """Validate a type-9 callback like Discord and record its inputs."""
    errors = FormErrors()
    title = data.get("title") or ""
    if not 1 <= len(title) <= 45:
        errors.add(("data", "title"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
    custom_id = data.get("custom_id") or ""
    if not 1 <= len(custom_id) <= 100:
        errors.add(
            ("data", "custom_id"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    components = number_components(data.get("components"))
    if not 1 <= len(components) <= 5:
        errors.add(
            ("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
        )
    inputs: dict[str, ModalInput] = {}
    for index, comp in enumerate(components):
        path = ("data", "components", index)
        child, label = _modal_child(comp, path, errors)
        if child is None:
            continue
        modal_input = _modal_input(child, label, (*path, "component"), errors)
        if modal_input.custom_id in inputs:
            errors.add(
                (*path, "custom_id"),
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        inputs[modal_input.custom_id] = modal_input
    errors.raise_if_any()
    return ModalRecord(
        title=title, custom_id=custom_id, components=components, inputs=inputs, origin_id=origin_id
    )


def _modal_child(
    comp: dict[str, Any], path: tuple[str | int, ...], errors: FormErrors
) -> tuple[dict[str, Any] | None, str | None]:
    ctype = comp.get("type")
    if ctype == 1:
        children = comp.get("components") or []
        if len(children) != 1 or children[0].get("type") != TEXT_INPUT:
            errors.add(
                path,
                "MODAL_ACTION_ROW_INVALID",
                "Action rows in modals hold exactly one text input",
            )
            return None, None
        label = children[0].get("label") or ""
        if not 1 <= len(label) <= 45:
            errors.add(
                (*path, "components", 0, "label"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 45 in length.",
            )
        return children[0], label
    if ctype == LABEL:
        label = comp.get("label") or ""
        if not 1 <= len(label) <= 45:
            errors.add(
                (*path, "label"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length."
            )
        if len(comp.get("description") or "") > 100:
            errors.max_length((*path, "description"), 100)
        child = comp.get("component") or {}
        if child.get("type") not in _LABEL_CHILDREN:
            errors.add(
                (*path, "component"),
                "UNION_TYPE_CHOICES",
                f"Component type {child.get('type')} not allowed in a label",
            )
            return None, None
        return child, label
    if ctype == TEXT_DISPLAY:
        return None, None
    errors.add(
        (*path, "type"), "UNION_TYPE_CHOICES", f"Component type {ctype} is not allowed in modals"
    )
    return None, None


def _modal_input(
    child: dict[str, Any], label: str | None, path: tuple[str | int, ...], errors: FormErrors
) -> ModalInput:
    custom_id = child.get("custom_id") or ""
    if not 1 <= len(custom_id) <= 100:
        errors.add(
            (*path, "custom_id"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    ctype = child["type"]
    if ctype == TEXT_INPUT:
        min_len, max_len = child.get("min_length"), child.get("max_length")
        if min_len is not None and not 0 <= min_len <= 4000:
            errors.add((*path, "min_length"), "NUMBER_TYPE_MAX", "min_length must be 0..4000")
        if max_len is not None and not 1 <= max_len <= 4000:
            errors.add((*path, "max_length"), "NUMBER_TYPE_MAX", "max_length must be 1..4000")
        value = child.get("value")
        if value is not None and len(value) > (max_len or 4000):
            errors.max_length((*path, "value"), max_len or 4000)
        if child.get("style") not in (1, 2):
            errors.add((*path, "style"), "UNION_TYPE_CHOICES", "style must be 1 or 2")
        return ModalInput(
            custom_id,
            ctype,
            label,
            value,
            child.get("required", True),
            min_len,
            max_len,
            child.get("style"),
        )
    options = [o.get("value") for o in child.get("options") or []]
    defaults: Any = [o["value"] for o in child.get("options") or [] if o.get("default")]
    if ctype == CHECKBOX:
        defaults = bool(child.get("default", False))
    elif ctype == RADIO_GROUP:
        defaults = defaults[0] if defaults else None
    return ModalInput(
        custom_id,
        ctype,
        label,
        defaults,
        child.get("required", True),
        options=options,
        min_values=child.get("min_values"),
        max_values=child.get("max_values"),
    )


def submit_component(
    comp: dict[str, Any], values: dict[str, Any], modal: ModalRecord, resolver: Resolver
) -> dict[str, Any]:
    """One top-level component of the MODAL_SUBMIT data, in the structure the bot used."""
    ctype = comp["type"]
    if ctype == TEXT_DISPLAY:
        return {"type": TEXT_DISPLAY, "id": comp.get("id"), "content": comp.get("content", "")}
    child = comp["components"][0] if ctype == 1 else comp["component"]
    submitted = _submit_value(modal.inputs[child["custom_id"]], values, resolver)
    submitted["id"] = child.get("id")
    if ctype == 1:
        return {"type": 1, "id": comp.get("id"), "components": [submitted]}
    return {"type": LABEL, "id": comp.get("id"), "component": submitted}


def _submit_value(spec: ModalInput, values: dict[str, Any], resolver: Resolver) -> dict[str, Any]:
    given = spec.custom_id in values
    value = values[spec.custom_id] if given else spec.value
    where = f"modal input {spec.custom_id!r} ({spec.label})"
    base: dict[str, Any] = {"type": spec.type, "custom_id": spec.custom_id}
    if spec.type == TEXT_INPUT:
        text = "" if value is None else str(value)
        if spec.required and not text:
            raise ValueError(f"{where} is required")
        if len(text) > (spec.max_length or 4000):
            raise ValueError(f"{where}: {len(text)} characters, max {spec.max_length or 4000}")
        if text and spec.min_length and len(text) < spec.min_length:
            raise ValueError(f"{where}: {len(text)} characters, min {spec.min_length}")
        return {**base, "value": text}
    if spec.type == CHECKBOX:
        return {**base, "value": bool(value)}
    if spec.type == RADIO_GROUP:
        if value is None and spec.required:
            raise ValueError(f"{where} is required")
        if value is not None and value not in spec.options:
            raise ValueError(f"{where}: {value!r} not in {spec.options}")
        return {**base, "value": value}
    chosen = list(value or []) if not isinstance(value, tuple) else [value]
    low = spec.min_values if spec.min_values is not None else (1 if spec.required else 0)
    high = (
        spec.max_values if spec.max_values is not None else (10 if spec.type == FILE_UPLOAD else 1)
    )
    if not low <= len(chosen) <= high:
        raise ValueError(f"{where} takes {low}..{high} values, got {len(chosen)}")
    if spec.type in (STRING_SELECT, CHECKBOX_GROUP):
        bad = [v for v in chosen if v not in spec.options]
        if bad:
            raise ValueError(f"{where}: {bad} not in {spec.options}")
        return {**base, "values": [str(v) for v in chosen]}
    if spec.type == FILE_UPLOAD:
        return {**base, "values": [resolver.attachment(v) for v in chosen]}
    convert: dict[int, Callable[[Any], str]] = {
        USER_SELECT: resolver.user,
        ROLE_SELECT: resolver.role,
        MENTIONABLE_SELECT: resolver.mentionable,
        CHANNEL_SELECT: lambda v: resolver.channel(v, None),
    }
    return {**base, "values": [convert[spec.type](v) for v in chosen]}
