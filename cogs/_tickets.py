"""A reader's ticket in the feedback channel: its triage card, its buttons, and what
accepting, dismissing or replying does (the same for a button and for `/triage`)."""

from __future__ import annotations

import logging
from typing import ClassVar

import discord

from bot.app import NewsroomBot
from bot.article import Article
from bot.custom_ids import TICKET
from bot.lifecycle import State
from cogs._cards import refresh_card
from cogs._common import PersistentButton, actor_of, say
from cogs._forms import CorrectionForm, ReasonForm
from storage.records import Ticket

log = logging.getLogger(__name__)

KIND_COLOURS = {"correction": 0xE03131, "clarification": 0xF59F00, "tip": 0x1C7ED6,
                "comment": 0x868E96}


def safe(text: str) -> str:
    """Reader text shown as text: no markdown tricks, no mentions, no broken fences."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def ticket_embed(ticket: Ticket, headline: str | None) -> discord.Embed:
    embed = discord.Embed(title=f"Ticket #{ticket.id} · {ticket.kind} · {ticket.status}",
                          colour=KIND_COLOURS.get(ticket.kind, 0))
    about = f"Story #{ticket.story_id}" + (f": {headline}" if headline else "")
    embed.description = f"**{safe(about)[:300]}**\n\n{safe(ticket.text)}"[:4096]
    if ticket.quote:
        embed.add_field(name="Phrase in question", value=safe(ticket.quote)[:1024],
                        inline=False)
    embed.add_field(name="From", value=f"<@{ticket.user_id}>", inline=True)
    if ticket.reply:
        embed.add_field(name="Reply", value=safe(ticket.reply)[:1024], inline=False)
    if ticket.correction_id:
        embed.add_field(name="Correction", value=f"#{ticket.correction_id}", inline=True)
    return embed


def ticket_view(ticket: Ticket) -> discord.ui.View | None:
    if ticket.status != "open":
        return None
    view = discord.ui.View(timeout=None)
    for action in ("accept", "dismiss", "reply"):
        view.add_item(TicketButton(action, ticket.id))
    return view


async def post_ticket(bot: NewsroomBot, ticket: Ticket) -> None:
    channel_id = bot.admin.current.feedback_channel_id
    if channel_id is None:
        log.warning("no feedback channel set up: ticket %s is only in /triage list", ticket.id)
        return
    story = await bot.store.stories.find(ticket.story_id) if ticket.story_id else None
    try:
        message = await bot.get_partial_messageable(channel_id).send(
            embed=ticket_embed(ticket, story.headline if story else None),
            view=ticket_view(ticket) or discord.utils.MISSING)
    except discord.HTTPException as exc:
        log.warning("could not post ticket %s to the feedback channel: %s", ticket.id, exc)
        return
    await bot.readers.set_triage_message(ticket.id, channel_id, message.id)


async def refresh_ticket(bot: NewsroomBot, ticket_id: int) -> None:
    ticket = await bot.store.tickets.get(ticket_id)
    if not ticket.triage_message_id or not ticket.triage_channel_id:
        return
    story = await bot.store.stories.find(ticket.story_id) if ticket.story_id else None
    channel = bot.get_partial_messageable(ticket.triage_channel_id)
    try:
        await channel.get_partial_message(ticket.triage_message_id).edit(
            embed=ticket_embed(ticket, story.headline if story else None),
            view=ticket_view(ticket))
    except discord.HTTPException as exc:
        log.info("could not update the triage card of ticket %s: %s", ticket_id, exc)


class TicketButton(PersistentButton, custom=TICKET):
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {
        "accept": discord.ButtonStyle.success,
        "dismiss": discord.ButtonStyle.secondary,
        "reply": discord.ButtonStyle.primary,
    }

    def __init__(self, action: str, ticket_id: int) -> None:
        super().__init__(action, ticket_id, label=action.capitalize(),
                         style=self.STYLES.get(action, discord.ButtonStyle.secondary))
        self.action, self.ticket_id = action, ticket_id

    async def run(self, interaction: discord.Interaction) -> None:
        bot: NewsroomBot = interaction.client  # type: ignore[assignment]
        await bot.readers.ticket(self.ticket_id, actor_of(interaction))  # editor check
        if self.action == "reply":
            await interaction.response.send_modal(reply_form(bot, self.ticket_id))
        else:
            await resolve_ticket(bot, interaction, self.ticket_id, self.action, None)


NOTIFIED = {"dm": "the reader was told by DM",
            "dm_closed": "the reader's DMs are closed; they will see it next time they use "
                         "/feedback"}


def correction_note(quote: str | None) -> str:
    said = f"said “{quote}”" if quote else "misstated ..."
    return f"An earlier version of this article {said}. It is ..."


async def resolve_ticket(bot: NewsroomBot, interaction: discord.Interaction, ticket_id: int,
                         action: str, reply: str | None) -> None:
    """Accepting a correction report opens the correction flow; the rest resolve at once."""
    actor = actor_of(interaction)
    ticket = await bot.readers.ticket(ticket_id, actor)
    story = await bot.store.stories.find(ticket.story_id) if ticket.story_id else None
    if (action == "accept" and ticket.kind in ("correction", "clarification")
            and story is not None and story.status == State.PUBLISHED):
        _, article, _ = await bot.readers.check_correct(story.id, actor)

        async def submit(i: discord.Interaction, note: str, fixed: Article) -> None:
            await i.response.defer(ephemeral=True, thinking=True)
            _, report = await bot.readers.correct(story.id, actor_of(i), kind=ticket.kind,
                                                  text=note, notify=False, article=fixed,
                                                  ticket_id=ticket_id)
            await _finish(bot, i, ticket_id, "accept", reply, report.summary())
            await refresh_card(bot, story.id, f"{i.user.mention} filed a {ticket.kind} from "
                               f"ticket #{ticket_id}: {note}")

        form = CorrectionForm(story.id, ticket.kind, correction_note(ticket.quote), article,
                              submit)
        await interaction.response.send_modal(form)
        return
    await _finish(bot, interaction, ticket_id, action, reply, None)


async def _finish(bot: NewsroomBot, interaction: discord.Interaction, ticket_id: int,
                  action: str, reply: str | None, extra: str | None) -> None:
    if not interaction.response.is_done():  # a DM and a card edit follow: answer in time
        await interaction.response.defer(ephemeral=True, thinking=True)
    ticket = await bot.readers.resolve(ticket_id, actor_of(interaction), action, reply)
    state = await bot.readers.tell_reader(ticket)
    await refresh_ticket(bot, ticket_id)
    text = f"Ticket #{ticket_id} {ticket.status}; {NOTIFIED.get(state, state)}."
    await say(interaction, text + (f"\n{extra}" if extra else ""))


def reply_form(bot: NewsroomBot, ticket_id: int) -> ReasonForm:
    async def submit(i: discord.Interaction, text: str) -> None:
        await _reply(bot, i, ticket_id, text)

    return ReasonForm(f"Reply to ticket #{ticket_id}", "Your reply to the reader", submit)


async def _reply(bot: NewsroomBot, interaction: discord.Interaction, ticket_id: int,
                 text: str) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    ticket = await bot.readers.reply(ticket_id, actor_of(interaction), text)
    state = await bot.readers.tell_reader(ticket, reply_only=True)
    await refresh_ticket(bot, ticket_id)
    await say(interaction, f"Replied to ticket #{ticket_id}; {NOTIFIED.get(state, state)}. "
              "The ticket stays open.")
