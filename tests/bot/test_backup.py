import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import backup
from storage.worker import AsyncStore


async def test_backups_are_consistent_copies_and_old_ones_are_pruned(tmp_path: Path) -> None:
    store = await AsyncStore(tmp_path / "live.db").open()
    await store.meta.put("marker", "1")
    folder = tmp_path / "backups"
    for stamp in ("20260101-030000", "20260102-030000", "20260103-030000"):
        folder.mkdir(exist_ok=True)
        (folder / f"newsroom-{stamp}.db").write_bytes(b"old")
    target = await backup.run_backup(store, folder, keep=2)
    names = [p.name for p in backup.existing(folder)]
    assert names == ["newsroom-20260103-030000.db", target.name]
    conn = sqlite3.connect(target)
    assert conn.execute("SELECT value FROM meta WHERE key='marker'").fetchone() == ("1",)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    await store.close()


def test_a_missed_backup_is_due(tmp_path: Path) -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert backup.due(tmp_path, now)  # none yet
    (tmp_path / backup.backup_name(now - timedelta(hours=3))).write_bytes(b"x")
    assert not backup.due(tmp_path, now)
    assert backup.due(tmp_path, now + timedelta(days=1))
