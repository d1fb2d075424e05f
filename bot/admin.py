"""Newsroom administration: the settings in force, `/newsroom setup` and `/newsroom status`.

Values set with `/newsroom setup` are stored per home guild and take precedence over
the environment. `Admin.current` is the merged view every service reads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.config import Settings, parse_editions, parse_timezone
from bot.errors import InvalidInput
from bot.lifecycle import Policy
from storage.store import Store
from storage.worker import AsyncStore

log = logging.getLogger(__name__)

SETUP_KEYS = (
    "editor_role_id",
    "editorial_channel_id",
    "announce_channel_id",
    "feedback_channel_id",
    "timezone",
    "editions",
    "required_approvals",
    "allow_self_approval",
)


@dataclass(frozen=True)
class Current:
    """The settings in force: environment defaults overlaid with stored setup values."""

    editor_role_id: int | None
    editorial_channel_id: int | None
    announce_channel_id: int | None
    feedback_channel_id: int | None
    timezone: str
    editions: tuple[str, ...]
    required_approvals: int
    allow_self_approval: bool
    min_sources: int
    name: str

    @property
    def policy(self) -> Policy:
        return Policy(self.editor_role_id, self.required_approvals, self.allow_self_approval)

    def missing(self) -> list[str]:
        """What setup still lacks, as the option names of /newsroom setup."""
        names = {
            "editor_role_id": "editor_role",
            "editorial_channel_id": "editorial_channel",
            "announce_channel_id": "announcement_channel",
            "feedback_channel_id": "feedback_channel",
        }
        return [opt for key, opt in names.items() if getattr(self, key) is None]


@dataclass(frozen=True)
class ChannelInfo:
    """What setup needs to know about a channel an admin picked (built by the cog)."""

    id: int
    name: str
    is_announcement: bool
    bot_can_send: bool
    bot_can_embed: bool = True


@dataclass
class SetupRequest:
    editor_role_id: int | None = None
    editorial_channel: ChannelInfo | None = None
    announce_channel: ChannelInfo | None = None
    feedback_channel: ChannelInfo | None = None
    timezone: str | None = None
    editions: str | None = None
    required_approvals: int | None = None
    allow_self_approval: bool | None = None

    def is_empty(self) -> bool:
        return all(v is None for v in vars(self).values())


@dataclass(frozen=True)
class AIStatus:
    configured: bool
    reachable: bool | None
    model: str
    detail: str = ""
    lifecycle: str | None = None
    """A sentence when the model is deprecated or retired (from models.retrieve)."""
    retires_soon: bool = False
    """Retired or retiring within a month: the team must change NEWSROOM_MODEL."""


@dataclass(frozen=True)
class Status:
    ai: AIStatus
    next_editions: list[datetime]
    stories: dict[str, int]
    deliveries: dict[str, int]
    open_tickets: int
    pending_jobs: int
    destinations: int
    missing_setup: list[str] = field(default_factory=list)


def validate_setup(request: SetupRequest) -> dict[str, Any]:
    """Check every value; return what to store, or raise InvalidInput naming the option."""
    if request.is_empty():
        raise InvalidInput("Give at least one option to change; nothing was changed.")
    values: dict[str, Any] = {}
    if request.editor_role_id is not None:
        values["editor_role_id"] = request.editor_role_id
    for option, key, channel in (
        ("editorial_channel", "editorial_channel_id", request.editorial_channel),
        ("feedback_channel", "feedback_channel_id", request.feedback_channel),
        ("announcement_channel", "announce_channel_id", request.announce_channel),
    ):
        if channel is not None:
            _check_channel(option, channel)
            values[key] = channel.id
    if request.announce_channel is not None and not request.announce_channel.is_announcement:
        raise InvalidInput(
            f"`announcement_channel`: #{request.announce_channel.name} is not an announcement "
            "channel; crossposting (and Discord's Follow button) needs one. Nothing was changed."
        )
    if request.timezone is not None:
        values["timezone"] = _checked("timezone", parse_timezone, request.timezone.strip())
    if request.editions is not None:
        values["editions"] = list(_checked("editions", parse_editions, request.editions))
    if request.required_approvals is not None:
        if not 1 <= request.required_approvals <= 10:
            raise InvalidInput("`approvals_required` must be between 1 and 10. "
                               "Nothing was changed.")
        values["required_approvals"] = request.required_approvals
    if request.allow_self_approval is not None:
        values["allow_self_approval"] = request.allow_self_approval
    return values


def _check_channel(option: str, channel: ChannelInfo) -> None:
    if not channel.bot_can_send:
        raise InvalidInput(
            f"`{option}`: I cannot send messages in #{channel.name}; give me View Channel, "
            "Send Messages and Embed Links there first. Nothing was changed."
        )


def _checked(option: str, parse: Any, value: str) -> Any:
    try:
        return parse(value)
    except ValueError as exc:
        raise InvalidInput(f"`{option}`: {exc}. Nothing was changed.") from None


class Admin:
    """Owns the merged settings; other services read `admin.current`."""

    def __init__(self, settings: Settings, store: AsyncStore) -> None:
        self.settings = settings
        self.store = store
        self.current = self._from_env()

    def _from_env(self) -> Current:
        s = self.settings
        return Current(
            editor_role_id=s.editor_role_id,
            editorial_channel_id=s.editorial_channel_id,
            announce_channel_id=s.announce_channel_id,
            feedback_channel_id=s.feedback_channel_id,
            timezone=s.timezone,
            editions=tuple(s.editions),
            required_approvals=s.required_approvals,
            allow_self_approval=s.allow_self_approval,
            min_sources=s.min_sources,
            name=s.name,
        )

    @property
    def guild_id(self) -> int:
        return self.settings.guild_id or 0

    async def load(self) -> Current:
        """Overlay what /newsroom setup stored; called at start-up and after setup."""
        stored = await self.store.meta.guild_settings(self.guild_id)
        overlay = {k: v for k, v in stored.items() if k in SETUP_KEYS}
        if "editions" in overlay:
            overlay["editions"] = tuple(overlay["editions"])
        self.current = replace(self._from_env(), **overlay)
        return self.current

    async def setup(self, request: SetupRequest, actor_id: int) -> tuple[Current, dict[str, Any]]:
        values = validate_setup(request)
        await self.store.meta.set_guild_settings(self.guild_id, values, actor_id=actor_id)
        log.info("setup changed by %s: %s", actor_id, ", ".join(values))
        return await self.load(), values


async def gather_status(store: AsyncStore, admin: Admin, claude_status: AIStatus,
                        next_editions: list[datetime]) -> Status:
    """Everything `/newsroom status` shows, read in one pass on the store's thread."""

    def read(s: Store) -> tuple[dict, dict, int, int, int]:
        return (
            s.stories.counts(),
            s.outbox.counts(),
            s.tickets.count_open(),
            len(s.jobs.pending()),
            len(s.outbox.destinations(active_only=True)),
        )

    stories, deliveries, tickets, jobs, dests = await store.run(read)
    return Status(
        ai=claude_status,
        next_editions=next_editions,
        stories=stories,
        deliveries=deliveries,
        open_tickets=tickets,
        pending_jobs=jobs,
        destinations=dests,
        missing_setup=admin.current.missing(),
    )
