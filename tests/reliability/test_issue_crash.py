"""kill -9 of a real `newsroom run` while an issue goes out, then a restart: every channel
ends with exactly one masthead, then one copy of each story in running order, and every
masthead agrees with the record (the invariant checker, links included).

The edition is one the bot missed while it was down, so it runs at start-up; a gate at
the fake Discord's door holds the issue's parts at the chosen point of the fan-out. The
held requests reach Discord after the kill (the process never learns of them), which is
the window the nonce and the history reconciliation must cover.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.lifecycle import Action
from storage.store import Store
from tests.e2e.conftest import newsroom_env
from tests.e2e.helpers import article
from tests.e2e.process import BotProcess
from tests.fakes.fake_anthropic import FakeAnthropic
from tests.fakes.fake_discord import FakeDiscord
from tests.fakes.invariant import check_copies, story_of
from tests.fakes.invariant_issues import issue_of
from tests.storage import steps

CHANNELS = 12
HEADLINES = ("Port strike ends after nine days", "Grid warns of winter strain",
             "Chip rules tighten again")
POSTS = r"^/channels/\d+/messages$"


def prepare(db: Path, fake: FakeDiscord, channels: list[int]) -> list[int]:
    """Subscribers, three stories scheduled for the next edition, and an edition missed
    while the bot was down (1 January; the last one ran on 31 December)."""
    store = Store(db)
    for channel_id in channels:
        store.outbox.add_destination(kind="subscriber", guild_id=fake.world.other_guild_id,
                                     channel_id=channel_id, added_by=None)
    stories = []
    for headline in HEADLINES:
        story = steps.approved(store, article().replace(headline=headline).to_dict(),
                               by=fake.world.users["editor1"], topic=headline)
        store.stories.move(story.id, steps.decided(store, story.id, Action.SCHEDULE, 1),
                           actor_id=1, changes={"schedule_mode": "next"})
        store.issues.enqueue(story.id)
        stories.append(story.id)
    store.meta.put("editions_since", "2025-06-01T00:00:00.000000+00:00")
    store.meta.record_edition(steps.utcnow().replace(year=2025, month=12, day=31, hour=0,
                                                     minute=0, second=0, microsecond=0),
                              late_seconds=0, published=0)
    store.close()
    return stories


def sequence(fake: FakeDiscord, channel_id: int) -> list[tuple[str, int]]:
    seen: list[tuple[str, int]] = []
    for record in fake.store.channel_records(channel_id):
        number, story = issue_of(record.current), story_of(record.current)
        seen.append(("issue", number) if number else ("story", story or 0))
    return [p for i, p in enumerate(seen) if i == 0 or seen[i - 1] != p]


def kind_of(body: Any) -> str:
    authors = [(e.get("author") or {}).get("name", "") for e in body.get("embeds") or []] \
        if isinstance(body, dict) else []
    return "masthead" if any("issue #" in a for a in authors) else \
        "story" if any("story #" in a for a in authors) else "other"


@pytest.mark.parametrize("hold", ["stories", "mastheads"])
async def test_kill_9_between_the_masthead_and_the_stories(fake_anthropic: FakeAnthropic,
                                                           tmp_path: Path, hold: str) -> None:
    """`stories`: every masthead is out, the first story posts are at Discord's door.
    `mastheads`: half the mastheads are out, the rest at the door, and Discord has
    forgotten the nonces (only the history check can find what landed)."""
    async with FakeDiscord() as fake:
        fake.set_latency(0.01)
        channels = fake.add_text_channels(fake.world.other_guild_id, CHANNELS, prefix="sub")
        targets = [*channels, fake.world.channels["announcements"]]
        db = tmp_path / "newsroom.db"
        stories = prepare(db, fake, channels)
        if hold == "mastheads":
            fake.store.NONCE_WINDOW = 0.0
        after = CHANNELS // 2 if hold == "mastheads" else 0
        held = {"stories": "story", "mastheads": "masthead"}[hold]
        gate = fake.hold("POST", POSTS, after=after, where=lambda body: kind_of(body) == held)
        env = {**newsroom_env(fake, fake_anthropic), "NEWSROOM_DB": db,
               "NEWSROOM_EDITIONS": "Morning=0 0 1 1 *"}
        bot = BotProcess(env, tmp_path)
        want = [("issue", 1), *(("story", s) for s in stories)]
        try:
            await bot.start()
            await gate.wait_held(1, timeout=20)
            async with asyncio.timeout(20):  # the channels the kill should find
                if hold == "stories":  # every masthead out
                    while any(("issue", 1) not in sequence(fake, c) for c in targets):
                        await asyncio.sleep(0.01)
                else:  # a channel whose masthead passed has its whole issue
                    while all(sequence(fake, c) != want for c in targets):
                        await asyncio.sleep(0.01)
            bot.kill()
            await bot.wait()
            at_kill = [sequence(fake, c) for c in targets]
            gate.release()  # what was at the door lands; the dead process never knew
            await asyncio.sleep(0.3)
            await bot.start()
            async with asyncio.timeout(60):
                while any(sequence(fake, c) != want for c in targets) or \
                        check_copies(fake, db):
                    await asyncio.sleep(0.1)
        except TimeoutError:
            found = {c: sequence(fake, c) for c in targets}
            pytest.fail(f"not settled: {found}\n{check_copies(fake, db)}\n"
                        f"{bot.output()[-3000:]}")
        finally:
            await bot.stop()
        assert all(seen == want[:len(seen)] for seen in at_kill), at_kill  # in order
        if hold == "stories":  # the kill came between the mastheads and the stories
            assert all(seen == [("issue", 1)] for seen in at_kill), at_kill
        else:
            assert [] in at_kill and want in at_kill, at_kill  # nothing before a masthead
        assert "part(s) already in the channel" in bot.output().split("--- run 2 ---")[1]
        for channel_id in targets:
            assert sequence(fake, channel_id) == want, channel_id
        assert check_copies(fake, db) == []
