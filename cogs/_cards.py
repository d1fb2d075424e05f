"""The draft card: the editorial channel's face of a story, with persistent buttons.

A card is posted when a draft is ready and edited in place as the story moves. Its
buttons are the actions the lifecycle offers in the story's state; their custom ids
carry the story, so they keep working after a restart (`cogs._story_actions` answers
them). Each story's card opens a thread where every event of the story is posted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import discord

from bot.app import NewsroomBot
from bot.article import Article
from bot.checks import Finding, summary_line
from bot.custom_ids import CARD
from bot.lifecycle import Action, State, offers
from bot.render import split_text
from storage.records import Revision, Story

log = logging.getLogger(__name__)

STATUS_COLOURS = {
    State.DRAFTING: 0x868E96, State.IN_REVIEW: 0x1C7ED6, State.CHANGES_REQUESTED: 0xF59F00,
    State.APPROVED: 0x2F9E44, State.SCHEDULED: 0x0CA678, State.PUBLISHED: 0x5F3DC4,
    State.SPIKED: 0x495057, State.FAILED: 0xE03131, State.RETRACTED: 0xC92A2A,
}


@dataclass(frozen=True)
class Face:
    """How a card button looks, and the lifecycle action it takes."""

    label: str
    style: discord.ButtonStyle
    action: Action


BUTTONS = {
    # custom-id word: its face; shown in the states whose rules offer the action
    "approve": Face("Approve", discord.ButtonStyle.success, Action.APPROVE),
    "changes": Face("Request changes", discord.ButtonStyle.secondary, Action.REQUEST_CHANGES),
    "edit": Face("Edit", discord.ButtonStyle.primary, Action.EDIT),
    "spike": Face("Spike", discord.ButtonStyle.danger, Action.SPIKE),
    "retry": Face("Retry", discord.ButtonStyle.primary, Action.RETRY),
}


def card_embed(story: Story, revision: Revision | None, article: Article | None,
               findings: list[Finding] | None = None, approvals: int = 0,
               required: int = 1) -> discord.Embed:
    """Headline, dek, start of the body, sources, checks, revision, model and tokens."""
    title = (article.headline if article else story.topic) or f"Story #{story.id}"
    embed = discord.Embed(title=title[:256], colour=STATUS_COLOURS.get(story.status, 0))
    embed.set_author(name=f"#{story.id} · {story.status.replace('_', ' ')}")
    if article is not None:
        start = "\n\n".join(article.body)
        excerpt = split_text(start, 700)[0] if start else ""
        more = "…" if len(start) > len(excerpt) else ""
        embed.description = f"**{article.dek}**\n\n{excerpt}{more}"[:4096]
        sources = "\n".join(f"{i}. {s.line()}" for i, s in enumerate(article.sources, 1))
        embed.add_field(name=f"Sources ({len(article.sources)})",
                        value=(sources[:1020] + "…") if len(sources) > 1024 else sources or
                        "none", inline=False)
    elif story.failure_reason:
        embed.description = f"Drafting failed: {story.failure_reason}"[:4096]
    if findings is not None:
        failing = [f for f in findings if not f.ok]
        lines = [summary_line(findings)] + [f"✗ {f.check}: {f.message}" for f in failing[:5]]
        embed.add_field(name="Checks", value="\n".join(lines)[:1024], inline=False)
    if story.check_override:
        embed.add_field(name="Checks overridden", value=story.check_override[:1024], inline=False)
    if story.status == State.IN_REVIEW and required > 1:
        embed.add_field(name="Approvals", value=f"{approvals} of {required}", inline=True)
    embed.set_footer(text=_footer(story, revision))
    return embed


def _footer(story: Story, revision: Revision | None) -> str:
    if revision is None:
        return f"story #{story.id}"
    parts = [f"revision {revision.number}", "AI draft" if revision.author_kind == "ai"
             else "human edit"]
    if revision.model:
        parts.append(revision.model)
    if revision.input_tokens or revision.output_tokens:
        parts.append(f"{revision.input_tokens:,} in / {revision.output_tokens:,} out tokens")
    if revision.cache_read_tokens:
        parts.append(f"{revision.cache_read_tokens:,} cached")
    return " · ".join(parts)


def card_view(story: Story) -> discord.ui.View:
    """The buttons of the actions the story's state offers (who may act is asked on click)."""
    view = discord.ui.View(timeout=None)
    for word, face in BUTTONS.items():
        if offers(story.status, face.action):
            view.add_item(discord.ui.Button(label=face.label, style=face.style,
                                            custom_id=CARD(word, story.id)))
    return view


async def card_parts(bot: NewsroomBot, story: Story) -> tuple[discord.Embed, discord.ui.View]:
    """The embed and buttons of a story's card as it stands now."""
    revision = article = findings = None
    if story.current_revision:
        revision = await bot.store.stories.revision(story.id)
        article = Article.from_dict(revision.article)
        findings = await bot.desk.findings(story, revision, article)
    approvals = len(await bot.store.review.approvals(story.id, story.current_revision))
    embed = card_embed(story, revision, article, findings, approvals,
                       bot.admin.current.required_approvals)
    return embed, card_view(story)


async def post_card(bot: NewsroomBot, story_id: int) -> discord.Message | None:
    """Post the story's card (or refresh it in place) and open its thread once."""
    story = await bot.store.stories.get(story_id)
    channel_id = bot.admin.current.editorial_channel_id
    if channel_id is None:
        log.warning("no editorial channel set up: card of story %s not posted", story_id)
        return None
    embed, view = await card_parts(bot, story)
    if story.card_message_id and story.card_channel_id:
        try:
            channel = bot.get_partial_messageable(story.card_channel_id)
            return await channel.get_partial_message(story.card_message_id).edit(
                embed=embed, view=view)
        except discord.NotFound:
            log.info("card of story %s was deleted; posting a new one", story_id)
    channel = bot.get_channel(channel_id) or await bot.fetch_channel(channel_id)
    message = await channel.send(embed=embed, view=view)  # type: ignore[union-attr]
    thread_id = await _open_thread(message, story)
    await bot.store.stories.set_card(story_id, channel_id=channel_id, message_id=message.id,
                                     thread_id=thread_id)
    return message


async def _open_thread(message: discord.Message, story: Story) -> int | None:
    if story.thread_id:
        return story.thread_id
    try:
        thread = await message.create_thread(name=f"#{story.id} {story.headline or story.topic}"
                                             [:100], auto_archive_duration=10080)
    except (discord.HTTPException, ValueError) as exc:
        log.info("could not open a thread for story %s: %s", story.id, exc)
        return None
    return thread.id


async def refresh_card(bot: NewsroomBot, story_id: int, event: str | None = None) -> None:
    """Bring the card up to date and post the event in the story's thread."""
    story = await bot.store.stories.get(story_id)
    if story.card_message_id:
        try:
            await post_card(bot, story_id)
        except discord.HTTPException as exc:
            log.warning("could not refresh the card of story %s: %s", story_id, exc)
    if event:
        await post_event(bot, story, event)


async def post_event(bot: NewsroomBot, story: Story, text: str) -> None:
    if not story.thread_id:
        return
    try:
        # Editors' words are shown as typed but can never read as a mention.
        await bot.get_partial_messageable(story.thread_id).send(
            discord.utils.escape_mentions(text)[:2000])
    except discord.HTTPException as exc:
        log.info("could not post to the thread of story %s: %s", story.id, exc)


def card_link(bot: NewsroomBot, story: Story) -> str:
    if story.card_channel_id and story.card_message_id:
        return (f"https://discord.com/channels/{bot.settings.guild_id}/"
                f"{story.card_channel_id}/{story.card_message_id}")
    return f"story #{story.id}"
