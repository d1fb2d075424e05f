"""End-to-end harness: the real NewsroomBot against the fake Discord and fake Anthropic.

`newsroom` starts the bot in-process in the test's event loop (as `newsroom run` would,
through `bot.start`), configured like a set-up newsroom: editor role, editorial,
feedback and announcement channels. `Newsroom.restart()` stops it and starts a new
bot on the same database, as a restart of the process would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.app import NewsroomBot, point_discord_at
from bot.config import Settings
from tests.conftest import make_settings
from tests.fakes.fake_anthropic import FakeAnthropic
from tests.fakes.fake_discord import FakeDiscord
from tests.fakes.invariant import check_copies

DB_TABLES = ("stories", "revisions", "sources", "draft_jobs", "approvals", "audit",
             "destinations", "deliveries", "corrections", "tickets", "guild_settings",
             "archive", "edition_runs")


class FastBot(NewsroomBot):
    """discord.py sleeps 5 s before every re-IDENTIFY; tests need no such politeness."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False
                                   ) -> None:
        return None


@dataclass
class Newsroom:
    discord: FakeDiscord
    claude: FakeAnthropic
    tmp: Path
    env: dict[str, Any]
    bot: NewsroomBot | None = None
    task: asyncio.Task[None] | None = None
    starts: list[NewsroomBot] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return make_settings(self.tmp, **self.env)

    @property
    def db_path(self) -> Path:
        return self.tmp / "newsroom.db"

    async def start(self, **env: Any) -> NewsroomBot:
        self.env.update(env)
        settings = self.settings
        point_discord_at(settings)
        bot = FastBot(settings)
        bot.courier.backoff_base = 0.05
        bot.drafter.backoff_base = 0.05
        self.bot = bot
        self.starts.append(bot)
        self.task = asyncio.create_task(bot.start(self.discord.token), name="bot")
        async with asyncio.timeout(10):
            while not (bot.is_ready() and bot.resumed.is_set()):  # connected, work resumed
                if self.task.done():
                    self.task.result()
                await asyncio.sleep(0.02)
        return bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.close()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        self.bot = self.task = None

    async def restart(self, **env: Any) -> NewsroomBot:
        await self.stop()
        return await self.start(**env)

    # ---- helpers for assertions ------------------------------------------------------

    def user(self, name: str) -> int:
        return self.discord.world.users[name]

    def channel(self, name: str) -> int:
        return self.discord.world.channels[name]

    def db(self) -> dict[str, list[tuple]]:
        """Every row of every table, read with a separate connection."""
        conn = sqlite3.connect(self.db_path)
        try:
            return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()
                    for t in DB_TABLES}
        finally:
            conn.close()

    def visible(self) -> dict[int, list[dict]]:
        """What members can see in every channel (ephemeral replies excluded)."""
        fake = self.discord
        channels = sorted(fake.world.all_channels)
        return {c: json.loads(json.dumps(fake.channel_messages(c), default=str))
                for c in channels}

    async def invoke(self, user: str, command: str, options: dict | None = None, **kw: Any):
        handle = await self.discord.invoke(user, command, options or {}, **kw)
        await handle.wait_response()
        return handle


def newsroom_env(discord: FakeDiscord, claude: FakeAnthropic) -> dict[str, Any]:
    w = discord.world
    return {
        "DISCORD_TOKEN": discord.token,
        "NEWSROOM_GUILD_ID": w.home_guild_id,
        "DISCORD_API_BASE": discord.api_base,
        "DISCORD_GATEWAY_URL": discord.gateway_url,
        "ANTHROPIC_API_KEY": claude.api_key,
        "ANTHROPIC_BASE_URL": claude.base_url,
        "NEWSROOM_EDITOR_ROLE_ID": w.editor_role_id,
        "NEWSROOM_EDITORIAL_CHANNEL_ID": w.channels["editorial"],
        "NEWSROOM_FEEDBACK_CHANNEL_ID": w.channels["feedback"],
        "NEWSROOM_ANNOUNCE_CHANNEL_ID": w.channels["announcements"],
        "NEWSROOM_FEEDBACK_ALLOWANCE": 1000,
        "NEWSROOM_DRAFT_TIMEOUT": 5,
        "NEWSROOM_HTTP": "",  # tests that need the web server ask for 127.0.0.1:0
    }


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        with fake.patch_discord_py():
            yield fake
        assert not fake.unhandled, f"the bot used routes the fake lacks: {fake.unhandled}"
        assert not fake.server_errors, fake.server_errors
        assert not fake.schema_violations, fake.violations_report()


async def settled_copies(room: Newsroom) -> list[str]:
    """Let the delivery worker finish, then compare Discord with the store."""
    if room.bot is not None:
        with contextlib.suppress(TimeoutError):
            await room.bot.courier.drain(timeout=20)
    return check_copies(room.discord, room.db_path)


@pytest.fixture
async def newsroom(request: pytest.FixtureRequest, discord_fake: FakeDiscord,
                   fake_anthropic: FakeAnthropic, tmp_path: Path) -> AsyncIterator[Newsroom]:
    """A set-up newsroom; at the end, what Discord shows must match the store
    (unless the test is marked `copies_differ` because it breaks Discord on purpose)."""
    room = Newsroom(discord_fake, fake_anthropic, tmp_path,
                    newsroom_env(discord_fake, fake_anthropic))
    await room.start()
    yield room
    problems = [] if request.node.get_closest_marker("copies_differ") or not \
        room.db_path.exists() else await settled_copies(room)
    await room.stop()
    assert not problems, "Discord and the store disagree:\n" + "\n".join(problems)
