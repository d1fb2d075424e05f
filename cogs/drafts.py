"""`/draft ...`: the drafting desk (requests to Claude, human drafts, revisions)."""

from __future__ import annotations

import io
import logging
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot
from bot.article import Article
from bot.drafting import AttachmentIn, DraftOutcome
from bot.lifecycle import Action
from bot.render import render_article, split_text
from cogs._cards import CardButton, card_link, post_card, refresh_card
from cogs._common import EditorialCog, actor_of, discord_time, say, story_choices
from cogs._forms import ArticleForm

log = logging.getLogger(__name__)

Length = Literal["brief", "standard", "long"]
Status = Literal["drafting", "in_review", "changes_requested", "approved", "scheduled",
                 "published", "spiked", "failed", "retracted"]
MAX_DIFF_MESSAGES = 4
SOURCE_PREVIEW = 1500


class InteractionSink:
    """Shows a running draft in the editor's (ephemeral) deferred reply."""

    def __init__(self, bot: NewsroomBot, interaction: discord.Interaction, story_id: int,
                 what: str) -> None:
        self.bot, self.interaction, self.story_id, self.what = bot, interaction, story_id, what

    async def _show(self, text: str) -> None:
        await self.interaction.edit_original_response(content=text[:2000])

    async def progress(self, words: int, target: tuple[int, int], preview: str) -> None:
        tail = preview[-600:].replace("```", "'''")
        await self._show(f"Drafting #{self.story_id} ({self.what}): {words} words written of "
                         f"{target[0]}-{target[1]}.\n```\n…{tail}\n```")

    async def waiting(self, attempt: int, limit: int, delay: float, reason: str) -> None:
        await self._show(f"Drafting #{self.story_id}: {reason or 'Claude is unavailable'}. "
                         f"Waiting {delay:.0f} s before attempt {attempt} of {limit}.")

    async def finished(self, outcome: DraftOutcome) -> None:
        message = await _post_outcome_card(self.bot, outcome)
        story = await self.bot.store.story(self.story_id)
        if outcome.ok:
            text = (f"Draft #{self.story_id} is ready for review (revision "
                    f"{outcome.revision.number}): {card_link(self.bot, story)}")
            text += "".join(f"\nNote: {note}." for note in outcome.notes)
        elif outcome.stopped:
            text = f"Drafting #{self.story_id} stopped: {outcome.reason}."
        else:
            text = (f"Drafting #{self.story_id} failed: {outcome.reason}. "
                    "Use the Retry button on the card or `/draft retry`.")
        if message is None:
            text += "\n(No editorial channel is set up, so no card was posted.)"
        await self._show(text)


class ChannelSink:
    """For jobs resumed after a restart: no one is waiting on an interaction."""

    def __init__(self, bot: NewsroomBot, story_id: int) -> None:
        self.bot, self.story_id = bot, story_id

    async def progress(self, words: int, target: tuple[int, int], preview: str) -> None:
        return None

    async def waiting(self, attempt: int, limit: int, delay: float, reason: str) -> None:
        return None

    async def finished(self, outcome: DraftOutcome) -> None:
        await _post_outcome_card(self.bot, outcome)


async def _post_outcome_card(bot: NewsroomBot, outcome: DraftOutcome) -> discord.Message | None:
    try:
        message = await post_card(bot, outcome.story.id)
    except discord.HTTPException as exc:
        log.warning("could not post the card of story %s: %s", outcome.story.id, exc)
        return None
    if outcome.ok:
        event = f"Revision {outcome.revision.number} drafted by Claude."
        event += "".join(f" Note: {note}." for note in outcome.notes)
    else:
        event = f"Drafting {'stopped' if outcome.stopped else 'failed'}: {outcome.reason}"
    await refresh_card(bot, outcome.story.id, event)
    return message


def attachment_in(file: discord.Attachment) -> AttachmentIn:
    return AttachmentIn(filename=file.filename, content_type=file.content_type, size=file.size,
                        read=file.read)


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
            story = await self.bot.store.story(story.id)
            await say(modal_interaction, f"Story #{story.id} is in review: "
                      f"{card_link(self.bot, story)}")

        await interaction.response.send_modal(ArticleForm("Write a draft", submit))

    @app_commands.command(name="revise", description="Ask Claude to redraft with instructions")
    async def revise(self, interaction: discord.Interaction, story: int,
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
    async def edit(self, interaction: discord.Interaction, story: int) -> None:
        await open_edit_form(self.bot, interaction, story)

    @app_commands.command(name="show", description="Show a story (current or given revision)")
    @app_commands.describe(source="Show the stored text of this source (its number)")
    async def show(self, interaction: discord.Interaction, story: int,
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
    async def diff(self, interaction: discord.Interaction, story: int,
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
    async def list_(self, interaction: discord.Interaction, status: Status | None = None
                    ) -> None:
        stories = await self.bot.desk.list(actor_of(interaction), status)
        lines = [f"{s.label} · {discord_time(s.updated_at, 'R')}" for s in stories]
        title = f"Stories: {status.replace('_', ' ')}" if status else "Latest stories"
        embed = discord.Embed(title=title, description="\n".join(lines)[:4096] or
                              "No stories.")
        await say(interaction, embed=embed)

    @app_commands.command(name="retry", description="Retry a failed AI draft")
    async def retry(self, interaction: discord.Interaction, story: int) -> None:
        await start_retry(self.bot, interaction, story)

    @revise.autocomplete("story")
    @edit.autocomplete("story")
    @show.autocomplete("story")
    @diff.autocomplete("story")
    @retry.autocomplete("story")
    async def story_autocomplete(self, interaction: discord.Interaction, current: str
                                 ) -> list[app_commands.Choice[int]]:
        return story_choices(await self.bot.store.match_stories(current))


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


def history_embed(view) -> discord.Embed:  # type: ignore[no-untyped-def]
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


async def open_edit_form(bot: NewsroomBot, interaction: discord.Interaction,
                         story_id: int) -> None:
    """Refuse before the form opens if the edit is not allowed; prefill it otherwise."""
    story, _ = await bot.desk.decide(story_id, Action.EDIT, actor_of(interaction))
    _, article = await bot.desk.article(story)

    async def submit(modal_interaction: discord.Interaction, edited: Article) -> None:
        revision = await bot.desk.edit(story_id, actor_of(modal_interaction), edited)
        await modal_interaction.response.defer(ephemeral=True, thinking=True)
        await refresh_card(bot, story_id, f"Revision {revision.number} edited by "
                           f"{modal_interaction.user.mention}; approvals cleared.")
        await say(modal_interaction, f"Saved revision {revision.number} of #{story_id}; "
                  "it is back in review.")

    await interaction.response.send_modal(ArticleForm(f"Edit #{story_id}", submit, article))


async def start_retry(bot: NewsroomBot, interaction: discord.Interaction, story_id: int) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    job = await bot.drafter.retry(story_id, actor_of(interaction))
    await refresh_card(bot, story_id, f"{interaction.user.mention} retried the draft.")
    await interaction.edit_original_response(content=f"Retrying #{story_id}: waiting for "
                                             "Claude…")
    bot.drafter.start(job.story_id, InteractionSink(bot, interaction, story_id, "retry"))


async def setup(bot: NewsroomBot) -> None:
    bot.add_dynamic_items(CardButton)
    await bot.add_cog(DraftsCog(bot), guild=bot.home_guild)
