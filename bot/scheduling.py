"""Editions on a cron schedule, mirrored from the database into APScheduler.

The database is the source of truth (edition runs, scheduled stories); the scheduler
only holds in-memory jobs rebuilt from it at start-up and after `/newsroom setup`.
APScheduler's asyncio executor cancels running jobs on shutdown, so every job is safe
to cancel and to repeat: publishing is idempotent per story and per delivery.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.admin import Admin
from bot.config import split_edition
from storage.records import utcnow

log = logging.getLogger(__name__)

EditionHandler = Callable[[datetime], Awaitable[None]]


def edition_triggers(editions: tuple[str, ...], timezone: str) -> list[CronTrigger]:
    return [CronTrigger.from_crontab(split_edition(entry)[1], timezone=ZoneInfo(timezone))
            for entry in editions]


def edition_name(editions: tuple[str, ...], timezone: str, due_at: datetime) -> str:
    """The name of the edition due at a moment: the name its cron line was given
    (`Morning=0 8 * * *`), else one from the time of day."""
    zone = ZoneInfo(timezone)
    for entry, trigger in zip(editions, edition_triggers(editions, timezone), strict=True):
        name = split_edition(entry)[0]
        if name and trigger.get_next_fire_time(None, due_at - timedelta(microseconds=1)) \
                == due_at:
            return name
    hour = due_at.astimezone(zone).hour
    return ("Night" if hour < 5 else "Morning" if hour < 12 else "Afternoon" if hour < 17
            else "Evening" if hour < 22 else "Night")


def edition_date(due_at: datetime, timezone: str) -> str:
    """'Thursday 4 December 2026', in the newsroom's time zone."""
    return due_at.astimezone(ZoneInfo(timezone)).strftime("%A %-d %B %Y")


def next_fire_times(editions: tuple[str, ...], timezone: str, after: datetime,
                    count: int = 3) -> list[datetime]:
    """The next `count` edition times after a moment, across every cron line."""
    times: set[datetime] = set()
    for trigger in edition_triggers(editions, timezone):
        previous = None
        moment = after
        for _ in range(count):
            fire = trigger.get_next_fire_time(previous, moment)
            if fire is None:
                break
            times.add(fire)
            previous, moment = fire, fire + timedelta(microseconds=1)
    return sorted(times)[:count]


def missed_fire_times(editions: tuple[str, ...], timezone: str, since: datetime,
                      now: datetime) -> list[datetime]:
    """Edition times strictly after `since` and not after `now` (the bot was down)."""
    missed = []
    for trigger in edition_triggers(editions, timezone):
        previous = None
        moment = since + timedelta(microseconds=1)
        while (fire := trigger.get_next_fire_time(previous, moment)) and fire <= now:
            missed.append(fire)
            previous, moment = fire, fire + timedelta(microseconds=1)
            if len(missed) > 1000:
                break
    return sorted(set(missed))


class EditionScheduler:
    """Runs `handler(due_at)` at each edition; jobs are a mirror of the settings."""

    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.handler: EditionHandler | None = None

    def start(self, handler: EditionHandler) -> None:
        """Run `handler(due_at)` at every edition from now on. Must run inside the loop
        (setup_hook): AsyncIOScheduler binds to it."""
        self.handler = handler
        if not self.scheduler.running:
            self.scheduler.start()
        self.reschedule()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def reschedule(self) -> None:
        """Rebuild the edition jobs from the settings in force."""
        current = self.admin.current
        for job in self.scheduler.get_jobs():
            if job.id.startswith("edition:"):
                job.remove()
        for index, trigger in enumerate(edition_triggers(current.editions, current.timezone)):
            self.scheduler.add_job(
                self._fire, trigger, id=f"edition:{index}", coalesce=True,
                misfire_grace_time=300, max_instances=1, replace_existing=True,
            )

    async def _fire(self) -> None:
        due = self._due_now()
        if self.handler is not None:
            await self.handler(due)

    def _due_now(self) -> datetime:
        """The edition time being run: the latest cron time not after now."""
        current = self.admin.current
        now = utcnow()
        candidates = missed_fire_times(current.editions, current.timezone,
                                       now - timedelta(days=2), now)
        return candidates[-1] if candidates else now

    def next_editions(self, count: int = 3) -> list[datetime]:
        current = self.admin.current
        return next_fire_times(current.editions, current.timezone, utcnow(), count)

    def at(self, job_id: str, when: datetime, func: Callable[..., Awaitable[None]],
           *args: object) -> None:
        """A one-off job (a story's own time); replaced when scheduled again.

        `func` must be the coroutine function itself (not a lambda) so that APScheduler
        runs it on the loop instead of in a thread.
        """
        self.scheduler.add_job(func, "date", args=args, run_date=when, id=job_id,
                               replace_existing=True, misfire_grace_time=None, coalesce=True)

    def daily(self, job_id: str, crontab: str, func: Callable[[], Awaitable[None]]) -> None:
        """A recurring job in the newsroom time zone (the daily backup)."""
        zone = ZoneInfo(self.admin.current.timezone)
        trigger = CronTrigger.from_crontab(crontab, timezone=zone)
        self.scheduler.add_job(func, trigger, id=job_id, replace_existing=True, coalesce=True,
                               misfire_grace_time=3600, max_instances=1)

    def cancel(self, job_id: str) -> None:
        job = self.scheduler.get_job(job_id)
        if job is not None:
            job.remove()
