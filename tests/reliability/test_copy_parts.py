"""A correction that changes how many messages a copy needs: no orphan, no stale id.

A shorter text deletes the parts a subscriber's copy no longer needs (and forgets their
ids); in the announcement channel it edits them into a short stub instead, because a
deleted crossposted message would leave its followers' copies behind. A longer text
adds parts, sent with a nonce through the pacer, and crossposted in the announcement
channel like the first ones.
"""

from __future__ import annotations

from bot.article import Article
from tests.e2e.conftest import Newsroom
from tests.e2e.helpers import article
from tests.fakes.fake_discord_messages import CROSSPOSTED
from tests.fakes.invariant import check_copies, story_of
from tests.reliability.interleave import actor, quiet, subscribed_channels


def long_article(paragraphs: int) -> Article:
    base = article()
    body = tuple(f"Paragraph {i} of a long feature about the ruling. " + "The court heard "
                 "arguments about fair use and market harm. " * 22 + "[1]"
                 for i in range(paragraphs))
    return base.replace(body=body)


def copy_of(room: Newsroom, channel_id: int, story: int) -> list[dict]:
    """The story's messages in a channel, and the announcement stubs after them."""
    messages = room.discord.channel_messages(channel_id)
    ids = {m["id"] for m in messages if story_of(m) == story}
    first = min(int(i) for i in ids)
    return [m for m in messages if m["id"] in ids or (int(m["id"]) > first and not m["embeds"])]


async def test_copies_shrink_and_grow_with_the_text(newsroom: Newsroom) -> None:
    [sub] = await subscribed_channels(newsroom, 1)
    desk = newsroom.bot.desk
    story = (await desk.write(actor(newsroom, "admin"), long_article(12))).id
    await desk.approve(story, actor(newsroom, "editor2"), override="a long test fixture")
    await newsroom.bot.publisher.publish_now(story, actor(newsroom, "editor1"))
    await quiet(newsroom)
    announce = newsroom.channel("announcements")
    grown = len(copy_of(newsroom, sub, story))
    assert grown >= 3

    readers = newsroom.bot.readers
    await readers.correct(story, actor(newsroom, "editor1"), kind="correction",
                          text="The feature was cut to its first two parts.", notify=False,
                          article=long_article(2))
    await quiet(newsroom)
    assert not check_copies(newsroom.discord, newsroom.db_path)
    assert len(copy_of(newsroom, sub, story)) == 1  # the others were deleted
    stubs = [m for m in copy_of(newsroom, announce, story) if not m["embeds"]]
    assert len(stubs) == grown - 1 and "folded into the message above" in stubs[0]["content"]
    [delivery] = [d for d in await newsroom.bot.store.outbox.deliveries(story)
                  if d.channel_id == sub]
    assert len(delivery.message_ids) == 1

    await readers.correct(story, actor(newsroom, "editor1"), kind="correction",
                          text="The full feature is back.", notify=False,
                          article=long_article(14))
    await quiet(newsroom)
    assert not check_copies(newsroom.discord, newsroom.db_path)
    parts = [m for m in copy_of(newsroom, sub, story) if m["embeds"]]
    assert len(parts) >= grown
    shown = [m for m in copy_of(newsroom, announce, story) if m["embeds"]]
    assert len(shown) >= grown and all(m["flags"] & CROSSPOSTED for m in shown)
    buttons = [m for m in parts if m.get("components")]
    assert buttons == [parts[-1]]  # "Report an error" on the last part only
