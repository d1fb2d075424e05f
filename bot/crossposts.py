"""Crossposting announcement copies within Discord's hourly budget per channel.

Discord allows about 10 crossposts per hour per channel: the stories' announcement copies
and the notices posted there (a correction, a retraction), so that servers following the
channel see them too. The budget is counted from the `crossposts` table (the crossposts
of the last hour), so a restart neither forgets it nor spends a 429 to relearn it; a
copy or notice over the budget waits in its queue and goes out as soon as the oldest
crosspost of the hour ages out.

Discord's headers for this limit are undocumented. Reported (discord-api-docs#6109,
Discord.Net#2100): a 429 with `X-RateLimit-Scope: shared` whose headers show a short
reset while the body's `retry_after` carries the real wait. Were the headers instead to
show the hour as a bucket, discord.py would refuse every later crosspost locally
(`Ratelimit.acquire`, reset beyond `max_ratelimit_timeout`); `bot.http` keeps the
budget ours under both readings.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

import discord

from bot.discord_port import DiscordPort
from storage.records import Delivery, utcnow
from storage.states import CrosspostState
from storage.worker import AsyncStore

log = logging.getLogger(__name__)

ALREADY_CROSSPOSTED = 40033


class Crossposter:
    def __init__(self, store: AsyncStore, port: DiscordPort) -> None:
        self.store = store
        self.port = port
        self.per_hour = 10
        self.window = 3600.0
        self._blocked: dict[int, float] = {}  # channel -> monotonic time Discord said to wait
        self._passes = 0  # passes under way: their last writes may still be to come

    async def room(self, channel_id: int) -> int:
        if self._blocked.get(channel_id, 0.0) > time.monotonic():
            return 0
        used = await self.store.outbox.crosspost_times(channel_id, self.window)
        return max(self.per_hour - len(used), 0)

    async def run(self) -> None:
        """Crosspost every queued copy the budget allows, oldest first, then the notices
        posted in the channel (corrections, retractions)."""
        self._passes += 1
        try:
            await self._run()
        finally:
            self._passes -= 1

    @property
    def running(self) -> bool:
        return self._passes > 0

    async def _run(self) -> None:
        for delivery in await self.store.outbox.pending_crossposts():
            done = await self.store.outbox.crossposted(delivery.message_ids)
            todo = [m for m in delivery.message_ids if m not in done]
            if todo and await self.room(delivery.channel_id) < len(todo):
                continue  # queued: the hour frees up later
            if await self._crosspost(delivery, todo):
                await self.store.outbox.set_crosspost(delivery.id, CrosspostState.DONE)
        for message_id, channel_id in await self.store.subscriptions.queued_crossposts():
            if await self.room(channel_id) < 1:
                continue
            outcome = await self._attempt(channel_id, message_id)
            if outcome is not None:
                await self.store.subscriptions.notice_crossposted(message_id, channel_id,
                                                                  done=outcome)

    async def _crosspost(self, delivery: Delivery, message_ids: list[int]) -> bool:
        for message_id in message_ids:
            outcome = await self._attempt(delivery.channel_id, message_id)
            if outcome is None:
                return False
            if not outcome:
                await self.store.outbox.set_crosspost(delivery.id, CrosspostState.FAILED)
                return False
            await self.store.outbox.record_crosspost(delivery.id, delivery.channel_id,
                                                     message_id)
        return True

    async def _attempt(self, channel_id: int, message_id: int) -> bool | None:
        """One crosspost: True when done (or already done), False when it cannot be
        done, None when Discord said to wait (the channel is blocked meanwhile)."""
        try:
            await self.port.crosspost(channel_id, message_id)
        except discord.RateLimited as exc:
            self._blocked[channel_id] = time.monotonic() + exc.retry_after
            log.warning("crossposts in %s refused for %.0f s despite the budget",
                        channel_id, exc.retry_after)
            return None
        except discord.HTTPException as exc:
            if exc.status == 429:
                self._blocked[channel_id] = time.monotonic() + 60
                return None
            if exc.code != ALREADY_CROSSPOSTED:
                log.warning("crosspost of %s failed: %s", message_id, exc)
                return False
        return True

    async def next_free(self) -> datetime | None:
        """When the earliest queued crosspost can go out (to time the worker's sleep)."""
        channels = [d.channel_id for d in await self.store.outbox.pending_crossposts()]
        channels += [c for _, c in await self.store.subscriptions.queued_crossposts()]
        soonest: datetime | None = None
        for channel_id in dict.fromkeys(channels):
            times = await self.store.outbox.crosspost_times(channel_id, self.window)
            blocked = self._blocked.get(channel_id, 0.0) - time.monotonic()
            if len(times) >= self.per_hour:
                free = times[len(times) - self.per_hour] + timedelta(seconds=self.window)
            elif blocked > 0:
                free = utcnow() + timedelta(seconds=blocked)
            else:
                free = utcnow()
            soonest = free if soonest is None else min(soonest, free)
        return soonest
