"""Counts for operators: what `/healthz` and `/metrics` report, read in one pass.

Functions take the `Store` and run on its thread (`await store.run(read_figures)`).
Nothing here returns story text or user ids: only states, counts, models and times.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from storage.records import parse_iso

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
    waiting = next(iter(store.db.query(
        "SELECT count(*) AS n FROM draft_jobs WHERE state = 'pending'")))["n"]
    answer = next(iter(store.db.query(
        "SELECT model, created_at FROM revisions "
        "WHERE author_kind = 'ai' ORDER BY id DESC LIMIT 1")), None)
    job = next(iter(store.db.query(
        "SELECT state, attempts, updated_at, last_error FROM draft_jobs "
        "ORDER BY id DESC LIMIT 1")), None)
    return HealthFacts(
        writable=error is None, error=error,
        deliveries_pending=deliveries.get("pending", 0),
        deliveries_failed=deliveries.get("failed", 0),
        jobs_waiting=int(waiting),
        last_answer_model=answer["model"] if answer else None,
        last_answer_at=parse_iso(answer["created_at"]) if answer else None,
        latest_job=LatestJob(job["state"], int(job["attempts"]), parse_iso(job["updated_at"]),
                             (job["last_error"] or None) and job["last_error"][:200])
        if job else None,
    )
