"""The public record of what was published: the archive (and its search index) and the
dated corrections every copy carries."""

from __future__ import annotations

import re
from datetime import datetime

from storage.base import Tables
from storage.records import ArchiveHit, Correction, SearchResult, iso, utcnow
from storage.states import State

NARROW = 2000
"""A word in more stories than this makes a query broad (see `Archive.search`)."""
RANK_WEIGHTS = "10.0, 4.0, 1.0"
"""bm25 weights of headline, dek and body: a story about the word beats one that
mentions it."""
_SELECT = ("SELECT archive.story_id, archive.headline, archive.dek, archive.status, "
           "archive.published_at")
_MATCHING = (" FROM archive_fts JOIN archive ON archive.rowid = archive_fts.rowid "
             "WHERE archive_fts MATCH ? AND archive.status = ?")
_WORD = re.compile(r'"(?:[^"]|"")*"')


def _words(quoted: str) -> list[str]:
    """The quoted words of a `quote_fts` query, one FTS phrase each."""
    return _WORD.findall(quoted)


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

    def search(self, query: str, limit: int = 10) -> SearchResult:
        """Published stories matching every word of `query` (quoted, so it cannot be FTS
        syntax), best first.

        A narrow query (each word in at most `NARROW` stories) is ranked by bm25 over all
        its matches, a word in the headline counting most. For a broad one that would cost
        a scan of every match (a common word at 1,000,000 stories: ~15 ms for bm25's word
        counts alone, bench/search.py), so its answer is the newest stories *about* it
        (every word in the headline or dek), then the newest that mention it: what a
        news archive shows for "election". What that drops: older stories, even ones that
        use the word more often.
        """
        quoted = self.db.quote_fts(query)
        if not quoted.strip():
            return SearchResult([], ranked=True)
        if all(self._matches(word, NARROW + 1) <= NARROW for word in _words(quoted)):
            rows = self.rows(f"{_SELECT}, bm25(archive_fts, {RANK_WEIGHTS}) AS rank "
                             f"{_MATCHING} ORDER BY rank LIMIT ?",
                             [quoted, State.PUBLISHED, limit])
            return SearchResult([ArchiveHit.from_row(r) for r in rows], ranked=True)
        hits: dict[int, dict] = {}
        for match in (f"{{headline dek}} : ({quoted})", quoted):
            rows = self.rows(_SELECT + _MATCHING + " ORDER BY archive_fts.rowid DESC LIMIT ?",
                             [match, State.PUBLISHED, limit])
            for row in rows:
                hits.setdefault(row["story_id"], row)
            if len(hits) >= limit:
                break
        return SearchResult([ArchiveHit.from_row(r) for r in list(hits.values())[:limit]],
                            ranked=False)

    def _matches(self, word: str, cap: int) -> int:
        """How many stories hold `word`, counted up to `cap` (cheap for a rare word)."""
        return self.db.execute("SELECT count(*) FROM (SELECT 1 FROM archive_fts WHERE "
                               "archive_fts MATCH ? LIMIT ?)", [word, cap]).fetchone()[0]

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

