"""Newsroom figures for `/newsroom stats`, and their chart.

The figures are read on the store's own thread (`storage.figures.newsroom_stats`); the chart is
drawn with matplotlib (Agg backend, no display) in a worker thread, so neither blocks
the loop.
"""

from __future__ import annotations

import asyncio
import io

from storage.figures import newsroom_stats
from storage.records import Stats, utcnow
from storage.states import State
from storage.worker import AsyncStore

__all__ = ["Stats", "chart", "draw_chart", "gather"]


async def gather(store: AsyncStore, days: int) -> Stats:
    return await store.run(lambda s: newsroom_stats(s, days, utcnow()))


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
             label=State.PUBLISHED.label, color="#2f9e44")
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
