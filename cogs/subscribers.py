"""`/subscribe` and `/unsubscribe`: other servers receive the newsroom's issues."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot
from cogs._common import not_yet


@app_commands.guild_only()
class SubscribersCog(commands.Cog):
    def __init__(self, bot: NewsroomBot) -> None:
        self.bot = bot

    @app_commands.command(name="subscribe", description="Deliver the newsroom's issues here")
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.checks.has_permissions(manage_channels=True)
    async def subscribe(self, interaction: discord.Interaction,
                        channel: discord.TextChannel) -> None:
        raise not_yet("subscribe", "publishing desk")

    @app_commands.command(name="unsubscribe", description="Stop delivering issues to a channel")
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.checks.has_permissions(manage_channels=True)
    async def unsubscribe(self, interaction: discord.Interaction,
                          channel: discord.TextChannel) -> None:
        raise not_yet("unsubscribe", "publishing desk")


async def setup(bot: NewsroomBot) -> None:
    await bot.add_cog(SubscribersCog(bot))
