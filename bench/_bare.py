"""The floor: a bare discord.py bot that answers `/ping`, measured on the same fake.

Nothing of the newsroom: a `discord.Client` with one slash command answered at once,
the same intents (guilds only) and no mentions. Under load it also sends one plain
message to each channel of a fan-out, paced by a simple sleep at 49 messages/s, so the
fake and the bot's loop carry the same kind of traffic as during the newsroom's fan-out.
Its acknowledgement latency is the least any discord.py bot gets on this machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import discord
import yarl
from discord import app_commands

FAN_OUT_RATE = 49.0
TEXT = ("Bare bot fan-out. " * 90).strip()  # ~1,600 characters, about one story part


class BareBot(discord.Client):
    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(intents=intents, allowed_mentions=discord.AllowedMentions.none())
        self.tree = app_commands.CommandTree(self)
        self.tree.command(name="ping", description="Answers pong")(self._ping)

    async def _ping(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    async def setup_hook(self) -> None:
        await self.tree.sync()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False
                                   ) -> None:
        return None


@contextlib.asynccontextmanager
async def bare_bot(fake: Any):
    """A logged-in, ready BareBot on this loop, talking to `fake` (on any loop)."""
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    bot = BareBot()
    task = asyncio.create_task(bot.start(fake.token), name="bare-bot")
    try:
        async with asyncio.timeout(15):
            while not bot.is_ready():
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def fan_out(bot: BareBot, channels: list[int]) -> float:
    """One message per channel, started at FAN_OUT_RATE per second; returns the seconds."""
    started = time.monotonic()
    sends = []
    for index, channel_id in enumerate(channels):
        delay = started + index / FAN_OUT_RATE - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        sends.append(asyncio.create_task(bot.get_partial_messageable(channel_id).send(TEXT)))
    await asyncio.gather(*sends, return_exceptions=True)
    return time.monotonic() - started


async def serve(api_base: str, gateway: str, token: str) -> None:
    """Run until SIGTERM (for bench.startup: its start-up time and idle RSS)."""
    import signal
    import sys

    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    bot = BareBot()
    bot.event(on_ready)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with bot:
        task = asyncio.create_task(bot.start(token))
        await stop.wait()
    task.cancel()
    sys.stdout.flush()


async def on_ready() -> None:
    print("bare bot ready", flush=True)


if __name__ == "__main__":
    import sys

    asyncio.run(serve(*sys.argv[1:4]))
