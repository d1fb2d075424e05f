"""The newsroom's SQLite store: one sqlite-utils Database, split by concern.

Each part (`stories`, `jobs`, `review`, `outbox`, `subscriptions`, `tickets`, `archive`,
`meta`, `issues`) is a `Tables` over the same connection, so a transaction opened here
covers the writes of every part made inside it. The steps that span parts are the
methods of `Store` itself, in one place: a story created with its sources and job, a
draft finished or failed, an approval, a spike, a publication (story + deliveries +
archive), an edition's issue (its stories, mastheads and deliveries), a correction and
a retraction. Each is one `db.atomic()` block, so a crash leaves either all of it or
none of it.

`Store` is synchronous and must be used from one thread; `AsyncStore` (storage.worker)
gives the event loop an awaitable face over a single worker thread that owns the
connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from storage import migrations as schema
from storage.archive import Archive
from storage.base import Conflict, StoreError, check_file, connect
from storage.issues import EditionOutcome, EditionRun, IssueItem, Issues
from storage.jobs import DraftJobs
from storage.meta import Meta
from storage.outbox import Outbox
from storage.records import (
    Correction,
    Delivery,
    DraftJob,
    Revision,
    SourceDoc,
    Story,
    Usage,
    utcnow,
)
from storage.review import Review
from storage.states import DestinationMode, Move, State
from storage.stories import Stories
from storage.subscriptions import Subscriptions
from storage.tickets import Tickets


def _on_publication(now: datetime) -> dict[str, Any]:
    """What publication sets on a story besides its state."""
    return {"published_at": now, "schedule_mode": None, "scheduled_for": None}


class Store:
    """The parts of the store, and the transactions that span them."""

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
            schema.migrations.apply(self.db)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"cannot open the database {path}: {exc}") from None
        except StoreError:
            conn.close()
            raise
        self.stories = Stories(self.db)
        self.jobs = DraftJobs(self.db)
        self.review = Review(self.db)
        self.outbox = Outbox(self.db)
        self.subscriptions = Subscriptions(self.db)
        self.tickets = Tickets(self.db)
        self.archive = Archive(self.db)
        self.meta = Meta(self.db)
        self.issues = Issues(self.db)

    def _refuse_newer_schema(self) -> None:
        unknown = schema.unknown(self.db)
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

    # ---- drafting ------------------------------------------------------------------

    def create_story(self, move: Move, *, origin: str, requested_by: int, topic: str = "",
                     length: str | None = None, notes: str | None = None,
                     sources: Iterable[SourceDoc] = (), job_kind: str | None = None,
                     article: dict[str, Any] | None = None, reason: str = "") -> Story:
        """A new story with its sources, and either a draft job or a first revision."""
        with self.atomic():
            story_id = self.stories.add(move, origin=origin, requested_by=requested_by,
                                        topic=topic, length=length, notes=notes,
                                        sources=sources)
            if job_kind:
                self.jobs.add(story_id, job_kind, requested_by)
            if article is not None:
                self.stories.add_revision(story_id, article, requested_by, "human", reason)
        return self.stories.get(story_id)

    def start_job(self, story_id: int, move: Move, *, kind: str, actor_id: int,
                  instructions: str | None) -> DraftJob:
        """Back to drafting with a new job (revise, retry), in one step."""
        with self.atomic():
            self.jobs.cancel_pending(story_id)
            job_id = self.jobs.add(story_id, kind, actor_id, instructions)
            self.stories.move(story_id, move, actor_id=actor_id, detail=instructions,
                              changes={"failure_reason": None})
        return self.jobs.get(job_id)

    def finish_job(self, job_id: int, move: Move, *, article: dict[str, Any], usage: Usage,
                   reason: str) -> Revision:
        """The draft arrived: store it as a revision and move the story (to review)."""
        with self.atomic():
            job = self.jobs.mark_done(job_id)
            return self.stories.revise(job.story_id, move, article=article, author_id=None,
                                       author_kind="ai", reason=reason, usage=usage)

    def fail_job(self, job_id: int, move: Move, *, reason: str) -> Story:
        """Retries exhausted (or the model refused): the story moves (to failed)."""
        with self.atomic():
            job = self.jobs.mark_failed(job_id, reason)
            return self.stories.move(job.story_id, move, actor_id=None, detail=reason,
                                     changes={"failure_reason": reason})

    # ---- review --------------------------------------------------------------------

    def approve(self, story_id: int, move: Move, *, revision: int, editor_id: int,
                note: str | None, override: str | None = None) -> Story:
        """Record an approval of exactly this revision, and the move it decided."""
        with self.atomic():
            story = self.stories.get(story_id)
            if story.current_revision != revision:
                raise Conflict(f"story #{story_id} is now at revision {story.current_revision}")
            self.review.add_approval(story_id, revision=revision, editor_id=editor_id, note=note)
            changes = {}
            if override:
                changes["check_override"] = override
                self.review.audit("override", actor_id=editor_id, story_id=story_id,
                                  revision=revision, detail=override)
            return self.stories.move(story_id, move, actor_id=editor_id, detail=note,
                                     changes=changes)

    def spike(self, story_id: int, move: Move, *, actor_id: int, reason: str) -> Story:
        """Kill a story; a draft still to be written is cancelled with it."""
        with self.atomic():
            self.jobs.cancel_pending(story_id)
            return self.stories.move(story_id, move, actor_id=actor_id, detail=reason)

    # ---- after approval ------------------------------------------------------------

    def publish(self, story_id: int, move: Move, *, actor_id: int | None,
                archive: dict[str, str], detail: str | None = None,
                label: str | None = None) -> list[Delivery]:
        """Mark published and create one pending delivery per active destination.

        One transaction: after a crash either the story is published with every
        delivery row waiting to be sent, or nothing happened. `label` ("Breaking") is
        shown on every copy of a story published on its own.
        """
        now = utcnow()
        with self.atomic():
            self.stories.move(story_id, move, actor_id=actor_id, detail=detail,
                              changes={**_on_publication(now), "publish_label": label})
            self.outbox.create_for_story(story_id, now)
            self.archive.file(story_id, archive, State.PUBLISHED, now)
        return self.outbox.deliveries(story_id)

    def publish_issue(self, edition: EditionRun, items: Sequence[IssueItem]
                      ) -> EditionOutcome | None:
        """An edition: its stories published as the next numbered issue, the masthead
        of every destination before them, and the edition run, in one transaction.

        A story that moved meanwhile (unscheduled, spiked) is left out; with nothing
        left the edition is recorded as empty and uses no number. None when this
        edition ran already."""
        now = utcnow()
        with self.atomic():
            if self.meta.edition_recorded(edition.due_at):
                return None
            published = [item for item in items if self._moved(item, edition.detail, now)]
            number = None
            if published:
                number = self.issues.open(
                    due_at=edition.due_at, edition=edition.name, dated=edition.dated,
                    link_base=edition.link_base, story_ids=[i.story_id for i in published])
                self.issues.add_mastheads(number, [
                    (d.id, d.channel_id, d.kind) for d in self.outbox.destinations(
                        active_only=True, mode=DestinationMode.DELIVER)], now)
                for item in published:
                    self.outbox.create_for_story(item.story_id, now, issue=number)
                    self.archive.file(item.story_id, item.archive, State.PUBLISHED, now)
            self.meta.record_edition(edition.due_at, late_seconds=edition.late_seconds,
                                     published=len(published), issue=number)
        return EditionOutcome(number, len(published))

    def _moved(self, item: IssueItem, detail: str, now: datetime) -> bool:
        """Apply one story's publish move; False (nothing changed) when it lost a race."""
        try:
            self.stories.move(item.story_id, item.move, actor_id=None, detail=detail,
                              changes=_on_publication(now))
        except Conflict:
            return False
        return True

    def correct(self, story_id: int, move: Move, *, kind: str, text: str, editor_id: int,
                article: dict[str, Any], archive: dict[str, str], notify: bool,
                ticket_id: int | None = None) -> Correction:
        """A dated correction, the revision carrying it, the archive and the mark on
        every copy to bring it in line, in one step."""
        with self.atomic():
            revision = self.stories.revise(story_id, move, article=article, author_id=editor_id,
                                           author_kind="human", reason=f"{kind}: {text}",
                                           audit_as=kind)
            correction_id = self.archive.add_correction(
                story_id, kind=kind, text=text, revision=revision.number, editor_id=editor_id,
                ticket_id=ticket_id, notify=notify)
            if ticket_id is not None:
                self.tickets.update(ticket_id, correction_id=correction_id)
            self.archive.file(story_id, archive, State.PUBLISHED)
            self.outbox.copies_changed(story_id)
        return self.archive.correction(correction_id)

    def retract(self, story_id: int, move: Move, *, reason: str, actor_id: int,
                archive: dict[str, str]) -> tuple[Story, int, int]:
        """Retract, withdraw what has not gone out, mark every copy for replacement.

        One transaction; returns (story, deliveries cancelled, deliveries in flight)."""
        with self.atomic():
            story = self.stories.move(story_id, move, actor_id=actor_id, detail=reason,
                                      changes={"retracted_at": utcnow(),
                                               "retraction_reason": reason})
            self.archive.file(story_id, archive, State.RETRACTED)
            cancelled, in_flight = self.outbox.withdraw_unsent(story_id)
            self.outbox.copies_changed(story_id)
        return story, cancelled, in_flight

    # ---- maintenance ---------------------------------------------------------------

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
