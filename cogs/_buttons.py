"""What the draft card's buttons do: the same functions as the slash commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.errors import NewsroomError
from bot.lifecycle import Action, require_editor
from cogs._common import actor_of
from cogs._forms import ReasonForm

if TYPE_CHECKING:
    from bot.app import NewsroomBot


async def handle_card_button(interaction: discord.Interaction, action: str,
                             story_id: int) -> None:
    bot: NewsroomBot = interaction.client  # type: ignore[assignment]
    require_editor(actor_of(interaction), bot.admin.current.policy)
    await _dispatch(bot, interaction, action, story_id)


async def _dispatch(bot: NewsroomBot, interaction: discord.Interaction, action: str,
                    story_id: int) -> None:
    from cogs import drafts, review

    if action == "approve":
        await review.approve(bot, interaction, story_id)
    elif action == "edit":
        await drafts.open_edit_form(bot, interaction, story_id)
    elif action == "retry":
        await drafts.start_retry(bot, interaction, story_id)
    elif action in {"changes", "spike"}:
        await _ask_reason(bot, interaction, action, story_id)
    else:
        raise NewsroomError("That button is no longer supported.")


async def _ask_reason(bot: NewsroomBot, interaction: discord.Interaction, action: str,
                      story_id: int) -> None:
    from cogs import review

    lifecycle_action = Action.REQUEST_CHANGES if action == "changes" else Action.SPIKE
    await bot.desk.decide(story_id, lifecycle_action, actor_of(interaction))
    if action == "changes":
        async def submit(i: discord.Interaction, reason: str) -> None:
            await review.request_changes(bot, i, story_id, reason)
        form = ReasonForm(f"Request changes on #{story_id}", "What should change?", submit)
    else:
        async def submit(i: discord.Interaction, reason: str) -> None:
            await review.spike(bot, i, story_id, reason)
        form = ReasonForm(f"Spike #{story_id}", "Why is it spiked?", submit, max_length=500)
    await interaction.response.send_modal(form)
