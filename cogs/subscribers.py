"""`/subscribe` and `/unsubscribe`: other servers receive the newsroom's issues."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot
from bot.errors import Refused
from cogs._common import say


def bot_can_post(interaction: discord.Interaction, channel_id: int) -> bool:
    """Check with the cached channel and the bot's own member, not the invoker's rights."""
    guild = interaction.guild
    channel = guild.get_channel(channel_id) if guild else None
    if channel is None or guild is None or guild.me is None:
        return False
    perms = channel.permissions_for(guild.me)
    return perms.view_channel and perms.send_messages and perms.embed_links


@app_commands.guild_only()
class SubscribersCog(commands.Cog):
    def __init__(self, bot: NewsroomBot) -> None:
        self.bot = bot

    @app_commands.command(name="subscribe", description="Deliver the newsroom's issues here")
    @app_commands.describe(channel="A text channel of this server")
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.checks.has_permissions(manage_channels=True)
    async def subscribe(self, interaction: discord.Interaction,
                        channel: discord.TextChannel) -> None:
        if not bot_can_post(interaction, channel.id):
            raise Refused(f"I cannot post in {channel.mention}: give me View Channel, Send "
                          "Messages and Embed Links there, then try again. Nothing was changed.")
        _, created = await self.bot.publisher.subscribe(interaction.guild_id or 0, channel.id,
                                                        interaction.user.id)
        if created:
            await say(interaction, f"Subscribed {channel.mention}: new issues of "
                      f"{self.bot.admin.current.name} will be delivered there.")
        else:
            await say(interaction, f"{channel.mention} is already subscribed.")

    @app_commands.command(name="unsubscribe", description="Stop delivering issues to a channel")
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.checks.has_permissions(manage_channels=True)
    async def unsubscribe(self, interaction: discord.Interaction,
                          channel: discord.TextChannel) -> None:
        await self.bot.publisher.unsubscribe(channel.id, interaction.user.id)
        await say(interaction, f"Unsubscribed {channel.mention}: no more issues will be "
                  "delivered there.")


async def setup(bot: NewsroomBot) -> None:
    await bot.add_cog(SubscribersCog(bot))
