"""`/subscribe`, `/unsubscribe` and `/subscriptions`: other servers receive the stories,
by Discord's channel following or by the bot's own posts."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot
from bot.custom_ids import SUBSCRIPTION_TEST
from bot.errors import Refused
from bot.lifecycle import State
from bot.subscriptions import Access, Subscribed
from cogs._common import PersistentButton, discord_time, say
from storage.records import Subscription
from storage.states import DestinationMode

MODES = {DestinationMode.FOLLOW: "follow: Discord copies the announcement channel's posts",
         DestinationMode.DELIVER: "deliver: I post each story"}


def access_in(bot: NewsroomBot, interaction: discord.Interaction, channel_id: int) -> Access:
    """From the cached channel: what the bot and the member may do there."""
    guild = interaction.guild
    channel = guild.get_channel(channel_id) if guild else None
    announce = bot.get_channel(bot.admin.current.announce_channel_id or 0)
    followable = isinstance(announce, discord.TextChannel) and announce.is_news()
    if channel is None or guild is None or guild.me is None:
        return Access(False, False, False, followable)
    mine = channel.permissions_for(guild.me)
    user = interaction.user
    theirs = channel.permissions_for(user) if isinstance(user, discord.Member) else None
    return Access(
        bot_can_post=mine.view_channel and mine.send_messages and mine.embed_links,
        bot_can_follow=mine.view_channel and mine.manage_webhooks,
        member_can_follow=bool(theirs and theirs.manage_webhooks),
        followable=followable)


def subscribed_text(bot: NewsroomBot, channel: str, done: Subscribed) -> str:
    name, mode = bot.admin.current.name, done.destination.mode
    if not done.changed:
        return f"{channel} is already subscribed ({MODES.get(mode, mode)})."
    if mode == DestinationMode.FOLLOW:
        return (f"Subscribed {channel}: it follows {name}'s announcement channel. Discord "
                "copies each story there as it is published, and a later correction or "
                "retraction shows in that copy. It is listed under the channel's Settings > "
                "Integrations.")
    text = (f"Subscribed {channel}: I will post each new story of {name} there, with a "
            "Report button, and edit it when it is corrected.")
    return f"{text}\n{done.note}" if done.note else text


def state_of(sub: Subscription) -> str:
    dest = sub.destination
    if not dest.active:
        return f"disabled: {dest.disabled_reason or 'no reason recorded'}"
    if dest.warned_at is not None:
        return f"failing since {discord_time(dest.warned_at, 'R')}, still retried"
    return "active"


def last_of(sub: Subscription) -> str:
    if sub.last_story_id is None:
        return "nothing yet"
    when = f" {discord_time(sub.last_at, 'R')}" if isinstance(sub.last_at, datetime) else ""
    retracted = " (since retracted)" if sub.last_status == State.RETRACTED else ""
    return f"#{sub.last_story_id} “{sub.last_headline}”{retracted}{when}"


def subscriptions_embed(subs: list[Subscription]) -> discord.Embed:
    lines = [f"<#{s.destination.channel_id}> · {MODES.get(s.destination.mode, '')}\n"
             f"State: {state_of(s)} · Last story: {last_of(s)}" for s in subs]
    embed = discord.Embed(title="This server's subscriptions",
                          description="\n\n".join(lines)[:4096] or
                          "No channel of this server is subscribed: `/subscribe` one.")
    if subs:
        embed.set_footer(text="A test names the latest story in that channel; it is not a "
                              "delivery.")
    return embed


class TestSend(PersistentButton, custom=SUBSCRIPTION_TEST):
    """Under `/subscriptions`: a test message in one subscribed channel."""

    def __init__(self, channel_id: int, label: str = "Send a test") -> None:
        super().__init__(channel_id, label=label[:80])
        self.channel_id = channel_id

    async def run(self, interaction: discord.Interaction) -> None:
        bot: NewsroomBot = interaction.client  # type: ignore[assignment]
        if interaction.guild_id is None or not interaction.permissions.manage_channels:
            raise Refused("Only members with Manage Channels in this server can do that.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        text = await bot.subscriptions.test_send(interaction.guild_id, self.channel_id,
                                                 interaction.user.id)
        await say(interaction, text)


@app_commands.guild_only()
class SubscribersCog(commands.Cog):
    def __init__(self, bot: NewsroomBot) -> None:
        self.bot = bot

    @app_commands.command(name="subscribe", description="Receive the newsroom's stories here")
    @app_commands.describe(channel="A text channel of this server",
                           mode="follow: Discord copies the announcement channel (default when "
                                "possible); deliver: the bot posts each story")
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.checks.has_permissions(manage_channels=True)
    async def subscribe(self, interaction: discord.Interaction, channel: discord.TextChannel,
                        mode: Literal["follow", "deliver"] | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        done = await self.bot.subscriptions.subscribe(
            interaction.guild_id or 0, channel.id, interaction.user.id, mode,
            access_in(self.bot, interaction, channel.id))
        await say(interaction, subscribed_text(self.bot, channel.mention, done))

    @app_commands.command(name="unsubscribe", description="Stop receiving stories in a channel")
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.checks.has_permissions(manage_channels=True)
    async def unsubscribe(self, interaction: discord.Interaction,
                          channel: discord.TextChannel) -> None:
        note = await self.bot.subscriptions.unsubscribe(interaction.guild_id or 0, channel.id,
                                                        interaction.user.id)
        text = f"Unsubscribed {channel.mention}: no more stories will reach it from me."
        await say(interaction, f"{text}\n{note}" if note else text)

    @app_commands.command(name="subscriptions",
                          description="This server's subscribed channels, their state and a test")
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.checks.has_permissions(manage_channels=True)
    async def subscriptions(self, interaction: discord.Interaction) -> None:
        subs = await self.bot.subscriptions.of_guild(interaction.guild_id or 0)
        view = discord.ui.View(timeout=None)
        guild = interaction.guild
        for sub in [s for s in subs if s.destination.active][:25]:
            channel = guild.get_channel(sub.destination.channel_id) if guild else None
            view.add_item(TestSend(sub.destination.channel_id,
                                   f"Test #{channel.name}" if channel else "Send a test"))
        await say(interaction, embed=subscriptions_embed(subs),
                  view=view if view.children else None)


async def setup(bot: NewsroomBot) -> None:
    bot.add_dynamic_items(TestSend)
    await bot.add_cog(SubscribersCog(bot))
