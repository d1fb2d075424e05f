"""`/triage ...`: the editors' queue of reader feedback."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot
from cogs._common import EDITORIAL, EditorialCog, actor_of, discord_time, say
from cogs._tickets import TicketButton, resolve_ticket, safe


@EDITORIAL
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
