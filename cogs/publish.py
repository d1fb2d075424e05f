"""`/publish ...`: scheduling, publishing now, the queue and the delivery log."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot
from bot.custom_ids import REDELIVER
from bot.publishing import NextIssue
from cogs._cards import refresh_card
from cogs._common import EDITORIAL, EditorialCog, PersistentButton, actor_of, discord_time, say
from cogs._story_option import AnyStory
from storage.records import Delivery, Story
from storage.states import DeliveryState

STATE_MARKS = {DeliveryState.SENT: "✓ sent", DeliveryState.PENDING: "… pending",
               DeliveryState.FAILED: "✗ failed", DeliveryState.CANCELLED: "– cancelled"}


class RetryDeliveries(PersistentButton, custom=REDELIVER):
    """Under an editor's delivery log (an ephemeral answer only they can click)."""

    def __init__(self, story_id: int) -> None:
        super().__init__(story_id, label="Retry failed deliveries",
                         style=discord.ButtonStyle.primary)
        self.story_id = story_id

    async def run(self, interaction: discord.Interaction) -> None:
        bot: NewsroomBot = interaction.client  # type: ignore[assignment]
        count = await bot.publisher.retry_failed(self.story_id, actor_of(interaction))
        await say(interaction, f"Retrying {count} failed deliver"
                  f"{'y' if count == 1 else 'ies'} of #{self.story_id}.")


def deliveries_embed(story: Story, deliveries: list[Delivery]) -> discord.Embed:
    lines = []
    for d in deliveries:
        link = (f" [message](https://discord.com/channels/@me/{d.channel_id}/{d.message_ids[0]})"
                if d.message_ids else "")
        extra = f" · crosspost {d.crosspost}" if d.crosspost else ""
        error = f" · {d.last_error[:80]}" if d.last_error and d.state != DeliveryState.SENT else ""
        lines.append(f"<#{d.channel_id}>: {STATE_MARKS.get(d.state, d.state)}, "
                     f"{d.attempts} attempt(s){extra}{error}{link}")
    embed = discord.Embed(title=f"Deliveries of {story.label}"[:256],
                          description="\n".join(lines)[:4096] or "No deliveries.")
    return embed


def queue_embed(nxt: NextIssue) -> discord.Embed:
    order = "\n".join(f"{i}. {s.label}" for i, s in enumerate(nxt.running_order, 1))
    when = f"{discord_time(nxt.due, 'f')} ({discord_time(nxt.due, 'R')})" if nxt.due \
        else "no edition time set"
    order = order or "Nothing is scheduled for it yet (an empty edition sends nothing)."
    embed = discord.Embed(title="Publishing queue",
                          description=f"Next: {nxt.heading}, {when}.\n\n{order}"[:4096])
    if nxt.own_times:
        lines = "\n".join(f"{discord_time(e.due, 'f') if e.due else '?'} · {e.story.label}"
                          for e in nxt.own_times)
        embed.add_field(name="At their own time (single posts)", value=lines[:1024],
                        inline=False)
    embed.set_footer(text="/publish order story position sets the running order")
    return embed


@EDITORIAL
class PublishCog(EditorialCog, commands.GroupCog, group_name="publish",
                 group_description="Schedule and publish approved stories"):
    @app_commands.command(name="schedule", description="Schedule an approved story")
    @app_commands.describe(when="next, an ISO time like 2026-12-01 08:00, 'in 2h', "
                                "or a Discord timestamp")
    async def schedule(self, interaction: discord.Interaction, story: AnyStory,
                       when: app_commands.Range[str, 1, 100]) -> None:
        found, parsed = await self.bot.publisher.schedule(story, actor_of(interaction), when)
        label = "the next edition" if parsed.mode == "next" else "its own time"
        stamp = f"{discord_time(parsed.at, 'F')} ({discord_time(parsed.at, 'R')})"
        await say(interaction, f"Scheduled #{found.id} for {label}: {stamp}.")
        await refresh_card(self.bot, story, f"{interaction.user.mention} scheduled it for "
                           f"{label}: {stamp}.")

    @app_commands.command(name="unschedule", description="Take a story off the schedule")
    async def unschedule(self, interaction: discord.Interaction, story: AnyStory) -> None:
        found = await self.bot.publisher.unschedule(story, actor_of(interaction))
        await say(interaction, f"#{found.id} is off the schedule (back to approved).")
        await refresh_card(self.bot, story, f"{interaction.user.mention} unscheduled it.")

    @app_commands.command(name="now", description="Publish an approved story now")
    async def now(self, interaction: discord.Interaction, story: AnyStory) -> None:
        deliveries = await self.bot.publisher.publish_now(story, actor_of(interaction))
        await say(interaction, f"Published #{story}: going out to {len(deliveries)} "
                  "channel(s). `/publish deliveries` shows progress.")
        await refresh_card(self.bot, story, f"{interaction.user.mention} published it now.")

    @app_commands.command(name="queue", description="The next issue's running order, and "
                          "what goes out at its own time")
    async def queue(self, interaction: discord.Interaction) -> None:
        await say(interaction, embed=queue_embed(await self.bot.publisher.queue(
            actor_of(interaction))))

    @app_commands.command(name="order", description="Move a story of the next issue to a "
                          "place in its running order")
    @app_commands.describe(position="1 for the lead story")
    async def order(self, interaction: discord.Interaction, story: AnyStory,
                    position: app_commands.Range[int, 1, 100]) -> None:
        nxt = await self.bot.publisher.place(story, actor_of(interaction), position)
        await say(interaction, f"#{story} is now number {position} of the next issue.",
                  embed=queue_embed(nxt))

    @app_commands.command(name="deliveries", description="The delivery log of a story")
    async def deliveries(self, interaction: discord.Interaction, story: AnyStory) -> None:
        found, deliveries = await self.bot.publisher.deliveries(story, actor_of(interaction))
        view = None
        if any(d.state == DeliveryState.FAILED for d in deliveries):
            view = discord.ui.View(timeout=None)
            view.add_item(RetryDeliveries(story))
        await say(interaction, embed=deliveries_embed(found, deliveries), view=view)


async def setup(bot: NewsroomBot) -> None:
    bot.add_dynamic_items(RetryDeliveries)
    await bot.add_cog(PublishCog(bot), guild=bot.home_guild)

