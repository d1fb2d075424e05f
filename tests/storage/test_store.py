import asyncio
import hashlib
import sqlite3
import threading
from pathlib import Path

import pytest

from storage.migrations import migrations
from storage.records import SourceDoc
from storage.store import Conflict, Store, StoreError, backup_file
from storage.worker import AsyncStore

ARTICLE = {"headline": "Port strike ends", "dek": "Workers return.", "body": ["Text [1]."]}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_database_has_wal_and_foreign_keys(store: Store) -> None:
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert {m.name for m in migrations.applied(store.db)} == {m.name for m in
                                                             migrations._migrations}


def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    Store(tmp_path / "a.db").close()
    again = Store(tmp_path / "a.db")
    assert len(migrations.applied(again.db)) == len(migrations._migrations)


def test_a_newer_database_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    s = Store(path)
    s.db.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                 "VALUES ('newsroom', 'm999_future', '2030-01-01')")
    s.db.conn.commit()
    s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    s.close()
    before = digest(path)
    with pytest.raises(StoreError, match=r"newer version of newsroom.*m999_future"):
        Store(path)
    assert digest(path) == before


def test_a_file_that_is_not_a_database_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n")
    with pytest.raises(StoreError, match="not an SQLite database"):
        Store(path)
    assert path.read_text() == "these are my notes, not a database\n"
    assert not (tmp_path / "notes.db-wal").exists()


def test_story_sources_and_revisions(store: Store) -> None:
    story = store.create_story(
        origin="ai", status="drafting", requested_by=10, topic="Port strike",
        sources=[SourceDoc(kind="text", title="Union statement", text="We return Monday."),
                 SourceDoc(kind="url", url="https://example.org/a")],
        job_kind="request",
    )
    assert [s.position for s in store.sources(story.id)] == [1, 2]
    job = store.pending_jobs()[0]
    rev = store.finish_job(job.id, article=ARTICLE, usage=_usage(), reason="first draft")
    story = store.story(story.id)
    assert (story.status, story.current_revision, story.headline) == ("in_review", 1,
                                                                      "Port strike ends")
    assert rev.article == ARTICLE and rev.model == "m" and rev.output_tokens == 20
    actions = [e.action for e in store.history(story.id)]
    assert actions == ["request", "draft_done"]


def _usage():
    from storage.records import Usage
    return Usage(model="m", input_tokens=10, output_tokens=20, cost_usd=0.01)


def test_transition_refuses_an_unexpected_state_and_changes_nothing(store: Store) -> None:
    story = store.create_story(origin="human", status="in_review", requested_by=1,
                               article=ARTICLE)
    with pytest.raises(Conflict):
        store.transition(story.id, expected="approved", to="scheduled", action="schedule",
                         actor_id=1)
    assert store.story(story.id).status == "in_review"
    assert [e.action for e in store.history(story.id)] == ["request"]


def test_new_revision_clears_approvals(store: Store) -> None:
    story = store.create_story(origin="human", status="in_review", requested_by=1,
                               article=ARTICLE)
    store.approve(story.id, revision=1, editor_id=2, note=None, to="approved")
    assert len(store.approvals(story.id, 1)) == 1
    store.add_revision(story.id, expected=["approved"], to="in_review", article=ARTICLE,
                       author_id=3, author_kind="human", reason="typo", action="edit")
    assert store.story(story.id).current_revision == 2
    assert store.approvals(story.id, 2) == []
    assert store.story(story.id).last_author_id == 3


def test_publish_is_all_or_nothing(store: Store) -> None:
    story = store.create_story(origin="human", status="approved", requested_by=1,
                               article=ARTICLE)
    store.outbox.add_destination(kind="subscriber", guild_id=5, channel_id=50, added_by=1)
    store.outbox.add_destination(kind="announcement", guild_id=4, channel_id=40, added_by=1)
    with pytest.raises(KeyError):  # a broken archive document aborts the transaction
        store.publish(story.id, expected=["approved"], actor_id=1, archive={"headline": "x"})
    assert store.story(story.id).status == "approved"
    assert store.outbox.deliveries(story.id) == []
    deliveries = store.publish(story.id, expected=["approved"], actor_id=1,
                               archive={"headline": "h", "dek": "d", "body": "b"})
    assert sorted(d.channel_id for d in deliveries) == [40, 50]
    assert {d.crosspost for d in deliveries} == {"pending", None}


def test_archive_search_quotes_user_text(store: Store) -> None:
    story = store.create_story(origin="human", status="approved", requested_by=1,
                               article=ARTICLE)
    store.publish(story.id, expected=["approved"], actor_id=1,
                  archive={"headline": "Harbour strike", "dek": "d",
                           "body": "Dockworkers returned to the terminals."})
    assert [h.story_id for h in store.search_archive("dockworkers")] == [story.id]
    for hostile in ['"unbalanced', "NOT", "a OR", "*", "body:x", "'; DROP TABLE stories;--"]:
        assert store.search_archive(hostile) == []
    assert store.count_stories() == {"published": 1}


def test_backup_is_consistent_while_another_connection_writes(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    writer = Store(path)
    stop = threading.Event()

    def write() -> None:
        conn = sqlite3.connect(path, timeout=5)
        i = 0
        while not stop.is_set():
            with conn:
                conn.execute("INSERT INTO meta (key, value) VALUES (?, 'x')", [f"k{i}"])
            i += 1
        conn.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        for n in range(3):
            backup_file(path, tmp_path / f"copy{n}.db")
    finally:
        stop.set()
        thread.join()
    copy = Store(tmp_path / "copy2.db")
    assert copy.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.db["meta"].count > 0
    writer.close()


def test_backup_refuses_missing_database_and_self(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no database"):
        backup_file(tmp_path / "none.db", tmp_path / "b.db")
    Store(tmp_path / "a.db").close()
    with pytest.raises(StoreError, match="database itself"):
        backup_file(tmp_path / "a.db", tmp_path / "a.db")


async def test_async_store_runs_off_the_event_loop(tmp_path: Path) -> None:
    store = await AsyncStore(tmp_path / "x.db").open()
    loop_thread = threading.get_ident()
    seen = await store.run(lambda s: threading.get_ident())
    again = await store.run(lambda s: threading.get_ident())
    assert seen == again != loop_thread
    results = await asyncio.gather(*(store.set_meta(f"k{i}", "v") for i in range(20)))
    assert len(results) == 20 and await store.meta("k19") == "v"
    await store.close()


def test_guild_settings_round_trip(store: Store) -> None:
    store.set_guild_settings(1, {"timezone": "Europe/Berlin", "editions": ["0 8 * * *"]},
                             actor_id=9)
    store.set_guild_settings(1, {"timezone": "UTC"}, actor_id=9)
    assert store.guild_settings(1) == {"timezone": "UTC", "editions": ["0 8 * * *"]}
    assert store.guild_settings(2) == {}


def test_stats_counts_the_window(store: Store) -> None:
    from datetime import timedelta

    from storage.records import utcnow

    story = store.create_story(origin="human", status="approved", requested_by=1,
                               article=ARTICLE)
    store.publish(story.id, expected=["approved"], actor_id=1,
                  archive={"headline": "h", "dek": "d", "body": "b"})
    store.add_ticket(story_id=story.id, user_id=5, guild_id=None, channel_id=None,
                     kind="tip", text="t", quote=None)
    figures = store.stats(7, utcnow())
    assert (figures.requested, figures.published, figures.tickets) == (1, 1, {"tip": {"open": 1}})
    assert len(figures.per_day) == 8 and figures.per_day[-1][1:] == (1, 1)
    later = store.stats(7, utcnow() + timedelta(days=30))
    assert (later.requested, later.published) == (0, 0)
