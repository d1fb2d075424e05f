"""What the interleaving tests share: stories set up through the desks, subscribed
channels, a gate that freezes a fan-out mid-way, and a simulated crash."""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

from bot.lifecycle import Actor
from tests.e2e.conftest import Newsroom
from tests.e2e.helpers import article
from tests.fakes.fake_discord_http import Gate

STORY_POST = r"^/channels/\d+/messages$"


def actor(room: Newsroom, name: str) -> Actor:
    return Actor(room.user(name), frozenset({room.discord.world.editor_role_id}))


async def approved_story(room: Newsroom, *, writer: str = "admin", approvers: tuple[str, ...]
                         = ("editor2",), name: str = "clean_copyright_ruling.md") -> int:
    """A human draft written and approved through the story desk, as editors would."""
    desk = room.bot.desk
    story = await desk.write(actor(room, writer), article(name))
    for approver in approvers:
        await desk.approve(story.id, actor(room, approver))
    return story.id


async def subscribed_channels(room: Newsroom, count: int) -> list[int]:
    """`count` channels of the other server, subscribed (rows written by the desk's store)."""
    fake = room.discord
    other = fake.world.other_guild_id
    channels = fake.add_text_channels(other, count, prefix="sub")
    for channel_id in channels:
        await room.bot.store.outbox.add_destination(
            kind="subscriber", guild_id=other, channel_id=channel_id,
            added_by=room.user("admin2"))
    return channels


def hold_story_posts(room: Newsroom, after: int) -> Gate:
    """Freeze a fan-out after `after` story messages: later ones wait at Discord's door."""
    return room.discord.hold("POST", STORY_POST, after=after, where=is_story_part)


def is_story_part(body: Any) -> bool:
    """A delivery's message: its nonce is the bot's "nr{delivery}.{part}" (discord.py
    puts a random number in every other message's nonce)."""
    return isinstance(body, dict) and str(body.get("nonce", "")).startswith("nr")


async def answer(room: Newsroom, user: str, command: str, options: dict[str, Any],
                 **where: Any) -> str:
    handle = await room.discord.invoke(user, command, options, **where)
    await handle.wait_final()
    return handle.text()


async def quiet(room: Newsroom, timeout: float = 30.0) -> None:
    with contextlib.suppress(TimeoutError):
        await room.bot.courier.drain(timeout=timeout)


async def crash(room: Newsroom) -> None:
    """Stop the bot as kill -9 would: from this instant no database write happens (work
    queued for the store is dropped), and nothing shuts down politely."""
    bot = room.bot
    assert bot is not None
    bot.store.abandon()
    with contextlib.suppress(Exception):
        await room.stop()


def count(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    return int(found.group(1)) if found else 0


async def until(predicate: Any, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)
