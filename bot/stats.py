"""Newsroom figures for `/newsroom stats`, and their chart.

The figures are computed in SQL on the store's thread; the chart is drawn with
matplotlib (Agg backend, no display) in a worker thread, so neither blocks the loop.
"""

from __future__ import annotations

import asyncio
import io
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from storage.records import iso, utcnow
from storage.store import Store
from storage.worker import AsyncStore


@dataclass
class Stats:
    days: int
    since: datetime
    requested: int = 0
    requested_ai: int = 0
    published: int = 0
    median_hours_to_publish: float | None = None
    corrections: int = 0
    retractions: int = 0
    tickets: dict[str, dict[str, int]] = field(default_factory=dict)
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0
    per_day: list[tuple[date, int, int]] = field(default_factory=list)

    @property
    def corrections_per_story(self) -> float:
        return self.corrections / self.published if self.published else 0.0


def _scalar(store: Store, sql: str, params: list) -> int | float:  # type: ignore[type-arg]
    row = store._one(sql, params)
    return next(iter(row.values())) or 0 if row else 0


def compute(store: Store, days: int, now: datetime | None = None) -> Stats:
    """Every figure of the window, from one consistent read of the database."""
    now = now or utcnow()
    since = now - timedelta(days=days)
    start = iso(since)
    stats = Stats(days=days, since=since)
    with store.atomic():  # one snapshot for every query
        stats.requested = int(_scalar(store, "SELECT count(*) FROM stories WHERE created_at >= ?",
                                      [start]))
        stats.requested_ai = int(_scalar(
            store, "SELECT count(*) FROM stories WHERE created_at >= ? AND origin = 'ai'", [start]))
        published = store._rows("SELECT created_at, published_at FROM stories WHERE "
                                "published_at >= ?", [start])
        stats.published = len(published)
        hours = [(datetime.fromisoformat(r["published_at"]) -
                  datetime.fromisoformat(r["created_at"])).total_seconds() / 3600
                 for r in published]
        stats.median_hours_to_publish = statistics.median(hours) if hours else None
        stats.corrections = int(_scalar(
            store, "SELECT count(*) FROM corrections WHERE created_at >= ?", [start]))
        stats.retractions = int(_scalar(
            store, "SELECT count(*) FROM stories WHERE retracted_at >= ?", [start]))
        for row in store._rows("SELECT kind, status, count(*) AS n FROM tickets WHERE "
                               "created_at >= ? GROUP BY kind, status", [start]):
            stats.tickets.setdefault(row["kind"], {})[row["status"]] = row["n"]
        usage = store._one(
            "SELECT coalesce(sum(input_tokens), 0) AS i, coalesce(sum(output_tokens), 0) AS o, "
            "coalesce(sum(cache_read_tokens), 0) AS c, coalesce(sum(cost_usd), 0) AS usd "
            "FROM revisions WHERE author_kind = 'ai' AND created_at >= ?", [start]) or {}
        stats.input_tokens, stats.output_tokens = int(usage["i"]), int(usage["o"])
        stats.cache_read_tokens, stats.cost_usd = int(usage["c"]), float(usage["usd"])
        stats.per_day = _per_day(store, since, now)
    return stats


def _per_day(store: Store, since: datetime, now: datetime) -> list[tuple[date, int, int]]:
    requested = {r["d"]: r["n"] for r in store._rows(
        "SELECT substr(created_at, 1, 10) AS d, count(*) AS n FROM stories WHERE "
        "created_at >= ? GROUP BY d", [iso(since)])}
    published = {r["d"]: r["n"] for r in store._rows(
        "SELECT substr(published_at, 1, 10) AS d, count(*) AS n FROM stories WHERE "
        "published_at >= ? GROUP BY d", [iso(since)])}
    days = []
    day = since.date()
    while day <= now.date():
        key = day.isoformat()
        days.append((day, requested.get(key, 0), published.get(key, 0)))
        day += timedelta(days=1)
    return days


async def gather(store: AsyncStore, days: int) -> Stats:
    return await store.run(lambda s: compute(s, days))


def draw_chart(stats: Stats, title: str) -> bytes:
    """A PNG: drafts requested and stories published per day."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3.6), dpi=100)
    axes = figure.subplots()
    xs = list(range(len(stats.per_day)))
    width = 0.4
    axes.bar([x - width / 2 for x in xs], [d[1] for d in stats.per_day], width,
             label="drafts requested", color="#1c7ed6")
    axes.bar([x + width / 2 for x in xs], [d[2] for d in stats.per_day], width,
             label="published", color="#2f9e44")
    step = max(1, len(xs) // 10)
    axes.set_xticks(xs[::step], [d[0].strftime("%d %b") for d in stats.per_day][::step])
    axes.set_title(title)
    axes.set_ylabel("stories")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(loc="upper left", frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


async def chart(stats: Stats, title: str) -> bytes:
    return await asyncio.to_thread(draw_chart, stats, title)
