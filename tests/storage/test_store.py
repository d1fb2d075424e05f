"""The composed store: opening a database, the steps that span parts, backups, and the
awaitable face."""

import asyncio
import hashlib
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from bot.lifecycle import Action
from storage import migrations as schema
from storage.base import Conflict, StoreError
from storage.figures import newsroom_stats
from storage.records import SourceDoc, Usage, utcnow
from storage.store import Store, backup_file
from storage.worker import AsyncStore
from tests.storage import steps
from tests.storage.steps import ARTICLE


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- opening -------------------------------------------------------------------------

def test_new_database_has_wal_and_foreign_keys(store: Store) -> None:
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert [m.name for m in schema.migrations.applied(store.db)] == schema.known()


def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    Store(tmp_path / "a.db").close()
    again = Store(tmp_path / "a.db")
    assert len(schema.migrations.applied(again.db)) == len(schema.known())
    assert schema.unknown(again.db) == []


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


# ---- steps that span parts -----------------------------------------------------------

def test_a_drafted_story_keeps_its_sources_and_its_first_revision(store: Store) -> None:
    story = steps.request(store, topic="Port strike", sources=[
        SourceDoc(kind="text", title="Union statement", text="We return Monday."),
        SourceDoc(kind="url", url="https://example.org/a")])
    assert [s.position for s in store.stories.sources(story.id)] == [1, 2]
    job = store.jobs.pending()[0]
    done = steps.decided(store, story.id, Action.DRAFT_DONE, None)
    rev = store.finish_job(job.id, done, article=ARTICLE,
                           usage=Usage(model="m", input_tokens=10, output_tokens=20),
                           reason="first draft")
    story = store.stories.get(story.id)
    assert (story.status, story.current_revision, story.headline) == ("in_review", 1,
                                                                      "Port strike ends")
    assert rev.article == ARTICLE and rev.model == "m" and rev.output_tokens == 20
    assert store.jobs.get(job.id).state == "done" and store.jobs.pending() == []
    history = store.review.history(story.id)
    assert [(e.action, e.from_status, e.to_status, e.revision) for e in history] == [
        ("request", None, "drafting", None), ("draft_done", "drafting", "in_review", 1)]


def test_a_draft_that_arrives_after_a_spike_is_not_kept(store: Store) -> None:
    story = steps.request(store, topic="Port strike")
    job = store.jobs.pending()[0]
    done = steps.decided(store, story.id, Action.DRAFT_DONE, None)  # decided before the spike
    steps.spike(store, story.id)
    assert store.jobs.get(job.id).state == "cancelled"
    with pytest.raises(Conflict):
        store.finish_job(job.id, done, article=ARTICLE, usage=Usage(), reason="late")
    assert store.stories.revisions(story.id) == []
    assert store.stories.get(story.id).status == "spiked"


def test_a_failed_draft_fails_the_story_and_a_retry_redrafts_it(store: Store) -> None:
    story = steps.request(store, topic="Port strike")
    job = store.jobs.pending()[0]
    failed = steps.decided(store, story.id, Action.DRAFT_FAILED, None)
    assert store.fail_job(job.id, failed, reason="refused").failure_reason == "refused"
    retry = steps.decided(store, story.id, Action.RETRY, 1)
    again = store.start_job(story.id, retry, kind="request", actor_id=1, instructions=None)
    assert again.id != job.id and store.jobs.latest(story.id) == again
    story = store.stories.get(story.id)
    assert (story.status, story.failure_reason) == ("drafting", None)


def test_an_approval_is_pinned_to_its_revision(store: Store) -> None:
    story = steps.write(store)
    move = steps.decided(store, story.id, Action.APPROVE, 2)
    with pytest.raises(Conflict, match="revision 1"):
        store.approve(story.id, move, revision=2, editor_id=2, note=None)
    store.approve(story.id, move, revision=1, editor_id=2, note=None, override="print dek")
    story = store.stories.get(story.id)
    assert (story.status, story.check_override) == ("approved", "print dek")
    assert [e.action for e in store.review.history(story.id)][-2:] == ["override", "approve"]


def test_a_new_revision_clears_approvals(store: Store) -> None:
    story = steps.approved(store)
    assert len(store.review.approvals(story.id, 1)) == 1
    edit = steps.decided(store, story.id, Action.EDIT, 3)
    store.stories.revise(story.id, edit, article=ARTICLE, author_id=3, author_kind="human",
                         reason="typo")
    story = store.stories.get(story.id)
    assert (story.current_revision, story.status, story.last_author_id) == (2, "in_review", 3)
    assert store.review.approvals(story.id, 2) == []


def test_publish_is_all_or_nothing(store: Store) -> None:
    story = steps.approved(store)
    store.outbox.add_destination(kind="subscriber", guild_id=5, channel_id=50, added_by=1)
    store.outbox.add_destination(kind="announcement", guild_id=4, channel_id=40, added_by=1)
    move = steps.decided(store, story.id, Action.PUBLISH, 1)
    with pytest.raises(KeyError):  # a broken archive document aborts the transaction
        store.publish(story.id, move, actor_id=1, archive={"headline": "x"})
    assert store.stories.get(story.id).status == "approved"
    assert store.outbox.deliveries(story.id) == []
    deliveries = store.publish(story.id, move, actor_id=1,
                               archive={"headline": "h", "dek": "d", "body": "b"})
    assert sorted(d.channel_id for d in deliveries) == [40, 50]
    assert {d.crosspost for d in deliveries} == {"pending", None}
    with pytest.raises(Conflict):  # the same decision cannot be applied twice
        store.publish(story.id, move, actor_id=1, archive={"headline": "h", "dek": "d",
                                                           "body": "b"})
    assert len(store.outbox.deliveries(story.id)) == 2


def test_a_correction_links_its_ticket_and_marks_every_copy(store: Store) -> None:
    story = steps.publish(store, steps.approved(store).id)
    store.outbox.add_destination(kind="subscriber", guild_id=5, channel_id=50, added_by=1)
    ticket = store.tickets.add(story_id=story.id, user_id=7, guild_id=None, channel_id=None,
                               kind="correction", text="wrong", quote=None)
    move = steps.decided(store, story.id, Action.CORRECT, 2)
    correction = store.correct(story.id, move, kind="clarification", text="It was Monday.",
                               editor_id=2, article=ARTICLE, notify=True, ticket_id=ticket.id,
                               archive={"headline": "h", "dek": "d", "body": "Monday"})
    assert correction.revision == 2 and correction.notify
    assert store.tickets.get(ticket.id).correction_id == correction.id
    assert [h.story_id for h in store.archive.search("monday").hits] == [story.id]
    assert store.review.history(story.id)[-1].action == "clarification"
    assert store.stories.get(story.id).status == "published"


def test_a_retraction_withdraws_what_has_not_gone_out(store: Store) -> None:
    store.outbox.add_destination(kind="subscriber", guild_id=5, channel_id=50, added_by=1)
    story = steps.publish(store, steps.approved(store).id)
    retracted = steps.retract(store, story.id, reason="Wrong court.")
    assert (retracted.status, retracted.retraction_reason) == ("retracted", "Wrong court.")
    assert [d.state for d in store.outbox.deliveries(story.id)] == ["cancelled"]
    assert store.archive.latest() == []  # only published stories are listed
    assert store.archive.search("strike").hits == []


def test_newsroom_stats_count_the_window(store: Store) -> None:
    story = steps.publish(store, steps.approved(store).id)
    store.tickets.add(story_id=story.id, user_id=5, guild_id=None, channel_id=None,
                      kind="tip", text="t", quote=None)
    figures = newsroom_stats(store, 7, utcnow())
    assert (figures.requested, figures.published, figures.tickets) == (1, 1, {"tip": {"open": 1}})
    assert len(figures.per_day) == 8 and figures.per_day[-1][1:] == (1, 1)
    later = newsroom_stats(store, 7, utcnow() + timedelta(days=30))
    assert (later.requested, later.published) == (0, 0)


# ---- backups -------------------------------------------------------------------------

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


# ---- the awaitable face --------------------------------------------------------------

async def test_async_store_runs_off_the_event_loop(tmp_path: Path) -> None:
    store = await AsyncStore(tmp_path / "x.db").open()
    loop_thread = threading.get_ident()
    seen = await store.run(lambda s: threading.get_ident())
    again = await store.run(lambda s: threading.get_ident())
    assert seen == again != loop_thread
    results = await asyncio.gather(*(store.meta.put(f"k{i}", "v") for i in range(20)))
    assert len(results) == 20 and await store.meta.get("k19") == "v"
    await store.close()


async def test_every_awaitable_part_mirrors_a_store_part(tmp_path: Path) -> None:
    """Each awaited method is a store method of the same name (no untyped catch-all)."""
    store = await AsyncStore(tmp_path / "x.db").open()
    sync = await store.run(lambda s: s)
    for name in ("stories", "jobs", "review", "outbox", "tickets", "archive", "meta", "issues"):
        facade, part = getattr(store, name), getattr(sync, name)
        offloaded = [n for n in dir(type(facade)) if not n.startswith("_")]
        assert offloaded, name
        for method in offloaded:
            assert callable(getattr(part, method)), (name, method)
    assert not hasattr(store, "find_story")
    with pytest.raises(AttributeError):
        store.story  # noqa: B018 - the old catch-all is gone
    await store.close()
