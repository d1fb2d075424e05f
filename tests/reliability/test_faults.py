"""Reliability: crashes mid fan-out, a Claude outage across a restart, gateway faults."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime
from pathlib import Path

from storage.store import Store
from tests.e2e.conftest import Newsroom, newsroom_env
from tests.e2e.helpers import article, make_story, wait_for
from tests.e2e.process import BotProcess, copies, publish_kill_restart
from tests.e2e.test_drafting import SOURCES, wait_card
from tests.e2e.test_publishing import drained, story_posts
from tests.fakes.fake_anthropic import FakeAnthropic, Overloaded
from tests.fakes.fake_discord import FakeDiscord
from tests.storage import steps

TRIALS = 10
CHANNELS = 50


async def test_kill_9_at_random_moments_of_a_fanout(fake_anthropic: FakeAnthropic,
                                                    tmp_path: Path) -> None:
    """10 trials, each: publish to 50 channels, kill -9 somewhere in it, restart."""
    rng = random.Random(20261125)
    async with FakeDiscord() as fake:
        fake.set_latency(0.01)
        channels = fake.add_text_channels(fake.world.other_guild_id, CHANNELS, prefix="sub")
        targets = [*channels, fake.world.channels["announcements"]]
        db = tmp_path / "newsroom.db"
        store = Store(db)
        for channel_id in channels:
            store.outbox.add_destination(kind="subscriber", guild_id=fake.world.other_guild_id,
                                  channel_id=channel_id, added_by=None)
        stories = [steps.approved(store, article().to_dict(), by=fake.world.users["editor1"],
                                  topic=f"t{i}").id for i in range(TRIALS)]
        store.close()
        bot = BotProcess({**newsroom_env(fake, fake_anthropic), "NEWSROOM_DB": db}, tmp_path)
        outcomes = []
        try:
            await bot.start()
            for story in stories:
                kill_after = rng.randint(1, len(targets) - 1)
                at_kill = await publish_kill_restart(fake, bot, story, targets, kill_after)
                outcomes.append((story, kill_after, at_kill))
            await asyncio.sleep(1.0)
        finally:
            await bot.stop()
        failures = [(story, c, copies(fake, c, story)) for story in stories for c in targets
                    if copies(fake, c, story) != 1]
        print(f"\n{TRIALS} kill -9 trials, kill points {[o[1:] for o in outcomes]}, "
              f"{len(failures)} channel(s) without exactly one copy")
        assert failures == [], failures
        assert any(at < len(targets) for _, _, at in outcomes)


async def test_claude_outage_with_a_restart_in_the_middle(newsroom: Newsroom) -> None:
    await newsroom.restart(NEWSROOM_DRAFT_MAX_ATTEMPTS=50)
    newsroom.claude.set_default(Overloaded())
    for topic in ("Harbour strike ends", "Port traffic recovers", "Union signs deal"):
        handle = await newsroom.invoke("editor1", "draft request",
                                       {"topic": topic, "sources": SOURCES})
        assert handle.deferred
    await asyncio.sleep(1.0)  # every job has failed at least once and is backing off
    assert len(await newsroom.bot.store.jobs.pending()) == 3
    await newsroom.restart()  # the bot goes down in the middle of the outage
    await asyncio.sleep(0.5)
    newsroom.claude.set_default(None)  # the outage ends
    for story in (1, 2, 3):
        await wait_card(newsroom, story, "in_review", timeout=60)
    stories = [await newsroom.bot.store.stories.get(s) for s in (1, 2, 3)]
    assert all(s.status == "in_review" and s.current_revision == 1 for s in stories)
    assert await newsroom.bot.store.jobs.pending() == []


async def test_gateway_faults_during_work(newsroom: Newsroom) -> None:
    """RECONNECT, a dropped socket and an invalid session while drafting and publishing."""
    fake = newsroom.discord
    newsroom.claude.event_delay = 0.02
    next_edition = await make_story(newsroom, "approved")
    own_time = await make_story(newsroom, "approved")
    await newsroom.invoke("editor1", "publish schedule", {"story": next_edition, "when": "next"})
    at = int(time.time()) + 3
    await newsroom.invoke("editor1", "publish schedule", {"story": own_time, "when": f"<t:{at}>"})
    draft = await newsroom.invoke("editor1", "draft request",
                                  {"topic": "Harbour strike ends", "sources": SOURCES})
    answered = 0
    for fault in (fake.send_reconnect, fake.drop_socket,
                  lambda: fake.send_invalid_session(False), fake.send_reconnect):
        await fault()
        await fake.wait_until_connected(timeout=15)
        handle = await newsroom.invoke("editor2", "publish queue")
        await handle.wait_final()
        answered += "Publishing queue" in handle.text()
    assert answered == 4
    await wait_for(lambda: story_posts(newsroom, "announcements", own_time), timeout=20)
    await newsroom.bot.publisher.run_edition(datetime.now(UTC))
    await drained(newsroom)
    assert len(story_posts(newsroom, "announcements", next_edition)) == 1
    await wait_card(newsroom, 3, "in_review", timeout=30)
    await draft.wait_final(lambda m: "ready for review" in (m.get("content") or ""))
    assert fake.identify_count >= 2 and fake.resume_count >= 1
