"""The delivery worker: sends pending deliveries and brings out-of-line copies back.

The database is the source of truth. Publishing creates one pending delivery per
destination in the publish transaction; this worker sends them. Every message carries a
nonce derived from its delivery and part (`enforce_nonce`), so a resend after a crash
returns the message Discord already has; a delivery that may have left parts in Discord
(in flight at a crash, or restored from a backup) is first reconciled against the
channel's history.

Each state change is guarded: a sender that finds its delivery cancelled (unsubscribe,
retraction) or its story changed (correction) while its messages went out does not
overwrite that decision; the copy it left is then brought in line (withdrawn, replaced
by the retraction notice, or edited) by `CopyKeeper`, under the same per-delivery lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiohttp
import discord

from bot.copies import CopyKeeper, Renditions
from bot.crossposts import Crossposter
from bot.discord_port import DiscordPort
from bot.log import log_context
from bot.notices import Notices
from storage.records import Delivery, Destination, utcnow
from storage.states import State
from storage.worker import AsyncStore

log = logging.getLogger(__name__)

CONCURRENCY = 16
DUE_BATCH = 1000
MAX_ATTEMPTS = 8
LOST_ACCESS_CODES = {10003, 50001, 50013}  # unknown channel, missing access/permissions
LOST_ACCESS_FOR = timedelta(hours=24)
"""A channel the bot lost access to is retried this long before it is disabled (an admin
fixing a permission overnight loses nothing)."""
LOST_ACCESS_MAX_DELAY = 3600.0
SEND_ERRORS = (discord.HTTPException, discord.RateLimited, aiohttp.ClientError, TimeoutError,
               OSError)


@dataclass
class CopyReport:
    """What happened to a story's copies when it changed after publication."""

    updated: list[Delivery] = field(default_factory=list)
    failed: list[tuple[Delivery, str]] = field(default_factory=list)
    in_flight: int = 0
    withdrawn: int = 0
    notices: int = 0

    def summary(self, verb: str = "updated") -> str:
        count = len(self.updated)
        text = f"{count} delivered cop{'y' if count == 1 else 'ies'} {verb}"
        if self.in_flight:
            one = self.in_flight == 1
            text += (f"; {self.in_flight} cop{'y' if one else 'ies'} still going out will be "
                     f"{verb} as {'it lands' if one else 'they land'}")
        if self.withdrawn:
            text += f"; {self.withdrawn} not yet sent will not go out"
        if self.notices:
            text += f"; {self.notices} notice(s) posted"
        if self.failed:
            text += f"; {len(self.failed)} could not be {verb}:\n" + "\n".join(
                f"- <#{d.channel_id}>: {why}" for d, why in self.failed)
        return text


class Courier:
    def __init__(self, store: AsyncStore, port: DiscordPort, renditions: Renditions,
                 keeper: CopyKeeper, crossposter: Crossposter, notices: Notices) -> None:
        self.store = store
        self.port = port
        self.renditions = renditions
        self.keeper = keeper
        self.crossposter = crossposter
        self.notices = notices
        self.semaphore = asyncio.Semaphore(CONCURRENCY)
        self.backoff_base = 5.0
        self.lost_access_for = LOST_ACCESS_FOR
        self.clock: Callable[[], datetime] = utcnow
        """Now, for due deliveries and backoffs (tests move it on instead of sleeping)."""
        self.started_at = utcnow()
        """Deliveries older than this process may have left parts in Discord unrecorded
        (a crash, a restored backup): they are reconciled before they are sent."""
        self._locks: dict[int, asyncio.Lock] = {}
        self._channels: dict[int, asyncio.Lock] = {}
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None

    # ---- the loop ------------------------------------------------------------------

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
        due = await self.store.outbox.due(self.clock(), limit=DUE_BATCH)
        if due:
            await asyncio.gather(*(self._send_guarded(d) for d in due))
            if len(due) == DUE_BATCH:
                self.kick()  # more are due (an issue to many channels): no sleep between
        stale = await self.store.outbox.out_of_sync(self.clock())
        if stale:
            await asyncio.gather(*(self._repair(d.id) for d in stale))
        await self.crossposter.run()

    async def _sleep(self) -> None:
        times = [t for t in (await self.store.outbox.next_time(),
                             await self.crossposter.next_free()) if t is not None]
        timeout = 30.0
        if times:
            timeout = min(timeout, max((min(times) - self.clock()).total_seconds(), 0.05))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until nothing is left to send, bring in line or crosspost now."""
        async with asyncio.timeout(timeout):
            while True:
                free = await self.crossposter.next_free()
                queued = free is not None and free <= utcnow() + timedelta(seconds=1)
                queued = queued or self.crossposter.running  # its DONE is still to come
                if not await self.store.outbox.unsettled() and not queued:
                    return
                self.kick()
                await asyncio.sleep(0.05)

    @contextlib.asynccontextmanager
    async def _locked(self, delivery_id: int) -> AsyncIterator[None]:
        """One task at a time per delivery: a send and a repair never interleave."""
        lock = self._locks.setdefault(delivery_id, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and self._locks.get(delivery_id) is lock:
                del self._locks[delivery_id]

    def in_flight(self, delivery_id: int) -> bool:
        lock = self._locks.get(delivery_id)
        return lock is not None and lock.locked()

    # ---- sending -------------------------------------------------------------------

    async def _send_guarded(self, delivery: Delivery) -> None:
        """Deliveries to one channel go one at a time: in order (an edition's running
        order), and never racing discord.py's bucket for that channel."""
        channel = self._channels.setdefault(delivery.channel_id, asyncio.Lock())
        async with channel, self.semaphore, self._locked(delivery.id):
            with log_context(story_id=delivery.story_id, delivery_id=delivery.id):
                try:
                    await self._send(delivery)
                except (discord.Forbidden, discord.NotFound) as exc:
                    await self._lost_access(delivery, exc)
                except SEND_ERRORS as exc:
                    await self._retry_later(delivery, exc)

    async def _send(self, delivery: Delivery) -> None:
        if delivery.issue_id is not None and await self._wait_for_parts_ahead(delivery):
            return
        claim = await self.store.outbox.claim(delivery.id)
        if claim is None:
            return
        rendition = await self.renditions.of(claim.delivery)
        if claim.story_status != State.PUBLISHED or rendition.retraction:
            await self.store.outbox.cancel(delivery.id)
            await self.keeper.bring_in_line(delivery.id)
            return
        before, parts = claim.delivery, rendition.parts
        sent, reconciled = list(before.message_ids), False
        if len(sent) < len(parts) and (before.sending_since is not None
                                       or before.created_at < self.started_at):
            sent = await self.keeper.reconcile(before)
            reconciled = bool(sent)
        for index in range(len(sent), len(parts)):
            if index and not await self.store.outbox.still_wanted(delivery.id):
                break  # retracted or unsubscribed between two parts: send no more
            last = index == len(parts) - 1
            sent.append(await self.port.send(
                delivery.channel_id, parts[index], nonce=f"nr{delivery.id}.{index}",
                buttons_for=delivery.story_id if last else None))
            if not last:
                await self.store.outbox.record_parts(delivery.id, sent)
        complete = len(sent) >= len(parts) and not reconciled
        if not await self.store.outbox.mark_sent(delivery.id, sent,
                                                 rendition.key if complete else "partial"):
            await self.keeper.bring_in_line(delivery.id)

    async def _wait_for_parts_ahead(self, delivery: Delivery) -> bool:
        """An issue reads in order in every channel: its masthead, then its stories in
        running order. A part whose elders are still to go (waiting on a retry) waits
        for them; True when it was put back."""
        ahead = await self.store.issues.ahead_of(delivery.id)
        if ahead is None:
            return False
        await self.store.issues.postpone(delivery.id, ahead)
        return True

    async def _repair(self, delivery_id: int) -> None:
        async with self.semaphore, self._locked(delivery_id):
            await self.keeper.bring_in_line(delivery_id)

    # ---- failures ------------------------------------------------------------------

    async def _lost_access(self, delivery: Delivery, exc: discord.HTTPException) -> None:
        """403/404 on a channel: warn the team at once, retry with backoff for a day, then
        disable it and tell the team and the member who subscribed it."""
        code = getattr(exc, "code", 0)
        if isinstance(exc, discord.NotFound) and code not in LOST_ACCESS_CODES:
            await self._retry_later(delivery, exc)
            return
        dest = await self.store.outbox.destination(delivery.destination_id)
        reason = f"no access to <#{dest.channel_id}> (Discord {exc.status}: {exc.text or code})"
        now = self.clock()
        since, first = await self.store.subscriptions.failing(dest.id, now)
        if now - since < self.lost_access_for:
            if first:
                await self.notices.team(f"Warning: {reason}. I will keep retrying for "
                                        f"{_hours(self.lost_access_for)}, then stop delivering "
                                        "there.")
            delay = min(self.backoff_base * 2 ** delivery.attempts, LOST_ACCESS_MAX_DELAY)
            retry_at = min(now + timedelta(seconds=delay), since + self.lost_access_for)
            await self._retry_later(delivery, exc, retry_at=retry_at)
            return
        if await self.store.outbox.retry_later(delivery.id, error=reason, retry_at=None):
            await self.store.outbox.disable_destination(dest.id, reason)
            await self._disabled(dest, reason)
        else:
            await self.keeper.bring_in_line(delivery.id)

    async def _disabled(self, dest: Destination, reason: str) -> None:
        """Tell the team, and the server that subscribed where the bot can still speak to
        it: the member who subscribed, by DM."""
        log.warning("destination %s disabled: %s", dest.channel_id, reason)
        told = ""
        if dest.added_by is not None and dest.kind != "announcement":
            dm = await self.notices.member(dest.added_by, (
                f"Deliveries of {self.notices.agency} to <#{dest.channel_id}> have stopped: I "
                f"had {reason} for {_hours(self.lost_access_for)}. Give me View Channel, Send "
                "Messages and Embed Links there, then `/subscribe` it again."))
            told = (f" <@{dest.added_by}>, who subscribed it, was told by DM." if dm else
                    f" I could not DM <@{dest.added_by}>, who subscribed it.")
        await self.notices.team(f"Deliveries to <#{dest.channel_id}> are now disabled: {reason}, "
                                f"for {_hours(self.lost_access_for)}.{told} A server admin "
                                "there can `/subscribe` it again once I have access.")

    async def _retry_later(self, delivery: Delivery, exc: BaseException,
                           retry_at: datetime | None = None) -> None:
        """Back off and try again (given up after MAX_ATTEMPTS, unless the caller chose
        when: lost access has its own deadline)."""
        attempts = delivery.attempts + 1
        error = f"{type(exc).__name__}: {exc}"[:300]
        give_up = attempts >= MAX_ATTEMPTS and retry_at is None
        if retry_at is None and not give_up:
            retry_at = self.clock() + timedelta(
                seconds=min(self.backoff_base * 2 ** delivery.attempts, 600.0))
        if not await self.store.outbox.retry_later(delivery.id, error=error, retry_at=retry_at):
            await self.keeper.bring_in_line(delivery.id)  # cancelled meanwhile
            return
        if give_up:
            what = (f"story #{delivery.story_id}" if delivery.story_id is not None
                    else f"the masthead of issue {delivery.issue_id}")
            await self.notices.team(
                f"Delivery of {what} to <#{delivery.channel_id}> failed {attempts} times and "
                f"was given up ({error}). `/publish deliveries` can retry it.")
        else:
            log.info("delivery %s failed (%s); retry at %s", delivery.id, error, retry_at)

    # ---- copies of one story, for the editor who changed it -------------------------

    async def bring_story_in_line(self, story_id: int) -> CopyReport:
        """Bring every copy of a story in line now; count those still going out."""
        report = CopyReport()
        for delivery in await self.store.outbox.deliveries(story_id):
            if delivery.state == "pending":
                report.in_flight += delivery.sending_since is not None
                continue
            if delivery.state not in ("sent", "cancelled"):
                continue
            async with self._locked(delivery.id):
                outcome = await self.keeper.bring_in_line(delivery.id)
            if outcome.error:
                report.failed.append((delivery, outcome.error))
            elif delivery.state == "sent":
                report.updated.append(delivery)
        self.kick()
        return report


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:g} hours" if hours >= 1 else f"{span.total_seconds():g} s"
