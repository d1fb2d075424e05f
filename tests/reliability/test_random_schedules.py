"""Random schedules of what a busy newsroom does at once, checked against the record.

For each of 30 seeds: 3 stories, 20 subscribed channels, and a random schedule of
publish / correct / retract / unsubscribe / subscribe / crash-and-restart, where an
action often lands while a fan-out is frozen mid-way at the fake Discord's door. After
every step the invariant checker compares every channel with the store. A schedule is
a function of its seed (printed on failure); the timing of the frozen fan-out is fixed
by the gate, so a failing seed fails again.

The crash is kill -9 as far as the newsroom can tell: from that instant no database
write happens (work queued for the store is dropped) and nothing shuts down politely;
requests already at Discord's door land afterwards. `tests/e2e/test_crash.py` and
`tests/reliability/test_faults.py` kill real `newsroom run` processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.conftest import Newsroom, newsroom_env
from tests.fakes.fake_anthropic import FakeAnthropic
from tests.fakes.fake_discord import FakeDiscord
from tests.fakes.fake_discord_http import Gate
from tests.fakes.invariant import check_copies
from tests.reliability.interleave import (
    answer,
    approved_story,
    crash,
    hold_story_posts,
    quiet,
    subscribed_channels,
    until,
)

SEEDS = range(30)
STORIES = 3
CHANNELS = 20
STEPS = 5
ACTIONS = ("correct", "retract", "unsubscribe", "subscribe", "crash")
HOLD = 3.0
"""Seconds the door stays shut once the action started. Discord answers every request,
and an action may need one that waits behind a held delivery: discord.py sends one
request at a time on a channel's bucket it has not seen yet (after a restart, say), so a
notice to that channel waits for the delivery the gate holds."""


@dataclass
class World:
    room: Newsroom
    rng: random.Random
    stories: dict[int, str] = field(default_factory=dict)  # id -> approved/published/...
    subscribed: set[int] = field(default_factory=set)
    unsubscribed: set[int] = field(default_factory=set)
    log: list[str] = field(default_factory=list)

    def pick(self, state: str) -> int | None:
        found = sorted(s for s, st in self.stories.items() if st == state)
        return self.rng.choice(found) if found else None


async def publish(w: World) -> Gate | None:
    story = w.pick("approved")
    if story is None:
        return None
    gate = hold_story_posts(w.room, after=w.rng.randint(0, CHANNELS + 1))
    text = await answer(w.room, "editor1", "publish now", {"story": story})
    assert "Published" in text, text
    w.stories[story] = "published"
    w.log.append(f"publish #{story} (gate after {gate.after})")
    return gate


async def act(w: World, action: str) -> None:
    room, rng = w.room, w.rng
    if action == "correct" and (story := w.pick("published")):
        handle = await room.discord.invoke("editor2", "correct", {
            "story": story, "kind": "correction", "text": f"Fix number {rng.randint(1, 999)}."})
        done = await room.discord.submit_modal("editor2", handle, {})
        await done.wait_final()
        assert "filed on" in done.text(), done.text()
    elif action == "retract" and (story := w.pick("published")):
        text = await answer(room, "editor2", "retract", {"story": story, "reason": "Wrong."})
        assert text.startswith("Retracted"), text
        w.stories[story] = "retracted"
    elif action == "unsubscribe" and w.subscribed:
        channel = rng.choice(sorted(w.subscribed))
        text = await answer(room, "admin2", "unsubscribe", {"channel": channel},
                            guild=room.discord.world.other_guild_id, channel=channel)
        assert "Unsubscribed" in text, text
        w.subscribed.discard(channel)
        w.unsubscribed.add(channel)
    elif action == "subscribe" and w.unsubscribed:
        channel = rng.choice(sorted(w.unsubscribed))
        text = await answer(room, "admin2", "subscribe", {"channel": channel},
                            guild=room.discord.world.other_guild_id, channel=channel)
        assert "Subscribed" in text, text
        w.unsubscribed.discard(channel)
        w.subscribed.add(channel)
    elif action == "crash":
        await crash(room)
    else:
        return
    w.log.append(action)


async def step(w: World) -> None:
    room = w.room
    gate = await publish(w) if w.rng.random() < 0.6 else None
    if gate is not None:
        copies = len(w.subscribed) + 1  # and the announcement channel
        await until(lambda: gate.held or gate.passed >= copies, timeout=15)
    if gate is None or w.rng.random() < 0.8:
        action = asyncio.create_task(act(w, w.rng.choice(ACTIONS)))
        if gate is not None:
            await asyncio.wait({action}, timeout=HOLD)
            gate.release()
        await action
    if gate is not None:
        gate.release()
    if room.bot is None:  # crashed: requests at the door land, then the newsroom restarts
        await room.start()
    await quiet(room)


async def run_seed(seed: int, tmp: Path, claude: FakeAnthropic) -> list[str]:
    async with FakeDiscord() as fake:
        fake.set_latency(0.002)
        with fake.patch_discord_py():
            room = Newsroom(fake, claude, tmp, newsroom_env(fake, claude))
            await room.start()
            w = World(room, random.Random(seed))
            try:
                w.subscribed = set(await subscribed_channels(room, CHANNELS))
                for _ in range(STORIES):
                    w.stories[await approved_story(room)] = "approved"
                for number in range(STEPS):
                    await step(w)
                    problems = check_copies(fake, room.db_path)
                    if problems:
                        return [f"seed {seed}, step {number} ({'; '.join(w.log)}): {p}"
                                for p in problems]
                print(f"seed {seed}: {'; '.join(w.log)}")
            finally:
                with contextlib.suppress(Exception):
                    await room.stop()
    return []


@pytest.mark.parametrize("seed", SEEDS)
async def test_a_random_schedule_keeps_discord_and_the_record_in_agreement(
        seed: int, fake_anthropic: FakeAnthropic, tmp_path: Path) -> None:
    problems = await run_seed(seed, tmp_path, fake_anthropic)
    assert not problems, f"seed {seed}:\n" + "\n".join(problems)
