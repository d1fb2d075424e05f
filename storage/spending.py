"""What Claude cost: one row per drafting attempt that was billed, failed or not.

A revision records the usage of the attempt that produced it; attempts that ended in an
error after streaming began, a refusal or a cut-off draft were billed too and produce
no revision. `/newsroom stats` sums this table, not the revisions.
"""

from __future__ import annotations

from typing import Any

from storage.records import Usage, iso, utcnow


def record(store: Any, *, story_id: int | None, job_id: int | None, purpose: str,
           outcome: str, requests: int, usage: Usage) -> None:
    """Store what one attempt (all its requests to the API) cost."""
    with store.atomic() as db:
        db["model_usage"].insert({
            "story_id": story_id, "job_id": job_id, "purpose": purpose, "outcome": outcome,
            "model": usage.model or "", "requests": requests,
            "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
            "cache_creation_tokens": usage.cache_creation_tokens,
            "cache_read_tokens": usage.cache_read_tokens, "cost_usd": usage.cost_usd,
            "created_at": iso(utcnow()),
        })


def totals(db: Any, since: str) -> dict[str, Any]:
    """Tokens and dollars spent since an ISO time: i(nput), o(utput), c(ache read), usd,
    and the attempts that produced no draft (failures, failed_usd)."""
    rows = list(db.query(
        "SELECT coalesce(sum(input_tokens), 0) AS i, coalesce(sum(output_tokens), 0) AS o, "
        "coalesce(sum(cache_read_tokens), 0) AS c, coalesce(sum(cost_usd), 0) AS usd, "
        "count(*) AS attempts, coalesce(sum(outcome != 'ok'), 0) AS failures, "
        "coalesce(sum(CASE WHEN outcome != 'ok' THEN cost_usd END), 0) AS failed_usd "
        "FROM model_usage WHERE created_at >= ?", [since]))
    return rows[0]


def for_story(db: Any, story_id: int) -> list[dict[str, Any]]:
    """Every billed attempt of one story, oldest first."""
    return list(db.query("SELECT * FROM model_usage WHERE story_id = ? ORDER BY id",
                         [story_id]))
