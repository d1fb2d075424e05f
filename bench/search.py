"""(b) Archive search (`Archive.search`) over 100,000 and 1,000,000 published stories.

Each archive is a newsroom database built once (bench/_corpus.py `cached_archive`:
stories and archive rows written with executemany in one transaction, the full-text
index rebuilt in bulk) and kept under bench/results/, so a rerun reuses it. Then ~200
queries of four kinds are timed one by one on the Store (the call `/archive search`
makes, minus the worker-thread hop, which is timed separately through AsyncStore). The
quality of each kind is its recall@10: how many of the ten best matches, with every
match ranked by the index's own rank function, the search returned.

Run: .venv/bin/python -m bench.search [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from bench._corpus import TextGen, cached_archive
from bench._harness import Report, fmt, ms, run_main, spread
from storage.archive import RANK_WEIGHTS
from storage.store import Store
from storage.worker import AsyncStore

QUALITY_SAMPLE = 10


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


def fts_bytes(store: Store) -> int | None:
    """Bytes of the full-text index tables (dbstat visits only the tables named)."""
    names = [name for (name,) in store.db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%fts%' "
        "AND sql NOT LIKE '%VIRTUAL%'")]
    try:
        return sum(int(store.db.execute("SELECT pgsize FROM dbstat(?, 1) WHERE name = ?",
                                        ["main", name]).fetchone()[0] or 0) for name in names)
    except Exception:  # noqa: BLE001 - dbstat is an optional SQLite module
        return None


async def via_worker(path: Path, qs: list[str]) -> list[float]:
    store = await AsyncStore(path).open()
    times = []
    try:
        for q in qs:
            started = time.perf_counter()
            await store.archive.search(q)  # the SearchResult is what the bot gets
            times.append(time.perf_counter() - started)
    finally:
        await store.close()
    return times


EXACT = ("SELECT archive.story_id FROM archive_fts JOIN archive ON archive.rowid = "
         "archive_fts.rowid WHERE archive_fts MATCH ? AND archive.status = 'published' "
         f"ORDER BY bm25(archive_fts, {RANK_WEIGHTS}) LIMIT ?")


@dataclass
class Quality:
    """How one query's answer compares with the exact top ten (every match ranked by
    bm25 with the archive's weights, whatever it costs)."""

    recall: float
    about: float        # share of the answer with every word in the headline or dek
    exact_about: float  # the same share of the exact top ten
    age: float          # median age of the answer, days before the newest story
    exact_age: float


def quality(store: Store, query: str, found: list[int], limit: int = 10) -> Quality | None:
    """None when nothing matches."""
    quoted = store.db.quote_fts(query)
    exact = [r[0] for r in store.db.execute(EXACT, [quoted, limit])]
    if not exact or not found:
        return None
    newest = store.db.execute("SELECT max(published_at) FROM archive").fetchone()[0]

    def about(ids: list[int]) -> float:
        return statistics.fmean(bool(store.db.execute(
            "SELECT 1 FROM archive_fts WHERE archive_fts MATCH ? AND rowid = ?",
            [f"{{headline dek}} : ({quoted})", i]).fetchone()) for i in ids)

    def age(ids: list[int]) -> float:
        return statistics.median(store.db.execute(
            "SELECT julianday(?) - julianday(published_at) FROM archive WHERE story_id = ?",
            [newest, i]).fetchone()[0] for i in ids)

    return Quality(len(set(exact) & set(found)) / len(exact), about(found), about(exact),
                   age(found), age(exact))


def describe(qualities: list[Quality]) -> str:
    if not qualities:
        return "no matches to rank"
    mean = {f: statistics.fmean(getattr(q, f) for q in qualities)
            for f in ("recall", "about", "exact_about")}
    ages = {f: statistics.median(getattr(q, f) for q in qualities) for f in ("age", "exact_age")}
    return (f"recall@10 vs exact {fmt(100 * mean['recall'], 0)}%, about it "
            f"{fmt(100 * mean['about'], 0)}% (exact {fmt(100 * mean['exact_about'], 0)}%), "
            f"median age {fmt(ages['age'], 0)} d (exact {fmt(ages['exact_age'], 0)} d)")


async def one_size(report: Report, n: int, per_kind: int, goal_ms: float) -> None:
    started = time.perf_counter()
    path, built = await asyncio.to_thread(cached_archive, n)
    report.line(f"{n:,} stories: corpus", fmt(built if built is not None else
                                              time.perf_counter() - started, 1), "s",
                "built now (executemany, one transaction, FTS rebuilt in bulk)"
                if built is not None else f"cached: {path.name}")
    store = Store(path)
    fts = fts_bytes(store)
    report.line(f"{n:,} stories: database size", fmt(path.stat().st_size / 2**20), "MiB",
                f"FTS index {fmt(fts / 2**20)} MiB" if fts else "")
    gen = TextGen(seed=1)
    kinds = queries(gen, per_kind)
    first_q = kinds["common word"][0]
    started = time.perf_counter()
    store.archive.search(first_q)
    report.line("  first query on a fresh connection", fmt(ms(time.perf_counter() - started)),
                "ms", f"'{first_q}'")
    all_times: list[float] = []
    for kind, qs in kinds.items():
        times, results, broad = [], [], 0
        for q in qs:
            started = time.perf_counter()
            found = store.archive.search(q)
            times.append(ms(time.perf_counter() - started))
            results.append([hit.story_id for hit in found.hits])
            broad += not found.ranked
        all_times += times
        s = spread(times)
        sample = list(zip(qs, results, strict=True))[:QUALITY_SAMPLE]
        matching = [store.db.execute("SELECT count(*) FROM archive_fts WHERE archive_fts "
                                     "MATCH ?", [store.db.quote_fts(q)]).fetchone()[0]
                    for q, _ in sample]
        measured = [m for m in (quality(store, q, found) for q, found in sample) if m]
        report.line(f"  {kind}: p50 / p95 / max",
                    f"{fmt(s['p50'], 2)} / {fmt(s['p95'], 2)} / {fmt(s['max'], 2)}", "ms",
                    f"n={s['n']}, broad {broad}, matching ~{statistics.fmean(matching):,.0f}, "
                    f"e.g. '{qs[0]}'")
        report.line(f"  {kind}: quality (first {len(sample)})", "", "", describe(measured))
    s = spread(all_times)
    report.row(f"{n:,} stories: search p50 / p95 / max ({s['n']} queries)",
               f"{fmt(s['p50'], 2)} / {fmt(s['p95'], 2)} / {fmt(s['max'], 2)}", "ms")
    report.goal(f"archive search p95, {n:,} stories", s["p95"], goal_ms,
                f"{fmt(s['p95'], 2)} ms", f"<= {goal_ms:g} ms",
                f"p50 {fmt(s['p50'], 2)} ms, max {fmt(s['max'], 2)} ms, {s['n']} queries")
    store.close()
    sample = [q for qs in kinds.values() for q in qs[:10]]
    worker = spread(ms(t) for t in await via_worker(path, sample))
    report.line("  through AsyncStore (the bot's path) p50 / max",
                f"{fmt(worker['p50'], 2)} / {fmt(worker['max'], 2)}", "ms",
                f"n={worker['n']}, same queries, includes the thread hop")


async def body(report: Report, args: argparse.Namespace, tmp: Path) -> None:
    sizes = ((20_000, 5.0),) if args.quick else ((100_000, 5.0), (1_000_000, 15.0))
    per_kind = 25 if args.quick else 50
    report.header("archive search (Archive.search) over published stories",
                  stories=", ".join(f"{n:,}" for n, _ in sizes),
                  queries=f"{per_kind} x 4 kinds", limit=10,
                  quality=f"first {QUALITY_SAMPLE} queries of each kind against the exact top 10 "
                          "(every match ranked by bm25 with the archive's column weights): "
                          "recall@10; share with every word in the headline or dek; median "
                          "age of the stories found",
                  corpus="bench/results/ (kept; rebuilt when the schema or generator changes)")
    for n, goal_ms in sizes:
        await one_size(report, n, per_kind, goal_ms)


def main() -> None:
    run_main("search", __doc__.splitlines()[0], body)


if __name__ == "__main__":
    main()
