"""The one sqlite-utils migration registry of the newsroom schema."""

from __future__ import annotations

from sqlite_utils.migrations import Migrations

migrations = Migrations("newsroom")
