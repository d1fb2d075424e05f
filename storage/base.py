"""What every part of the store shares: the connection, transactions, row helpers, audit.

The store is split by concern (stories, jobs, review, outbox, tickets, archive,
settings); each part is a `Tables` over the one sqlite-utils `Database`, so a
transaction opened by one part covers the writes of every other part made inside it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from storage.records import iso, utcnow

SQLITE_HEADER = b"SQLite format 3\x00"


class StoreError(Exception):
    """The database cannot be used safely; the message says why and what to do."""


class Conflict(Exception):
    """A row was not in the state the caller expected (someone else acted first)."""


class OverLimit(Exception):
    """An allowance is used up; `retry_at` is when the next one is possible."""

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(f"over the limit until {retry_at.isoformat()}")
        self.retry_at = retry_at


def check_file(path: Path) -> None:
    """Refuse a file that is not an SQLite database before SQLite touches it."""
    if not path.exists():
        return
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a database file")
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    if header and header != SQLITE_HEADER:
        raise StoreError(f"{path} is not an SQLite database; refusing to touch it")


def connect(path: str | Path) -> sqlite3.Connection:
    """The one way this project opens SQLite: busy timeout, foreign keys on."""
    conn = sqlite3.connect(str(path), timeout=5)
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class Tables:
    """One concern's tables over the shared connection."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        """A transaction; nested calls join the outer one (sqlite-utils savepoints)."""
        with self.db.atomic() as db:
            yield db

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict]:
        return list(self.db.query(sql, params))

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> dict | None:
        rows = self.rows(sql, params)
        return rows[0] if rows else None

    def changed(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run a guarded write; how many rows it changed (0: someone acted first)."""
        return int(self.db.execute(sql, params).rowcount or 0)

    def insert(self, table: str, row: dict[str, Any]) -> int:
        return int(self.db[table].insert(row).last_pk)  # type: ignore[union-attr]

    def audit(self, action: str, *, actor_id: int | None, story_id: int | None = None,
              revision: int | None = None, from_status: str | None = None,
              to_status: str | None = None, detail: str | None = None) -> int:
        """One audit row; callers write it inside the transaction of the change."""
        return self.insert("audit", {
            "story_id": story_id, "actor_id": actor_id, "action": action,
            "revision": revision, "from_status": from_status, "to_status": to_status,
            "detail": detail, "created_at": iso(utcnow())})
