"""The Discord face of the actions on one story that both a slash command and a card
button take (approve, request changes, spike, edit, retry), and the card's buttons.

Each function calls the one service method of its action, answers the member and
refreshes the card; `/review approve` and the Approve button run the same code.
"""

from __future__ import annotations

import discord

from bot.app import NewsroomBot
from bot.article import Article
from bot.custom_ids import CARD
from bot.errors import NewsroomError
from bot.lifecycle import Action, require_editor
from cogs._cards import BUTTONS, refresh_card
from cogs._common import PersistentButton, actor_of, say
from cogs._forms import ArticleForm, ReasonForm
from cogs._progress import InteractionSink


async def approve(bot: NewsroomBot, interaction: discord.Interaction, story_id: int,
                  note: str | None = None, override: str | None = None) -> None:
    result = await bot.desk.approve(story_id, actor_of(interaction), note, override)
    who = interaction.user.mention
    event = f"{who} approved revision {result.story.current_revision}. {result.summary}"
    if result.override:
        event += f"\nChecks overridden: {result.override}"
    if note:
        event += f"\nNote: {note}"
    await say(interaction, result.summary + (f"\nOverride recorded: {result.override}"
                                             if result.override else ""))
    await refresh_card(bot, story_id, event)


async def request_changes(bot: NewsroomBot, interaction: discord.Interaction, story_id: int,
                          reason: str) -> None:
    story = await bot.desk.request_changes(story_id, actor_of(interaction), reason)
    await say(interaction, f"Sent #{story.id} back for changes; approvals cleared.")
    await refresh_card(bot, story_id, f"{interaction.user.mention} requested changes: {reason}")


async def spike(bot: NewsroomBot, interaction: discord.Interaction, story_id: int,
                reason: str) -> None:
    story = await bot.desk.spike(story_id, actor_of(interaction), reason)
    await say(interaction, f"Spiked #{story.id}. It will not be published.")
    await refresh_card(bot, story_id, f"{interaction.user.mention} spiked the story: {reason}")


async def open_edit_form(bot: NewsroomBot, interaction: discord.Interaction,
                         story_id: int) -> None:
    """Refuse before the form opens if the edit is not allowed; prefill it otherwise."""
    story, _ = await bot.desk.decide(story_id, Action.EDIT, actor_of(interaction))
    _, article = await bot.desk.article(story)

    async def submit(modal_interaction: discord.Interaction, edited: Article) -> None:
        revision = await bot.desk.edit(story_id, actor_of(modal_interaction), edited)
        await modal_interaction.response.defer(ephemeral=True, thinking=True)
        await refresh_card(bot, story_id, f"Revision {revision.number} edited by "
                           f"{modal_interaction.user.mention}; approvals cleared.")
        await say(modal_interaction, f"Saved revision {revision.number} of #{story_id}; "
                  "it is back in review.")

    await interaction.response.send_modal(ArticleForm(f"Edit #{story_id}", submit, article))


async def start_retry(bot: NewsroomBot, interaction: discord.Interaction, story_id: int) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    job = await bot.drafter.retry(story_id, actor_of(interaction))
    await refresh_card(bot, story_id, f"{interaction.user.mention} retried the draft.")
    await interaction.edit_original_response(content=f"Retrying #{story_id}: waiting for "
                                             "Claude…")
    bot.drafter.start(job.story_id, InteractionSink(bot, interaction, story_id, "retry"))


async def ask_reason(bot: NewsroomBot, interaction: discord.Interaction, action: Action,
                     story_id: int) -> None:
    """Changes and spike need a reason: refuse before the form opens, else open it."""
    await bot.desk.decide(story_id, action, actor_of(interaction))
    if action is Action.REQUEST_CHANGES:
        async def changes(i: discord.Interaction, reason: str) -> None:
            await request_changes(bot, i, story_id, reason)
        form = ReasonForm(f"Request changes on #{story_id}", "What should change?", changes)
    else:
        async def spiked(i: discord.Interaction, reason: str) -> None:
            await spike(bot, i, story_id, reason)
        form = ReasonForm(f"Spike #{story_id}", "Why is it spiked?", spiked, max_length=500)
    await interaction.response.send_modal(form)


class CardButton(PersistentButton, custom=CARD):
    """A button of a story's card: the same functions as the slash commands."""

    def __init__(self, word: str, story_id: int) -> None:
        face = BUTTONS.get(word)
        super().__init__(word, story_id, label=face.label if face else word,
                         style=face.style if face else discord.ButtonStyle.secondary)
        self.action = face.action if face else None
        self.story_id = story_id

    async def run(self, interaction: discord.Interaction) -> None:
        bot: NewsroomBot = interaction.client  # type: ignore[assignment]
        require_editor(actor_of(interaction), bot.admin.current.policy)
        if self.action is Action.APPROVE:
            await approve(bot, interaction, self.story_id)
        elif self.action is Action.EDIT:
            await open_edit_form(bot, interaction, self.story_id)
        elif self.action is Action.RETRY:
            await start_retry(bot, interaction, self.story_id)
        elif self.action in (Action.REQUEST_CHANGES, Action.SPIKE):
            await ask_reason(bot, interaction, self.action, self.story_id)
        else:
            raise NewsroomError("That button is no longer supported.")
