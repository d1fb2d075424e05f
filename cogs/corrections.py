"""`/correct` and `/retract`: changing what was already published."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands

from bot.app import NewsroomBot
from bot.article import Article
from cogs._cards import refresh_card
from cogs._common import EDITORIAL, EditorialCog, actor_of, say
from cogs._forms import CorrectionForm
from cogs._story_option import PublishedStory


class CorrectionsCog(EditorialCog):
    @EDITORIAL
    @app_commands.command(name="correct", description="File a correction or clarification")
    @app_commands.describe(kind="correction or clarification",
                           text="What was wrong and what is right (the note on every copy)",
                           notify="Also post a notice to every channel that received it")
    async def correct(self, interaction: discord.Interaction, story: PublishedStory,
                      kind: Literal["correction", "clarification"],
                      text: app_commands.Range[str, 1, 1000], notify: bool = False) -> None:
        """Opens the correction form: the note, and the text to fix if it needs fixing."""
        _, article, _ = await self.bot.readers.check_correct(story, actor_of(interaction))
        story_id = story

        async def submit(i: discord.Interaction, note: str, fixed: Article) -> None:
            await i.response.defer(ephemeral=True, thinking=True)
            _, report = await self.bot.readers.correct(story_id, actor_of(i), kind=kind,
                                                       text=note, notify=notify, article=fixed)
            await say(i, f"{kind.capitalize()} filed on #{story_id}: {report.summary()}")
            await refresh_card(self.bot, story_id, f"{i.user.mention} filed a {kind}: {note}")

        await interaction.response.send_modal(CorrectionForm(story, kind, text, article, submit))

    @EDITORIAL
    @app_commands.command(name="retract", description="Retract a published story")
    async def retract(self, interaction: discord.Interaction, story: PublishedStory,
                      reason: app_commands.Range[str, 1, 1000]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.bot.readers.retract(story, actor_of(interaction), reason)
        await say(interaction, f"Retracted #{story}: {report.summary('replaced')}")
        await refresh_card(self.bot, story, f"{interaction.user.mention} retracted the story: "
                           f"{reason}")


async def setup(bot: NewsroomBot) -> None:
    await bot.add_cog(CorrectionsCog(bot), guild=bot.home_guild)
