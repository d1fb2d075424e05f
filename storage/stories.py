"""Stories, their numbered revisions and the sources they were written from.

A story changes state only by a decided move (`Move`) applied as a guarded update
(`... WHERE id = ? AND status = <the state it was decided from>`), with its audit row
in the same transaction; a move that lost a race raises `Conflict` and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlite_utils.db import NotFoundError

from storage.base import Conflict, Tables
from storage.records import Revision, SourceDoc, Story, Usage, iso, utcnow
from storage.states import Move, State


class Stories(Tables):
    # ---- creating and reading ------------------------------------------------------

    def add(self, move: Move, *, origin: str, requested_by: int, topic: str = "",
            length: str | None = None, notes: str | None = None,
            sources: Iterable[SourceDoc] = ()) -> int:
        """A new story in `move.to_state`, with its sources and its first audit row."""
        now = iso(utcnow())
        with self.atomic():
            story_id = self.insert("stories", {
                "status": move.to_state, "origin": origin, "topic": topic, "length": length,
                "notes": notes, "requested_by": requested_by, "created_at": now,
                "updated_at": now})
            for position, source in enumerate(sources, start=1):
                self._add_source(story_id, position, source)
            self.audit(move.action, actor_id=requested_by, story_id=story_id,
                       to_status=move.to_state, detail=topic or None)
        return story_id

    def _add_source(self, story_id: int, position: int, source: SourceDoc) -> None:
        self.insert("sources", {
            "story_id": story_id, "position": position, "kind": source.kind,
            "title": source.title, "url": source.url, "filename": source.filename,
            "media_type": source.media_type, "text": source.text, "data": source.data,
            "created_at": iso(utcnow())})

    def get(self, story_id: int) -> Story:
        """The story, or `NotFoundError`."""
        return Story.from_row(self.db["stories"].get(story_id))

    def find(self, story_id: int) -> Story | None:
        try:
            return self.get(story_id)
        except NotFoundError:
            return None

    def recent(self, statuses: Sequence[State] | None = None, limit: int = 25,
             offset: int = 0) -> list[Story]:
        where, params = _in("status", statuses)
        rows = self.db["stories"].rows_where(where, params, order_by="id DESC", limit=limit,
                                             offset=offset)
        return [Story.from_row(r) for r in rows]

    def counts(self) -> dict[str, int]:
        """Stories per state."""
        rows = self.rows("SELECT status, count(*) AS n FROM stories GROUP BY status")
        return {r["status"]: r["n"] for r in rows}

    def match(self, text: str, statuses: Iterable[State] | None = None,
              limit: int = 25) -> list[Story]:
        """For autocomplete: id prefix or a word of the headline/topic, newest first."""
        needle = text.strip().lstrip("#")
        where = "(headline LIKE ? OR topic LIKE ? OR CAST(id AS TEXT) LIKE ?)"
        params: list[Any] = [f"%{needle}%", f"%{needle}%", f"{needle}%"]
        only, states = _in("status", statuses)
        if only:
            where, params = f"{where} AND {only}", [*params, *states]
        rows = self.db["stories"].rows_where(where, params, order_by="id DESC", limit=limit)
        return [Story.from_row(r) for r in rows]

    def scheduled(self) -> list[Story]:
        """Scheduled stories, those with their own time first, soonest first."""
        rows = self.db["stories"].rows_where(
            "status = ?", [State.SCHEDULED],
            order_by="scheduled_for IS NULL, scheduled_for, id")
        return [Story.from_row(r) for r in rows]

    def set_card(self, story_id: int, *, channel_id: int | None, message_id: int | None,
                 thread_id: int | None = None) -> None:
        changes: dict[str, Any] = {"card_channel_id": channel_id, "card_message_id": message_id}
        if thread_id is not None:
            changes["thread_id"] = thread_id
        with self.atomic():
            self.db["stories"].update(story_id, changes)

    # ---- moving --------------------------------------------------------------------

    def move(self, story_id: int, move: Move, *, actor_id: int | None,
             detail: str | None = None, changes: dict[str, Any] | None = None,
             audit_as: str | None = None) -> Story:
        """Apply a decided move with its audit row, or raise Conflict (nothing changed)."""
        values: dict[str, Any] = {"status": move.to_state, "updated_at": iso(utcnow())}
        for key, value in (changes or {}).items():
            values[key] = iso(value) if isinstance(value, datetime) else value
        sets = ", ".join(f"{name} = ?" for name in values)
        with self.atomic():
            if not self.changed(f"UPDATE stories SET {sets} WHERE id = ? AND status = ?",
                                [*values.values(), story_id, move.from_state]):
                self._lost(story_id, move)
            story = self.get(story_id)
            self.audit(audit_as or move.action, actor_id=actor_id, story_id=story_id,
                       revision=story.current_revision or None, from_status=move.from_state,
                       to_status=move.to_state, detail=detail)
        return story

    def _lost(self, story_id: int, move: Move) -> None:
        now = self.get(story_id).status  # NotFoundError when there is no such story
        raise Conflict(f"story #{story_id} is {now}, expected {move.from_state}")

    # ---- revisions -----------------------------------------------------------------

    def revise(self, story_id: int, move: Move, *, article: dict[str, Any],
               author_id: int | None, author_kind: str, reason: str,
               usage: Usage | None = None, actor_id: int | None = None,
               changes: dict[str, Any] | None = None, audit_as: str | None = None
               ) -> Revision:
        """A new numbered revision and the move it makes; the story loses its approvals
        (they are pinned to a revision number, so a new number is what clears them)."""
        with self.atomic():
            number = self.add_revision(story_id, article, author_id, author_kind, reason, usage)
            self.move(story_id, move, actor_id=actor_id if actor_id is not None else author_id,
                      detail=reason or None, changes={"check_override": None, **(changes or {})},
                      audit_as=audit_as)
        return self.revision(story_id, number)

    def add_revision(self, story_id: int, article: dict[str, Any], author_id: int | None,
                     author_kind: str, reason: str, usage: Usage | None = None) -> int:
        """Store the next revision and make it the story's current one; its number."""
        row = self.one("SELECT coalesce(max(number), 0) AS n FROM revisions WHERE story_id = ?",
                       [story_id])
        number = int(row["n"] if row else 0) + 1
        usage = usage or Usage()
        values: dict[str, Any] = {"current_revision": number,
                                  "headline": str(article.get("headline", ""))[:300],
                                  "updated_at": iso(utcnow())}
        if author_kind == "human" and author_id is not None:
            values["last_author_id"] = author_id
        self.db["stories"].update(story_id, values)
        self.insert("revisions", {
            "story_id": story_id, "number": number,
            "article": json.dumps(article, ensure_ascii=False), "author_id": author_id,
            "author_kind": author_kind, "reason": reason, "model": usage.model,
            "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
            "cache_creation_tokens": usage.cache_creation_tokens,
            "cache_read_tokens": usage.cache_read_tokens, "cost_usd": usage.cost_usd,
            "created_at": iso(utcnow())})
        return number

    def revision(self, story_id: int, number: int | None = None) -> Revision:
        """A story's revision by number, or its current one; `NotFoundError` if none."""
        where, params = "story_id = ?", [story_id]
        if number is not None:
            where, params = f"{where} AND number = ?", [story_id, number]
        row = next(self.db["revisions"].rows_where(where, params, order_by="number DESC",
                                                   limit=1), None)
        if row is None:
            raise NotFoundError(f"story #{story_id} has no revision {number or ''}".strip())
        return Revision.from_row(row)

    def revisions(self, story_id: int) -> list[Revision]:
        rows = self.db["revisions"].rows_where("story_id = ?", [story_id], order_by="number")
        return [Revision.from_row(r) for r in rows]

    def sources(self, story_id: int) -> list[SourceDoc]:
        rows = self.db["sources"].rows_where("story_id = ?", [story_id], order_by="position")
        return [SourceDoc.from_row(r) for r in rows]


def _in(column: str, values: Iterable[Any] | None) -> tuple[str | None, list[Any]]:
    """`column IN (?, ...)` and its parameters; (None, []) for no filter."""
    values = list(values or ())
    if not values:
        return None, []
    return f"{column} IN ({', '.join('?' for _ in values)})", values
