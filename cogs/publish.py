"""`/publish ...`: scheduling, publishing now, the queue and the delivery log."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot
from cogs._common import EditorialCog, not_yet, story_choices


class PublishCog(EditorialCog, commands.GroupCog, group_name="publish",
                 group_description="Schedule and publish approved stories"):
    @app_commands.command(name="schedule", description="Schedule an approved story")
    @app_commands.describe(when="next, an ISO time like 2026-12-01 08:00, 'in 2h', "
                                "or a Discord timestamp")
    async def schedule(self, interaction: discord.Interaction, story: int,
                       when: app_commands.Range[str, 1, 100]) -> None:
        raise not_yet("publish schedule", "publishing desk")

    @app_commands.command(name="unschedule", description="Take a story off the schedule")
    async def unschedule(self, interaction: discord.Interaction, story: int) -> None:
        raise not_yet("publish unschedule", "publishing desk")

    @app_commands.command(name="now", description="Publish an approved story now")
    async def now(self, interaction: discord.Interaction, story: int) -> None:
        raise not_yet("publish now", "publishing desk")

    @app_commands.command(name="queue", description="What goes out when")
    async def queue(self, interaction: discord.Interaction) -> None:
        raise not_yet("publish queue", "publishing desk")

    @app_commands.command(name="deliveries", description="The delivery log of a story")
    async def deliveries(self, interaction: discord.Interaction, story: int) -> None:
        raise not_yet("publish deliveries", "publishing desk")

    @schedule.autocomplete("story")
    @unschedule.autocomplete("story")
    @now.autocomplete("story")
    @deliveries.autocomplete("story")
    async def story_autocomplete(self, interaction: discord.Interaction, current: str
                                 ) -> list[app_commands.Choice[int]]:
        return story_choices(await self.bot.store.match_stories(current))


async def setup(bot: NewsroomBot) -> None:
    await bot.add_cog(PublishCog(bot), guild=bot.home_guild)
