"""The newsroom's SQLite store: one class owning the sqlite-utils Database.

`Store` is synchronous and must be used from one thread; `AsyncStore` (storage.worker)
gives the event loop an awaitable face over a single worker thread that owns the
connection. Every write that belongs together (a state change and its audit row, a
publication and its deliveries) happens inside one `db.atomic()` block, so a crash
leaves either all of it or none of it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import statistics
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from storage import spending
from storage.base import Conflict, OverLimit, StoreError, check_file, connect
from storage.migrations import migrations
from storage.outbox import Outbox
from storage.records import (
    Approval,
    ArchiveHit,
    AuditEvent,
    Correction,
    Delivery,
    DraftJob,
    Revision,
    SourceDoc,
    Stats,
    Story,
    Ticket,
    Usage,
    iso,
    utcnow,
)

log = logging.getLogger(__name__)

class Store:
    """Typed access to every table; migrations applied when constructed."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = Path(path) if path != ":memory:" else None
        if self.path is not None:
            check_file(self.path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(path)
        try:
            self.db = Database(conn)
            self._refuse_newer_schema()
            if self.path is not None:
                self.db.enable_wal()
            migrations.apply(self.db)
            self.outbox = Outbox(self.db)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"cannot open the database {path}: {exc}") from None
        except StoreError:
            conn.close()
            raise

    def _refuse_newer_schema(self) -> None:
        known = {m.name for m in migrations._migrations}
        applied = {m.name for m in migrations.applied(self.db)}
        unknown = sorted(applied - known)
        if unknown:
            raise StoreError(
                f"the database {self.path} was written by a newer version of newsroom "
                f"(unknown migrations: {', '.join(unknown)}); upgrade the code or point "
                "NEWSROOM_DB at another file"
            )

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        with self.db.atomic() as db:
            yield db

    # ---- helpers -------------------------------------------------------------------

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict]:
        return list(self.db.query(sql, params))

    def _one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> dict | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _insert(self, table: str, row: dict[str, Any]) -> int:
        cursor = self.db.execute(
            f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
            list(row.values()),
        )
        return int(cursor.lastrowid or 0)

    def _update(self, table: str, key: int, changes: dict[str, Any]) -> None:
        if changes:
            sets = ", ".join(f"{name} = ?" for name in changes)
            self.db.execute(f"UPDATE {table} SET {sets} WHERE id = ?", [*changes.values(), key])

    def audit(
        self,
        action: str,
        *,
        actor_id: int | None,
        story_id: int | None = None,
        revision: int | None = None,
        from_status: str | None = None,
        to_status: str | None = None,
        detail: str | None = None,
    ) -> int:
        """Write one audit row; callers do this inside the transaction of the change."""
        return self._insert(
            "audit",
            {
                "story_id": story_id,
                "actor_id": actor_id,
                "action": action,
                "revision": revision,
                "from_status": from_status,
                "to_status": to_status,
                "detail": detail,
                "created_at": iso(utcnow()),
            },
        )

    # ---- stories -------------------------------------------------------------------

    def create_story(
        self,
        *,
        origin: str,
        status: str,
        requested_by: int,
        topic: str = "",
        length: str | None = None,
        notes: str | None = None,
        sources: Iterable[SourceDoc] = (),
        job_kind: str | None = None,
        article: dict[str, Any] | None = None,
        reason: str = "",
        action: str = "request",
    ) -> Story:
        """A new story with its sources, and either a draft job or a first revision."""
        now = iso(utcnow())
        with self.atomic():
            story_id = self._insert(
                "stories",
                {
                    "status": status,
                    "origin": origin,
                    "topic": topic,
                    "length": length,
                    "notes": notes,
                    "requested_by": requested_by,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            for position, source in enumerate(sources, start=1):
                self._add_source(story_id, position, source)
            self.audit(action, actor_id=requested_by, story_id=story_id, to_status=status,
                       detail=topic or None)
            if job_kind:
                self._add_job(story_id, job_kind, requested_by, None)
            if article is not None:
                self._add_revision(story_id, article, requested_by, "human", reason, None)
        return self.story(story_id)

    def _add_source(self, story_id: int, position: int, source: SourceDoc) -> None:
        self._insert(
            "sources",
            {
                "story_id": story_id,
                "position": position,
                "kind": source.kind,
                "title": source.title,
                "url": source.url,
                "filename": source.filename,
                "media_type": source.media_type,
                "text": source.text,
                "data": source.data,
                "created_at": iso(utcnow()),
            },
        )

    def story(self, story_id: int) -> Story:
        row = self._one("SELECT * FROM stories WHERE id = ?", [story_id])
        if row is None:
            raise KeyError(story_id)
        return Story.from_row(row)

    def find_story(self, story_id: int) -> Story | None:
        row = self._one("SELECT * FROM stories WHERE id = ?", [story_id])
        return Story.from_row(row) if row else None

    def list_stories(
        self, statuses: Sequence[str] | None = None, limit: int = 25, offset: int = 0
    ) -> list[Story]:
        where, params = "", []
        if statuses:
            where = f"WHERE status IN ({', '.join('?' for _ in statuses)})"
            params = list(statuses)
        rows = self._rows(
            f"SELECT * FROM stories {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [Story.from_row(r) for r in rows]

    def count_stories(self, statuses: Sequence[str] | None = None) -> dict[str, int]:
        rows = self._rows("SELECT status, count(*) AS n FROM stories GROUP BY status")
        counts = {r["status"]: r["n"] for r in rows}
        if statuses:
            return {s: counts.get(s, 0) for s in statuses}
        return counts

    def match_stories(self, text: str, statuses: Sequence[str] | None = None,
                      limit: int = 25) -> list[Story]:
        """For autocomplete: id prefix or a word of the headline/topic, newest first."""
        needle = text.strip().lstrip("#")
        params: list[Any] = [f"%{needle}%", f"%{needle}%", f"{needle}%"]
        where = "(headline LIKE ? OR topic LIKE ? OR CAST(id AS TEXT) LIKE ?)"
        if statuses:
            where += f" AND status IN ({', '.join('?' for _ in statuses)})"
            params.extend(statuses)
        rows = self._rows(
            f"SELECT * FROM stories WHERE {where} ORDER BY id DESC LIMIT ?", [*params, limit]
        )
        return [Story.from_row(r) for r in rows]

    def transition(
        self,
        story_id: int,
        *,
        expected: str | Sequence[str],
        to: str,
        action: str,
        actor_id: int | None,
        detail: str | None = None,
        changes: dict[str, Any] | None = None,
    ) -> Story:
        """Move a story from an expected state, with its audit row, or raise Conflict."""
        with self.atomic():
            story = self._expect(story_id, expected)
            self._set_status(story, to, changes or {})
            self.audit(action, actor_id=actor_id, story_id=story_id,
                       revision=story.current_revision or None,
                       from_status=story.status, to_status=to, detail=detail)
        return self.story(story_id)

    def _expect(self, story_id: int, expected: str | Sequence[str]) -> Story:
        story = self.find_story(story_id)
        if story is None:
            raise KeyError(story_id)
        allowed = (expected,) if isinstance(expected, str) else tuple(expected)
        if story.status not in allowed:
            raise Conflict(f"story #{story_id} is {story.status}, expected {'/'.join(allowed)}")
        return story

    def _set_status(self, story: Story, to: str, changes: dict[str, Any]) -> None:
        values = {"status": to, "updated_at": iso(utcnow())}
        for key, value in changes.items():
            values[key] = iso(value) if isinstance(value, datetime) else value
        self._update("stories", story.id, values)

    def set_card(self, story_id: int, *, channel_id: int | None, message_id: int | None,
                 thread_id: int | None = None) -> None:
        with self.atomic():
            changes: dict[str, Any] = {"card_channel_id": channel_id,
                                       "card_message_id": message_id}
            if thread_id is not None:
                changes["thread_id"] = thread_id
            self._update("stories", story_id, changes)

    # ---- revisions -----------------------------------------------------------------

    def add_revision(
        self,
        story_id: int,
        *,
        expected: str | Sequence[str],
        to: str,
        article: dict[str, Any],
        author_id: int | None,
        author_kind: str,
        reason: str,
        action: str,
        usage: Usage | None = None,
        actor_id: int | None = None,
        changes: dict[str, Any] | None = None,
    ) -> Revision:
        """A new numbered revision; the story goes to `to` and loses its approvals.

        Approvals are pinned to a revision number, so a new number is what clears them.
        """
        with self.atomic():
            story = self._expect(story_id, expected)
            number = self._add_revision(story_id, article, author_id, author_kind, reason, usage)
            self._set_status(story, to, {"check_override": None, **(changes or {})})
            self.audit(action, actor_id=actor_id if actor_id is not None else author_id,
                       story_id=story_id, revision=number, from_status=story.status,
                       to_status=to, detail=reason or None)
        return self.revision(story_id, number)

    def _add_revision(self, story_id: int, article: dict[str, Any], author_id: int | None,
                      author_kind: str, reason: str, usage: Usage | None) -> int:
        row = self._one("SELECT coalesce(max(number), 0) AS n FROM revisions WHERE story_id = ?",
                        [story_id])
        number = int(row["n"] if row else 0) + 1
        usage = usage or Usage()
        self._insert(
            "revisions",
            {
                "story_id": story_id,
                "number": number,
                "article": json.dumps(article, ensure_ascii=False),
                "author_id": author_id,
                "author_kind": author_kind,
                "reason": reason,
                "model": usage.model,
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
                "cache_creation_tokens": usage.cache_creation_tokens,
                "cache_read_tokens": usage.cache_read_tokens,
                "cost_usd": usage.cost_usd,
                "created_at": iso(utcnow()),
            },
        )
        values: dict[str, Any] = {
            "current_revision": number,
            "headline": str(article.get("headline", ""))[:300],
            "updated_at": iso(utcnow()),
        }
        if author_kind == "human" and author_id is not None:
            values["last_author_id"] = author_id
        self._update("stories", story_id, values)
        return number

    def revision(self, story_id: int, number: int | None = None) -> Revision:
        """A story's revision by number, or its current one."""
        if number is None:
            row = self._one("SELECT * FROM revisions WHERE story_id = ? ORDER BY number DESC "
                            "LIMIT 1", [story_id])
        else:
            row = self._one("SELECT * FROM revisions WHERE story_id = ? AND number = ?",
                            [story_id, number])
        if row is None:
            raise KeyError((story_id, number))
        return Revision.from_row(row)

    def revisions(self, story_id: int) -> list[Revision]:
        rows = self._rows("SELECT * FROM revisions WHERE story_id = ? ORDER BY number",
                          [story_id])
        return [Revision.from_row(r) for r in rows]

    def sources(self, story_id: int) -> list[SourceDoc]:
        rows = self._rows("SELECT * FROM sources WHERE story_id = ? ORDER BY position",
                          [story_id])
        return [SourceDoc.from_row(r) for r in rows]

    # ---- draft jobs ----------------------------------------------------------------

    def _add_job(self, story_id: int, kind: str, requested_by: int,
                 instructions: str | None) -> int:
        now = iso(utcnow())
        return self._insert(
            "draft_jobs",
            {
                "story_id": story_id,
                "kind": kind,
                "instructions": instructions,
                "state": "pending",
                "requested_by": requested_by,
                "created_at": now,
                "updated_at": now,
            },
        )

    def start_job(self, story_id: int, *, kind: str, expected: str | Sequence[str],
                  actor_id: int, instructions: str | None, action: str) -> DraftJob:
        """Put a story back to drafting with a new job (revise, retry), in one step."""
        with self.atomic():
            story = self._expect(story_id, expected)
            self.db.execute("UPDATE draft_jobs SET state = 'cancelled', updated_at = ? "
                            "WHERE story_id = ? AND state = 'pending'", [iso(utcnow()), story_id])
            job_id = self._add_job(story_id, kind, actor_id, instructions)
            self._set_status(story, "drafting", {"failure_reason": None})
            self.audit(action, actor_id=actor_id, story_id=story_id,
                       revision=story.current_revision or None, from_status=story.status,
                       to_status="drafting", detail=instructions)
        return self.job(job_id)

    def job(self, job_id: int) -> DraftJob:
        row = self._one("SELECT * FROM draft_jobs WHERE id = ?", [job_id])
        if row is None:
            raise KeyError(job_id)
        return DraftJob.from_row(row)

    def job_for_story(self, story_id: int) -> DraftJob | None:
        row = self._one("SELECT * FROM draft_jobs WHERE story_id = ? ORDER BY id DESC LIMIT 1",
                        [story_id])
        return DraftJob.from_row(row) if row else None

    def pending_jobs(self) -> list[DraftJob]:
        rows = self._rows("SELECT * FROM draft_jobs WHERE state = 'pending' ORDER BY id")
        return [DraftJob.from_row(r) for r in rows]

    def job_attempt(self, job_id: int, *, error: str | None,
                    next_attempt_at: datetime | None) -> DraftJob:
        """Count an attempt that did not produce a draft (an outage, a timeout).

        Conflict when the job was cancelled meanwhile (the story was spiked)."""
        with self.atomic():
            cursor = self.db.execute(
                "UPDATE draft_jobs SET attempts = attempts + 1, last_error = ?, "
                "next_attempt_at = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
                [error, iso(next_attempt_at), iso(utcnow()), job_id],
            )
            if not cursor.rowcount:
                raise Conflict(f"draft job {job_id} is {self.job(job_id).state}")
        return self.job(job_id)

    def cancel_jobs(self, story_id: int) -> int:
        """Pending draft jobs of a story that was spiked: no further call to Claude."""
        cursor = self.db.execute("UPDATE draft_jobs SET state = 'cancelled', updated_at = ? "
                                 "WHERE story_id = ? AND state = 'pending'",
                                 [iso(utcnow()), story_id])
        return int(cursor.rowcount or 0)

    def finish_job(self, job_id: int, *, article: dict[str, Any], usage: Usage,
                   reason: str) -> Revision:
        """The draft arrived: store it as a revision and send the story to review."""
        with self.atomic():
            job = self.job(job_id)
            if job.state != "pending":
                raise Conflict(f"draft job {job_id} is {job.state}")
            self.db.execute("UPDATE draft_jobs SET state = 'done', attempts = attempts + 1, "
                            "updated_at = ? WHERE id = ?", [iso(utcnow()), job_id])
            revision = self.add_revision(
                job.story_id, expected="drafting", to="in_review", article=article,
                author_id=None, author_kind="ai", reason=reason, action="draft_done",
                usage=usage, actor_id=None,
            )
        return revision

    def fail_job(self, job_id: int, *, reason: str) -> Story:
        """Retries exhausted (or the model refused): the story goes to failed."""
        with self.atomic():
            job = self.job(job_id)
            if job.state != "pending":
                raise Conflict(f"draft job {job_id} is {job.state}")
            self.db.execute("UPDATE draft_jobs SET state = 'failed', last_error = ?, "
                            "updated_at = ? WHERE id = ?", [reason, iso(utcnow()), job_id])
            story = self.transition(job.story_id, expected="drafting", to="failed",
                                    action="draft_failed", actor_id=None, detail=reason,
                                    changes={"failure_reason": reason})
        return story

    # ---- approvals and audit -------------------------------------------------------

    def approve(self, story_id: int, *, revision: int, editor_id: int, note: str | None,
                to: str, override: str | None = None) -> Story:
        """Record an approval of exactly this revision; move the story when enough."""
        with self.atomic():
            story = self._expect(story_id, "in_review")
            if story.current_revision != revision:
                raise Conflict(f"story #{story_id} is now at revision {story.current_revision}")
            try:
                self._insert("approvals", {"story_id": story_id, "revision": revision,
                                           "editor_id": editor_id, "note": note,
                                           "created_at": iso(utcnow())})
            except sqlite3.IntegrityError:
                raise Conflict(f"editor {editor_id} already approved revision {revision}"
                               ) from None
            changes: dict[str, Any] = {}
            if override:
                changes["check_override"] = override
                self.audit("override", actor_id=editor_id, story_id=story_id,
                           revision=revision, detail=override)
            self._set_status(story, to, changes)
            self.audit("approve", actor_id=editor_id, story_id=story_id, revision=revision,
                       from_status=story.status, to_status=to, detail=note)
        return self.story(story_id)

    def approvals(self, story_id: int, revision: int | None = None) -> list[Approval]:
        if revision is None:
            rows = self._rows("SELECT * FROM approvals WHERE story_id = ? ORDER BY id",
                              [story_id])
        else:
            rows = self._rows("SELECT * FROM approvals WHERE story_id = ? AND revision = ? "
                              "ORDER BY id", [story_id, revision])
        return [Approval.from_row(r) for r in rows]

    def history(self, story_id: int) -> list[AuditEvent]:
        rows = self._rows("SELECT * FROM audit WHERE story_id = ? ORDER BY id", [story_id])
        return [AuditEvent.from_row(r) for r in rows]

    def recent_audit(self, limit: int = 50) -> list[AuditEvent]:
        rows = self._rows("SELECT * FROM audit ORDER BY id DESC LIMIT ?", [limit])
        return [AuditEvent.from_row(r) for r in rows]

    # ---- publishing ----------------------------------------------------------------

    def publish(self, story_id: int, *, expected: Sequence[str], actor_id: int | None,
                archive: dict[str, str], detail: str | None = None) -> list[Delivery]:
        """Mark published and create one pending delivery per active destination.

        One transaction: after a crash either the story is published with every
        delivery row waiting to be sent, or nothing happened.
        """
        now = utcnow()
        with self.atomic():
            story = self._expect(story_id, expected)
            self._set_status(story, "published", {"published_at": now, "schedule_mode": None,
                                                  "scheduled_for": None})
            self.audit("publish", actor_id=actor_id, story_id=story_id,
                       revision=story.current_revision, from_status=story.status,
                       to_status="published", detail=detail)
            self.outbox.create_for_story(story_id, now)
            self._upsert_archive(story_id, archive, "published", now)
        return self.outbox.deliveries(story_id)

    def _upsert_archive(self, story_id: int, doc: dict[str, str], status: str,
                        published_at: datetime | None = None) -> None:
        existing = self._one("SELECT published_at FROM archive WHERE story_id = ?", [story_id])
        when = existing["published_at"] if existing else iso(published_at or utcnow())
        self.db.execute("DELETE FROM archive WHERE story_id = ?", [story_id])
        self._insert("archive", {"story_id": story_id, "headline": doc["headline"],
                                 "dek": doc["dek"], "body": doc["body"], "status": status,
                                 "published_at": when})

    # ---- scheduling ----------------------------------------------------------------

    def scheduled(self) -> list[Story]:
        rows = self._rows("SELECT * FROM stories WHERE status = 'scheduled' "
                          "ORDER BY scheduled_for IS NULL, scheduled_for, id")
        return [Story.from_row(r) for r in rows]

    def last_edition_run(self) -> datetime | None:
        row = self._one("SELECT max(due_at) AS t FROM edition_runs")
        return datetime.fromisoformat(row["t"]) if row and row["t"] else None

    def record_edition(self, due_at: datetime, *, late_seconds: float, published: int) -> bool:
        """Record an edition run once; False when it was already recorded."""
        with self.atomic():
            exists = self._one("SELECT 1 AS x FROM edition_runs WHERE due_at = ?", [iso(due_at)])
            if exists:
                return False
            self._insert("edition_runs", {"due_at": iso(due_at), "ran_at": iso(utcnow()),
                                          "late_seconds": late_seconds, "published": published})
        return True

    # ---- corrections, tickets, archive --------------------------------------------

    def add_correction(self, story_id: int, *, kind: str, text: str, editor_id: int,
                       article: dict[str, Any], archive: dict[str, str], notify: bool,
                       ticket_id: int | None = None) -> Correction:
        """A dated correction, the revision carrying it and the archive, in one step."""
        with self.atomic():
            revision = self.add_revision(
                story_id, expected="published", to="published", article=article,
                author_id=editor_id, author_kind="human", reason=f"{kind}: {text}",
                action=kind,
            )
            correction_id = self._insert("corrections", {
                "story_id": story_id, "kind": kind, "text": text, "revision": revision.number,
                "editor_id": editor_id, "ticket_id": ticket_id, "notify": int(notify),
                "created_at": iso(utcnow())})
            if ticket_id is not None:
                self._update("tickets", ticket_id, {"correction_id": correction_id})
            self._upsert_archive(story_id, archive, "published")
            self.outbox.copies_changed(story_id)
        return self.correction(correction_id)

    def correction(self, correction_id: int) -> Correction:
        row = self._one("SELECT * FROM corrections WHERE id = ?", [correction_id])
        if row is None:
            raise KeyError(correction_id)
        return Correction.from_row(row)

    def corrections(self, story_id: int | None = None, limit: int = 50) -> list[Correction]:
        if story_id is None:
            rows = self._rows("SELECT * FROM corrections ORDER BY id DESC LIMIT ?", [limit])
        else:
            rows = self._rows("SELECT * FROM corrections WHERE story_id = ? ORDER BY id",
                              [story_id])
        return [Correction.from_row(r) for r in rows]

    def retract(self, story_id: int, *, reason: str, actor_id: int,
                archive: dict[str, str]) -> tuple[Story, int, int]:
        """Retract, withdraw what has not gone out, mark every copy for replacement.

        One transaction; returns (story, deliveries cancelled, deliveries in flight)."""
        with self.atomic():
            story = self.transition(story_id, expected="published", to="retracted",
                                    action="retract", actor_id=actor_id, detail=reason,
                                    changes={"retracted_at": utcnow(),
                                             "retraction_reason": reason})
            self._upsert_archive(story_id, archive, "retracted")
            cancelled, in_flight = self.outbox.withdraw_unsent(story_id)
            self.outbox.copies_changed(story_id)
        return story, cancelled, in_flight

    def add_ticket(self, *, story_id: int | None, user_id: int, guild_id: int | None,
                   channel_id: int | None, kind: str, text: str, quote: str | None,
                   allowance: tuple[int, timedelta] | None = None) -> Ticket:
        """A reader's ticket; with `allowance` (count, window), checked in the same
        transaction, so concurrent submissions cannot exceed it (OverLimit)."""
        with self.atomic():
            if allowance is not None:
                self._check_allowance(user_id, *allowance)
            ticket_id = self._insert("tickets", {
                "story_id": story_id, "user_id": user_id, "guild_id": guild_id,
                "channel_id": channel_id, "kind": kind, "text": text, "quote": quote,
                "status": "open", "created_at": iso(utcnow())})
            self.audit("feedback", actor_id=user_id, story_id=story_id,
                       detail=f"ticket {ticket_id}: {kind}")
        return self.ticket(ticket_id)

    def ticket(self, ticket_id: int) -> Ticket:
        row = self._one("SELECT * FROM tickets WHERE id = ?", [ticket_id])
        if row is None:
            raise KeyError(ticket_id)
        return Ticket.from_row(row)

    def find_ticket(self, ticket_id: int) -> Ticket | None:
        row = self._one("SELECT * FROM tickets WHERE id = ?", [ticket_id])
        return Ticket.from_row(row) if row else None

    def tickets(self, status: str | None = None, *, user_id: int | None = None,
                limit: int = 25) -> list[Ticket]:
        clauses, params = [], []
        if status:
            clauses.append("status = ?")
            params.append(status)
        if user_id is not None:
            clauses.append("user_id = ?")
            params.append(user_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._rows(f"SELECT * FROM tickets {where} ORDER BY id DESC LIMIT ?",
                          [*params, limit])
        return [Ticket.from_row(r) for r in rows]

    def _check_allowance(self, user_id: int, count: int, window: timedelta) -> None:
        recent = self._rows("SELECT created_at FROM tickets WHERE user_id = ? AND created_at > ? "
                            "ORDER BY created_at DESC LIMIT ?",
                            [user_id, iso(utcnow() - window), count])
        if len(recent) >= count:
            oldest = datetime.fromisoformat(recent[-1]["created_at"])
            raise OverLimit(oldest + window)

    def update_ticket(self, ticket_id: int, **changes: Any) -> Ticket:
        with self.atomic():
            values = {k: iso(v) if isinstance(v, datetime) else v for k, v in changes.items()}
            self._update("tickets", ticket_id, values)
        return self.ticket(ticket_id)

    def resolve_ticket(self, ticket_id: int, *, status: str, actor_id: int,
                       reply: str | None) -> Ticket:
        with self.atomic():
            ticket = self.ticket(ticket_id)
            if ticket.status != "open":
                raise Conflict(f"ticket {ticket_id} is already {ticket.status}")
            self._update("tickets", ticket_id, {"status": status, "reply": reply,
                                                "resolved_by": actor_id,
                                                "resolved_at": iso(utcnow())})
            self.audit(f"ticket_{status}", actor_id=actor_id, story_id=ticket.story_id,
                       detail=f"ticket {ticket_id}" + (f": {reply}" if reply else ""))
        return self.ticket(ticket_id)

    def search_archive(self, query: str, limit: int = 10, window: int = 2000
                       ) -> list[ArchiveHit]:
        """Ranked full-text search; the user's text is quoted so it cannot be FTS syntax.

        Only the newest `window` matches are ranked: a word found in half of 100,000
        stories would otherwise cost ~100 ms of bm25 on the store's only thread
        (bench/search.py); readers want recent stories for such words anyway.
        """
        quoted = self.db.quote_fts(query)
        if not quoted.strip():
            return []
        rows = self._rows(
            "SELECT archive.story_id, archive.headline, archive.dek, archive.status, "
            "archive.published_at, hits.rank AS rank FROM ("
            "  SELECT rowid, rank FROM archive_fts WHERE archive_fts MATCH ? "
            "  ORDER BY rowid DESC LIMIT ?) AS hits "
            "JOIN archive ON archive.rowid = hits.rowid "
            "WHERE archive.status = 'published' ORDER BY hits.rank LIMIT ?",
            [quoted, window, limit],
        )
        return [ArchiveHit.from_row(r) for r in rows]

    def latest_archive(self, limit: int = 5) -> list[ArchiveHit]:
        rows = self._rows("SELECT story_id, headline, dek, status, published_at FROM archive "
                          "WHERE status = 'published' ORDER BY published_at DESC LIMIT ?",
                          [limit])
        return [ArchiveHit.from_row(r) for r in rows]

    # ---- figures -------------------------------------------------------------------

    def _count(self, sql: str, params: Sequence[Any]) -> int:
        row = self._one(sql, params)
        return int(next(iter(row.values())) or 0) if row else 0

    def stats(self, days: int, now: datetime) -> Stats:
        """Every figure of `/newsroom stats` for the window, from one consistent read."""
        since = now - timedelta(days=days)
        start = iso(since)
        figures = Stats(days=days, since=since)
        with self.atomic():  # one snapshot for every query
            figures.requested = self._count(
                "SELECT count(*) FROM stories WHERE created_at >= ?", [start])
            figures.requested_ai = self._count(
                "SELECT count(*) FROM stories WHERE created_at >= ? AND origin = 'ai'", [start])
            published = self._rows("SELECT created_at, published_at FROM stories WHERE "
                                   "published_at >= ?", [start])
            figures.published = len(published)
            hours = [(datetime.fromisoformat(r["published_at"]) -
                      datetime.fromisoformat(r["created_at"])).total_seconds() / 3600
                     for r in published]
            figures.median_hours_to_publish = statistics.median(hours) if hours else None
            figures.corrections = self._count(
                "SELECT count(*) FROM corrections WHERE created_at >= ?", [start])
            figures.retractions = self._count(
                "SELECT count(*) FROM stories WHERE retracted_at >= ?", [start])
            for row in self._rows("SELECT kind, status, count(*) AS n FROM tickets WHERE "
                                  "created_at >= ? GROUP BY kind, status", [start]):
                figures.tickets.setdefault(row["kind"], {})[row["status"]] = row["n"]
            usage = spending.totals(self.db, start)  # failed attempts cost too
            figures.input_tokens, figures.output_tokens = int(usage["i"]), int(usage["o"])
            figures.cache_read_tokens, figures.cost_usd = int(usage["c"]), float(usage["usd"])
            figures.failed_attempts, figures.failed_usd = usage["failed"], usage["failed_usd"]
            figures.per_day = self._per_day(since, now)
        return figures

    def _per_day(self, since: datetime, now: datetime) -> list[tuple[date, int, int]]:
        counts = {}
        for column in ("created_at", "published_at"):
            counts[column] = {r["d"]: r["n"] for r in self._rows(
                f"SELECT substr({column}, 1, 10) AS d, count(*) AS n FROM stories WHERE "
                f"{column} >= ? GROUP BY d", [iso(since)])}
        days, day = [], since.date()
        while day <= now.date():
            key = day.isoformat()
            days.append((day, counts["created_at"].get(key, 0),
                         counts["published_at"].get(key, 0)))
            day += timedelta(days=1)
        return days

    # ---- settings and meta ---------------------------------------------------------

    def guild_settings(self, guild_id: int) -> dict[str, Any]:
        rows = self._rows("SELECT key, value FROM guild_settings WHERE guild_id = ?", [guild_id])
        return {r["key"]: json.loads(r["value"]) for r in rows}

    def set_guild_settings(self, guild_id: int, values: dict[str, Any], *,
                           actor_id: int | None) -> dict[str, Any]:
        now = iso(utcnow())
        with self.atomic():
            for key, value in values.items():
                self.db.execute(
                    "INSERT INTO guild_settings (guild_id, key, value, updated_by, updated_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, key) DO UPDATE SET "
                    "value = excluded.value, updated_by = excluded.updated_by, "
                    "updated_at = excluded.updated_at",
                    [guild_id, key, json.dumps(value), actor_id, now],
                )
            self.audit("setup", actor_id=actor_id,
                       detail=", ".join(f"{k}={v}" for k, v in values.items()))
        return self.guild_settings(guild_id)

    def meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", [key])
        return row["value"] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.atomic():
            self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) "
                            "DO UPDATE SET value = excluded.value", [key, value])

    # ---- maintenance ---------------------------------------------------------------

    def table_counts(self) -> dict[str, int]:
        names = ["stories", "revisions", "approvals", "deliveries", "destinations",
                 "corrections", "tickets", "audit", "draft_jobs", "guild_settings"]
        return {n: self.db[n].count for n in names}

    def backup_to(self, target: str | Path) -> None:
        """A consistent online copy via SQLite's backup API (safe while the bot writes)."""
        backup(self.db.conn, target)


def backup(source: sqlite3.Connection, target: str | Path) -> None:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    tmp.unlink(missing_ok=True)
    dest = sqlite3.connect(str(tmp))
    try:
        source.backup(dest)
    finally:
        dest.close()
    tmp.replace(target)


def backup_file(db_path: str | Path, target: str | Path) -> None:
    """`newsroom backup`: copy a database file that another process may be writing."""
    path = Path(db_path)
    if not path.exists():
        raise StoreError(f"there is no database at {path}")
    check_file(path)
    if Path(target).resolve() == path.resolve():
        raise StoreError("the backup path is the database itself; choose another file")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        backup(conn, target)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot back up {path}: {exc}") from None
    finally:
        conn.close()
