"""What every benchmark shares: the fakes, the real bot, percentiles and the report.

The e2e harness (`tests/e2e/conftest.py`) runs the fake Discord, the fake Anthropic
and the bot on one event loop. That is right for tests, but a benchmark on it would
charge the fakes' own work (JSON, routing, rate limit bookkeeping for hundreds of
requests) to the bot's loop. By default the benchmarks therefore run both fakes on a
private event loop in a second thread (`Fakes(own_thread=True)`); the bot runs on the
main loop exactly as `tests.e2e.conftest.Newsroom` starts it. Both threads still share
the GIL, so CPU work in the fakes can delay the bot by up to the interpreter's switch
interval (5 ms); `--shared-loop` restores the e2e layout for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tests.conftest import SETTING_PREFIXES

T = TypeVar("T")

# --------------------------------------------------------------------------- numbers


def pct(values: Iterable[float], q: float) -> float:
    """Percentile `q` (0-100) with linear interpolation; nan for no values."""
    data = sorted(values)
    if not data:
        return math.nan
    if len(data) == 1:
        return data[0]
    pos = (len(data) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def spread(values: Iterable[float]) -> dict[str, float]:
    data = list(values)
    return {"n": len(data), "p50": pct(data, 50), "p90": pct(data, 90), "p95": pct(data, 95),
            "p99": pct(data, 99), "max": max(data) if data else math.nan,
            "mean": statistics.fmean(data) if data else math.nan}


def fmt(value: float, digits: int = 1) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{value:,.{digits}f}"


def ms(seconds: float) -> float:
    return seconds * 1000.0


# --------------------------------------------------------------------------- report


@dataclass
class Report:
    """Figures of one benchmark: printed as they come, and rows for the summary table."""

    bench: str
    settings: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    goals: list[dict[str, Any]] = field(default_factory=list)

    def header(self, title: str, **settings: Any) -> None:
        self.settings.update(settings)
        print(f"\n=== {self.bench}: {title}")
        for key, value in settings.items():
            print(f"    setting  {key} = {value}")

    def line(self, label: str, value: str, unit: str = "", note: str = "") -> None:
        print(f"    {label:<52} {value:>15} {unit:<6} {note}".rstrip())

    def row(self, metric: str, value: str, unit: str = "", note: str = "") -> None:
        """A figure that also goes into the summary table of `python -m bench`."""
        self.line(metric, value, unit, note)
        self.rows.append({"bench": self.bench, "metric": metric, "value": value,
                          "unit": unit, "note": note})

    def goal(self, figure: str, value: float, goal: float, shown: str, goal_shown: str,
             detail: str = "") -> None:
        """A figure with a target (lower is better), for the goals table of `python -m
        bench`: `shown` is how the value reads (with its unit), `detail` what it is made of.
        """
        self.goals.append({"figure": figure, "value": value, "goal": goal, "shown": shown,
                           "goal_shown": goal_shown, "detail": detail})

    def note(self, text: str) -> None:
        print(f"    note: {text}")
        self.notes.append(text)

    def save(self, path: str | None) -> None:
        if path:
            Path(path).write_text(json.dumps(
                {"bench": self.bench, "settings": self.settings, "rows": self.rows,
                 "notes": self.notes, "goals": self.goals}, default=str, indent=1))


def bench_args(description: str,
               extra: Callable[[argparse.ArgumentParser], None] | None = None
               ) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    if extra is not None:
        extra(parser)
    parser.add_argument("--quick", action="store_true", help="smaller, faster run")
    parser.add_argument("--shared-loop", action="store_true",
                        help="run the fakes on the bot's event loop (the e2e layout)")
    parser.add_argument("--summary", metavar="PATH", help="write the figures as JSON here")
    return parser.parse_args()


def prepare_process(log_level: int = logging.WARNING) -> Path:
    """No setting leaks in from the machine; a scratch working dir (no `.env` read)."""
    for key in list(os.environ):
        if key.startswith(SETTING_PREFIXES):
            del os.environ[key]
    logging.basicConfig(level=log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    logging.getLogger("discord").setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:  # as bot.log does: voice is not used
        handler.addFilter(lambda r: "voice will NOT be supported" not in r.getMessage())
    tmp = Path(tempfile.mkdtemp(prefix="newsroom-bench-"))
    os.chdir(tmp)
    return tmp


def run_main(name: str, description: str,
             body: Callable[[Report, argparse.Namespace, Path], Awaitable[None]],
             extra: Callable[[argparse.ArgumentParser], None] | None = None) -> None:
    """Entry point shared by the bench modules."""
    args = bench_args(description, extra)
    tmp = prepare_process()
    report = Report(name)
    started = time.monotonic()
    try:
        asyncio.run(body(report, args, tmp))
    finally:
        report.settings["wall_seconds"] = round(time.monotonic() - started, 1)
        print(f"    ({name} took {time.monotonic() - started:.1f} s wall time)")
        report.save(args.summary)
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- the fakes


class Fakes:
    """FakeDiscord + FakeAnthropic, on a private loop in a thread or on the caller's loop.

    Everything that touches the fakes' state goes through `call` (a coroutine) or `sync`
    (a plain function), so it runs on the fakes' loop whichever layout is used.
    """

    def __init__(self, *, own_thread: bool = True,
                 anthropic_factory: Callable[[], Any] | None = None) -> None:
        self.own_thread = own_thread
        self.anthropic_factory = anthropic_factory
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.discord: Any = None
        self.claude: Any = None

    async def start(self) -> Fakes:
        from tests.fakes.fake_anthropic import FakeAnthropic
        from tests.fakes.fake_discord import FakeDiscord

        if self.own_thread:
            self.loop = asyncio.new_event_loop()
            self.thread = threading.Thread(target=self._serve, name="fakes", daemon=True)
            self.thread.start()
        self.discord = await self.sync(FakeDiscord)
        self.claude = await self.sync(self.anthropic_factory or FakeAnthropic)
        await self.call(self.discord.start())
        await self.call(self.claude.start())
        return self

    def _serve(self) -> None:
        assert self.loop is not None
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    async def call(self, coro: Coroutine[Any, Any, T]) -> T:
        if not self.own_thread:
            return await coro
        assert self.loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    async def sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        async def wrapper() -> T:
            return fn(*args, **kwargs)

        return await self.call(wrapper())

    async def stop(self) -> None:
        if self.claude is not None:
            await self.call(self.claude.stop())
        if self.discord is not None:
            await self.call(self.discord.stop())
        if self.own_thread and self.loop is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            assert self.thread is not None
            self.thread.join(timeout=10)
            self.loop.close()

    # shortcuts used by several benchmarks
    async def invoke(self, user: str, command: str, options: dict | None = None,
                     **kw: Any) -> Any:
        return await self.call(self.discord.invoke(user, command, options or {}, **kw))

    async def wait_response(self, handle: Any, timeout: float = 10.0) -> Any:
        return await self.call(handle.wait_response(timeout=timeout))

    async def channel_messages(self, channel: int) -> list[dict]:
        return await self.sync(self.discord.channel_messages, channel)


@contextlib.asynccontextmanager
async def newsroom(tmp: Path, *, own_thread: bool = True,
                   anthropic_factory: Callable[[], Any] | None = None,
                   fakes: Fakes | None = None, **env: Any):
    """The real NewsroomBot on this loop, set up like the e2e `newsroom` fixture.

    Yields (fakes, room): `room` is a `tests.e2e.conftest.Newsroom`, so `room.bot`,
    `room.user(...)`, `room.channel(...)` and `tests.e2e.helpers.make_story(room, ...)`
    work as in the tests; interactions go through `fakes.invoke`. Given `fakes` (already
    started), the bot uses them and leaves them running.
    """
    from tests.e2e.conftest import Newsroom, newsroom_env

    own_fakes = fakes is None
    if fakes is None:
        fakes = await Fakes(own_thread=own_thread, anthropic_factory=anthropic_factory).start()
    room = Newsroom(fakes.discord, fakes.claude, tmp, newsroom_env(fakes.discord, fakes.claude))
    room.env.update(env)
    try:
        await room.start()
        await fakes.call(fakes.discord.wait_until_connected(timeout=10))
        yield fakes, room
    finally:
        with contextlib.suppress(Exception):
            await room.stop()
        if own_fakes:
            await fakes.stop()


# --------------------------------------------------------------------------- loop lag


async def subscribe_channels(fakes: Fakes, room: Any, count: int,
                             ids: list[int] | None = None) -> list[int]:
    """`count` new channels in the other server (or the channels `ids`), subscribed the
    way /subscribe stores them."""
    fake = fakes.discord
    other = fake.world.other_guild_id
    if ids is None:
        ids = await fakes.sync(fake.add_text_channels, other, count, "sub")
    admin2 = room.user("admin2")

    def subscribe_all(store: Any) -> None:
        for channel_id in ids:
            store.outbox.add_destination(kind="subscriber", guild_id=other, channel_id=channel_id,
                                  added_by=admin2)

    await room.bot.store.run(subscribe_all)
    return ids


class LagSampler:
    """Sleeps `interval` in a loop on the current event loop and records the overshoot.

    The overshoot of one sleep is how long a ready callback waited behind other work
    on the loop (plus the timer's own granularity): the lag every interaction and
    gateway heartbeat would have seen at that moment.
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.samples: list[tuple[float, float]] = []  # (monotonic time, overshoot s)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> LagSampler:
        self._task = asyncio.create_task(self._run(), name="lag-sampler")
        return self

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.interval)
            after = time.perf_counter()
            self.samples.append((time.monotonic(), after - before - self.interval))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def last_wake(self) -> float:
        return self.samples[-1][0] if self.samples else time.monotonic()

    def between(self, start: float, end: float) -> list[float]:
        """Overshoots (seconds) of the samples that ended inside [start, end]."""
        return [lag for at, lag in self.samples if start <= at <= end]


class GcWatch:
    """Records every garbage collection (process-wide: a collection started by any thread
    stops all Python code): (start time, generation, duration s)."""

    def __init__(self) -> None:
        self.collections: list[tuple[float, int, float]] = []
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.monotonic()
        else:
            self.collections.append((self._started, info["generation"],
                                     time.monotonic() - self._started))

    def start(self) -> GcWatch:
        import gc

        gc.callbacks.append(self._callback)
        return self

    def stop(self) -> None:
        import gc

        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def between(self, start: float, end: float) -> list[tuple[float, int, float]]:
        return [c for c in self.collections if start <= c[0] <= end]


class StallWatch:
    """A thread that, while the loop is stalled (no sampler wake-up for `threshold`),
    snapshots the loop thread's Python stack: what the loop was busy with.

    It needs the GIL to look, so a stall inside C code holding the GIL is seen late."""

    def __init__(self, sampler: LagSampler, threshold: float = 0.03) -> None:
        self.sampler = sampler
        self.threshold = threshold
        self.loop_thread = threading.get_ident()
        self.stalls: list[tuple[float, list[str]]] = []  # (time, stack lines)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="stall-watch", daemon=True)

    def start(self) -> StallWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _watch(self) -> None:
        import traceback

        seen = 0.0
        while not self._stop.wait(0.004):
            last = self.sampler.last_wake()
            if last == seen or time.monotonic() - last < self.sampler.interval + self.threshold:
                continue
            frame = sys._current_frames().get(self.loop_thread)
            if frame is None:
                continue
            stack = [f"{Path(f.filename).name}:{f.lineno} {f.name}"
                     + (" *" if "/work/main/" in f.filename and ".venv" not in f.filename
                        else "")
                     for f in traceback.extract_stack(frame)]
            self.stalls.append((time.monotonic(), stack))
            seen = last
