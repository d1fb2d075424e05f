"""(c) Start-up time and idle memory of `newsroom run` (a real subprocess) against the fakes.

Two databases: an empty newsroom database (migrations applied, no rows) and one holding
N published stories (each with a revision, an audit row, an archive row and sent
deliveries to 10 channels: what a newsroom with that history carries). Each case is
started R times on the same file (run 1 also syncs the slash commands, which are then
remembered in the database; later runs are plain restarts). Milestones are read from the
bot's own log timestamps (millisecond resolution) against the wall clock at spawn:

  imports+settings   spawn -> first log line of the bot
  setup_hook         -> "newsroom ready to connect" (store, migrations, cogs, sync, catch-up)
  gateway            -> "has connected to Gateway" (READY received)
  guild wait         -> "connected as" (on_ready: ready, every cog answers; the
                        newsroom's state fires it once every guild of READY arrived)
  resumed            -> "newsroom work resumed" (after ready: draft jobs resumed, catch-up,
                        courier started; not part of the ready figure)

RSS is VmRSS from /proc/<pid>/status after the bot has idled; VmHWM is its peak.

Run: .venv/bin/python -m bench.startup [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

from bench._corpus import TextGen, fill_published
from bench._harness import Fakes, Report, fmt, run_main
from storage.store import Store
from tests.e2e.conftest import newsroom_env
from tests.e2e.process import BotProcess

ROOT = Path(__file__).resolve().parent.parent
STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")
MILESTONES = (("setup_hook", "newsroom ready to connect"),
              ("gateway", "has connected to Gateway"),
              ("guild wait", "connected as"),
              ("resumed", "newsroom work resumed"))


def log_times(text: str) -> tuple[float | None, dict[str, float]]:
    """Wall-clock times of the first log line and of each milestone line."""
    first = None
    found: dict[str, float] = {}
    for line in text.splitlines():
        m = STAMP.match(line)
        if not m:
            continue
        at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
        first = at if first is None else first
        for name, marker in MILESTONES:
            if name not in found and marker in line:
                found[name] = at
    return first, found


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM (and VmRSS's parts: heap and stacks, mapped files) in KiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
            out[key] = int(value.split()[0])
    return out


async def one_run(fakes: Fakes, db: Path, cwd: Path, idle: float) -> dict[str, float]:
    env = {**newsroom_env(fakes.discord, fakes.claude), "NEWSROOM_DB": db,
           "NEWSROOM_LOG_LEVEL": "INFO"}
    cwd.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - set-up, not measured
    proc = BotProcess(env, cwd)
    spawn_wall = time.time()
    started = time.monotonic()
    await proc.start(timeout=60)
    polled = time.monotonic() - started
    try:
        await asyncio.sleep(idle)
        assert proc.proc is not None
        if proc.proc.returncode is not None:
            raise RuntimeError(f"newsroom run exited ({proc.proc.returncode}) while idle:\n"
                               f"{proc.output()[-4000:]}")
        status = proc_status(proc.proc.pid)
    finally:
        await proc.stop()
    first, marks = log_times(proc.output().split("--- run 1 ---")[-1])
    ready = marks.get("guild wait")
    result = {"ready": (ready - spawn_wall) if ready else polled, "polled": polled,
              "rss": status["VmRSS"] / 1024, "hwm": status["VmHWM"] / 1024,
              "anon": status["RssAnon"] / 1024, "file": status["RssFile"] / 1024,
              "threads": status["Threads"]}
    previous = spawn_wall
    for name, at in (("imports+settings", first), *((n, marks.get(n)) for n, _ in MILESTONES)):
        if at is not None:
            result[name] = at - previous
            previous = at
    return result


async def bare_run(report: Report, fakes: Fakes, idle: float) -> str:
    """The floor: a bare discord.py bot (bench._bare) spawned the same way; returns a
    short description of its figures."""
    fake = fakes.discord
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench._bare", fake.api_base, fake.gateway_url, fake.token,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(30):
            while b"bare bot ready" not in await proc.stdout.readline():
                pass
        ready = time.monotonic() - started
        await asyncio.sleep(idle)
        status = proc_status(proc.pid)
    finally:
        proc.terminate()
        await proc.wait()
    text = (f"ready in {fmt(ready, 2)} s, idle RSS {fmt(status['VmRSS'] / 1024)} MiB (heap "
            f"{fmt(status['RssAnon'] / 1024)}, files {fmt(status['RssFile'] / 1024)})")
    report.line("bare discord.py bot (bench._bare)", "", "", text)
    return text


async def body(report: Report, args: argparse.Namespace, tmp: Path) -> None:
    stories = 3_000 if args.quick else 10_000
    runs = 1 if args.quick else 3
    idle = 2.0 if args.quick else 5.0
    report.header("start-up to ready, and idle RSS, of `newsroom run`",
                  runs_per_case=runs, idle_before_rss=f"{idle} s",
                  big_db=f"{stories:,} published stories x (revision, audit, archive, "
                         "10 sent deliveries)")
    empty, full = tmp / "empty" / "newsroom.db", tmp / "full" / "newsroom.db"
    for path in (empty, full):
        path.parent.mkdir()
    Store(empty).close()
    store = Store(full)
    started = time.perf_counter()
    fill_published(store, stories, TextGen(seed=2), destinations=10, revisions=True)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    report.line(f"preparing the {stories:,}-story database", fmt(time.perf_counter() - started),
                "s", f"{full.stat().st_size / 2**20:.1f} MiB")

    fakes = await Fakes(own_thread=False).start()
    try:
        bare = await bare_run(report, fakes, idle)
        for label, db in (("empty db", empty), (f"{stories // 1000}k stories", full)):
            results, crashed = [], 0
            for i in range(runs):
                try:
                    results.append(await one_run(fakes, db, tmp / f"run-{label}-{i}", idle))
                except RuntimeError as exc:  # the bot died: show why, go on with the rest
                    crashed += 1
                    print(f"    !! {label} run {i + 1}: {exc}")
            if not results:
                report.row(f"{label}: spawn -> ready", "CRASHED", "", f"{crashed} run(s)")
                continue
            med = {k: statistics.median(r[k] for r in results) for k in results[0]}
            each = ", ".join(fmt(r["ready"], 2) for r in results) + (
                f"; {crashed} run(s) CRASHED" if crashed else "")
            report.row(f"{label}: spawn -> ready (median of {len(results)})",
                       fmt(med["ready"], 2), "s", f"runs: {each} (run 1 syncs commands)")
            parts = " + ".join(f"{n} {fmt(med[n], 2)}" for n in
                               ("imports+settings", *(m for m, _ in MILESTONES)) if n in med)
            report.line("  of which (median, s)", "", "", parts)
            report.row(f"{label}: idle RSS after {idle:.0f} s (median)", fmt(med["rss"]), "MiB",
                       f"peak VmHWM {fmt(med['hwm'])} MiB; heap and stacks "
                       f"{fmt(med['anon'])} MiB, mapped files {fmt(med['file'])} MiB, "
                       f"{med['threads']:.0f} threads")
            report.goal(f"start-up to ready ({label})", med["ready"], 1.2,
                        f"{fmt(med['ready'], 2)} s", "<= 1.2 s", parts)
            report.goal(f"idle RSS after start-up ({label})", med["rss"], 70,
                        f"{fmt(med['rss'])} MiB", "<= 70 MiB", f"bare bot: {bare}")
    finally:
        await fakes.stop()


def main() -> None:
    run_main("startup", __doc__.splitlines()[0], body)


if __name__ == "__main__":
    main()
