"""An awaitable face for `Store`: one worker thread owns the SQLite connection.

SQLite calls block; running them on the event loop would stall the gateway heartbeat
and every interaction. A single thread (not a pool) keeps SQLite's one-writer rule
trivially true and lets the connection be created in the thread that uses it. It also
makes every `run(fn)` atomic with respect to the others: a read-decide-write done in
one `run` cannot interleave with another coroutine's (approvals, allowances).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from storage.outbox import Outbox
from storage.store import Store

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")


class AsyncStore:
    """`await store.method(...)` runs `Store.method` in the store's own thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsroom-db")
        self._store: Store | None = None
        self.outbox = AsyncOutbox(self, lambda s: s.outbox)

    async def open(self) -> AsyncStore:
        if self._store is None:
            self._store = await self._submit(Store, self.path)
        return self

    async def close(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            await self._submit(store.close)
        self._executor.shutdown(wait=True)

    def abandon(self) -> None:
        """Drop the connection as a killed process would: queued work never runs."""
        self._store = None
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def run(self, fn: Callable[[Store], T]) -> T:
        """Run any function of the store in its thread (multi-call reads, decide+write)."""
        store = self._require()
        return await self._submit(fn, store)

    def _require(self) -> Store:
        if self._store is None:
            raise RuntimeError("the store is not open")
        return self._store

    async def _submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def __getattr__(self, name: str) -> Callable[..., Any]:
        attr = getattr(Store, name, None)
        if attr is None or not callable(attr):
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await self._submit(getattr(self._require(), name), *args, **kwargs)

        call.__name__ = name
        return call


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


class AsyncOutbox(AsyncPart[Outbox]):
    add_destination = offload(Outbox.add_destination)
    remove_destination = offload(Outbox.remove_destination)
    destination = offload(Outbox.destination)
    destinations = offload(Outbox.destinations)
    mark_destination_warned = offload(Outbox.mark_destination_warned)
    disable_destination = offload(Outbox.disable_destination)
    deliveries = offload(Outbox.deliveries)
    delivery = offload(Outbox.delivery)
    due = offload(Outbox.due)
    next_time = offload(Outbox.next_time)
    copy_state = offload(Outbox.copy_state)
    out_of_sync = offload(Outbox.out_of_sync)
    counts = offload(Outbox.counts)
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
