"""`/archive ...`: readers look up published stories and the corrections log."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot
from cogs._common import not_yet


class ArchiveCog(commands.GroupCog, group_name="archive",
                 group_description="Published stories and corrections"):
    def __init__(self, bot: NewsroomBot) -> None:
        self.bot = bot

    @app_commands.command(name="latest", description="The latest published stories")
    async def latest(self, interaction: discord.Interaction) -> None:
        raise not_yet("archive latest", "archive")

    @app_commands.command(name="search", description="Search published stories")
    async def search(self, interaction: discord.Interaction,
                     query: app_commands.Range[str, 1, 200]) -> None:
        raise not_yet("archive search", "archive")

    @app_commands.command(name="story", description="A story with all its corrections")
    async def story(self, interaction: discord.Interaction,
                    id: app_commands.Range[int, 1]) -> None:  # noqa: A002 - spec's option name
        raise not_yet("archive story", "archive")

    @app_commands.command(name="corrections", description="The corrections log, newest first")
    async def corrections(self, interaction: discord.Interaction) -> None:
        raise not_yet("archive corrections", "archive")


async def setup(bot: NewsroomBot) -> None:
    await bot.add_cog(ArchiveCog(bot))
