"""The schema of the first release (m001-m006), registered on the one registry.

`storage.migrations` imports this module before it registers anything newer, so these
run first, in this order. Never edit a migration that has shipped.
"""

from __future__ import annotations

from sqlite_utils import Database

from storage.registry import migrations


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
