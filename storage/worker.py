"""An awaitable face for `Store`: one worker thread owns the SQLite connection.

SQLite calls block; running them on the event loop would stall the gateway heartbeat
and every interaction. A single thread (not a pool) keeps SQLite's one-writer rule
trivially true and lets the connection be created in the thread that uses it. It also
makes every `run(fn)` atomic with respect to the others: a read-decide-write done in
one `run` cannot interleave with another coroutine's (approvals, allowances).

Each part of the store has a typed twin here (`await store.stories.get(1)`), and the
steps that span parts are awaited on `AsyncStore` itself (`await store.publish(...)`).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from storage.archive import Archive
from storage.issues import Issues
from storage.jobs import DraftJobs
from storage.meta import Meta
from storage.outbox import Outbox
from storage.review import Review
from storage.store import Store
from storage.stories import Stories
from storage.subscriptions import Subscriptions
from storage.tickets import Tickets

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")


class AsyncPart(Generic[R]):
    """One concern of the store, awaited: each method runs in the store's thread."""

    def __init__(self, store: AsyncStore, part: Callable[[Store], R]) -> None:
        self._store = store
        self._part = part


def offload(method: Callable[Concatenate[R, P], T]
            ) -> Callable[Concatenate[AsyncPart[R], P], Coroutine[Any, Any, T]]:
    """The awaitable twin of a store method, with the same (typed) signature."""
    name = method.__name__

    async def call(self: AsyncPart[R], *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._store.run(lambda s: getattr(self._part(s), name)(*args, **kwargs))

    call.__name__ = name
    call.__doc__ = method.__doc__
    return call


class AsyncStories(AsyncPart[Stories]):
    get = offload(Stories.get)
    find = offload(Stories.find)
    recent = offload(Stories.recent)
    counts = offload(Stories.counts)
    match = offload(Stories.match)
    scheduled = offload(Stories.scheduled)
    set_card = offload(Stories.set_card)
    move = offload(Stories.move)
    revise = offload(Stories.revise)
    revision = offload(Stories.revision)
    revisions = offload(Stories.revisions)
    sources = offload(Stories.sources)


class AsyncJobs(AsyncPart[DraftJobs]):
    get = offload(DraftJobs.get)
    latest = offload(DraftJobs.latest)
    pending = offload(DraftJobs.pending)
    attempt = offload(DraftJobs.attempt)


class AsyncReview(AsyncPart[Review]):
    approvals = offload(Review.approvals)
    history = offload(Review.history)
    audit = offload(Review.audit)


class AsyncOutbox(AsyncPart[Outbox]):
    add_destination = offload(Outbox.add_destination)
    remove_destination = offload(Outbox.remove_destination)
    destination = offload(Outbox.destination)
    destinations = offload(Outbox.destinations)
    disable_destination = offload(Outbox.disable_destination)
    deliveries = offload(Outbox.deliveries)
    delivery = offload(Outbox.delivery)
    due = offload(Outbox.due)
    next_time = offload(Outbox.next_time)
    copy_state = offload(Outbox.copy_state)
    out_of_sync = offload(Outbox.out_of_sync)
    unsettled = offload(Outbox.unsettled)
    claim = offload(Outbox.claim)
    record_parts = offload(Outbox.record_parts)
    still_wanted = offload(Outbox.still_wanted)
    mark_sent = offload(Outbox.mark_sent)
    retry_later = offload(Outbox.retry_later)
    cancel = offload(Outbox.cancel)
    set_shown = offload(Outbox.set_shown)
    repair_failed = offload(Outbox.repair_failed)
    cleared = offload(Outbox.cleared)
    retry_failed = offload(Outbox.retry_failed)
    pending_crossposts = offload(Outbox.pending_crossposts)
    crossposted = offload(Outbox.crossposted)
    record_crosspost = offload(Outbox.record_crosspost)
    crosspost_times = offload(Outbox.crosspost_times)
    set_crosspost = offload(Outbox.set_crosspost)


class AsyncSubscriptions(AsyncPart[Subscriptions]):
    of_guild = offload(Subscriptions.of_guild)
    failing = offload(Subscriptions.failing)
    queue_crosspost = offload(Subscriptions.queue_crosspost)
    queued_crossposts = offload(Subscriptions.queued_crossposts)
    notice_crossposted = offload(Subscriptions.notice_crossposted)


class AsyncTickets(AsyncPart[Tickets]):
    add = offload(Tickets.add)
    get = offload(Tickets.get)
    find = offload(Tickets.find)
    recent = offload(Tickets.recent)
    count_open = offload(Tickets.count_open)
    update = offload(Tickets.update)
    resolve = offload(Tickets.resolve)


class AsyncArchive(AsyncPart[Archive]):
    search = offload(Archive.search)
    latest = offload(Archive.latest)
    corrections = offload(Archive.corrections)


class AsyncMeta(AsyncPart[Meta]):
    guild_settings = offload(Meta.guild_settings)
    set_guild_settings = offload(Meta.set_guild_settings)
    get = offload(Meta.get)
    put = offload(Meta.put)
    last_edition_run = offload(Meta.last_edition_run)
    record_edition = offload(Meta.record_edition)


class AsyncIssues(AsyncPart[Issues]):
    running_order = offload(Issues.running_order)
    enqueue = offload(Issues.enqueue)
    place = offload(Issues.place)
    latest_number = offload(Issues.latest_number)
    get = offload(Issues.get)
    numbers_of = offload(Issues.numbers_of)
    masthead = offload(Issues.masthead)
    ahead_of = offload(Issues.ahead_of)
    postpone = offload(Issues.postpone)


class AsyncStore(AsyncPart[Store]):
    """`await store.part.method(...)` runs `Store.part.method` in the store's own thread."""

    create_story = offload(Store.create_story)
    start_job = offload(Store.start_job)
    fail_job = offload(Store.fail_job)
    approve = offload(Store.approve)
    spike = offload(Store.spike)
    publish = offload(Store.publish)
    publish_issue = offload(Store.publish_issue)
    correct = offload(Store.correct)
    retract = offload(Store.retract)

    def __init__(self, path: str | Path) -> None:
        super().__init__(self, lambda s: s)
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsroom-db")
        self._opened: Store | None = None
        self.stories = AsyncStories(self, lambda s: s.stories)
        self.jobs = AsyncJobs(self, lambda s: s.jobs)
        self.review = AsyncReview(self, lambda s: s.review)
        self.outbox = AsyncOutbox(self, lambda s: s.outbox)
        self.subscriptions = AsyncSubscriptions(self, lambda s: s.subscriptions)
        self.tickets = AsyncTickets(self, lambda s: s.tickets)
        self.archive = AsyncArchive(self, lambda s: s.archive)
        self.meta = AsyncMeta(self, lambda s: s.meta)
        self.issues = AsyncIssues(self, lambda s: s.issues)

    async def open(self) -> AsyncStore:
        if self._opened is None:
            self._opened = await self._submit(Store, self.path)
        return self

    async def close(self) -> None:
        if self._opened is not None:
            store, self._opened = self._opened, None
            await self._submit(store.close)
        self._executor.shutdown(wait=True)

    def abandon(self) -> None:
        """Drop the connection as a killed process would: queued work never runs."""
        self._opened = None
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def run(self, fn: Callable[[Store], T]) -> T:
        """Run any function of the store in its thread (multi-call reads, decide+write)."""
        if self._opened is None:
            raise RuntimeError("the store is not open")
        return await self._submit(fn, self._opened)

    async def _submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Queue `fn` on the store's thread. Once queued it runs even if the caller is
        cancelled (shielded): a shutdown cancels the delivery worker just after Discord
        answered, and the record of what Discord now has must still be written before
        the store closes (it is queued after it). Only `abandon()` drops queued work."""
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))
        return await asyncio.shield(work)
