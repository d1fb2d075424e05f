"""A local fake Discord (REST API v10 + gateway) for testing a real discord.py bot.

The fake is a real aiohttp server on 127.0.0.1 (random port) so it serves an
in-process ``commands.Bot`` in the same event loop as well as a bot running in a
subprocess. Point discord.py at it with::

    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    # or: with fake.patch_discord_py(): ...
    await bot.login(fake.token)

What is implemented (modules ``fake_discord_*.py``):

* world (``fake.world``): application + bot user; HOME guild (roles @everyone,
  Admins, Editors, the bot's managed role; members admin (owner), editor1,
  editor2, editor3, reader; channels editorial, feedback, general, announcements (type 5,
  @everyone may not send)); OTHER guild (owner2, admin2 with MANAGE_CHANNELS +
  MANAGE_GUILD, reader2; channel news). Fixed ids: ``fake.world.users["editor1"]``,
  ``fake.world.channels["editorial"]``, ``home_guild_id``, ``other_guild_id``,
  ``editor_role_id``. Permissions are computed like Discord (roles, overwrites,
  owner/administrator, implicit denies).
* REST: users/@me, users/{id}, users/@me/guilds, users/@me/channels (DMs),
  gateway, gateway/bot, oauth2/applications/@me, applications/@me; application
  commands (global + guild: GET/PUT/POST/PATCH/DELETE, validated like Discord);
  channels (GET/PATCH), messages (GET list/one, POST JSON or multipart with
  nonce + enforce_nonce de-duplication, PATCH, DELETE, bulk-delete, pins,
  reactions, crosspost with the per-channel hourly limit and delivery to
  followers, followers, threads from a message or standalone, typing); guilds
  (guild, channels, roles, members, active threads); interaction callback and
  interaction webhooks (@original, followups, messages/{id}); attachment CDN.
  Unknown routes answer 404 ``{code: 0}`` and are recorded in ``fake.unhandled``;
  handler crashes answer 500 and are recorded in ``fake.server_errors``.
* Auth: ``Authorization: Bot <token>`` on every bot route (401 otherwise); the
  interaction/webhook-token routes and the CDN need no auth, as on Discord.
* Request bodies: every JSON body (and multipart ``payload_json``) is validated against
  the request schema of its route in Discord's OpenAPI description
  (``fake_discord_schema``); a body it rejects is answered 400 50035 naming the field,
  kept in ``fake.schema_violations``, and fails the test at teardown (``__aexit__``).
  Tests that send one on purpose take it with ``take_schema_violations()``.
* Rate limits, as Discord's rate-limit page describes them (``fake_discord_http``):
  per-route buckets per top-level resource with X-RateLimit-* headers
  (``fake.route_limits``; routes sharing a limit share its bucket hash), 429s scoped
  ``user`` / ``global`` / ``shared``, the global limit (``fake.global_rate_limit`` per
  ``fake.global_rate_window`` s) that interaction endpoints are exempt from, a hidden
  crosspost limit (``fake.crosspost_limit``, 429 scope "shared"), and the Cloudflare ban
  after too many invalid requests (``fake.limiter.invalid_limit``). ``fake.stats``.
* Gateway: HELLO, IDENTIFY -> READY + GUILD_CREATE, HEARTBEAT_ACK, RESUME with
  replay + RESUMED, intents (incl. message content redaction), op 8 member
  chunks; faults: ``send_reconnect``, ``drop_socket``, ``send_invalid_session``.
* Interactions: ``invoke``, ``autocomplete``, ``click``, ``submit_modal`` build
  Discord-identical payloads from the schema the bot synced and validate input
  like the Discord client; callbacks (3 s deadline, double ack 40060), token
  expiry (15 min), ``InteractionHandle`` to observe the answer.
* Inspection: every message version with its allowed_mentions, files and
  producing interaction; ``pings()`` computed like Discord; ``snapshot()``.

Public API of ``FakeDiscord`` (all ids are ints; users/channels also accept names)::

    FakeDiscord(*, token=DEFAULT_TOKEN, heartbeat_interval=41250)
    await start() / await stop() / async with FakeDiscord() as fake
    api_base, gateway_url, resume_gateway_url, http_base, port, token, world
    patch_discord_py() -> context manager setting Route.BASE / DEFAULT_GATEWAY
    # configuration (plain attributes, change any time)
    interaction_token_ttl = 900.0; interaction_ack_timeout = 3.0
    attachment_size_limit = 10 MiB; crosspost_limit = (10, 3600.0)
    global_rate_limit = 50; global_rate_window = 1.0; route_limits (dict); heartbeat_interval
    # interactions
    await invoke(user, command, options=None, *, guild=None, channel=None,
                 attachments=None, locale="en-US") -> InteractionHandle
    await autocomplete(user, command, options, focused, *, guild=None, channel=None,
                       timeout=5.0) -> list[dict]
    await context_menu(user, name, *, target_user=None, target_message=None, guild=None,
                       channel=None, locale="en-US") -> InteractionHandle
    await click(user, message, custom_id, *, values=None) -> InteractionHandle
    await submit_modal(user, handle_or_modal, values) -> InteractionHandle
    # inspection
    channel_messages(channel, *, include_ephemeral=False) -> list[dict]
    message(channel, message_id) -> dict | None;  message_record(message_id) -> MessageRecord | None
    dm_messages(user) -> list[dict];  pings() -> list[Ping];  snapshot() -> dict
    attachment_bytes(attachment) -> bytes
    await wait_for_message(channel=None, predicate=None, timeout=5.0) -> dict
    sync_calls, unhandled, server_errors, schema_violations, take_schema_violations(),
    stats, followers, identify_count, resume_count
    registered_commands(guild_id=None) -> list[dict]
    # world changes / fault injection
    post_as_user(user, channel, content, **fields) -> dict
    delete_message(channel, message_id);  add_text_channels(guild_id, n, prefix="sub") -> list[int]
    deny_bot(channel, code=50001);  allow_bot(channel);  close_dms(user);  open_dms(user)
    fail_next(method, path_regex, status, times=1, json=None, headers=None)
    set_latency(seconds)
    await send_reconnect();  await drop_socket(code=None);  await send_invalid_session(resumable)
    await wait_until_connected(timeout=5.0);  await wait_until_disconnected(timeout=5.0)
    await wait_for_commands(guild_id=None, timeout=5.0) -> list[dict]
    gateway.enabled_privileged_intents (identify asking for others -> close 4014)

``InteractionHandle``: id, token, user_id, type, name, guild_id, channel_id, payload,
response (InteractionCallback: type, data, latency), await wait_response(timeout=5),
deferred, ephemeral, ack_latency, rejections (refused callbacks, e.g. late/double
ack), modal (ModalRecord: title, custom_id, inputs{custom_id: ModalInput}),
choices (autocomplete), original / original_record / original_history, followups,
messages, text(), await wait_final(predicate=None, timeout=10),
await wait_followups(count=1, timeout=10).

Discord behaviours worth knowing (all reproduced on purpose):

* The first followup after a type-5 deferral fills the "thinking" @original
  instead of creating a message (so it is not in ``handle.followups``).
* For component clicks answered with type 6/7, @original is the clicked message.
* Ephemeral messages are not channel history (``channel_messages`` skips them
  unless ``include_ephemeral=True``; REST GETs of them answer 10008) and never ping.
* Commands are only invocable where the synced schema makes them visible
  (guild commands in their guild, ``contexts``/``dm_permission``,
  ``default_member_permissions``); otherwise ``CommandUnavailable``.
* A clean client close (1000/1001) ends the gateway session; an aborted socket or
  close 4000 leaves it resumable. discord.py itself sleeps 5 s before any
  non-initial IDENTIFY (``Client.before_identify_hook``); override that hook in
  tests that force re-identification.
* Without the MESSAGE_CONTENT intent, MESSAGE_CREATE/UPDATE of other users'
  guild messages arrive with empty content unless they mention the bot.
* Edits re-parse mentions only when content or allowed_mentions are sent; such
  edit versions appear in ``pings()`` with ``is_edit=True`` (Discord highlights,
  but does not notify again).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import re
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from aiohttp import web

from tests.fakes.fake_discord_commands import CommandRegistry, CommandUnavailable
from tests.fakes.fake_discord_gateway import GatewayHub
from tests.fakes.fake_discord_handles import (
    InteractionCallback,
    InteractionHandle,
    ModalInput,
    ModalRecord,
    message_text,
)
from tests.fakes.fake_discord_http import (
    ApiError,
    ApiRequest,
    ApiResponse,
    Gate,
    InjectedFailure,
    RateLimitedError,
    RateLimiter,
    Router,
    RouteSpec,
    Stats,
    cloudflare_ban,
    json_response,
    read_request_body,
    sleep_latency,
    too_many_requests,
)
from tests.fakes.fake_discord_inputs import FileSpec
from tests.fakes.fake_discord_interactions import InteractionManager
from tests.fakes.fake_discord_messages import (
    MessageRecord,
    MessageService,
    MessageStore,
    Notifier,
    Ping,
    PingTargets,
)
from tests.fakes.fake_discord_rest import Follower, RestApi
from tests.fakes.fake_discord_schema import BodyChecker, Violation
from tests.fakes.fake_discord_world import GUILD_TEXT, Perm, World, build_world

__all__ = [
    "DEFAULT_TOKEN",
    "CommandUnavailable",
    "FakeDiscord",
    "Follower",
    "InteractionCallback",
    "InteractionHandle",
    "MessageRecord",
    "ModalInput",
    "ModalRecord",
    "Ping",
    "PingTargets",
    "World",
    "message_text",
]

logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAw.fake.newsroom-test-token"
API_PREFIX = "/api/v10"


def api_path(request: web.Request) -> str:
    """The request path after ``/api/v10``."""
    return "/" + request.match_info["tail"]


class FakeDiscord:
    """The fake Discord server; see the module docstring for the full API."""

    def __init__(self, *, token: str = DEFAULT_TOKEN, heartbeat_interval: int = 41250) -> None:
        self.token = token
        self.heartbeat_interval = heartbeat_interval
        self.world: World = build_world()
        self.notifier = Notifier()
        self.store = MessageStore()
        self.limiter = RateLimiter()
        self.stats = Stats()
        self.unhandled: list[tuple[str, str]] = []
        self.server_errors: list[str] = []
        self.schema_violations: list[Violation] = []
        self.body_checker = BodyChecker()
        self.followers: list[Follower] = []
        self.closed_dms: set[int] = set()
        self.interaction_token_ttl: float = 15 * 60.0
        self.interaction_ack_timeout: float = 3.0
        self.attachment_size_limit: int = 10 * 1024 * 1024
        self.crosspost_limit: tuple[int, float] = (10, 3600.0)
        self.crosspost_headers: str = "reported"
        """How the crosspost limit shows in headers: "reported" (what other libraries'
        maintainers saw, discord-api-docs#6109: the route's short bucket in the headers,
        then a 429 with scope "shared" whose body ``retry_after`` is the real wait) or
        "bucket" (the headers expose the hour as a bucket of ``crosspost_limit``)."""
        self.gates: list[Gate] = []
        self.latency: float = 0.0
        self.port = 0
        self.gateway = GatewayHub(
            self.world,
            token=lambda: self.token,
            heartbeat_interval=lambda: self.heartbeat_interval,
            on_change=self.notifier.notify,
        )
        self.messages = MessageService(
            self.world,
            self.store,
            self.gateway.dispatch,
            url_base=lambda: self.http_base,
            size_limit=lambda: self.attachment_size_limit,
            notifier=self.notifier,
        )
        self.commands = CommandRegistry(
            self.world.application_id, self.world.snowflakes, on_change=self.notifier.notify
        )
        self.interactions = InteractionManager(self)
        self.router = Router()
        RestApi(self).register(self.router)
        self._failures: list[InjectedFailure] = []
        self._runner: web.AppRunner | None = None

    # ============================================================ lifecycle
    async def start(self) -> FakeDiscord:
        """Listen on 127.0.0.1 with a free port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway-resume", self.gateway.handle)
        app.router.add_get(
            "/attachments/{channel_id}/{attachment_id}/{filename}", self._serve_attachment
        )
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle_api)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.gateway.resume_url = self.resume_gateway_url
        logger.info("fake Discord listening on %s", self.http_base)
        return self

    async def stop(self) -> None:
        """Close gateway connections and the HTTP server."""
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, exc_type: object, *exc_info: object) -> None:
        """Stop; then a request body Discord would have refused fails whoever used the fake."""
        await self.stop()
        if exc_type is None and self.schema_violations:
            raise AssertionError(self.violations_report())

    def violations_report(self) -> str:
        """The request bodies Discord's API description rejected, one per line."""
        lines = "\n".join(f"  {v}" for v in self.schema_violations)
        return f"request bodies Discord would refuse (400 Invalid Form Body):\n{lines}"

    @property
    def http_base(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for ``discord.http.Route.BASE``."""
        return self.http_base + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """Value for ``DiscordWebSocket.DEFAULT_GATEWAY`` (also GET /gateway/bot)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        """The READY ``resume_gateway_url`` (a separate path, so tests can see which
        URL a reconnect used in ``fake.gateway.connection_paths``)."""
        return f"ws://127.0.0.1:{self.port}/gateway-resume"

    @contextlib.contextmanager
    def patch_discord_py(self) -> Iterator[None]:
        """Point discord.py at this fake for the duration of the block."""
        import discord
        import yarl

        old_base, old_gateway = (
            discord.http.Route.BASE,
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
        )
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    # ======================================================== configuration
    @property
    def global_rate_limit(self) -> int:
        """Requests per ``global_rate_window`` before a global 429 (default 50/s)."""
        return self.limiter.global_limit

    @global_rate_limit.setter
    def global_rate_limit(self, value: int) -> None:
        """Set the global limit."""
        self.limiter.global_limit = value

    @property
    def global_rate_window(self) -> float:
        """Length in seconds of the global limit window."""
        return self.limiter.global_window

    @global_rate_window.setter
    def global_rate_window(self, value: float) -> None:
        """Set the global window length."""
        self.limiter.global_window = value

    @property
    def route_limits(self) -> dict[str, tuple[int, float]]:
        """``{"POST /channels/{channel_id}/messages": (5, 5.0), ...}``; mutate freely."""
        return self.limiter.route_limits

    @property
    def sync_calls(self) -> list[tuple[int | None, list[dict[str, Any]]]]:
        """Every bulk overwrite (``tree.sync``): (guild id or None, payload)."""
        return self.commands.sync_calls

    def registered_commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """The commands currently registered globally (None) or in a guild."""
        return self.commands.list(guild_id)

    @property
    def identify_count(self) -> int:
        """How many IDENTIFYs the gateway accepted."""
        return self.gateway.identify_count

    @property
    def resume_count(self) -> int:
        """How many RESUMEs the gateway accepted."""
        return self.gateway.resume_count

    # ========================================================= interactions
    async def invoke(
        self,
        user: str | int,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        guild: int | str | None = None,
        channel: int | str | None = None,
        attachments: dict[str, FileSpec] | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """A user runs ``/command`` (e.g. ``"draft request"``) with ``options``.

        ``guild``: None (home, or the guild of ``channel``), a guild id, or ``"dm"``.
        ``attachments`` maps ATTACHMENT option names to (filename, bytes, type).
        Raises CommandUnavailable when the user could not see the command and
        ValueError for input the Discord client would refuse.
        """
        return await self.interactions.invoke(
            user,
            command,
            options,
            guild=guild,
            channel=channel,
            attachments=attachments,
            locale=locale,
        )

    async def context_menu(
        self,
        user: str | int,
        name: str,
        *,
        target_user: str | int | None = None,
        target_message: dict[str, Any] | tuple[int, int] | int | InteractionHandle | None = None,
        guild: int | str | None = None,
        channel: int | str | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """A user runs a USER (``target_user``) or MESSAGE (``target_message``)
        context menu command; the channel defaults to the target message's."""
        return await self.interactions.context_menu(
            user,
            name,
            target_user=target_user,
            target_message=target_message,
            guild=guild,
            channel=channel,
            locale=locale,
        )

    async def autocomplete(
        self,
        user: str | int,
        command: str,
        options: dict[str, Any] | None,
        focused: str,
        *,
        guild: int | str | None = None,
        channel: int | str | None = None,
        timeout: float = 5.0,
    ) -> list[dict[str, Any]]:
        """A user types in option ``focused``; returns the choices the bot offered."""
        return await self.interactions.autocomplete(
            user, command, options, focused, guild=guild, channel=channel, timeout=timeout
        )

    async def click(
        self,
        user: str | int,
        message: dict[str, Any] | tuple[int, int] | int | InteractionHandle,
        custom_id: str,
        *,
        values: list[Any] | None = None,
        forged: bool = False,
    ) -> InteractionHandle:
        """A user clicks a button (or picks ``values`` in a select) on a message.

        ``message`` is a message dict, ``(channel_id, message_id)``, a message id or
        an InteractionHandle (its @original). The component is looked up on the
        message's *current* state by custom_id (or its exact label); clicking
        something absent or disabled raises ValueError. ``forged`` sends a button
        interaction with any ``custom_id`` on a message the user can see, as a modified
        client crafting the request would: the bot must not trust what the id names.
        """
        return await self.interactions.click(user, message, custom_id, values=values,
                                             forged=forged)

    async def submit_modal(
        self,
        user: str | int,
        handle_or_modal: InteractionHandle | ModalRecord,
        values: dict[str, Any],
    ) -> InteractionHandle:
        """Submit the modal the bot opened; ``values`` keys are custom_ids or labels.

        Unchanged inputs submit their prefilled value; missing required input or
        text over max_length raises ValueError.
        """
        return await self.interactions.submit_modal(user, handle_or_modal, values)

    # =========================================================== inspection
    def channel_messages(
        self, channel: int | str, *, include_ephemeral: bool = False
    ) -> list[dict[str, Any]]:
        """Current (not deleted) messages of a channel, oldest first."""
        channel_id = self.world.channel_id(channel)
        return [
            copy.deepcopy(r.current)
            for r in self.store.channel_records(channel_id, include_ephemeral=include_ephemeral)
        ]

    def message(self, channel: int | str, message_id: int) -> dict[str, Any] | None:
        """Current state of one message, or None if unknown or deleted."""
        record = self.store.live(self.world.channel_id(channel), int(message_id))
        return None if record is None else copy.deepcopy(record.current)

    def message_record(self, message_id: int) -> MessageRecord | None:
        """Full record: versions (payload + allowed_mentions + pings), files,
        interaction id, deleted flag."""
        return self.store.get(int(message_id))

    def dm_messages(self, user: str | int) -> list[dict[str, Any]]:
        """Messages in the bot's DM channel with a user."""
        return self.channel_messages(self.world.dm_channel(self.world.user_id(user)).id)

    def pings(self) -> list[Ping]:
        """Every message version (create or bot edit) that pings someone."""
        out = []
        for record in sorted(self.store.records.values(), key=lambda r: r.id):
            for index, version in enumerate(record.versions):
                if version.kind == "system" or not version.pings:
                    continue
                out.append(
                    Ping(
                        channel_id=record.channel_id,
                        message_id=record.id,
                        version=index,
                        is_edit=version.is_edit,
                        content=version.payload.get("content") or "",
                        allowed_mentions=copy.deepcopy(version.allowed_mentions),
                        targets=copy.deepcopy(version.pings),
                    )
                )
        return out

    def snapshot(self) -> dict[int, list[dict[str, Any]]]:
        """Deep copy of every channel's live messages (ephemeral included), for
        "nothing changed" assertions."""
        return {
            cid: [
                copy.deepcopy(r.current)
                for r in self.store.channel_records(cid, include_ephemeral=True)
            ]
            for cid in sorted(self.store.channels())
        }

    def attachment_bytes(self, attachment: dict[str, Any] | int) -> bytes:
        """Bytes of an uploaded file (attachment dict or attachment id)."""
        attachment_id = int(attachment["id"]) if isinstance(attachment, dict) else int(attachment)
        return self.store.cdn[attachment_id].data

    async def wait_for_message(
        self,
        channel: int | str | None = None,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """Wait for a live message (in ``channel`` if given) matching ``predicate``."""
        channel_id = None if channel is None else self.world.channel_id(channel)

        def find() -> dict[str, Any] | None:
            for record in self.store.records.values():
                if record.deleted or (channel_id is not None and record.channel_id != channel_id):
                    continue
                if predicate is None or predicate(record.current):
                    return copy.deepcopy(record.current)
            return None

        return await self.notifier.wait_for(
            find, timeout, lambda: f"no matching message in {channel!r} after {timeout}s"
        )

    # ====================================================== world changes
    def post_as_user(
        self, user: str | int, channel: int | str, content: str, **fields: Any
    ) -> dict[str, Any]:
        """A human posts a message (dispatched as MESSAGE_CREATE if intents allow).

        Raises ValueError when that user could not post there."""
        user_id = self.world.user_id(user)
        channel_id = self.world.channel_id(channel)
        state = self.world.all_channels[channel_id]
        if state.guild_id is None:
            if state.recipient_id != user_id:
                raise ValueError(f"user {user!r} is not in DM channel {channel_id}")
        else:
            need = Perm.SEND_MESSAGES_IN_THREADS if state.is_thread else Perm.SEND_MESSAGES
            if not self.world.has_permission(channel_id, user_id, Perm.VIEW_CHANNEL | need):
                raise ValueError(f"user {user!r} cannot post in channel {channel!r}")
        body = {"content": content, **fields}
        record = self.messages.create(channel_id=channel_id, author_id=user_id, body=body, files=[])
        return copy.deepcopy(record.current)

    def delete_message(self, channel: int | str, message_id: int) -> None:
        """A moderator deletes a message by hand (dispatches MESSAGE_DELETE)."""
        record = self.store.live(self.world.channel_id(channel), int(message_id))
        if record is None:
            raise KeyError(f"no live message {message_id} in {channel!r}")
        self.messages.delete(record)

    def add_text_channels(self, guild_id: int, n: int, prefix: str = "sub") -> list[int]:
        """Create ``n`` text channels named ``{prefix}-{i}``; dispatch CHANNEL_CREATE."""
        ids = []
        for i in range(n):
            channel = self.world.add_text_channel(
                guild_id, f"{prefix}-{i}", channel_type=GUILD_TEXT
            )
            self.gateway.dispatch("CHANNEL_CREATE", self.world.channel_payload(channel))
            ids.append(channel.id)
        return ids

    def deny_bot(self, channel: int | str, code: int = 50001) -> None:
        """Add a bot member overwrite: 50001 hides the channel (Missing Access),
        50013 only forbids sending (Missing Permissions). Dispatches CHANNEL_UPDATE."""
        if code not in (50001, 50013):
            raise ValueError("code must be 50001 (no access) or 50013 (no send permission)")
        denied = (
            Perm.VIEW_CHANNEL
            if code == 50001
            else Perm.SEND_MESSAGES | Perm.SEND_MESSAGES_IN_THREADS
        )
        self._set_bot_overwrite(channel, deny=int(denied))

    def allow_bot(self, channel: int | str) -> None:
        """Remove the bot member overwrite added by ``deny_bot``."""
        self._set_bot_overwrite(channel, deny=0)

    def _set_bot_overwrite(self, channel: int | str, *, deny: int) -> None:
        channel_id = self.world.channel_id(channel)
        self.world.set_member_overwrite(channel_id, self.world.bot_user_id, deny=deny)
        self.gateway.dispatch(
            "CHANNEL_UPDATE", self.world.channel_payload(self.world.all_channels[channel_id])
        )

    def close_dms(self, user: str | int) -> None:
        """The user disallows DMs: sends to them answer 403 50007."""
        self.closed_dms.add(self.world.user_id(user))

    def open_dms(self, user: str | int) -> None:
        """Undo ``close_dms``."""
        self.closed_dms.discard(self.world.user_id(user))

    # ==================================================== fault injection
    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        times: int = 1,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` (or ``*``) and
        ``path_regex`` (searched in the path after /api/v10) with ``status``."""
        self._failures.append(
            InjectedFailure(
                method.upper(), re.compile(path_regex), status, times, json, dict(headers or {})
            )
        )

    def hold(self, method: str, path_regex: str, *, after: int,
             where: Callable[[Any], bool] | None = None) -> Gate:
        """A gate: the first ``after`` matching requests (``where(json_body)`` true, if
        given) pass, the rest wait for ``gate.release()``; rate limits were already
        applied when a request waits."""
        gate = Gate(method, path_regex, after, where)
        self.gates.append(gate)
        return gate

    def release_all(self) -> None:
        for gate in self.gates:
            gate.release()

    def set_latency(self, seconds: float) -> None:
        """Delay every REST request by ``seconds``."""
        self.latency = seconds

    async def send_reconnect(self) -> None:
        """Gateway op 7: the bot should reconnect and RESUME."""
        await self.gateway.send_reconnect()

    async def drop_socket(self, code: int | None = None) -> None:
        """Kill the gateway connection (abruptly if ``code`` is None, else close code)."""
        await self.gateway.drop_socket(code)

    async def send_invalid_session(self, resumable: bool) -> None:
        """Gateway op 9 (``resumable=False`` forces a fresh IDENTIFY)."""
        await self.gateway.send_invalid_session(resumable)

    async def wait_until_connected(self, timeout: float = 5.0) -> None:
        """Wait until the bot has a READY/RESUMED gateway connection."""
        await self.gateway.wait_until_connected(timeout)

    async def wait_until_disconnected(self, timeout: float = 5.0) -> None:
        """Wait until no bot connection is live (e.g. after killing a bot process)."""
        await self.notifier.wait_for(
            lambda: not self.gateway.is_connected(),
            timeout,
            lambda: f"a bot was still connected after {timeout}s",
        )

    async def wait_for_commands(
        self, guild_id: int | None = None, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Wait until commands are registered globally (None) or in a guild."""
        return await self.notifier.wait_for(
            lambda: self.registered_commands(guild_id),
            timeout,
            lambda: f"no commands synced to scope {guild_id} within {timeout}s",
        )

    # =========================================================== HTTP core
    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        """Every /api/v10 request: latency, the Cloudflare ban, then the route; answers
        that count as invalid requests (401, 403, non-shared 429) are counted."""
        await sleep_latency(self.latency)
        if self.limiter.banned():
            return cloudflare_ban()
        response = await self._route(request)
        if self.limiter.note_answer(response.status, response.headers.get("X-RateLimit-Scope")):
            self.stats.cloudflare_bans += 1
            logger.warning("fake Discord: too many invalid requests, Cloudflare ban begins")
        return response

    async def _route(self, request: web.Request) -> web.StreamResponse:
        """Routing, auth, injected failures, global and per-route limits, then the handler;
        errors become Discord JSON."""
        method, path = request.method, api_path(request)
        resolved = self.router.resolve(method, path)
        if not resolved:
            self.unhandled.append((method, path))
            logger.warning("fake Discord: unhandled route %s %s", method, path)
            if resolved is False:
                return json_response({"message": "405: Method Not Allowed", "code": 0}, status=405)
            return json_response({"message": "404: Not Found", "code": 0}, status=404)
        spec, params = resolved
        self.stats.requests[spec.key] += 1
        if spec.auth and request.headers.get("Authorization") != f"Bot {self.token}":
            return json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        injected = self._take_failure(method, path)
        if injected is not None:
            self.stats.injected_failures += 1
            return injected.response()
        if self._counts_globally(spec, params):
            retry_after = self.limiter.check_global()
            if retry_after is not None:
                self.stats.global_429s += 1
                return too_many_requests(retry_after, scope="global")
        decision = self.limiter.take(spec, params)
        if decision.retry_after is not None:
            self.stats.route_429s += 1
            self.stats.limited[spec.key] += 1
            return too_many_requests(decision.retry_after, scope="user", headers=decision.headers)
        return await self._run_handler(request, spec.handler, spec.key, params, decision.headers)

    def _counts_globally(self, spec: RouteSpec, params: dict[str, str]) -> bool:
        """Interaction endpoints are not bound by the global limit: the callback, and the
        webhook routes whose id is the application's (an interaction's token)."""
        if spec.template.startswith("/interactions/"):
            return False
        if "webhook_token" in params:
            return params.get("webhook_id") != str(self.world.application_id)
        return spec.global_limit

    async def _run_handler(
        self,
        request: web.Request,
        handler: Callable[[ApiRequest], Any],
        route_key: str,
        params: dict[str, str],
        headers: dict[str, str],
    ) -> web.Response:
        try:
            body, files = await read_request_body(request)
            violation = self.body_checker.check(request.method, api_path(request), body)
            if violation is not None:
                return self._refuse_body(violation, headers)
            for gate in self.gates:
                if gate.matches(request.method, request.path.removeprefix(API_PREFIX), body):
                    await gate.enter()
            api_request = ApiRequest(
                method=request.method,
                path=request.path,
                params=params,
                query=request.query,
                body=body,
                files=files,
                route_key=route_key,
            )
            result = await handler(api_request)
        except RateLimitedError as exc:
            if exc.scope == "shared":
                self.stats.shared_429s += 1
            else:
                self.stats.route_429s += 1
            self.stats.limited[route_key] += 1
            return too_many_requests(exc.retry_after, scope=exc.scope,
                                     headers=headers if exc.headers is None else exc.headers)
        except ApiError as exc:
            return json_response(exc.body(), status=exc.status, headers={**headers, **exc.headers})
        except Exception:
            self.server_errors.append(f"{route_key}: {traceback.format_exc()}")
            logger.exception("fake Discord handler crashed on %s", route_key)
            return json_response({"message": "500: Internal Server Error", "code": 0}, status=500)
        if not isinstance(result, ApiResponse):
            result = ApiResponse(result)
        return json_response(
            result.body, status=result.status, headers={**headers, **result.headers}
        )

    def _refuse_body(self, violation: Violation, headers: dict[str, str]) -> web.Response:
        """Discord's 400 for a body its API description rejects; the test fails at teardown."""
        self.schema_violations.append(violation)
        logger.warning("fake Discord: invalid request body: %s", violation)
        error = ApiError(400, 50035, "Invalid Form Body", errors=violation.form_errors())
        return json_response(error.body(), status=400, headers=headers)

    def take_schema_violations(self) -> list[Violation]:
        """The violations so far, forgotten (for tests that send invalid bodies on purpose)."""
        taken, self.schema_violations = self.schema_violations, []
        return taken

    def _take_failure(self, method: str, path: str) -> InjectedFailure | None:
        for failure in self._failures:
            if failure.times > 0 and failure.matches(method, path):
                failure.times -= 1
                if failure.times == 0:
                    self._failures.remove(failure)
                return failure
        return None

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        """The CDN: bytes of uploaded files at the URLs in attachment objects."""
        raw = request.match_info["attachment_id"]
        stored = self.store.cdn.get(int(raw)) if raw.isdigit() else None
        if stored is None or stored.filename != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=stored.data, headers={"Content-Type": stored.content_type})
