"""Issue 5: scheduling, editions, destinations, exactly-once delivery, rate limits."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime

from bot.lifecycle import Actor
from tests.e2e.conftest import Newsroom
from tests.e2e.helpers import make_story, wait_for
from tests.fakes.fake_discord_messages import CROSSPOSTED


def story_posts(room: Newsroom, channel: str | int, story_id: int) -> list[dict]:
    channel_id = room.channel(channel) if isinstance(channel, str) else channel
    return [m for m in room.discord.channel_messages(channel_id)
            if any((e.get("author") or {}).get("name", "").endswith(f"story #{story_id}")
                   for e in m["embeds"])]


async def subscribe(room: Newsroom, user: str, channel: str, guild: int | None = None,
                    mode: str | None = "deliver") -> str:
    """`/subscribe` a channel (by default in deliver mode: the bot posts each story)."""
    options = {"channel": room.channel(channel)} | ({"mode": mode} if mode else {})
    handle = await room.invoke(user, "subscribe", options, guild=guild,
                               channel=room.channel(channel))
    await handle.wait_final()
    assert "Subscribed" in handle.text(), handle.text()
    return handle.text()


async def drained(room: Newsroom) -> None:
    await room.bot.courier.drain(timeout=20)


async def test_an_edition_publishes_everywhere_once(newsroom: Newsroom) -> None:
    other = newsroom.discord.world.other_guild_id
    await subscribe(newsroom, "admin2", "news", guild=other)
    await subscribe(newsroom, "admin", "general")
    story = await make_story(newsroom, "approved")
    handle = await newsroom.invoke("editor1", "publish schedule", {"story": story, "when": "next"})
    assert handle.ephemeral and "for the next edition: <t:" in handle.text()
    queue = await newsroom.invoke("editor1", "publish queue")
    assert f"#{story} - " in queue.text()

    await newsroom.bot.publisher.run_edition(datetime.now(UTC))
    await drained(newsroom)
    for channel in ("announcements", "news", "general"):
        posts = story_posts(newsroom, channel, story)
        assert len(posts) == 1, channel
        ids = [c["custom_id"] for row in posts[0]["components"] for c in row["components"]]
        assert ids == [f"newsroom:report:{story}", f"newsroom:sources:{story}"]
    announcement = story_posts(newsroom, "announcements", story)[0]
    assert announcement["flags"] & CROSSPOSTED
    log = await newsroom.invoke("editor1", "publish deliveries", {"story": story})
    assert log.text().count("✓ sent") == 3 and "crosspost done" in log.text()
    assert (await newsroom.bot.store.stories.get(story)).status == "published"
    # the same edition again publishes nothing twice
    await newsroom.bot.publisher.run_edition(datetime.now(UTC))
    await drained(newsroom)
    assert len(story_posts(newsroom, "news", story)) == 1
    assert not newsroom.discord.pings()


async def test_schedule_refusals_change_nothing(newsroom: Newsroom) -> None:
    approved = await make_story(newsroom, "approved")
    in_review = await make_story(newsroom, "in_review")
    before = newsroom.db()
    for story, when, message in [
        (approved, "2020-01-01 08:00", "in the past"),
        (approved, "someday", "cannot read"),
        (approved, "in 5 parsecs", "Unknown unit"),
        (in_review, "next", "must be approved"),
        (404, "next", "no story #404"),
    ]:
        handle = await newsroom.invoke("editor1", "publish schedule",
                                       {"story": story, "when": when})
        assert handle.ephemeral and message in handle.text(), (when, handle.text())
    assert newsroom.db() == before


async def test_a_story_goes_out_at_its_own_time(newsroom: Newsroom) -> None:
    story = await make_story(newsroom, "approved")
    at = int(time.time()) + 2
    handle = await newsroom.invoke("editor1", "publish schedule",
                                   {"story": story, "when": f"<t:{at}:F>"})
    assert f"<t:{at}:F>" in handle.text()
    await wait_for(lambda: story_posts(newsroom, "announcements", story), timeout=10)


async def test_a_missed_edition_runs_late_after_a_restart(newsroom: Newsroom) -> None:
    story = await make_story(newsroom, "approved")
    await newsroom.invoke("editor1", "publish schedule", {"story": story, "when": "next"})
    await newsroom.stop()
    conn = sqlite3.connect(newsroom.db_path)
    with conn:  # running since 2025; the last edition ran on 31 December, 1 January was missed
        conn.execute("UPDATE meta SET value = ? WHERE key = 'editions_since'",
                     ["2025-06-01T00:00:00.000000+00:00"])
        conn.execute("INSERT INTO edition_runs (due_at, ran_at) VALUES (?, ?)",
                     ["2025-12-31T00:00:00.000000+00:00", "2025-12-31T00:00:01.000000+00:00"])
    conn.close()
    await newsroom.start(NEWSROOM_EDITIONS="0 0 1 1 *")
    await wait_for(lambda: story_posts(newsroom, "announcements", story))
    notices = [m["content"] for m in newsroom.discord.channel_messages(
        newsroom.channel("editorial")) if "late" in (m.get("content") or "")]
    assert notices and "because the bot was offline" in notices[0]
    assert "1 story published" in notices[0]


async def test_crossposts_over_the_hourly_budget_are_queued_not_failed(newsroom: Newsroom
                                                                       ) -> None:
    newsroom.bot.crossposter.per_hour = 2
    stories = [await make_story(newsroom, "approved") for _ in range(3)]
    for story in stories:
        await newsroom.invoke("editor1", "publish now", {"story": story})
    await wait_for(lambda: all(story_posts(newsroom, "announcements", s) for s in stories))
    await wait_for(lambda: sum(bool(story_posts(newsroom, "announcements", s)[0]["flags"]
                                    & CROSSPOSTED) for s in stories) == 2)
    states = [d.crosspost for s in stories for d in await newsroom.bot.store.outbox.deliveries(s)]
    assert sorted(states) == ["done", "done", "pending"]
    assert newsroom.discord.stats.global_429s == 0


async def test_subscribe_checks_permissions_and_unsubscribe(newsroom: Newsroom) -> None:
    other = newsroom.discord.world.other_guild_id
    newsroom.discord.deny_bot("news", code=50013)
    refused = await newsroom.invoke("admin2", "subscribe", {"channel": newsroom.channel("news")},
                                    guild=other, channel=newsroom.channel("news"))
    await refused.wait_final()
    assert refused.ephemeral and "I cannot post in" in refused.text()
    newsroom.discord.allow_bot("news")
    await subscribe(newsroom, "admin2", "news", guild=other)
    again = await newsroom.invoke("admin2", "subscribe", {"channel": newsroom.channel("news")},
                                  guild=other, channel=newsroom.channel("news"))
    await again.wait_final()
    assert "already subscribed" in again.text()
    gone = await newsroom.invoke("admin2", "unsubscribe", {"channel": newsroom.channel("news")},
                                 guild=other, channel=newsroom.channel("news"))
    assert "Unsubscribed" in gone.text()
    story = await make_story(newsroom, "approved")
    await newsroom.invoke("editor1", "publish now", {"story": story})
    await drained(newsroom)
    assert story_posts(newsroom, "news", story) == []


async def test_a_delivery_left_in_flight_is_reconciled_not_resent(newsroom: Newsroom) -> None:
    """The crash window: Discord created the message, the bot died before recording it."""
    newsroom.discord.store.NONCE_WINDOW = 0.0  # and Discord no longer remembers the nonce
    story = await make_story(newsroom, "approved")
    bot = newsroom.bot
    await bot.courier.stop()  # hold the worker while we stage the crash
    await bot.publisher._publish(story, Actor.bot(), "test")
    delivery = (await bot.store.outbox.deliveries(story))[0]
    parts = (await bot.courier.renditions.current(story)).parts
    channel = bot.get_channel(delivery.channel_id)
    await channel.send(embeds=parts[0].embeds)  # the message that got out
    await bot.store.outbox.claim(delivery.id)  # the row says "in flight"
    bot.courier.start()
    await drained(newsroom)
    assert len(story_posts(newsroom, "announcements", story)) == 1
    assert (await bot.store.outbox.delivery(delivery.id)).state == "sent"


async def test_reconciliation_does_not_mistake_another_story_with_the_same_text(
        newsroom: Newsroom) -> None:
    newsroom.discord.store.NONCE_WINDOW = 0.0
    bot = newsroom.bot
    first = await make_story(newsroom, "approved")
    await newsroom.invoke("editor1", "publish now", {"story": first})
    await drained(newsroom)
    second = await make_story(newsroom, "approved")  # the very same article text
    await bot.courier.stop()
    await bot.publisher._publish(second, Actor.bot(), "test")
    delivery = (await bot.store.outbox.deliveries(second))[0]
    await bot.store.outbox.claim(delivery.id)  # in flight, but nothing reached Discord
    bot.courier.start()
    await drained(newsroom)
    assert len(story_posts(newsroom, "announcements", second)) == 1
    assert len(story_posts(newsroom, "announcements", first)) == 1
