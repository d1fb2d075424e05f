"""`/triage ...`: the editors' queue of reader feedback."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot
from bot.article import Article
from cogs._cards import refresh_card
from cogs._common import EditorialCog, actor_of, discord_time, say
from cogs._forms import CorrectionForm, ReasonForm
from cogs._tickets import TicketButton, refresh_ticket, safe

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
    story = await bot.store.find_story(ticket.story_id) if ticket.story_id else None
    if (action == "accept" and ticket.kind in ("correction", "clarification")
            and story is not None and story.status == "published"):
        _, article = await bot.readers.check_correct(story.id, actor)

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


class TriageCog(EditorialCog, commands.GroupCog, group_name="triage",
                group_description="Reader feedback queue"):
    @app_commands.command(name="list", description="Feedback tickets by status")
    async def list_(self, interaction: discord.Interaction,
                    status: Literal["open", "accepted", "dismissed"] = "open") -> None:
        tickets = await self.bot.readers.list_tickets(actor_of(interaction), status)
        lines = [f"#{t.id} · {t.kind} · story #{t.story_id} · {discord_time(t.created_at, 'R')}"
                 f"\n> {safe(t.text)[:150]}" for t in tickets]
        embed = discord.Embed(title=f"Tickets: {status}",
                              description="\n".join(lines)[:4096] or "No tickets.")
        await say(interaction, embed=embed)

    @app_commands.command(name="resolve", description="Accept or dismiss a ticket")
    async def resolve(self, interaction: discord.Interaction,
                      ticket: app_commands.Range[int, 1],
                      action: Literal["accept", "dismiss"],
                      reply: app_commands.Range[str, 1, 1000] | None = None) -> None:
        await resolve_ticket(self.bot, interaction, ticket, action, reply)


async def setup(bot: NewsroomBot) -> None:
    bot.add_dynamic_items(TicketButton)
    await bot.add_cog(TriageCog(bot), guild=bot.home_guild)
