"""`/draft ...`: the drafting desk (requests to Claude, human drafts, revisions)."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot
from cogs._common import EditorialCog, not_yet, story_choices

Length = Literal["brief", "standard", "long"]
STATUSES = Literal["drafting", "in_review", "changes_requested", "approved", "scheduled",
                   "published", "spiked", "failed", "retracted"]


class DraftsCog(EditorialCog, commands.GroupCog, group_name="draft",
                group_description="Request, write and revise drafts"):
    @app_commands.command(name="request", description="Ask Claude for a draft from sources")
    @app_commands.describe(
        topic="What the story is about",
        sources="URLs and/or pasted texts, numbered '1) ... 2) ...'",
        file="A txt, md or pdf file as one more source",
        length="brief, standard or long",
        notes="Extra guidance for the writer",
    )
    async def request(self, interaction: discord.Interaction,
                      topic: app_commands.Range[str, 1, 300],
                      sources: app_commands.Range[str, 1, 6000] | None = None,
                      file: discord.Attachment | None = None,
                      length: Length = "standard",
                      notes: app_commands.Range[str, 1, 1000] | None = None) -> None:
        raise not_yet("draft request", "drafting desk")

    @app_commands.command(name="write", description="Write a draft yourself (opens a form)")
    async def write(self, interaction: discord.Interaction) -> None:
        raise not_yet("draft write", "drafting desk")

    @app_commands.command(name="revise", description="Ask Claude to redraft with instructions")
    async def revise(self, interaction: discord.Interaction, story: int,
                     instructions: app_commands.Range[str, 1, 1000]) -> None:
        raise not_yet("draft revise", "drafting desk")

    @app_commands.command(name="edit", description="Edit the current revision (opens a form)")
    async def edit(self, interaction: discord.Interaction, story: int) -> None:
        raise not_yet("draft edit", "drafting desk")

    @app_commands.command(name="show", description="Show a story (current or given revision)")
    async def show(self, interaction: discord.Interaction, story: int,
                   revision: app_commands.Range[int, 1] | None = None) -> None:
        raise not_yet("draft show", "drafting desk")

    @app_commands.command(name="diff", description="Differences between two revisions")
    @app_commands.rename(from_="from")
    async def diff(self, interaction: discord.Interaction, story: int,
                   from_: app_commands.Range[int, 1] | None = None,
                   to: app_commands.Range[int, 1] | None = None) -> None:
        raise not_yet("draft diff", "drafting desk")

    @app_commands.command(name="list", description="Stories by status")
    async def list_(self, interaction: discord.Interaction, status: STATUSES | None = None
                    ) -> None:
        raise not_yet("draft list", "drafting desk")

    @app_commands.command(name="retry", description="Retry a failed AI draft")
    async def retry(self, interaction: discord.Interaction, story: int) -> None:
        raise not_yet("draft retry", "drafting desk")

    @revise.autocomplete("story")
    @edit.autocomplete("story")
    @show.autocomplete("story")
    @diff.autocomplete("story")
    @retry.autocomplete("story")
    async def story_autocomplete(self, interaction: discord.Interaction, current: str
                                 ) -> list[app_commands.Choice[int]]:
        return story_choices(await self.bot.store.match_stories(current))


async def setup(bot: NewsroomBot) -> None:
    await bot.add_cog(DraftsCog(bot), guild=bot.home_guild)
