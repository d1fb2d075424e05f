"""Interactions of the fake Discord.

* Building INTERACTION_CREATE payloads exactly like Discord for slash commands,
  autocomplete, component clicks and modal submits, after validating the input the
  way the Discord client does (a test cannot send what a user could not).
* The callback endpoint (3 s acknowledgement deadline, single acknowledgement,
  ``with_response`` bodies) and the interaction webhook routes (@original,
  followups, token expiry after 15 minutes).
* ``InteractionHandle``: what a test holds to observe how the bot answered.
"""

from __future__ import annotations

import copy
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.fakes.fake_discord_commands import (
    ATTACHMENT,
    BOOLEAN,
    CHANNEL,
    CHAT_INPUT,
    INTEGER,
    MENTIONABLE,
    NUMBER,
    ROLE,
    STRING,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    USER,
    CommandUnavailable,
    ResolvedCommand,
)
from tests.fakes.fake_discord_http import (
    ApiError,
    ApiRequest,
    ApiResponse,
    FormErrors,
    invalid_webhook_token,
    unknown_interaction,
    unknown_message,
    unknown_webhook,
)
from tests.fakes.fake_discord_messages import (
    EPHEMERAL,
    LOADING,
    SELECT_TYPES,
    MessageRecord,
    StoredFile,
    attachment_payload,
    guess_content_type,
    iter_components,
    number_components,
)
from tests.fakes.fake_discord_world import (
    ALL_PERMISSIONS,
    DM_APP_PERMISSIONS,
    THREAD_TYPES,
    ChannelState,
    Perm,
    World,
)

if TYPE_CHECKING:
    from tests.fakes.fake_discord import FakeDiscord

logger = logging.getLogger(__name__)

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
PONG, CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 1, 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL, LAUNCH_ACTIVITY = 8, 9, 12
TEXT_INPUT, TEXT_DISPLAY, LABEL, FILE_UPLOAD = 4, 10, 18, 19
RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX = 21, 22, 23
STRING_SELECT, USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT = 3, 5, 6, 7, 8
_MAX_SAFE_INT = 2**53

_ALLOWED_CALLBACKS: dict[int, frozenset[int]] = {
    APPLICATION_COMMAND: frozenset({CHANNEL_MESSAGE, DEFERRED_MESSAGE, MODAL, LAUNCH_ACTIVITY}),
    MESSAGE_COMPONENT: frozenset(
        {CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL, LAUNCH_ACTIVITY}
    ),
    AUTOCOMPLETE: frozenset({AUTOCOMPLETE_RESULT}),
    MODAL_SUBMIT: frozenset({CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE}),
}

UserRef = str | int
FileSpec = tuple[str, bytes, str]


# ===================================================================== records
@dataclass
class InteractionCallback:
    """The bot's first answer to an interaction."""

    type: int
    data: dict[str, Any] | None
    latency: float
    """Seconds between the dispatch and the callback reaching the fake."""


@dataclass
class ModalInput:
    """One input of a modal the bot opened, with its prefilled value."""

    custom_id: str
    type: int
    label: str | None
    value: Any
    required: bool
    min_length: int | None = None
    max_length: int | None = None
    style: int | None = None
    options: list[str] = field(default_factory=list)
    min_values: int | None = None
    max_values: int | None = None


@dataclass
class ModalRecord:
    """A modal (callback type 9) as the bot sent it."""

    title: str
    custom_id: str
    components: list[dict[str, Any]]
    inputs: dict[str, ModalInput]
    origin_id: int
    """Interaction that opened the modal (its context is reused on submit)."""

    def find(self, key: str) -> ModalInput:
        """An input by custom_id, or by its visible label."""
        if key in self.inputs:
            return self.inputs[key]
        matches = [i for i in self.inputs.values() if i.label == key]
        if len(matches) == 1:
            return matches[0]
        raise ValueError(f"modal {self.custom_id!r} has no input {key!r}; inputs: {self.describe()}")

    def describe(self) -> list[str]:
        """``custom_id (label)`` of every input, for error messages."""
        return [f"{i.custom_id} ({i.label})" for i in self.inputs.values()]


@dataclass
class InteractionRecord:
    """Server-side state of one interaction."""

    id: int
    token: str
    type: int
    user_id: int
    guild_id: int | None
    channel_id: int
    created: float
    payload: dict[str, Any]
    name: str
    metadata: dict[str, Any]
    response_message_type: int = 0
    message_id: int | None = None
    callback: InteractionCallback | None = None
    original_id: int | None = None
    original_versions_at_ack: int = 0
    followup_ids: list[int] = field(default_factory=list)
    modal: ModalRecord | None = None
    choices: list[dict[str, Any]] | None = None
    rejections: list[str] = field(default_factory=list)


# ====================================================================== handle
def message_text(message: dict[str, Any] | None) -> str:
    """Human-visible text of a message: content, embeds, components-v2 text."""
    if not message:
        return ""
    parts: list[str] = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        for fld in embed.get("fields") or []:
            parts += [fld.get("name") or "", fld.get("value") or ""]
        parts.append((embed.get("footer") or {}).get("text") or "")
    parts += [c.get("content") or "" for c in iter_components(message.get("components")) if c.get("type") == TEXT_DISPLAY]
    return "\n".join(p for p in parts if p)


class InteractionHandle:
    """A test's view of one interaction and everything the bot did with it."""

    def __init__(self, record: InteractionRecord, manager: InteractionManager) -> None:
        self._record = record
        self._manager = manager

    def __repr__(self) -> str:
        return f"<InteractionHandle {self.name!r} id={self.id} type={self._record.type} response={self.response}>"

    # identity
    @property
    def id(self) -> int:
        """Interaction id."""
        return self._record.id

    @property
    def token(self) -> str:
        """Interaction token (valid for ``fake.interaction_token_ttl``)."""
        return self._record.token

    @property
    def user_id(self) -> int:
        """Who triggered it."""
        return self._record.user_id

    @property
    def type(self) -> int:
        """Interaction type (2 command, 3 component, 4 autocomplete, 5 modal submit)."""
        return self._record.type

    @property
    def name(self) -> str:
        """Command path, or the custom_id of the component/modal."""
        return self._record.name

    @property
    def guild_id(self) -> int | None:
        """Guild of the interaction (None in DMs)."""
        return self._record.guild_id

    @property
    def channel_id(self) -> int:
        """Channel of the interaction."""
        return self._record.channel_id

    @property
    def payload(self) -> dict[str, Any]:
        """The INTERACTION_CREATE data that was dispatched."""
        return self._record.payload

    # response
    @property
    def response(self) -> InteractionCallback | None:
        """The first callback, once the bot sent it."""
        return self._record.callback

    async def wait_response(self, timeout: float = 5.0) -> InteractionCallback:
        """Wait for the bot's callback (type + data)."""
        return await self._manager.notifier.wait_for(
            lambda: self._record.callback, timeout, lambda: self._describe_timeout("a callback", timeout)
        )

    @property
    def deferred(self) -> bool:
        """Whether the bot answered with a deferral (type 5 or 6)."""
        cb = self._record.callback
        return cb is not None and cb.type in (DEFERRED_MESSAGE, DEFERRED_UPDATE)

    @property
    def ephemeral(self) -> bool:
        """Whether the response (or @original) is only visible to the user."""
        cb = self._record.callback
        flags = int(((cb.data or {}) if cb else {}).get("flags") or 0)
        original = self.original
        if original is not None:
            flags |= int(original.get("flags") or 0)
        return bool(flags & EPHEMERAL)

    @property
    def ack_latency(self) -> float | None:
        """Seconds from dispatch to callback."""
        cb = self._record.callback
        return None if cb is None else cb.latency

    @property
    def rejections(self) -> list[str]:
        """Callback/webhook attempts the fake refused (late ack, double ack...)."""
        return list(self._record.rejections)

    @property
    def modal(self) -> ModalRecord | None:
        """The modal the bot opened (callback type 9)."""
        return self._record.modal

    @property
    def choices(self) -> list[dict[str, Any]] | None:
        """Autocomplete choices the bot returned (callback type 8)."""
        return self._record.choices

    # messages
    @property
    def original_record(self) -> MessageRecord | None:
        """The @original message record (with history, files, allowed_mentions)."""
        oid = self._record.original_id
        return None if oid is None else self._manager.store.get(oid)

    @property
    def original(self) -> dict[str, Any] | None:
        """Current @original message, or None (none yet, or deleted)."""
        record = self.original_record
        return None if record is None or record.deleted else copy.deepcopy(record.current)

    @property
    def original_history(self) -> list[dict[str, Any]]:
        """Every version of @original, oldest first."""
        record = self.original_record
        return [] if record is None else copy.deepcopy(record.history)

    @property
    def followups(self) -> list[dict[str, Any]]:
        """Current followup messages (the first followup after a type-5 deferral
        fills @original instead, as on Discord, and is not listed here)."""
        out = []
        for mid in self._record.followup_ids:
            record = self._manager.store.get(mid)
            if record is not None and not record.deleted:
                out.append(copy.deepcopy(record.current))
        return out

    @property
    def messages(self) -> list[dict[str, Any]]:
        """@original (if any) followed by the followups."""
        original = self.original
        return ([original] if original else []) + self.followups

    def text(self) -> str:
        """All visible text of @original and followups, joined by newlines."""
        return "\n".join(t for t in (message_text(m) for m in self.messages) if t)

    async def wait_final(
        self, predicate: Callable[[dict[str, Any]], bool] | None = None, timeout: float = 10.0
    ) -> dict[str, Any]:
        """Wait until @original satisfies ``predicate`` (default: exists, no longer
        "thinking", not empty, and for type-6 deferrals edited after the ack)."""
        check = predicate or self._default_final

        def ready() -> dict[str, Any] | None:
            original = self.original
            return original if original is not None and check(original) else None

        return await self._manager.notifier.wait_for(
            ready, timeout, lambda: self._describe_timeout("a final @original", timeout)
        )

    async def wait_followups(self, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` followups exist."""
        return await self._manager.notifier.wait_for(
            lambda: self.followups if len(self.followups) >= count else None,
            timeout,
            lambda: self._describe_timeout(f"{count} followup(s)", timeout),
        )

    def _default_final(self, original: dict[str, Any]) -> bool:
        if int(original.get("flags") or 0) & LOADING:
            return False
        cb = self._record.callback
        record = self.original_record
        if cb is not None and cb.type == DEFERRED_UPDATE and record is not None:
            return len(record.versions) > self._record.original_versions_at_ack
        return bool(message_text(original) or original.get("components") or original.get("attachments"))

    def _describe_timeout(self, what: str, timeout: float) -> str:
        state = f"response={self._record.callback}, original={self.original}"
        extra = f"; refused attempts: {self._record.rejections}" if self._record.rejections else ""
        return f"bot did not produce {what} for {self.name!r} (interaction {self.id}) within {timeout}s: {state}{extra}"


# ===================================================================== resolver
class _Resolved:
    """Accumulates ``data.resolved`` entries for users, members, roles, channels,
    attachments, computed for the invoking user like Discord does."""

    def __init__(self, manager: InteractionManager, guild_id: int | None, channel_id: int, user_id: int) -> None:
        self._m = manager
        self._world = manager.world
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.user_id = user_id
        self.data: dict[str, dict[str, Any]] = {}

    def user(self, ref: Any) -> str:
        uid = self._world.user_id(_ref_id(ref))
        if self.guild_id is not None and self._world.member(self.guild_id, uid) is None:
            raise ValueError(f"user {ref!r} is not a member of guild {self.guild_id}")
        self.data.setdefault("users", {})[str(uid)] = self._world.user_payload(uid)
        if self.guild_id is not None:
            member = self._world.member_payload(self.guild_id, uid, with_user=False, channel_id=self.channel_id)
            self.data.setdefault("members", {})[str(uid)] = member
        return str(uid)

    def role(self, ref: Any) -> str:
        if self.guild_id is None:
            raise ValueError("roles cannot be picked in a DM")
        role = self._world.find_role(self.guild_id, _ref_id(ref))
        self.data.setdefault("roles", {})[str(role.id)] = self._world.role_payload(role)
        return str(role.id)

    def mentionable(self, ref: Any) -> str:
        try:
            return self.user(ref)
        except (KeyError, ValueError):
            return self.role(ref)

    def channel(self, ref: Any, channel_types: list[int] | None) -> str:
        channel = self._world.all_channels[self._world.channel_id(_ref_id(ref))]
        if channel.guild_id != self.guild_id or self.guild_id is None:
            raise ValueError(f"channel {ref!r} cannot be picked here (not in guild {self.guild_id})")
        if channel_types and channel.type not in channel_types:
            raise ValueError(f"channel {ref!r} has type {channel.type}, option allows {channel_types}")
        if not self._world.has_permission(channel.id, self.user_id, Perm.VIEW_CHANNEL):
            raise ValueError(f"user cannot see channel {ref!r}")
        self.data.setdefault("channels", {})[str(channel.id)] = _resolved_channel(self._world, channel, self.user_id)
        return str(channel.id)

    def attachment(self, spec: FileSpec) -> str:
        filename, data, content_type = spec
        limit = self._m.fake.attachment_size_limit
        if len(data) > limit:
            raise ValueError(f"{filename} is {len(data)} bytes; users can upload at most {limit}")
        stored = StoredFile(self._world.snowflakes.next(), filename, data, guess_content_type(filename, content_type))
        self._m.store.cdn[stored.attachment_id] = stored
        payload = attachment_payload(stored, self._m.fake.http_base, self.channel_id, None)
        payload["ephemeral"] = True
        self.data.setdefault("attachments", {})[str(stored.attachment_id)] = payload
        return str(stored.attachment_id)


def _ref_id(ref: Any) -> str | int:
    if isinstance(ref, dict):
        return int(ref["id"])
    return ref


def _resolved_channel(world: World, channel: ChannelState, user_id: int) -> dict[str, Any]:
    payload = world.channel_payload(channel, for_user=user_id)
    keep = {"id", "name", "type", "permissions", "parent_id", "topic", "nsfw", "position", "last_message_id", "flags", "rate_limit_per_user", "guild_id"}
    if channel.type in THREAD_TYPES:
        keep |= {"thread_metadata", "owner_id", "message_count", "member_count", "total_message_sent"}
    return {k: v for k, v in payload.items() if k in keep}


# ====================================================================== manager
class InteractionManager:
    """Creates interactions, dispatches them, and serves their REST endpoints."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.world = fake.world
        self.store = fake.store
        self.messages = fake.messages
        self.notifier = fake.notifier
        self.records: dict[int, InteractionRecord] = {}
        self._by_token: dict[str, InteractionRecord] = {}

    # -------------------------------------------------------------- context
    def _context(self, user_id: int, guild: int | str | None, channel: int | str | None) -> tuple[int | None, int]:
        """(guild_id, channel_id) of an invocation, checked for visibility."""
        world = self.world
        if guild == "dm":
            return None, world.dm_channel(user_id).id
        if guild is None and channel is not None:
            guild_id = world.all_channels[world.channel_id(channel)].guild_id
        else:
            guild_id = world.home_guild_id if guild is None else int(guild)
        if guild_id is None:
            return None, world.dm_channel(user_id).id
        if guild_id not in world.guilds:
            raise ValueError(f"unknown guild {guild!r}")
        if channel is None:
            channel_id = world.channels["general" if guild_id == world.home_guild_id else "news"]
            if world.all_channels[channel_id].guild_id != guild_id:
                channel_id = world.guilds[guild_id].channel_ids[0]
        else:
            channel_id = world.channel_id(channel)
        if world.all_channels[channel_id].guild_id != guild_id:
            raise ValueError(f"channel {channel!r} is not in guild {guild_id}")
        if world.member(guild_id, user_id) is None:
            raise CommandUnavailable(f"user {user_id} is not a member of guild {guild_id}")
        needed = Perm.VIEW_CHANNEL | Perm.USE_APPLICATION_COMMANDS
        if not world.has_permission(channel_id, user_id, needed):
            raise CommandUnavailable(f"user {user_id} cannot use application commands in channel {channel_id}")
        return guild_id, channel_id

    def _user_permissions(self, guild_id: int | None, channel_id: int, user_id: int) -> int:
        return ALL_PERMISSIONS if guild_id is None else self.world.channel_permissions(channel_id, user_id)

    # -------------------------------------------------------------- payload
    def _new_interaction(
        self,
        *,
        itype: int,
        user_id: int,
        guild_id: int | None,
        channel_id: int,
        data: dict[str, Any],
        name: str,
        message: dict[str, Any] | None = None,
        locale: str = "en-US",
        metadata_extra: dict[str, Any] | None = None,
    ) -> InteractionRecord:
        world = self.world
        iid = world.snowflakes.next()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(96)
        owners = {"0": str(guild_id) if guild_id is not None else "0"}
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(world.application_id),
            "type": itype,
            "data": data,
            "token": token,
            "version": 1,
            "channel_id": str(channel_id),
            "channel": world.channel_payload(world.all_channels[channel_id], for_user=user_id),
            "app_permissions": str(
                DM_APP_PERMISSIONS if guild_id is None else world.channel_permissions(channel_id, world.bot_user_id)
            ),
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": owners,
            "context": 0 if guild_id is not None else 1,
            "attachment_size_limit": self.fake.attachment_size_limit,
        }
        if guild_id is not None:
            guild = world.guilds[guild_id]
            payload.update(
                guild_id=str(guild_id),
                guild={"id": str(guild_id), "locale": "en-US", "features": list(guild.features)},
                guild_locale="en-US",
                member=world.member_payload(guild_id, user_id, channel_id=channel_id),
            )
        else:
            payload["user"] = world.user_payload(user_id)
        if message is not None:
            payload["message"] = message
        metadata = {
            "id": str(iid),
            "type": itype,
            "user": world.user_payload(user_id),
            "authorizing_integration_owners": owners,
            **(metadata_extra or {}),
        }
        record = InteractionRecord(
            id=iid,
            token=token,
            type=itype,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            created=time.monotonic(),
            payload=payload,
            name=name,
            metadata=metadata,
        )
        self.records[iid] = record
        self._by_token[token] = record
        return record

    def _dispatch(self, record: InteractionRecord) -> InteractionHandle:
        if not self.fake.gateway.has_session():
            raise RuntimeError("no bot session on the fake gateway; start the bot and await fake.wait_until_connected()")
        self.fake.gateway.dispatch("INTERACTION_CREATE", copy.deepcopy(record.payload))
        logger.debug("dispatched interaction %s (%s)", record.id, record.name)
        return InteractionHandle(record, self)

    # ------------------------------------------------------ slash commands
    async def invoke(
        self,
        user: UserRef,
        command: str,
        options: dict[str, Any] | None,
        *,
        guild: int | str | None,
        channel: int | str | None,
        attachments: dict[str, FileSpec] | None,
        locale: str,
    ) -> InteractionHandle:
        """Build, validate and dispatch an APPLICATION_COMMAND interaction."""
        user_id = self.world.user_id(user)
        guild_id, channel_id = self._context(user_id, guild, channel)
        resolved_cmd = self.fake.commands.resolve(
            command.lstrip("/"), guild_id=guild_id, user_permissions=self._user_permissions(guild_id, channel_id, user_id)
        )
        resolver = _Resolved(self, guild_id, channel_id, user_id)
        values = dict(options or {})
        for name, spec in (attachments or {}).items():
            values[name] = spec
        leaf = self._convert_options(resolved_cmd, values, resolver)
        data = self._command_data(resolved_cmd, leaf, resolver.data)
        record = self._new_interaction(
            itype=APPLICATION_COMMAND,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            data=data,
            name=resolved_cmd.qualified_name,
            locale=locale,
            metadata_extra={"name": resolved_cmd.qualified_name, "command_type": CHAT_INPUT},
        )
        record.response_message_type = 20
        return self._dispatch(record)

    async def autocomplete(
        self,
        user: UserRef,
        command: str,
        options: dict[str, Any] | None,
        focused: str,
        *,
        guild: int | str | None,
        channel: int | str | None,
        timeout: float,
    ) -> list[dict[str, Any]]:
        """Dispatch an AUTOCOMPLETE interaction and return the bot's choices."""
        user_id = self.world.user_id(user)
        guild_id, channel_id = self._context(user_id, guild, channel)
        resolved_cmd = self.fake.commands.resolve(
            command.lstrip("/"), guild_id=guild_id, user_permissions=self._user_permissions(guild_id, channel_id, user_id)
        )
        schema = {o["name"]: o for o in resolved_cmd.leaf_options}
        if focused not in schema:
            raise ValueError(f"/{resolved_cmd.qualified_name} has no option {focused!r}; options: {sorted(schema)}")
        if not schema[focused].get("autocomplete"):
            raise ValueError(f"option {focused!r} of /{resolved_cmd.qualified_name} has no autocomplete")
        values = dict(options or {})
        values.setdefault(focused, "")
        leaf = []
        for name, value in values.items():
            if name not in schema:
                raise ValueError(f"/{resolved_cmd.qualified_name} has no option {name!r}; options: {sorted(schema)}")
            entry: dict[str, Any] = {"type": schema[name]["type"], "name": name, "value": value}
            if name == focused:
                entry["focused"] = True
            elif schema[name]["type"] in (USER, CHANNEL, ROLE, MENTIONABLE):
                entry["value"] = str(_ref_id(value))
            leaf.append(entry)
        data = self._command_data(resolved_cmd, leaf, {})
        record = self._new_interaction(
            itype=AUTOCOMPLETE,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            data=data,
            name=resolved_cmd.qualified_name,
        )
        handle = self._dispatch(record)
        await handle.wait_response(timeout)
        return copy.deepcopy(record.choices or [])

    def _command_data(
        self, resolved_cmd: ResolvedCommand, leaf: list[dict[str, Any]], resolved: dict[str, Any]
    ) -> dict[str, Any]:
        command = resolved_cmd.command
        options = leaf
        node_options = command.get("options") or []
        wrappers: list[dict[str, Any]] = []
        for name in resolved_cmd.path[1:]:
            node = next(o for o in node_options if o["name"] == name)
            wrappers.append({"type": node["type"], "name": name})
            node_options = node.get("options") or []
        for wrapper in reversed(wrappers):
            wrapper["options"] = options
            options = [wrapper]
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": command["type"],
        }
        if options:
            data["options"] = options
        if resolved:
            data["resolved"] = resolved
        if resolved_cmd.scope is not None:
            data["guild_id"] = str(resolved_cmd.scope)
        return data

    def _convert_options(
        self, resolved_cmd: ResolvedCommand, values: dict[str, Any], resolver: _Resolved
    ) -> list[dict[str, Any]]:
        schema = {o["name"]: o for o in resolved_cmd.leaf_options}
        unknown = set(values) - set(schema)
        if unknown:
            raise ValueError(f"/{resolved_cmd.qualified_name} has no option(s) {sorted(unknown)}; options: {sorted(schema)}")
        out = []
        for option in resolved_cmd.leaf_options:
            name = option["name"]
            if name not in values or values[name] is None:
                if option.get("required"):
                    raise ValueError(f"/{resolved_cmd.qualified_name}: missing required option {name!r}")
                continue
            value = _convert_value(option, values[name], resolver, resolved_cmd.qualified_name)
            out.append({"type": option["type"], "name": name, "value": value})
        return out

    # ---------------------------------------------------------- components
    async def click(
        self,
        user: UserRef,
        message: Any,
        custom_id: str,
        *,
        values: list[Any] | None,
    ) -> InteractionHandle:
        """Dispatch a MESSAGE_COMPONENT interaction for a component on a message."""
        user_id = self.world.user_id(user)
        record = self._message_for_click(message)
        self._check_can_see(record, user_id)
        component = _find_component(record.current, custom_id)
        channel = self.world.all_channels[record.channel_id]
        guild_id = channel.guild_id
        resolver = _Resolved(self, guild_id, record.channel_id, user_id)
        data: dict[str, Any] = {"custom_id": component["custom_id"], "component_type": component["type"]}
        if "id" in component:
            data["id"] = component["id"]
        if component["type"] in SELECT_TYPES:
            data["values"] = _select_values(component, values, resolver)
            if resolver.data:
                data["resolved"] = resolver.data
        elif values is not None:
            raise ValueError(f"component {custom_id!r} is a button; values are only for select menus")
        interaction = self._new_interaction(
            itype=MESSAGE_COMPONENT,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=record.channel_id,
            data=data,
            name=component["custom_id"],
            message=copy.deepcopy(record.current),
            metadata_extra={"interacted_message_id": str(record.id)},
        )
        interaction.message_id = record.id
        return self._dispatch(interaction)

    def _message_for_click(self, message: Any) -> MessageRecord:
        if isinstance(message, InteractionHandle):
            if message.original_record is None:
                raise ValueError(f"{message!r} has no @original message to click on")
            mid = message.original_record.id
        elif isinstance(message, dict):
            mid = int(message["id"])
        elif isinstance(message, tuple):
            mid = int(message[1])
        else:
            mid = int(message)
        record = self.store.get(mid)
        if record is None or record.deleted:
            raise ValueError(f"message {mid} does not exist (or was deleted); nothing to click")
        return record

    def _check_can_see(self, record: MessageRecord, user_id: int) -> None:
        channel = self.world.all_channels[record.channel_id]
        if record.ephemeral and record.interaction_id is not None:
            owner = self.records[record.interaction_id].user_id
            if owner != user_id:
                raise ValueError(f"message {record.id} is ephemeral for user {owner}; user {user_id} cannot see it")
        if channel.guild_id is None:
            if channel.recipient_id != user_id:
                raise ValueError(f"user {user_id} is not in DM channel {channel.id}")
        elif not self.world.has_permission(channel.id, user_id, Perm.VIEW_CHANNEL):
            raise ValueError(f"user {user_id} cannot see channel {channel.id}")

    # --------------------------------------------------------------- modals
    async def submit_modal(
        self, user: UserRef, handle_or_modal: InteractionHandle | ModalRecord, values: dict[str, Any]
    ) -> InteractionHandle:
        """Dispatch a MODAL_SUBMIT for a modal the bot opened."""
        if isinstance(handle_or_modal, InteractionHandle):
            if handle_or_modal.response is None:
                await handle_or_modal.wait_response()
            modal = handle_or_modal.modal
            if modal is None:
                raise ValueError(f"the bot answered {handle_or_modal!r} without opening a modal")
        else:
            modal = handle_or_modal
        origin = self.records[modal.origin_id]
        user_id = self.world.user_id(user)
        if user_id != origin.user_id:
            raise ValueError(f"modal {modal.custom_id!r} was shown to user {origin.user_id}, not {user_id}")
        resolver = _Resolved(self, origin.guild_id, origin.channel_id, user_id)
        by_id = {}
        for key, value in values.items():
            by_id[modal.find(key).custom_id] = value
        components = [_submit_component(c, by_id, modal, resolver) for c in modal.components]
        data: dict[str, Any] = {"custom_id": modal.custom_id, "components": components}
        if resolver.data:
            data["resolved"] = resolver.data
        message = None
        if origin.message_id is not None:
            source = self.store.get(origin.message_id)
            message = copy.deepcopy(source.current) if source is not None and not source.deleted else None
        record = self._new_interaction(
            itype=MODAL_SUBMIT,
            user_id=user_id,
            guild_id=origin.guild_id,
            channel_id=origin.channel_id,
            data=data,
            name=modal.custom_id,
            message=message,
            metadata_extra={"triggering_interaction_metadata": copy.deepcopy(origin.metadata)},
        )
        record.message_id = origin.message_id if message is not None else None
        return self._dispatch(record)

    # ============================================================ REST side
    async def handle_callback(self, req: ApiRequest) -> ApiResponse:
        """POST /interactions/{id}/{token}/callback."""
        record = self.records.get(int(req.params["webhook_id"])) if req.params["webhook_id"].isdigit() else None
        if record is None or record.token != req.params["webhook_token"]:
            raise unknown_interaction()
        body = req.body or {}
        ctype = int(body.get("type") or 0)
        data = body.get("data") or {}
        elapsed = time.monotonic() - record.created
        if record.callback is not None:
            raise self._reject(record, ApiError(400, 40060, "Interaction has already been acknowledged."))
        if elapsed > self.fake.interaction_ack_timeout:
            raise self._reject(record, unknown_interaction(), f"callback after {elapsed:.2f}s")
        if ctype not in _ALLOWED_CALLBACKS.get(record.type, frozenset()) or (
            ctype in (DEFERRED_UPDATE, UPDATE_MESSAGE) and record.message_id is None
        ):
            raise self._reject(record, _bad_callback_type(ctype))
        try:
            resource = self._apply_callback(record, ctype, data, req)
        except ApiError as exc:
            raise self._reject(record, exc) from None
        record.callback = InteractionCallback(ctype, copy.deepcopy(data) if data else None, elapsed)
        self.notifier.notify()
        if not req.flag("with_response"):
            return ApiResponse(status=204)
        return ApiResponse(self._callback_body(record, ctype, resource))

    def _reject(self, record: InteractionRecord, error: ApiError, detail: str = "") -> ApiError:
        record.rejections.append(f"{error.status} {error.code} {error.message} {detail}".strip())
        logger.info("interaction %s: refused callback: %s", record.id, record.rejections[-1])
        self.notifier.notify()
        return error

    def _apply_callback(
        self, record: InteractionRecord, ctype: int, data: dict[str, Any], req: ApiRequest
    ) -> dict[str, Any] | None:
        if ctype == CHANNEL_MESSAGE:
            message = self._create_response_message(record, data, req)
            record.original_id = message.id
            return {"type": ctype, "message": copy.deepcopy(message.current)}
        if ctype == DEFERRED_MESSAGE:
            body = {"flags": int(data.get("flags") or 0) & EPHEMERAL}
            message = self._create_response_message(record, body, req, extra_flags=LOADING)
            record.original_id = message.id
            return {"type": ctype, "message": copy.deepcopy(message.current)}
        if ctype in (DEFERRED_UPDATE, UPDATE_MESSAGE):
            target = self.store.get(record.message_id or 0)
            if target is None or target.deleted:
                raise unknown_message()
            if ctype == UPDATE_MESSAGE:
                self.messages.edit(target, data, req.files)
            record.original_id = target.id
            record.original_versions_at_ack = len(target.versions)
            return {"type": ctype, "message": copy.deepcopy(target.current)} if ctype == UPDATE_MESSAGE else None
        if ctype == AUTOCOMPLETE_RESULT:
            record.choices = _validate_choices(data.get("choices") or [])
            return None
        if ctype == MODAL:
            record.modal = parse_modal(data, record.id)
            return None
        if ctype == LAUNCH_ACTIVITY:
            return {"type": ctype, "activity_instance": {"id": secrets.token_hex(8)}}
        raise _bad_callback_type(ctype)

    def _create_response_message(
        self, record: InteractionRecord, body: dict[str, Any], req: ApiRequest, *, extra_flags: int = 0
    ) -> MessageRecord:
        metadata = copy.deepcopy(record.metadata)
        if record.original_id is not None:
            metadata["original_response_message_id"] = str(record.original_id)
        extra: dict[str, Any] = {}
        if record.type == APPLICATION_COMMAND:
            extra["interaction"] = {
                "id": str(record.id),
                "type": record.type,
                "name": record.name,
                "user": self.world.user_payload(record.user_id),
            }
        return self.messages.create(
            channel_id=record.channel_id,
            author_id=self.world.bot_user_id,
            body=body,
            files=req.files,
            message_type=record.response_message_type,
            extra_flags=extra_flags,
            interaction_id=record.id,
            interaction_metadata=metadata,
            webhook_id=self.world.application_id,
            extra=extra,
        )

    def _callback_body(self, record: InteractionRecord, ctype: int, resource: dict[str, Any] | None) -> dict[str, Any]:
        interaction: dict[str, Any] = {"id": str(record.id), "type": record.type}
        message = (resource or {}).get("message")
        if message is not None:
            flags = int(message.get("flags") or 0)
            interaction.update(
                response_message_id=message["id"],
                response_message_loading=bool(flags & LOADING),
                response_message_ephemeral=bool(flags & EPHEMERAL),
            )
        if resource and "activity_instance" in resource:
            interaction["activity_instance_id"] = resource["activity_instance"]["id"]
        body: dict[str, Any] = {"interaction": interaction}
        if resource is not None:
            body["resource"] = resource
        return body

    # ------------------------------------------------------------- webhooks
    def _record_for_token(self, req: ApiRequest) -> InteractionRecord:
        record = self._by_token.get(req.params["webhook_token"])
        if record is None:
            raise invalid_webhook_token()
        if req.params["webhook_id"] != str(self.world.application_id):
            raise unknown_webhook()
        if time.monotonic() - record.created > self.fake.interaction_token_ttl:
            raise self._reject(record, invalid_webhook_token(), "token expired")
        if record.callback is None or record.callback.type == AUTOCOMPLETE_RESULT:
            raise self._reject(record, unknown_webhook(), "interaction not acknowledged with a message")
        return record

    def _target(self, record: InteractionRecord, message_ref: str) -> MessageRecord:
        if message_ref == "@original":
            mid = record.original_id
        else:
            mid = int(message_ref) if message_ref.isdigit() else None
            if mid != record.original_id and mid not in record.followup_ids:
                mid = None
        target = None if mid is None else self.store.get(mid)
        if target is None or target.deleted:
            raise unknown_message()
        return target

    async def webhook_execute(self, req: ApiRequest) -> ApiResponse:
        """POST /webhooks/{app}/{token}: a followup message."""
        record = self._record_for_token(req)
        body = req.body or {}
        original = self.store.get(record.original_id) if record.original_id else None
        if (
            record.callback is not None
            and record.callback.type == DEFERRED_MESSAGE
            and original is not None
            and not original.deleted
            and original.flags & LOADING
        ):
            body = {k: v for k, v in body.items() if k != "flags"}
            message = self.messages.edit(original, body, req.files, finish_loading=True)
        else:
            message = self.messages.create(
                channel_id=record.channel_id,
                author_id=self.world.bot_user_id,
                body=body,
                files=req.files,
                message_type=record.response_message_type,
                interaction_id=record.id,
                interaction_metadata={
                    **copy.deepcopy(record.metadata),
                    **({"original_response_message_id": str(record.original_id)} if record.original_id else {}),
                },
                webhook_id=self.world.application_id,
            )
            record.followup_ids.append(message.id)
        self.notifier.notify()
        if not req.flag("wait"):
            return ApiResponse(status=204)
        return ApiResponse(copy.deepcopy(message.current))

    async def webhook_get(self, req: ApiRequest) -> ApiResponse:
        """GET /webhooks/{app}/{token}/messages/{id|@original}."""
        record = self._record_for_token(req)
        return ApiResponse(copy.deepcopy(self._target(record, req.params["message_id"]).current))

    async def webhook_edit(self, req: ApiRequest) -> ApiResponse:
        """PATCH /webhooks/{app}/{token}/messages/{id|@original}."""
        record = self._record_for_token(req)
        target = self._target(record, req.params["message_id"])
        body = {k: v for k, v in (req.body or {}).items() if k != "flags" or not target.flags & LOADING}
        self.messages.edit(target, body, req.files, finish_loading=bool(target.flags & LOADING))
        self.notifier.notify()
        return ApiResponse(copy.deepcopy(target.current))

    async def webhook_delete(self, req: ApiRequest) -> ApiResponse:
        """DELETE /webhooks/{app}/{token}/messages/{id|@original}."""
        record = self._record_for_token(req)
        self.messages.delete(self._target(record, req.params["message_id"]))
        return ApiResponse(status=204)


# ================================================================ conversions
def _convert_value(option: dict[str, Any], value: Any, resolver: _Resolved, command: str) -> Any:
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
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).lstrip("-").isdigit():
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
        raise ValueError(f"{where}: {value!r} is not one of the choices {[c['value'] for c in choices]}")
    return value


def _check_range(option: dict[str, Any], value: float, where: str, low: float, high: float) -> None:
    low = option.get("min_value", low) if option.get("min_value") is not None else low
    high = option.get("max_value", high) if option.get("max_value") is not None else high
    if not low <= value <= high:
        raise ValueError(f"{where}: {value} outside [{low}, {high}]")


def _find_component(message: dict[str, Any], custom_id: str) -> dict[str, Any]:
    components = iter_components(message.get("components"))
    found = next((c for c in components if c.get("custom_id") == custom_id), None)
    if found is None:
        labelled = [c for c in components if c.get("label") == custom_id and c.get("custom_id")]
        found = labelled[0] if len(labelled) == 1 else None
    if found is None:
        present = [c.get("custom_id") for c in components if c.get("custom_id")]
        raise ValueError(f"message {message['id']} has no component {custom_id!r}; it has {present}")
    if found.get("disabled"):
        raise ValueError(f"component {custom_id!r} on message {message['id']} is disabled")
    return found


def _select_values(component: dict[str, Any], values: list[Any] | None, resolver: _Resolved) -> list[str]:
    if values is None:
        raise ValueError(f"select {component['custom_id']!r} needs values=[...]")
    low = component.get("min_values", 1)
    high = component.get("max_values", 1)
    if not low <= len(values) <= high:
        raise ValueError(f"select {component['custom_id']!r} takes {low}..{high} values, got {len(values)}")
    ctype = component["type"]
    if ctype == STRING_SELECT:
        allowed = [o["value"] for o in component.get("options") or []]
        bad = [v for v in values if v not in allowed]
        if bad:
            raise ValueError(f"select {component['custom_id']!r} has no option(s) {bad}; options: {allowed}")
        return [str(v) for v in values]
    convert: dict[int, Callable[[Any], str]] = {
        USER_SELECT: resolver.user,
        ROLE_SELECT: resolver.role,
        MENTIONABLE_SELECT: resolver.mentionable,
        CHANNEL_SELECT: lambda v: resolver.channel(v, component.get("channel_types")),
    }
    return [convert[ctype](v) for v in values]


def _validate_choices(choices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    errors = FormErrors()
    if len(choices) > 25:
        errors.max_length(("data", "choices"), 25)
    for i, choice in enumerate(choices):
        if not 1 <= len(choice.get("name") or "") <= 100:
            errors.add(("data", "choices", i, "name"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        if isinstance(choice.get("value"), str) and len(choice["value"]) > 100:
            errors.max_length(("data", "choices", i, "value"), 100)
    errors.raise_if_any()
    return copy.deepcopy(choices)


def _bad_callback_type(ctype: int) -> ApiError:
    errors = FormErrors()
    errors.add(("type",), "INTERACTION_RESPONSE_TYPE_INVALID", f"Interaction response type {ctype} is invalid here")
    try:
        errors.raise_if_any()
    except ApiError as exc:
        return exc
    raise AssertionError("unreachable")


# ====================================================================== modals
_LABEL_CHILDREN = frozenset({TEXT_INPUT, FILE_UPLOAD, RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX} | SELECT_TYPES)


def parse_modal(data: dict[str, Any], origin_id: int) -> ModalRecord:
    """Validate a type-9 callback like Discord and record its inputs."""
    errors = FormErrors()
    title = data.get("title") or ""
    if not 1 <= len(title) <= 45:
        errors.add(("data", "title"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
    custom_id = data.get("custom_id") or ""
    if not 1 <= len(custom_id) <= 100:
        errors.add(("data", "custom_id"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    components = number_components(data.get("components"))
    if not 1 <= len(components) <= 5:
        errors.add(("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
    inputs: dict[str, ModalInput] = {}
    for index, comp in enumerate(components):
        path = ("data", "components", index)
        child, label = _modal_child(comp, path, errors)
        if child is None:
            continue
        modal_input = _modal_input(child, label, (*path, "component"), errors)
        if modal_input.custom_id in inputs:
            errors.add((*path, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
        inputs[modal_input.custom_id] = modal_input
    errors.raise_if_any()
    return ModalRecord(title=title, custom_id=custom_id, components=components, inputs=inputs, origin_id=origin_id)


def _modal_child(
    comp: dict[str, Any], path: tuple[str | int, ...], errors: FormErrors
) -> tuple[dict[str, Any] | None, str | None]:
    ctype = comp.get("type")
    if ctype == 1:
        children = comp.get("components") or []
        if len(children) != 1 or children[0].get("type") != TEXT_INPUT:
            errors.add(path, "MODAL_ACTION_ROW_INVALID", "Action rows in modals hold exactly one text input")
            return None, None
        label = children[0].get("label") or ""
        if not 1 <= len(label) <= 45:
            errors.add((*path, "components", 0, "label"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
        return children[0], label
    if ctype == LABEL:
        label = comp.get("label") or ""
        if not 1 <= len(label) <= 45:
            errors.add((*path, "label"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
        if len(comp.get("description") or "") > 100:
            errors.max_length((*path, "description"), 100)
        child = comp.get("component") or {}
        if child.get("type") not in _LABEL_CHILDREN:
            errors.add((*path, "component"), "UNION_TYPE_CHOICES", f"Component type {child.get('type')} not allowed in a label")
            return None, None
        return child, label
    if ctype == TEXT_DISPLAY:
        return None, None
    errors.add((*path, "type"), "UNION_TYPE_CHOICES", f"Component type {ctype} is not allowed in modals")
    return None, None


def _modal_input(child: dict[str, Any], label: str | None, path: tuple[str | int, ...], errors: FormErrors) -> ModalInput:
    custom_id = child.get("custom_id") or ""
    if not 1 <= len(custom_id) <= 100:
        errors.add((*path, "custom_id"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
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
        return ModalInput(custom_id, ctype, label, value, child.get("required", True), min_len, max_len, child.get("style"))
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


def _submit_component(
    comp: dict[str, Any], values: dict[str, Any], modal: ModalRecord, resolver: _Resolved
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


def _submit_value(spec: ModalInput, values: dict[str, Any], resolver: _Resolved) -> dict[str, Any]:
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
    high = spec.max_values if spec.max_values is not None else (10 if spec.type == FILE_UPLOAD else 1)
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
