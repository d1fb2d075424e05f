"""(a) Fan-out: one story, `/publish now`, to N subscribed channels + the announcement channel,
while 200 slash commands arrive at 50/s, editors' card edits and thread events and team
notices go on; and the floor: a bare discord.py bot answering `/ping` under the same load.

The fake Discord enforces Discord's global limit (50 requests/s, windows opened by the
first request) and the per-route buckets (5 messages per 5 s per channel...). Commands
are fired from the fakes' own loop at an even rate, so the driver costs the bot nothing;
their ack latency is the fake's clock (dispatch to the interaction callback arriving).

1. The floor: `bench._bare.BareBot` (discord.py, one `/ping` answered at once) sends one
   plain message to each of the same channels at 49/s while the same number of `/ping`s
   arrive at the same rate.
2. The newsroom: `/publish now`, then the commands: `/draft list` (answered from the
   database), `/newsroom status` (deferred first), and every 20th a `/publish schedule` or
   `/publish unschedule` of one of 5 stories whose cards are posted (a card edit and a
   thread event each); plus 3 notices to the team (`Notices.team`) a second apart.

The bound is the number of requests the fake counted toward the global limit between
`/publish now` and the last copy, at 50 per second; the figure is the time taken over it.

Run: .venv/bin/python -m bench.fanout [--quick] [--shared-loop]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from pathlib import Path
from typing import Any

from bench._bare import bare_bot
from bench._bare import fan_out as bare_fan_out
from bench._harness import Fakes, Report, fmt, ms, newsroom, run_main, spread, subscribe_channels
from cogs._cards import post_card
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


COMMAND_RATE = 50.0
CARD_STORIES = 5
NOTICES = 3


def watch_global(fake: Any) -> list[float]:
    """From now on, the times at which the fake counts a request toward the global limit
    (instrumentation of the bench: the limiter itself is unchanged)."""
    times: list[float] = []
    limiter = fake.limiter
    original = type(limiter).check_global.__get__(limiter)

    def check_global() -> float | None:
        times.append(time.monotonic())
        return original()

    limiter.check_global = check_global
    return times


async def fire(fake: Any, plan: list[tuple[str, str, dict]], rate: float) -> list[Any]:
    """On the fakes' loop: invoke each command of `plan` at `rate` per second."""
    started = time.monotonic()
    handles = []
    for index, (user, command, options) in enumerate(plan):
        delay = started + index / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        handles.append(await fake.invoke(user, command, options))
    return handles


async def acks_of(handles: list[Any], timeout: float = 30.0) -> list[dict[str, Any]]:
    """On the fakes' loop: each command's ack latency, once all are answered."""
    await asyncio.gather(*(h.wait_response(timeout=timeout) for h in handles),
                         return_exceptions=True)
    return [{"command": h.name, "ack": h.ack_latency, "rejected": bool(h.rejections)}
            for h in handles]


def command_plan(count: int, carded: list[int]) -> list[tuple[str, str, dict]]:
    """Mostly `/draft list` and `/newsroom status`; every 20th changes a card (schedule,
    then later unschedule, of the carded stories in turn)."""
    plan: list[tuple[str, str, dict]] = []
    card_turn = 0
    for index in range(count):
        if carded and index % 20 == 10:
            story = carded[card_turn % len(carded)]
            scheduling = (card_turn // len(carded)) % 2 == 0
            plan.append(("editor1", "publish schedule", {"story": story, "when": "in 300d"})
                        if scheduling else ("editor1", "publish unschedule", {"story": story}))
            card_turn += 1
        else:
            plan.append(("editor1", PROBE_COMMANDS[index % 2], {}))
    return plan


def ack_spread(results: list[dict[str, Any]]) -> dict[str, float]:
    return spread(ms(r["ack"]) for r in results if r["ack"] is not None)


def ack_line(report: Report, label: str, results: list[dict[str, Any]]) -> dict[str, float]:
    s = ack_spread(results)
    missing = sum(1 for r in results if r["ack"] is None)
    report.line(f"{label} ack p50 / p95 / p99 / max",
                f"{fmt(s['p50'])} / {fmt(s['p95'])} / {fmt(s['p99'])} / {fmt(s['max'])}", "ms",
                f"n={s['n']}" + (f", {missing} NOT ANSWERED" if missing else ""))
    return s


async def floor(report: Report, fakes: Fakes, targets: list[int], n_commands: int
                ) -> dict[str, float]:
    """Phase 1: the bare bot's /ping acks while it sends its own fan-out."""
    fake = fakes.discord
    async with bare_bot(fake) as bare:
        await fakes.call(fake.wait_for_commands(timeout=10))
        idle = [await probe(fakes, "ping") for _ in range(20)]
        await asyncio.sleep(1.1)
        before = await fakes.sync(counters, fake)
        firing = asyncio.ensure_future(fakes.call(fire(
            fake, [("editor1", "ping", {})] * n_commands, COMMAND_RATE)))
        sending = asyncio.create_task(bare_fan_out(bare, targets))
        handles = await firing
        results = await fakes.call(acks_of(handles))
        took = await sending
        after = await fakes.sync(counters, fake)
    ack_line(report, "bare bot idle /ping", [{"ack": r["ack"]} for r in idle])
    s = ack_line(report, f"bare bot /ping during its fan-out ({COMMAND_RATE:.0f}/s)", results)
    report.line("bare bot fan-out (plain messages, paced 49/s)", fmt(took, 2), "s",
                f"{len(targets)} channels, {after['global_429s'] - before['global_429s']} "
                "global 429s")
    return s


async def body(report: Report, args: argparse.Namespace, tmp: Path) -> None:
    n_channels = 150 if args.quick else 500
    n_commands = 50 if args.quick else 200
    report.header(f"one story to {n_channels} subscribed channels + the announcement channel",
                  channels=n_channels + 1, commands=f"{n_commands} at {COMMAND_RATE:.0f}/s",
                  card_stories=CARD_STORIES, notices=NOTICES,
                  fakes="shared loop (e2e layout)" if args.shared_loop
                  else "own thread + loop (bot loop measured alone)",
                  global_limit="50 requests / 1 s window (fake Discord)",
                  article="tests/articles/clean_copyright_ruling.md")
    fakes = await Fakes(own_thread=not args.shared_loop).start()
    try:
        fake = fakes.discord
        channels = await fakes.sync(fake.add_text_channels, fake.world.other_guild_id,
                                    n_channels, "sub")
        targets = [*channels, fake.world.channels["announcements"]]
        bare = await floor(report, fakes, targets, n_commands)
        await asyncio.sleep(1.1)
        async with newsroom(tmp, fakes=fakes) as (_, room):
            figures = await newsroom_phase(report, fakes, room, channels, targets, n_commands)
    finally:
        await fakes.stop()
    ratio = figures["ack_p99"] / bare["p99"]
    report.row("ack p99 during fan-out / bare bot p99", fmt(ratio, 2), "x",
               f"{fmt(figures['ack_p99'], 2)} ms vs {fmt(bare['p99'], 2)} ms")
    report.goal("fan-out time / bound", figures["ratio"], 1.03, fmt(figures["ratio"], 2),
                "<= 1.03", f"{fmt(figures['total'], 2)} s / {fmt(figures['bound'], 2)} s "
                f"({figures['requests']} requests)")
    report.goal("global 429s during the fan-out", figures["global_429s"], 0,
                str(figures["global_429s"]), "0", "with card edits, thread events, notices")
    report.goal("interaction ack p99 / bare bot p99", ratio, 2.0, fmt(ratio, 2), "<= 2.0",
                f"{fmt(figures['ack_p99'], 2)} ms vs {fmt(bare['p99'], 2)} ms")


async def newsroom_phase(report: Report, fakes: Fakes, room: Any, channels: list[int],
                         targets: list[int], n_commands: int) -> dict[str, Any]:
    """Phase 2: the newsroom's fan-out with commands, card edits and notices going on."""
    fake = fakes.discord
    setup_started = time.monotonic()
    await subscribe_channels(fakes, room, len(channels), ids=channels)
    story = await make_story(room, "approved")
    carded = [await make_story(room, "approved") for _ in range(CARD_STORIES)]
    for story_id in carded:
        await post_card(room.bot, story_id)
    report.line("set-up (subscriptions, stories, cards)",
                fmt(time.monotonic() - setup_started, 2), "s", "not part of the fan-out")
    idle = await idle_probes(fakes, 20)
    await asyncio.sleep(1.1)  # let the fake's global window roll over
    before = await fakes.sync(counters, fake)
    global_times = await fakes.sync(watch_global, fake)
    plan = command_plan(n_commands, carded)

    t0 = time.monotonic()
    handle = await fakes.invoke("editor1", "publish now", {"story": story})
    firing = asyncio.ensure_future(fakes.call(fire(fake, plan, COMMAND_RATE)))
    noticing = asyncio.create_task(team_notices(room.bot, NOTICES))
    await fakes.wait_response(handle, timeout=15)
    await room.bot.courier.drain(timeout=600)
    drained = time.monotonic()
    results = await fakes.call(acks_of(await firing))
    await noticing
    after = await fakes.sync(counters, fake)
    census = await fakes.sync(delivery_census, fake, targets, story)
    times = census["times"]
    end = times[-1] if times else math.nan
    requests = sum(1 for at in list(global_times) if t0 <= at <= end)
    figures = {"total": end - t0, "requests": requests, "bound": requests / 50.0,
               "global_429s": after["global_429s"] - before["global_429s"]}
    figures["ratio"] = figures["total"] / figures["bound"]
    report_newsroom(report, figures, census, targets, before, after, times, t0)
    report.line("/publish now ack latency", fmt(ms(handle.ack_latency)), "ms")
    report.line("drain() returned after", fmt(drained - t0, 2), "s",
                "includes the crosspost of the announcement")
    report_probes(report, "idle", idle, summary=False)
    for label, chosen in (("/draft list", "draft list"), ("/newsroom status", "newsroom status"),
                          ("card commands", "publish")):
        ack_line(report, f"  {label}", [r for r in results if r["command"].startswith(chosen)])
    s = ack_line(report, f"all {len(results)} commands during the fan-out", results)
    report.row("ack p50 / p99 / max during fan-out",
               f"{fmt(s['p50'], 2)} / {fmt(s['p99'], 2)} / {fmt(s['max'], 2)}", "ms",
               f"n={s['n']}, {COMMAND_RATE:.0f}/s")
    figures["ack_p99"] = s["p99"]
    return figures


async def team_notices(bot: Any, count: int) -> None:
    for index in range(count):
        await asyncio.sleep(1.0)
        await bot.notices.team(f"Bench notice {index + 1}: nothing to do.")


def report_newsroom(report: Report, figures: dict[str, Any], census: dict[str, Any],
                    targets: list[int], before: dict[str, Any], after: dict[str, Any],
                    times: list[float], t0: float) -> None:
    lost = sum(1 for c in targets if census["copies"][c] == 0)
    dupes = sum(1 for c in targets if census["copies"][c] > 1)
    parts = {census["parts"][c] for c in targets}
    delta = {k: after[k] - before[k] for k in ("route_429s", "shared_429s", "global_requests")}
    posts = (after["requests"].get("POST /channels/{channel_id}/messages", 0)
             - before["requests"].get("POST /channels/{channel_id}/messages", 0))
    report.row("total fan-out time", fmt(figures["total"], 2), "s",
               f"/publish now -> last message in {len(targets)} channels")
    report.row("bound (global-limited requests / 50 per s)", fmt(figures["bound"], 2), "s",
               f"{figures['requests']} requests in that time")
    report.row("ratio time / bound", fmt(figures["ratio"], 2), "x")
    report.line("bound by channels alone (channels / 50 per s)", fmt(len(targets) / 50, 2), "s")
    if len(times) > 1:
        report.line("first message after /publish now", fmt(ms(times[0] - t0)), "ms")
        rate = (len(times) - 1) / (times[-1] - times[0])
        report.line("steady delivery rate", fmt(rate), "msg/s")
    report.line("messages posted (POST .../messages)", str(posts), "",
                f"{len(targets)} channels x {sorted(parts)} part(s) + notices, thread events")
    report.line("global-limited requests during the run", str(delta["global_requests"]), "",
                "until drain() returned")
    report.row("global 429s", str(figures["global_429s"]))
    report.row("route 429s", str(delta["route_429s"]),
               note=f"+ {delta['shared_429s']} shared (crosspost) 429s")
    report.row("lost (channels without the story)", str(lost))
    report.row("duplicated (channels with > 1 copy)", str(dupes))


def main() -> None:
    run_main("fanout", __doc__.splitlines()[0], body)


if __name__ == "__main__":
    main()
