"""Reads for the public archive (web pages and feeds): published and retracted stories only.

Every query here filters on the story's status being public (`PUBLIC`), so nothing a
reader must not see (drafts, stories in review, spiked stories) can leave through the
web server, whatever the caller asks for. Records carry no editor or reader ids.
Functions take the `Store` and run on its thread (`await store.run(...)`). `CROSS JOIN`
keeps SQLite walking the newest rows first (by index) instead of every published story.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from storage.issues import Issue
from storage.records import parse_iso
from storage.states import PUBLIC, State, sql_list

if TYPE_CHECKING:
    from storage.store import Store

PUBLIC_SQL = sql_list(PUBLIC)


@dataclass(frozen=True)
class PublicCorrection:
    story_id: int
    kind: str
    text: str
    created_at: datetime
    headline: str = ""


@dataclass(frozen=True)
class PublicStory:
    id: int
    status: str
    article: dict[str, Any]
    published_at: datetime
    retracted_at: datetime | None = None
    retraction_reason: str | None = None
    corrections: tuple[PublicCorrection, ...] = ()

    @property
    def updated_at(self) -> datetime:
        """The last public change: publication, the latest correction, or retraction."""
        moments = [self.published_at, *(c.created_at for c in self.corrections)]
        if self.retracted_at is not None:
            moments.append(self.retracted_at)
        return max(moments)


@dataclass(frozen=True)
class Listing:
    story_id: int
    headline: str
    dek: str
    status: str
    published_at: datetime


def _time(value: str | None) -> datetime:
    moment = parse_iso(value)
    assert moment is not None
    return moment


def public_story(store: Store, story_id: int) -> PublicStory | None:
    """A published or retracted story with its current text and corrections, else None."""
    with store.atomic():
        row = next(iter(store.db.query(
            f"SELECT s.id, s.status, s.published_at, s.retracted_at, s.retraction_reason, "
            f"r.article FROM stories s JOIN revisions r ON r.story_id = s.id "
            f"AND r.number = s.current_revision WHERE s.id = ? AND s.status IN {PUBLIC_SQL} "
            f"AND s.published_at IS NOT NULL", [story_id])), None)
        if row is None:
            return None
        corrections = tuple(
            PublicCorrection(story_id, c["kind"], c["text"], _time(c["created_at"]))
            for c in store.db.query("SELECT kind, text, created_at FROM corrections "
                                    "WHERE story_id = ? ORDER BY id", [story_id]))
    return PublicStory(id=row["id"], status=row["status"], article=json.loads(row["article"]),
                       published_at=_time(row["published_at"]),
                       retracted_at=parse_iso(row["retracted_at"]),
                       retraction_reason=row["retraction_reason"], corrections=corrections)


def latest(store: Store, limit: int = 30, offset: int = 0) -> list[Listing]:
    """The newest stories first, retracted ones included (marked by their status)."""
    rows = store.db.query(
        f"SELECT a.story_id, a.headline, a.dek, s.status, a.published_at FROM archive a "
        f"CROSS JOIN stories s ON s.id = a.story_id WHERE s.status IN {PUBLIC_SQL} "
        f"ORDER BY a.published_at DESC, a.story_id DESC LIMIT ? OFFSET ?", [limit, offset])
    return [Listing(r["story_id"], r["headline"], r["dek"], r["status"],
                    _time(r["published_at"])) for r in rows]


def corrections_log(store: Store, limit: int = 100) -> list[PublicCorrection]:
    rows = store.db.query(
        f"SELECT c.story_id, c.kind, c.text, c.created_at, s.headline FROM corrections c "
        f"CROSS JOIN stories s ON s.id = c.story_id WHERE s.status IN {PUBLIC_SQL} "
        f"ORDER BY c.id DESC LIMIT ?", [limit])
    return [PublicCorrection(r["story_id"], r["kind"], r["text"], _time(r["created_at"]),
                             r["headline"]) for r in rows]


def feed_version(store: Store) -> tuple[Any, ...]:
    """Changes whenever the feed would: a publication, correction or retraction."""
    row = next(iter(store.db.query(
        "SELECT (SELECT max(published_at) FROM archive) AS p, "
        "(SELECT max(id) FROM corrections) AS c, "
        "(SELECT count(*) FROM stories WHERE status = ?) AS r", [State.RETRACTED])))
    return row["p"], row["c"], row["r"]


def feed_stories(store: Store, limit: int = 50) -> list[PublicStory]:
    """The `limit` stories changed most recently (published, corrected or retracted).

    Candidates are the newest publications, corrections and retractions (each at most
    `limit`), so the query never scans the whole archive.
    """
    rows = store.db.query(
        f"""
        WITH candidates(id) AS (
            SELECT story_id FROM (SELECT story_id FROM archive
                                  ORDER BY published_at DESC LIMIT :n)
            UNION SELECT story_id FROM (SELECT story_id FROM corrections
                                        ORDER BY id DESC LIMIT :n)
            UNION SELECT id FROM (SELECT id FROM stories WHERE status = :gone
                                  ORDER BY retracted_at DESC LIMIT :n))
        SELECT s.id, max(s.published_at, coalesce(s.retracted_at, ''),
                         coalesce((SELECT max(created_at) FROM corrections c
                                   WHERE c.story_id = s.id), '')) AS changed
        FROM candidates JOIN stories s ON s.id = candidates.id
        WHERE s.status IN {PUBLIC_SQL} AND s.published_at IS NOT NULL
        ORDER BY changed DESC, s.id DESC LIMIT :n
        """, {"n": limit, "gone": State.RETRACTED})
    stories = (public_story(store, row["id"]) for row in list(rows))
    return [story for story in stories if story is not None]


def public_issue(store: Store, number: int) -> Issue | None:
    """An issue with its public stories (an issue's stories were all published; the
    filter keeps this module's rule that nothing else leaves)."""
    issue = store.issues.get(number)
    if issue is None:
        return None
    return replace(issue, entries=tuple(e for e in issue.entries if e.status in PUBLIC))
