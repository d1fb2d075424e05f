"""`/review ...`: approvals, change requests, spikes and the pre-publish checks."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot
from cogs._common import EditorialCog, not_yet, story_choices


class ReviewCog(EditorialCog, commands.GroupCog, group_name="review",
                group_description="Approve, request changes, spike, run checks"):
    @app_commands.command(name="approve", description="Approve the current revision")
    @app_commands.describe(note="A note for the team",
                           override="Approve despite failing checks: say why (recorded)")
    async def approve(self, interaction: discord.Interaction, story: int,
                      note: app_commands.Range[str, 1, 500] | None = None,
                      override: app_commands.Range[str, 5, 500] | None = None) -> None:
        raise not_yet("review approve", "review desk")

    @app_commands.command(name="changes", description="Send a story back with what to change")
    async def changes(self, interaction: discord.Interaction, story: int,
                      reason: app_commands.Range[str, 1, 1000]) -> None:
        raise not_yet("review changes", "review desk")

    @app_commands.command(name="spike", description="Kill a story before publication")
    async def spike(self, interaction: discord.Interaction, story: int,
                    reason: app_commands.Range[str, 1, 500]) -> None:
        raise not_yet("review spike", "review desk")

    @app_commands.command(name="checks", description="Run the pre-publish checks")
    async def checks(self, interaction: discord.Interaction, story: int) -> None:
        raise not_yet("review checks", "review desk")

    @approve.autocomplete("story")
    @changes.autocomplete("story")
    @spike.autocomplete("story")
    @checks.autocomplete("story")
    async def story_autocomplete(self, interaction: discord.Interaction, current: str
                                 ) -> list[app_commands.Choice[int]]:
        return story_choices(await self.bot.store.match_stories(current))


async def setup(bot: NewsroomBot) -> None:
    await bot.add_cog(ReviewCog(bot), guild=bot.home_guild)
