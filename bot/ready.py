"""Ready as soon as every server the bot is in has arrived.

discord.py fires `on_ready` only once `guild_ready_timeout` seconds have passed without a
GUILD_CREATE (2 s by default), because it cannot tell whether more are coming. But READY
lists every guild of the session, so once each of them has arrived there is nothing left
to wait for: the wait then ends at once. The timeout stays the upper bound, for a guild
that is unavailable during an outage and never arrives.

discord.py 2.7.1 has no option for this; the client builds its `ConnectionState` in
`Client._get_state`, which `bot.app.NewsroomBot` overrides to use this subclass.
"""

from __future__ import annotations

from typing import Any

from discord.state import ConnectionState


class PromptReadyState(ConnectionState):  # type: ignore[type-arg]
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.configured_ready_timeout = self.guild_ready_timeout
        self.guilds_to_come: set[int] = set()

    def parse_ready(self, data: Any) -> None:
        self.guilds_to_come = {int(guild["id"]) for guild in data.get("guilds") or ()}
        self.guild_ready_timeout = self.configured_ready_timeout if self.guilds_to_come else 0.0
        super().parse_ready(data)

    def parse_guild_create(self, data: Any) -> None:
        super().parse_guild_create(data)
        if self.guilds_to_come:
            self.guilds_to_come.discard(int(data["id"]))
            if not self.guilds_to_come:
                self.guild_ready_timeout = 0.0  # the ready wait stops after this guild
