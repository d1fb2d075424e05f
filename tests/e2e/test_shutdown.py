"""SIGTERM in the middle of a fan-out: parts in flight finish, the database closes
cleanly, the process exits 0, and a restart delivers the rest exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import STOP_GRACE
from storage.store import Store
from tests.e2e.conftest import newsroom_env
from tests.e2e.process import BotProcess, copies
from tests.e2e.test_crash import CHANNELS, prepare
from tests.fakes.fake_discord import FakeDiscord


@pytest.fixture
async def fake() -> FakeDiscord:
    async with FakeDiscord() as server:
        server.set_latency(0.01)
        yield server


def discord_matches_database(fake: FakeDiscord, db: Path, story: int) -> dict[str, int]:
    """Every delivery the database calls sent is in its channel once, with that message id;
    every other one has nothing in its channel. Returns the delivery states.

    Called after the bot stopped: no -wal file is left, so the database was closed cleanly
    (the last connection to close checkpoints and removes it)."""
    assert not Path(f"{db}-wal").exists(), "the database was not closed cleanly"
    store = Store(db)
    try:
        deliveries = store.outbox.deliveries(story)
    finally:
        store.close()
    states: dict[str, int] = {}
    for delivery in deliveries:
        states[delivery.state] = states.get(delivery.state, 0) + 1
        in_channel = [r.current["id"] for r in fake.store.channel_records(delivery.channel_id)
                      if f"story #{story}" in str(r.current.get("embeds"))]
        if delivery.state == "sent":
            assert [str(i) for i in delivery.message_ids] == [str(i) for i in in_channel]
        else:
            assert in_channel == [] and delivery.message_ids == [], delivery
    return states


async def test_sigterm_mid_fanout_stops_cleanly_and_a_restart_delivers_the_rest(
        fake, fake_anthropic, tmp_path) -> None:
    channels = fake.add_text_channels(fake.world.other_guild_id, CHANNELS, prefix="sub")
    db = tmp_path / "newsroom.db"
    story = prepare(db, fake, channels)
    bot = BotProcess({**newsroom_env(fake, fake_anthropic), "NEWSROOM_DB": db}, tmp_path)
    targets = [*channels, fake.world.channels["announcements"]]
    try:
        await bot.start()
        handle = await fake.invoke("editor1", "publish now", {"story": story})
        await handle.wait_response(timeout=10)
        async with asyncio.timeout(30):
            while sum(copies(fake, c, story) for c in targets) < 10:
                await asyncio.sleep(0.005)
        bot.terminate()
        async with asyncio.timeout(STOP_GRACE + 10):  # the grace, plus closing
            code = await bot.wait()
        assert code == 0, bot.output()[-2000:]
        assert "stopped cleanly" in bot.output()
        states = discord_matches_database(fake, db, story)
        assert states.get("pending"), f"the fan-out had finished before SIGTERM: {states}"

        await bot.start()
        async with asyncio.timeout(60):
            while any(copies(fake, c, story) == 0 for c in targets):
                await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # anything still in flight would show up now
    finally:
        await bot.stop()
    assert {copies(fake, c, story) for c in targets} == {1}
    assert discord_matches_database(fake, db, story) == {"sent": len(targets)}
