"""After publication: corrections, retractions, reader feedback and the archive.

Corrections and retractions reach every delivered copy through the delivery log:
each sent delivery knows its channel and message ids, so copies are edited in place,
and notices go to exactly the channels that received the story.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import discord

from bot.article import Article
from bot.desk import story_facts
from bot.errors import InvalidInput, NotFound, Refused
from bot.lifecycle import Action, Actor, decide, require_editor
from bot.publishing import post_view
from bot.render import render_retraction
from bot.text import clean_optional, clean_text
from storage.records import ArchiveHit, Correction, Delivery, Story, Ticket, utcnow
from storage.store import Conflict

if TYPE_CHECKING:
    from bot.app import NewsroomBot

log = logging.getLogger(__name__)

FEEDBACK_KINDS = ("correction", "clarification", "tip", "comment")
MAX_FEEDBACK = 1500
MAX_QUOTE = 300
MAX_CORRECTION = 1000


@dataclass
class CopyReport:
    """What happened to the delivered copies when a story changed after publication."""

    updated: list[Delivery] = field(default_factory=list)
    failed: list[tuple[Delivery, str]] = field(default_factory=list)
    notices: int = 0

    def summary(self) -> str:
        count = len(self.updated)
        text = f"{count} delivered cop{'y' if count == 1 else 'ies'} updated"
        if self.notices:
            text += f", {self.notices} notice(s) posted"
        if self.failed:
            text += f"; {len(self.failed)} could not be updated:\n" + "\n".join(
                f"- <#{d.channel_id}>: {why}" for d, why in self.failed)
        return text


def jump_url(guild_id: int, channel_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


class ReaderDesk:
    def __init__(self, bot: NewsroomBot) -> None:
        self.bot = bot
        self.store = bot.store

    @property
    def policy(self):  # type: ignore[no-untyped-def]
        return self.bot.admin.current.policy

    async def _story(self, story_id: int) -> Story:
        story = await self.store.find_story(story_id)
        if story is None:
            raise NotFound(f"There is no story #{story_id}.")
        return story

    # ---- corrections ---------------------------------------------------------------

    async def check_correct(self, story_id: int, actor: Actor) -> tuple[Story, Article]:
        """Refuse early (before a form opens) when a correction is not possible."""
        story = await self._story(story_id)
        decide(Action.CORRECT, await story_facts(self.store, story), actor, self.policy)
        revision = await self.store.revision(story_id)
        return story, Article.from_dict(revision.article)

    async def correct(self, story_id: int, actor: Actor, *, kind: str, text: str, notify: bool,
                      article: Article | None = None, ticket_id: int | None = None
                      ) -> tuple[Correction, CopyReport]:
        if kind not in ("correction", "clarification"):
            raise InvalidInput("`kind` must be correction or clarification.")
        text = clean_text(text, "text", MAX_CORRECTION)
        story, current = await self.check_correct(story_id, actor)
        fixed = self.bot.desk.finish(article) if article is not None else current
        doc = {"headline": fixed.headline, "dek": fixed.dek,
               "body": "\n\n".join((*fixed.body, fixed.why_it_matters, fixed.bottom_line))}
        try:
            correction = await self.store.add_correction(
                story_id, kind=kind, text=text, editor_id=actor.user_id,
                article=fixed.to_dict(), archive=doc, notify=notify, ticket_id=ticket_id)
        except Conflict:
            raise Refused(f"Story #{story_id} changed meanwhile; nothing was corrected.") from None
        report = await self.update_copies(await self.store.story(story_id))
        if notify:
            label = f"{kind.capitalize()} to “{fixed.headline}”"
            report.notices = await self._notices(story, report.updated, f"{label}: {text}")
        return correction, report

    async def update_copies(self, story: Story) -> CopyReport:
        """Edit every sent copy in place to the current text with its corrections."""
        report = CopyReport()
        parts = await self.bot.publisher.render(story)
        for delivery in await self.store.deliveries(story.id):
            if delivery.state != "sent":
                continue
            try:
                await self._edit_copy(delivery, parts)
                report.updated.append(delivery)
            except discord.NotFound:
                report.failed.append((delivery, "the message was deleted"))
            except discord.Forbidden:
                report.failed.append((delivery, "the bot lost access to the channel"))
            except discord.HTTPException as exc:
                report.failed.append((delivery, f"Discord error {exc.status}"))
        return report

    async def _edit_copy(self, delivery: Delivery, parts: list) -> None:  # type: ignore[type-arg]
        channel = self.bot.get_partial_messageable(delivery.channel_id)
        ids = list(delivery.message_ids)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            view = post_view(delivery.story_id) if last else None
            if index < len(ids):
                await channel.get_partial_message(ids[index]).edit(
                    content=part.content, embeds=part.embeds, view=view)
            else:  # the note made the article longer than the copy: add a message
                message = await channel.send(content=part.content, embeds=part.embeds,
                                             view=view or discord.utils.MISSING)
                ids.append(message.id)
                await self.store.delivery_progress(delivery.id, ids)
        for extra in ids[len(parts):]:
            await channel.get_partial_message(extra).delete()

    async def _notices(self, story: Story, deliveries: list[Delivery], text: str) -> int:
        sent = 0
        for delivery in deliveries:
            dest = await self.store.destination(delivery.destination_id)
            link = jump_url(dest.guild_id, delivery.channel_id, delivery.message_ids[0])
            try:
                await self.bot.publisher.gate.acquire()
                await self.bot.get_partial_messageable(delivery.channel_id).send(
                    f"{discord.utils.escape_mentions(text)[:1700]}\n"
                    f"The corrected article: {link}")
                sent += 1
            except discord.HTTPException as exc:
                log.info("notice to %s failed: %s", delivery.channel_id, exc)
        return sent

    async def retract(self, story_id: int, actor: Actor, reason: str) -> CopyReport:
        reason = clean_text(reason, "reason", MAX_CORRECTION)
        story = await self._story(story_id)
        decide(Action.RETRACT, await story_facts(self.store, story), actor, self.policy)
        revision = await self.store.revision(story_id)
        article = Article.from_dict(revision.article)
        doc = {"headline": article.headline, "dek": article.dek, "body": ""}
        try:
            story = await self.store.retract(story_id, reason=reason, actor_id=actor.user_id,
                                             archive=doc)
        except Conflict:
            raise Refused(f"Story #{story_id} changed meanwhile; nothing was retracted.") from None
        await self.store.cancel_deliveries(story_id)
        day = utcnow().strftime("%-d %b %Y")
        notice = render_retraction(story_id, article.headline, reason, day,
                                   self.bot.admin.current.name)
        report = await self._replace_copies(story, notice)
        report.notices = await self._notices(
            story, report.updated, f"{self.bot.admin.current.name} has retracted “"
            f"{article.headline}”: {reason}")
        return report

    async def _replace_copies(self, story: Story, notice) -> CopyReport:  # type: ignore[no-untyped-def]
        report = CopyReport()
        for delivery in await self.store.deliveries(story.id):
            if delivery.state != "sent" or not delivery.message_ids:
                continue
            channel = self.bot.get_partial_messageable(delivery.channel_id)
            try:
                first, *rest = delivery.message_ids
                await channel.get_partial_message(first).edit(content=None, embeds=notice.embeds,
                                                              view=None)
                for extra in rest:
                    await channel.get_partial_message(extra).delete()
                report.updated.append(delivery)
            except discord.NotFound:
                report.failed.append((delivery, "the message was deleted"))
            except discord.HTTPException as exc:
                report.failed.append((delivery, f"Discord error {exc.status}"))
        return report

    # ---- reader feedback -----------------------------------------------------------

    async def submit(self, *, story_id: int, user_id: int, guild_id: int | None,
                     channel_id: int | None, kind: str, text: str, quote: str | None
                     ) -> tuple[Ticket, list[Ticket]]:
        """A reader's ticket, after the cooldown; also their unseen outcomes."""
        if kind not in FEEDBACK_KINDS:
            raise InvalidInput(f"`kind` must be one of {', '.join(FEEDBACK_KINDS)}.")
        text = clean_text(text, "text", MAX_FEEDBACK)
        quote = clean_optional(quote, "quote", MAX_QUOTE)
        story = await self.store.find_story(story_id)
        if story is None or story.status not in ("published", "retracted"):
            raise NotFound(f"There is no published story #{story_id}. The number is at the "
                           "top of every post.")
        await self._cooldown(user_id)
        ticket = await self.store.add_ticket(story_id=story_id, user_id=user_id,
                                             guild_id=guild_id, channel_id=channel_id,
                                             kind=kind, text=text, quote=quote)
        return ticket, await self._unseen_outcomes(user_id)

    async def _cooldown(self, user_id: int) -> None:
        last = await self.store.last_ticket_time(user_id)
        wait = self.bot.settings.feedback_cooldown
        if last is not None and utcnow() - last < timedelta(seconds=wait):
            ready = last + timedelta(seconds=wait)
            raise Refused(f"Thanks, we got your last note. You can send another "
                          f"{discord.utils.format_dt(ready, 'R')}.")

    async def _unseen_outcomes(self, user_id: int) -> list[Ticket]:
        """Resolved tickets whose DM could not be delivered: shown once, then marked."""
        unseen = [t for t in await self.store.tickets(user_id=user_id, limit=50)
                  if t.reader_notified == "dm_closed"]
        for ticket in unseen:
            await self.store.update_ticket(ticket.id, reader_notified="shown")
        return unseen

    async def my_tickets(self, user_id: int) -> list[Ticket]:
        return await self.store.tickets(user_id=user_id, limit=10)

    async def set_triage_message(self, ticket_id: int, channel_id: int, message_id: int) -> None:
        await self.store.update_ticket(ticket_id, triage_channel_id=channel_id,
                                       triage_message_id=message_id)

    async def ticket(self, ticket_id: int, actor: Actor) -> Ticket:
        require_editor(actor, self.policy)
        ticket = await self.store.find_ticket(ticket_id)
        if ticket is None:
            raise NotFound(f"There is no ticket #{ticket_id}.")
        return ticket

    async def list_tickets(self, actor: Actor, status: str | None) -> list[Ticket]:
        require_editor(actor, self.policy)
        return await self.store.tickets(status, limit=25)

    async def resolve(self, ticket_id: int, actor: Actor, action: str,
                      reply: str | None) -> Ticket:
        ticket = await self.ticket(ticket_id, actor)
        if ticket.status != "open":
            raise Refused(f"Ticket #{ticket_id} is already {ticket.status}.")
        reply = clean_optional(reply, "reply", 1000)
        status = {"accept": "accepted", "dismiss": "dismissed"}.get(action)
        if status is None:
            raise InvalidInput("`action` must be accept or dismiss.")
        try:
            return await self.store.resolve_ticket(ticket_id, status=status,
                                                   actor_id=actor.user_id, reply=reply)
        except Conflict as exc:
            raise Refused(str(exc).capitalize() + ".") from None

    async def reply(self, ticket_id: int, actor: Actor, text: str) -> Ticket:
        """A reply to the reader that leaves the ticket open."""
        await self.ticket(ticket_id, actor)
        text = clean_text(text, "reply", 1000)
        ticket = await self.store.update_ticket(ticket_id, reply=text)
        await self.store.run(lambda s: s.audit("ticket_reply", actor_id=actor.user_id,
                                                story_id=ticket.story_id,
                                                detail=f"ticket {ticket_id}: {text}"))
        return ticket

    async def tell_reader(self, ticket: Ticket, reply_only: bool = False) -> str:
        """DM the reader the outcome; remember when their DMs are closed."""
        story = await self.store.find_story(ticket.story_id) if ticket.story_id else None
        about = f" on “{story.headline}”" if story else ""
        name = self.bot.admin.current.name
        if reply_only:
            text = f"The editors of {name} replied to your {ticket.kind} #{ticket.id}{about}."
        else:
            text = f"Your {ticket.kind} #{ticket.id}{about} to {name} was {ticket.status}."
        if ticket.reply:
            text += f"\nThe editors replied: {ticket.reply}"
        if ticket.correction_id:
            text += "\nA correction was published. Thank you."
        try:
            user = await self.bot.fetch_user(ticket.user_id)
            await user.send(text[:2000])
            state = "dm"
        except discord.HTTPException:
            state = "dm_closed"
        await self.store.update_ticket(ticket.id, reader_notified=state)
        return state

    # ---- archive -------------------------------------------------------------------

    async def search(self, query: str) -> list[ArchiveHit]:
        query = clean_text(query, "query", 200, multiline=False)
        return await self.store.search_archive(query, limit=10)

    async def latest(self) -> list[ArchiveHit]:
        return await self.store.latest_archive(limit=5)

    async def archived(self, story_id: int) -> tuple[Story, Article, list[Correction]]:
        story = await self.store.find_story(story_id)
        if story is None or story.status not in ("published", "retracted"):
            raise NotFound(f"There is no published story #{story_id}.")
        article = Article.from_dict((await self.store.revision(story_id)).article)
        return story, article, await self.store.corrections(story_id)

    async def corrections_log(self) -> list[tuple[Correction, Story]]:
        corrections = await self.store.corrections(limit=20)
        return [(c, await self.store.story(c.story_id)) for c in corrections]
