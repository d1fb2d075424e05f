"""Issue 10: subscribing servers (follow and deliver modes, /subscriptions and its test,
the 24-hour rule for a channel the bot lost access to) and /help."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from storage.records import utcnow
from tests.e2e.conftest import Newsroom
from tests.e2e.helpers import make_story, wait_for
from tests.e2e.test_publishing import drained, story_posts, subscribe
from tests.e2e.test_readers import NOTE, all_text, correct
from tests.fakes.fake_discord_messages import CROSSPOSTED, IS_CROSSPOST
from tests.fakes.fake_discord_world import Perm
from tests.fakes.invariant import check_copies, story_of


class Clock:
    """The courier's clock, moved on by the test instead of sleeping for a day."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **span: float) -> None:
        self.now += timedelta(**span)


def copies_in(room: Newsroom, channel: str, story: int) -> list[dict]:
    """Followers' copies of a story: crossposts Discord made into `channel`."""
    return [m for m in room.discord.channel_messages(room.channel(channel))
            if m["flags"] & IS_CROSSPOST and story_of(m) == story]


def other(room: Newsroom) -> int:
    return room.discord.world.other_guild_id


async def test_follow_mode_copies_each_story_and_carries_corrections_and_retractions(
        newsroom: Newsroom) -> None:
    text = await subscribe(newsroom, "owner2", "news", guild=other(newsroom), mode=None)
    assert "follows ClawNews's announcement channel" in text, text
    [follow] = newsroom.discord.followers
    assert (follow.source_channel_id, follow.target_channel_id) == (
        newsroom.channel("announcements"), newsroom.channel("news"))
    story = await make_story(newsroom, "approved")
    await newsroom.invoke("editor1", "publish now", {"story": story})
    await drained(newsroom)
    source = story_posts(newsroom, "announcements", story)[0]
    assert source["flags"] & CROSSPOSTED
    [copy] = copies_in(newsroom, "news", story)
    assert copy["message_reference"]["message_id"] == source["id"]
    assert copy["embeds"] == source["embeds"]
    assert [d.channel_id for d in await newsroom.bot.store.outbox.deliveries(story)] == [
        newsroom.channel("announcements")]  # Discord copies it: no delivery of the bot's

    await correct(newsroom, story, notify=True)
    await drained(newsroom)
    [copy] = copies_in(newsroom, "news", story)
    assert "Correction, <t:" in all_text(copy) and NOTE in all_text(copy)
    news = newsroom.discord.channel_messages(newsroom.channel("news"))
    notices = [m for m in news if (m.get("content") or "").startswith("Correction to")]
    assert len(notices) == 1 and notices[0]["flags"] & IS_CROSSPOST

    retract = await newsroom.invoke("editor1", "retract",
                                    {"story": story, "reason": "The ruling was reversed."})
    await retract.wait_final()
    await drained(newsroom)
    [copy] = copies_in(newsroom, "news", story)
    assert "Retracted:" in all_text(copy) and "The ruling was reversed." in all_text(copy)
    assert check_copies(newsroom.discord, newsroom.db_path) == []  # no retracted text left
    news = newsroom.discord.channel_messages(newsroom.channel("news"))
    assert sum("has retracted" in (m.get("content") or "") for m in news) == 1

    listing = await newsroom.invoke("owner2", "subscriptions", guild=other(newsroom),
                                    channel=newsroom.channel("news"))
    assert "follow: Discord copies" in listing.text()
    assert f"Last story: #{story}" in listing.text() and "(since retracted)" in listing.text()
    gone = await newsroom.invoke("owner2", "unsubscribe", {"channel": newsroom.channel("news")},
                                 guild=other(newsroom), channel=newsroom.channel("news"))
    assert "Unsubscribed" in gone.text() and newsroom.discord.followers == []


async def test_follow_needs_manage_webhooks_and_deliver_is_the_fallback(
        newsroom: Newsroom) -> None:
    """admin2 has Manage Channels but not Manage Webhooks."""
    news = newsroom.channel("news")
    before = newsroom.db()
    refused = await newsroom.invoke("admin2", "subscribe", {"channel": news, "mode": "follow"},
                                    guild=other(newsroom), channel=news)
    await refused.wait_final()
    assert refused.ephemeral and "needs Manage Webhooks" in refused.text()
    assert "you lack it" in refused.text() and newsroom.db() == before
    text = await subscribe(newsroom, "admin2", "news", guild=other(newsroom), mode=None)
    assert "I will post each new story" in text and "Deliver mode, because" in text
    assert newsroom.discord.followers == []
    await give_manage_webhooks(newsroom, "admin2", "news")
    switched = await subscribe(newsroom, "admin2", "news", guild=other(newsroom), mode=None)
    assert "follows" in switched and len(newsroom.discord.followers) == 1
    back = await subscribe(newsroom, "admin2", "news", guild=other(newsroom))
    assert "I will post each new story" in back and newsroom.discord.followers == []


async def give_manage_webhooks(room: Newsroom, user: str, channel: str) -> None:
    """A member overwrite on the channel, as a server admin would set it."""
    fake, channel_id, user_id = room.discord, room.channel(channel), room.user(user)
    fake.world.set_member_overwrite(channel_id, user_id, allow=int(Perm.MANAGE_WEBHOOKS))
    fake.gateway.dispatch("CHANNEL_UPDATE",
                          fake.world.channel_payload(fake.world.all_channels[channel_id]))
    await wait_for(lambda: user_id in {t.id for t in room.bot.get_channel(channel_id).overwrites})


async def test_subscriptions_lists_state_and_sends_a_test_outside_the_bookkeeping(
        newsroom: Newsroom) -> None:
    await subscribe(newsroom, "admin2", "news", guild=other(newsroom))
    story = await make_story(newsroom, "approved")
    await newsroom.invoke("editor1", "publish now", {"story": story})
    await drained(newsroom)
    news = newsroom.channel("news")
    listing = await newsroom.invoke("admin2", "subscriptions", guild=other(newsroom),
                                    channel=news)
    assert listing.ephemeral and f"<#{news}> · deliver" in listing.text()
    assert "State: active" in listing.text() and f"Last story: #{story} “" in listing.text()
    deliveries = newsroom.db()["deliveries"]
    click = await newsroom.discord.click("admin2", listing, f"newsroom:subtest:{news}")
    await click.wait_final()
    assert f"Test sent to <#{news}>" in click.text()
    [test] = [m for m in newsroom.discord.channel_messages(news)
              if (m.get("content") or "").startswith("Test from ClawNews")]
    assert f"The latest story is #{story}" in test["content"]
    assert "https://discord.com/channels/" in test["content"] and not test["embeds"]
    assert newsroom.db()["deliveries"] == deliveries  # not a delivery: nothing recorded
    assert len(story_posts(newsroom, "news", story)) == 1
    again = await newsroom.discord.click("admin2", listing, f"newsroom:subtest:{news}")
    await again.wait_final()
    assert "try again in a minute" in again.text()
    assert not newsroom.discord.pings()


async def test_a_channel_without_access_is_retried_for_a_day_then_disabled(
        newsroom: Newsroom) -> None:
    clock = Clock()
    newsroom.bot.courier.clock = clock
    await subscribe(newsroom, "admin2", "news", guild=other(newsroom))
    newsroom.discord.deny_bot("news")
    story = await make_story(newsroom, "approved")
    await newsroom.invoke("editor1", "publish now", {"story": story})
    editorial, news = newsroom.channel("editorial"), newsroom.channel("news")

    def team() -> list[str]:
        return [m.get("content") or "" for m in newsroom.discord.channel_messages(editorial)]

    async def attempts() -> int:
        return next(d.attempts for d in await newsroom.bot.store.outbox.deliveries(story)
                    if d.channel_id == news)

    await wait_for(lambda: any("Warning: no access" in t for t in team()))
    assert "keep retrying for 24 hours" in next(t for t in team() if "Warning" in t)
    await wait_for(lambda: _at_least(attempts, 1))
    listing = await newsroom.invoke("admin2", "subscriptions", guild=other(newsroom),
                                    channel=news)
    assert "failing since <t:" in listing.text()
    for hours, expected in ((12, 2), (11.9, 3)):
        clock.advance(hours=hours)
        newsroom.bot.courier.kick()
        await wait_for(lambda n=expected: _at_least(attempts, n))
        assert not any("now disabled" in t for t in team())
        assert [d.channel_id for d in await newsroom.bot.store.outbox.destinations()
                ].count(news) == 1
    clock.advance(minutes=7)  # 24 hours after the first failure
    newsroom.bot.courier.kick()
    await wait_for(lambda: any("are now disabled" in t for t in team()))
    notice = next(t for t in team() if "are now disabled" in t)
    assert "was told by DM" in notice and "for 24 hours" in notice
    dms = newsroom.discord.dm_messages("admin2")
    assert dms and "have stopped" in dms[-1]["content"] and f"<#{news}>" in dms[-1]["content"]
    delivery = next(d for d in await newsroom.bot.store.outbox.deliveries(story)
                    if d.channel_id == news)
    assert delivery.state == "failed"
    assert sum("Warning: no access" in t for t in team()) == 1
    listing = await newsroom.invoke("admin2", "subscriptions", guild=other(newsroom),
                                    channel=news)
    assert "State: disabled: no access" in listing.text()
    assert "newsroom:subtest" not in str(listing.original)  # no test for a disabled channel


async def test_a_channel_that_gets_access_back_is_no_longer_failing(newsroom: Newsroom) -> None:
    clock = Clock()
    newsroom.bot.courier.clock = clock
    await subscribe(newsroom, "admin2", "news", guild=other(newsroom))
    newsroom.discord.deny_bot("news")
    story = await make_story(newsroom, "approved")
    await newsroom.invoke("editor1", "publish now", {"story": story})
    news = newsroom.channel("news")

    async def failing() -> bool:
        dest = next(d for d in await newsroom.bot.store.outbox.destinations()
                    if d.channel_id == news)
        return dest.warned_at is not None

    await wait_for(failing)
    newsroom.discord.allow_bot("news")
    clock.advance(hours=20)
    newsroom.bot.courier.kick()
    await wait_for(lambda: story_posts(newsroom, "news", story))
    await drained(newsroom)
    assert not await failing()


async def _at_least(count, n: int) -> bool:  # type: ignore[no-untyped-def]
    return await count() >= n


HELP_SECTIONS = ("As a reader", "For this server", "As an editor", "As the newsroom's admin")


async def test_help_says_what_each_member_can_do(newsroom: Newsroom) -> None:
    home, away = None, other(newsroom)
    expected = {
        ("reader", home): {"As a reader"},
        ("reader2", away): {"As a reader"},
        ("reader", "dm"): {"As a reader"},
        ("admin2", away): {"As a reader", "For this server"},
        ("editor1", home): {"As a reader", "As an editor"},
        ("admin", home): {"As a reader", "For this server", "As the newsroom's admin"},
    }
    for (user, guild), sections in expected.items():
        handle = await newsroom.invoke(user, "help", guild=guild)
        text = handle.text()
        assert handle.ephemeral, (user, guild)
        shown = {s for s in HELP_SECTIONS if s in text}
        assert shown == sections, (user, guild, shown)
        assert re.search(r"lists its sources", text) and "Corrections are dated" in text
        assert "Found an error? Report it" in text and "`/feedback`" in text
