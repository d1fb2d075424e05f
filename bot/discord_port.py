"""The few Discord calls the publishing services make, behind one narrow port.

Services take a `DiscordPort` instead of the whole bot: they can be read (and tested)
knowing only these calls. `ClientPort` implements it with discord.py; every request
it makes counts against Discord's global limit and waits at the bot's one pacer (in its
HTTP client, `bot.http`), at the priority of what it is for: copies of stories
(deliveries, edits, crossposts, history reads) are bulk work that waits behind whatever an
editor waits on, notices and DMs in between.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import discord

from bot.custom_ids import REPORT, SOURCES
from bot.pacer import Priority, priority
from bot.render import RenderedMessage


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

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    @property
    def user_id(self) -> int:
        return self.client.user.id if self.client.user else 0

    def _channel(self, channel_id: int) -> discord.PartialMessageable:
        return self.client.get_partial_messageable(channel_id)

    async def send(self, channel_id: int, part: RenderedMessage, *, nonce: str,
                   buttons_for: int | None = None) -> int:
        view = post_view(buttons_for) if buttons_for is not None else discord.utils.MISSING
        with priority(Priority.BULK):
            message = await self._channel(channel_id).send(
                content=part.content, embeds=part.embeds, nonce=nonce, view=view)
        return message.id

    async def edit(self, channel_id: int, message_id: int, part: RenderedMessage, *,
                   buttons_for: int | None = None) -> None:
        view = post_view(buttons_for) if buttons_for is not None else None
        with priority(Priority.BULK):
            await self._channel(channel_id).get_partial_message(message_id).edit(
                content=part.content, embeds=part.embeds, view=view)

    async def delete(self, channel_id: int, message_id: int) -> None:
        with priority(Priority.BULK):
            await self._channel(channel_id).get_partial_message(message_id).delete()

    async def crosspost(self, channel_id: int, message_id: int) -> None:
        with priority(Priority.BULK):
            await self.client.http.publish_message(channel_id, message_id)

    async def history(self, channel_id: int, after: datetime) -> AsyncIterator[Posted]:
        """Every message after a moment, oldest first, a page (one request) at a time."""
        start = discord.Object(discord.utils.time_snowflake(after - timedelta(seconds=5)))
        channel = self._channel(channel_id)
        while True:
            with priority(Priority.BULK):
                page = [m async for m in channel.history(limit=100, after=start,
                                                         oldest_first=True)]
            for message in page:
                yield Posted(message.id, message.author.id, _labels(message.embeds))
            if len(page) < 100:
                return
            start = discord.Object(page[-1].id)

    async def post_text(self, channel_id: int, text: str) -> int:
        with priority(Priority.NOTICE):
            message = await self._channel(channel_id).send(text[:2000])
        return message.id

    async def dm(self, user_id: int, text: str) -> None:
        with priority(Priority.NOTICE):
            user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
            await user.send(text[:2000])

    async def follow(self, channel_id: int, target_id: int) -> int:
        """Make `target_id` follow announcement channel `channel_id`; the webhook's id
        (an admin's /subscribe waits on it: paced at the default, interactive priority)."""
        data = await self.client.http.follow_webhook(
            channel_id, webhook_channel_id=target_id, reason="/subscribe mode: follow")
        return int(data["webhook_id"])  # type: ignore[index]

    async def unfollow(self, webhook_id: int) -> None:
        route = discord.http.Route("DELETE", "/webhooks/{webhook_id}", webhook_id=webhook_id)
        await self.client.http.request(route, reason="/unsubscribe")


def _labels(embeds: Sequence[discord.Embed]) -> tuple[str, ...]:
    return tuple(e.author.name for e in embeds if e.author.name)
