"""The custom ids of the newsroom's persistent buttons, spelled in one place.

A persistent button carries what it acts on in its custom id ("newsroom:card:approve:12"),
so it keeps working after a restart and on messages posted long ago: these layouts are
a contract with every message already in Discord and must not change. The services that
post messages (`bot.discord_port`) and the cogs that answer the clicks both read them here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORD = r"[a-z]+"
NUMBER = r"\d+"


@dataclass(frozen=True)
class CustomId:
    """`newsroom:<kind>:<field>:...`; each field a word (an action) or a number (an id)."""

    kind: str
    fields: tuple[tuple[str, str], ...]

    def __call__(self, *values: str | int) -> str:
        if len(values) != len(self.fields):
            raise ValueError(f"{self.kind} ids have {len(self.fields)} fields")
        return ":".join(("newsroom", self.kind, *map(str, values)))

    @property
    def template(self) -> str:
        """The regular expression discord.py matches clicks against (`DynamicItem`)."""
        parts = (f"(?P<{name}>{pattern})" for name, pattern in self.fields)
        return ":".join(("newsroom", re.escape(self.kind), *parts))

    def values(self, match: re.Match[str]) -> tuple[str | int, ...]:
        """The fields of a matched id, numbers as ints."""
        return tuple(int(match[name]) if pattern == NUMBER else match[name]
                     for name, pattern in self.fields)


CARD = CustomId("card", (("action", WORD), ("story", NUMBER)))
"""A button of a story's card in the editorial channel."""
TICKET = CustomId("ticket", (("action", WORD), ("ticket", NUMBER)))
"""A button of a reader's ticket in the feedback channel."""
REDELIVER = CustomId("redeliver", (("story", NUMBER),))
"""Under an editor's delivery log: send the failed deliveries again."""
REPORT = CustomId("report", (("story", NUMBER),))
"""Under every published post: a reader reports an error."""
SOURCES = CustomId("sources", (("story", NUMBER),))
"""Under every published post: a reader sees the sources."""
SUBSCRIPTION_TEST = CustomId("subtest", (("channel", NUMBER),))
"""Under `/subscriptions` (a server's own answer): send a test to one subscribed channel."""
