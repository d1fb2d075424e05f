"""`newsroom restore BACKUP` as an operator runs it (the README's restore steps)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlite_utils import Database

from storage.migrations import migrations
from storage.store import Store
from tests.test_cli import newsroom


def database(path: Path, marker: str) -> None:
    store = Store(path)
    store.meta.put("marker", marker)
    store.close()


def marker(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT value FROM meta WHERE key = 'marker'").fetchone()[0]
    finally:
        conn.close()


def hold_lock(db: Path) -> subprocess.Popen[str]:
    """Another process holding the run lock, as `newsroom run` does while it runs."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from bot.restore import run_lock; "
         "ctx = run_lock(Path(sys.argv[1])); ctx.__enter__(); print('held', flush=True); "
         "time.sleep(60)", str(db)], stdout=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parent.parent)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_restore_puts_the_backup_in_place_and_keeps_the_old_files(tmp_path: Path) -> None:
    db = tmp_path / "data" / "newsroom.db"
    database(db, "current")
    database(tmp_path / "live.db", "backed up")
    assert newsroom("backup", "backups/b.db", cwd=tmp_path,
                    NEWSROOM_DB=str(tmp_path / "live.db")).returncode == 0
    result = newsroom("restore", "backups/b.db", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    newest = migrations.pending(Database(memory=True))[-1].name  # the schema of this code
    assert f"restored data/newsroom.db from backups/b.db (schema {newest}, 0 stories)" \
        in result.stdout
    assert marker(db) == "backed up"
    aside = [p for p in (tmp_path / "data").iterdir() if ".before-restore-" in p.name]
    assert len(aside) == 1 and marker(aside[0]) == "current"
    assert f"moved to data/{aside[0].name}" in result.stdout
    assert not list((tmp_path / "data").glob("*.restoring*"))
    assert (tmp_path / "backups" / "b.db").exists()  # the backup itself is untouched


def test_restore_refuses_while_the_bot_runs(tmp_path: Path) -> None:
    db = tmp_path / "data" / "newsroom.db"
    database(db, "current")
    database(tmp_path / "b.db", "backup")
    holder = hold_lock(db)
    try:
        result = newsroom("restore", "b.db", cwd=tmp_path)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 2
    assert result.stderr.startswith("newsroom: cannot restore: newsroom is running on "
                                    "data/newsroom.db (pid ")
    assert marker(db) == "current"
    # the lock goes with the process, even one killed with -9
    assert newsroom("restore", "b.db", cwd=tmp_path).returncode == 0


def test_restore_refuses_a_damaged_or_foreign_or_newer_file(tmp_path: Path) -> None:
    db = tmp_path / "data" / "newsroom.db"
    database(db, "current")
    (tmp_path / "text.db").write_text("not a database")
    conn = sqlite3.connect(tmp_path / "other.db")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    database(tmp_path / "newer.db", "newer")
    conn = sqlite3.connect(tmp_path / "newer.db")
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                 "VALUES ('newsroom', 'm999_future', '2027-01-01')")
    conn.commit()
    conn.close()
    cases = {"missing.db": "there is no backup file at missing.db",
             "text.db": "text.db is not an SQLite database",
             "other.db": "the backup is not a newsroom database",
             "newer.db": "the backup was written by a newer newsroom (unknown migrations: "
                         "m999_future)"}
    for name, message in cases.items():
        result = newsroom("restore", name, cwd=tmp_path)
        assert result.returncode == 2 and message in result.stderr, (name, result.stderr)
        assert marker(db) == "current"
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [
        "newsroom.db", "newsroom.db.lock"]


def test_restore_refuses_a_copy_that_fails_the_integrity_check(tmp_path: Path) -> None:
    db = tmp_path / "data" / "newsroom.db"
    database(db, "current")
    broken = tmp_path / "broken.db"
    database(broken, "x")
    conn = sqlite3.connect(broken)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    data = bytearray(broken.read_bytes())
    for page in range(1, len(data) // 4096):
        data[page * 4096] = 0x0B  # not a b-tree page type: every table page is damaged
    broken.write_bytes(bytes(data))
    result = newsroom("restore", "broken.db", cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert "newsroom:" in result.stderr and marker(db) == "current"


def test_a_second_bot_on_the_same_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "data" / "newsroom.db"
    holder = hold_lock(db)
    try:
        result = newsroom("run", cwd=tmp_path, DISCORD_TOKEN="t", NEWSROOM_GUILD_ID="1")
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 2
    assert "newsroom: cannot start: newsroom is running on data/newsroom.db" in result.stderr
