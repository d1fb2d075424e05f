"""(b) Archive search (`Archive.search`, FTS5 + bm25 rank) over 100,000 published stories.

The archive is filled in one transaction straight through the Store's sqlite-utils
database (stories rows + archive rows; the FTS5 index is filled by its triggers), with
generated text (bench/_corpus.py). Then ~200 queries of four kinds are timed one by one
on the Store (the call `/archive search` makes, minus the worker-thread hop, which is
timed separately through AsyncStore).

Run: .venv/bin/python -m bench.search [--quick]
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from bench._corpus import TextGen, fill_published
from bench._harness import Report, fmt, ms, run_main, spread
from storage.store import Store
from storage.worker import AsyncStore


def queries(gen: TextGen, per_kind: int, seed: int = 7) -> dict[str, list[str]]:
    rng = random.Random(seed)
    common = [w for w in gen.words[:200] if len(w) >= 4]
    middle = [w for w in gen.words[100:1000] if len(w) >= 4]
    return {
        "common word": rng.sample(common, min(per_kind, len(common))),
        "rare name": rng.sample(gen.names, per_kind),
        "two words": [f"{a} {b}" for a, b in (rng.sample(middle, 2) for _ in range(per_kind))],
        "no hit": ["".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(9))
                   for _ in range(per_kind)],
    }


def sizes(path: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in path.parent.glob(path.name + "*")}


def fts_bytes(store: Store) -> int | None:
    try:
        row = store.db.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'archive_fts%'"
                               ).fetchone()
        return int(row[0] or 0)
    except Exception:  # noqa: BLE001 - dbstat is an optional SQLite module
        return None


async def via_worker(path: Path, qs: list[str]) -> list[float]:
    store = await AsyncStore(path).open()
    times = []
    try:
        for q in qs:
            started = time.perf_counter()
            await store.archive.search(q)
            times.append(time.perf_counter() - started)
    finally:
        await store.close()
    return times


async def body(report: Report, args: argparse.Namespace, tmp: Path) -> None:
    n = 20_000 if args.quick else 100_000
    per_kind = 25 if args.quick else 50
    path = tmp / "archive.db"
    report.header(f"archive search over {n:,} published stories",
                  stories=n, queries=f"{per_kind} x 4 kinds", limit=10,
                  tokenizer="FTS5 porter (migration m004)", db=path)
    gen = TextGen(seed=1)
    store = Store(path)
    started = time.perf_counter()
    fill_published(store, n, gen)
    fill = time.perf_counter() - started
    words = store.db.execute("SELECT SUM(length(headline) + length(dek) + length(body)) "
                             "FROM archive").fetchone()[0]
    report.row("fill time (one transaction, FTS via triggers)", fmt(fill, 1), "s",
               f"{n / fill:,.0f} stories/s")
    report.line("archive text", fmt(words / 1e6, 1), "MB", f"{words / n:,.0f} chars/story")
    before = sizes(path)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    after = sizes(path)
    fts = fts_bytes(store)
    report.line("files right after the fill (db + wal)", fmt(sum(before.values()) / 2**20),
                "MiB")
    report.row("database size (after checkpoint)", fmt(after[path.name] / 2**20), "MiB",
               f"FTS index {fmt(fts / 2**20)} MiB" if fts else "")

    kinds = queries(gen, per_kind)
    store.close()
    store = Store(path)  # a fresh connection: the first query pays for opening the index
    first_q = kinds["common word"][0]
    started = time.perf_counter()
    store.archive.search(first_q)
    report.line("first query on a fresh connection", fmt(ms(time.perf_counter() - started)),
                "ms", f"'{first_q}'")

    all_times: list[float] = []
    for kind, qs in kinds.items():
        times, hits = [], []
        for q in qs:
            started = time.perf_counter()
            found = store.archive.search(q)
            times.append(ms(time.perf_counter() - started))
            hits.append(len(found))
        all_times += times
        s = spread(times)
        matching = [store.db.execute("SELECT count(*) FROM archive_fts WHERE archive_fts "
                                     "MATCH ?", [store.db.quote_fts(q)]).fetchone()[0]
                    for q in qs[:10]]
        report.line(f"  {kind}: p50 / p95 / max",
                    f"{fmt(s['p50'], 2)} / {fmt(s['p95'], 2)} / {fmt(s['max'], 2)}", "ms",
                    f"n={s['n']}, matching docs ~{sum(matching) / len(matching):,.0f}, "
                    f"e.g. '{qs[0]}'")
    s = spread(all_times)
    report.row(f"search p50 / p95 / max ({s['n']} queries)",
               f"{fmt(s['p50'], 2)} / {fmt(s['p95'], 2)} / {fmt(s['max'], 2)}", "ms")
    store.close()
    sample = [q for qs in kinds.values() for q in qs[:10]]
    worker = spread(ms(t) for t in await via_worker(path, sample))
    report.line("through AsyncStore (the bot's path) p50 / max",
                f"{fmt(worker['p50'], 2)} / {fmt(worker['max'], 2)}", "ms",
                f"n={worker['n']}, same queries, includes the thread hop")


def main() -> None:
    run_main("search", __doc__.splitlines()[0], body)


if __name__ == "__main__":
    main()
