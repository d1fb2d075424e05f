"""A kill -9 in the middle of a fan-out, then a restart: every channel gets one copy."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from storage.store import Store
from tests.e2e.conftest import newsroom_env
from tests.e2e.helpers import article
from tests.e2e.process import BotProcess, copies, publish_kill_restart
from tests.fakes.fake_anthropic import FakeAnthropic
from tests.fakes.fake_discord import FakeDiscord
from tests.storage import steps

CHANNELS = 50


def prepare(db: Path, fake: FakeDiscord, channels: list[int]) -> int:
    """A newsroom with 50 subscribers and one approved story, written before start-up."""
    store = Store(db)
    for channel_id in channels:
        store.outbox.add_destination(kind="subscriber", guild_id=fake.world.other_guild_id,
                              channel_id=channel_id, added_by=fake.world.users["admin2"])
    story = steps.approved(store, article().to_dict(), by=fake.world.users["editor1"],
                           topic="crash test")
    store.close()
    return story.id


async def kill_mid_fanout_and_restart(fake: FakeDiscord, claude: FakeAnthropic, tmp: Path,
                                      kill_after: int) -> dict[int, int]:
    channels = fake.add_text_channels(fake.world.other_guild_id, CHANNELS, prefix="sub")
    db = tmp / "newsroom.db"
    story = prepare(db, fake, channels)
    env = {**newsroom_env(fake, claude), "NEWSROOM_DB": db}
    bot = BotProcess(env, tmp)
    targets = [*channels, fake.world.channels["announcements"]]
    try:
        await bot.start()
        sent_before_restart = await publish_kill_restart(fake, bot, story, targets, kill_after)
        await asyncio.sleep(1.0)  # anything still in flight would show up now
    finally:
        await bot.stop()
    counts = {c: copies(fake, c, story) for c in targets}
    assert sent_before_restart < len(targets), "the kill came after the fan-out had finished"
    store = Store(db)
    states = {d.state for d in store.outbox.deliveries(story)}
    store.close()
    assert states == {"sent"}, (states, bot.output()[-2000:])
    return counts


@pytest.fixture
async def fake() -> FakeDiscord:
    async with FakeDiscord() as server:
        server.set_latency(0.01)
        yield server


async def test_kill_during_fanout_then_restart_delivers_exactly_once(fake, fake_anthropic,
                                                                     tmp_path) -> None:
    counts = await kill_mid_fanout_and_restart(fake, fake_anthropic, tmp_path, kill_after=20)
    assert set(counts.values()) == {1}, counts


async def test_reconciliation_without_nonce_memory(fake, fake_anthropic, tmp_path) -> None:
    """Discord forgets nonces after a few minutes; the history check must catch it alone."""
    fake.store.NONCE_WINDOW = 0.0
    kill_after = random.Random(20261126).randint(5, 45)  # seeded: a failure can be replayed
    counts = await kill_mid_fanout_and_restart(fake, fake_anthropic, tmp_path,
                                               kill_after=kill_after)
    assert set(counts.values()) == {1}, counts
