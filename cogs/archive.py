"""`/archive ...`: readers look up published stories and the corrections log."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot
from bot.copies import correction_label
from bot.issues import contents_embeds
from bot.lifecycle import State
from bot.render import render_article, render_retraction
from bot.text import broad_search_note
from cogs._common import discord_time, say
from cogs._story_option import PublicStory


def hits_embed(title: str, hits: list, issues: list[int | None] | None = None  # type: ignore[type-arg]
               ) -> discord.Embed:
    """Stories found; with `issues`, each says which issue it went out in."""
    where = [f" · {f'issue {n}' if n else 'on its own'}" for n in issues] if issues \
        else [""] * len(hits)
    lines = [f"**#{h.story_id} · {h.headline}** ({discord_time(h.published_at, 'd')}{w})\n"
             f"{h.dek[:200]}" for h, w in zip(hits, where, strict=True)]
    embed = discord.Embed(title=title[:256], description="\n\n".join(lines)[:4096] or
                          "Nothing found.")
    embed.set_footer(text="/archive story <id> shows a whole story with its corrections.")
    return embed


class ArchiveCog(commands.GroupCog, group_name="archive",
                 group_description="Published stories and corrections"):
    def __init__(self, bot: NewsroomBot) -> None:
        self.bot = bot

    @app_commands.command(name="latest", description="The latest published stories")
    async def latest(self, interaction: discord.Interaction) -> None:
        latest = await self.bot.readers.latest()
        await say(interaction, embed=hits_embed(f"Latest from {self.bot.admin.current.name}",
                                                [h for h, _ in latest], [n for _, n in latest]))

    @app_commands.command(name="issue", description="The contents of an issue (the latest "
                          "by default)")
    @app_commands.describe(number="The issue's number, from its masthead")
    async def issue(self, interaction: discord.Interaction,
                    number: app_commands.Range[int, 1, 1_000_000] | None = None) -> None:
        found = await self.bot.readers.issue(number)
        embeds = contents_embeds(found, self.bot.admin.current.name,
                                 self.bot.settings.story_url)
        await say(interaction, embeds=embeds)

    @app_commands.command(name="search", description="Search published stories")
    async def search(self, interaction: discord.Interaction,
                     query: app_commands.Range[str, 1, 200]) -> None:
        found = await self.bot.readers.search(query)
        shown = discord.utils.escape_markdown(" ".join(query.split()))[:80]
        embed = hits_embed(f"Search: {shown}", found.hits)
        if not found.ranked:
            embed.set_footer(text=f"{broad_search_note()} {embed.footer.text}")
        await say(interaction, embed=embed)

    @app_commands.command(name="story", description="A story with all its corrections")
    async def story(self, interaction: discord.Interaction, id: PublicStory) -> None:
        story, article, corrections = await self.bot.readers.archived(id)
        current = self.bot.admin.current
        url = self.bot.settings.story_url(story.id)
        link = f"On the web: <{url}>" if url else None
        if story.status == State.RETRACTED:
            day = discord_time(story.retracted_at, "D") if story.retracted_at else ""
            notice = render_retraction(story.id, article.headline, story.retraction_reason or "",
                                       day, current.name)
            await say(interaction, link, embeds=notice.embeds)
            return
        labels = [correction_label(c) for c in corrections]
        messages = render_article(article, story_id=story.id, agency_name=current.name,
                                  corrections=labels, url=url)
        await interaction.response.defer(ephemeral=True)
        for index, message in enumerate(messages):
            await say(interaction, link if index == 0 else message.content, embeds=message.embeds)

    @app_commands.command(name="corrections", description="The corrections log, newest first")
    async def corrections(self, interaction: discord.Interaction) -> None:
        entries = await self.bot.readers.corrections_log()
        lines = []
        for correction, story in entries:
            label, text = correction_label(correction)
            lines.append(f"**{label}** · #{story.id} {story.headline}\n{text[:300]}")
        embed = discord.Embed(title="Corrections log",
                              description="\n\n".join(lines)[:4096] or "No corrections yet.")
        await say(interaction, embed=embed)


async def setup(bot: NewsroomBot) -> None:
    await bot.add_cog(ArchiveCog(bot))
