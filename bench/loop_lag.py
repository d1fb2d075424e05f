"""(d) Event loop lag of the bot: idle, during a fan-out, and during concurrent AI drafts.

A sampler task on the bot's event loop sleeps 5 ms in a loop and records how late each
wake-up is (the overshoot): the delay any interaction, heartbeat or stream chunk would
have waited at that moment. Phases, one after another on the same bot:

  idle       nothing to do
  fan-out    `/publish now` of one story to N subscribed channels + the announcement
  drafting   5 `/draft request` at once; the fake Anthropic streams each with
             event_delay/chunk_size as in bench.drafting, so progress edits happen

The fakes run on their own loop in another thread (their work is not on the measured
loop, but they share the GIL); `--shared-loop` puts them on the bot's loop, as in the
e2e tests. `--gc-freeze` freezes every object alive once the bot is ready
(`gc.freeze()`), a what-if for the full collections seen in the fan-out. `--diagnose`
turns on asyncio debug mode, lists callbacks slower than 20 ms and prints the loop
thread's stack during stalls (debug mode slows the loop: use it to find culprits, not
for figures).

Run: .venv/bin/python -m bench.loop_lag [--quick] [--shared-loop] [--diagnose] [--gc-freeze]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path
from typing import Any

from bench._drafts import SOURCES, TimedAnthropic, watch_original
from bench._harness import (
    GcWatch,
    LagSampler,
    Report,
    StallWatch,
    fmt,
    ms,
    newsroom,
    pct,
    run_main,
    subscribe_channels,
)
from bench.drafting import CHUNK_SIZE, EVENT_DELAY
from tests.e2e.helpers import make_story

INTERVAL = 0.005
DRAFTS = 5


class SlowCallbacks(logging.Handler):
    """Collects asyncio debug-mode warnings ("Executing <...> took 0.123 seconds")."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "took" in message and "seconds" in message:
            self.seen.append((time.monotonic(), message))


def phase_lines(report: Report, name: str, sampler: LagSampler, window: tuple[float, float],
                summary: bool, slow: SlowCallbacks | None, watch: StallWatch | None,
                gcs: GcWatch) -> None:
    start, end = window
    lags = [ms(x) for x in sampler.between(start, end)]
    put = report.row if summary else report.line
    put(f"{name}: lag max / p99", f"{fmt(max(lags), 1)} / {fmt(pct(lags, 99), 1)}", "ms",
        f"p50 {fmt(pct(lags, 50), 2)} ms, {len(lags)} samples over {end - start:.1f} s, "
        f"{sum(x > 20 for x in lags)} > 20 ms, {sum(x > 50 for x in lags)} > 50 ms")
    worst = sorted(((lag, at) for at, lag in sampler.samples if start <= at <= end),
                   reverse=True)[:3]
    report.line("  worst at (s into the phase)",
                ", ".join(f"{ms(lag):.0f} ms @ {at - start:.2f}" for lag, at in worst))
    collections = gcs.between(start, end)
    full = [c for c in collections if c[1] == 2]
    longest = max(collections, key=lambda c: c[2], default=None)
    report.line("  garbage collections (all / gen 2)", f"{len(collections)} / {len(full)}", "",
                f"longest {fmt(ms(longest[2]), 1)} ms (gen {longest[1]}) @ "
                f"{longest[0] - start:.2f} s" if longest else "")
    if slow is not None:
        for at, message in sorted(m for m in slow.seen if start <= m[0] <= end)[:8]:
            print(f"      slow callback @ {at - start:6.2f} s: {message[:220]}")
    if watch is not None:
        for at, stack in [st for st in watch.stalls if start <= st[0] <= end][:6]:
            print(f"      stalled @ {at - start:6.2f} s, loop thread was in:")
            for frame in stack[-14:]:
                print(f"          {frame}")


async def fan_out(fakes: Any, room: Any, channels: int) -> tuple[float, float]:
    await subscribe_channels(fakes, room, channels)
    story = await make_story(room, "approved")
    await asyncio.sleep(1.0)  # the CHANNEL_CREATE events and set-up settle outside the phase
    start = time.monotonic()
    handle = await fakes.invoke("editor1", "publish now", {"story": story})
    await fakes.wait_response(handle, timeout=15)
    await room.bot.courier.drain(timeout=600)
    return start, time.monotonic()


async def drafts(fakes: Any, count: int) -> tuple[float, float]:
    fake = fakes.discord
    start = time.monotonic()
    handles = await asyncio.gather(*(fakes.invoke("editor1", "draft request", {
        "topic": f"Harbour strike ends ({i + 1})", "sources": SOURCES, "length": "standard"})
        for i in range(count)))
    await asyncio.gather(*(fakes.call(watch_original(fake, h, "ready for review"))
                           for h in handles))
    return start, time.monotonic()


async def body(report: Report, args: argparse.Namespace, tmp: Path) -> None:
    channels = 150 if args.quick else 500
    idle_for = 1.5 if args.quick else 3.0
    report.header("event loop lag of the bot (sampler: sleep 5 ms, record the overshoot)",
                  fakes="shared loop (e2e layout)" if args.shared_loop
                  else "own thread + loop (bot loop measured alone, GIL shared)",
                  fan_out=f"{channels} channels + announcement",
                  drafting=f"{DRAFTS} concurrent requests, event_delay {EVENT_DELAY} s, "
                           f"chunk_size {CHUNK_SIZE}", diagnose=bool(args.diagnose),
                  gc_freeze=bool(args.gc_freeze),
                  switch_interval=f"{sys.getswitchinterval() * 1000:.0f} ms")
    slow = watch = None
    async with newsroom(tmp, own_thread=not args.shared_loop,
                        anthropic_factory=lambda: TimedAnthropic(event_delay=EVENT_DELAY,
                                                                 chunk_size=CHUNK_SIZE)
                        ) as (fakes, room):
        if args.diagnose:
            slow = SlowCallbacks()
            logging.getLogger("asyncio").addHandler(slow)
            loop = asyncio.get_running_loop()
            loop.set_debug(True)
            loop.slow_callback_duration = 0.02
            logging.getLogger("asyncio").propagate = False
        if args.gc_freeze:  # what the bot could do at the end of start-up (see README)
            import gc

            gc.collect()
            gc.freeze()
        gcs = GcWatch().start()
        sampler = LagSampler(INTERVAL).start()
        if args.diagnose:
            watch = StallWatch(sampler).start()
        idle_start = time.monotonic()
        await asyncio.sleep(idle_for)
        idle = (idle_start, time.monotonic())
        fan = await fan_out(fakes, room, channels)
        await asyncio.sleep(0.5)
        draft = await drafts(fakes, DRAFTS)
        await sampler.stop()
        gcs.stop()
        if watch is not None:
            watch.stop()
        stats = fakes.discord.stats
    phase_lines(report, "idle", sampler, idle, False, slow, watch, gcs)
    phase_lines(report, f"fan-out to {channels + 1} channels", sampler, fan, True, slow, watch, gcs)
    phase_lines(report, f"{DRAFTS} concurrent drafts", sampler, draft, True, slow, watch, gcs)
    report.line("Discord 429s over the run (global / route)",
                f"{stats.global_429s} / {stats.route_429s}")


def main() -> None:
    run_main("loop_lag", __doc__.splitlines()[0], body, extra=extra_args)


def extra_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--diagnose", action="store_true",
                        help="asyncio debug mode + stack snapshots of loop stalls")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.collect(); gc.freeze() once the bot is ready (a what-if)")


if __name__ == "__main__":
    main()
