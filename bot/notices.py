"""Messages the newsroom posts on its own: notices to the team and to reader channels."""

from __future__ import annotations

import logging

import discord

from bot.admin import Admin
from bot.discord_port import DiscordPort

log = logging.getLogger(__name__)


def jump_url(guild_id: int, channel_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


class Notices:
    def __init__(self, port: DiscordPort, admin: Admin) -> None:
        self.port = port
        self.admin = admin

    @property
    def agency(self) -> str:
        return self.admin.current.name

    async def team(self, text: str) -> None:
        """A notice in the editorial channel (late editions, disabled channels...)."""
        channel_id = self.admin.current.editorial_channel_id
        if channel_id is None:
            log.warning("no editorial channel for a notice: %s", text)
            return
        try:
            await self.port.post_text(channel_id, text)
        except discord.HTTPException as exc:
            log.warning("could not post a notice to the editorial channel: %s", exc)

    async def channel(self, channel_id: int, text: str) -> int | None:
        """A notice in a reader channel (its message id; None when it failed); editors'
        words never read as mentions."""
        try:
            return await self.port.post_text(channel_id, discord.utils.escape_mentions(text))
        except discord.HTTPException as exc:
            log.info("notice to %s failed: %s", channel_id, exc)
            return None

    async def member(self, user_id: int, text: str) -> bool:
        """A direct message to one member; False when Discord refuses it (DMs closed)."""
        try:
            await self.port.dm(user_id, text)
        except discord.HTTPException as exc:
            log.info("DM to %s failed: %s", user_id, exc)
            return False
        return True
