"""The `newsroom` command line as a user runs it: exit codes and one-line errors."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from storage.store import Store
from tests.conftest import ROOT, SETTING_PREFIXES

ARTICLES = ROOT / "tests" / "articles"


def newsroom(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd, text=True,
                          capture_output=True, env={**base, **env}, timeout=60)


def test_run_without_token_names_what_is_missing(tmp_path: Path) -> None:
    result = newsroom("run", cwd=tmp_path)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "newsroom: DISCORD_TOKEN and NEWSROOM_GUILD_ID are not set: put them in the "
        "environment or in .env (see .env.example)"]
    assert not (tmp_path / "data").exists()  # nothing was created


def test_run_in_a_folder_it_cannot_write_says_so(tmp_path: Path) -> None:
    """A data folder the bot cannot create or write in (in a container: a bind mount
    owned by another user) is a one-line error, not a traceback."""
    (tmp_path / "data").write_text("a file where the folder should be")
    result = newsroom("run", cwd=tmp_path, DISCORD_TOKEN="t", NEWSROOM_GUILD_ID="1",
                      NEWSROOM_HTTP="")
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("newsroom: cannot write in data (")
    assert line.endswith(f"the database's folder must be writable by this user "
                         f"(uid {os.getuid()})")


def test_run_with_a_malformed_value_says_which(tmp_path: Path) -> None:
    result = newsroom("run", cwd=tmp_path, DISCORD_TOKEN="t", NEWSROOM_GUILD_ID="1",
                      NEWSROOM_EDITIONS="every day")
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert "NEWSROOM_EDITIONS: 'every day' is not a valid cron expression" in result.stderr


def test_run_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database")
    result = newsroom("run", cwd=tmp_path, DISCORD_TOKEN="t", NEWSROOM_GUILD_ID="1",
                      NEWSROOM_DB=str(notes), DISCORD_API_BASE="http://127.0.0.1:9/api/v10")
    assert result.returncode != 0
    assert "is not an SQLite database; refusing to touch it" in result.stderr
    assert notes.read_text() == "not a database"
    assert "Traceback" not in result.stderr


def test_check_exit_codes(tmp_path: Path) -> None:
    clean = newsroom("check", str(ARTICLES / "clean_copyright_ruling.md"), cwd=tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    bad = newsroom("check", str(ARTICLES / "clean_copyright_ruling.md"),
                   str(ARTICLES / "dek_cut_off.md"), cwd=tmp_path)
    assert bad.returncode == 1 and "dek_complete" in bad.stdout
    missing = newsroom("check", str(tmp_path / "nope.md"), cwd=tmp_path)
    assert missing.returncode == 2 and "nope.md" in missing.stderr


def test_backup_makes_a_usable_copy(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    store = Store(db)
    store.meta.put("marker", "kept")
    result = newsroom("backup", str(tmp_path / "copy.db"), cwd=tmp_path, NEWSROOM_DB=str(db))
    store.close()
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(tmp_path / "copy.db")
    assert conn.execute("SELECT value FROM meta WHERE key = 'marker'").fetchone() == ("kept",)
    conn.close()
    again = newsroom("backup", str(db), cwd=tmp_path, NEWSROOM_DB=str(db))
    assert again.returncode == 2 and "the database itself" in again.stderr


def test_run_without_discord_says_so_in_one_line(tmp_path: Path) -> None:
    result = newsroom("run", cwd=tmp_path, DISCORD_TOKEN="t", NEWSROOM_GUILD_ID="1",
                      NEWSROOM_DB=str(tmp_path / "n.db"),
                      DISCORD_API_BASE="http://127.0.0.1:9/api/v10")
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("newsroom:")]
    assert errors and "cannot reach Discord at http://127.0.0.1:9/api/v10" in errors[0]
    assert "Traceback" not in result.stderr
