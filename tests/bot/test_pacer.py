"""The one pacer of Discord's global limit: the window, the order, shutdown, and which
requests it sees (bot/pacer.py, bot/http.py)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque

import pytest

from bot.http import exempt
from bot.pacer import Pacer, Priority, priority


class Starts(deque[float]):
    """The pacer's record of started requests, remembering every start it made (the
    pacer forgets those that left the window)."""

    def __init__(self) -> None:
        super().__init__()
        self.all: list[float] = []

    def append(self, at: float) -> None:
        self.all.append(at)
        super().append(at)

    def remove(self, at: float) -> None:
        self.all.remove(at)
        super().remove(at)


def recording(pacer: Pacer) -> Starts:
    pacer.sent = starts = Starts()
    return starts


async def test_never_more_than_the_limit_in_any_period() -> None:
    pacer = Pacer(limit=5, period=0.2, burst=2)
    starts = recording(pacer)
    done: list[int] = []

    async def one(n: int) -> None:
        await pacer.acquire()
        done.append(n)

    await asyncio.gather(*(one(n) for n in range(17)))
    assert sorted(done) == list(range(17))
    times = starts.all  # the pacer's own clock at each start: no wall time asserted
    assert len(times) == 17
    for first, sixth in zip(times, times[5:], strict=False):
        assert sixth - first >= 0.2  # a sliding window: any 0.2 s holds at most 5
    for k, at in enumerate(times[2:], 1):  # beyond the burst, never ahead of an even grid
        assert at - times[1] >= k * 0.2 / 5 - 1e-9


async def test_a_quiet_pacer_lets_a_few_requests_through_at_once() -> None:
    pacer = Pacer(limit=49, period=1.0, burst=5)
    for _ in range(5):
        request = pacer.acquire()
        with pytest.raises(StopIteration):
            request.send(None)  # done without suspending: no wait at all
    assert pacer.delay(time.monotonic()) > 0  # the sixth is spaced


async def test_an_editors_request_goes_before_queued_bulk_work() -> None:
    pacer = Pacer(limit=2, period=0.2, burst=2)
    order: list[str] = []

    async def request(name: str, level: Priority) -> None:
        with priority(level):
            await pacer.acquire()
        order.append(name)

    await pacer.acquire()
    await pacer.acquire()  # the window is full
    bulk = [asyncio.create_task(request(f"delivery {i}", Priority.BULK)) for i in range(4)]
    await asyncio.sleep(0)
    notice = asyncio.create_task(request("notice", Priority.NOTICE))
    card = asyncio.create_task(request("card edit", Priority.INTERACTIVE))
    await asyncio.gather(*bulk, notice, card)
    assert order[:2] == ["card edit", "notice"]
    assert order[2:] == [f"delivery {i}" for i in range(4)]  # first come, first served


async def test_a_cancelled_waiter_does_not_hold_up_the_others() -> None:
    pacer = Pacer(limit=1, period=0.1, burst=1)
    await pacer.acquire()
    gone = asyncio.create_task(pacer.acquire())
    waiting = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.wait_for(waiting, timeout=5)
    assert gone.cancelled()


async def test_a_waiter_cancelled_once_let_go_gives_its_slot_back() -> None:
    now = [0.0]
    pacer = Pacer(limit=2, period=1.0, burst=2, clock=lambda: now[0])
    await pacer.acquire()
    await pacer.acquire()  # the window is full
    first = asyncio.create_task(pacer.acquire())
    second = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0)
    now[0] = 1.0  # the window has rolled over: both may go
    pacer._release()
    assert len(pacer.sent) == 2
    first.cancel()  # let go, but cancelled before it ran: it sends nothing
    await asyncio.gather(first, second, return_exceptions=True)
    assert first.cancelled() and second.done() and not second.cancelled()
    assert len(pacer.sent) == 1  # only the request that went out counts
    third = pacer.acquire()
    with pytest.raises(StopIteration):
        third.send(None)  # the freed slot: no wait at all
    pacer.close()


async def test_after_close_no_request_starts() -> None:
    pacer = Pacer(limit=1, period=0.1, burst=1)
    await pacer.acquire()
    queued = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0)
    pacer.close()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(pacer.acquire(), timeout=0.3)
    await asyncio.sleep(0.2)  # the window has long rolled over
    assert not queued.done()
    queued.cancel()


@pytest.mark.parametrize(("path", "free"), [
    ("/api/v10/interactions/1234/aW50ZXJhY3Rpb24/callback", True),
    ("/api/v10/webhooks/77/aW50ZXJhY3Rpb24/messages/@original", True),
    ("/api/v10/webhooks/77/aW50ZXJhY3Rpb24", True),
    ("/api/v10/webhooks/88/c29tZSB3ZWJob29r", False),  # another application's webhook
    ("/api/v10/channels/5/messages", False),
    ("/api/v10/channels/5/messages/6/crosspost", False),
    ("/api/v10/users/@me/channels", False),
    ("/api/v10/applications/77/commands", False),
    ("/api/v10/gateway/bot", False),
    ("/gateway", True),  # the gateway's websocket
    ("/attachments/5/6/source.pdf", True),  # a file from the CDN
])
def test_only_interaction_endpoints_are_outside_the_global_limit(path: str, free: bool
                                                                 ) -> None:
    assert exempt(path, 77) is free


def test_late_wake_ups_do_not_slow_the_rate() -> None:
    """Each paced start comes 30 % of a spacing late (the event loop's wake-up lag): the
    next one is still due on the grid, so 49 starts take 1 s, not 1.3 s."""
    pacer = Pacer(limit=49, period=1.0, burst=1)
    now, lag = 0.0, 0.3 * pacer.spacing
    for _ in range(49):
        now += pacer.delay(now) + lag  # the timer fires late
        pacer._start(now)
    starts = list(pacer.sent)
    assert starts[-1] - starts[0] <= 48 * pacer.spacing + lag + 1e-9
    assert all(b - a > 0 for a, b in itertools.pairwise(starts))
