"""Counts: what `/healthz`, `/metrics` and `/newsroom stats` report, each read in one pass.

Functions take the `Store` and run on its thread (`await store.run(read_figures)`).
Nothing here returns story text or user ids: only states, counts, models and times.
"""

from __future__ import annotations

import sqlite3
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from storage import spending
from storage.records import Stats, iso, parse_iso
from storage.states import DeliveryState, JobState

if TYPE_CHECKING:
    from storage.store import Store


@dataclass(frozen=True)
class ModelUsage:
    """Tokens and cost of every AI revision written with one model."""

    model: str
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    cost_usd: float


@dataclass(frozen=True)
class Figures:
    """Everything `/metrics` reads from the database."""

    stories: dict[str, int] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)
    draft_jobs: dict[str, int] = field(default_factory=dict)
    tickets: dict[str, int] = field(default_factory=dict)
    models: list[ModelUsage] = field(default_factory=list)


@dataclass(frozen=True)
class LatestJob:
    state: str
    attempts: int
    updated_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class HealthFacts:
    """What `/healthz` needs from the database."""

    writable: bool
    error: str | None = None
    deliveries_pending: int = 0
    deliveries_failed: int = 0
    jobs_waiting: int = 0
    last_answer_model: str | None = None
    last_answer_at: datetime | None = None
    latest_job: LatestJob | None = None


def _by(store: Store, sql: str) -> dict[str, int]:
    return {row["k"]: int(row["n"]) for row in store.db.query(sql)}


def read_figures(store: Store) -> Figures:
    """One consistent snapshot of the counts (a read transaction around them)."""
    with store.atomic():
        usage = store.db.query(
            "SELECT model, sum(input_tokens) AS i, sum(output_tokens) AS o, "
            "sum(cache_creation_tokens) AS cw, sum(cache_read_tokens) AS cr, "
            "sum(cost_usd) AS usd FROM revisions "
            "WHERE author_kind = 'ai' GROUP BY model")
        models = [ModelUsage(r["model"] or "unknown", int(r["i"]), int(r["o"]), int(r["cw"]),
                             int(r["cr"]), float(r["usd"])) for r in usage]
        return Figures(
            stories=_by(store, "SELECT status AS k, count(*) AS n FROM stories GROUP BY k"),
            deliveries=_by(store, "SELECT state AS k, count(*) AS n FROM deliveries GROUP BY k"),
            draft_jobs=_by(store, "SELECT state AS k, count(*) AS n FROM draft_jobs GROUP BY k"),
            tickets=_by(store, "SELECT status AS k, count(*) AS n FROM tickets GROUP BY k"),
            models=models,
        )


def check_writable(store: Store) -> str | None:
    """None when a write transaction can start; else SQLite's reason.

    An UPDATE that matches no row takes the write lock and changes nothing, so it fails
    exactly when a real write would (read-only file or mount, `query_only`, locked).
    """
    try:
        with store.atomic():
            store.db.execute("UPDATE meta SET value = value WHERE key = '~healthz~'")
    except sqlite3.Error as exc:
        return str(exc)
    return None


def health_facts(store: Store) -> HealthFacts:
    error = check_writable(store)
    deliveries = _by(store, "SELECT state AS k, count(*) AS n FROM deliveries "
                            "WHERE state IN ('pending', 'failed') GROUP BY k")
    waiting = store.db["draft_jobs"].count_where("state = ?", [JobState.PENDING])
    answer = next(iter(store.db.query(
        "SELECT model, created_at FROM revisions "
        "WHERE author_kind = 'ai' ORDER BY id DESC LIMIT 1")), None)
    job = next(iter(store.db.query(
        "SELECT state, attempts, updated_at, last_error FROM draft_jobs "
        "ORDER BY id DESC LIMIT 1")), None)
    return HealthFacts(
        writable=error is None, error=error,
        deliveries_pending=deliveries.get(DeliveryState.PENDING, 0),
        deliveries_failed=deliveries.get(DeliveryState.FAILED, 0),
        jobs_waiting=int(waiting),
        last_answer_model=answer["model"] if answer else None,
        last_answer_at=parse_iso(answer["created_at"]) if answer else None,
        latest_job=LatestJob(job["state"], int(job["attempts"]), parse_iso(job["updated_at"]),
                             (job["last_error"] or None) and job["last_error"][:200])
        if job else None,
    )


# ---- /newsroom stats ---------------------------------------------------------------

def _count(store: Store, sql: str, params: list[Any]) -> int:
    row = next(iter(store.db.query(sql, params)), None)
    return int(next(iter(row.values())) or 0) if row else 0


def newsroom_stats(store: Store, days: int, now: datetime) -> Stats:
    """Every figure of `/newsroom stats` for the window, from one consistent read."""
    since = now - timedelta(days=days)
    start = iso(since)
    figures = Stats(days=days, since=since)
    with store.atomic():  # one snapshot for every query
        figures.requested = _count(
            store, "SELECT count(*) FROM stories WHERE created_at >= ?", [start])
        figures.requested_ai = _count(
            store, "SELECT count(*) FROM stories WHERE created_at >= ? AND origin = 'ai'",
            [start])
        published = list(store.db.query("SELECT created_at, published_at FROM stories WHERE "
                                         "published_at >= ?", [start]))
        figures.published = len(published)
        hours = [(datetime.fromisoformat(r["published_at"]) -
                  datetime.fromisoformat(r["created_at"])).total_seconds() / 3600
                 for r in published]
        figures.median_hours_to_publish = statistics.median(hours) if hours else None
        figures.corrections = _count(
            store, "SELECT count(*) FROM corrections WHERE created_at >= ?", [start])
        figures.retractions = _count(
            store, "SELECT count(*) FROM stories WHERE retracted_at >= ?", [start])
        for row in store.db.query("SELECT kind, status, count(*) AS n FROM tickets WHERE "
                                  "created_at >= ? GROUP BY kind, status", [start]):
            figures.tickets.setdefault(row["kind"], {})[row["status"]] = row["n"]
        usage = spending.totals(store.db, start)  # failed attempts cost too
        figures.input_tokens, figures.output_tokens = int(usage["i"]), int(usage["o"])
        figures.cache_read_tokens, figures.cost_usd = int(usage["c"]), float(usage["usd"])
        figures.failed_attempts, figures.failed_usd = usage["failures"], usage["failed_usd"]
        figures.per_day = _per_day(store, since, now)
        figures.issues, figures.issue_stories = store.issues.counts(since)
    return figures


def _per_day(store: Store, since: datetime, now: datetime) -> list[tuple[date, int, int]]:
    counts = {}
    for column in ("created_at", "published_at"):
        counts[column] = {r["d"]: r["n"] for r in store.db.query(
            f"SELECT substr({column}, 1, 10) AS d, count(*) AS n FROM stories WHERE "
            f"{column} >= ? GROUP BY d", [iso(since)])}
    days, day = [], since.date()
    while day <= now.date():
        key = day.isoformat()
        days.append((day, counts["created_at"].get(key, 0),
                     counts["published_at"].get(key, 0)))
        day += timedelta(days=1)
    return days
