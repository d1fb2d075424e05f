"""The `story` option of every command: a story number, offered by autocomplete only to
those who may see the stories it offers.

discord.py runs autocomplete without the cog's `interaction_check`, and a suggestion
shows a headline: editorial commands suggest nothing to anyone but an editor in the
newsroom's server, and reader commands suggest only what readers may see (published and
retracted stories). The number itself is checked again by the service that acts on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import discord
from discord import app_commands

from bot.app import NewsroomBot
from bot.lifecycle import PUBLIC, State
from cogs._common import editor_here
from storage.records import Story


def story_choices(stories: Sequence[Story]) -> list[app_commands.Choice[int]]:
    """Autocomplete entries '#12 - headline (status)', within Discord's 100 characters."""
    return [app_commands.Choice(name=s.label[:100], value=s.id) for s in stories[:25]]


class StoryOption(app_commands.Transformer):
    """A story number (an integer option) with suggestions from the store."""

    def __init__(self, states: Iterable[State] | None = None, *, editors_only: bool = True,
                 min_value: int | None = None) -> None:
        self.states = tuple(states) if states is not None else None
        self.editors_only = editors_only
        self._min_value = min_value

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.integer

    @property
    def min_value(self) -> int | None:
        return self._min_value

    async def transform(self, interaction: discord.Interaction, value: int) -> int:
        return int(value)

    async def autocomplete(self, interaction: discord.Interaction,  # type: ignore[override]
                           value: int | float | str) -> list[app_commands.Choice[int]]:
        bot: NewsroomBot = interaction.client  # type: ignore[assignment]
        if self.editors_only and editor_here(bot, interaction) is not None:
            return []
        return story_choices(await bot.store.stories.match(str(value), self.states))


AnyStory = app_commands.Transform[int, StoryOption()]
"""Editorial commands: any story, suggested to editors only."""
PublishedStory = app_commands.Transform[int, StoryOption([State.PUBLISHED])]
"""Corrections and retractions: published stories, suggested to editors only."""
PublicStory = app_commands.Transform[int, StoryOption(PUBLIC, editors_only=False, min_value=1)]
"""Reader commands: what readers may see, suggested to anyone."""
