"""`newsroom restore BACKUP`, and the lock that says a newsroom is running on a database.

`newsroom run` holds an exclusive `flock` on `<database>.lock` for as long as it runs;
the kernel drops it when the process ends, even by kill -9, so a stale lock never
blocks anything. A restore takes the same lock, so it refuses while the bot runs and
the bot cannot start half-way through a restore.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from bot.errors import NewsroomError
from storage import migrations as schema
from storage.base import SQLITE_HEADER
from storage.store import backup_file

DB_FILES = ("", "-wal", "-shm")


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


@contextlib.contextmanager
def run_lock(db_path: Path, purpose: str = "run") -> Iterator[None]:
    """Hold the database's lock, or raise NewsroomError naming the process that has it."""
    path = lock_path(db_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+")
    except OSError as exc:  # e.g. a bind-mounted folder the container's user cannot write
        raise NewsroomError(f"cannot write in {path.parent} ({exc.strerror}): the database's "
                            f"folder must be writable by this user (uid {os.getuid()})"
                            ) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            what = "restore" if purpose == "restore" else "start"
            raise NewsroomError(f"cannot {what}: newsroom is running on {db_path} "
                                f"({holder}); stop it first") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, {purpose}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # closing the file releases the lock


@dataclass(frozen=True)
class Restored:
    schema: str
    stories: int
    moved_aside: Path | None
    pending_migrations: int


def _inspect(path: Path) -> tuple[str, int, int]:
    """(last migration, stories, migrations still to apply) of a checked copy."""
    conn = sqlite3.connect(str(path))
    try:
        result = conn.execute("PRAGMA integrity_check").fetchall()
        if result != [("ok",)]:
            problems = "; ".join(str(r[0]) for r in result[:3])
            raise NewsroomError(f"the backup fails SQLite's integrity check: {problems}")
        applied = [m.name for m in schema.migrations.applied(Database(conn))]
        stories = conn.execute("SELECT count(*) FROM stories").fetchone()[0] if applied else 0
    except sqlite3.DatabaseError as exc:
        raise NewsroomError(f"the backup is damaged: {exc}") from None
    finally:
        conn.close()
    known = schema.known()
    if not applied:
        raise NewsroomError("the backup is not a newsroom database (no newsroom schema in it)")
    unknown = sorted(set(applied) - set(known))
    if unknown:
        raise NewsroomError(f"the backup was written by a newer newsroom (unknown migrations: "
                            f"{', '.join(unknown)}); upgrade first")
    latest = max(applied, key=known.index)
    return latest, int(stories), len(set(known) - set(applied))


def _check_header(backup: Path) -> None:
    if not backup.is_file():
        raise NewsroomError(f"there is no backup file at {backup}")
    with backup.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise NewsroomError(f"{backup} is not an SQLite database")


def restore(db_path: Path, backup: Path) -> Restored:
    """Check a backup and put it in place of the database; the old files are kept aside."""
    _check_header(backup)
    if backup.resolve() == db_path.resolve():
        raise NewsroomError("the backup is the database itself; choose a backup file")
    with run_lock(db_path, purpose="restore"):
        staging = db_path.with_name(db_path.name + ".restoring")
        _remove(staging)
        try:
            backup_file(backup, staging)
            schema, stories, pending = _inspect(staging)
            aside = _move_aside(db_path)
            os.replace(staging, db_path)
        finally:
            _remove(staging)
    return Restored(schema, stories, aside, pending)


def _move_aside(db_path: Path) -> Path | None:
    """Rename the database and its -wal/-shm together, so the old state stays whole."""
    if not db_path.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    aside = db_path.with_name(f"{db_path.name}.before-restore-{stamp}")
    for suffix in DB_FILES:
        current = Path(f"{db_path}{suffix}")
        if current.exists():
            current.rename(Path(f"{aside}{suffix}"))
    return aside


def _remove(path: Path) -> None:
    for suffix in DB_FILES:
        Path(f"{path}{suffix}").unlink(missing_ok=True)
