"""`/help`: what this member can do here (reader, subscribing server's admin, editor,
newsroom admin), and what the newsroom promises every reader."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot
from cogs._common import editor_here, say

READER = ("`/feedback` or the **Report an error** button under every post: an error, a tip "
          "or a comment; you get a ticket number and hear back by DM.\n"
          "`/archive latest`, `/archive search`, `/archive story`, `/archive corrections`: "
          "what was published, with its corrections.")
SUBSCRIBER = ("`/subscribe` a channel of this server: **follow** (Discord copies each story "
              "from our announcement channel) or **deliver** (I post each story, with the "
              "Report button). `/subscriptions` shows their state and sends a test; "
              "`/unsubscribe` stops.")
EDITOR = ("`/draft request` (Claude drafts from your sources) or `/draft write`; `/review "
          "approve`, `changes`, `spike`; `/publish schedule`, `now`, `queue`; `/correct`, "
          "`/retract`; `/triage list` for readers' reports.")
ADMIN = "`/newsroom setup` (Manage Server), `/newsroom status`, `/newsroom stats`."


def promise(name: str) -> str:
    """The house format's promise to readers, in a few lines."""
    return (f"Every {name} story is drafted by an AI agent or an editor and approved by "
            "editors before it is published. It lists its sources (the **Sources** button, "
            "`/archive story`). Corrections are dated and shown on every copy of the story, "
            "and logged in `/archive corrections`; a retracted story is replaced by a notice "
            "saying why. Found an error? Report it: an editor reads every report.")


def help_embed(bot: NewsroomBot, interaction: discord.Interaction) -> discord.Embed:
    name = bot.admin.current.name
    embed = discord.Embed(title=f"{name}: what you can do here", description=promise(name))
    embed.add_field(name="As a reader", value=READER, inline=False)
    perms = interaction.permissions if interaction.guild_id else None
    if perms is not None and perms.manage_channels:
        embed.add_field(name="For this server (Manage Channels)", value=SUBSCRIBER,
                        inline=False)
    if editor_here(bot, interaction) is None:
        embed.add_field(name="As an editor", value=EDITOR, inline=False)
    if interaction.guild_id == bot.settings.guild_id and perms is not None \
            and perms.manage_guild:
        embed.add_field(name="As the newsroom's admin", value=ADMIN, inline=False)
    return embed


class HelpCog(commands.Cog):
    def __init__(self, bot: NewsroomBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What you can do here")
    async def help(self, interaction: discord.Interaction) -> None:
        await say(interaction, embed=help_embed(self.bot, interaction))


async def setup(bot: NewsroomBot) -> None:
    await bot.add_cog(HelpCog(bot))
