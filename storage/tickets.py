"""Readers' feedback tickets: what they sent, how the editors answered, whether they know."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlite_utils.db import NotFoundError

from storage.base import Conflict, OverLimit, Tables
from storage.records import Ticket, iso, utcnow

OPEN = "open"


class Tickets(Tables):
    def add(self, *, story_id: int | None, user_id: int, guild_id: int | None,
            channel_id: int | None, kind: str, text: str, quote: str | None,
            allowance: tuple[int, timedelta] | None = None) -> Ticket:
        """A reader's ticket; with `allowance` (count, window), checked in the same
        transaction, so concurrent submissions cannot exceed it (OverLimit)."""
        with self.atomic():
            if allowance is not None:
                self._check_allowance(user_id, *allowance)
            ticket_id = self.insert("tickets", {
                "story_id": story_id, "user_id": user_id, "guild_id": guild_id,
                "channel_id": channel_id, "kind": kind, "text": text, "quote": quote,
                "status": OPEN, "created_at": iso(utcnow())})
            self.audit("feedback", actor_id=user_id, story_id=story_id,
                       detail=f"ticket {ticket_id}: {kind}")
        return self.get(ticket_id)

    def _check_allowance(self, user_id: int, count: int, window: timedelta) -> None:
        recent = self.rows("SELECT created_at FROM tickets WHERE user_id = ? AND created_at > ? "
                           "ORDER BY created_at DESC LIMIT ?",
                           [user_id, iso(utcnow() - window), count])
        if len(recent) >= count:
            oldest = datetime.fromisoformat(recent[-1]["created_at"])
            raise OverLimit(oldest + window)

    def get(self, ticket_id: int) -> Ticket:
        """The ticket, or `NotFoundError`."""
        return Ticket.from_row(self.db["tickets"].get(ticket_id))

    def find(self, ticket_id: int) -> Ticket | None:
        try:
            return self.get(ticket_id)
        except NotFoundError:
            return None

    def recent(self, status: str | None = None, *, user_id: int | None = None,
             limit: int = 25) -> list[Ticket]:
        clauses, params = [], []
        if status:
            clauses.append("status = ?")
            params.append(status)
        if user_id is not None:
            clauses.append("user_id = ?")
            params.append(user_id)
        rows = self.db["tickets"].rows_where(" AND ".join(clauses) or None, params,
                                             order_by="id DESC", limit=limit)
        return [Ticket.from_row(r) for r in rows]

    def count_open(self) -> int:
        return self.db["tickets"].count_where("status = ?", [OPEN])

    def update(self, ticket_id: int, **changes: Any) -> Ticket:
        values = {k: iso(v) if isinstance(v, datetime) else v for k, v in changes.items()}
        with self.atomic():
            self.db["tickets"].update(ticket_id, values)
        return self.get(ticket_id)

    def resolve(self, ticket_id: int, *, status: str, actor_id: int,
                reply: str | None) -> Ticket:
        """Open -> accepted or dismissed, once (a guarded update: Conflict if it was not
        open any more)."""
        with self.atomic():
            if not self.changed("UPDATE tickets SET status = ?, reply = ?, resolved_by = ?, "
                                "resolved_at = ? WHERE id = ? AND status = ?",
                                [status, reply, actor_id, iso(utcnow()), ticket_id, OPEN]):
                raise Conflict(f"ticket {ticket_id} is already {self.get(ticket_id).status}")
            ticket = self.get(ticket_id)
            self.audit(f"ticket_{status}", actor_id=actor_id, story_id=ticket.story_id,
                       detail=f"ticket {ticket_id}" + (f": {reply}" if reply else ""))
        return ticket
