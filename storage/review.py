"""Approvals, pinned to a revision, and the audit trail every action leaves."""

from __future__ import annotations

import sqlite3

from storage.base import Conflict, Tables
from storage.records import Approval, AuditEvent, iso, utcnow


class Review(Tables):
    def add_approval(self, story_id: int, *, revision: int, editor_id: int,
                     note: str | None) -> int:
        """One editor's approval of exactly this revision; Conflict if they gave it already."""
        try:
            return self.insert("approvals", {"story_id": story_id, "revision": revision,
                                             "editor_id": editor_id, "note": note,
                                             "created_at": iso(utcnow())})
        except sqlite3.IntegrityError:
            raise Conflict(f"editor {editor_id} already approved revision {revision}") from None

    def approvals(self, story_id: int, revision: int | None = None) -> list[Approval]:
        where, params = "story_id = ?", [story_id]
        if revision is not None:
            where, params = f"{where} AND revision = ?", [story_id, revision]
        rows = self.db["approvals"].rows_where(where, params, order_by="id")
        return [Approval.from_row(r) for r in rows]

    def history(self, story_id: int) -> list[AuditEvent]:
        """A story's audit trail, oldest first."""
        rows = self.db["audit"].rows_where("story_id = ?", [story_id], order_by="id")
        return [AuditEvent.from_row(r) for r in rows]
