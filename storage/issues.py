"""Issues: an edition that published stories, numbered, with its stories in running order.

An issue is opened in the transaction that publishes its stories (`Store.publish_issue`),
numbered one above the last, so numbers have no gaps whatever crashes or late editions
do. Before an edition, editors set the running order of the stories scheduled for it
(`running_order`).

The masthead of an issue in a channel is a delivery part like a story's copy: a row of
`deliveries` without a story (`story_id IS NULL`, `issue_id` set), created before the
issue's stories so the delivery worker sends it first in every channel. What a masthead
must show (`MASTHEAD_WANT_SQL`) is derived from the record like a story's want: each
story of the issue with its revision or its retraction, and, while the issue links to
the channel's own copies, the first message of that story's copy in this channel. Every
write that changes one of those (a story landing, a correction, a retraction) sets the
masthead's `sync` in its own transaction (see `storage.outbox`), and the worker edits it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.base import Conflict, Tables
from storage.records import Story, iso, parse_iso, utcnow
from storage.states import Move, State

_FIRST_ID = "json_extract(c.message_ids, '$[0]')"
_LANDED = "c.state = 'sent' AND c.message_ids != '[]'"

MASTHEAD_WANT_SQL = (
    "(SELECT 'm' || group_concat(k, ';') FROM (SELECT i.story_id || CASE s.status WHEN "
    f"'{State.RETRACTED}' THEN 'x' ELSE 'r' || s.current_revision END || CASE WHEN "
    f"n.link_base IS NULL AND {_LANDED} THEN '@' || {_FIRST_ID} ELSE '' END AS k "
    "FROM issue_stories i JOIN stories s ON s.id = i.story_id "
    "JOIN issues n ON n.number = i.issue LEFT JOIN deliveries c ON "
    "c.story_id = i.story_id AND c.destination_id = d.destination_id "
    "WHERE i.issue = d.issue_id ORDER BY i.position))"
)
"""What the masthead row `d` must show now (the key of its rendition)."""

MASTHEAD_NEEDS_SYNC = (
    "CASE WHEN d.state = 'sent' THEN coalesce(d.shown, '') != " + MASTHEAD_WANT_SQL + " "
    "WHEN d.state = 'cancelled' THEN d.message_ids != '[]' OR d.sending_since IS NOT NULL "
    "ELSE 0 END"
)

MASTHEAD_HELD = (
    "d.story_id IS NULL AND EXISTS (SELECT 1 FROM deliveries e WHERE e.issue_id = d.issue_id "
    "AND e.destination_id = d.destination_id AND e.story_id IS NOT NULL AND "
    "e.state = 'pending' AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= :now))"
)
"""A masthead row `d` whose edit waits: a story of its issue in its channel is due now
(one edit when the fan-out has passed, not one per story; a story waiting on a retry
does not hold it back, so a retraction is struck at once)."""


@dataclass(frozen=True)
class EditionRun:
    """An edition being run: when it was due, its name and date as readers see them,
    how late it runs, and where its mastheads link (the public archive, or None: each
    channel's own copies)."""

    due_at: datetime
    name: str
    dated: str
    late_seconds: float = 0.0
    link_base: str | None = None
    detail: str = "edition"


@dataclass(frozen=True)
class IssueItem:
    """A story going out in an issue, with its decided publish move."""

    story_id: int
    move: Move
    archive: dict[str, str]


@dataclass(frozen=True)
class EditionOutcome:
    """What an edition did: the issue it made (None: it was empty) and its stories."""

    number: int | None
    published: int


@dataclass(frozen=True)
class IssueEntry:
    """A story of an issue, as its contents show it."""

    story_id: int
    position: int
    status: str
    headline: str
    dek: str
    message_id: int | None = None
    """The first message of the story's copy in the channel a masthead is for."""

    @property
    def retracted(self) -> bool:
        return self.status == State.RETRACTED


@dataclass(frozen=True)
class Issue:
    number: int
    due_at: datetime
    edition: str
    dated: str
    published_at: datetime
    link_base: str | None = None
    entries: tuple[IssueEntry, ...] = ()

    @property
    def heading(self) -> str:
        """'Issue 42 · Thursday 4 December 2026 · Morning'."""
        return f"Issue {self.number} · {self.dated} · {self.edition}"


@dataclass(frozen=True)
class Masthead:
    """A masthead delivery with what it must show now, read together."""

    issue: Issue
    key: str
    guild_id: int
    channel_id: int


def _issue(row: dict, entries: tuple[IssueEntry, ...] = ()) -> Issue:
    return Issue(number=row["number"], due_at=datetime.fromisoformat(row["due_at"]),
                 edition=row["edition"], dated=row["dated"],
                 published_at=datetime.fromisoformat(row["published_at"]),
                 link_base=row["link_base"], entries=entries)


class Issues(Tables):
    # ---- the running order of the next issue ---------------------------------------

    def running_order(self) -> list[Story]:
        """Stories scheduled for the next edition, in the order they will go out: the
        order editors set, then the others in the order they were scheduled."""
        rows = self.rows(
            "SELECT s.* FROM stories s LEFT JOIN running_order r ON r.story_id = s.id "
            "WHERE s.status = ? AND s.schedule_mode = 'next' "
            "ORDER BY r.position IS NULL, r.position, s.id", [State.SCHEDULED])
        return [Story.from_row(r) for r in rows]

    def enqueue(self, story_id: int) -> None:
        """A story just scheduled for the next edition goes last in its running order."""
        with self.atomic():
            self.db.execute(
                "INSERT OR REPLACE INTO running_order (story_id, position) VALUES "
                "(?, (SELECT coalesce(max(position), 0) + 1 FROM running_order))", [story_id])

    def place(self, story_id: int, position: int) -> list[Story]:
        """Move a story to `position` (from 1) of the next issue's running order.

        Raises Conflict when it is not scheduled for the next edition (any more), and
        ValueError for a position outside the order; nothing changes then."""
        with self.atomic():
            order = [s.id for s in self.running_order()]
            if story_id not in order:
                raise Conflict(f"story #{story_id} is not scheduled for the next edition")
            if not 1 <= position <= len(order):
                raise ValueError(f"position {position} outside 1..{len(order)}")
            order.remove(story_id)
            order.insert(position - 1, story_id)
            self.db.execute("DELETE FROM running_order")
            self.db["running_order"].insert_all(
                [{"story_id": s, "position": p} for p, s in enumerate(order, 1)])
        return self.running_order()

    # ---- opening an issue (inside the publish transaction) --------------------------

    def open(self, *, due_at: datetime, edition: str, dated: str, link_base: str | None,
             story_ids: list[int]) -> int:
        """The next number, with its stories in this order; the caller's transaction."""
        row = self.one("SELECT coalesce(max(number), 0) + 1 AS n FROM issues")
        number = int(row["n"]) if row else 1
        self.insert("issues", {"number": number, "due_at": iso(due_at), "edition": edition,
                               "dated": dated, "link_base": link_base,
                               "published_at": iso(utcnow())})
        self.db["issue_stories"].insert_all(
            [{"issue": number, "position": p, "story_id": s}
             for p, s in enumerate(story_ids, 1)])
        self.db.execute(f"DELETE FROM running_order WHERE story_id IN "
                        f"({', '.join('?' for _ in story_ids)})", story_ids)
        return number

    def add_mastheads(self, number: int, destinations: list[tuple[int, int, str]],
                      now: datetime) -> None:
        """One masthead delivery per (destination id, channel id, kind), before the
        stories' deliveries are created (so it goes first in every channel)."""
        self.db["deliveries"].insert_all([{
            "story_id": None, "issue_id": number, "destination_id": dest_id,
            "channel_id": channel_id, "state": "pending",
            "crosspost": "pending" if kind == "announcement" else None,
            "created_at": iso(now), "updated_at": iso(now)}
            for dest_id, channel_id, kind in destinations])

    # ---- reading -------------------------------------------------------------------

    def latest_number(self) -> int | None:
        row = self.one("SELECT max(number) AS n FROM issues")
        return int(row["n"]) if row and row["n"] is not None else None

    def get(self, number: int) -> Issue | None:
        """An issue with its contents (each story's current headline and dek)."""
        with self.atomic():
            row = self.one("SELECT * FROM issues WHERE number = ?", [number])
            if row is None:
                return None
            return _issue(row, self._entries(number))

    def _entries(self, number: int, destination_id: int | None = None
                 ) -> tuple[IssueEntry, ...]:
        rows = self.rows(
            f"SELECT i.story_id, i.position, s.status, "
            f"json_extract(r.article, '$.headline') AS headline, "
            f"json_extract(r.article, '$.dek') AS dek, "
            f"CASE WHEN {_LANDED} THEN {_FIRST_ID} END AS message_id "
            f"FROM issue_stories i JOIN stories s ON s.id = i.story_id "
            f"JOIN revisions r ON r.story_id = s.id AND r.number = s.current_revision "
            f"LEFT JOIN deliveries c ON c.story_id = i.story_id AND c.destination_id = ? "
            f"WHERE i.issue = ? ORDER BY i.position", [destination_id, number])
        return tuple(IssueEntry(r["story_id"], r["position"], r["status"], r["headline"] or "",
                                r["dek"] or "", r["message_id"]) for r in rows)

    def numbers_of(self, story_ids: list[int]) -> dict[int, int]:
        """The issue each of these stories went out in (absent: not in an issue)."""
        if not story_ids:
            return {}
        marks = ", ".join("?" for _ in story_ids)
        return {r["story_id"]: r["issue"] for r in self.rows(
            f"SELECT story_id, issue FROM issue_stories WHERE story_id IN ({marks})",
            story_ids)}

    def masthead(self, delivery_id: int) -> Masthead:
        """A masthead delivery's issue and contents as its channel must show them."""
        with self.atomic():
            row = self.one(
                f"SELECT d.issue_id, d.destination_id, d.channel_id, t.guild_id, "
                f"{MASTHEAD_WANT_SQL} AS want FROM deliveries d JOIN destinations t ON "
                f"t.id = d.destination_id WHERE d.id = ? AND d.story_id IS NULL",
                [delivery_id])
            if row is None:
                raise LookupError(f"delivery {delivery_id} is not a masthead")
            issue = self.one("SELECT * FROM issues WHERE number = ?", [row["issue_id"]])
            assert issue is not None
            entries = self._entries(row["issue_id"], row["destination_id"])
        return Masthead(_issue(issue, entries), row["want"], row["guild_id"],
                        row["channel_id"])

    def counts(self, since: datetime) -> tuple[int, int]:
        """(issues, stories in them) published since a moment, for the stats."""
        row = self.one("SELECT count(DISTINCT n.number) AS issues, count(i.story_id) AS "
                       "stories FROM issues n LEFT JOIN issue_stories i ON i.issue = n.number "
                       "WHERE n.published_at >= ?", [iso(since)])
        return (int(row["issues"]), int(row["stories"])) if row else (0, 0)

    # ---- the delivery worker: an issue's parts go out in order ----------------------

    def ahead_of(self, delivery_id: int) -> datetime | None:
        """When a part of the same issue that must go first in this channel (the
        masthead, an earlier story) is due, if one is still pending; else None."""
        row = self.one(
            "SELECT count(*) AS n, max(coalesce(e.next_attempt_at, '')) AS t FROM "
            "deliveries e JOIN deliveries d ON d.id = ? WHERE e.issue_id = d.issue_id AND "
            "e.destination_id = d.destination_id AND e.id < d.id AND e.state = 'pending'",
            [delivery_id])
        if not row or not row["n"]:
            return None
        return parse_iso(row["t"]) or utcnow()

    def postpone(self, delivery_id: int, until: datetime) -> bool:
        """Wait for the parts ahead (not an attempt: nothing was sent)."""
        later = max(until, utcnow() + timedelta(seconds=0.5))
        with self.atomic():
            return bool(self.changed(
                "UPDATE deliveries SET next_attempt_at = ?, updated_at = ? WHERE id = ? "
                "AND state = 'pending'", [iso(later), iso(utcnow()), delivery_id]))
