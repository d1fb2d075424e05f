"""Shortcuts for e2e tests: stories in a given state, cards, threads."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.article import Article, disclosure_text
from tests.e2e.conftest import Newsroom

ARTICLES = Path(__file__).resolve().parent.parent / "articles"


def article(name: str = "clean_copyright_ruling.md") -> Article:
    text = (ARTICLES / name).read_text()
    return Article.from_markdown(text).replace(disclosure=disclosure_text("ClawNews"))


async def make_story(room: Newsroom, status: str = "in_review", *, requester: str = "editor1",
                     name: str = "clean_copyright_ruling.md") -> int:
    """A human-written story put straight into `status` (test set-up, not a code path)."""
    store = room.bot.store
    story = await store.create_story(
        origin="human", status="in_review", requested_by=room.user(requester),
        topic="test story", article=article(name).to_dict(), reason="test", action="write")
    if status != "in_review":
        def force(s, sid=story.id):  # type: ignore[no-untyped-def]
            with s.atomic():
                s.db.execute("UPDATE stories SET status = ? WHERE id = ?", [status, sid])
        await store.run(force)
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
