"""After publication: corrections, retractions, reader feedback and the archive.

A correction or retraction is written in one transaction that also marks every copy of
the story for bringing in line; the delivery worker's `CopyKeeper` then edits each copy
(including copies that were still going out and land afterwards), and the editor's
answer says what was done and what is still on its way.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import discord

from bot.acting import decided
from bot.admin import Admin
from bot.article import Article, archive_doc
from bot.config import Settings
from bot.courier import CopyReport, Courier
from bot.desk import StoryDesk
from bot.discord_port import DiscordPort
from bot.errors import InvalidInput, NotFound, Refused, refused_on_conflict
from bot.lifecycle import Action, Actor, Transition, is_public, require_editor
from bot.notices import Notices, jump_url
from bot.text import clean_optional, clean_text
from storage.base import OverLimit
from storage.issues import Issue
from storage.records import ArchiveHit, Correction, Delivery, SearchResult, Story, Ticket
from storage.worker import AsyncStore

log = logging.getLogger(__name__)

FEEDBACK_KINDS = ("correction", "clarification", "tip", "comment")
MAX_FEEDBACK = 1500
MAX_QUOTE = 300
MAX_CORRECTION = 1000
FEEDBACK_WINDOW = timedelta(minutes=10)


class ReaderDesk:
    def __init__(self, store: AsyncStore, admin: Admin, settings: Settings, desk: StoryDesk,
                 courier: Courier, notices: Notices, port: DiscordPort) -> None:
        self.store = store
        self.admin = admin
        self.settings = settings
        self.desk = desk
        self.courier = courier
        self.notices = notices
        self.port = port

    @property
    def policy(self):  # type: ignore[no-untyped-def]
        return self.admin.current.policy

    async def _public_story(self, story_id: int, hint: str = "") -> Story:
        """A story readers may see, or NotFound (whether it exists is not theirs to know)."""
        story = await self.store.stories.find(story_id)
        if story is None or not is_public(story.status):
            raise NotFound(f"There is no published story #{story_id}.{hint}")
        return story

    async def _current(self, story_id: int) -> Article:
        return Article.from_dict((await self.store.stories.revision(story_id)).article)

    # ---- corrections ---------------------------------------------------------------

    async def check_correct(self, story_id: int, actor: Actor
                            ) -> tuple[Story, Article, Transition]:
        """Refuse early (before a form opens) when a correction is not possible."""
        story, transition = await decided(self.store, story_id, Action.CORRECT, actor,
                                          self.policy)
        return story, await self._current(story_id), transition

    async def correct(self, story_id: int, actor: Actor, *, kind: str, text: str, notify: bool,
                      article: Article | None = None, ticket_id: int | None = None
                      ) -> tuple[Correction, CopyReport]:
        if kind not in ("correction", "clarification"):
            raise InvalidInput("`kind` must be correction or clarification.")
        text = clean_text(text, "text", MAX_CORRECTION)
        _, current, transition = await self.check_correct(story_id, actor)
        fixed = self.desk.finish(article) if article is not None else current
        with refused_on_conflict(f"Story #{story_id} changed meanwhile; nothing was corrected."):
            correction = await self.store.correct(
                story_id, transition, kind=kind, text=text, editor_id=actor.user_id,
                article=fixed.to_dict(), archive=archive_doc(fixed), notify=notify,
                ticket_id=ticket_id)
        report = await self.courier.bring_story_in_line(story_id)
        if notify:
            label = f"{kind.capitalize()} to “{fixed.headline}”"
            report.notices = await self._notices(report.updated, f"{label}: {text}",
                                                 "The corrected article")
        return correction, report

    async def _notices(self, deliveries: list[Delivery], text: str, link_label: str) -> int:
        sent = 0
        for delivery in deliveries:
            if not delivery.message_ids:
                continue
            dest = await self.store.outbox.destination(delivery.destination_id)
            link = jump_url(dest.guild_id, delivery.channel_id, delivery.message_ids[0])
            posted = await self.notices.channel(delivery.channel_id,
                                                f"{text[:1700]}\n{link_label}: {link}")
            sent += posted is not None
            if posted is not None and dest.kind == "announcement":
                # followers see it too, crossposted within the channel's hourly budget
                await self.store.subscriptions.queue_crosspost(posted, delivery.channel_id)
                self.courier.kick()
        return sent

    async def retract(self, story_id: int, actor: Actor, reason: str) -> CopyReport:
        reason = clean_text(reason, "reason", MAX_CORRECTION)
        _, transition = await decided(self.store, story_id, Action.RETRACT, actor, self.policy)
        article = await self._current(story_id)
        with refused_on_conflict(f"Story #{story_id} changed meanwhile; nothing was retracted."):
            _, withdrawn, _ = await self.store.retract(
                story_id, transition, reason=reason, actor_id=actor.user_id,
                archive=archive_doc(article, retracted=True))
        report = await self.courier.bring_story_in_line(story_id)
        report.withdrawn = withdrawn
        name = self.admin.current.name
        report.notices = await self._notices(
            report.updated, f"{name} has retracted “{article.headline}”: {reason}",
            "The notice")
        return report

    # ---- reader feedback -----------------------------------------------------------

    async def submit(self, *, story_id: int, user_id: int, guild_id: int | None,
                     channel_id: int | None, kind: str, text: str, quote: str | None
                     ) -> tuple[Ticket, list[Ticket]]:
        """A reader's ticket, within their allowance; also their unseen outcomes."""
        if kind not in FEEDBACK_KINDS:
            raise InvalidInput(f"`kind` must be one of {', '.join(FEEDBACK_KINDS)}.")
        text = clean_text(text, "text", MAX_FEEDBACK)
        quote = clean_optional(quote, "quote", MAX_QUOTE)
        await self._public_story(story_id, " The number is at the top of every post.")
        allowance = (self.settings.feedback_allowance, FEEDBACK_WINDOW)
        try:
            ticket = await self.store.tickets.add(story_id=story_id, user_id=user_id,
                                                 guild_id=guild_id, channel_id=channel_id,
                                                 kind=kind, text=text, quote=quote,
                                                 allowance=allowance)
        except OverLimit as exc:
            raise Refused(f"Thanks, we got your last {allowance[0]} notes. You can send "
                          f"another {discord.utils.format_dt(exc.retry_at, 'R')}.") from None
        return ticket, await self._unseen_outcomes(user_id)

    async def _unseen_outcomes(self, user_id: int) -> list[Ticket]:
        """Resolved tickets whose DM could not be delivered: shown once, then marked."""
        unseen = [t for t in await self.store.tickets.recent(user_id=user_id, limit=50)
                  if t.reader_notified == "dm_closed"]
        for ticket in unseen:
            await self.store.tickets.update(ticket.id, reader_notified="shown")
        return unseen

    async def set_triage_message(self, ticket_id: int, channel_id: int, message_id: int) -> None:
        await self.store.tickets.update(ticket_id, triage_channel_id=channel_id,
                                        triage_message_id=message_id)

    async def ticket(self, ticket_id: int, actor: Actor) -> Ticket:
        require_editor(actor, self.policy)
        ticket = await self.store.tickets.find(ticket_id)
        if ticket is None:
            raise NotFound(f"There is no ticket #{ticket_id}.")
        return ticket

    async def list_tickets(self, actor: Actor, status: str | None) -> list[Ticket]:
        require_editor(actor, self.policy)
        return await self.store.tickets.recent(status, limit=25)

    async def resolve(self, ticket_id: int, actor: Actor, action: str,
                      reply: str | None) -> Ticket:
        ticket = await self.ticket(ticket_id, actor)
        if ticket.status != "open":
            raise Refused(f"Ticket #{ticket_id} is already {ticket.status}.")
        reply = clean_optional(reply, "reply", 1000)
        status = {"accept": "accepted", "dismiss": "dismissed"}.get(action)
        if status is None:
            raise InvalidInput("`action` must be accept or dismiss.")
        with refused_on_conflict(f"Ticket #{ticket_id} was resolved meanwhile."):
            return await self.store.tickets.resolve(ticket_id, status=status,
                                                    actor_id=actor.user_id, reply=reply)

    async def reply(self, ticket_id: int, actor: Actor, text: str) -> Ticket:
        """A reply to the reader that leaves the ticket open."""
        await self.ticket(ticket_id, actor)
        text = clean_text(text, "reply", 1000)
        ticket = await self.store.tickets.update(ticket_id, reply=text)
        await self.store.review.audit("ticket_reply", actor_id=actor.user_id,
                                      story_id=ticket.story_id,
                                      detail=f"ticket {ticket_id}: {text}")
        return ticket

    async def tell_reader(self, ticket: Ticket, reply_only: bool = False) -> str:
        """DM the reader the outcome; remember when their DMs are closed."""
        story = await self.store.stories.find(ticket.story_id) if ticket.story_id else None
        about = f" on “{story.headline}”" if story else ""
        name = self.admin.current.name
        if reply_only:
            text = f"The editors of {name} replied to your {ticket.kind} #{ticket.id}{about}."
        else:
            text = f"Your {ticket.kind} #{ticket.id}{about} to {name} was {ticket.status}."
        if ticket.reply:
            text += f"\nThe editors replied: {ticket.reply}"
        if ticket.correction_id:
            text += "\nA correction was published. Thank you."
        try:
            await self.port.dm(ticket.user_id, text)
            state = "dm"
        except discord.HTTPException:
            state = "dm_closed"
        await self.store.tickets.update(ticket.id, reader_notified=state)
        return state

    # ---- archive -------------------------------------------------------------------

    async def search(self, query: str) -> SearchResult:
        query = clean_text(query, "query", 200, multiline=False)
        return await self.store.archive.search(query, limit=10)

    async def latest(self) -> list[tuple[ArchiveHit, int | None]]:
        """The latest stories, each with the issue it went out in (None: on its own)."""
        hits = await self.store.archive.latest(limit=5)
        issues = await self.store.issues.numbers_of([h.story_id for h in hits])
        return [(h, issues.get(h.story_id)) for h in hits]

    async def issue(self, number: int | None) -> Issue:
        """An issue's contents; the latest when no number is given."""
        latest = await self.store.issues.latest_number()
        if latest is None:
            raise NotFound("No issue has gone out yet: an issue is an edition that "
                           "published stories.")
        found = await self.store.issues.get(latest if number is None else number)
        if found is None:
            raise NotFound(f"There is no issue {number}: the issues are numbered 1 to "
                           f"{latest}.")
        return found

    async def archived(self, story_id: int) -> tuple[Story, Article, list[Correction]]:
        story = await self._public_story(story_id)
        article = await self._current(story_id)
        return story, article, await self.store.archive.corrections(story_id)

    async def corrections_log(self) -> list[tuple[Correction, Story]]:
        corrections = await self.store.archive.corrections(limit=20)
        return [(c, await self.store.stories.get(c.story_id)) for c in corrections]
