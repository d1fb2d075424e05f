"""The triage card of a reader's ticket in the feedback channel, and its buttons."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, ClassVar

import discord

from cogs._common import Guarded, actor_of
from storage.records import Ticket

if TYPE_CHECKING:
    from bot.app import NewsroomBot

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
    story = await bot.store.find_story(ticket.story_id) if ticket.story_id else None
    try:
        message = await bot.get_partial_messageable(channel_id).send(
            embed=ticket_embed(ticket, story.headline if story else None),
            view=ticket_view(ticket) or discord.utils.MISSING)
    except discord.HTTPException as exc:
        log.warning("could not post ticket %s to the feedback channel: %s", ticket.id, exc)
        return
    await bot.readers.set_triage_message(ticket.id, channel_id, message.id)


async def refresh_ticket(bot: NewsroomBot, ticket_id: int) -> None:
    ticket = await bot.store.ticket(ticket_id)
    if not ticket.triage_message_id or not ticket.triage_channel_id:
        return
    story = await bot.store.find_story(ticket.story_id) if ticket.story_id else None
    channel = bot.get_partial_messageable(ticket.triage_channel_id)
    try:
        await channel.get_partial_message(ticket.triage_message_id).edit(
            embed=ticket_embed(ticket, story.headline if story else None),
            view=ticket_view(ticket))
    except discord.HTTPException as exc:
        log.info("could not update the triage card of ticket %s: %s", ticket_id, exc)


class TicketButton(Guarded, discord.ui.DynamicItem[discord.ui.Button],
                   template=r"newsroom:ticket:(?P<action>[a-z]+):(?P<ticket>\d+)"):
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {
        "accept": discord.ButtonStyle.success,
        "dismiss": discord.ButtonStyle.secondary,
        "reply": discord.ButtonStyle.primary,
    }

    def __init__(self, action: str, ticket_id: int) -> None:
        super().__init__(discord.ui.Button(label=action.capitalize(),
                                           style=self.STYLES.get(action,
                                                                 discord.ButtonStyle.secondary),
                                           custom_id=f"newsroom:ticket:{action}:{ticket_id}"))
        self.action, self.ticket_id = action, ticket_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item,
                             match: re.Match[str]) -> TicketButton:
        return cls(match["action"], int(match["ticket"]))

    async def run(self, interaction: discord.Interaction) -> None:
        from cogs.triage import reply_form, resolve_ticket

        bot: NewsroomBot = interaction.client  # type: ignore[assignment]
        await bot.readers.ticket(self.ticket_id, actor_of(interaction))  # editor check
        if self.action == "reply":
            await interaction.response.send_modal(reply_form(bot, self.ticket_id))
        else:
            await resolve_ticket(bot, interaction, self.ticket_id, self.action, None)

