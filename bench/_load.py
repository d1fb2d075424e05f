"""A page-request load generator, run as its own process so its work is not charged to
the bot: GETs at a fixed rate (open loop: a slow answer does not slow the schedule) and
prints one JSON line of figures.

    python -m bench._load URL --rate 200 --seconds 15 --stories 10000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time

import aiohttp

from bench._harness import pct


def paths(stories: int, rng: random.Random) -> str:
    """80% story pages, 10% the home page, 5% the Atom feed, 5% a search."""
    roll = rng.random()
    if roll < 0.80:
        return f"/stories/{rng.randint(1, stories)}"
    if roll < 0.90:
        return "/"
    if roll < 0.95:
        return "/feed.atom"
    return f"/search?q={rng.choice(['court', 'ruling', 'data', 'model', 'said'])}"


async def run(url: str, rate: float, seconds: float, stories: int) -> dict[str, object]:
    rng = random.Random(11)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0

    async def one(session: aiohttp.ClientSession, path: str) -> None:
        nonlocal errors
        started = time.perf_counter()
        try:
            async with session.get(url + path) as response:
                await response.read()
                statuses[response.status] = statuses.get(response.status, 0) + 1
        except (aiohttp.ClientError, TimeoutError):
            errors += 1
            return
        latencies.append(time.perf_counter() - started)

    tasks = []
    connector = aiohttp.TCPConnector(limit=64)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.perf_counter()
        n = int(rate * seconds)
        for i in range(n):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(session, paths(stories, rng))))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - start
    ms = [x * 1000 for x in latencies]
    return {"sent": n, "answered": len(latencies), "errors": errors, "statuses": statuses,
            "rate": n / wall, "p50_ms": pct(ms, 50), "p95_ms": pct(ms, 95),
            "max_ms": max(ms) if ms else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--stories", type=int, default=1000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.url, args.rate, args.seconds, args.stories))))


if __name__ == "__main__":
    main()
