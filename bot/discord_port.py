"""The few Discord calls the publishing services make, behind one narrow port.

Services take a `DiscordPort` instead of the whole bot: they can be read (and tested)
knowing only these calls. `ClientPort` implements it with discord.py; every request
it makes counts against Discord's global limit and goes through one pacer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import discord

from bot.custom_ids import REPORT, SOURCES
from bot.render import RenderedMessage

GLOBAL_RATE = 45.0  # requests/s: under Discord's 50/s so a fan-out never trips a global 429


@dataclass(frozen=True)
class Posted:
    """A message seen in a channel's history: who wrote it and its embeds' labels."""

    id: int
    author_id: int
    labels: tuple[str, ...]
    """Every embed's author line (where the parts of a story carry its number)."""


class DiscordPort(Protocol):
    @property
    def user_id(self) -> int: ...

    async def send(self, channel_id: int, part: RenderedMessage, *, nonce: str,
                   buttons_for: int | None = None) -> int: ...

    async def edit(self, channel_id: int, message_id: int, part: RenderedMessage, *,
                   buttons_for: int | None = None) -> None: ...

    async def delete(self, channel_id: int, message_id: int) -> None: ...

    async def crosspost(self, channel_id: int, message_id: int) -> None: ...

    def history(self, channel_id: int, after: datetime) -> AsyncIterator[Posted]: ...

    async def post_text(self, channel_id: int, text: str) -> int: ...

    async def dm(self, user_id: int, text: str) -> None: ...

    async def follow(self, channel_id: int, target_id: int) -> int: ...

    async def unfollow(self, webhook_id: int) -> None: ...


class RateGate:
    """A token bucket shared by every request the publishing services make."""

    def __init__(self, rate: float, burst: int = 5) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.updated = time.monotonic()
        self.lock = asyncio.Lock()
        self.closed = False

    def close(self) -> None:
        """Shutting down: no new request starts; callers wait here until cancelled."""
        self.closed = True

    async def acquire(self) -> None:
        if self.closed:
            await asyncio.get_running_loop().create_future()
        async with self.lock:
            while True:
                now = time.monotonic()
                self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)


def post_view(story_id: int) -> discord.ui.View:
    """Buttons on every published post; handled by the feedback cog's dynamic items."""
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="Report an error", style=discord.ButtonStyle.secondary,
                                    custom_id=REPORT(story_id)))
    view.add_item(discord.ui.Button(label="Sources", style=discord.ButtonStyle.secondary,
                                    custom_id=SOURCES(story_id)))
    return view


class ClientPort:
    """`DiscordPort` over a discord.py client (a bot that is logged in)."""

    def __init__(self, client: discord.Client, gate: RateGate | None = None) -> None:
        self.client = client
        self.gate = gate or RateGate(GLOBAL_RATE)

    @property
    def user_id(self) -> int:
        return self.client.user.id if self.client.user else 0

    def _channel(self, channel_id: int) -> discord.PartialMessageable:
        return self.client.get_partial_messageable(channel_id)

    async def send(self, channel_id: int, part: RenderedMessage, *, nonce: str,
                   buttons_for: int | None = None) -> int:
        await self.gate.acquire()
        view = post_view(buttons_for) if buttons_for is not None else discord.utils.MISSING
        message = await self._channel(channel_id).send(
            content=part.content, embeds=part.embeds, nonce=nonce, view=view)
        return message.id

    async def edit(self, channel_id: int, message_id: int, part: RenderedMessage, *,
                   buttons_for: int | None = None) -> None:
        await self.gate.acquire()
        view = post_view(buttons_for) if buttons_for is not None else None
        await self._channel(channel_id).get_partial_message(message_id).edit(
            content=part.content, embeds=part.embeds, view=view)

    async def delete(self, channel_id: int, message_id: int) -> None:
        await self.gate.acquire()
        await self._channel(channel_id).get_partial_message(message_id).delete()

    async def crosspost(self, channel_id: int, message_id: int) -> None:
        await self.gate.acquire()
        await self.client.http.publish_message(channel_id, message_id)

    async def history(self, channel_id: int, after: datetime) -> AsyncIterator[Posted]:
        """Every message after a moment, oldest first, a page (one request) at a time."""
        start = discord.Object(discord.utils.time_snowflake(after - timedelta(seconds=5)))
        channel = self._channel(channel_id)
        while True:
            await self.gate.acquire()
            page = [m async for m in channel.history(limit=100, after=start, oldest_first=True)]
            for message in page:
                yield Posted(message.id, message.author.id, _labels(message.embeds))
            if len(page) < 100:
                return
            start = discord.Object(page[-1].id)

    async def post_text(self, channel_id: int, text: str) -> int:
        await self.gate.acquire()
        message = await self._channel(channel_id).send(text[:2000])
        return message.id

    async def dm(self, user_id: int, text: str) -> None:
        await self.gate.acquire()
        user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
        await self.gate.acquire()
        await user.send(text[:2000])


    async def follow(self, channel_id: int, target_id: int) -> int:
        """Make `target_id` follow announcement channel `channel_id`; the webhook's id."""
        await self.gate.acquire()
        data = await self.client.http.follow_webhook(
            channel_id, webhook_channel_id=target_id, reason="/subscribe mode: follow")
        return int(data["webhook_id"])  # type: ignore[index]

    async def unfollow(self, webhook_id: int) -> None:
        await self.gate.acquire()
        route = discord.http.Route("DELETE", "/webhooks/{webhook_id}", webhook_id=webhook_id)
        await self.client.http.request(route, reason="/unsubscribe")


def _labels(embeds: Sequence[discord.Embed]) -> tuple[str, ...]:
    return tuple(e.author.name for e in embeds if e.author.name)
