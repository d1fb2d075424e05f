"""The scheduled daily backup: a consistent copy of the database, the last N kept.

The copy is made with SQLite's online backup API on the store's own thread and
connection, so it is consistent while the bot keeps writing. `newsroom backup PATH`
does the same from the command line.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from storage.records import utcnow
from storage.store import Store
from storage.worker import AsyncStore

log = logging.getLogger(__name__)

PATTERN = "newsroom-*.db"


def backup_name(moment: datetime) -> str:
    return f"newsroom-{moment:%Y%m%d-%H%M%S}.db"


def existing(folder: Path) -> list[Path]:
    """Backups in the folder, oldest first (the names sort by time)."""
    return sorted(p for p in folder.glob(PATTERN) if p.is_file())


def prune(folder: Path, keep: int) -> list[Path]:
    old = existing(folder)[:-keep] if keep > 0 else []
    for path in old:
        path.unlink(missing_ok=True)
    return old


def _backup(store: Store, folder: Path, keep: int) -> tuple[Path, list[Path]]:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / backup_name(utcnow())
    store.backup_to(target)
    return target, prune(folder, keep)


async def run_backup(store: AsyncStore, folder: Path, keep: int) -> Path:
    """Copy, then prune, all on the store's thread (file work included)."""
    target, removed = await store.run(lambda s: _backup(s, folder, keep))
    log.info("backup written to %s (%d old one(s) removed)", target, len(removed))
    return target


def due(folder: Path, now: datetime, every: timedelta = timedelta(days=1)) -> bool:
    """Whether the newest backup is older than a day (missed while the bot was down)."""
    backups = existing(folder)
    if not backups:
        return True
    newest = datetime.strptime(backups[-1].name, "newsroom-%Y%m%d-%H%M%S.db").replace(
        tzinfo=now.tzinfo)
    return now - newest >= every
