"""The public record of what was published: the archive (and its search index) and the
dated corrections every copy carries."""

from __future__ import annotations

from datetime import datetime

from storage.base import Tables
from storage.records import ArchiveHit, Correction, iso, utcnow
from storage.states import State


class Archive(Tables):
    def file(self, story_id: int, doc: dict[str, str], status: State,
             published_at: datetime | None = None) -> None:
        """Put a story's current text in the archive; it keeps its first publication time."""
        existing = self.one("SELECT published_at FROM archive WHERE story_id = ?", [story_id])
        when = existing["published_at"] if existing else iso(published_at or utcnow())
        self.db.execute("DELETE FROM archive WHERE story_id = ?", [story_id])
        self.insert("archive", {"story_id": story_id, "headline": doc["headline"],
                                "dek": doc["dek"], "body": doc["body"], "status": status,
                                "published_at": when})

    def search(self, query: str, limit: int = 10, window: int = 2000) -> list[ArchiveHit]:
        """Ranked full-text search; the user's text is quoted so it cannot be FTS syntax.

        Only the newest `window` matches are ranked: a word found in half of 100,000
        stories would otherwise cost ~100 ms of bm25 on the store's only thread
        (bench/search.py); readers want recent stories for such words anyway.
        """
        quoted = self.db.quote_fts(query)
        if not quoted.strip():
            return []
        rows = self.rows(
            "SELECT archive.story_id, archive.headline, archive.dek, archive.status, "
            "archive.published_at, hits.rank AS rank FROM ("
            "  SELECT rowid, rank FROM archive_fts WHERE archive_fts MATCH ? "
            "  ORDER BY rowid DESC LIMIT ?) AS hits "
            "JOIN archive ON archive.rowid = hits.rowid "
            "WHERE archive.status = ? ORDER BY hits.rank LIMIT ?",
            [quoted, window, State.PUBLISHED, limit],
        )
        return [ArchiveHit.from_row(r) for r in rows]

    def latest(self, limit: int = 5) -> list[ArchiveHit]:
        rows = self.db["archive"].rows_where(
            "status = ?", [State.PUBLISHED], order_by="published_at DESC", limit=limit,
            select="story_id, headline, dek, status, published_at")
        return [ArchiveHit.from_row(r) for r in rows]

    # ---- corrections ---------------------------------------------------------------

    def add_correction(self, story_id: int, *, kind: str, text: str, revision: int,
                       editor_id: int, ticket_id: int | None, notify: bool) -> int:
        return self.insert("corrections", {
            "story_id": story_id, "kind": kind, "text": text, "revision": revision,
            "editor_id": editor_id, "ticket_id": ticket_id, "notify": int(notify),
            "created_at": iso(utcnow())})

    def correction(self, correction_id: int) -> Correction:
        """The correction, or `NotFoundError`."""
        return Correction.from_row(self.db["corrections"].get(correction_id))

    def corrections(self, story_id: int | None = None, limit: int = 50) -> list[Correction]:
        """A story's corrections, oldest first; without a story, the newest of all."""
        if story_id is None:
            rows = self.db["corrections"].rows_where(order_by="id DESC", limit=limit)
        else:
            rows = self.db["corrections"].rows_where("story_id = ?", [story_id], order_by="id")
        return [Correction.from_row(r) for r in rows]

