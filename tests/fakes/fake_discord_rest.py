"""REST endpoints of the fake Discord (everything except interactions' own routes,
which live with the interaction logic in fake_discord_interactions).

Handlers check the bot's permissions with the same math Discord uses (so
``fake.deny_bot`` yields the 50001/50013 errors a real missing overwrite would) and
answer with the JSON shapes discord.py parses.
"""

from __future__ import annotations

import copy
import logging
import time
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.fakes.fake_discord_http import (
    ApiError,
    ApiRequest,
    ApiResponse,
    FormErrors,
    RateLimitedError,
    Router,
    missing_access,
    missing_permissions,
    unknown_channel,
    unknown_message,
)
from tests.fakes.fake_discord_messages import CROSSPOSTED, HAS_THREAD, IS_CROSSPOST, MessageRecord
from tests.fakes.fake_discord_world import (
    ANNOUNCEMENT_THREAD,
    GUILD_ANNOUNCEMENT,
    GUILD_TEXT,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    ChannelState,
    Perm,
    iso,
)

if TYPE_CHECKING:
    from tests.fakes.fake_discord import FakeDiscord

logger = logging.getLogger(__name__)


@dataclass
class Follower:
    """A channel follow: crossposts of ``source`` are copied into ``target``."""

    source_channel_id: int
    target_channel_id: int
    webhook_id: int


class RestApi:
    """Route handlers bound to one FakeDiscord."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.world = fake.world
        self.store = fake.store
        self.messages = fake.messages
        self.crosspost_copies: dict[int, list[MessageRecord]] = {}
        """Source message id -> its copies in following channels (edits reach them)."""

    def register(self, router: Router) -> None:
        """Register every route (literal paths before overlapping templates)."""
        interactions = self.fake.interactions
        add = router.add
        add("GET", "/users/@me", self.get_me)
        add("GET", "/users/@me/guilds", self.get_my_guilds)
        add("POST", "/users/@me/channels", self.create_dm)
        add("GET", "/users/{user_id}", self.get_user)
        add("GET", "/gateway", self.get_gateway)
        add("GET", "/gateway/bot", self.get_gateway_bot)
        add("GET", "/oauth2/applications/@me", self.get_application)
        add("GET", "/applications/@me", self.get_application)
        for prefix, scoped in (
            ("/applications/{application_id}/commands", False),
            ("/applications/{application_id}/guilds/{guild_id}/commands", True),
        ):
            add("GET", prefix, self.list_commands)
            add("PUT", prefix, self.bulk_overwrite_commands)
            add("POST", prefix, self.upsert_command)
            if scoped:
                add("GET", prefix + "/permissions", self.list_command_permissions)
            add("GET", prefix + "/{command_id}", self.get_command)
            add("PATCH", prefix + "/{command_id}", self.edit_command)
            add("DELETE", prefix + "/{command_id}", self.delete_command)
        add("GET", "/channels/{channel_id}", self.get_channel)
        add("PATCH", "/channels/{channel_id}", self.edit_channel)
        add("GET", "/channels/{channel_id}/messages", self.list_messages)
        add("POST", "/channels/{channel_id}/messages", self.create_message)
        add("POST", "/channels/{channel_id}/messages/bulk-delete", self.bulk_delete)
        add("GET", "/channels/{channel_id}/messages/pins", self.list_pins)
        add("PUT", "/channels/{channel_id}/messages/pins/{message_id}", self.pin)
        add("DELETE", "/channels/{channel_id}/messages/pins/{message_id}", self.unpin)
        add("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message)
        add("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message)
        add("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message)
        add("POST", "/channels/{channel_id}/messages/{message_id}/crosspost", self.crosspost)
        add(
            "POST", "/channels/{channel_id}/messages/{message_id}/threads", self.thread_from_message
        )
        add(
            "PUT",
            "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
            self.add_reaction,
        )
        add(
            "DELETE",
            "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
            self.remove_reaction,
        )
        add("POST", "/channels/{channel_id}/threads", self.thread_without_message)
        add("PUT", "/channels/{channel_id}/thread-members/@me", self.join_thread)
        add("POST", "/channels/{channel_id}/typing", self.typing)
        add("POST", "/channels/{channel_id}/followers", self.follow)
        add("DELETE", "/webhooks/{webhook_id}", self.delete_webhook)
        add("GET", "/guilds/{guild_id}", self.get_guild)
        add("GET", "/guilds/{guild_id}/channels", self.get_guild_channels)
        add("GET", "/guilds/{guild_id}/roles", self.get_roles)
        add("GET", "/guilds/{guild_id}/members", self.list_members)
        add("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member)
        add("GET", "/guilds/{guild_id}/threads/active", self.active_threads)
        token_route = {"auth": False, "global_limit": False}
        add(
            "POST",
            "/interactions/{webhook_id}/{webhook_token}/callback",
            interactions.handle_callback,
            **token_route,
        )
        add(
            "POST",
            "/webhooks/{webhook_id}/{webhook_token}",
            interactions.webhook_execute,
            **token_route,
        )
        message_route = "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
        add("GET", message_route, interactions.webhook_get, **token_route)
        add("PATCH", message_route, interactions.webhook_edit, **token_route)
        add("DELETE", message_route, interactions.webhook_delete, **token_route)

    # ================================================================ users
    async def get_me(self, req: ApiRequest) -> dict[str, Any]:
        """The bot user (what ``Client.login`` fetches)."""
        user = self.world.user_payload(self.world.bot_user_id)
        user.update(verified=True, mfa_enabled=False, flags=0, email=None, locale="en-US")
        return user

    async def get_user(self, req: ApiRequest) -> dict[str, Any]:
        """Any known user."""
        try:
            return self.world.user_payload(int(req.params["user_id"]))
        except (KeyError, ValueError):
            raise ApiError(404, 10013, "Unknown User") from None

    async def get_my_guilds(self, req: ApiRequest) -> list[dict[str, Any]]:
        """Partial guilds the bot is in."""
        out = []
        for guild in self.world.guilds.values():
            perms = self.world.base_permissions(guild.id, self.world.bot_user_id)
            out.append(
                {
                    "id": str(guild.id),
                    "name": guild.name,
                    "icon": None,
                    "banner": None,
                    "owner": False,
                    "permissions": str(perms),
                    "features": list(guild.features),
                }
            )
        return out

    async def create_dm(self, req: ApiRequest) -> dict[str, Any]:
        """Open (or return) the DM channel with a user."""
        body = req.body or {}
        try:
            user_id = self.world.user_id(int(body["recipient_id"]))
        except (KeyError, ValueError, TypeError):
            raise ApiError(400, 50033, "Invalid Recipient(s)") from None
        if user_id == self.world.bot_user_id:
            raise ApiError(400, 50007, "Cannot send messages to this user")
        return self.world.channel_payload(self.world.dm_channel(user_id))

    async def get_gateway(self, req: ApiRequest) -> dict[str, Any]:
        """Gateway URL (the fake's own websocket)."""
        return {"url": self.fake.gateway_url}

    async def get_gateway_bot(self, req: ApiRequest) -> dict[str, Any]:
        """Gateway URL, recommended shards and session start limits."""
        return {
            "url": self.fake.gateway_url,
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 1000 - self.fake.identify_count,
                "reset_after": 14_400_000,
                "max_concurrency": 1,
            },
        }

    async def get_application(self, req: ApiRequest) -> dict[str, Any]:
        """The bot's application (owner: the ``admin`` user)."""
        bot = self.world.user_payload(self.world.bot_user_id)
        return {
            "id": str(self.world.application_id),
            "name": bot["username"],
            "icon": None,
            "description": "Fake newsroom application",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "owner": self.world.user_payload("admin"),
            "team": None,
            "bot": bot,
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "integration_types_config": {"0": {}},
            "approximate_guild_count": len(self.world.guilds),
            "tags": [],
        }

    # ============================================================= commands
    def _scope(self, req: ApiRequest) -> int | None:
        if req.params["application_id"] != str(self.world.application_id):
            raise ApiError(403, 50001, "Missing Access")
        guild = req.params.get("guild_id")
        if guild is None:
            return None
        if int(guild) not in self.world.guilds:
            raise ApiError(403, 50001, "Missing Access")
        return int(guild)

    async def list_commands(self, req: ApiRequest) -> list[dict[str, Any]]:
        """GET commands of a scope."""
        return self.fake.commands.list(self._scope(req))

    async def bulk_overwrite_commands(self, req: ApiRequest) -> list[dict[str, Any]]:
        """PUT (what ``tree.sync`` does)."""
        if not isinstance(req.body, list):
            raise ApiError(400, 50035, "Invalid Form Body")
        return self.fake.commands.bulk_overwrite(self._scope(req), req.body)

    async def upsert_command(self, req: ApiRequest) -> ApiResponse:
        """POST one command (201 when created)."""
        created, command = self.fake.commands.upsert(self._scope(req), req.body or {})
        return ApiResponse(command, status=201 if created else 200)

    async def get_command(self, req: ApiRequest) -> dict[str, Any]:
        """GET one command."""
        return copy.deepcopy(
            self.fake.commands.get(self._scope(req), int(req.params["command_id"]))
        )

    async def edit_command(self, req: ApiRequest) -> dict[str, Any]:
        """PATCH one command."""
        return self.fake.commands.edit(
            self._scope(req), int(req.params["command_id"]), req.body or {}
        )

    async def delete_command(self, req: ApiRequest) -> ApiResponse:
        """DELETE one command."""
        self.fake.commands.delete(self._scope(req), int(req.params["command_id"]))
        return ApiResponse(status=204)

    async def list_command_permissions(self, req: ApiRequest) -> list[dict[str, Any]]:
        """The application-level permissions a server admin set under Integrations (the
        fake has no per-command ones): one entry whose id is the application's."""
        guild_id = self._scope(req)
        access = self.world.guilds[guild_id].command_access if guild_id else []
        if not access:
            return []
        app = str(self.world.application_id)
        return [{"id": app, "application_id": app, "guild_id": str(guild_id),
                 "permissions": [{**e, "id": str(e["id"])} for e in access]}]

    # ============================================================= channels
    def _channel(self, req: ApiRequest, *, need: int = Perm.VIEW_CHANNEL) -> ChannelState:
        """The channel of the route, checking the bot can see it (50001) and holds
        ``need`` (50013)."""
        raw = req.params["channel_id"]
        channel = self.world.channel(int(raw)) if raw.isdigit() else None
        if channel is None:
            raise unknown_channel()
        if channel.guild_id is None:
            return channel
        perms = self.world.channel_permissions(channel.id, self.world.bot_user_id)
        if not perms & Perm.VIEW_CHANNEL:
            raise missing_access()
        if perms & need != need:
            raise missing_permissions()
        return channel

    def _message(self, req: ApiRequest, channel: ChannelState) -> MessageRecord:
        raw = req.params["message_id"]
        record = self.store.live(channel.id, int(raw)) if raw.isdigit() else None
        if record is None or record.ephemeral:
            raise unknown_message()
        return record

    async def get_channel(self, req: ApiRequest) -> dict[str, Any]:
        """GET a channel/thread/DM."""
        return self.world.channel_payload(self._channel(req))

    async def edit_channel(self, req: ApiRequest) -> dict[str, Any]:
        """PATCH a thread (name/archived/locked) or channel (name/topic)."""
        channel = self._channel(req)
        body = req.body or {}
        bot = self.world.bot_user_id
        if channel.is_thread:
            if channel.owner_id != bot and not self.world.has_permission(
                channel.id, bot, Perm.MANAGE_THREADS
            ):
                raise missing_permissions()
            for key in ("name", "archived", "locked", "auto_archive_duration"):
                if key in body:
                    setattr(channel, key, body[key])
            payload = self.world.channel_payload(channel)
            self.fake.gateway.dispatch("THREAD_UPDATE", payload)
            return payload
        if not self.world.has_permission(channel.id, bot, Perm.MANAGE_CHANNELS):
            raise missing_permissions()
        for key in ("name", "topic"):
            if key in body:
                setattr(channel, key, body[key])
        payload = self.world.channel_payload(channel)
        self.fake.gateway.dispatch("CHANNEL_UPDATE", payload)
        return payload

    async def typing(self, req: ApiRequest) -> ApiResponse:
        """Typing indicator: nothing to record."""
        self._channel(req, need=Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES)
        return ApiResponse(status=204)

    async def list_messages(self, req: ApiRequest) -> list[dict[str, Any]]:
        """GET channel history, newest first, with before/after/around + limit."""
        channel = self._channel(req, need=Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY)
        limit = max(1, min(100, int(req.query.get("limit", 50))))
        records = self.store.channel_records(channel.id)
        if "before" in req.query:
            records = [r for r in records if r.id < int(req.query["before"])]
        if "after" in req.query:
            records = [r for r in records if r.id > int(req.query["after"])][:limit]
        if "around" in req.query:
            around = int(req.query["around"])
            older = [r for r in records if r.id <= around][-(limit // 2 + 1) :]
            newer = [r for r in records if r.id > around][: limit - len(older)]
            records = older + newer
        chosen = records[-limit:]
        return [copy.deepcopy(r.current) for r in reversed(chosen)]

    async def get_message(self, req: ApiRequest) -> dict[str, Any]:
        """GET one message."""
        channel = self._channel(req, need=Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY)
        return copy.deepcopy(self._message(req, channel).current)

    async def create_message(self, req: ApiRequest) -> dict[str, Any]:
        """POST a message (JSON or multipart), honouring ``enforce_nonce``."""
        channel = self._channel(req)
        body = req.body or {}
        self._check_can_send(channel, bool(req.files))
        nonce = body.get("nonce")
        enforce = bool(body.get("enforce_nonce")) and nonce is not None
        now = time.monotonic()
        if enforce:
            previous = self.store.nonce_hit(channel.id, str(nonce), now)
            if previous is not None:
                logger.debug(
                    "nonce %s already used in %s: returning message %s",
                    nonce,
                    channel.id,
                    previous.id,
                )
                return copy.deepcopy(previous.current)
        record = self.messages.create(
            channel_id=channel.id, author_id=self.world.bot_user_id, body=body, files=req.files
        )
        if enforce:
            self.store.remember_nonce(channel.id, str(nonce), record.id, now)
        return copy.deepcopy(record.current)

    def _check_can_send(self, channel: ChannelState, has_files: bool) -> None:
        if channel.guild_id is None:
            if channel.recipient_id in self.fake.closed_dms:
                raise ApiError(403, 50007, "Cannot send messages to this user")
            return
        bot = self.world.bot_user_id
        need = Perm.SEND_MESSAGES_IN_THREADS if channel.is_thread else Perm.SEND_MESSAGES
        if has_files:
            need |= Perm.ATTACH_FILES
        if not self.world.has_permission(channel.id, bot, need):
            raise missing_permissions()
        if channel.is_thread and channel.locked:
            raise ApiError(403, 50083, "Thread is archived")

    async def edit_message(self, req: ApiRequest) -> dict[str, Any]:
        """PATCH a message: the author edits anything; others may only toggle
        SUPPRESS_EMBEDS with MANAGE_MESSAGES (50005 otherwise)."""
        channel = self._channel(req)
        record = self._message(req, channel)
        body = req.body or {}
        bot = self.world.bot_user_id
        if record.author_id != bot:
            only_flags = set(body) <= {"flags"}
            if not only_flags or not self.world.has_permission(
                channel.id, bot, Perm.MANAGE_MESSAGES
            ):
                raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        self.messages.edit(record, body, req.files)
        self._edit_crosspost_copies(record)
        return copy.deepcopy(record.current)

    def _edit_crosspost_copies(self, record: MessageRecord) -> None:
        """Discord carries an edit of a crossposted message into every follower's copy
        (a deleted source, by contrast, leaves the copies where they are)."""
        for target in self.crosspost_copies.get(record.id, []):
            if not target.deleted:
                self.messages.edit(target, {"content": record.current.get("content", ""),
                                            "embeds": record.current.get("embeds", []),
                                            "allowed_mentions": {"parse": []}}, [])

    async def delete_message(self, req: ApiRequest) -> ApiResponse:
        """DELETE a message (own, or anyone's with MANAGE_MESSAGES)."""
        channel = self._channel(req)
        record = self._message(req, channel)
        bot = self.world.bot_user_id
        if record.author_id != bot and not self.world.has_permission(
            channel.id, bot, Perm.MANAGE_MESSAGES
        ):
            raise missing_permissions()
        self.messages.delete(record)
        return ApiResponse(status=204)

    async def bulk_delete(self, req: ApiRequest) -> ApiResponse:
        """POST bulk-delete: 2..100 messages younger than 14 days."""
        channel = self._channel(req, need=Perm.VIEW_CHANNEL | Perm.MANAGE_MESSAGES)
        ids = [int(i) for i in (req.body or {}).get("messages", [])]
        if not 2 <= len(ids) <= 100:
            errors = FormErrors()
            errors.add(
                ("messages",), "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length."
            )
            errors.raise_if_any()
        two_weeks_ago = time.time() - 14 * 86400
        deleted = []
        for mid in ids:
            record = self.store.live(channel.id, mid)
            if record is None:
                continue
            if ((mid >> 22) + 1420070400000) / 1000 < two_weeks_ago:
                raise ApiError(
                    400, 50034, "You can only bulk delete messages that are under 14 days old."
                )
            self.messages.delete(record, dispatch=False)
            deleted.append(str(mid))
        data: dict[str, Any] = {"ids": deleted, "channel_id": str(channel.id)}
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        self.fake.gateway.dispatch("MESSAGE_DELETE_BULK", data)
        return ApiResponse(status=204)

    # ------------------------------------------------------------- pins
    async def list_pins(self, req: ApiRequest) -> dict[str, Any]:
        """GET pinned messages (the 2025 paginated shape)."""
        channel = self._channel(req, need=Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY)
        pinned = [r for r in self.store.channel_records(channel.id) if r.current.get("pinned")]
        items = [
            {"pinned_at": r.current.get("timestamp"), "message": copy.deepcopy(r.current)}
            for r in reversed(pinned)
        ]
        return {"items": items, "has_more": False}

    async def pin(self, req: ApiRequest) -> ApiResponse:
        """PUT a pin (needs MANAGE_MESSAGES)."""
        return self._set_pinned(req, True)

    async def unpin(self, req: ApiRequest) -> ApiResponse:
        """DELETE a pin."""
        return self._set_pinned(req, False)

    def _set_pinned(self, req: ApiRequest, pinned: bool) -> ApiResponse:
        channel = self._channel(req, need=Perm.VIEW_CHANNEL | Perm.MANAGE_MESSAGES)
        record = self._message(req, channel)
        self.messages.system_update(record, lambda p: p.update(pinned=pinned))
        return ApiResponse(status=204)

    # -------------------------------------------------------- reactions
    async def add_reaction(self, req: ApiRequest) -> ApiResponse:
        """PUT own reaction."""
        return self._react(req, add=True)

    async def remove_reaction(self, req: ApiRequest) -> ApiResponse:
        """DELETE own reaction."""
        return self._react(req, add=False)

    def _react(self, req: ApiRequest, *, add: bool) -> ApiResponse:
        need = Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY | (Perm.ADD_REACTIONS if add else 0)
        channel = self._channel(req, need=need)
        record = self._message(req, channel)
        emoji_name = urllib.parse.unquote(req.params["emoji"])
        name, _, emoji_id = emoji_name.partition(":")

        def mutate(payload: dict[str, Any]) -> None:
            reactions = payload.setdefault("reactions", [])
            entry = next((r for r in reactions if r["emoji"]["name"] == name), None)
            if add and entry is None:
                reactions.append(
                    {
                        "emoji": {"id": emoji_id or None, "name": name},
                        "count": 1,
                        "count_details": {"burst": 0, "normal": 1},
                        "me": True,
                        "me_burst": False,
                        "burst_colors": [],
                    }
                )
            elif not add and entry is not None and entry["me"]:
                entry["count"] -= 1
                entry["me"] = False
                if entry["count"] <= 0:
                    reactions.remove(entry)

        self.messages.system_update(record, mutate)
        return ApiResponse(status=204)

    # --------------------------------------------------- announcements
    async def crosspost(self, req: ApiRequest) -> dict[str, Any]:
        """Publish a message of an announcement channel (10/hour/channel by default)
        and copy it into every following channel."""
        channel = self._channel(req)
        if channel.type != GUILD_ANNOUNCEMENT:
            raise ApiError(403, 50024, "Cannot execute action on this channel type")
        record = self._message(req, channel)
        bot = self.world.bot_user_id
        need = Perm.SEND_MESSAGES if record.author_id == bot else Perm.MANAGE_MESSAGES
        if not self.world.has_permission(channel.id, bot, need):
            raise missing_permissions()
        if record.flags & CROSSPOSTED:
            raise ApiError(400, 40033, "This message has already been crossposted.")
        limit, window = self.fake.crosspost_limit
        key = f"crosspost:{channel.id}"
        retry_after = self.fake.limiter.take_shared(key, limit, window)
        bucket = self.fake.crosspost_headers == "bucket"
        headers = self._crosspost_bucket_headers(key, limit) if bucket else {}
        if retry_after is not None:
            raise RateLimitedError(retry_after, "user" if bucket else "shared",
                                   headers=headers or None)
        self.messages.system_update(
            record, lambda p: p.update(flags=int(p.get("flags", 0)) | CROSSPOSTED)
        )
        for follower in self.fake.followers:
            if follower.source_channel_id == channel.id:
                self._deliver_crosspost(record, follower)
        return ApiResponse(copy.deepcopy(record.current), headers=headers)

    def _crosspost_bucket_headers(self, key: str, limit: int) -> dict[str, str]:
        """The "bucket" reading: the hour shown as a bucket of ``limit`` crossposts."""
        remaining, reset_after = self.fake.limiter.shared_state(key)
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": "crosspost-hour",
        }

    def _deliver_crosspost(self, record: MessageRecord, follower: Follower) -> None:
        source = self.world.all_channels[record.channel_id]
        guild = self.world.guilds[source.guild_id or 0]
        author = {
            "id": str(follower.webhook_id),
            "username": f"{guild.name} #{source.name}",
            "discriminator": "0000",
            "avatar": None,
            "bot": True,
            "global_name": None,
        }
        body = {
            "content": record.current.get("content", ""),
            "embeds": record.current.get("embeds", []),
            "allowed_mentions": {"parse": []},
        }
        target = self.messages.create(
            channel_id=follower.target_channel_id,
            author_id=follower.webhook_id,
            body=body,
            files=[],
            extra_flags=IS_CROSSPOST,
            webhook_id=follower.webhook_id,
            author_override=author,
            extra={
                "message_reference": {
                    "type": 0,
                    "message_id": str(record.id),
                    "channel_id": str(source.id),
                    "guild_id": str(guild.id),
                }
            },
        )
        self.crosspost_copies.setdefault(record.id, []).append(target)

    async def follow(self, req: ApiRequest) -> dict[str, Any]:
        """Follow an announcement channel into another channel (a webhook there)."""
        source = self._channel(req)
        if source.type != GUILD_ANNOUNCEMENT:
            raise ApiError(403, 50024, "Cannot execute action on this channel type")
        target_raw = str((req.body or {}).get("webhook_channel_id", ""))
        target = self.world.channel(int(target_raw)) if target_raw.isdigit() else None
        if (
            target is None
            or target.guild_id is None
            or target.type not in (GUILD_TEXT, GUILD_ANNOUNCEMENT)
        ):
            raise unknown_channel()
        if not self.world.has_permission(
            target.id, self.world.bot_user_id, Perm.VIEW_CHANNEL | Perm.MANAGE_WEBHOOKS
        ):
            raise missing_permissions()
        existing = next(
            (
                f
                for f in self.fake.followers
                if (f.source_channel_id, f.target_channel_id) == (source.id, target.id)
            ),
            None,
        )
        follower = existing or Follower(source.id, target.id, self.world.snowflakes.next())
        if existing is None:
            self.fake.followers.append(follower)
        return {"channel_id": str(source.id), "webhook_id": str(follower.webhook_id)}

    async def delete_webhook(self, req: ApiRequest) -> ApiResponse:
        """DELETE a webhook (with the bot's token): for a channel follow, unfollow. Needs
        Manage Webhooks in the webhook's channel."""
        raw = req.params["webhook_id"]
        follower = next((f for f in self.fake.followers if str(f.webhook_id) == raw), None)
        if follower is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        if not self.world.has_permission(follower.target_channel_id, self.world.bot_user_id,
                                         Perm.VIEW_CHANNEL | Perm.MANAGE_WEBHOOKS):
            raise missing_permissions()
        self.fake.followers.remove(follower)
        return ApiResponse(status=204)

    # ------------------------------------------------------------ threads
    async def thread_from_message(self, req: ApiRequest) -> dict[str, Any]:
        """Start a public thread from a message (the thread id is the message id)."""
        channel = self._channel(req, need=Perm.VIEW_CHANNEL | Perm.CREATE_PUBLIC_THREADS)
        if channel.type not in (GUILD_TEXT, GUILD_ANNOUNCEMENT):
            raise ApiError(403, 50024, "Cannot execute action on this channel type")
        record = self._message(req, channel)
        if record.current.get("thread") is not None:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        body = req.body or {}
        thread_type = ANNOUNCEMENT_THREAD if channel.type == GUILD_ANNOUNCEMENT else PUBLIC_THREAD
        thread = self._create_thread(channel, body, thread_type, thread_id=record.id)
        thread_payload = self.world.channel_payload(thread)
        self.messages.system_update(
            record,
            lambda p: p.update(thread=thread_payload, flags=int(p.get("flags", 0)) | HAS_THREAD),
        )
        return self._thread_response(thread)

    async def thread_without_message(self, req: ApiRequest) -> dict[str, Any]:
        """Start a thread not attached to a message (default type: private, 12)."""
        channel = self._channel(req)
        body = req.body or {}
        thread_type = int(body.get("type") or PRIVATE_THREAD)
        need = (
            Perm.CREATE_PRIVATE_THREADS
            if thread_type == PRIVATE_THREAD
            else Perm.CREATE_PUBLIC_THREADS
        )
        if not self.world.has_permission(channel.id, self.world.bot_user_id, need):
            raise missing_permissions()
        if channel.type not in (GUILD_TEXT, GUILD_ANNOUNCEMENT) or thread_type not in (
            PUBLIC_THREAD,
            PRIVATE_THREAD,
            ANNOUNCEMENT_THREAD,
        ):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        thread = self._create_thread(channel, body, thread_type, thread_id=None)
        return self._thread_response(thread)

    def _create_thread(
        self, parent: ChannelState, body: dict[str, Any], thread_type: int, *, thread_id: int | None
    ) -> ChannelState:
        name = str(body.get("name") or "")
        if not 1 <= len(name) <= 100:
            errors = FormErrors()
            errors.add(("name",), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
            errors.raise_if_any()
        thread = self.world.add_thread(
            parent,
            thread_id=thread_id,
            name=name,
            thread_type=thread_type,
            owner_id=self.world.bot_user_id,
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
            invitable=bool(body.get("invitable", True)),
        )
        event = {
            **self.world.channel_payload(thread),
            "newly_created": True,
            "member": self._thread_member(thread),
        }
        self.fake.gateway.dispatch("THREAD_CREATE", event)
        return thread

    def _thread_member(self, thread: ChannelState) -> dict[str, Any]:
        return {
            "id": str(thread.id),
            "user_id": str(self.world.bot_user_id),
            "join_timestamp": thread.created_at or iso(),
            "flags": 0,
        }

    def _thread_response(self, thread: ChannelState) -> dict[str, Any]:
        return {**self.world.channel_payload(thread), "member": self._thread_member(thread)}

    async def join_thread(self, req: ApiRequest) -> ApiResponse:
        """The bot joins a thread (already a member of its own threads)."""
        self._channel(req)
        return ApiResponse(status=204)

    # ============================================================== guilds
    def _guild(self, req: ApiRequest) -> int:
        raw = req.params["guild_id"]
        if not raw.isdigit() or int(raw) not in self.world.guilds:
            raise ApiError(404, 10004, "Unknown Guild")
        return int(raw)

    async def get_guild(self, req: ApiRequest) -> dict[str, Any]:
        """GET a guild (roles included, channels not, like Discord)."""
        guild_id = self._guild(req)
        payload = self.world.guild_payload(guild_id)
        if req.flag("with_counts"):
            count = len(self.world.guilds[guild_id].members)
            payload.update(approximate_member_count=count, approximate_presence_count=count)
        return payload

    async def get_guild_channels(self, req: ApiRequest) -> list[dict[str, Any]]:
        """GET guild channels."""
        guild = self.world.guilds[self._guild(req)]
        return [self.world.channel_payload(self.world.all_channels[c]) for c in guild.channel_ids]

    async def get_roles(self, req: ApiRequest) -> list[dict[str, Any]]:
        """GET guild roles."""
        guild = self.world.guilds[self._guild(req)]
        return [self.world.role_payload(r) for r in guild.roles.values()]

    async def get_member(self, req: ApiRequest) -> dict[str, Any]:
        """GET one member (10007 Unknown Member when not in the guild)."""
        guild_id = self._guild(req)
        raw = req.params["user_id"]
        if not raw.isdigit() or self.world.member(guild_id, int(raw)) is None:
            raise ApiError(404, 10007, "Unknown Member")
        return self.world.member_payload(guild_id, int(raw))

    async def list_members(self, req: ApiRequest) -> list[dict[str, Any]]:
        """GET members (ordered by id, ``after`` + ``limit``)."""
        guild_id = self._guild(req)
        after = int(req.query.get("after", 0))
        limit = max(1, min(1000, int(req.query.get("limit", 1))))
        ids = sorted(uid for uid in self.world.guilds[guild_id].members if uid > after)[:limit]
        return [self.world.member_payload(guild_id, uid) for uid in ids]

    async def active_threads(self, req: ApiRequest) -> dict[str, Any]:
        """GET active threads of a guild."""
        guild = self.world.guilds[self._guild(req)]
        threads = [
            self.world.all_channels[t]
            for t in guild.thread_ids
            if not self.world.all_channels[t].archived
        ]
        return {
            "threads": [self.world.channel_payload(t) for t in threads],
            "members": [self._thread_member(t) for t in threads],
        }
