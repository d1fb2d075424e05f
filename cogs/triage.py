"""`/triage ...`: the editors' queue of reader feedback."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot
from cogs._common import EditorialCog, not_yet


class TriageCog(EditorialCog, commands.GroupCog, group_name="triage",
                group_description="Reader feedback queue"):
    @app_commands.command(name="list", description="Feedback tickets by status")
    async def list_(self, interaction: discord.Interaction,
                    status: Literal["open", "accepted", "dismissed"] = "open") -> None:
        raise not_yet("triage list", "feedback desk")

    @app_commands.command(name="resolve", description="Accept or dismiss a ticket")
    async def resolve(self, interaction: discord.Interaction,
                      ticket: app_commands.Range[int, 1],
                      action: Literal["accept", "dismiss"],
                      reply: app_commands.Range[str, 1, 1000] | None = None) -> None:
        raise not_yet("triage resolve", "feedback desk")


async def setup(bot: NewsroomBot) -> None:
    await bot.add_cog(TriageCog(bot), guild=bot.home_guild)
