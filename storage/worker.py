"""An awaitable face for `Store`: one worker thread owns the SQLite connection.

SQLite calls block; running them on the event loop would stall the gateway heartbeat
and every interaction. A single thread (not a pool) keeps SQLite's one-writer rule
trivially true and lets the connection be created in the thread that uses it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from storage.store import Store

T = TypeVar("T")


class AsyncStore:
    """`await store.method(...)` runs `Store.method` in the store's own thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsroom-db")
        self._store: Store | None = None

    @property
    def is_open(self) -> bool:
        return self._store is not None

    async def open(self) -> AsyncStore:
        if self._store is None:
            self._store = await self._submit(Store, self.path)
        return self

    async def close(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            await self._submit(store.close)
        self._executor.shutdown(wait=True)

    async def run(self, fn: Callable[[Store], T]) -> T:
        """Run any function of the store in its thread (for multi-call reads)."""
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
