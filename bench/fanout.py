"""(a) Fan-out: one story, `/publish now`, to N subscribed channels + the announcement channel.

The fake Discord enforces Discord's global limit (50 requests/s, fixed 1 s windows) and
the per-channel message buckets (5 per 5 s). While the fan-out runs, editors' commands
(`/draft list`, which answers straight from the database, and `/newsroom status`, which
defers first) are fired at even intervals, and their ack latency (dispatch to the
interaction callback reaching Discord) is compared with the same commands on an idle bot.

Run: .venv/bin/python -m bench.fanout [--quick] [--shared-loop]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

from bench._harness import Fakes, Report, fmt, ms, newsroom, run_main, spread, subscribe_channels
from tests.e2e.helpers import make_story

PROBE_COMMANDS = ("draft list", "newsroom status")


def global_limited_requests(fake: Any) -> int:
    """Requests so far on routes that count toward the global limit."""
    keys = {spec.key for spec in fake.router._routes if spec.global_limit}
    return sum(n for key, n in fake.stats.requests.items() if key in keys)


def counters(fake: Any) -> dict[str, Any]:
    s = fake.stats
    return {"global_429s": s.global_429s, "route_429s": s.route_429s,
            "shared_429s": s.shared_429s, "global_requests": global_limited_requests(fake),
            "requests": dict(s.requests)}


def delivery_census(fake: Any, channels: list[int], story_id: int) -> dict[str, Any]:
    """Per channel: complete copies (the part carrying the buttons) and message times."""
    marker = f"story #{story_id}"
    button = f"newsroom:report:{story_id}"
    copies: dict[int, int] = {}
    parts: dict[int, int] = {}
    times: list[float] = []
    for channel_id in channels:
        n_copies = n_parts = 0
        for record in fake.store.channel_records(channel_id):
            message = record.current
            if not any(marker in ((e.get("author") or {}).get("name") or "")
                       for e in message.get("embeds") or []) and not _has_button(message, button):
                continue
            n_parts += 1
            times.append(record.created_monotonic)
            if _has_button(message, button):
                n_copies += 1
        copies[channel_id], parts[channel_id] = n_copies, n_parts
    return {"copies": copies, "parts": parts, "times": sorted(times)}


def _has_button(message: dict, custom_id: str) -> bool:
    return any(c.get("custom_id") == custom_id for row in message.get("components") or []
               for c in row.get("components") or [])


async def probe(fakes: Fakes, command: str) -> dict[str, float]:
    """One editor command: ack latency (the fake's clock) and time to the final answer."""
    started = time.monotonic()
    handle = await fakes.invoke("editor1", command)
    await fakes.wait_response(handle, timeout=15)
    await fakes.call(handle.wait_final(timeout=30))
    return {"ack": handle.ack_latency, "final": time.monotonic() - started,
            "command": command, "deferred": handle.deferred}


async def idle_probes(fakes: Fakes, count: int) -> list[dict[str, float]]:
    out = []
    for i in range(count):
        out.append(await probe(fakes, PROBE_COMMANDS[i % 2]))
        await asyncio.sleep(0.05)
    return out


async def probes_during(fakes: Fakes, count: int, over: float) -> list[dict[str, float]]:
    """`count` commands fired every over/count seconds, each on its own task."""
    tasks = []
    for i in range(count):
        await asyncio.sleep(over / count)
        tasks.append(asyncio.create_task(probe(fakes, PROBE_COMMANDS[i % 2])))
    return list(await asyncio.gather(*tasks))


def report_probes(report: Report, label: str, results: list[dict[str, float]],
                  summary: bool) -> None:
    acks = spread(ms(r["ack"]) for r in results)
    finals = spread(ms(r["final"]) for r in results)
    put = report.row if summary else report.line
    put(f"{label} ack latency p50 / p95 / max",
        f"{fmt(acks['p50'])} / {fmt(acks['p95'])} / {fmt(acks['max'])}", "ms",
        f"n={acks['n']}")
    report.line(f"{label} time to final answer p50 / max",
                f"{fmt(finals['p50'])} / {fmt(finals['max'])}", "ms")
    for command in PROBE_COMMANDS:
        mine = [ms(r["ack"]) for r in results if r["command"] == command]
        s = spread(mine)
        report.line(f"  /{command} ack p50 / max", f"{fmt(s['p50'])} / {fmt(s['max'])}", "ms",
                    f"n={s['n']}")


async def body(report: Report, args: argparse.Namespace, tmp: Path) -> None:
    n_channels = 150 if args.quick else 500
    n_probes = 10 if args.quick else 20
    report.header(f"one story to {n_channels} subscribed channels + the announcement channel",
                  channels=n_channels + 1, probes=n_probes,
                  fakes="shared loop (e2e layout)" if args.shared_loop
                  else "own thread + loop (bot loop measured alone)",
                  global_limit="50 requests / 1 s window (fake Discord)",
                  article="tests/articles/clean_copyright_ruling.md")
    async with newsroom(tmp, own_thread=not args.shared_loop) as (fakes, room):
        fake = fakes.discord
        setup_started = time.monotonic()
        channels = await subscribe_channels(fakes, room, n_channels)
        report.line("subscribing channels (Outbox.add_destination)",
                    fmt(time.monotonic() - setup_started, 2), "s",
                    "setup, not part of the fan-out")
        story = await make_story(room, "approved")
        targets = [*channels, room.channel("announcements")]
        bound = len(targets) / 50.0

        idle = await idle_probes(fakes, n_probes)
        await asyncio.sleep(1.1)  # let the fake's global window roll over
        before = await fakes.sync(counters, fake)

        t0 = time.monotonic()
        handle = await fakes.invoke("editor1", "publish now", {"story": story})
        probing = asyncio.create_task(probes_during(fakes, n_probes, bound))
        await fakes.wait_response(handle, timeout=15)
        await room.bot.courier.drain(timeout=600)
        drained = time.monotonic()
        during = await probing
        after = await fakes.sync(counters, fake)
        census = await fakes.sync(delivery_census, fake, targets, story)
        publish_ack = handle.ack_latency

    times = census["times"]
    total = (times[-1] - t0) if times else float("nan")
    lost = sum(1 for c in targets if census["copies"][c] == 0)
    dupes = sum(1 for c in targets if census["copies"][c] > 1)
    parts = {census["parts"][c] for c in targets}
    delta = {k: after[k] - before[k] for k in ("global_429s", "route_429s", "shared_429s",
                                                "global_requests")}
    posts = (after["requests"].get("POST /channels/{channel_id}/messages", 0)
             - before["requests"].get("POST /channels/{channel_id}/messages", 0))
    report.line("/publish now ack latency", fmt(ms(publish_ack)), "ms")
    report.row("total fan-out time", fmt(total, 2), "s",
               f"/publish now -> last message in {len(targets)} channels")
    report.row("bound (channels / 50 per s)", fmt(bound, 2), "s")
    report.row("ratio time / bound", fmt(total / bound, 2), "x")
    if len(times) > 1:
        report.line("first message after /publish now", fmt(ms(times[0] - t0)), "ms")
        rate = (len(times) - 1) / (times[-1] - times[0])
        report.line("steady delivery rate", fmt(rate), "msg/s", "bot paces itself at 45/s")
    report.line("messages posted (POST .../messages)", str(posts), "",
                f"{len(targets)} channels x {sorted(parts)} part(s) + notices")
    report.line("global-limited requests during the run", str(delta["global_requests"]), "",
                f"lower bound at 50/s: {fmt(delta['global_requests'] / 50, 2)} s")
    report.row("global 429s", str(delta["global_429s"]))
    report.row("route 429s", str(delta["route_429s"]),
               note=f"+ {delta['shared_429s']} shared (crosspost) 429s")
    report.row("lost (channels without the story)", str(lost))
    report.row("duplicated (channels with > 1 copy)", str(dupes))
    report.line("drain() returned after", fmt(drained - t0, 2), "s",
                "includes the crosspost of the announcement")
    report_probes(report, "idle", idle, summary=False)
    report_probes(report, "during fan-out", during, summary=True)


def main() -> None:
    run_main("fanout", __doc__.splitlines()[0], body)


if __name__ == "__main__":
    main()
