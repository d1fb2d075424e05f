"""`/review ...`: approvals, change requests, spikes and the pre-publish checks."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot
from bot.checks import summary_line
from cogs._common import EDITORIAL, EditorialCog, actor_of, say
from cogs._story_actions import approve, request_changes, spike
from cogs._story_option import AnyStory


@EDITORIAL
class ReviewCog(EditorialCog, commands.GroupCog, group_name="review",
                group_description="Approve, request changes, spike, run checks"):
    @app_commands.command(name="approve", description="Approve the current revision")
    @app_commands.describe(note="A note for the team",
                           override="Approve despite failing checks: say why (recorded)")
    async def approve(self, interaction: discord.Interaction, story: AnyStory,
                      note: app_commands.Range[str, 1, 500] | None = None,
                      override: app_commands.Range[str, 5, 500] | None = None) -> None:
        await approve(self.bot, interaction, story, note, override)

    @app_commands.command(name="changes", description="Send a story back with what to change")
    async def changes(self, interaction: discord.Interaction, story: AnyStory,
                      reason: app_commands.Range[str, 1, 1000]) -> None:
        await request_changes(self.bot, interaction, story, reason)

    @app_commands.command(name="spike", description="Kill a story before publication")
    async def spike(self, interaction: discord.Interaction, story: AnyStory,
                    reason: app_commands.Range[str, 1, 500]) -> None:
        await spike(self.bot, interaction, story, reason)

    @app_commands.command(name="checks", description="Run the pre-publish checks")
    async def checks(self, interaction: discord.Interaction, story: AnyStory) -> None:
        found, findings = await self.bot.desk.checks(story, actor_of(interaction))
        lines = [f"{'✓' if f.ok else ('✗' if f.severity == 'required' else '!')} "
                 f"**{f.check}** ({f.severity}): {f.message}" for f in findings]
        embed = discord.Embed(title=f"Checks of #{found.id}, revision {found.current_revision}",
                              description="\n".join(lines)[:4096])
        embed.set_footer(text=summary_line(findings))
        await say(interaction, embed=embed)


async def setup(bot: NewsroomBot) -> None:
    await bot.add_cog(ReviewCog(bot), guild=bot.home_guild)
