"""Messages of the fake Discord: storage with full edit history, validation, pings.

Every message keeps every version of itself together with the ``allowed_mentions``
it was sent/edited with, so tests can ask "did the bot ever ping anyone?" and not
only "what does the channel look like now?". Validation mirrors Discord's 400s for
the limits bots most often trip over (2000-char content, embed limits, component
rules, empty messages) so the fake catches them before production does.
"""

from __future__ import annotations

import asyncio
import copy
import mimetypes
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tests.fakes.fake_discord_http import ApiError, FormErrors, UploadedFile
from tests.fakes.fake_discord_world import Perm, World, iso

# Message flags
CROSSPOSTED = 1 << 0
IS_CROSSPOST = 1 << 1
SUPPRESS_EMBEDS = 1 << 2
HAS_THREAD = 1 << 5
EPHEMERAL = 1 << 6
LOADING = 1 << 7
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_COMPONENTS_V2 = 1 << 15
_SETTABLE_FLAGS = SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_COMPONENTS_V2

_USER_MENTION = re.compile(r"<@!?(\d{15,21})>")
_ROLE_MENTION = re.compile(r"<@&(\d{15,21})>")
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)

T = TypeVar("T")
BUTTON, SELECT_TYPES, ACTION_ROW = 2, frozenset({3, 5, 6, 7, 8}), 1


@dataclass
class StoredFile:
    """Bytes of an attachment, served back at its ``url``."""

    attachment_id: int
    filename: str
    data: bytes
    content_type: str


@dataclass
class PingTargets:
    """Who a message version notifies, computed like Discord."""

    everyone: bool = False
    here: bool = False
    users: list[int] = field(default_factory=list)
    roles: list[int] = field(default_factory=list)
    replied_user: int | None = None

    def __bool__(self) -> bool:
        return self.everyone or self.here or bool(self.users or self.roles or self.replied_user)


@dataclass
class Ping:
    """A message version that pings someone (``is_edit`` versions highlight but, on
    Discord, do not send a new notification)."""

    channel_id: int
    message_id: int
    version: int
    is_edit: bool
    content: str
    allowed_mentions: dict[str, Any] | None
    targets: PingTargets


@dataclass
class MessageVersion:
    """One state of a message and what produced it.

    ``kind`` is ``"create"``, ``"edit"`` (a PATCH by the bot) or ``"system"`` (a
    change Discord itself made: crossposted flag, thread attached, reactions).
    """

    payload: dict[str, Any]
    allowed_mentions: dict[str, Any] | None
    kind: str
    pings: PingTargets

    @property
    def is_edit(self) -> bool:
        """True for bot edits (system changes are neither creates nor edits)."""
        return self.kind == "edit"


@dataclass
class MessageRecord:
    """A message with its history, files and provenance."""

    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    versions: list[MessageVersion]
    files: dict[int, StoredFile] = field(default_factory=dict)
    interaction_id: int | None = None
    nonce: str | None = None
    created_monotonic: float = 0.0
    deleted: bool = False

    @property
    def current(self) -> dict[str, Any]:
        """The latest payload (Discord JSON shape)."""
        return self.versions[-1].payload

    @property
    def history(self) -> list[dict[str, Any]]:
        """Every version's payload, oldest first."""
        return [v.payload for v in self.versions]

    @property
    def flags(self) -> int:
        """Current message flags."""
        return int(self.current.get("flags", 0))

    @property
    def ephemeral(self) -> bool:
        """Ephemeral messages exist only for one user and are not channel history."""
        return bool(self.flags & EPHEMERAL)


# ------------------------------------------------------------------ validation
def validate_message_body(
    body: dict[str, Any], files: list[UploadedFile], *, size_limit: int
) -> None:
    """Reject what Discord rejects with 400 50035 (or 40005 for oversized files)."""
    errors = FormErrors()
    content = body.get("content")
    if content is not None:
        if not isinstance(content, str):
            errors.add(("content",), "STRING_TYPE_CONVERT", "Could not interpret value as string.")
        elif len(content) > 2000:
            errors.max_length(("content",), 2000)
    _validate_embeds(body.get("embeds"), errors)
    _validate_components(body.get("components"), int(body.get("flags") or 0), errors)
    _validate_allowed_mentions(body.get("allowed_mentions"), errors)
    nonce = body.get("nonce")
    if nonce is not None and len(str(nonce)) > 25:
        errors.max_length(("nonce",), 25)
    errors.raise_if_any()
    for upload in files:
        if len(upload.data) > size_limit:
            raise ApiError(413, 40005, "Request entity too large")


def _validate_embeds(embeds: Any, errors: FormErrors) -> None:
    if embeds is None:
        return
    if len(embeds) > 10:
        errors.max_length(("embeds",), 10)
    total = 0
    limits = {"title": 256, "description": 4096}
    for i, embed in enumerate(embeds):
        for key, limit in limits.items():
            text = embed.get(key) or ""
            total += len(text)
            if len(text) > limit:
                errors.max_length(("embeds", i, key), limit)
        fields_ = embed.get("fields") or []
        if len(fields_) > 25:
            errors.max_length(("embeds", i, "fields"), 25)
        for j, fld in enumerate(fields_):
            for key, limit in (("name", 256), ("value", 1024)):
                text = fld.get(key) or ""
                total += len(text)
                if not text:
                    errors.add(
                        ("embeds", i, "fields", j, key),
                        "BASE_TYPE_REQUIRED",
                        "This field is required",
                    )
                elif len(text) > limit:
                    errors.max_length(("embeds", i, "fields", j, key), limit)
        for key, sub, limit in (("footer", "text", 2048), ("author", "name", 256)):
            text = (embed.get(key) or {}).get(sub) or ""
            total += len(text)
            if len(text) > limit:
                errors.max_length(("embeds", i, key, sub), limit)
    if total > 6000:
        errors.add(
            ("embeds",), "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"
        )


def _validate_components(components: Any, flags: int, errors: FormErrors) -> None:
    if not components:
        return
    seen: set[str] = set()
    if not flags & IS_COMPONENTS_V2:
        if len(components) > 5:
            errors.max_length(("components",), 5)
        for i, row in enumerate(components):
            if row.get("type") != ACTION_ROW:
                errors.add(
                    ("components", i, "type"),
                    "UNION_TYPE_CHOICES",
                    'Value of field "type" must be 1.',
                )
                continue
            _validate_row(row, ("components", i), seen, errors)
        return
    for path, comp in _walk_components(components, ("components",)):
        if comp.get("type") == ACTION_ROW:
            _validate_row(comp, path, seen, errors)


def _validate_row(
    row: dict[str, Any], path: tuple[str | int, ...], seen: set[str], errors: FormErrors
) -> None:
    children = row.get("components") or []
    kinds = {c.get("type") for c in children}
    if not children:
        errors.add((*path, "components"), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.")
    if kinds & SELECT_TYPES and len(children) > 1:
        errors.add(
            (*path, "components"),
            "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
            "The specified component exceeds the maximum width",
        )
    if len(children) > 5:
        errors.max_length((*path, "components"), 5)
    for j, comp in enumerate(children):
        _validate_interactive(comp, (*path, "components", j), seen, errors)


def _validate_interactive(
    comp: dict[str, Any], path: tuple[str | int, ...], seen: set[str], errors: FormErrors
) -> None:
    custom_id = comp.get("custom_id")
    if comp.get("type") == BUTTON:
        label = comp.get("label") or ""
        if len(label) > 80:
            errors.max_length((*path, "label"), 80)
        if comp.get("style") == 5:
            if not comp.get("url"):
                errors.add((*path, "url"), "BASE_TYPE_REQUIRED", "This field is required")
            return
        if comp.get("style") == 6:
            return
    if not custom_id:
        errors.add((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
        return
    if len(custom_id) > 100:
        errors.max_length((*path, "custom_id"), 100)
    if custom_id in seen:
        errors.add(
            (*path, "custom_id"),
            "COMPONENT_CUSTOM_ID_DUPLICATED",
            "Component custom id cannot be duplicated",
        )
    seen.add(custom_id)


def _validate_allowed_mentions(allowed: Any, errors: FormErrors) -> None:
    if not allowed:
        return
    parse = allowed.get("parse") or []
    for kind in ("users", "roles"):
        if kind in parse and allowed.get(kind):
            errors.add(
                ("allowed_mentions",),
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )


def _walk_components(
    components: list[dict[str, Any]], path: tuple[str | int, ...]
) -> list[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """Flatten nested components (rows, sections, containers, labels) with paths."""
    out: list[tuple[tuple[str | int, ...], dict[str, Any]]] = []
    for i, comp in enumerate(components):
        here = (*path, i)
        out.append((here, comp))
        if comp.get("type") != ACTION_ROW and comp.get("components"):
            out.extend(_walk_components(comp["components"], (*here, "components")))
        for single in ("accessory", "component"):
            if isinstance(comp.get(single), dict):
                out.append(((*here, single), comp[single]))
        if comp.get("type") == ACTION_ROW:
            out.extend(
                ((*here, "components", j), c) for j, c in enumerate(comp.get("components") or [])
            )
    return out


def iter_components(components: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Every component in a (possibly nested, components v2) component tree."""
    return [comp for _, comp in _walk_components(components or [], ())]


def is_empty(payload: dict[str, Any]) -> bool:
    """Discord refuses messages with nothing to show (50006)."""
    return not (
        payload.get("content")
        or payload.get("embeds")
        or payload.get("attachments")
        or payload.get("components")
        or payload.get("sticker_items")
        or payload.get("poll")
    )


# ---------------------------------------------------------------------- pings
def compute_pings(
    world: World,
    *,
    content: str,
    allowed: dict[str, Any] | None,
    channel_id: int,
    author_id: int,
    replied_author: int | None,
    flags: int,
) -> PingTargets:
    """Who Discord would notify for this content under these allowed_mentions.

    No ``allowed_mentions`` means Discord's default: parse everything. Mentions in
    code spans/blocks are inert. @everyone/@here need MENTION_EVERYONE; a role ping
    needs the role to be mentionable or MENTION_EVERYONE; users must be able to
    receive it (members of the guild / the DM recipient). Ephemeral messages never
    notify anyone.
    """
    targets = PingTargets()
    if flags & EPHEMERAL:
        return targets
    channel = world.all_channels[channel_id]
    text = _CODE.sub("", content or "")
    parse = {"everyone", "users", "roles"} if allowed is None else set(allowed.get("parse") or [])
    listed_users = {int(u) for u in (allowed or {}).get("users") or []}
    listed_roles = {int(r) for r in (allowed or {}).get("roles") or []}
    guild_id = channel.guild_id
    can_mention_everyone = guild_id is not None and world.has_permission(
        channel_id, author_id, Perm.MENTION_EVERYONE
    )

    if "everyone" in parse and can_mention_everyone:
        targets.everyone = "@everyone" in text
        targets.here = "@here" in text
    for match in _USER_MENTION.finditer(text):
        uid = int(match.group(1))
        if ("users" in parse or uid in listed_users) and _can_receive(
            world, channel_id, uid, author_id
        ):
            if uid not in targets.users:
                targets.users.append(uid)
    if guild_id is not None:
        guild = world.guilds[guild_id]
        for match in _ROLE_MENTION.finditer(text):
            role = guild.roles.get(int(match.group(1)))
            if role is None or not ("roles" in parse or role.id in listed_roles):
                continue
            if (role.mentionable or can_mention_everyone) and role.id not in targets.roles:
                targets.roles.append(role.id)
    replied_ok = True if allowed is None else bool(allowed.get("replied_user", False))
    if replied_author is not None and replied_author != author_id and replied_ok:
        targets.replied_user = replied_author
    return targets


def _can_receive(world: World, channel_id: int, user_id: int, author_id: int) -> bool:
    channel = world.all_channels[channel_id]
    if user_id == author_id or user_id not in world.user_objects:
        return False
    if channel.guild_id is None:
        return user_id == channel.recipient_id
    return user_id in world.guilds[channel.guild_id].members


# ------------------------------------------------------------------- notifier
class Notifier:
    """Wakes waiters whenever the fake's observable state changes.

    Tests wait for "the bot eventually did X" (a callback, an edit of @original, a
    message in a channel); polling would be slow and flaky, so every mutation calls
    ``notify`` and waiters re-check their predicate.
    """

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        """Wake every current waiter (safe to call from synchronous code)."""
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait_for(
        self, predicate: Callable[[], T | None], timeout: float, describe: Callable[[], str]
    ) -> T:
        """Return the first truthy ``predicate()`` result; TimeoutError after ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(describe())
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait_for(asyncio.shield(waiter), remaining)
            except TimeoutError:
                pass
            finally:
                self._waiters.discard(waiter)


# ---------------------------------------------------------------------- store
class MessageStore:
    """All messages by id, with per-channel ordering and nonce de-duplication."""

    NONCE_WINDOW = 300.0
    """Discord de-duplicates ``enforce_nonce`` sends "for a few minutes"."""

    def __init__(self) -> None:
        self.records: dict[int, MessageRecord] = {}
        self._by_channel: dict[int, list[int]] = {}
        self._nonces: dict[tuple[int, str], tuple[int, float]] = {}
        self.cdn: dict[int, StoredFile] = {}
        """Every uploaded file by attachment id, served at GET /attachments/..."""

    def add(self, record: MessageRecord) -> None:
        """Insert a new message at the end of its channel."""
        self.records[record.id] = record
        self._by_channel.setdefault(record.channel_id, []).append(record.id)

    def get(self, message_id: int) -> MessageRecord | None:
        """A record by id (including deleted ones)."""
        return self.records.get(int(message_id))

    def live(self, channel_id: int, message_id: int) -> MessageRecord | None:
        """A non-deleted message of that channel, or None."""
        record = self.records.get(int(message_id))
        if record is None or record.deleted or record.channel_id != int(channel_id):
            return None
        return record

    def channel_records(
        self, channel_id: int, *, include_ephemeral: bool = False
    ) -> list[MessageRecord]:
        """Live messages of a channel, oldest first."""
        out = []
        for mid in self._by_channel.get(int(channel_id), []):
            record = self.records[mid]
            if record.deleted or (record.ephemeral and not include_ephemeral):
                continue
            out.append(record)
        return out

    def channels(self) -> list[int]:
        """Every channel id that ever had a message."""
        return list(self._by_channel)

    def nonce_hit(self, channel_id: int, nonce: str, now: float) -> MessageRecord | None:
        """The message already created with this nonce in this channel recently."""
        entry = self._nonces.get((channel_id, nonce))
        if entry is None or now - entry[1] > self.NONCE_WINDOW:
            return None
        return self.records.get(entry[0])

    def remember_nonce(self, channel_id: int, nonce: str, message_id: int, now: float) -> None:
        """Remember an ``enforce_nonce`` send for de-duplication."""
        self._nonces[(channel_id, nonce)] = (message_id, now)


# ------------------------------------------------------------------- building
def normalize_embeds(embeds: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Embeds as Discord echoes them (``type: rich`` added)."""
    out = []
    for embed in embeds or []:
        item = copy.deepcopy(embed)
        item.setdefault("type", "rich")
        if "color" in item and item["color"] is None:
            del item["color"]
        out.append(item)
    return out


def number_components(components: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Components as Discord echoes them: every component gets a numeric ``id``."""
    result = copy.deepcopy(components or [])
    used = {c["id"] for c in iter_components(result) if isinstance(c.get("id"), int)}
    next_id = 1
    for comp in iter_components(result):
        if isinstance(comp.get("id"), int):
            continue
        while next_id in used:
            next_id += 1
        comp["id"] = next_id
        used.add(next_id)
    return result


def sanitize_filename(filename: str) -> str:
    """Discord replaces spaces and strips characters it does not allow in names."""
    cleaned = re.sub(r"[^\w.\-]", "", filename.replace(" ", "_"))
    return cleaned or "unknown"


def attachment_payload(
    stored: StoredFile, url_base: str, channel_id: int, description: str | None
) -> dict[str, Any]:
    """Discord attachment object pointing at the fake's CDN route."""
    name = urllib.parse.quote(stored.filename)
    url = f"{url_base}/attachments/{channel_id}/{stored.attachment_id}/{name}"
    payload: dict[str, Any] = {
        "id": str(stored.attachment_id),
        "filename": stored.filename,
        "size": len(stored.data),
        "url": url,
        "proxy_url": url,
        "content_type": stored.content_type,
        "flags": 0,
    }
    if description:
        payload["description"] = description
    return payload


def guess_content_type(filename: str, declared: str | None) -> str:
    """Discord sniffs the type from the name when the client sent octet-stream."""
    if declared and declared != "application/octet-stream":
        return declared
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def mention_fields(world: World, targets: PingTargets) -> dict[str, Any]:
    """``mentions``/``mention_roles``/``mention_everyone`` of the message object."""
    return {
        "mention_everyone": targets.everyone or targets.here,
        "mentions": [world.user_payload(uid) for uid in targets.users],
        "mention_roles": [str(r) for r in targets.roles],
    }


def base_message(
    *,
    message_id: int,
    channel_id: int,
    author: dict[str, Any],
    message_type: int,
    flags: int,
) -> dict[str, Any]:
    """Skeleton of a Discord message object; content fields are filled by callers."""
    return {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "type": message_type,
        "author": author,
        "content": "",
        "timestamp": iso(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "components": [],
        "pinned": False,
        "flags": flags,
    }


# -------------------------------------------------------------------- service
Dispatch = Callable[[str, dict[str, Any]], None]


class MessageService:
    """Creates, edits and deletes messages the way Discord does.

    Builds the Discord JSON, stores uploaded bytes, computes mentions/pings from the
    effective ``allowed_mentions``, keeps every version, and emits the gateway
    events (MESSAGE_CREATE/UPDATE/DELETE; the gateway filters them by intents).
    """

    def __init__(
        self,
        world: World,
        store: MessageStore,
        dispatch: Dispatch,
        *,
        url_base: Callable[[], str],
        size_limit: Callable[[], int],
        notifier: Notifier,
    ) -> None:
        self.world = world
        self.store = store
        self._dispatch = dispatch
        self._url_base = url_base
        self._size_limit = size_limit
        self.notifier = notifier

    def _notify(self) -> None:
        self.notifier.notify()

    # ---------------------------------------------------------------- create
    def create(
        self,
        *,
        channel_id: int,
        author_id: int,
        body: dict[str, Any],
        files: list[UploadedFile],
        message_type: int = 0,
        extra_flags: int = 0,
        interaction_id: int | None = None,
        interaction_metadata: dict[str, Any] | None = None,
        webhook_id: int | None = None,
        author_override: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        ephemeral_allowed: bool = False,
    ) -> MessageRecord:
        """Validate and store a new message, then dispatch MESSAGE_CREATE.

        ``extra`` adds top-level fields (e.g. the legacy ``interaction`` object);
        only interaction responses/followups may be ephemeral (``ephemeral_allowed``).
        """
        validate_message_body(body, files, size_limit=self._size_limit())
        channel = self.world.all_channels[channel_id]
        message_id = self.world.snowflakes.next()
        settable = _SETTABLE_FLAGS | (EPHEMERAL if ephemeral_allowed else 0)
        flags = (int(body.get("flags") or 0) & settable) | extra_flags
        author = author_override or self.world.user_payload(author_id)
        payload = base_message(
            message_id=message_id,
            channel_id=channel_id,
            author=author,
            message_type=message_type,
            flags=flags,
        )
        payload["tts"] = bool(body.get("tts", False))
        nonce = body.get("nonce")
        if nonce is not None:
            payload["nonce"] = str(nonce)
        if webhook_id is not None:
            payload["webhook_id"] = str(webhook_id)
            payload["application_id"] = str(self.world.application_id)
        if interaction_metadata is not None:
            payload["interaction_metadata"] = interaction_metadata
        payload.update(copy.deepcopy(extra or {}))
        record = MessageRecord(
            id=message_id,
            channel_id=channel_id,
            guild_id=channel.guild_id,
            author_id=author_id,
            versions=[],
            interaction_id=interaction_id,
            nonce=None if nonce is None else str(nonce),
            created_monotonic=time.monotonic(),
        )
        self._apply_body(record, payload, body, files, creating=True)
        replied_author = self._apply_reference(payload, body, channel_id)
        if is_empty(payload) and not flags & LOADING:
            raise ApiError(400, 50006, "Cannot send an empty message")
        allowed = body.get("allowed_mentions")
        pings = compute_pings(
            self.world,
            content=payload["content"],
            allowed=allowed,
            channel_id=channel_id,
            author_id=author_id,
            replied_author=replied_author,
            flags=flags,
        )
        payload.update(mention_fields(self.world, pings))
        record.versions.append(MessageVersion(copy.deepcopy(payload), allowed, "create", pings))
        self.store.add(record)
        channel.last_message_id = message_id
        if channel.is_thread:
            channel.message_count += 1
            channel.archived = False
        if not record.ephemeral:
            self._dispatch("MESSAGE_CREATE", self.gateway_payload(record))
        self._notify()
        return record

    # ------------------------------------------------------------------ edit
    def edit(
        self,
        record: MessageRecord,
        body: dict[str, Any],
        files: list[UploadedFile],
        *,
        finish_loading: bool = False,
    ) -> MessageRecord:
        """Apply a PATCH (partial update) as a new version; dispatch MESSAGE_UPDATE.

        ``finish_loading`` is the first edit of a deferred ("thinking") response: it
        clears the LOADING flag and, like Discord, does not mark the message edited.
        """
        validate_message_body(body, files, size_limit=self._size_limit())
        previous = record.versions[-1]
        payload = copy.deepcopy(previous.payload)
        self._apply_body(record, payload, body, files, creating=False)
        flags = int(payload.get("flags", 0))
        if "flags" in body and body["flags"] is not None:
            requested = int(body["flags"])
            flags = (
                (flags & ~SUPPRESS_EMBEDS)
                | (requested & SUPPRESS_EMBEDS)
                | (requested & IS_COMPONENTS_V2)
            )
        if finish_loading:
            flags &= ~LOADING
        else:
            payload["edited_timestamp"] = iso()
        payload["flags"] = flags
        _check_components_v2(payload)
        if is_empty(payload) and not flags & LOADING:
            raise ApiError(400, 50006, "Cannot send an empty message")
        reparse = "content" in body or "allowed_mentions" in body
        allowed = body.get("allowed_mentions") if reparse else previous.allowed_mentions
        if reparse:
            pings = compute_pings(
                self.world,
                content=payload.get("content") or "",
                allowed=allowed,
                channel_id=record.channel_id,
                author_id=record.author_id,
                replied_author=None,
                flags=flags,
            )
            payload.update(mention_fields(self.world, pings))
        else:
            pings = PingTargets()
        record.versions.append(
            MessageVersion(payload, allowed, "create" if finish_loading else "edit", pings)
        )
        if not record.ephemeral:
            self._dispatch("MESSAGE_UPDATE", self.gateway_payload(record))
        self._notify()
        return record

    def system_update(
        self, record: MessageRecord, mutate: Callable[[dict[str, Any]], None]
    ) -> MessageRecord:
        """A change Discord makes itself (crossposted flag, thread, reactions)."""
        payload = copy.deepcopy(record.current)
        mutate(payload)
        record.versions.append(
            MessageVersion(payload, record.versions[-1].allowed_mentions, "system", PingTargets())
        )
        if not record.ephemeral:
            self._dispatch("MESSAGE_UPDATE", self.gateway_payload(record))
        self._notify()
        return record

    def delete(self, record: MessageRecord, *, dispatch: bool = True) -> None:
        """Mark deleted and dispatch MESSAGE_DELETE (bulk deletes dispatch their own)."""
        record.deleted = True
        if dispatch and not record.ephemeral:
            data: dict[str, Any] = {"id": str(record.id), "channel_id": str(record.channel_id)}
            if record.guild_id is not None:
                data["guild_id"] = str(record.guild_id)
            self._dispatch("MESSAGE_DELETE", data)
        self._notify()

    # --------------------------------------------------------------- helpers
    def gateway_payload(self, record: MessageRecord) -> dict[str, Any]:
        """The message as gateway events carry it (``guild_id`` + author ``member``)."""
        data = copy.deepcopy(record.current)
        if record.guild_id is not None:
            data["guild_id"] = str(record.guild_id)
            if self.world.member(record.guild_id, record.author_id) is not None:
                data["member"] = self.world.member_payload(
                    record.guild_id, record.author_id, with_user=False
                )
        return data

    def _apply_body(
        self,
        record: MessageRecord,
        payload: dict[str, Any],
        body: dict[str, Any],
        files: list[UploadedFile],
        *,
        creating: bool,
    ) -> None:
        if "content" in body:
            payload["content"] = body["content"] or ""
        if "embeds" in body:
            payload["embeds"] = normalize_embeds(body["embeds"])
        if "components" in body:
            payload["components"] = number_components(body["components"])
        if "poll" in body and creating:
            payload["poll"] = copy.deepcopy(body["poll"])
        if "attachments" in body or files:
            payload["attachments"] = self._attachments(
                record, body, files, creating=creating, current=payload
            )
        if creating:
            _check_components_v2(payload)

    def _attachments(
        self,
        record: MessageRecord,
        body: dict[str, Any],
        files: list[UploadedFile],
        *,
        creating: bool,
        current: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """Resolve the ``attachments`` array: keep listed existing ones, add uploads."""
        uploads = {f.index: f for f in files}
        described: dict[int, str | None] = {}
        keep: list[dict[str, Any]] = []
        listed = body.get("attachments")
        if listed is None:
            keep = [] if creating else list(current.get("attachments") or [])
        else:
            for item in listed:
                ident = int(item["id"])
                if ident in uploads:
                    described[ident] = item.get("description")
                elif ident in record.files:
                    kept = next(
                        (a for a in current.get("attachments", []) if int(a["id"]) == ident), None
                    )
                    if kept is not None:
                        keep.append(kept)
        for index in sorted(uploads):
            upload = uploads[index]
            stored = StoredFile(
                attachment_id=self.world.snowflakes.next(),
                filename=sanitize_filename(upload.filename),
                data=upload.data,
                content_type=guess_content_type(upload.filename, upload.content_type),
            )
            record.files[stored.attachment_id] = stored
            self.store.cdn[stored.attachment_id] = stored
            keep.append(
                attachment_payload(
                    stored, self._url_base(), record.channel_id, described.get(index)
                )
            )
        return keep

    def _apply_reference(
        self, payload: dict[str, Any], body: dict[str, Any], channel_id: int
    ) -> int | None:
        reference = body.get("message_reference")
        if not reference:
            return None
        ref_channel = int(reference.get("channel_id") or channel_id)
        target = self.store.live(ref_channel, int(reference["message_id"]))
        if target is None:
            if reference.get("fail_if_not_exists", True):
                errors = FormErrors()
                errors.add(
                    ("message_reference",), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
                )
                errors.raise_if_any()
            return None
        if payload["type"] == 0:
            payload["type"] = 19
        payload["message_reference"] = {
            "type": 0,
            "message_id": str(target.id),
            "channel_id": str(target.channel_id),
            **({"guild_id": str(target.guild_id)} if target.guild_id else {}),
        }
        referenced = copy.deepcopy(target.current)
        referenced.pop("referenced_message", None)
        payload["referenced_message"] = referenced
        return target.author_id


def _check_components_v2(payload: dict[str, Any]) -> None:
    if int(payload.get("flags", 0)) & IS_COMPONENTS_V2 and (
        payload.get("content") or payload.get("embeds")
    ):
        errors = FormErrors()
        errors.add(
            ("content",),
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
            "The 'content' and 'embeds' fields cannot be used "
            "when using MessageFlags.IS_COMPONENTS_V2",
        )
        errors.raise_if_any()
