"""`/feedback`: readers send corrections, clarifications, tips and comments."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot
from cogs._common import not_yet

Kind = Literal["correction", "clarification", "tip", "comment"]


class FeedbackCog(commands.Cog):
    def __init__(self, bot: NewsroomBot) -> None:
        self.bot = bot

    @app_commands.command(name="feedback", description="Tell the newsroom about a story")
    @app_commands.describe(story="Story number (shown on every post)", kind="What it is",
                           text="What you want to tell us",
                           quote="The phrase in question, if any")
    async def feedback(self, interaction: discord.Interaction,
                       story: app_commands.Range[int, 1], kind: Kind,
                       text: app_commands.Range[str, 1, 1500],
                       quote: app_commands.Range[str, 1, 300] | None = None) -> None:
        raise not_yet("feedback", "feedback desk")


async def setup(bot: NewsroomBot) -> None:
    await bot.add_cog(FeedbackCog(bot))
