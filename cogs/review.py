"""`/review ...`: approvals, change requests, spikes and the pre-publish checks."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot
from bot.checks import summary_line
from cogs._cards import refresh_card
from cogs._common import EditorialCog, actor_of, say, story_choices


async def approve(bot: NewsroomBot, interaction: discord.Interaction, story_id: int,
                  note: str | None = None, override: str | None = None) -> None:
    result = await bot.desk.approve(story_id, actor_of(interaction), note, override)
    who = interaction.user.mention
    event = f"{who} approved revision {result.story.current_revision}. {result.summary}"
    if result.override:
        event += f"\nChecks overridden: {result.override}"
    if note:
        event += f"\nNote: {note}"
    await say(interaction, result.summary + (f"\nOverride recorded: {result.override}"
                                             if result.override else ""))
    await refresh_card(bot, story_id, event)


async def request_changes(bot: NewsroomBot, interaction: discord.Interaction, story_id: int,
                          reason: str) -> None:
    story = await bot.desk.request_changes(story_id, actor_of(interaction), reason)
    await say(interaction, f"Sent #{story.id} back for changes; approvals cleared.")
    await refresh_card(bot, story_id, f"{interaction.user.mention} requested changes: {reason}")


async def spike(bot: NewsroomBot, interaction: discord.Interaction, story_id: int,
                reason: str) -> None:
    story = await bot.desk.spike(story_id, actor_of(interaction), reason)
    await say(interaction, f"Spiked #{story.id}. It will not be published.")
    await refresh_card(bot, story_id, f"{interaction.user.mention} spiked the story: {reason}")


class ReviewCog(EditorialCog, commands.GroupCog, group_name="review",
                group_description="Approve, request changes, spike, run checks"):
    @app_commands.command(name="approve", description="Approve the current revision")
    @app_commands.describe(note="A note for the team",
                           override="Approve despite failing checks: say why (recorded)")
    async def approve(self, interaction: discord.Interaction, story: int,
                      note: app_commands.Range[str, 1, 500] | None = None,
                      override: app_commands.Range[str, 5, 500] | None = None) -> None:
        await approve(self.bot, interaction, story, note, override)

    @app_commands.command(name="changes", description="Send a story back with what to change")
    async def changes(self, interaction: discord.Interaction, story: int,
                      reason: app_commands.Range[str, 1, 1000]) -> None:
        await request_changes(self.bot, interaction, story, reason)

    @app_commands.command(name="spike", description="Kill a story before publication")
    async def spike(self, interaction: discord.Interaction, story: int,
                    reason: app_commands.Range[str, 1, 500]) -> None:
        await spike(self.bot, interaction, story, reason)

    @app_commands.command(name="checks", description="Run the pre-publish checks")
    async def checks(self, interaction: discord.Interaction, story: int) -> None:
        found, findings = await self.bot.desk.checks(story, actor_of(interaction))
        lines = [f"{'✓' if f.ok else ('✗' if f.severity == 'required' else '!')} "
                 f"**{f.check}** ({f.severity}): {f.message}" for f in findings]
        embed = discord.Embed(title=f"Checks of #{found.id}, revision {found.current_revision}",
                              description="\n".join(lines)[:4096])
        embed.set_footer(text=summary_line(findings))
        await say(interaction, embed=embed)

    @approve.autocomplete("story")
    @changes.autocomplete("story")
    @spike.autocomplete("story")
    @checks.autocomplete("story")
    async def story_autocomplete(self, interaction: discord.Interaction, current: str
                                 ) -> list[app_commands.Choice[int]]:
        return story_choices(await self.bot.store.match_stories(current))


async def setup(bot: NewsroomBot) -> None:
    await bot.add_cog(ReviewCog(bot), guild=bot.home_guild)
