"""Interactions of the fake Discord: creating them and serving their REST routes.

* ``InteractionManager.invoke/context_menu/autocomplete/click/submit_modal`` build
  INTERACTION_CREATE payloads exactly like Discord (member with channel
  permissions, ``app_permissions``, ``resolved`` data, ``attachment_size_limit``,
  a fresh token...) after validating the input like the Discord client does
  (fake_discord_inputs), then dispatch them on the gateway.
* The callback endpoint (3 s acknowledgement deadline, single acknowledgement,
  response types allowed per interaction type, ``with_response`` bodies) and the
  interaction webhook routes (@original, followups, messages/{id}, token expiry).

Tests observe the outcome through ``InteractionHandle`` (fake_discord_handles).
"""

from __future__ import annotations

import copy
import logging
import secrets
import time
from typing import TYPE_CHECKING, Any

from tests.fakes.fake_discord_commands import (
    CHANNEL,
    CHAT_INPUT,
    MENTIONABLE,
    MESSAGE_COMMAND,
    ROLE,
    USER,
    USER_COMMAND,
    CommandUnavailable,
    ResolvedCommand,
)
from tests.fakes.fake_discord_handles import (
    InteractionCallback,
    InteractionHandle,
    InteractionRecord,
    ModalRecord,
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
from tests.fakes.fake_discord_inputs import (
    FileSpec,
    Resolver,
    convert_value,
    find_component,
    parse_modal,
    ref_id,
    select_values,
    submit_component,
    validate_choices,
)
from tests.fakes.fake_discord_messages import EPHEMERAL, LOADING, SELECT_TYPES, MessageRecord
from tests.fakes.fake_discord_world import ALL_PERMISSIONS, DM_APP_PERMISSIONS, Perm

if TYPE_CHECKING:
    from tests.fakes.fake_discord import FakeDiscord

logger = logging.getLogger(__name__)

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
PONG, CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 1, 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL, LAUNCH_ACTIVITY = 8, 9, 12

_ALLOWED_CALLBACKS: dict[int, frozenset[int]] = {
    APPLICATION_COMMAND: frozenset({CHANNEL_MESSAGE, DEFERRED_MESSAGE, MODAL, LAUNCH_ACTIVITY}),
    MESSAGE_COMPONENT: frozenset(
        {CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL, LAUNCH_ACTIVITY}
    ),
    AUTOCOMPLETE: frozenset({AUTOCOMPLETE_RESULT}),
    MODAL_SUBMIT: frozenset({CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE}),
}
"""Callback types Discord accepts per interaction type (PONG is only for HTTP
PINGs, which never come over the gateway)."""

UserRef = str | int


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
    def _context(
        self, user_id: int, guild: int | str | None, channel: int | str | None
    ) -> tuple[int | None, int]:
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
            raise CommandUnavailable(
                f"user {user_id} cannot use application commands in channel {channel_id}"
            )
        return guild_id, channel_id

    def _resolver(self, guild_id: int | None, channel_id: int, user_id: int) -> Resolver:
        return Resolver(
            self.world,
            self.store,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            size_limit=self.fake.attachment_size_limit,
            url_base=self.fake.http_base,
        )

    def _user_permissions(self, guild_id: int | None, channel_id: int, user_id: int) -> int:
        return (
            ALL_PERMISSIONS
            if guild_id is None
            else self.world.channel_permissions(channel_id, user_id)
        )

    def _command_override(self, guild_id: int | None, user_id: int) -> bool | None:
        """What the guild's Integrations page says of this member (None: nothing)."""
        member = None if guild_id is None else self.world.member(guild_id, user_id)
        if guild_id is None or member is None:
            return None
        return self.world.guilds[guild_id].command_override(user_id, member.roles)

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
                DM_APP_PERMISSIONS
                if guild_id is None
                else world.channel_permissions(channel_id, world.bot_user_id)
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
        if not self.fake.gateway.ever_identified():
            raise RuntimeError(
                "no bot session on the fake gateway; "
                "start the bot and await fake.wait_until_connected()"
            )
        self.fake.gateway.dispatch("INTERACTION_CREATE", copy.deepcopy(record.payload))
        logger.debug("dispatched interaction %s (%s)", record.id, record.name)
        return InteractionHandle(record, self.store, self.notifier)

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
            command.lstrip("/"),
            guild_id=guild_id,
            user_permissions=self._user_permissions(guild_id, channel_id, user_id),
            override=self._command_override(guild_id, user_id),
        )
        resolver = self._resolver(guild_id, channel_id, user_id)
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

    async def context_menu(
        self,
        user: UserRef,
        name: str,
        *,
        target_user: UserRef | None,
        target_message: Any,
        guild: int | str | None,
        channel: int | str | None,
        locale: str,
    ) -> InteractionHandle:
        """Dispatch a USER (2) or MESSAGE (3) context menu command."""
        if (target_user is None) == (target_message is None):
            raise ValueError("pass exactly one of target_user / target_message")
        user_id = self.world.user_id(user)
        message = None if target_message is None else self._message_for_click(target_message)
        if message is not None:
            self._check_can_see(message, user_id)
            if channel is None and guild is None:
                channel = message.channel_id
        guild_id, channel_id = self._context(user_id, guild, channel)
        command_type = USER_COMMAND if message is None else MESSAGE_COMMAND
        resolved_cmd = self.fake.commands.resolve(
            name,
            guild_id=guild_id,
            user_permissions=self._user_permissions(guild_id, channel_id, user_id),
            override=self._command_override(guild_id, user_id),
            command_type=command_type,
        )
        resolver = self._resolver(guild_id, channel_id, user_id)
        metadata: dict[str, Any] = {"name": name, "command_type": command_type}
        if message is None:
            target_id = resolver.user(target_user)
            metadata["target_user"] = self.world.user_payload(int(target_id))
        else:
            target_id = str(message.id)
            resolver.data["messages"] = {target_id: copy.deepcopy(message.current)}
            metadata["target_message_id"] = target_id
        data = self._command_data(resolved_cmd, [], resolver.data)
        data["target_id"] = target_id
        record = self._new_interaction(
            itype=APPLICATION_COMMAND,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            data=data,
            name=name,
            locale=locale,
            metadata_extra=metadata,
        )
        record.response_message_type = 23
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
            command.lstrip("/"),
            guild_id=guild_id,
            user_permissions=self._user_permissions(guild_id, channel_id, user_id),
            override=self._command_override(guild_id, user_id),
        )
        schema = {o["name"]: o for o in resolved_cmd.leaf_options}
        if focused not in schema:
            raise ValueError(
                f"/{resolved_cmd.qualified_name} has no option {focused!r}; "
                f"options: {sorted(schema)}"
            )
        if not schema[focused].get("autocomplete"):
            raise ValueError(
                f"option {focused!r} of /{resolved_cmd.qualified_name} has no autocomplete"
            )
        values = dict(options or {})
        values.setdefault(focused, "")
        leaf = []
        for name, value in values.items():
            if name not in schema:
                raise ValueError(
                    f"/{resolved_cmd.qualified_name} has no option {name!r}; "
                    f"options: {sorted(schema)}"
                )
            entry: dict[str, Any] = {"type": schema[name]["type"], "name": name, "value": value}
            if name == focused:
                entry["focused"] = True
            elif schema[name]["type"] in (USER, CHANNEL, ROLE, MENTIONABLE):
                entry["value"] = str(ref_id(value))
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
        self, resolved_cmd: ResolvedCommand, values: dict[str, Any], resolver: Resolver
    ) -> list[dict[str, Any]]:
        schema = {o["name"]: o for o in resolved_cmd.leaf_options}
        unknown = set(values) - set(schema)
        if unknown:
            raise ValueError(
                f"/{resolved_cmd.qualified_name} has no option(s) {sorted(unknown)}; "
                f"options: {sorted(schema)}"
            )
        out = []
        for option in resolved_cmd.leaf_options:
            name = option["name"]
            if name not in values or values[name] is None:
                if option.get("required"):
                    raise ValueError(
                        f"/{resolved_cmd.qualified_name}: missing required option {name!r}"
                    )
                continue
            value = convert_value(option, values[name], resolver, resolved_cmd.qualified_name)
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
        forged: bool = False,
    ) -> InteractionHandle:
        """Dispatch a MESSAGE_COMPONENT interaction for a component on a message (with
        ``forged``, a button id the message need not carry: a crafted request)."""
        user_id = self.world.user_id(user)
        record = self._message_for_click(message)
        self._check_can_see(record, user_id)
        component = ({"custom_id": custom_id, "type": 2} if forged
                     else find_component(record.current, custom_id))
        channel = self.world.all_channels[record.channel_id]
        guild_id = channel.guild_id
        resolver = self._resolver(guild_id, record.channel_id, user_id)
        data: dict[str, Any] = {
            "custom_id": component["custom_id"],
            "component_type": component["type"],
        }
        if "id" in component:
            data["id"] = component["id"]
        if component["type"] in SELECT_TYPES:
            data["values"] = select_values(component, values, resolver)
            if resolver.data:
                data["resolved"] = resolver.data
        elif values is not None:
            raise ValueError(
                f"component {custom_id!r} is a button; values are only for select menus"
            )
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
                raise ValueError(
                    f"message {record.id} is ephemeral for user {owner}; "
                    f"user {user_id} cannot see it"
                )
        if channel.guild_id is None:
            if channel.recipient_id != user_id:
                raise ValueError(f"user {user_id} is not in DM channel {channel.id}")
        elif not self.world.has_permission(channel.id, user_id, Perm.VIEW_CHANNEL):
            raise ValueError(f"user {user_id} cannot see channel {channel.id}")

    # --------------------------------------------------------------- modals
    async def submit_modal(
        self,
        user: UserRef,
        handle_or_modal: InteractionHandle | ModalRecord,
        values: dict[str, Any],
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
            raise ValueError(
                f"modal {modal.custom_id!r} was shown to user {origin.user_id}, not {user_id}"
            )
        resolver = self._resolver(origin.guild_id, origin.channel_id, user_id)
        by_id = {}
        for key, value in values.items():
            by_id[modal.find(key).custom_id] = value
        components = [submit_component(c, by_id, modal, resolver) for c in modal.components]
        data: dict[str, Any] = {"custom_id": modal.custom_id, "components": components}
        if resolver.data:
            data["resolved"] = resolver.data
        message = None
        if origin.message_id is not None:
            source = self.store.get(origin.message_id)
            message = (
                copy.deepcopy(source.current) if source is not None and not source.deleted else None
            )
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
        record = (
            self.records.get(int(req.params["webhook_id"]))
            if req.params["webhook_id"].isdigit()
            else None
        )
        if record is None or record.token != req.params["webhook_token"]:
            raise unknown_interaction()
        body = req.body or {}
        ctype = int(body.get("type") or 0)
        data = body.get("data") or {}
        elapsed = time.monotonic() - record.created
        if record.callback is not None:
            raise self._reject(
                record, ApiError(400, 40060, "Interaction has already been acknowledged.")
            )
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
            return (
                {"type": ctype, "message": copy.deepcopy(target.current)}
                if ctype == UPDATE_MESSAGE
                else None
            )
        if ctype == AUTOCOMPLETE_RESULT:
            record.choices = validate_choices(data.get("choices") or [])
            return None
        if ctype == MODAL:
            record.modal = parse_modal(data, record.id)
            return None
        if ctype == LAUNCH_ACTIVITY:
            return {"type": ctype, "activity_instance": {"id": secrets.token_hex(8)}}
        raise _bad_callback_type(ctype)

    def _create_response_message(
        self,
        record: InteractionRecord,
        body: dict[str, Any],
        req: ApiRequest,
        *,
        extra_flags: int = 0,
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
            ephemeral_allowed=True,
        )

    def _callback_body(
        self, record: InteractionRecord, ctype: int, resource: dict[str, Any] | None
    ) -> dict[str, Any]:
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
            raise self._reject(
                record, unknown_webhook(), "interaction not acknowledged with a message"
            )
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
                    **(
                        {"original_response_message_id": str(record.original_id)}
                        if record.original_id
                        else {}
                    ),
                },
                webhook_id=self.world.application_id,
                ephemeral_allowed=True,
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
        body = {
            k: v for k, v in (req.body or {}).items() if k != "flags" or not target.flags & LOADING
        }
        self.messages.edit(target, body, req.files, finish_loading=bool(target.flags & LOADING))
        self.notifier.notify()
        return ApiResponse(copy.deepcopy(target.current))

    async def webhook_delete(self, req: ApiRequest) -> ApiResponse:
        """DELETE /webhooks/{app}/{token}/messages/{id|@original}."""
        record = self._record_for_token(req)
        self.messages.delete(self._target(record, req.params["message_id"]))
        return ApiResponse(status=204)


def _bad_callback_type(ctype: int) -> ApiError:
    errors = FormErrors()
    errors.add(
        ("type",),
        "INTERACTION_RESPONSE_TYPE_INVALID",
        f"Interaction response type {ctype} is invalid here",
    )
    try:
        errors.raise_if_any()
    except ApiError as exc:
        return exc
    raise AssertionError("unreachable")
