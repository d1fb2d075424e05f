"""What the newsroom remembers about itself: `/newsroom setup` values per guild, small
key-values (command sync digests, when editions were first counted) and the edition
runs, each recorded once, that tell a restart which editions it missed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from storage.base import Tables
from storage.records import iso, utcnow


class Meta(Tables):
    def guild_settings(self, guild_id: int) -> dict[str, Any]:
        rows = self.db["guild_settings"].rows_where("guild_id = ?", [guild_id],
                                                    select="key, value")
        return {r["key"]: json.loads(r["value"]) for r in rows}

    def set_guild_settings(self, guild_id: int, values: dict[str, Any], *,
                           actor_id: int | None) -> dict[str, Any]:
        now = iso(utcnow())
        with self.atomic():
            self.db["guild_settings"].upsert_all(
                [{"guild_id": guild_id, "key": key, "value": json.dumps(value),
                  "updated_by": actor_id, "updated_at": now} for key, value in values.items()],
                pk=("guild_id", "key"))
            self.audit("setup", actor_id=actor_id,
                       detail=", ".join(f"{k}={v}" for k, v in values.items()))
        return self.guild_settings(guild_id)

    def get(self, key: str) -> str | None:
        row = self.one("SELECT value FROM meta WHERE key = ?", [key])
        return row["value"] if row else None

    def put(self, key: str, value: str) -> None:
        with self.atomic():
            self.db["meta"].upsert({"key": key, "value": value}, pk="key")

    # ---- edition runs --------------------------------------------------------------

    def last_edition_run(self) -> datetime | None:
        row = self.one("SELECT max(due_at) AS t FROM edition_runs")
        return datetime.fromisoformat(row["t"]) if row and row["t"] else None

    def edition_recorded(self, due_at: datetime) -> bool:
        return self.one("SELECT 1 AS x FROM edition_runs WHERE due_at = ?",
                        [iso(due_at)]) is not None

    def record_edition(self, due_at: datetime, *, late_seconds: float, published: int,
                       issue: int | None = None) -> bool:
        """Record an edition run once (with the issue it made, if any); False when it was
        already recorded."""
        with self.atomic():
            if self.edition_recorded(due_at):
                return False
            self.insert("edition_runs", {"due_at": iso(due_at), "ran_at": iso(utcnow()),
                                         "late_seconds": late_seconds, "published": published,
                                         "issue": issue})
        return True
