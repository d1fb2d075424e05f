"""What every cog shares: who is acting, the editor gate, story autocomplete, replies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import NewsroomError
from bot.lifecycle import Actor, require_editor

if TYPE_CHECKING:
    from bot.app import NewsroomBot



def actor_of(interaction: discord.Interaction) -> Actor:
    """The acting member as the lifecycle sees them (roles only exist in a guild)."""
    user = interaction.user
    roles = frozenset(r.id for r in getattr(user, "roles", ()))
    perms = getattr(user, "guild_permissions", None)
    return Actor(
        user_id=user.id,
        role_ids=roles,
        is_admin=bool(perms and perms.manage_guild),
    )


class EditorialCog(commands.Cog):
    """Commands of the home server's editors: refused up front for anyone else."""

    def __init__(self, bot: NewsroomBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        if interaction.guild_id != self.bot.settings.guild_id:
            raise app_commands.CheckFailure(
                "Editorial commands only work in the newsroom's server.")
        try:
            require_editor(actor_of(interaction), self.bot.admin.current.policy)
        except NewsroomError as exc:
            raise app_commands.CheckFailure(str(exc)) from None
        return True


class Guarded:
    """Mixin for persistent buttons: they answer through the one error path too.

    A `DynamicItem`'s own errors only reach discord.py's log; subclasses implement
    `run()` and every failure gets the same ephemeral answer as a slash command's.
    """

    async def run(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction) -> None:
        from bot.app import report_error

        try:
            await self.run(interaction)
        except Exception as exc:  # noqa: BLE001 - the one error path
            await report_error(interaction, exc)


async def say(interaction: discord.Interaction, text: str | None = None, *,
              embed: discord.Embed | None = None, embeds: Sequence[discord.Embed] = (),
              ephemeral: bool = True, view: discord.ui.View | None = None,
              file: discord.File | None = None) -> None:
    """Reply or follow up, whichever is possible now; ephemeral unless asked otherwise."""
    all_embeds = [embed] if embed else list(embeds)
    kwargs: dict = {"ephemeral": ephemeral, "embeds": all_embeds}
    if view is not None:
        kwargs["view"] = view
    if file is not None:
        kwargs["file"] = file
    if interaction.response.is_done():
        await interaction.followup.send(text or discord.utils.MISSING, **kwargs)
    else:
        await interaction.response.send_message(text, **kwargs)


def story_choices(stories: Sequence) -> list[app_commands.Choice[int]]:
    """Autocomplete entries '#12 - headline (status)', within Discord's 100 characters."""
    return [app_commands.Choice(name=s.label[:100], value=s.id) for s in stories[:25]]


def discord_time(moment, style: str = "f") -> str:
    """A Discord timestamp, shown in each reader's own time zone."""
    return discord.utils.format_dt(moment, style)  # type: ignore[arg-type]
