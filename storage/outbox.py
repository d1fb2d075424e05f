"""Destinations, deliveries and crossposts: what must reach Discord, and what did.

Every state change of a delivery is a guarded update (`... WHERE state = 'pending'`)
that says whether it took effect, so a sender that lost a race to a retraction or an
unsubscribe learns it instead of overwriting the newer decision. Facts about Discord
(which message ids exist) are always recorded, whatever the state: they are what a
later repair needs.

`shown` is the rendition a sent copy carries ("r3c1": revision 3 with one correction
note; "retracted": the notice). `sync = 1` marks a copy that differs from what its
story wants, or a cancelled delivery that left something in a channel; the delivery
worker brings every such copy in line. Every write that changes what a story wants
sets `sync` in its own transaction, so nothing depends on an in-memory flag.

A delivery without a story is the masthead of issue `issue_id` in its channel; what it
wants is derived from its issue's stories and their copies in the same channel
(`storage.issues.MASTHEAD_WANT_SQL`), and `_resync` re-derives it whenever one of
those copies changes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlite_utils.db import NotFoundError

from storage.base import Tables
from storage.issues import MASTHEAD_HELD, MASTHEAD_NEEDS_SYNC, MASTHEAD_WANT_SQL
from storage.records import CopyState, Delivery, Destination, iso, utcnow
from storage.states import DeliveryState, DestinationMode, State

WANT_SQL = (
    f"CASE s.status WHEN '{State.RETRACTED}' THEN '{State.RETRACTED}' ELSE 'r' || "
    "s.current_revision || 'c' || (SELECT count(*) FROM corrections c WHERE c.story_id = s.id) "
    "END"
)
"""What a story's copies must show now; see the module docstring."""

_NEEDS_SYNC = (
    "CASE WHEN d.state = 'sent' THEN coalesce(d.shown, '') != (" + WANT_SQL + ") "
    "WHEN d.state = 'cancelled' THEN d.message_ids != '[]' OR d.sending_since IS NOT NULL "
    "ELSE 0 END"
)


class Outbox(Tables):
    # ---- destinations --------------------------------------------------------------

    def add_destination(self, *, kind: str, guild_id: int, channel_id: int,
                        added_by: int | None, mode: str = DestinationMode.DELIVER,
                        webhook_id: int | None = None) -> tuple[Destination, bool]:
        """Register a channel (or re-enable it, or change its mode); returns
        (destination, changed). A channel that now follows gets no more deliveries."""
        now = iso(utcnow())
        with self.atomic():
            row = self.one("SELECT * FROM destinations WHERE channel_id = ?", [channel_id])
            if row is None:
                dest_id = self.insert("destinations", {
                    "kind": kind, "guild_id": guild_id, "channel_id": channel_id,
                    "added_by": added_by, "active": 1, "mode": mode, "webhook_id": webhook_id,
                    "created_at": now, "updated_at": now})
                self.audit("subscribe", actor_id=added_by, detail=f"channel {channel_id} {mode}")
                return self.destination(dest_id), True
            created = not row["active"] or row["kind"] != kind or row["mode"] != mode
            if not created and row["warned_at"] is None:
                return Destination.from_row(row), False
            self.db["destinations"].update(row["id"], {
                "kind": kind, "active": 1, "disabled_reason": None, "warned_at": None,
                "updated_at": now, "added_by": added_by, "mode": mode, "webhook_id": webhook_id})
            if mode == DestinationMode.FOLLOW:
                self._cancel_unsent(row["id"])
            if created:
                self.audit("subscribe", actor_id=added_by, detail=f"channel {channel_id} {mode}")
            return self.destination(row["id"]), created

    def remove_destination(self, channel_id: int, *, actor_id: int | None,
                           reason: str = "unsubscribed") -> bool:
        """Stop delivering to a channel; copies still going out are withdrawn as they land."""
        with self.atomic():
            row = self.one("SELECT * FROM destinations WHERE channel_id = ? AND active = 1",
                           [channel_id])
            if row is None:
                return False
            self.db["destinations"].update(row["id"], {
                "active": 0, "disabled_reason": reason, "updated_at": iso(utcnow())})
            self._cancel_unsent(row["id"])
            self.audit("unsubscribe", actor_id=actor_id, detail=f"channel {channel_id}: {reason}")
        return True

    def _cancel_unsent(self, dest_id: int) -> None:
        """Copies not sent to a channel are not wanted there any more (withdrawn if
        they land meanwhile)."""
        self.changed("UPDATE deliveries SET state = 'cancelled', crosspost = NULL, "
                     "sync = (message_ids != '[]' OR sending_since IS NOT NULL), "
                     "updated_at = ? WHERE destination_id = ? AND state IN "
                     "('pending', 'failed')", [iso(utcnow()), dest_id])

    def destination(self, dest_id: int) -> Destination:
        return Destination.from_row(self.db["destinations"].get(dest_id))

    def destinations(self, *, active_only: bool = True, kind: str | None = None,
                     guild_id: int | None = None, mode: str | None = None
                     ) -> list[Destination]:
        clauses, params = [], []
        if active_only:
            clauses.append("active = 1")
        for column, value in (("kind", kind), ("mode", mode)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if guild_id is not None:
            clauses.append("guild_id = ?")
            params.append(guild_id)
        rows = self.db["destinations"].rows_where(" AND ".join(clauses) or None, params,
                                                  order_by="id")
        return [Destination.from_row(r) for r in rows]

    def disable_destination(self, dest_id: int, reason: str) -> None:
        with self.atomic():
            self.db["destinations"].update(dest_id, {
                "active": 0, "disabled_reason": reason[:300], "updated_at": iso(utcnow())})
            self.changed("UPDATE deliveries SET state = 'failed', last_error = ?, "
                         "next_attempt_at = NULL, updated_at = ? WHERE destination_id = ? "
                         "AND state = 'pending'", [reason[:500], iso(utcnow()), dest_id])
            self.audit("destination_disabled", actor_id=None, detail=reason)

    # ---- creating and reading deliveries -------------------------------------------

    def create_for_story(self, story_id: int, now: datetime, issue: int | None = None) -> None:
        """One pending delivery per active destination the bot delivers to (Discord
        copies the announcement to followers); inside the publish transaction."""
        self.changed(
            "INSERT INTO deliveries (story_id, issue_id, destination_id, channel_id, state, "
            "crosspost, created_at, updated_at) SELECT ?, ?, id, channel_id, ?, CASE kind "
            "WHEN 'announcement' THEN 'pending' END, ?, ? FROM destinations "
            "WHERE active = 1 AND mode = ? ORDER BY id",
            [story_id, issue, DeliveryState.PENDING, iso(now), iso(now),
             DestinationMode.DELIVER])

    def deliveries(self, story_id: int) -> list[Delivery]:
        rows = self.db["deliveries"].rows_where("story_id = ?", [story_id], order_by="id")
        return [Delivery.from_row(r) for r in rows]

    def delivery(self, delivery_id: int) -> Delivery:
        return Delivery.from_row(self.db["deliveries"].get(delivery_id))

    def due(self, now: datetime, limit: int = 1000) -> list[Delivery]:
        """Pending deliveries whose backoff has passed, oldest first."""
        rows = self.db["deliveries"].rows_where(
            "state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)",
            [iso(now)], order_by="id", limit=limit)
        return [Delivery.from_row(r) for r in rows]

    def next_time(self) -> datetime | None:
        """When the next delivery or repair waiting on a backoff is due."""
        # Two indexed halves: one OR over both columns made SQLite read every delivery
        # ever made (10 ms at 100,000, on each courier pass).
        row = self.one("SELECT min(t) AS t FROM ("
                       "  SELECT min(next_attempt_at) AS t FROM deliveries "
                       "  WHERE state = 'pending' AND next_attempt_at IS NOT NULL UNION ALL "
                       "  SELECT min(next_attempt_at) FROM deliveries INDEXED BY "
                       "  idx_deliveries_sync WHERE sync = 1 AND next_attempt_at IS NOT NULL)")
        return datetime.fromisoformat(row["t"]) if row and row["t"] else None

    def copy_state(self, delivery_id: int) -> CopyState:
        """The delivery and what its story (or, for a masthead, its issue) wants now,
        read together; a masthead counts as published."""
        row = self.one(f"SELECT d.*, coalesce(s.status, ?) AS story_status, CASE WHEN "
                       f"d.story_id IS NULL THEN {MASTHEAD_WANT_SQL} ELSE {WANT_SQL} END AS "
                       "want, t.kind AS destination_kind FROM deliveries d LEFT JOIN stories s "
                       "ON s.id = d.story_id JOIN destinations t ON t.id = d.destination_id "
                       "WHERE d.id = ?", [State.PUBLISHED, delivery_id])
        if row is None:
            raise NotFoundError(f"no delivery {delivery_id}")
        return CopyState(Delivery.from_row(row), row["story_status"], row["want"],
                         row["destination_kind"] == "announcement")

    def out_of_sync(self, now: datetime, limit: int = 500) -> list[Delivery]:
        """Copies to bring in line (see the module docstring). A masthead waits while a
        story of its issue in its channel is due to go out now: it is edited once, when
        they have landed, not once per story (`MASTHEAD_HELD`)."""
        rows = self.rows("SELECT * FROM deliveries AS d INDEXED BY idx_deliveries_sync WHERE "
                         "sync = 1 AND (next_attempt_at IS NULL OR next_attempt_at <= :now) "
                         f"AND NOT ({MASTHEAD_HELD}) ORDER BY id LIMIT :limit",
                         {"now": iso(now), "limit": limit})
        return [Delivery.from_row(r) for r in rows]

    def counts(self) -> dict[str, int]:
        rows = self.rows("SELECT state, count(*) AS n FROM deliveries GROUP BY state")
        return {r["state"]: r["n"] for r in rows}

    def unsettled(self) -> int:
        """Deliveries still to send or to bring in line (for drain and shutdown)."""
        row = self.one("SELECT count(*) AS n FROM deliveries WHERE state = 'pending' OR sync = 1")
        return int(row["n"]) if row else 0

    # ---- the sender's guarded steps ------------------------------------------------

    def claim(self, delivery_id: int) -> CopyState | None:
        """Mark a pending delivery in flight (for reconciliation after a crash).

        Returns the state as it was before (its `sending_since` says whether an earlier
        attempt may have left parts in Discord); None when it is no longer pending.
        """
        now = iso(utcnow())
        with self.atomic():
            before = self.copy_state(delivery_id)
            if not self.changed("UPDATE deliveries SET sending_since = coalesce(sending_since, ?), "
                                "updated_at = ? WHERE id = ? AND state = 'pending'",
                                [now, now, delivery_id]):
                return None
        return before

    def record_parts(self, delivery_id: int, message_ids: Sequence[int]) -> None:
        """Which messages of this delivery exist in Discord: a fact, in any state."""
        with self.atomic():
            self.changed("UPDATE deliveries SET message_ids = ?, updated_at = ?, sync = CASE "
                         "WHEN state = 'cancelled' THEN 1 ELSE sync END WHERE id = ?",
                         [json.dumps(list(message_ids)), iso(utcnow()), delivery_id])

    def still_wanted(self, delivery_id: int) -> bool:
        """Whether the next part of an in-flight copy should still go out."""
        row = self.one("SELECT d.state, d.story_id, s.status FROM deliveries d LEFT JOIN "
                       "stories s ON s.id = d.story_id WHERE d.id = ?", [delivery_id])
        return bool(row) and row["state"] == DeliveryState.PENDING and \
            (row["story_id"] is None or row["status"] == State.PUBLISHED)

    def mark_sent(self, delivery_id: int, message_ids: Sequence[int], shown: str) -> bool:
        """Pending -> sent, with what the copy shows.

        True when the copy is done and shows what its story wants; False when the row
        moved meanwhile or the story changed while it went out (then it is marked for
        bringing in line)."""
        now = iso(utcnow())
        with self.atomic():
            done = self.changed(
                "UPDATE deliveries SET state = 'sent', message_ids = ?, shown = ?, sent_at = ?, "
                "attempts = attempts + 1, last_error = NULL, next_attempt_at = NULL, "
                "sending_since = NULL, updated_at = ? WHERE id = ? AND state = 'pending'",
                [json.dumps(list(message_ids)), shown, now, now, delivery_id])
            if done:  # the channel takes copies again: it is no longer failing
                self.changed("UPDATE destinations SET warned_at = NULL WHERE warned_at IS NOT "
                             "NULL AND id = (SELECT destination_id FROM deliveries WHERE id = ?)",
                             [delivery_id])
            self._resync(delivery_id)
            row = self.one("SELECT sync FROM deliveries WHERE id = ?", [delivery_id])
        return bool(done) and not (row and row["sync"])

    def retry_later(self, delivery_id: int, *, error: str, retry_at: datetime | None) -> bool:
        """A failed attempt: pending again at `retry_at`, or failed for good (None)."""
        state = DeliveryState.PENDING if retry_at is not None else DeliveryState.FAILED
        return bool(self._guarded_write(
            "UPDATE deliveries SET state = ?, attempts = attempts + 1, last_error = ?, "
            "next_attempt_at = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
            [state, error[:500], iso(retry_at), iso(utcnow()), delivery_id]))

    def cancel(self, delivery_id: int) -> bool:
        """A pending delivery whose story is no longer published never goes out."""
        with self.atomic():
            done = self.changed("UPDATE deliveries SET state = 'cancelled', crosspost = NULL, "
                                "updated_at = ? WHERE id = ? AND state = 'pending'",
                                [iso(utcnow()), delivery_id])
            self._resync(delivery_id)
        return bool(done)

    def _guarded_write(self, sql: str, params: list) -> int:
        with self.atomic():
            return self.changed(sql, params)

    # ---- bringing copies in line ---------------------------------------------------

    def copies_changed(self, story_id: int) -> None:
        """A story's text, notes or status changed: its copies must follow (in the txn)."""
        self.changed("UPDATE deliveries SET sync = 1, next_attempt_at = NULL WHERE "
                     "story_id = ? AND state IN ('sent', 'cancelled')", [story_id])
        self.changed("UPDATE deliveries SET sync = 1, next_attempt_at = NULL WHERE "
                     "story_id IS NULL AND state IN ('sent', 'cancelled') AND issue_id IN "
                     "(SELECT issue FROM issue_stories WHERE story_id = ?)", [story_id])

    def withdraw_unsent(self, story_id: int) -> tuple[int, int]:
        """For a retraction: cancel deliveries not yet started; (cancelled, in flight).

        A delivery already in flight keeps going: its copy is replaced by the notice as
        it lands (the answer to the editor says so)."""
        now = iso(utcnow())
        cancelled = self.changed(
            "UPDATE deliveries SET state = 'cancelled', updated_at = ?, next_attempt_at = NULL, "
            "sync = (message_ids != '[]' OR sending_since IS NOT NULL) WHERE story_id = ? AND "
            "(state = 'failed' OR (state = 'pending' AND sending_since IS NULL))",
            [now, story_id])
        self.changed("UPDATE deliveries SET crosspost = NULL WHERE story_id = ? AND "
                     "crosspost = 'pending'", [story_id])
        row = self.one("SELECT count(*) AS n FROM deliveries WHERE story_id = ? AND "
                       "state = 'pending'", [story_id])
        return cancelled, int(row["n"]) if row else 0

    def set_shown(self, delivery_id: int, message_ids: Sequence[int], shown: str) -> None:
        """A sent copy now shows `shown`; in sync only if that is still what is wanted."""
        with self.atomic():
            self.changed("UPDATE deliveries SET message_ids = ?, shown = ?, last_error = NULL, "
                         "next_attempt_at = NULL, updated_at = ? WHERE id = ?",
                         [json.dumps(list(message_ids)), shown, iso(utcnow()), delivery_id])
            self._resync(delivery_id)

    def repair_failed(self, delivery_id: int, *, error: str, retry_at: datetime) -> None:
        with self.atomic():
            self.changed("UPDATE deliveries SET last_error = ?, next_attempt_at = ?, "
                         "updated_at = ? WHERE id = ?",
                         [error[:500], iso(retry_at), iso(utcnow()), delivery_id])

    def cleared(self, delivery_id: int) -> None:
        """A cancelled delivery's stray messages are gone from Discord."""
        with self.atomic():
            self.changed("UPDATE deliveries SET message_ids = '[]', sending_since = NULL, "
                         "next_attempt_at = NULL, updated_at = ? WHERE id = ? AND "
                         "state = 'cancelled'", [iso(utcnow()), delivery_id])
            self._resync(delivery_id)

    def _resync(self, delivery_id: int) -> None:
        """Whether this copy, and the masthead of its issue in its channel (its links
        follow the copy), now differ from what they want."""
        self.changed(f"UPDATE deliveries AS d SET sync = ({_NEEDS_SYNC}) FROM stories s "
                     "WHERE s.id = d.story_id AND d.id = ?", [delivery_id])
        self.changed(f"UPDATE deliveries AS d SET sync = ({MASTHEAD_NEEDS_SYNC}) WHERE "
                     "d.story_id IS NULL AND d.id IN (SELECT m.id FROM deliveries x JOIN "
                     "deliveries m ON m.issue_id = x.issue_id AND m.destination_id = "
                     "x.destination_id AND m.story_id IS NULL WHERE x.id = ?)", [delivery_id])

    def retry_failed(self, story_id: int, *, actor_id: int | None) -> int:
        """Failed deliveries of a published story back to pending (the Retry button),
        with the failed mastheads of its issue."""
        with self.atomic():
            count = self.changed(
                "UPDATE deliveries SET state = 'pending', next_attempt_at = NULL, attempts = 0, "
                "updated_at = ? WHERE story_id = ? AND state = 'failed' AND destination_id IN "
                "(SELECT id FROM destinations WHERE active = 1) AND story_id IN "
                "(SELECT id FROM stories WHERE status = ?)",
                [iso(utcnow()), story_id, State.PUBLISHED])
            count += self.changed(
                "UPDATE deliveries SET state = 'pending', next_attempt_at = NULL, attempts = 0, "
                "updated_at = ? WHERE story_id IS NULL AND state = 'failed' AND issue_id IN "
                "(SELECT issue FROM issue_stories WHERE story_id = ?) AND destination_id IN "
                "(SELECT id FROM destinations WHERE active = 1)", [iso(utcnow()), story_id])
            if count:
                self.audit("retry_deliveries", actor_id=actor_id, story_id=story_id,
                           detail=f"{count} deliveries")
        return count

    # ---- crossposts ----------------------------------------------------------------

    def pending_crossposts(self) -> list[Delivery]:
        rows = self.rows("SELECT * FROM deliveries INDEXED BY idx_deliveries_crosspost "
                         "WHERE state = 'sent' AND crosspost = 'pending' ORDER BY id")
        return [Delivery.from_row(r) for r in rows]

    def crossposted(self, message_ids: Sequence[int]) -> set[int]:
        if not message_ids:
            return set()
        marks = ", ".join("?" for _ in message_ids)
        return {r["message_id"] for r in self.rows(
            f"SELECT message_id FROM crossposts WHERE message_id IN ({marks})", list(message_ids))}

    def record_crosspost(self, delivery_id: int, channel_id: int, message_id: int) -> None:
        with self.atomic():
            self.db.execute("INSERT OR IGNORE INTO crossposts VALUES (?, ?, ?, ?)",
                            [message_id, channel_id, delivery_id, iso(utcnow())])

    def crosspost_times(self, channel_id: int, window: float) -> list[datetime]:
        """When this channel's crossposts of the last `window` seconds were made."""
        since = iso(utcnow() - timedelta(seconds=window))
        return [datetime.fromisoformat(r["at"]) for r in self.rows(
            "SELECT at FROM crossposts WHERE channel_id = ? AND at > ? ORDER BY at",
            [channel_id, since])]

    def set_crosspost(self, delivery_id: int, state: str | None) -> None:
        with self.atomic():
            self.changed("UPDATE deliveries SET crosspost = ?, updated_at = ? WHERE id = ?",
                         [state, iso(utcnow()), delivery_id])
