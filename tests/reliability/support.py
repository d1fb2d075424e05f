"""What the input and permission suites share: stories and tickets in a given state,
finding a button on the real messages, waiting until the bot has gone quiet, and the
checks every refused interaction must pass (ephemeral, nothing changed, still alive).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

from bot.article import Article, disclosure_text
from bot.lifecycle import State
from cogs._cards import post_card
from tests.e2e.conftest import Newsroom
from tests.e2e.helpers import advance, article, editor, make_story
from tests.fakes.fake_discord import InteractionHandle, message_text
from tests.fakes.fake_discord_messages import iter_components

Factory = Callable[[Newsroom], Awaitable[int]]


async def settle(room: Newsroom, quiet: float = 0.12, timeout: float = 15.0) -> None:
    """Wait until drafting, delivery and ticket posts are done and nothing changes for
    `quiet` s.

    Commands answer first and refresh cards and threads afterwards; a snapshot taken
    in between would blame the next case for the previous one's work.
    """
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout):
        while room.bot.drafter.tasks:
            await asyncio.sleep(0.02)
        await room.bot.courier.drain(timeout=timeout)
        while any(t.triage_message_id is None for t in await room.bot.store.tickets.recent()):
            await asyncio.sleep(0.05)  # posted after the reader's answer, maybe rate-limited
        last, since = (room.db(), room.visible()), loop.time()
        while loop.time() - since < quiet:
            await asyncio.sleep(0.03)
            now = (room.db(), room.visible())
            if now != last:
                last, since = now, loop.time()


def story(status: str, *, card: bool = False, requester: str = "editor1") -> Factory:
    """A story in `status`; with `card`, its card (and buttons) in the editorial channel."""
    async def make(room: Newsroom) -> int:
        story_id = await make_story(room, status, requester=requester)
        if card:
            await post_card(room.bot, story_id)
        return story_id
    return make


async def published(room: Newsroom) -> int:
    """A story published the normal way: approved, then `/publish now` by an editor."""
    story_id = await make_story(room, "approved")
    handle = await room.invoke("editor1", "publish now", {"story": story_id})
    assert "Published" in handle.text(), handle.text()
    await settle(room)
    return story_id


def long_story(status: str = "in_review") -> Factory:
    """A story whose body is longer than Discord's form can hold (two 4,000 inputs)."""
    async def make(room: Newsroom) -> int:
        base = article()
        paragraphs = tuple(f"Paragraph {i} of a long feature. " + "Word " * 180 + "[1]"
                           for i in range(10))
        long = Article(headline=base.headline, dek=base.dek, body=paragraphs,
                       why_it_matters=base.why_it_matters, bottom_line=base.bottom_line,
                       sources=base.sources, disclosure=disclosure_text("ClawNews"))
        created = await room.bot.desk.write(editor(room, "editor1"), long)
        await advance(room, created.id, State(status))
        return created.id
    return make


def ticket(story_key: Factory, kind: str = "tip", user: str = "reader") -> Factory:
    """A reader's ticket sent with `/feedback`, so its triage card exists."""
    async def make(room: Newsroom) -> int:
        story_id = await story_key(room)
        handle = await room.invoke(user, "feedback", {"story": story_id, "kind": kind,
                                                      "text": "The vote was 6 to 3.",
                                                      "quote": "7 to 2"})
        found = re.search(r"ticket #(\d+)", handle.text())
        assert found, handle.text()
        await settle(room)
        return int(found.group(1))
    return make


def find_button(room: Newsroom, custom_id: str) -> dict[str, Any]:
    """The visible message that carries the component `custom_id`."""
    for channel_id in sorted(room.discord.world.all_channels):
        for message in room.discord.channel_messages(channel_id):
            if any(c.get("custom_id") == custom_id
                   for c in iter_components(message.get("components"))):
                return message
    raise LookupError(f"no visible message carries {custom_id!r}")


def texts(seen: dict[int, list[dict]], channels: set[int] | None = None) -> dict[str, str]:
    """Message id -> visible text, for the channels of a `room.visible()` snapshot."""
    return {m["id"]: message_text(m) for channel, messages in seen.items()
            if channels is None or channel in channels for m in messages}


def changed_text(before: dict[int, list[dict]], after: dict[int, list[dict]],
                 channels: set[int] | None = None) -> str:
    """The text of every message that is new or different since `before`."""
    old, new = texts(before, channels), texts(after, channels)
    return "\n".join(t for mid, t in new.items() if old.get(mid) != t)


def guild_channels(room: Newsroom) -> set[int]:
    """Server channels, where a mention could ping (DMs cannot ping anyone else)."""
    return {c.id for c in room.discord.world.all_channels.values() if c.guild_id is not None}


async def alive(room: Newsroom) -> str | None:
    """None when an editor's `/draft list` is still answered, else what went wrong."""
    try:
        handle = await room.invoke("editor1", "draft list")
        await handle.wait_final()
    except Exception as exc:  # noqa: BLE001 - reported as a problem of the case
        return f"the bot no longer answers /draft list: {type(exc).__name__}: {exc}"
    if not handle.ephemeral or "Latest stories" not in handle.text():
        return f"/draft list answered oddly: {handle.text()!r}"
    return None


def refusal_problems(handle: InteractionHandle, expect: str) -> list[str]:
    """An answer must be ephemeral and say what is wrong (never the generic apology)."""
    problems = []
    text = handle.text()
    if not handle.ephemeral:
        problems.append(f"answer is not ephemeral: {text!r}")
    if expect not in text:
        problems.append(f"expected {expect!r} in the answer, got {text!r}")
    if "Something went wrong" in text:
        problems.append(f"generic error instead of a clear message: {text!r}")
    return problems


def stale_card(status: str) -> Factory:
    """A card posted in review whose story was then taken to `status` through the desks,
    which do not touch the card: its buttons still show (as after a failed refresh)."""
    async def make(room: Newsroom) -> int:
        story_id = await story("in_review", card=True)(room)
        await advance(room, story_id, State(status))
        return story_id
    return make


def stale_ticket(action: str = "dismiss") -> Factory:
    """An open ticket's card whose ticket was resolved meanwhile through the readers'
    desk, which does not touch the card: its buttons still show."""
    async def make(room: Newsroom) -> int:
        ticket_id = await ticket(published)(room)
        await room.bot.readers.resolve(ticket_id, editor(room, "editor2"), action, None)
        return ticket_id
    return make
