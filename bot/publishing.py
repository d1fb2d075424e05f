"""Publishing: schedules, editions and destinations.

The database is the source of truth. Publishing a story creates one delivery row per
active destination in the same transaction that marks it published; the delivery worker
(`bot.courier`) then sends them and keeps every copy in line with the record.

An edition publishes the stories scheduled for it as one numbered issue (see
`storage.issues`): one transaction publishes them all, opens the issue and creates
every destination's masthead before the stories' deliveries. A story published on its
own (`/publish now`, or at its own time) is a single post; `/publish now` labels it
"Breaking".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import discord

from bot.acting import decided, find_story
from bot.admin import Admin
from bot.article import Article, archive_doc
from bot.courier import Courier
from bot.errors import InvalidInput, Refused, refused_on_conflict
from bot.lifecycle import Action, Actor, State, Transition, require_editor
from bot.notices import Notices
from bot.scheduling import EditionScheduler, edition_date, edition_name, missed_fire_times
from bot.when import When, parse_when
from storage.base import Conflict
from storage.issues import EditionOutcome, EditionRun, IssueItem
from storage.records import Delivery, Story, iso, utcnow
from storage.worker import AsyncStore

log = logging.getLogger(__name__)

LATE_AFTER = 60.0
BREAKING = "Breaking"
"""The label on a story published on its own with `/publish now`."""


@dataclass(frozen=True)
class QueueEntry:
    story: Story
    due: datetime | None


@dataclass(frozen=True)
class NextIssue:
    """What goes out at the next edition, as `/publish queue` shows it."""

    number: int
    due: datetime | None
    heading: str
    running_order: list[Story]
    own_times: list[QueueEntry]


class Publisher:
    def __init__(self, store: AsyncStore, admin: Admin, editions: EditionScheduler,
                 courier: Courier, notices: Notices) -> None:
        self.store = store
        self.admin = admin
        self.editions = editions
        self.courier = courier
        self.notices = notices

    # ---- scheduling ----------------------------------------------------------------

    async def _decide(self, story_id: int, action: Action, actor: Actor
                      ) -> tuple[Story, Transition]:
        return await decided(self.store, story_id, action, actor, self.admin.current.policy)

    def next_edition(self) -> datetime | None:
        upcoming = self.editions.next_editions(1)
        return upcoming[0] if upcoming else None

    async def schedule(self, story_id: int, actor: Actor, text: str) -> tuple[Story, When]:
        _, transition = await self._decide(story_id, Action.SCHEDULE, actor)
        current = self.admin.current
        when = parse_when(text, timezone=current.timezone, now=utcnow(),
                          next_edition=self.next_edition())
        with refused_on_conflict(f"Story #{story_id} changed meanwhile; nothing was scheduled."):
            story = await self.store.stories.move(
                story_id, transition, actor_id=actor.user_id,
                detail=f"{when.mode} {iso(when.at)}",
                changes={"schedule_mode": when.mode,
                         "scheduled_for": when.at if when.mode == "at" else None})
        if when.mode == "at":
            self._arm(story_id, when.at)
        else:
            await self.store.issues.enqueue(story_id)
        return story, when

    def _arm(self, story_id: int, at: datetime) -> None:
        self.editions.at(f"story:{story_id}", at, self.publish_due, story_id)

    async def unschedule(self, story_id: int, actor: Actor) -> Story:
        _, transition = await self._decide(story_id, Action.UNSCHEDULE, actor)
        with refused_on_conflict(f"Story #{story_id} changed meanwhile; it was not "
                                 "unscheduled."):
            story = await self.store.stories.move(
                story_id, transition, actor_id=actor.user_id,
                changes={"schedule_mode": None, "scheduled_for": None})
        self.editions.cancel(f"story:{story_id}")
        return story

    async def publish_now(self, story_id: int, actor: Actor) -> list[Delivery]:
        return await self._publish(story_id, actor, "published now", label=BREAKING)

    async def _publish(self, story_id: int, actor: Actor, detail: str,
                       label: str | None = None) -> list[Delivery]:
        """Publish as the lifecycle decides for this actor (an editor, or the bot when a
        story's time or its edition comes)."""
        _, transition = await self._decide(story_id, Action.PUBLISH, actor)
        article = Article.from_dict((await self.store.stories.revision(story_id)).article)
        with refused_on_conflict(f"Story #{story_id} is no longer {transition.from_state}; "
                                 "nothing was published."):
            deliveries = await self.store.publish(
                story_id, transition, actor_id=None if actor.is_bot else actor.user_id,
                archive=archive_doc(article), detail=detail, label=label)
        self.editions.cancel(f"story:{story_id}")
        log.info("story %s published to %d destination(s)", story_id, len(deliveries))
        self.courier.kick()
        return deliveries

    async def publish_due(self, story_id: int) -> None:
        """A story's own time came (or passed while the bot was down)."""
        story = await self.store.stories.find(story_id)
        if story is None or story.status != State.SCHEDULED or story.schedule_mode != "at":
            return
        due = story.scheduled_for or utcnow()
        late = (utcnow() - due).total_seconds()
        try:
            await self._publish(story_id, Actor.bot(), f"scheduled for {iso(due)}")
        except Refused:
            return
        if late > LATE_AFTER:
            await self.notices.team(
                f"Story #{story_id} was due {discord.utils.format_dt(due, 'f')} and went out "
                f"{_duration(late)} late (the bot was offline).")

    async def run_edition(self, due_at: datetime, missed: int = 1) -> int:
        """Publish every story scheduled for `next` as the next issue; an edition runs
        once (a second run for the same time does nothing)."""
        items = []
        for story in await self.store.issues.running_order():
            try:
                _, transition = await self._decide(story.id, Action.PUBLISH, Actor.bot())
            except Refused:
                continue
            article = Article.from_dict((await self.store.stories.revision(story.id)).article)
            items.append(IssueItem(story.id, transition, archive_doc(article)))
        current = self.admin.current
        late = (utcnow() - due_at).total_seconds()
        edition = EditionRun(
            due_at, edition_name(current.editions, current.timezone, due_at),
            edition_date(due_at, current.timezone), late_seconds=late,
            link_base=self.admin.settings.public_url, detail=f"edition {iso(due_at)}")
        outcome = await self.store.publish_issue(edition, items)
        if outcome is None:
            return 0  # this edition ran already
        if outcome.number is not None:
            log.info("issue %s published with %d stories", outcome.number, outcome.published)
            self.courier.kick()
        if late > LATE_AFTER:
            await self._tell_late(edition, outcome, missed)
        return outcome.published

    async def _tell_late(self, edition: EditionRun, outcome: EditionOutcome, missed: int
                         ) -> None:
        skipped = f" ({missed} editions were missed and ran as one)" if missed > 1 else ""
        issue = f" as issue {outcome.number}" if outcome.number else ""
        published = outcome.published
        await self.notices.team(
            f"The edition due {discord.utils.format_dt(edition.due_at, 'f')} ran "
            f"{_duration(edition.late_seconds)} late because the bot was offline{skipped}; "
            f"{published} stor{'y' if published == 1 else 'ies'} published{issue}.")

    async def catch_up(self) -> None:
        """At start-up: missed editions, overdue stories, and the jobs for the rest."""
        current = self.admin.current
        now = utcnow()
        since = await self.store.meta.last_edition_run()
        baseline = await self.store.meta.get("editions_since")
        if baseline is None:
            await self.store.meta.put("editions_since", iso(now) or "")
        starts = [t for t in (since, datetime.fromisoformat(baseline) if baseline else None) if t]
        if starts:
            missed = missed_fire_times(current.editions, current.timezone, max(starts), now)
            if missed:
                await self.run_edition(missed[-1], missed=len(missed))
        for story in await self.store.stories.scheduled():
            if story.schedule_mode == "at" and story.scheduled_for is not None:
                if story.scheduled_for <= now:
                    await self.publish_due(story.id)
                else:
                    self._arm(story.id, story.scheduled_for)

    async def queue(self, actor: Actor) -> NextIssue:
        """The next issue's running order, and the stories going out at their own time."""
        require_editor(actor, self.admin.current.policy)
        return await self._next_issue()

    async def _next_issue(self) -> NextIssue:
        current = self.admin.current
        nxt = self.next_edition()
        number = (await self.store.issues.latest_number() or 0) + 1
        heading = f"Issue {number}"
        if nxt is not None:
            heading += (f" · {edition_date(nxt, current.timezone)} · "
                        f"{edition_name(current.editions, current.timezone, nxt)}")
        own = [QueueEntry(s, s.scheduled_for) for s in await self.store.stories.scheduled()
               if s.schedule_mode == "at"]
        return NextIssue(number, nxt, heading, await self.store.issues.running_order(), own)

    async def place(self, story_id: int, actor: Actor, position: int) -> NextIssue:
        """`/publish order`: move a story of the next issue to `position` (from 1)."""
        require_editor(actor, self.admin.current.policy)
        story = await find_story(self.store, story_id)
        try:
            await self.store.issues.place(story_id, position)
        except Conflict:
            now = ("scheduled for its own time" if story.status == State.SCHEDULED
                   else State(story.status).label)
            raise Refused(f"#{story.id} is not scheduled for the next edition (it is {now}); "
                          "`/publish schedule` it with `when: next` first. Nothing was "
                          "changed.") from None
        except ValueError:
            count = len(await self.store.issues.running_order())
            raise InvalidInput(f"The next issue has {count} stor"
                               f"{'y' if count == 1 else 'ies'}: give a position from 1 to "
                               f"{count}. Nothing was changed.") from None
        return await self._next_issue()

    # ---- destinations --------------------------------------------------------------

    async def sync_announcement(self) -> None:
        """Keep the announcement destination in step with the setting in force."""
        channel_id = self.admin.current.announce_channel_id
        for dest in await self.store.outbox.destinations(kind="announcement"):
            if dest.channel_id != channel_id:
                await self.store.outbox.remove_destination(
                    dest.channel_id, actor_id=None, reason="announcement channel changed")
        if channel_id is not None:
            await self.store.outbox.add_destination(
                kind="announcement", guild_id=self.admin.guild_id, channel_id=channel_id,
                added_by=None)

    async def deliveries(self, story_id: int, actor: Actor) -> tuple[Story, list[Delivery]]:
        require_editor(actor, self.admin.current.policy)
        story = await find_story(self.store, story_id)
        return story, await self.store.outbox.deliveries(story_id)

    async def retry_failed(self, story_id: int, actor: Actor) -> int:
        require_editor(actor, self.admin.current.policy)
        count = await self.store.outbox.retry_failed(story_id, actor_id=actor.user_id)
        self.courier.kick()
        return count


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return f"{int(seconds)} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"

