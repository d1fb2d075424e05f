"""`/newsroom setup|status|stats`: the home server's administration desk."""

from __future__ import annotations

import io

import discord
from discord import app_commands
from discord.ext import commands

from bot import stats
from bot.admin import AIStatus, ChannelInfo, SetupRequest, Status, gather_status
from bot.app import NewsroomBot
from bot.lifecycle import State, is_editor
from bot.scheduling import edition_name
from cogs._common import actor_of, discord_time, say
from storage.records import utcnow
from storage.states import DeliveryState

STATUS_ORDER = (State.DRAFTING, State.IN_REVIEW, State.CHANGES_REQUESTED, State.APPROVED,
                State.SCHEDULED, State.FAILED, State.PUBLISHED)


def channel_info(channel: discord.abc.GuildChannel) -> ChannelInfo:
    me = channel.guild.me
    perms = channel.permissions_for(me) if me is not None else discord.Permissions.none()
    return ChannelInfo(
        id=channel.id,
        name=channel.name,
        is_announcement=channel.type is discord.ChannelType.news,
        bot_can_send=perms.view_channel and perms.send_messages,
        bot_can_embed=perms.embed_links,
    )


def status_embed(status: Status, timezone: str, editions: tuple[str, ...] = ()
                 ) -> discord.Embed:
    ai = status.ai
    if not ai.configured:
        ai_line = "not configured (set ANTHROPIC_API_KEY); `/draft write` still works"
    else:
        ai_line = f"{ai.model}: {'reachable' if ai.reachable else 'NOT reachable'} ({ai.detail})"
        if ai.lifecycle:
            ai_line += f"\n{'Warning: ' if ai.retires_soon else ''}{ai.lifecycle}"
    healthy = not status.missing_setup and not ai.retires_soon
    embed = discord.Embed(title="Newsroom status", colour=0x2B8A3E if healthy else 0xE67700)
    embed.add_field(name="Model", value=ai_line, inline=False)
    upcoming = "\n".join(f"{edition_name(editions, timezone, t)}: {discord_time(t, 'F')} "
                         f"({discord_time(t, 'R')})" for t in status.next_editions) \
        or "none scheduled"
    embed.add_field(name=f"Next editions ({timezone})", value=upcoming, inline=False)
    queue = ", ".join(f"{s.label} {status.stories.get(s, 0)}" for s in STATUS_ORDER)
    embed.add_field(name="Stories", value=queue, inline=False)
    d = status.deliveries
    embed.add_field(
        name="Deliveries",
        value=f"pending {d.get(DeliveryState.PENDING, 0)}, failed "
              f"{d.get(DeliveryState.FAILED, 0)}, sent {d.get(DeliveryState.SENT, 0)}; "
              f"{status.destinations} active destination(s)",
        inline=False,
    )
    embed.add_field(name="Queues", value=f"draft jobs {status.pending_jobs}, "
                    f"open feedback tickets {status.open_tickets}", inline=False)
    if status.missing_setup:
        embed.add_field(name="Setup incomplete",
                        value="Run `/newsroom setup` with: " + ", ".join(
                            f"`{m}`" for m in status.missing_setup), inline=False)
    return embed


def stats_embed(figures: stats.Stats, name: str) -> discord.Embed:
    embed = discord.Embed(title=f"{name}: the last {figures.days} days")
    median = figures.median_hours_to_publish
    embed.add_field(name="Drafts", value=f"{figures.requested} requested "
                    f"({figures.requested_ai} by Claude)", inline=True)
    embed.add_field(name="Published", value=str(figures.published), inline=True)
    embed.add_field(name="Issues", value=f"{figures.issues} ({figures.stories_per_issue:.1f} "
                    "stories per issue)", inline=True)
    embed.add_field(name="Request to publication (median)",
                    value=f"{median:.1f} h" if median is not None else "n/a", inline=True)
    embed.add_field(name="Corrections", value=f"{figures.corrections} "
                    f"({figures.corrections_per_story:.2f} per published story), "
                    f"{figures.retractions} retraction(s)", inline=False)
    tickets = "; ".join(f"{kind}: " + ", ".join(f"{n} {status}" for status, n in sorted(by.items()))
                        for kind, by in sorted(figures.tickets.items())) or "none"
    embed.add_field(name="Reader feedback", value=tickets[:1024], inline=False)
    failed = (f", of which ${figures.failed_usd:.2f} on {figures.failed_attempts} failed "
              "attempt(s)" if figures.failed_attempts else "")
    embed.add_field(name="Drafting cost", value=f"{figures.input_tokens:,} input / "
                    f"{figures.output_tokens:,} output tokens ({figures.cache_read_tokens:,} "
                    f"read from cache), ${figures.cost_usd:.2f}{failed}", inline=False)
    return embed


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AdminCog(commands.GroupCog, group_name="newsroom",
               group_description="Newsroom administration"):
    def __init__(self, bot: NewsroomBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        """Admins (Manage Server) and editors; setup itself needs Manage Server."""
        if interaction.guild_id != self.bot.settings.guild_id:
            raise app_commands.CheckFailure("This only works in the newsroom's server.")
        actor = actor_of(interaction)
        if actor.is_admin or is_editor(actor, self.bot.admin.current.policy):
            return True
        raise app_commands.CheckFailure("Only the newsroom's admins and editors can do that.")

    @app_commands.command(name="setup", description="Configure the newsroom (Manage Server)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        editor_role="Role whose members are editors",
        editorial_channel="Where drafts, cards and team notices go",
        announcement_channel="Announcement channel where issues are published and crossposted",
        feedback_channel="Where reader feedback tickets are posted for triage",
        timezone="IANA time zone for editions and times, e.g. Europe/Berlin",
        editions="Edition times in cron syntax, ';'-separated, e.g. 0 8,17 * * *",
        approvals_required="Distinct editor approvals a story needs (1-10)",
        self_approval="May the requester or last author approve their own story?",
    )
    async def setup(
        self,
        interaction: discord.Interaction,
        editor_role: discord.Role | None = None,
        editorial_channel: discord.TextChannel | None = None,
        announcement_channel: discord.TextChannel | None = None,
        feedback_channel: discord.TextChannel | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        editions: app_commands.Range[str, 1, 200] | None = None,
        approvals_required: app_commands.Range[int, 1, 10] | None = None,
        self_approval: bool | None = None,
    ) -> None:
        request = SetupRequest(
            editor_role_id=editor_role.id if editor_role else None,
            editorial_channel=channel_info(editorial_channel) if editorial_channel else None,
            announce_channel=channel_info(announcement_channel) if announcement_channel
            else None,
            feedback_channel=channel_info(feedback_channel) if feedback_channel else None,
            timezone=timezone,
            editions=editions,
            required_approvals=approvals_required,
            allow_self_approval=self_approval,
        )
        current, changed = await self.bot.admin.setup(request, interaction.user.id)
        await self.bot.on_setup_changed(changed)
        lines = [f"- `{key}` = {value}" for key, value in changed.items()]
        missing = current.missing()
        tail = ("\nStill to set: " + ", ".join(f"`{m}`" for m in missing)) if missing else ""
        await say(interaction, "Saved:\n" + "\n".join(lines) + tail)

    @app_commands.command(name="status", description="Health: model, editions, queues")
    async def status(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        claude = self.bot.claude
        if claude.configured:
            state, now = await claude.model_state(fresh=True), utcnow()
            ai = AIStatus(True, state.reachable, claude.model, state.detail,
                          state.lifecycle_text(claude.model, now), state.retires_soon(now))
        else:
            ai = AIStatus(False, None, claude.model)
        status = await gather_status(self.bot.store, self.bot.admin, ai,
                                     self.bot.editions.next_editions())
        current = self.bot.admin.current
        await say(interaction, embed=status_embed(status, current.timezone, current.editions))

    @app_commands.command(name="stats", description="Figures and a chart for the last days")
    @app_commands.describe(days="How many days back (default 30)")
    async def stats(self, interaction: discord.Interaction,
                    days: app_commands.Range[int, 1, 365] = 30) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        figures = await stats.gather(self.bot.store, days)
        name = self.bot.admin.current.name
        png = await stats.chart(figures, f"{name}: the last {days} days")
        embed = stats_embed(figures, name)
        embed.set_image(url="attachment://stats.png")
        await say(interaction, embed=embed,
                  file=discord.File(io.BytesIO(png), filename="stats.png"))


async def setup(bot: NewsroomBot) -> None:
    await bot.add_cog(AdminCog(bot), guild=bot.home_guild)
