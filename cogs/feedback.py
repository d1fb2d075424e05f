"""`/feedback` and the buttons on every published post: readers talk to the newsroom."""

from __future__ import annotations

import logging
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot
from bot.article import Article
from bot.custom_ids import REPORT, SOURCES
from cogs._common import PersistentButton, say
from cogs._forms import FeedbackForm
from cogs._story_option import PublicStory
from cogs._tickets import post_ticket

log = logging.getLogger(__name__)

Kind = Literal["correction", "clarification", "tip", "comment"]


async def send_feedback(bot: NewsroomBot, interaction: discord.Interaction, story_id: int,
                        kind: str, text: str, quote: str | None) -> None:
    ticket, outcomes = await bot.readers.submit(
        story_id=story_id, user_id=interaction.user.id, guild_id=interaction.guild_id,
        channel_id=interaction.channel_id, kind=kind, text=text, quote=quote)
    lines = [f"Thank you. Your {kind} is ticket #{ticket.id}; the editors will look at it "
             "and you will hear back by direct message."]
    for old in outcomes:
        reply = f" Reply: {old.reply}" if old.reply else ""
        lines.append(f"Earlier ticket #{old.id} was {old.status}.{reply}")
    # Answer first: a burst of tickets can hold the feedback channel's post behind its
    # rate limit for seconds, and Discord drops an interaction unanswered after 3 s.
    await say(interaction, "\n".join(lines))
    await post_ticket(bot, ticket)


class ReportButton(PersistentButton, custom=REPORT):
    """Under every published post (`bot.discord_port.post_view` puts it there)."""

    def __init__(self, story_id: int) -> None:
        super().__init__(story_id, label="Report an error")
        self.story_id = story_id

    async def run(self, interaction: discord.Interaction) -> None:
        bot: NewsroomBot = interaction.client  # type: ignore[assignment]

        async def submit(i: discord.Interaction, kind: str, text: str, quote: str | None
                         ) -> None:
            await send_feedback(bot, i, self.story_id, kind, text, quote)

        await interaction.response.send_modal(FeedbackForm(self.story_id, submit))


class SourcesButton(PersistentButton, custom=SOURCES):
    """Under every published post, beside "Report an error"."""

    def __init__(self, story_id: int) -> None:
        super().__init__(story_id, label="Sources")
        self.story_id = story_id

    async def run(self, interaction: discord.Interaction) -> None:
        bot: NewsroomBot = interaction.client  # type: ignore[assignment]
        story, article, _ = await bot.readers.archived(self.story_id)
        await say(interaction, embed=sources_embed(story.id, article))


def sources_embed(story_id: int, article: Article) -> discord.Embed:
    lines = [f"{i}. {s.line()}" for i, s in enumerate(article.sources, 1)]
    embed = discord.Embed(title=f"Sources of story #{story_id}"[:256],
                          description="\n".join(lines)[:4096] or "No sources are listed.")
    embed.set_footer(text="Citations like [1] in the article refer to these numbers.")
    return embed


class FeedbackCog(commands.Cog):
    def __init__(self, bot: NewsroomBot) -> None:
        self.bot = bot

    @app_commands.command(name="feedback", description="Tell the newsroom about a story")
    @app_commands.describe(story="Story number (shown on every post)", kind="What it is",
                           text="What you want to tell us",
                           quote="The phrase in question, if any")
    async def feedback(self, interaction: discord.Interaction,
                       story: PublicStory, kind: Kind,
                       text: app_commands.Range[str, 1, 1500],
                       quote: app_commands.Range[str, 1, 300] | None = None) -> None:
        await send_feedback(self.bot, interaction, story, kind, text, quote)


async def setup(bot: NewsroomBot) -> None:
    bot.add_dynamic_items(ReportButton, SourcesButton)
    await bot.add_cog(FeedbackCog(bot))
