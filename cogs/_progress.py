"""Where a running draft shows itself: the editor's deferred reply, then the card."""

from __future__ import annotations

import logging

import discord

from bot.app import NewsroomBot
from bot.draft_types import DraftOutcome
from cogs._cards import card_link, post_card, refresh_card

log = logging.getLogger(__name__)


class InteractionSink:
    """Shows a running draft in the editor's (ephemeral) deferred reply."""

    def __init__(self, bot: NewsroomBot, interaction: discord.Interaction, story_id: int,
                 what: str) -> None:
        self.bot, self.interaction, self.story_id, self.what = bot, interaction, story_id, what

    async def _show(self, text: str) -> None:
        await self.interaction.edit_original_response(content=text[:2000])

    async def progress(self, words: int, target: tuple[int, int], preview: str) -> None:
        tail = preview[-600:].replace("```", "'''")
        await self._show(f"Drafting #{self.story_id} ({self.what}): {words} words written of "
                         f"{target[0]}-{target[1]}.\n```\n…{tail}\n```")

    async def waiting(self, attempt: int, limit: int, delay: float, reason: str) -> None:
        await self._show(f"Drafting #{self.story_id}: {reason or 'Claude is unavailable'}. "
                         f"Waiting {delay:.0f} s before attempt {attempt} of {limit}.")

    async def finished(self, outcome: DraftOutcome) -> None:
        message = await post_outcome_card(self.bot, outcome)
        story = await self.bot.store.stories.get(self.story_id)
        if outcome.ok:
            assert outcome.revision is not None
            text = (f"Draft #{self.story_id} is ready for review (revision "
                    f"{outcome.revision.number}): {card_link(self.bot, story)}")
            text += "".join(f"\nNote: {note}." for note in outcome.notes)
        elif outcome.stopped:
            text = f"Drafting #{self.story_id} stopped: {outcome.reason}."
        else:
            text = (f"Drafting #{self.story_id} failed: {outcome.reason}. "
                    "Use the Retry button on the card or `/draft retry`.")
        if message is None:
            text += "\n(No editorial channel is set up, so no card was posted.)"
        await self._show(text)


class ChannelSink:
    """For jobs resumed after a restart: no one is waiting on an interaction."""

    def __init__(self, bot: NewsroomBot, story_id: int) -> None:
        self.bot, self.story_id = bot, story_id

    async def progress(self, words: int, target: tuple[int, int], preview: str) -> None:
        return None

    async def waiting(self, attempt: int, limit: int, delay: float, reason: str) -> None:
        return None

    async def finished(self, outcome: DraftOutcome) -> None:
        await post_outcome_card(self.bot, outcome)


async def post_outcome_card(bot: NewsroomBot, outcome: DraftOutcome) -> discord.Message | None:
    try:
        message = await post_card(bot, outcome.story.id)
    except discord.HTTPException as exc:
        log.warning("could not post the card of story %s: %s", outcome.story.id, exc)
        return None
    if outcome.ok:
        assert outcome.revision is not None
        event = f"Revision {outcome.revision.number} drafted by Claude."
        event += "".join(f" Note: {note}." for note in outcome.notes)
    elif outcome.stopped:
        event = f"Drafting stopped: {outcome.reason}"
    else:
        event = f"Drafting failed: {outcome.reason}"
    await refresh_card(bot, outcome.story.id, event)
    return message
