"""`/correct` and `/retract`: changing what was already published."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands

from bot.app import NewsroomBot
from cogs._common import EditorialCog, not_yet, story_choices


class CorrectionsCog(EditorialCog):
    @app_commands.command(name="correct", description="File a correction or clarification")
    @app_commands.describe(kind="correction or clarification",
                           text="What was wrong and what is right",
                           notify="Also post a notice to every channel that received it")
    async def correct(self, interaction: discord.Interaction, story: int,
                      kind: Literal["correction", "clarification"],
                      text: app_commands.Range[str, 1, 1000], notify: bool = False) -> None:
        raise not_yet("correct", "corrections desk")

    @app_commands.command(name="retract", description="Retract a published story")
    async def retract(self, interaction: discord.Interaction, story: int,
                      reason: app_commands.Range[str, 1, 1000]) -> None:
        raise not_yet("retract", "corrections desk")

    @correct.autocomplete("story")
    @retract.autocomplete("story")
    async def story_autocomplete(self, interaction: discord.Interaction, current: str
                                 ) -> list[app_commands.Choice[int]]:
        return story_choices(await self.bot.store.match_stories(current, ["published"]))


async def setup(bot: NewsroomBot) -> None:
    await bot.add_cog(CorrectionsCog(bot), guild=bot.home_guild)
