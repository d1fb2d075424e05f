"""Publishing: schedules, editions, destinations and exactly-once delivery.

The database is the source of truth. Publishing a story creates one delivery row per
active destination in the same transaction that marks it published; a worker then
sends pending rows. Every message carries a nonce derived from its delivery and part
(`enforce_nonce`), so a resend after a crash returns the message Discord already has
instead of creating a second one; a delivery found in flight after a restart is first
reconciled against the channel's recent history. The fan-out is paced below Discord's
global limit, and crossposts are queued within the per-channel hourly budget.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import aiohttp
import discord

from bot.article import Article
from bot.desk import story_facts
from bot.errors import InvalidInput, NotFound, Refused
from bot.lifecycle import Action, Actor, decide, require_editor
from bot.render import RenderedMessage, render_article
from bot.scheduling import missed_fire_times
from bot.when import When, parse_when
from storage.records import Correction, Delivery, Destination, Story, iso, utcnow
from storage.store import Conflict

if TYPE_CHECKING:
    from bot.app import NewsroomBot

log = logging.getLogger(__name__)

GLOBAL_RATE = 45.0  # requests/s: under Discord's 50/s so a fan-out never trips a global 429
CONCURRENCY = 16
MAX_ATTEMPTS = 8
CROSSPOSTS_PER_HOUR = 10
LATE_AFTER = 60.0
LOST_ACCESS_CODES = {10003, 50001, 50013}  # unknown channel, missing access/permissions
LOST_ACCESS_LIMIT = 3


class RateGate:
    """A token bucket shared by every delivery request."""

    def __init__(self, rate: float, burst: int = 5) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.updated = time.monotonic()
        self.lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self.lock:
            while True:
                now = time.monotonic()
                self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)


@dataclass(frozen=True)
class QueueEntry:
    story: Story
    due: datetime | None


def correction_label(correction: Correction, timezone: str) -> tuple[str, str]:
    """('Correction, 24 Nov 2026', text): the note every delivered copy carries."""
    day = correction.created_at.astimezone(ZoneInfo(timezone)).strftime("%-d %b %Y")
    return f"{correction.kind.capitalize()}, {day}", correction.text


def post_view(story_id: int) -> discord.ui.View:
    """Buttons on every published post; handled by the feedback cog's dynamic items."""
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="Report an error", style=discord.ButtonStyle.secondary,
                                    custom_id=f"newsroom:report:{story_id}"))
    view.add_item(discord.ui.Button(label="Sources", style=discord.ButtonStyle.secondary,
                                    custom_id=f"newsroom:sources:{story_id}"))
    return view


class Publisher:
    def __init__(self, bot: NewsroomBot) -> None:
        self.bot = bot
        self.store = bot.store
        self.gate = RateGate(GLOBAL_RATE)
        self.semaphore = asyncio.Semaphore(CONCURRENCY)
        self.crossposts_per_hour = CROSSPOSTS_PER_HOUR
        self._crossposted: dict[int, deque[float]] = defaultdict(deque)
        self._crosspost_blocked: dict[int, float] = {}
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._render_cache: dict[tuple[int, int, int], list[RenderedMessage]] = {}
        self.backoff_base = 5.0

    # ---- scheduling ----------------------------------------------------------------

    async def _story(self, story_id: int) -> Story:
        story = await self.store.find_story(story_id)
        if story is None:
            raise NotFound(f"There is no story #{story_id}.")
        return story

    async def _decide(self, story_id: int, action: Action, actor: Actor) -> Story:
        story = await self._story(story_id)
        decide(action, await story_facts(self.store, story), actor, self.bot.admin.current.policy)
        return story

    def next_edition(self) -> datetime | None:
        upcoming = self.bot.editions.next_editions(1)
        return upcoming[0] if upcoming else None

    async def schedule(self, story_id: int, actor: Actor, text: str) -> tuple[Story, When]:
        story = await self._decide(story_id, Action.SCHEDULE, actor)
        current = self.bot.admin.current
        when = parse_when(text, timezone=current.timezone, now=utcnow(),
                          next_edition=self.next_edition())
        try:
            story = await self.store.transition(
                story_id, expected=story.status, to="scheduled", action="schedule",
                actor_id=actor.user_id, detail=f"{when.mode} {iso(when.at)}",
                changes={"schedule_mode": when.mode,
                         "scheduled_for": when.at if when.mode == "at" else None})
        except Conflict:
            raise Refused(f"Story #{story_id} changed meanwhile; nothing was scheduled.") from None
        if when.mode == "at":
            self._arm(story_id, when.at)
        return story, when

    def _arm(self, story_id: int, at: datetime) -> None:
        self.bot.editions.at(f"story:{story_id}", at, self.publish_due, story_id)

    async def unschedule(self, story_id: int, actor: Actor) -> Story:
        story = await self._decide(story_id, Action.UNSCHEDULE, actor)
        story = await self.store.transition(
            story_id, expected=story.status, to="approved", action="unschedule",
            actor_id=actor.user_id, changes={"schedule_mode": None, "scheduled_for": None})
        self.bot.editions.cancel(f"story:{story_id}")
        return story

    async def publish_now(self, story_id: int, actor: Actor) -> list[Delivery]:
        story = await self._decide(story_id, Action.PUBLISH, actor)
        return await self._publish(story, actor.user_id, "published now")

    async def _publish(self, story: Story, actor_id: int | None, detail: str) -> list[Delivery]:
        revision = await self.store.revision(story.id)
        article = Article.from_dict(revision.article)
        doc = {"headline": article.headline, "dek": article.dek,
               "body": "\n\n".join((*article.body, article.why_it_matters, article.bottom_line))}
        try:
            deliveries = await self.store.publish(story.id, expected=["approved", "scheduled"],
                                                  actor_id=actor_id, archive=doc, detail=detail)
        except Conflict:
            raise Refused(f"Story #{story.id} is no longer approved or scheduled; "
                          "nothing was published.") from None
        self.bot.editions.cancel(f"story:{story.id}")
        log.info("story %s published to %d destination(s)", story.id, len(deliveries))
        self.kick()
        return deliveries

    async def publish_due(self, story_id: int) -> None:
        """A story's own time came (or passed while the bot was down)."""
        story = await self.store.find_story(story_id)
        if story is None or story.status != "scheduled" or story.schedule_mode != "at":
            return
        due = story.scheduled_for or utcnow()
        late = (utcnow() - due).total_seconds()
        try:
            await self._publish(story, None, f"scheduled for {iso(due)}")
        except Refused:
            return
        if late > LATE_AFTER:
            await self.notify(f"Story #{story_id} was due {discord.utils.format_dt(due, 'f')} "
                              f"and went out {_duration(late)} late (the bot was offline).")

    async def run_edition(self, due_at: datetime, missed: int = 1) -> int:
        """Publish every story scheduled for `next`; safe to run twice for one edition."""
        stories = [s for s in await self.store.scheduled() if s.schedule_mode == "next"]
        published = 0
        for story in stories:
            try:
                await self._publish(story, None, f"edition {iso(due_at)}")
                published += 1
            except Refused:
                continue
        late = (utcnow() - due_at).total_seconds()
        recorded = await self.store.record_edition(due_at, late_seconds=late, published=published)
        if recorded and late > LATE_AFTER:
            skipped = f" ({missed} editions were missed and ran as one)" if missed > 1 else ""
            await self.notify(
                f"The edition due {discord.utils.format_dt(due_at, 'f')} ran {_duration(late)} "
                f"late because the bot was offline{skipped}; {published} stor"
                f"{'y' if published == 1 else 'ies'} published.")
        return published

    async def catch_up(self) -> None:
        """At start-up: missed editions, overdue stories, and the jobs for the rest."""
        current = self.bot.admin.current
        now = utcnow()
        since = await self.store.last_edition_run()
        baseline = await self.store.meta("editions_since")
        if baseline is None:
            await self.store.set_meta("editions_since", iso(now) or "")
        starts = [t for t in (since, datetime.fromisoformat(baseline) if baseline else None) if t]
        if starts:
            missed = missed_fire_times(current.editions, current.timezone, max(starts), now)
            if missed:
                await self.run_edition(missed[-1], missed=len(missed))
        for story in await self.store.scheduled():
            if story.schedule_mode == "at" and story.scheduled_for is not None:
                if story.scheduled_for <= now:
                    await self.publish_due(story.id)
                else:
                    self._arm(story.id, story.scheduled_for)

    async def queue(self, actor: Actor) -> list[QueueEntry]:
        require_editor(actor, self.bot.admin.current.policy)
        nxt = self.next_edition()
        entries = [QueueEntry(s, s.scheduled_for if s.schedule_mode == "at" else nxt)
                   for s in await self.store.scheduled()]
        return sorted(entries, key=lambda e: (e.due is None, e.due or utcnow(), e.story.id))

    # ---- destinations --------------------------------------------------------------

    async def subscribe(self, guild_id: int, channel_id: int, actor_id: int
                        ) -> tuple[Destination, bool]:
        if channel_id == self.bot.admin.current.announce_channel_id:
            raise InvalidInput("That is the newsroom's own announcement channel; it already "
                               "receives every issue.")
        return await self.store.add_destination(kind="subscriber", guild_id=guild_id,
                                                channel_id=channel_id, added_by=actor_id)

    async def unsubscribe(self, channel_id: int, actor_id: int) -> None:
        if not await self.store.remove_destination(channel_id, actor_id=actor_id):
            raise NotFound("That channel is not subscribed.")

    async def sync_announcement(self) -> None:
        """Keep the announcement destination in step with the setting in force."""
        channel_id = self.bot.admin.current.announce_channel_id
        for dest in await self.store.destinations(kind="announcement"):
            if dest.channel_id != channel_id:
                await self.store.remove_destination(dest.channel_id, actor_id=None,
                                                    reason="announcement channel changed")
        if channel_id is not None:
            await self.store.add_destination(kind="announcement", guild_id=self.bot.admin.guild_id,
                                             channel_id=channel_id, added_by=None)

    # ---- the delivery worker -------------------------------------------------------

    def start(self) -> None:
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run(), name="delivery-worker")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None

    def kick(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self._pass()
            except Exception:
                log.exception("delivery pass failed")
            await self._sleep()

    async def _pass(self) -> None:
        due = await self.store.due_deliveries(utcnow())
        if due:
            await asyncio.gather(*(self._deliver_guarded(d) for d in due))
        await self._crosspost_pending()

    async def _sleep(self) -> None:
        wake_at = await self.store.next_delivery_time()
        timeout = 30.0
        if wake_at is not None:
            timeout = min(timeout, max((wake_at - utcnow()).total_seconds(), 0.05))
        if self._crosspost_blocked:
            soonest = min(self._crosspost_blocked.values()) - time.monotonic()
            timeout = min(timeout, max(soonest, 0.05))
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
        except TimeoutError:
            pass

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until nothing is pending (tests, benchmarks, shutdown)."""
        async with asyncio.timeout(timeout):
            while True:
                counts = await self.store.delivery_counts()
                crossposts = await self.store.pending_crossposts()
                if not counts.get("pending") and not crossposts:
                    return
                self.kick()
                await asyncio.sleep(0.05)

    async def _deliver_guarded(self, delivery: Delivery) -> None:
        async with self.semaphore:
            try:
                await self._deliver(delivery)
            except (discord.Forbidden, discord.NotFound) as exc:
                await self._lost_access(delivery, exc)
            except (discord.HTTPException, discord.RateLimited, aiohttp.ClientError,
                    TimeoutError, OSError) as exc:
                await self._retry_later(delivery, exc)

    async def render(self, story: Story) -> list[RenderedMessage]:
        key = (story.id, story.current_revision, len(await self.store.corrections(story.id)))
        cached = self._render_cache.get(key)
        if cached is None:
            revision = await self.store.revision(story.id)
            tz = self.bot.admin.current.timezone
            corrections = [correction_label(c, tz) for c in await self.store.corrections(story.id)]
            cached = render_article(Article.from_dict(revision.article), story_id=story.id,
                                    agency_name=self.bot.admin.current.name,
                                    corrections=corrections)
            self._render_cache = {key: cached}
        return cached

    async def _deliver(self, delivery: Delivery) -> None:
        story = await self.store.story(delivery.story_id)
        parts = await self.render(story)
        sent = list(delivery.message_ids)
        if delivery.sending_since is not None and len(sent) < len(parts):
            sent = await self._reconcile(delivery, parts, sent)
        await self.store.delivery_sending(delivery.id)
        channel = self.bot.get_partial_messageable(delivery.channel_id)
        for index in range(len(sent), len(parts)):
            part = parts[index]
            await self.gate.acquire()
            message = await channel.send(
                content=part.content, embeds=part.embeds, nonce=f"nr{delivery.id}.{index}",
                view=post_view(story.id) if index == len(parts) - 1 else discord.utils.MISSING)
            sent.append(message.id)
            if index < len(parts) - 1:
                await self.store.delivery_progress(delivery.id, sent)
        await self.store.delivery_sent(delivery.id, sent)

    async def _reconcile(self, delivery: Delivery, parts: list[RenderedMessage],
                         sent: list[int]) -> list[int]:
        """Find parts that reached Discord before a crash, so they are not sent twice.

        A part is recognised by its first embed (author line with the story number,
        title, text), among the bot's own messages posted after the delivery was
        created, in order: two stories with the same text cannot be confused.
        """
        channel = self.bot.get_partial_messageable(delivery.channel_id)
        after = discord.utils.time_snowflake(delivery.created_at - timedelta(seconds=5))
        mine: list[tuple[tuple[str | None, ...], int]] = []
        await self.gate.acquire()
        async for message in channel.history(limit=100, after=discord.Object(after),
                                             oldest_first=True):
            if message.author.id == self.bot.user.id and message.embeds:  # type: ignore[union-attr]
                mine.append((_embed_key(message.embeds[0]), message.id))
        found = list(sent)
        position = 0
        for part in parts[len(sent):]:
            key = _embed_key(part.embeds[0]) if part.embeds else ()
            match = next((i for i in range(position, len(mine)) if mine[i][0] == key), None)
            if match is None:
                break
            found.append(mine[match][1])
            position = match + 1
        if len(found) > len(sent):
            log.info("delivery %s: %d part(s) already in the channel after a restart",
                     delivery.id, len(found) - len(sent))
            await self.store.delivery_progress(delivery.id, found)
        return found

    async def _lost_access(self, delivery: Delivery, exc: discord.HTTPException) -> None:
        """403/404 on a channel: warn the team at once, retry, and disable it after that.

        A permission can be fixed by a server admin within minutes, so the first refusals
        are retried like any failure; after LOST_ACCESS_LIMIT of them the destination is
        disabled (its pending deliveries become failed, visible in the delivery log).
        """
        code = getattr(exc, "code", 0)
        if isinstance(exc, discord.NotFound) and code not in LOST_ACCESS_CODES:
            await self._retry_later(delivery, exc)
            return
        dest = await self.store.destination(delivery.destination_id)
        reason = f"no access to <#{dest.channel_id}> (Discord {exc.status}: {exc.text or code})"
        if delivery.attempts + 1 < LOST_ACCESS_LIMIT:
            if dest.warned_at is None:
                await self.notify(f"Warning: {reason}. I will retry, and stop delivering there "
                                  f"after {LOST_ACCESS_LIMIT} failed attempts.")
                await self.store.mark_destination_warned(dest.id)
            await self._retry_later(delivery, exc, quiet=True)
            return
        await self.store.delivery_failed(delivery.id, error=reason, retry_at=None)
        await self.store.disable_destination(dest.id, reason)
        await self.notify(f"Deliveries to <#{dest.channel_id}> are now disabled: {reason}. "
                          "A server admin there can `/subscribe` it again once I have access.")
        log.warning("destination %s disabled: %s", dest.channel_id, reason)

    async def _retry_later(self, delivery: Delivery, exc: BaseException,
                           quiet: bool = False) -> None:
        attempts = delivery.attempts + 1
        error = f"{type(exc).__name__}: {exc}"[:300]
        if attempts >= MAX_ATTEMPTS and not quiet:
            await self.store.delivery_failed(delivery.id, error=error, retry_at=None)
            await self.notify(f"Delivery of story #{delivery.story_id} to <#{delivery.channel_id}> "
                              f"failed {attempts} times and was given up ({error}). "
                              "`/publish deliveries` can retry it.")
            return
        delay = min(self.backoff_base * 2 ** delivery.attempts, 600.0)
        log.info("delivery %s failed (%s); retry in %.0f s", delivery.id, error, delay)
        await self.store.delivery_failed(delivery.id, error=error,
                                         retry_at=utcnow() + timedelta(seconds=delay))

    # ---- crossposting --------------------------------------------------------------

    def crosspost_room(self, channel_id: int) -> int:
        window = self._crossposted[channel_id]
        now = time.monotonic()
        while window and now - window[0] > 3600:
            window.popleft()
        if self._crosspost_blocked.get(channel_id, 0) > now:
            return 0
        return max(self.crossposts_per_hour - len(window), 0)

    async def _crosspost_pending(self) -> None:
        for delivery in await self.store.pending_crossposts():
            room = self.crosspost_room(delivery.channel_id)
            if room < len(delivery.message_ids):
                continue  # queued: the hourly budget frees up later
            await self._crosspost(delivery)

    async def _crosspost(self, delivery: Delivery) -> None:
        for message_id in delivery.message_ids:
            await self.gate.acquire()
            try:
                await self.bot.http.publish_message(delivery.channel_id, message_id)
            except discord.RateLimited as exc:
                self._crosspost_blocked[delivery.channel_id] = time.monotonic() + exc.retry_after
                return
            except discord.HTTPException as exc:
                if exc.status == 429:
                    self._crosspost_blocked[delivery.channel_id] = time.monotonic() + 60
                    return
                if exc.code != 40033:  # 40033: already crossposted
                    log.warning("crosspost of %s failed: %s", message_id, exc)
                    await self.store.set_crosspost(delivery.id, "failed")
                    return
            self._crossposted[delivery.channel_id].append(time.monotonic())
        await self.store.set_crosspost(delivery.id, "done")

    # ---- team notices and the log --------------------------------------------------

    async def notify(self, text: str) -> None:
        channel_id = self.bot.admin.current.editorial_channel_id
        if channel_id is None:
            log.warning("no editorial channel for a notice: %s", text)
            return
        try:
            await self.bot.get_partial_messageable(channel_id).send(text[:2000])
        except discord.HTTPException as exc:
            log.warning("could not post a notice to the editorial channel: %s", exc)

    async def deliveries(self, story_id: int, actor: Actor) -> tuple[Story, list[Delivery]]:
        require_editor(actor, self.bot.admin.current.policy)
        story = await self._story(story_id)
        return story, await self.store.deliveries(story_id)

    async def retry_failed(self, story_id: int, actor: Actor) -> int:
        require_editor(actor, self.bot.admin.current.policy)
        count = await self.store.retry_deliveries(story_id, actor_id=actor.user_id)
        self.kick()
        return count


def _embed_key(embed: discord.Embed) -> tuple[str | None, ...]:
    return (embed.author.name, embed.title, embed.description)


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return f"{int(seconds)} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"

