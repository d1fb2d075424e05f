"""What subscribing servers see of their subscriptions, a destination's lost access, and
the announcement channel's notices waiting for their crosspost.

A subscription is a destination (`storage.outbox`): mode "deliver" gets one delivery per
story; mode "follow" gets none, since Discord copies every crossposted announcement into
the channel (its last story is read from the announcement channel's crossposts).
"""

from __future__ import annotations

from datetime import datetime

from storage.base import Tables
from storage.records import Destination, Subscription, iso, parse_iso, utcnow
from storage.states import DeliveryState, DestinationMode


class Subscriptions(Tables):
    def of_guild(self, guild_id: int, announce_channel_id: int | None) -> list[Subscription]:
        """This server's subscriptions, active or disabled (not those it unsubscribed),
        each with the last story that reached it."""
        rows = self.rows("SELECT * FROM destinations WHERE guild_id = ? AND kind = 'subscriber' "
                         "AND (active = 1 OR disabled_reason != 'unsubscribed') ORDER BY id",
                         [guild_id])
        return [self._with_last(Destination.from_row(r), announce_channel_id) for r in rows]

    def _with_last(self, dest: Destination, announce_channel_id: int | None) -> Subscription:
        if dest.mode == DestinationMode.FOLLOW:
            row = self.one("SELECT d.story_id, s.headline, s.status, c.at FROM crossposts c "
                           "JOIN deliveries d ON d.id = c.delivery_id JOIN stories s ON "
                           "s.id = d.story_id WHERE c.channel_id = ? AND c.at >= ? "
                           "ORDER BY c.at DESC LIMIT 1",
                           [announce_channel_id or 0, iso(dest.updated_at)])
        else:
            row = self.one("SELECT d.story_id, s.headline, s.status, d.sent_at AS at FROM "
                           "deliveries d JOIN stories s ON s.id = d.story_id WHERE "
                           "d.destination_id = ? AND d.state = ? ORDER BY d.sent_at DESC "
                           "LIMIT 1", [dest.id, DeliveryState.SENT])
        if row is None:
            return Subscription(dest)
        return Subscription(dest, row["story_id"], row["headline"], row["status"],
                            parse_iso(row["at"]))

    def failing(self, dest_id: int, at: datetime) -> tuple[datetime, bool]:
        """A delivery here failed for lack of access at `at`: since when it has been
        failing, and whether this is the first such failure (the team is warned once)."""
        with self.atomic():
            first = bool(self.changed("UPDATE destinations SET warned_at = ? WHERE id = ? AND "
                                      "warned_at IS NULL", [iso(at), dest_id]))
            row = self.one("SELECT warned_at FROM destinations WHERE id = ?", [dest_id])
        since = parse_iso(row["warned_at"]) if row else None
        return since or at, first

    # ---- notices in the announcement channel ---------------------------------------

    def queue_crosspost(self, message_id: int, channel_id: int) -> None:
        """A notice posted in the announcement channel goes to its followers too, within
        the channel's crosspost budget (`bot.crossposts`)."""
        with self.atomic():
            self.db.execute("INSERT OR IGNORE INTO notice_crossposts VALUES (?, ?, ?)",
                            [message_id, channel_id, iso(utcnow())])

    def queued_crossposts(self) -> list[tuple[int, int]]:
        """(message id, channel id) of the notices waiting, oldest first."""
        return [(r["message_id"], r["channel_id"]) for r in self.rows(
            "SELECT message_id, channel_id FROM notice_crossposts ORDER BY queued_at")]

    def notice_crossposted(self, message_id: int, channel_id: int, *, done: bool) -> None:
        """Off the queue; counted against the hour's budget when it was crossposted."""
        with self.atomic():
            self.changed("DELETE FROM notice_crossposts WHERE message_id = ?", [message_id])
            if done:
                self.db.execute("INSERT OR IGNORE INTO crossposts VALUES (?, ?, NULL, ?)",
                                [message_id, channel_id, iso(utcnow())])
