"""The fixed "world" of the fake Discord: users, guilds, roles, members, channels.

Everything here is plain data plus the two pieces of Discord logic that many other
parts of the fake need: permission computation (base permissions, channel
overwrites, implicit denies) and building Discord-shaped JSON payloads for users,
members, roles, channels and guilds.

Ids of the initial world are fixed snowflakes (their timestamps are in 2023), so
tests and fixtures can rely on them across runs; entities created later (threads,
DM channels, extra channels) get time-based snowflakes, because discord.py derives
ages from snowflakes (e.g. for the sub-10-seconds delete bucket).
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

DISCORD_EPOCH_MS = 1420070400000
_FIXED_BASE_MS = 1672531200000  # 2023-01-01T00:00:00Z: creation time of the fixed world


def iso(ts: float | None = None) -> str:
    """Discord-style ISO-8601 timestamp (UTC, microseconds, explicit offset)."""
    moment = dt.datetime.fromtimestamp(time.time() if ts is None else ts, dt.UTC)
    return moment.isoformat()


def snowflake_time(snowflake: int) -> float:
    """Unix timestamp (seconds) embedded in a snowflake."""
    return ((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000


def fixed_id(n: int) -> int:
    """Deterministic snowflake for the n-th entity of the initial world (1 ms apart)."""
    return (_FIXED_BASE_MS + n - DISCORD_EPOCH_MS) << 22


class SnowflakeFactory:
    """Generates unique, monotonically increasing snowflakes carrying the current time.

    A real timestamp matters: discord.py computes message age from the id (delete
    sub-rate-limit buckets, ``created_at``), and ordering by id must follow creation.
    """

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        """Return a fresh snowflake."""
        with self._lock:
            candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
            self._last = max(candidate, self._last + 1)
            return self._last


class Perm(enum.IntFlag):
    """Discord permission bits (only the ones the fake reasons about are named)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    CHANGE_NICKNAME = 1 << 26
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38


ALL_PERMISSIONS = (1 << 51) - 1
"""What owners and administrators get (every bit Discord currently defines)."""

EVERYONE_PERMISSIONS = (
    Perm.CREATE_INSTANT_INVITE
    | Perm.ADD_REACTIONS
    | Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.CONNECT
    | Perm.SPEAK
    | Perm.CHANGE_NICKNAME
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.CREATE_PRIVATE_THREADS
    | Perm.SEND_MESSAGES_IN_THREADS
)
"""Discord's default @everyone permissions for a new server, minus MENTION_EVERYONE
(which community servers routinely take away from @everyone)."""

BOT_ROLE_PERMISSIONS = (
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.MANAGE_MESSAGES
    | Perm.MENTION_EVERYONE
    | Perm.ADD_REACTIONS
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.SEND_MESSAGES_IN_THREADS
    | Perm.MANAGE_THREADS
    | Perm.MANAGE_WEBHOOKS
)
"""The bot's managed role: send/embed/attach/manage-messages/create-threads (+ what
publishing a newsroom needs: mention_everyone, manage_webhooks for following)."""

DM_APP_PERMISSIONS = (
    Perm.ADD_REACTIONS
    | Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.USE_APPLICATION_COMMANDS
)
"""``app_permissions`` Discord reports for interactions in a bot DM."""

# Channel types used by the fake.
GUILD_TEXT = 0
DM = 1
GUILD_ANNOUNCEMENT = 5
ANNOUNCEMENT_THREAD = 10
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
THREAD_TYPES = frozenset({ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD})


@dataclass
class RoleState:
    """A guild role."""

    id: int
    guild_id: int
    name: str
    permissions: int
    position: int
    mentionable: bool = False
    managed: bool = False
    hoist: bool = False
    color: int = 0
    bot_id: int | None = None


@dataclass
class MemberState:
    """A user's membership in a guild."""

    user_id: int
    roles: list[int]
    joined_at: str
    nick: str | None = None


@dataclass
class ChannelState:
    """A guild channel, thread or DM channel."""

    id: int
    type: int
    name: str | None
    guild_id: int | None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    overwrites: list[dict[str, Any]] = field(default_factory=list)
    last_message_id: int | None = None
    # DM channels
    recipient_id: int | None = None
    # threads
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 1440
    created_at: str = ""
    message_count: int = 0
    invitable: bool = True

    @property
    def is_thread(self) -> bool:
        """Whether this channel is a thread (permissions come from the parent)."""
        return self.type in THREAD_TYPES


@dataclass
class GuildState:
    """A guild with its roles, members and channel ids (in position order)."""

    id: int
    name: str
    owner_id: int
    roles: dict[int, RoleState]
    members: dict[int, MemberState]
    channel_ids: list[int]
    features: list[str] = field(default_factory=list)
    thread_ids: list[int] = field(default_factory=list)
    command_access: list[dict[str, Any]] = field(default_factory=list)
    """The bot's application-level command permissions in this guild, as a server admin
    sets them under Server Settings > Integrations: ``{"id", "type" (1 role, 2 user),
    "permission"}`` entries (@everyone's id is the guild id). They take precedence over
    a command's ``default_member_permissions``."""

    @property
    def everyone_role(self) -> RoleState:
        """The @everyone role (its id is the guild id, as on Discord)."""
        return self.roles[self.id]

    def command_override(self, user_id: int, role_ids: list[int]) -> bool | None:
        """What the Integrations page says about this member: a user entry first, then
        any role entry (an allow wins), then @everyone; None when nothing applies."""
        entries = {(int(e["id"]), int(e["type"])): bool(e["permission"])
                   for e in self.command_access}
        if (user_id, 2) in entries:
            return entries[(user_id, 2)]
        roles = [entries[(r, 1)] for r in role_ids if (r, 1) in entries]
        if roles:
            return any(roles)
        return entries.get((self.id, 1))


@dataclass
class World:
    """All entities the fake knows about, keyed by id, plus friendly name lookups.

    ``users``, ``channels`` and ``roles`` map friendly names (``"editor1"``,
    ``"editorial"``, ``"Editors"``) to ids so tests never hardcode snowflakes.
    """

    application_id: int
    bot_user_id: int
    home_guild_id: int
    other_guild_id: int
    editor_role_id: int
    admin_role_id: int
    moderator_role_id: int
    users: dict[str, int]
    channels: dict[str, int]
    roles: dict[str, int]
    guilds: dict[int, GuildState]
    all_channels: dict[int, ChannelState]
    user_objects: dict[int, dict[str, Any]]
    snowflakes: SnowflakeFactory = field(default_factory=SnowflakeFactory)

    # ----------------------------------------------------------------- lookups
    def user_id(self, user: str | int) -> int:
        """Resolve a friendly user name or id to a known user id."""
        if isinstance(user, str) and not user.isdigit():
            try:
                return self.users[user]
            except KeyError:
                raise KeyError(f"unknown user {user!r}; known: {sorted(self.users)}") from None
        uid = int(user)
        if uid not in self.user_objects:
            raise KeyError(f"unknown user id {uid}")
        return uid

    def channel_id(self, channel: str | int) -> int:
        """Resolve a friendly channel name or id to a known channel id."""
        if isinstance(channel, str) and not channel.isdigit():
            try:
                return self.channels[channel]
            except KeyError:
                raise KeyError(
                    f"unknown channel {channel!r}; known: {sorted(self.channels)}"
                ) from None
        cid = int(channel)
        if cid not in self.all_channels:
            raise KeyError(f"unknown channel id {cid}")
        return cid

    def channel(self, channel_id: int) -> ChannelState | None:
        """The channel with that id, or None."""
        return self.all_channels.get(int(channel_id))

    def user_payload(self, user: str | int) -> dict[str, Any]:
        """A Discord user object (deep copy) for a friendly name or id."""
        return copy.deepcopy(self.user_objects[self.user_id(user)])

    def member(self, guild_id: int, user_id: int) -> MemberState | None:
        """The membership of a user in a guild, or None when not a member."""
        guild = self.guilds.get(guild_id)
        return None if guild is None else guild.members.get(user_id)

    def find_role(self, guild_id: int, role: str | int) -> RoleState:
        """Resolve a role by id, friendly key or display name within a guild."""
        guild = self.guilds[guild_id]
        if isinstance(role, int) or (isinstance(role, str) and role.isdigit()):
            found = guild.roles.get(int(role))
        else:
            rid = self.roles.get(role)
            found = guild.roles.get(rid) if rid else None
            found = found or next((r for r in guild.roles.values() if r.name == role), None)
        if found is None:
            raise KeyError(f"unknown role {role!r} in guild {guild_id}")
        return found

    def thread_parent(self, channel: ChannelState) -> ChannelState:
        """The channel whose overwrites apply (the parent for threads)."""
        if channel.is_thread and channel.parent_id is not None:
            return self.all_channels[channel.parent_id]
        return channel

    # ------------------------------------------------------------- permissions
    def base_permissions(self, guild_id: int, user_id: int) -> int:
        """Guild-level permissions: owner/administrator get everything."""
        guild = self.guilds[guild_id]
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        if member is None:
            return 0
        perms = guild.everyone_role.permissions
        for role_id in member.roles:
            role = guild.roles.get(role_id)
            if role is not None:
                perms |= role.permissions
        if perms & Perm.ADMINISTRATOR:
            return ALL_PERMISSIONS
        return perms

    def channel_permissions(self, channel_id: int, user_id: int) -> int:
        """Permissions of a user in a channel, computed the way Discord does.

        Order: base permissions, @everyone overwrite, role overwrites (all denies
        then all allows), member overwrite; then the implicit rules (no
        VIEW_CHANNEL means nothing; no SEND_MESSAGES removes mention/embed/attach).
        DM channels give the recipient and the bot the DM permission set.
        """
        channel = self.all_channels[channel_id]
        if channel.guild_id is None:
            return int(DM_APP_PERMISSIONS)
        base = self.base_permissions(channel.guild_id, user_id)
        if base & Perm.ADMINISTRATOR:
            return ALL_PERMISSIONS
        member = self.guilds[channel.guild_id].members.get(user_id)
        if member is None:
            return 0
        perms = _apply_overwrites(base, self.thread_parent(channel), channel.guild_id, member)
        if not perms & Perm.VIEW_CHANNEL:
            return 0
        if not perms & Perm.SEND_MESSAGES:
            perms &= ~(
                Perm.MENTION_EVERYONE
                | Perm.SEND_TTS_MESSAGES
                | Perm.ATTACH_FILES
                | Perm.EMBED_LINKS
            )
        return int(perms)

    def has_permission(self, channel_id: int, user_id: int, perm: int) -> bool:
        """Whether the user holds every bit of ``perm`` in the channel."""
        return self.channel_permissions(channel_id, user_id) & perm == perm

    # ---------------------------------------------------------------- payloads
    def role_payload(self, role: RoleState) -> dict[str, Any]:
        """Discord role object."""
        payload: dict[str, Any] = {
            "id": str(role.id),
            "name": role.name,
            "color": role.color,
            "colors": {
                "primary_color": role.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": role.hoist,
            "icon": None,
            "unicode_emoji": None,
            "position": role.position,
            "permissions": str(role.permissions),
            "managed": role.managed,
            "mentionable": role.mentionable,
            "flags": 0,
        }
        if role.bot_id is not None:
            payload["tags"] = {"bot_id": str(role.bot_id)}
        return payload

    def member_payload(
        self, guild_id: int, user_id: int, *, with_user: bool = True, channel_id: int | None = None
    ) -> dict[str, Any]:
        """Discord guild member object; with ``channel_id`` it carries ``permissions``
        as interaction payloads do (the member's total permissions in that channel)."""
        member = self.guilds[guild_id].members[user_id]
        payload: dict[str, Any] = {
            "roles": [str(r) for r in member.roles],
            "nick": member.nick,
            "avatar": None,
            "banner": None,
            "joined_at": member.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
            "unusual_dm_activity_until": None,
        }
        if with_user:
            payload["user"] = self.user_payload(user_id)
        if channel_id is not None:
            payload["permissions"] = str(self.channel_permissions(channel_id, user_id))
        return payload

    def channel_payload(
        self, channel: ChannelState, *, for_user: int | None = None
    ) -> dict[str, Any]:
        """Discord channel object (guild channel, thread or DM).

        ``for_user`` adds the ``permissions`` field Discord includes in
        interaction ``channel`` objects and resolved channels.
        """
        if channel.guild_id is None:
            payload: dict[str, Any] = {
                "id": str(channel.id),
                "type": DM,
                "last_message_id": _opt_str(channel.last_message_id),
                "flags": 0,
                "recipients": [self.user_payload(channel.recipient_id)]
                if channel.recipient_id
                else [],
            }
        elif channel.is_thread:
            payload = self._thread_payload(channel)
        else:
            payload = {
                "id": str(channel.id),
                "type": channel.type,
                "guild_id": str(channel.guild_id),
                "name": channel.name,
                "position": channel.position,
                "permission_overwrites": copy.deepcopy(channel.overwrites),
                "parent_id": _opt_str(channel.parent_id),
                "topic": channel.topic,
                "nsfw": channel.nsfw,
                "last_message_id": _opt_str(channel.last_message_id),
                "rate_limit_per_user": 0,
                "default_auto_archive_duration": 1440,
                "flags": 0,
            }
        if for_user is not None:
            payload["permissions"] = str(self.channel_permissions(channel.id, for_user))
        return payload

    def _thread_payload(self, channel: ChannelState) -> dict[str, Any]:
        return {
            "id": str(channel.id),
            "type": channel.type,
            "guild_id": str(channel.guild_id),
            "parent_id": str(channel.parent_id),
            "owner_id": str(channel.owner_id),
            "name": channel.name,
            "last_message_id": _opt_str(channel.last_message_id),
            "rate_limit_per_user": 0,
            "message_count": channel.message_count,
            "member_count": 1,
            "total_message_sent": channel.message_count,
            "flags": 0,
            "thread_metadata": {
                "archived": channel.archived,
                "auto_archive_duration": channel.auto_archive_duration,
                "archive_timestamp": channel.created_at,
                "locked": channel.locked,
                "create_timestamp": channel.created_at,
                "invitable": channel.invitable,
            },
        }

    def guild_payload(self, guild_id: int, *, gateway: bool = False) -> dict[str, Any]:
        """Discord guild object; ``gateway=True`` gives the GUILD_CREATE shape with
        channels, threads and the bot's own member (all a bot without the members
        intent receives)."""
        guild = self.guilds[guild_id]
        payload: dict[str, Any] = {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": [
                self.role_payload(r) for r in sorted(guild.roles.values(), key=lambda r: r.position)
            ],
            "emojis": [],
            "stickers": [],
            "features": list(guild.features),
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_members": 500000,
            "max_presences": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
        }
        if gateway:
            bot_member = self.member_payload(guild_id, self.bot_user_id)
            payload.update(
                joined_at=guild.members[self.bot_user_id].joined_at,
                large=False,
                unavailable=False,
                lazy=True,
                member_count=len(guild.members),
                voice_states=[],
                members=[bot_member],
                presences=[],
                channels=[self.channel_payload(self.all_channels[c]) for c in guild.channel_ids],
                threads=[
                    self.channel_payload(self.all_channels[t])
                    for t in guild.thread_ids
                    if not self.all_channels[t].archived
                ],
                stage_instances=[],
                guild_scheduled_events=[],
                soundboard_sounds=[],
            )
        return payload

    # ---------------------------------------------------------------- mutation
    def add_text_channel(
        self, guild_id: int, name: str, *, channel_type: int = GUILD_TEXT
    ) -> ChannelState:
        """Create a guild text/announcement channel at the end of the guild."""
        guild = self.guilds[guild_id]
        channel = ChannelState(
            id=self.snowflakes.next(),
            type=channel_type,
            name=name,
            guild_id=guild_id,
            position=len(guild.channel_ids),
        )
        self._register_channel(guild, channel)
        return channel

    def add_thread(
        self,
        parent: ChannelState,
        *,
        thread_id: int | None,
        name: str,
        thread_type: int,
        owner_id: int,
        auto_archive_duration: int = 1440,
        invitable: bool = True,
    ) -> ChannelState:
        """Create a thread under a guild channel (``thread_id`` = message id when the
        thread is started from a message, as on Discord)."""
        assert parent.guild_id is not None
        thread = ChannelState(
            id=thread_id or self.snowflakes.next(),
            type=thread_type,
            name=name,
            guild_id=parent.guild_id,
            parent_id=parent.id,
            owner_id=owner_id,
            auto_archive_duration=auto_archive_duration,
            created_at=iso(),
            invitable=invitable,
        )
        self.all_channels[thread.id] = thread
        self.guilds[parent.guild_id].thread_ids.append(thread.id)
        return thread

    def dm_channel(self, user_id: int) -> ChannelState:
        """The bot's DM channel with a user (created on first use, stable after)."""
        for channel in self.all_channels.values():
            if channel.guild_id is None and channel.recipient_id == user_id:
                return channel
        channel = ChannelState(
            id=self.snowflakes.next(), type=DM, name=None, guild_id=None, recipient_id=user_id
        )
        self.all_channels[channel.id] = channel
        return channel

    def set_member_overwrite(
        self, channel_id: int, user_id: int, *, allow: int = 0, deny: int = 0
    ) -> None:
        """Replace (or with allow=deny=0 remove) a member permission overwrite."""
        channel = self.all_channels[channel_id]
        channel.overwrites = [
            o for o in channel.overwrites if not (o["type"] == 1 and int(o["id"]) == user_id)
        ]
        if allow or deny:
            channel.overwrites.append(
                {"id": str(user_id), "type": 1, "allow": str(allow), "deny": str(deny)}
            )

    def _register_channel(self, guild: GuildState, channel: ChannelState) -> None:
        self.all_channels[channel.id] = channel
        guild.channel_ids.append(channel.id)
        if channel.name and channel.name not in self.channels:
            self.channels[channel.name] = channel.id


def _opt_str(value: int | None) -> str | None:
    return None if value is None else str(value)


def _apply_overwrites(base: int, channel: ChannelState, guild_id: int, member: MemberState) -> int:
    perms = base
    by_key = {(o["type"], int(o["id"])): o for o in channel.overwrites}
    everyone = by_key.get((0, guild_id))
    if everyone:
        perms = (perms & ~int(everyone["deny"])) | int(everyone["allow"])
    allow = deny = 0
    for role_id in member.roles:
        overwrite = by_key.get((0, role_id))
        if overwrite:
            allow |= int(overwrite["allow"])
            deny |= int(overwrite["deny"])
    perms = (perms & ~deny) | allow
    own = by_key.get((1, member.user_id))
    if own:
        perms = (perms & ~int(own["deny"])) | int(own["allow"])
    return perms


# ------------------------------------------------------------------ the world
_USER_SPECS: list[tuple[str, str, bool]] = [
    # (friendly name / username, global display name, is bot)
    ("newsroom", "Newsroom", True),
    ("admin", "Admin", False),
    ("editor1", "Editor One", False),
    ("editor2", "Editor Two", False),
    ("reader", "Reader", False),
    ("owner2", "Owner Two", False),
    ("admin2", "Admin Two", False),
    ("reader2", "Reader Two", False),
    ("editor3", "Editor Three", False),
]


def build_world() -> World:
    """Create the fixed test world described in the module docstring of fake_discord."""
    counter = iter(range(1, 10_000))

    def next_id() -> int:
        return fixed_id(next(counter))

    user_ids: dict[str, int] = {}
    user_objects: dict[int, dict[str, Any]] = {}
    for username, display, is_bot in _USER_SPECS:
        uid = next_id()
        user_ids[username] = uid
        user_objects[uid] = _user_object(uid, username, display, is_bot)
    bot_id = user_ids["newsroom"]
    user_ids["bot"] = bot_id

    home_id, other_id = next_id(), next_id()
    joined = iso(_FIXED_BASE_MS / 1000)

    admin_role = RoleState(
        next_id(), home_id, "Admins", int(Perm.ADMINISTRATOR | Perm.MANAGE_GUILD), 3, hoist=True
    )
    editor_role = RoleState(next_id(), home_id, "Editors", 0, 1, mentionable=False, color=0x3498DB)
    bot_home_role = RoleState(
        next_id(), home_id, "Newsroom", int(BOT_ROLE_PERMISSIONS), 2, managed=True, bot_id=bot_id
    )
    home = GuildState(
        id=home_id,
        name="Newsroom HQ",
        owner_id=user_ids["admin"],
        roles={
            home_id: RoleState(home_id, home_id, "@everyone", int(EVERYONE_PERMISSIONS), 0),
            editor_role.id: editor_role,
            bot_home_role.id: bot_home_role,
            admin_role.id: admin_role,
        },
        members={},
        channel_ids=[],
        features=["COMMUNITY", "NEWS"],
        # The README's set-up step: the admin gave the Editors role the bot's commands
        # (editorial commands are hidden by default_member_permissions otherwise).
        command_access=[{"id": editor_role.id, "type": 1, "permission": True}],
    )
    for name, roles in (
        ("admin", [admin_role.id]),
        ("editor1", [editor_role.id]),
        ("editor2", [editor_role.id]),
        ("editor3", [editor_role.id]),
        ("reader", []),
        ("newsroom", [bot_home_role.id]),
    ):
        home.members[user_ids[name]] = MemberState(user_ids[name], roles, joined)

    mod_role = RoleState(
        next_id(),
        other_id,
        "Moderators",
        int(Perm.MANAGE_CHANNELS | Perm.MANAGE_GUILD),
        2,
        hoist=True,
    )
    bot_other_role = RoleState(
        next_id(), other_id, "Newsroom", int(BOT_ROLE_PERMISSIONS), 1, managed=True, bot_id=bot_id
    )
    other = GuildState(
        id=other_id,
        name="Partner Paper",
        owner_id=user_ids["owner2"],
        roles={
            other_id: RoleState(other_id, other_id, "@everyone", int(EVERYONE_PERMISSIONS), 0),
            bot_other_role.id: bot_other_role,
            mod_role.id: mod_role,
        },
        members={},
        channel_ids=[],
    )
    for name, roles in (
        ("owner2", []),
        ("admin2", [mod_role.id]),
        ("reader2", []),
        ("newsroom", [bot_other_role.id]),
    ):
        other.members[user_ids[name]] = MemberState(user_ids[name], roles, joined)

    world = World(
        application_id=bot_id,
        bot_user_id=bot_id,
        home_guild_id=home_id,
        other_guild_id=other_id,
        editor_role_id=editor_role.id,
        admin_role_id=admin_role.id,
        moderator_role_id=mod_role.id,
        users=user_ids,
        channels={},
        roles={
            "Editors": editor_role.id,
            "Admins": admin_role.id,
            "Moderators": mod_role.id,
            "bot_home": bot_home_role.id,
            "bot_other": bot_other_role.id,
        },
        guilds={home_id: home, other_id: other},
        all_channels={},
        user_objects=user_objects,
    )
    for name, ctype in (
        ("editorial", GUILD_TEXT),
        ("feedback", GUILD_TEXT),
        ("general", GUILD_TEXT),
        ("announcements", GUILD_ANNOUNCEMENT),
    ):
        world._register_channel(
            home, ChannelState(next_id(), ctype, name, home_id, position=len(home.channel_ids))
        )
    world._register_channel(
        other, ChannelState(next_id(), GUILD_TEXT, "news", other_id, position=0)
    )

    # Announcement channels are usually read-only for @everyone; the bot's role may post.
    announcements = world.all_channels[world.channels["announcements"]]
    announcements.overwrites = [
        {"id": str(home_id), "type": 0, "allow": "0", "deny": str(int(Perm.SEND_MESSAGES))},
        {
            "id": str(bot_home_role.id),
            "type": 0,
            "allow": str(int(Perm.SEND_MESSAGES)),
            "deny": "0",
        },
    ]
    return world


def _user_object(uid: int, username: str, display: str, is_bot: bool) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(uid),
        "username": username,
        "discriminator": "4821" if is_bot else "0",
        "global_name": None if is_bot else display,
        "avatar": None,
        "avatar_decoration_data": None,
        "banner": None,
        "accent_color": None,
        "public_flags": 0,
        "primary_guild": None,
        "collectibles": None,
    }
    if is_bot:
        payload["bot"] = True
    return payload
