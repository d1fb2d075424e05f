"""(f) The public archive: page latency at 100,000 stories, and the bot's interaction
acks while the web server answers 200 page requests per second.

1. An archive of N published stories (generated text, bench/_corpus.py; 1% corrected,
   0.1% retracted) served by `bot.web.server.WebServer` on its own; pages are fetched
   one at a time over loopback from the same process (client time included):
   random story pages, the home page, page 500 of it, the corrections log, searches and
   the two feeds.
2. The real bot (fake Discord in its own thread) with the web server on and 10,000
   stories; a separate process (`bench._load`) sends 200 page requests per second for
   S seconds while editors' commands are fired every 0.5 s; their ack latency (the
   fake's clock: dispatch to the interaction callback) is compared with an idle bot,
   and the bot's event-loop lag is sampled.

Run: .venv/bin/python -m bench.web [--quick] [--shared-loop]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path

import aiohttp

from bench._corpus import TextGen, fill_published
from bench._harness import LagSampler, Report, fmt, ms, newsroom, run_main, spread
from bench.fanout import idle_probes, probes_during, report_probes
from bot.config import load_settings
from bot.web.health import GatewayState, Probes
from bot.web.server import WebServer
from storage.store import Store
from storage.worker import AsyncStore

ROOT = Path(__file__).resolve().parent.parent


def damage(store: Store, n: int, rng: random.Random) -> None:
    """Corrections on 1% of the stories, retractions of 0.1%, written as the store would."""
    with store.atomic():
        for story_id in rng.sample(range(1, n + 1), n // 100):
            store.db.execute(
                "INSERT INTO corrections (story_id, kind, text, revision, editor_id, "
                "created_at) VALUES (?, 'correction', 'An earlier version misstated a "
                "figure.', 1, 1, '2026-11-25T10:00:00.000000+00:00')", [story_id])
        for story_id in rng.sample(range(1, n + 1), max(n // 1000, 1)):
            store.db.execute("UPDATE stories SET status = 'retracted', retraction_reason = "
                             "'The source withdrew it.', retracted_at = "
                             "'2026-11-26T10:00:00.000000+00:00' WHERE id = ?", [story_id])
            store.db.execute("UPDATE archive SET status = 'retracted', body = '' "
                             "WHERE story_id = ?", [story_id])


async def timed(session: aiohttp.ClientSession, url: str) -> float:
    started = time.perf_counter()
    async with session.get(url) as response:
        await response.read()
        assert response.status == 200, (url, response.status)
    return time.perf_counter() - started


async def pages(report: Report, args: argparse.Namespace, tmp: Path) -> None:
    n = 20_000 if args.quick else 100_000
    requests = 300 if args.quick else 1000
    path = tmp / "archive.db"
    started = time.monotonic()
    store = Store(path)
    gen = TextGen()
    fill_published(store, n, gen, revisions=True)
    damage(store, n, random.Random(3))
    store.close()
    report.header(f"archive pages at {n:,} stories", stories=n, requests=requests,
                  client="aiohttp, same process, one request at a time over loopback")
    report.line("filling the archive (setup)", fmt(time.monotonic() - started, 1), "s")
    settings = load_settings(None, NEWSROOM_DB=str(path), NEWSROOM_HTTP="127.0.0.1:0",
                             NEWSROOM_GUILD_ID="1", NEWSROOM_PUBLIC_URL="https://n.example")
    astore = await AsyncStore(path).open()
    server = WebServer(settings, astore, Probes(lambda: GatewayState("connected", 40.0),
                                                lambda: None, lambda: "UTC"))
    await server.start()
    rng = random.Random(5)
    words = [w for w in gen.words[100:600] if len(w) >= 4]
    try:
        async with aiohttp.ClientSession() as session:
            base = server.url
            for _ in range(50):  # warm the page cache and the templates
                await timed(session, f"{base}/stories/{rng.randint(1, n)}")
            story = [await timed(session, f"{base}/stories/{rng.randint(1, n)}")
                     for _ in range(requests)]
            s = spread(ms(t) for t in story)
            report.row(f"story page at {n:,} stories p50 / p95 / max",
                       f"{fmt(s['p50'], 2)} / {fmt(s['p95'], 2)} / {fmt(s['max'], 2)}", "ms",
                       f"n={s['n']}, goal p95 < 20 ms")
            for label, make, count in (
                    ("home page /", lambda: "/", 100),
                    ("home page ?page=500", lambda: "/?page=500", 50),
                    ("corrections log", lambda: "/corrections", 50),
                    ("search ?q=<word>", lambda: f"/search?q={rng.choice(words)}", 100)):
                times = [await timed(session, base + make()) for _ in range(count)]
                s = spread(ms(t) for t in times)
                report.line(f"{label} p50 / p95 / max",
                            f"{fmt(s['p50'], 2)} / {fmt(s['p95'], 2)} / {fmt(s['max'], 2)}",
                            "ms", f"n={s['n']}")
            for feed in ("/feed.atom", "/feed.json"):
                cold = await timed(session, base + feed)
                warm = spread([ms(await timed(session, base + feed)) for _ in range(50)])
                report.line(f"{feed} first (built) / then p95 (cached)",
                            f"{fmt(ms(cold), 1)} / {fmt(warm['p95'], 2)}", "ms")
    finally:
        await server.stop()
        await astore.close()


async def acks_under_load(report: Report, args: argparse.Namespace, tmp: Path) -> None:
    stories, seconds, rate = (3_000, 8, 200.0) if args.quick else (10_000, 20, 200.0)
    probes = int(seconds * 2)
    report.header(f"interaction acks while the web server answers {rate:.0f} pages/s",
                  stories=stories, seconds=seconds, rate=rate, probes=probes,
                  load="bench._load in its own process: 80% story pages, 10% /, "
                       "5% /feed.atom, 5% /search",
                  fakes="shared loop (e2e layout)" if args.shared_loop
                  else "own thread + loop (bot loop measured alone)")
    async with newsroom(tmp, own_thread=not args.shared_loop,
                        NEWSROOM_HTTP="127.0.0.1:0") as (fakes, room):
        await room.bot.store.run(lambda s: fill_published(s, stories, TextGen(seed=2),
                                                          revisions=True))
        idle = await idle_probes(fakes, 10)
        sampler = LagSampler().start()
        load = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench._load", room.bot.web.url, "--rate", str(rate),
            "--seconds", str(seconds), "--stories", str(stories),
            stdout=asyncio.subprocess.PIPE, cwd=ROOT)
        t0 = time.monotonic()
        await asyncio.sleep(1.0)  # let the load reach its rate
        during = await probes_during(fakes, probes, seconds - 2)
        out, _ = await load.communicate()
        t1 = time.monotonic()
        await sampler.stop()
    figures = json.loads(out.decode().strip().splitlines()[-1])
    report.row("pages answered / sent", f"{figures['answered']} / {figures['sent']}", "",
               f"errors {figures['errors']}, statuses {figures['statuses']}")
    report.row("achieved page rate", fmt(figures["rate"], 1), "req/s")
    report.row("page latency under load p50 / p95 / max",
               f"{fmt(figures['p50_ms'], 1)} / {fmt(figures['p95_ms'], 1)} / "
               f"{fmt(figures['max_ms'], 1)}", "ms", "as the load process saw it")
    report_probes(report, "idle", idle, summary=True)
    report_probes(report, f"during {rate:.0f} pages/s", during, summary=True)
    lag = spread(ms(x) for x in sampler.between(t0, t1))
    report.row("event-loop lag during the load p99 / max",
               f"{fmt(lag['p99'], 1)} / {fmt(lag['max'], 1)}", "ms", f"n={lag['n']}")


async def body(report: Report, args: argparse.Namespace, tmp: Path) -> None:
    await pages(report, args, tmp)
    await acks_under_load(report, args, tmp)


def main() -> None:
    run_main("web", __doc__.splitlines()[0], body)


if __name__ == "__main__":
    main()
