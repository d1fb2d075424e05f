"""Shortcuts for e2e tests: stories in a given state, cards, threads."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

from bot.article import Article, disclosure_text
from bot.lifecycle import Actor, State
from tests.e2e.conftest import Newsroom
from tests.fakes.fake_anthropic import Refusal

ARTICLES = Path(__file__).resolve().parent.parent / "articles"
SOURCES = ("1) The harbour authority said container traffic fell 12 percent in October. "
           "2) The dockworkers' union said its members return to work on Wednesday.")
SET_UP = "set up for a test"


def article(name: str = "clean_copyright_ruling.md") -> Article:
    text = (ARTICLES / name).read_text()
    return Article.from_markdown(text).replace(disclosure=disclosure_text("ClawNews"))


def editor(room: Newsroom, name: str) -> Actor:
    """A member with the editor role, as the lifecycle sees them."""
    return Actor(room.user(name), frozenset({room.discord.world.editor_role_id}))


async def make_story(room: Newsroom, status: str = "in_review", *, requester: str = "editor1",
                     name: str = "clean_copyright_ruling.md") -> int:
    """A story brought to `status` the way editors do it: through the desks, the drafter
    and the publisher (the story's card is not posted; the desks do not post cards)."""
    bot = room.bot
    assert bot is not None
    state = State(status)
    if state in (State.DRAFTING, State.FAILED):
        return await drafted(room, editor(room, requester), fail=state is State.FAILED)
    story_id = (await bot.desk.write(editor(room, requester), article(name))).id
    await advance(room, story_id, state, requester=requester)
    return story_id


async def advance(room: Newsroom, story_id: int, state: State, *,
                  requester: str = "editor1") -> None:
    """Take a story in review to `state` through the desks (another editor reviews)."""
    bot = room.bot
    assert bot is not None
    by = editor(room, requester)
    other = editor(room, "editor2" if requester != "editor2" else "editor1")
    if state is State.CHANGES_REQUESTED:
        await bot.desk.request_changes(story_id, other, SET_UP)
    elif state is State.SPIKED:
        await bot.desk.spike(story_id, other, SET_UP)
    elif state is not State.IN_REVIEW:
        await bot.desk.approve(story_id, other, override=SET_UP)
        await _after_approval(room, story_id, state, by)


async def _after_approval(room: Newsroom, story_id: int, state: State, by: Actor) -> None:
    bot = room.bot
    assert bot is not None
    if state is State.SCHEDULED:
        await bot.publisher.schedule(story_id, by, "in 300d")
    elif state in (State.PUBLISHED, State.RETRACTED):
        await bot.publisher.publish_now(story_id, by)
        if state is State.RETRACTED:
            await bot.readers.retract(story_id, by, SET_UP)
        await bot.courier.drain()  # the copies are out before the test acts


async def drafted(room: Newsroom, by: Actor, *, fail: bool) -> int:
    """An AI draft request: left drafting (its job waits), or run and declined by Claude."""
    bot = room.bot
    assert bot is not None
    story = await bot.drafter.request(by, topic="Harbour strike ends", sources_text=SOURCES,
                                      attachment=None, length=None, notes=None)
    if fail:
        room.claude.script(Refusal())
        outcome = await bot.drafter.start(story.id)
        assert outcome.story.status == State.FAILED, outcome
    return story.id


async def wait_for(predicate, timeout: float = 10.0, step: float = 0.05):  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while True:
            value = predicate()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
            await asyncio.sleep(step)


def thread_texts(room: Newsroom, thread_id: int) -> list[str]:
    return [m.get("content") or "" for m in room.discord.channel_messages(thread_id)]


@contextlib.contextmanager
def commands_shown_to_everyone(room: Newsroom) -> Iterator[None]:
    """A home-server admin gives @everyone the bot's commands (Integrations): readers then
    see the editorial commands, and only the bot's own role check stands in their way."""
    home = room.discord.world.guilds[room.discord.world.home_guild_id]
    entry = {"id": home.id, "type": 1, "permission": True}
    home.command_access.append(entry)
    try:
        yield
    finally:
        home.command_access.remove(entry)
