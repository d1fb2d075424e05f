"""One pacer for every request the bot sends that counts against Discord's global limit.

Discord allows a bot 50 requests per second over all routes together; interaction
callbacks and interaction webhooks are not bound by it. Deliveries, crossposts, card
edits, thread events, notices, DMs and history reads all are, so they all wait here (the
HTTP client calls `acquire` right before each attempt goes out: `bot.http`).

The window slides: at most `limit` (49) requests start in any `period` (1 s), one under
Discord's figure so that timing noise between here and Discord cannot make a 51st land
in one of its windows. Once a few requests are in the window, they are also spaced
`period / limit` apart: a fan-out then goes out evenly at the full rate instead of in
bursts (gentler on the event loop, and every request keeps a margin of one spacing
against Discord's window edges), while an editor's few requests on a quiet bot go at once.

Waiting requests leave in priority order, then first come first served: whatever an
editor or a reader is waiting on (cards, thread events, anything a command does) before
notices, before the bulk work of the courier (deliveries, crossposts, copy upkeep,
history reads). The priority travels with the task (`PRIORITY`, set with `priority`).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from enum import IntEnum

LIMIT = 49
PERIOD = 1.0
BURST = 5


class Priority(IntEnum):
    INTERACTIVE = 0
    NOTICE = 1
    BULK = 2


PRIORITY: ContextVar[Priority] = ContextVar("discord_priority", default=Priority.INTERACTIVE)


@contextlib.contextmanager
def priority(level: Priority) -> Iterator[None]:
    """Requests made inside this block (and tasks it starts) wait at `level`."""
    token = PRIORITY.set(level)
    try:
        yield
    finally:
        PRIORITY.reset(token)


class Pacer:
    def __init__(self, limit: int = LIMIT, period: float = PERIOD, burst: int = BURST,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.period, self.burst = limit, period, burst
        self.spacing = period / limit
        self.clock = clock
        self.sent: deque[float] = deque()
        self.slot = float("-inf")  # when the last request was due to start, on the grid
        self.waiting: list[tuple[int, int, asyncio.Future[float]]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self.closed = False

    def close(self) -> None:
        """Shutting down: no new request starts; callers wait here until cancelled."""
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def acquire(self, level: Priority | None = None) -> None:
        """Return when a request may go out now (counted as sent)."""
        loop = asyncio.get_running_loop()
        if self.closed:
            await loop.create_future()
        now = self.clock()
        if not self.waiting and self.delay(now) <= 0:
            self._start(now)
            return
        ticket: asyncio.Future[float] = loop.create_future()
        rank = PRIORITY.get() if level is None else level
        heapq.heappush(self.waiting, (int(rank), next(self._order), ticket))
        if self._timer is None:
            self._release()
        try:
            await ticket
        except asyncio.CancelledError:
            self._give_back(ticket)
            raise

    def _give_back(self, ticket: asyncio.Future[float]) -> None:
        """A waiter was cancelled: if its slot had already been granted (it was let go,
        then cancelled before it ran), no request used it, so the next waiter may."""
        if ticket.cancelled():
            return  # still queued: `_release` drops it
        try:
            self.sent.remove(ticket.result())
        except ValueError:
            return  # already out of the window
        if self._timer is not None:
            self._timer.cancel()
        self._release()

    def delay(self, now: float) -> float:
        """Seconds until the next request may start (0: now)."""
        sent = self.sent
        while sent and sent[0] <= now - self.period:
            sent.popleft()
        wait = 0.0
        if len(sent) >= self.limit:
            wait = sent[0] + self.period - now
        if len(sent) >= self.burst:
            wait = max(wait, self.slot + self.spacing - now)
        return max(wait, 0.0)

    def _start(self, now: float) -> None:
        """Count a request starting now. Spacing keeps to a grid: a start a timer let go
        a little late (the event loop's wake-up lag) keeps the next one due where the grid
        says, so the lag does not add up into a slower rate (45/s instead of 49/s in the
        500-channel fan-out). The window itself counts the real start times."""
        due = self.slot + self.spacing
        self.slot = due if 0 <= now - due < self.spacing else now
        self.sent.append(now)

    def _release(self) -> None:
        """Let waiting requests go while the window has room; then wake up when it will."""
        self._timer = None
        if self.closed:
            return
        while self.waiting:
            ticket = self.waiting[0][2]
            if ticket.done():  # its request was cancelled while waiting
                heapq.heappop(self.waiting)
                continue
            now = self.clock()
            wait = self.delay(now)
            if wait > 0:
                self._timer = asyncio.get_running_loop().call_later(wait, self._release)
                return
            heapq.heappop(self.waiting)
            self._start(now)
            ticket.set_result(now)  # the slot's time, to give it back if cancelled now
