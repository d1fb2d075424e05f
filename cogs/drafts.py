"""`/draft ...`: the drafting desk (requests to Claude, human drafts, revisions)."""

from __future__ import annotations

import io
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot
from bot.article import Article
from bot.desk import StoryView
from bot.draft_types import AttachmentIn
from bot.lifecycle import State
from bot.render import render_article, split_text
from cogs._cards import card_link, post_card, refresh_card
from cogs._common import EDITORIAL, EditorialCog, actor_of, discord_time, say
from cogs._forms import ArticleForm
from cogs._progress import ChannelSink, InteractionSink
from cogs._story_actions import CardButton, open_edit_form, start_retry
from cogs._story_option import AnyStory

Length = Literal["brief", "standard", "long"]
STATUSES = [app_commands.Choice(name=s.value, value=s.value) for s in State]
MAX_DIFF_MESSAGES = 4
SOURCE_PREVIEW = 1500


def attachment_in(file: discord.Attachment) -> AttachmentIn:
    return AttachmentIn(filename=file.filename, content_type=file.content_type, size=file.size,
                        read=file.read)


@EDITORIAL
class DraftsCog(EditorialCog, commands.GroupCog, group_name="draft",
                group_description="Request, write and revise drafts"):
    async def cog_load(self) -> None:
        self.bot.drafter.default_sink = lambda story_id: ChannelSink(self.bot, story_id)

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
        await interaction.response.defer(ephemeral=True, thinking=True)
        story = await self.bot.drafter.request(
            actor_of(interaction), topic=topic, sources_text=sources,
            attachment=attachment_in(file) if file else None, length=length, notes=notes)
        await interaction.edit_original_response(
            content=f"Drafting #{story.id} ({story.topic}): waiting for Claude…")
        self.bot.drafter.start(story.id, InteractionSink(self.bot, interaction, story.id,
                                                         story.topic[:80]))

    @app_commands.command(name="write", description="Write a draft yourself (opens a form)")
    async def write(self, interaction: discord.Interaction) -> None:
        async def submit(modal_interaction: discord.Interaction, article: Article) -> None:
            story = await self.bot.desk.write(actor_of(modal_interaction), article)
            await modal_interaction.response.defer(ephemeral=True, thinking=True)
            await post_card(self.bot, story.id)
            await refresh_card(self.bot, story.id, f"Revision 1 written by "
                               f"{modal_interaction.user.mention}.")
            story = await self.bot.store.stories.get(story.id)
            await say(modal_interaction, f"Story #{story.id} is in review: "
                      f"{card_link(self.bot, story)}")

        await interaction.response.send_modal(ArticleForm("Write a draft", submit))

    @app_commands.command(name="revise", description="Ask Claude to redraft with instructions")
    async def revise(self, interaction: discord.Interaction, story: AnyStory,
                     instructions: app_commands.Range[str, 1, 1000]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        job = await self.bot.drafter.revise(story, actor_of(interaction), instructions)
        await refresh_card(self.bot, story, f"{interaction.user.mention} asked Claude for a "
                           f"revision: {instructions}")
        await interaction.edit_original_response(content=f"Redrafting #{story}: waiting for "
                                                 "Claude…")
        self.bot.drafter.start(job.story_id, InteractionSink(self.bot, interaction, story,
                                                             "revision"))

    @app_commands.command(name="edit", description="Edit the current revision (opens a form)")
    async def edit(self, interaction: discord.Interaction, story: AnyStory) -> None:
        await open_edit_form(self.bot, interaction, story)

    @app_commands.command(name="show", description="Show a story (current or given revision)")
    @app_commands.describe(source="Show the stored text of this source (its number)")
    async def show(self, interaction: discord.Interaction, story: AnyStory,
                   revision: app_commands.Range[int, 1] | None = None,
                   source: app_commands.Range[int, 1, 100] | None = None) -> None:
        if source is not None:
            await show_source(self.bot, interaction, story, source)
            return
        view = await self.bot.desk.show(story, actor_of(interaction), revision)
        await interaction.response.defer(ephemeral=True, thinking=True)
        messages = render_article(view.article, story_id=story,
                                  agency_name=self.bot.admin.current.name)
        for rendered in messages:
            await say(interaction, rendered.content, embeds=rendered.embeds)
        await say(interaction, embed=history_embed(view))

    @app_commands.command(name="diff", description="Differences between two revisions")
    @app_commands.rename(from_="from")
    async def diff(self, interaction: discord.Interaction, story: AnyStory,
                   from_: app_commands.Range[int, 1] | None = None,
                   to: app_commands.Range[int, 1] | None = None) -> None:
        text = await self.bot.desk.diff(story, actor_of(interaction), from_, to)
        await interaction.response.defer(ephemeral=True, thinking=True)
        pieces = split_text(text.replace("```", "'''"), 1900)
        if len(pieces) > MAX_DIFF_MESSAGES:
            file = discord.File(io.BytesIO(text.encode()), filename=f"story-{story}.diff")
            await say(interaction, f"The diff is long ({len(text):,} characters); here it is "
                      "as a file.", file=file)
            return
        for piece in pieces:
            await say(interaction, f"```diff\n{piece}\n```")

    @app_commands.command(name="list", description="Stories by status")
    @app_commands.choices(status=STATUSES)
    async def list_(self, interaction: discord.Interaction, status: str | None = None
                    ) -> None:
        stories = await self.bot.desk.list(actor_of(interaction), status)
        lines = [f"{s.label} · {discord_time(s.updated_at, 'R')}" for s in stories]
        title = f"Stories: {State(status).label}" if status else "Latest stories"
        embed = discord.Embed(title=title, description="\n".join(lines)[:4096] or
                              "No stories.")
        await say(interaction, embed=embed)

    @app_commands.command(name="retry", description="Retry a failed AI draft")
    async def retry(self, interaction: discord.Interaction, story: AnyStory) -> None:
        await start_retry(self.bot, interaction, story)


async def show_source(bot: NewsroomBot, interaction: discord.Interaction, story_id: int,
                      number: int) -> None:
    """A source's stored text: the first 1,500 characters here, all of it as a file."""
    entry, doc = await bot.desk.source(story_id, actor_of(interaction), number)
    await interaction.response.defer(ephemeral=True, thinking=True)
    text = doc.text if doc is not None else None
    head = f"Source {number} of #{story_id}: {entry.line()[:300]}"
    if doc is not None and doc.fetched_at is not None:
        head += f"\nFetched {discord_time(doc.fetched_at, 'f')}."
    if not text:
        await say(interaction, head + "\nThe newsroom has no stored text of this source, so "
                  "the grounding checks cannot compare the article with it.")
        return
    embed = discord.Embed(description=text[:SOURCE_PREVIEW])
    if len(text) <= SOURCE_PREVIEW:
        await say(interaction, head, embed=embed)
        return
    file = discord.File(io.BytesIO(text.encode()), filename=f"story-{story_id}-source-"
                        f"{number}.txt")
    await say(interaction, f"{head}\nFirst {SOURCE_PREVIEW:,} of {len(text):,} characters; "
              "the whole text is attached.", embed=embed, file=file)


def history_embed(view: StoryView) -> discord.Embed:
    r = view.revision
    embed = discord.Embed(title=f"#{view.story.id} · revision {r.number} of "
                          f"{view.story.current_revision} · {view.story.status}")
    lines = [f"{discord_time(e.created_at, 'g')} · {e.action.replace('_', ' ')}"
             + (f" by <@{e.actor_id}>" if e.actor_id else " by the newsroom")
             + (f" (rev {e.revision})" if e.revision else "")
             + (f": {e.detail[:120]}" if e.detail else "") for e in view.history[-15:]]
    embed.description = "\n".join(lines)[:4096]
    revs = [f"{x.number}: {x.author_kind} · {x.reason[:60]}"
            + (f" · {x.model} · {x.output_tokens:,} out tokens · ${x.cost_usd:.4f}"
               if x.model else "") for x in view.revisions[-10:]]
    embed.add_field(name="Revisions", value="\n".join(revs)[:1024] or "none", inline=False)
    approvers = ", ".join(f"<@{a.editor_id}>" for a in view.approvals) or "none yet"
    embed.add_field(name=f"Approvals of revision {r.number}", value=approvers, inline=False)
    return embed


async def setup(bot: NewsroomBot) -> None:
    bot.add_dynamic_items(CardButton)
    await bot.add_cog(DraftsCog(bot), guild=bot.home_guild)
