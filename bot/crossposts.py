"""Crossposting announcement copies within Discord's hourly budget per channel.

Discord allows about 10 crossposts per hour per channel. The budget is counted from
the `crossposts` table (the crossposts of the last hour), so a restart neither forgets
it nor spends a 429 to relearn it; a copy over the budget waits in the queue and goes
out as soon as the oldest crosspost of the hour ages out.

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

    async def room(self, channel_id: int) -> int:
        if self._blocked.get(channel_id, 0.0) > time.monotonic():
            return 0
        used = await self.store.outbox.crosspost_times(channel_id, self.window)
        return max(self.per_hour - len(used), 0)

    async def run(self) -> None:
        """Crosspost every queued copy the budget allows, oldest first."""
        for delivery in await self.store.outbox.pending_crossposts():
            done = await self.store.outbox.crossposted(delivery.message_ids)
            todo = [m for m in delivery.message_ids if m not in done]
            if todo and await self.room(delivery.channel_id) < len(todo):
                continue  # queued: the hour frees up later
            if await self._crosspost(delivery, todo):
                await self.store.outbox.set_crosspost(delivery.id, CrosspostState.DONE)

    async def _crosspost(self, delivery: Delivery, message_ids: list[int]) -> bool:
        for message_id in message_ids:
            try:
                await self.port.crosspost(delivery.channel_id, message_id)
            except discord.RateLimited as exc:
                self._blocked[delivery.channel_id] = time.monotonic() + exc.retry_after
                log.warning("crossposts in %s refused for %.0f s despite the budget",
                            delivery.channel_id, exc.retry_after)
                return False
            except discord.HTTPException as exc:
                if exc.status == 429:
                    self._blocked[delivery.channel_id] = time.monotonic() + 60
                    return False
                if exc.code != ALREADY_CROSSPOSTED:
                    log.warning("crosspost of %s failed: %s", message_id, exc)
                    await self.store.outbox.set_crosspost(delivery.id, CrosspostState.FAILED)
                    return False
            await self.store.outbox.record_crosspost(delivery.id, delivery.channel_id,
                                                     message_id)
        return True

    async def next_free(self) -> datetime | None:
        """When the earliest queued crosspost can go out (to time the worker's sleep)."""
        soonest: datetime | None = None
        for delivery in await self.store.outbox.pending_crossposts():
            times = await self.store.outbox.crosspost_times(delivery.channel_id, self.window)
            blocked = self._blocked.get(delivery.channel_id, 0.0) - time.monotonic()
            if len(times) >= self.per_hour:
                free = times[len(times) - self.per_hour] + timedelta(seconds=self.window)
            elif blocked > 0:
                free = utcnow() + timedelta(seconds=blocked)
            else:
                free = utcnow()
            soonest = free if soonest is None else min(soonest, free)
        return soonest
