"""What every cog shares: who is acting, the editor gate, persistent buttons, replies."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import NewsroomBot, report_error
from bot.custom_ids import CustomId
from bot.errors import NewsroomError
from bot.lifecycle import Actor, require_editor


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


def editor_here(bot: NewsroomBot, interaction: discord.Interaction) -> str | None:
    """None when the member is an editor in the newsroom's server, else why not."""
    if interaction.guild_id != bot.settings.guild_id:
        return "Editorial commands only work in the newsroom's server."
    try:
        require_editor(actor_of(interaction), bot.admin.current.policy)
    except NewsroomError as exc:
        return str(exc)
    return None


EDITORIAL = app_commands.default_permissions(manage_messages=True)
"""On every editorial command: hidden from members without Manage Messages until a server
admin gives the editor role the bot's commands (Server Settings > Integrations, see the
README). A convenience, not the lock: `EditorialCog` still checks the editor role."""


class EditorialCog(commands.Cog):
    """Commands of the home server's editors: refused up front for anyone else.

    (discord.py runs autocomplete without this check: `cogs._story_option` asks itself.)
    """

    def __init__(self, bot: NewsroomBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        refusal = editor_here(self.bot, interaction)
        if refusal is not None:
            raise app_commands.CheckFailure(refusal)
        return True


class PersistentButton(discord.ui.DynamicItem[discord.ui.Button], template=r"(?!)"):
    """A button that survives restarts: what it acts on is in its custom id.

    Subclasses name their id layout (`custom=` in the class line), set their face in
    `__init__` and implement `run()`; every failure takes the one error path (a
    `DynamicItem`'s own errors would only reach discord.py's log).
    """

    custom: ClassVar[CustomId]

    def __init_subclass__(cls, *, custom: CustomId, **kwargs: Any) -> None:
        super().__init_subclass__(template=custom.template, **kwargs)
        cls.custom = custom

    def __init__(self, *values: str | int, label: str,
                 style: discord.ButtonStyle = discord.ButtonStyle.secondary) -> None:
        super().__init__(discord.ui.Button(label=label, style=style,
                                           custom_id=self.custom(*values)))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item,
                             match: re.Match[str]) -> PersistentButton:
        return cls(*cls.custom.values(match))

    async def run(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction) -> None:
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


def discord_time(moment, style: str = "f") -> str:  # type: ignore[no-untyped-def]
    """A Discord timestamp, shown in each reader's own time zone."""
    return discord.utils.format_dt(moment, style)  # type: ignore[arg-type]
