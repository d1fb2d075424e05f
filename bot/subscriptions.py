"""Subscribing servers: `/subscribe` in follow or deliver mode, `/unsubscribe`, and what
`/subscriptions` shows and its test send.

**follow** makes the channel follow the home announcement channel through Discord's own
channel following: Discord copies every crossposted story there at no cost to the bot,
and carries every later edit of the announcement copy (a correction, a retraction) into
that copy. **deliver** has the bot post each story itself (delivery log, in-place
corrections, the Report button). Both are destinations; only delivered ones get
delivery rows.

The test send is a short message naming the latest story and linking to it, sent with
the permissions a delivery needs. It is not a copy of the story and is recorded nowhere:
the exactly-once bookkeeping of real deliveries (and the reconciliation that recognises a
story's parts by their "story #N" label) never sees it, and no later correction or
retraction has to reach it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import discord

from bot.admin import Admin
from bot.config import Settings
from bot.courier import Courier
from bot.discord_port import DiscordPort
from bot.errors import InvalidInput, NotFound, Refused
from bot.lifecycle import State
from bot.notices import jump_url
from storage.records import Destination, Story, Subscription
from storage.states import DestinationMode
from storage.worker import AsyncStore

log = logging.getLogger(__name__)

TEST_INTERVAL = 60.0
"""Seconds between two test sends to one channel (the button is not a megaphone)."""


@dataclass(frozen=True)
class Access:
    """What Discord lets the member and the bot do in the channel (the cog reads it from
    the cached permissions), and whether the announcement channel can be followed."""

    bot_can_post: bool
    bot_can_follow: bool
    member_can_follow: bool
    followable: bool

    def follow_missing(self, channel: str) -> str | None:
        """Why follow mode is not possible here, or None."""
        if not self.followable:
            return "the newsroom has no announcement channel that can be followed yet"
        need = [who for who, ok in (("you", self.member_can_follow),
                                    ("I", self.bot_can_follow)) if not ok]
        if need:
            return (f"follow mode needs Manage Webhooks in {channel} for the member who "
                    f"subscribes and for me ({' and '.join(need)} lack it)")
        return None


@dataclass(frozen=True)
class Subscribed:
    destination: Destination
    changed: bool
    note: str | None = None
    """Why deliver was chosen when no mode was asked for (follow was not possible)."""


class SubscriptionDesk:
    def __init__(self, store: AsyncStore, admin: Admin, settings: Settings, port: DiscordPort,
                 courier: Courier) -> None:
        self.store = store
        self.admin = admin
        self.settings = settings
        self.port = port
        self.courier = courier
        self._tested: dict[int, float] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def subscribe(self, guild_id: int, channel_id: int, actor_id: int, mode: str | None,
                        access: Access) -> Subscribed:
        """One change per channel at a time (two admins at once make one follow, not two)."""
        async with self._locks.setdefault(channel_id, asyncio.Lock()):
            return await self._subscribe(guild_id, channel_id, actor_id, mode, access)

    async def _subscribe(self, guild_id: int, channel_id: int, actor_id: int, mode: str | None,
                         access: Access) -> Subscribed:
        announce = self.admin.current.announce_channel_id
        if channel_id == announce:
            raise InvalidInput("That is the newsroom's own announcement channel; it already "
                               "receives every issue.")
        where = f"<#{channel_id}>"
        missing = access.follow_missing(where)
        chosen = mode or (DestinationMode.DELIVER if missing else DestinationMode.FOLLOW)
        if chosen == DestinationMode.FOLLOW and missing:
            raise Refused(f"I cannot follow here: {missing}. Nothing was changed; "
                          "`mode: deliver` has me post the stories myself.")
        if chosen == DestinationMode.DELIVER and not access.bot_can_post:
            also = f" (Follow mode is not possible either: {missing}.)" if mode is None else ""
            raise Refused(f"I cannot post in {where}: give me View Channel, Send Messages and "
                          f"Embed Links there, then try again. Nothing was changed.{also}")
        current = await self._find(channel_id, guild_id)
        if current is not None and current.active and current.mode == chosen \
                and current.warned_at is None:
            return Subscribed(current, False)
        webhook_id = await self._follow(announce, channel_id) \
            if chosen == DestinationMode.FOLLOW else None
        if current is not None and current.webhook_id and current.webhook_id != webhook_id:
            await self._unfollow(current.webhook_id)
        dest, changed = await self.store.outbox.add_destination(
            kind="subscriber", guild_id=guild_id, channel_id=channel_id, added_by=actor_id,
            mode=chosen, webhook_id=webhook_id)
        self.courier.kick()
        note = f"Deliver mode, because {missing}." if missing and mode is None else None
        return Subscribed(dest, changed, note)

    async def _find(self, channel_id: int, guild_id: int) -> Destination | None:
        return next((d for d in await self.store.outbox.destinations(
            active_only=False, guild_id=guild_id) if d.channel_id == channel_id), None)

    async def _follow(self, announce: int | None, channel_id: int) -> int:
        try:
            return await self.port.follow(announce or 0, channel_id)
        except discord.HTTPException as exc:
            log.info("following into %s failed: %s", channel_id, exc)
            raise Refused(f"Discord refused the follow ({exc.status}: {exc.text or exc.code}); "
                          "nothing was changed. `mode: deliver` has me post the stories "
                          "myself.") from None

    async def _unfollow(self, webhook_id: int) -> bool:
        """Remove a follow's webhook; False when Discord would not let me."""
        try:
            await self.port.unfollow(webhook_id)
        except discord.NotFound:
            return True
        except discord.HTTPException as exc:
            log.info("could not remove follow webhook %s: %s", webhook_id, exc)
            return False
        return True

    async def unsubscribe(self, guild_id: int, channel_id: int, actor_id: int) -> str | None:
        """Stop delivering (copies in flight are withdrawn) or following; a note when
        the follow must be removed by hand."""
        async with self._locks.setdefault(channel_id, asyncio.Lock()):
            return await self._unsubscribe(guild_id, channel_id, actor_id)

    async def _unsubscribe(self, guild_id: int, channel_id: int, actor_id: int) -> str | None:
        if channel_id == self.admin.current.announce_channel_id:
            raise Refused("That is the newsroom's announcement channel: it is not a "
                          "subscription. Change it with `/newsroom setup announcement_channel`.")
        dest = await self._find(channel_id, guild_id)
        if dest is None or not await self.store.outbox.remove_destination(
                channel_id, actor_id=actor_id):
            raise NotFound("That channel is not subscribed.")
        self.courier.kick()
        if dest.webhook_id and not await self._unfollow(dest.webhook_id):
            return ("I could not remove the follow myself: remove it under the channel's "
                    "Settings > Integrations > Followed Channels.")
        return None

    async def of_guild(self, guild_id: int) -> list[Subscription]:
        return await self.store.subscriptions.of_guild(guild_id,
                                                       self.admin.current.announce_channel_id)

    async def test_send(self, guild_id: int, channel_id: int, actor_id: int) -> str:
        """Post a test message naming the latest story; what to answer the member."""
        dest = await self._find(channel_id, guild_id)
        if dest is None or not dest.active:
            raise NotFound("That channel has no active subscription: `/subscribe` it first.")
        waited = time.monotonic() - self._tested.get(channel_id, -TEST_INTERVAL)
        if waited < TEST_INTERVAL:
            raise Refused(f"A test was sent there {waited:.0f} s ago; try again in a minute.")
        latest = await self.store.stories.recent([State.PUBLISHED], limit=1)
        if not latest:
            raise NotFound("Nothing has been published yet, so there is nothing to test with.")
        text = await self._test_text(dest, latest[0], actor_id)
        try:
            await self.port.post_text(channel_id, text)
        except discord.HTTPException as exc:
            return self._test_failed(dest, exc)
        self._tested[channel_id] = time.monotonic()
        return (f"Test sent to <#{channel_id}>. It names story #{latest[0].id}; it is not a "
                "delivery, so nothing else changes.")

    async def _test_text(self, dest: Destination, story: Story, actor_id: int) -> str:
        name = self.admin.current.name
        how = ("Discord copies each story from the newsroom's announcement channel"
               if dest.mode == DestinationMode.FOLLOW else "I post each story here")
        link = self.settings.story_url(story.id) or await self._announcement_link(story.id)
        shown = f" {link}" if link else ""
        return (f"Test from {name}, asked by <@{actor_id}>: this channel is subscribed ({how}). "
                f"The latest story is #{story.id}, “{story.headline}”.{shown}")

    async def _announcement_link(self, story_id: int) -> str | None:
        announce = self.admin.current.announce_channel_id
        for delivery in await self.store.outbox.deliveries(story_id):
            if delivery.channel_id == announce and delivery.message_ids:
                return jump_url(self.admin.guild_id, announce, delivery.message_ids[0])
        return None

    def _test_failed(self, dest: Destination, exc: discord.HTTPException) -> str:
        why = f"Discord {exc.status}: {exc.text or exc.code}"
        if dest.mode == DestinationMode.FOLLOW:
            return (f"I cannot post in <#{dest.channel_id}> myself ({why}). Follow mode does "
                    "not need me to: Discord posts the copies. To test it, follow the "
                    "announcement channel's next story.")
        return (f"The test could not be sent to <#{dest.channel_id}> ({why}); deliveries "
                "there fail the same way. Give me View Channel, Send Messages and Embed "
                "Links there.")
