"""The schema, as sqlite-utils migrations (each runs in its own transaction).

Add a migration at the end; never edit one that has shipped. The store refuses a
database that has applied migrations this code does not know (a newer schema).
"""

from __future__ import annotations

import json

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("newsroom")


def known() -> list[str]:
    """Every migration of this code, in order: what the library lists as pending for an
    empty database (it keeps its own list private)."""
    return [m.name for m in migrations.pending(Database(memory=True))]


def unknown(db: Database) -> list[str]:
    """Migrations the database has applied that this code does not know (a newer schema)."""
    return sorted({m.name for m in migrations.applied(db)} - set(known()))


@migrations()
def m001_core(db: Database) -> None:
    """Stories, their revisions, sources and the jobs that draft them."""
    db.execute(
        """
        CREATE TABLE stories (
            id INTEGER PRIMARY KEY,
            status TEXT NOT NULL,
            origin TEXT NOT NULL CHECK (origin IN ('ai', 'human')),
            topic TEXT NOT NULL DEFAULT '',
            length TEXT,
            notes TEXT,
            headline TEXT NOT NULL DEFAULT '',
            requested_by INTEGER NOT NULL,
            last_author_id INTEGER,
            current_revision INTEGER NOT NULL DEFAULT 0,
            failure_reason TEXT,
            schedule_mode TEXT CHECK (schedule_mode IN ('next', 'at')),
            scheduled_for TEXT,
            published_at TEXT,
            retracted_at TEXT,
            retraction_reason TEXT,
            check_override TEXT,
            card_channel_id INTEGER,
            card_message_id INTEGER,
            thread_id INTEGER,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_stories_status ON stories(status)")
    db.execute(
        """
        CREATE TABLE revisions (
            id INTEGER PRIMARY KEY,
            story_id INTEGER NOT NULL REFERENCES stories(id),
            number INTEGER NOT NULL,
            article TEXT NOT NULL,
            author_id INTEGER,
            author_kind TEXT NOT NULL CHECK (author_kind IN ('human', 'ai')),
            reason TEXT NOT NULL DEFAULT '',
            model TEXT,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
            cache_read_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            UNIQUE (story_id, number)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            story_id INTEGER NOT NULL REFERENCES stories(id),
            position INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('text', 'url', 'file', 'pdf')),
            title TEXT NOT NULL DEFAULT '',
            url TEXT,
            filename TEXT,
            media_type TEXT,
            text TEXT,
            data BLOB,
            created_at TEXT NOT NULL,
            UNIQUE (story_id, position)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE draft_jobs (
            id INTEGER PRIMARY KEY,
            story_id INTEGER NOT NULL REFERENCES stories(id),
            kind TEXT NOT NULL CHECK (kind IN ('request', 'revise')),
            instructions TEXT,
            state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed', 'cancelled')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            last_error TEXT,
            requested_by INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_jobs_state ON draft_jobs(state)")


@migrations()
def m002_review(db: Database) -> None:
    """Approvals pinned to a revision, and the audit trail of every action."""
    db.execute(
        """
        CREATE TABLE approvals (
            id INTEGER PRIMARY KEY,
            story_id INTEGER NOT NULL REFERENCES stories(id),
            revision INTEGER NOT NULL,
            editor_id INTEGER NOT NULL,
            note TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (story_id, revision, editor_id)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            story_id INTEGER REFERENCES stories(id),
            actor_id INTEGER,
            action TEXT NOT NULL,
            revision INTEGER,
            from_status TEXT,
            to_status TEXT,
            detail TEXT,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_audit_story ON audit(story_id)")


@migrations()
def m003_publishing(db: Database) -> None:
    """Destinations, deliveries (story x destination) and edition runs."""
    db.execute(
        """
        CREATE TABLE destinations (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('announcement', 'subscriber')),
            guild_id INTEGER NOT NULL,
            channel_id INTEGER NOT NULL UNIQUE,
            added_by INTEGER,
            active INTEGER NOT NULL DEFAULT 1,
            disabled_reason TEXT,
            warned_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            story_id INTEGER NOT NULL REFERENCES stories(id),
            destination_id INTEGER NOT NULL REFERENCES destinations(id),
            channel_id INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'cancelled')),
            message_ids TEXT NOT NULL DEFAULT '[]',
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            next_attempt_at TEXT,
            crosspost TEXT CHECK (crosspost IN ('pending', 'done', 'failed')),
            sending_since TEXT,
            sent_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (story_id, destination_id)
        )
        """
    )
    db.execute("CREATE INDEX idx_deliveries_state ON deliveries(state)")
    db.execute(
        """
        CREATE TABLE edition_runs (
            due_at TEXT PRIMARY KEY,
            ran_at TEXT NOT NULL,
            late_seconds REAL NOT NULL DEFAULT 0,
            published INTEGER NOT NULL DEFAULT 0
        )
        """
    )


@migrations()
def m004_readers(db: Database) -> None:
    """Corrections, reader feedback tickets and the searchable archive."""
    db.execute(
        """
        CREATE TABLE corrections (
            id INTEGER PRIMARY KEY,
            story_id INTEGER NOT NULL REFERENCES stories(id),
            kind TEXT NOT NULL CHECK (kind IN ('correction', 'clarification')),
            text TEXT NOT NULL,
            revision INTEGER NOT NULL,
            editor_id INTEGER NOT NULL,
            ticket_id INTEGER,
            notify INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE tickets (
            id INTEGER PRIMARY KEY,
            story_id INTEGER REFERENCES stories(id),
            user_id INTEGER NOT NULL,
            guild_id INTEGER,
            channel_id INTEGER,
            kind TEXT NOT NULL CHECK (kind IN ('correction', 'clarification', 'tip', 'comment')),
            text TEXT NOT NULL,
            quote TEXT,
            status TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'dismissed')),
            reply TEXT,
            resolved_by INTEGER,
            resolved_at TEXT,
            reader_notified TEXT,
            triage_channel_id INTEGER,
            triage_message_id INTEGER,
            correction_id INTEGER REFERENCES corrections(id),
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_tickets_status ON tickets(status)")
    db.execute("CREATE INDEX idx_tickets_user ON tickets(user_id)")
    db.execute(
        """
        CREATE TABLE archive (
            story_id INTEGER PRIMARY KEY REFERENCES stories(id),
            headline TEXT NOT NULL,
            dek TEXT NOT NULL,
            body TEXT NOT NULL,
            status TEXT NOT NULL,
            published_at TEXT NOT NULL
        )
        """
    )
    db["archive"].enable_fts(
        ["headline", "dek", "body"], create_triggers=True, tokenize="porter"
    )


@migrations()
def m005_settings(db: Database) -> None:
    """Values set with /newsroom setup, and small facts the bot keeps about itself."""
    db.execute(
        """
        CREATE TABLE guild_settings (
            guild_id INTEGER NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            updated_by INTEGER,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (guild_id, key)
        )
        """
    )
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


@migrations()
def m006_pending_crosspost_index(db: Database) -> None:
    """The delivery worker looks for queued crossposts on every pass."""
    db.execute("CREATE INDEX idx_deliveries_crosspost ON deliveries(id) "
               "WHERE state = 'sent' AND crosspost = 'pending'")


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
