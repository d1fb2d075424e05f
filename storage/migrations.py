"""The schema, as sqlite-utils migrations (each runs in its own transaction).

Add a migration at the end; never edit one that has shipped. The store refuses a
database that has applied migrations this code does not know (a newer schema).
"""

from __future__ import annotations

import json

from sqlite_utils import Database

import storage.migrations_first  # noqa: F401 - registers m001-m006 first, in order
from storage import schema_issues
from storage.registry import migrations

__all__ = ["known", "migrations", "unknown"]


def known() -> list[str]:
    """Every migration of this code, in order: what the library lists as pending for an
    empty database (it keeps its own list private)."""
    return [m.name for m in migrations.pending(Database(memory=True))]


def unknown(db: Database) -> list[str]:
    """Migrations the database has applied that this code does not know (a newer schema)."""
    return sorted({m.name for m in migrations.applied(db)} - set(known()))


@migrations()
def m016_consistency(db: Database) -> None:
    """What each delivered copy shows, which copies need bringing in line, and the
    crossposts made (the hourly budget is counted from them, so it survives restarts)."""
    db.execute("ALTER TABLE deliveries ADD COLUMN shown TEXT")
    db.execute("ALTER TABLE deliveries ADD COLUMN sync INTEGER NOT NULL DEFAULT 0")
    db.execute(
        "UPDATE deliveries SET shown = (SELECT CASE s.status WHEN 'retracted' THEN 'retracted' "
        "ELSE 'r' || s.current_revision || 'c' || (SELECT count(*) FROM corrections c "
        "WHERE c.story_id = s.id) END FROM stories s WHERE s.id = deliveries.story_id) "
        "WHERE state = 'sent'")
    db.execute("UPDATE deliveries SET sync = 1 WHERE state = 'cancelled' AND "
               "(message_ids != '[]' OR sending_since IS NOT NULL)")
    db.execute("CREATE INDEX idx_deliveries_sync ON deliveries(id) WHERE sync = 1")
    db.execute(
        """
        CREATE TABLE crossposts (
            message_id INTEGER PRIMARY KEY,
            channel_id INTEGER NOT NULL,
            delivery_id INTEGER REFERENCES deliveries(id),
            at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_crossposts_channel ON crossposts(channel_id, at)")
    for row in list(db.query("SELECT id, channel_id, message_ids, updated_at FROM deliveries "
                             "WHERE crosspost = 'done'")):
        for message_id in json.loads(row["message_ids"]):
            db.execute("INSERT OR IGNORE INTO crossposts VALUES (?, ?, ?, ?)",
                       [message_id, row["channel_id"], row["id"], row["updated_at"]])


@migrations()
def m012_grounding(db: Database) -> None:
    """What the sources said: the text the web fetch tool returned for a URL source (kept
    in `sources.text`) and when it was fetched, and the passages Claude cited, per
    paragraph of each AI revision."""
    db.execute("ALTER TABLE sources ADD COLUMN fetched_at TEXT")
    db.execute(
        """
        CREATE TABLE citations (
            id INTEGER PRIMARY KEY,
            story_id INTEGER NOT NULL REFERENCES stories(id),
            revision INTEGER NOT NULL,
            paragraph TEXT NOT NULL,
            source INTEGER NOT NULL,
            cited_text TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_citations_revision ON citations(story_id, revision)")
    db.execute("CREATE INDEX idx_sources_url ON sources(url) WHERE url IS NOT NULL")


@migrations()
def m011_web(db: Database) -> None:
    """Indexes for the public archive, its feeds and the operators' figures.

    The home page and feeds read the newest archive rows, a story page its corrections,
    and /metrics and /healthz the AI revisions only (a covering partial index, so the
    token sums never touch the article text).
    """
    db.execute("CREATE INDEX idx_archive_published ON archive(published_at)")
    db.execute("CREATE INDEX idx_corrections_story ON corrections(story_id)")
    db.execute("CREATE INDEX idx_revisions_ai ON revisions(id, model, input_tokens, "
               "output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd) "
               "WHERE author_kind = 'ai'")


@migrations()
def m017_fidelity(db: Database) -> None:
    """Every request to Claude that cost something, failed attempts included, so that
    `/newsroom stats` shows the true cost (revisions keep only what succeeded)."""
    db.execute(
        """
        CREATE TABLE model_usage (
            id INTEGER PRIMARY KEY,
            story_id INTEGER REFERENCES stories(id),
            job_id INTEGER,
            purpose TEXT NOT NULL,
            outcome TEXT NOT NULL,
            model TEXT NOT NULL,
            requests INTEGER NOT NULL DEFAULT 1,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
            cache_read_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_model_usage_created ON model_usage(created_at)")
    db.execute(
        "INSERT INTO model_usage (story_id, job_id, purpose, outcome, model, requests, "
        "input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd, "
        "created_at) SELECT story_id, NULL, 'draft', 'ok', coalesce(model, ''), 1, "
        "input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd, "
        "created_at FROM revisions WHERE author_kind = 'ai'"
    )


@migrations()
def m010_readers(db: Database) -> None:
    """Subscriptions by Discord's channel following (mode 'follow': Discord copies each
    crosspost, so no delivery rows) or by the bot; notices awaiting their crosspost."""
    db.execute("ALTER TABLE destinations ADD COLUMN mode TEXT NOT NULL DEFAULT 'deliver'")
    db.execute("ALTER TABLE destinations ADD COLUMN webhook_id INTEGER")
    db.execute("CREATE TABLE notice_crossposts (message_id INTEGER PRIMARY KEY, "
               "channel_id INTEGER NOT NULL, queued_at TEXT NOT NULL)")


@migrations()
def m015_issues(db: Database) -> None:
    """Editions go out as numbered issues, each with a masthead (`storage.schema_issues`)."""
    schema_issues.create(db)
