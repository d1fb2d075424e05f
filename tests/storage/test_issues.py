"""Issues in the store: numbering without gaps, the running order, mastheads as delivery
parts whose `want` follows their issue's stories, and the migration that makes room for
them in an existing database."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot.article import Article, archive_doc
from bot.lifecycle import Action
from storage import migrations as schema
from storage.base import Conflict
from storage.issues import EditionRun, IssueItem
from storage.records import utcnow
from storage.store import Store
from tests.storage import steps

ANNOUNCE, SUB = 40, 50


def destinations(store: Store) -> None:
    store.outbox.add_destination(kind="announcement", guild_id=4, channel_id=ANNOUNCE,
                                 added_by=None)
    store.outbox.add_destination(kind="subscriber", guild_id=5, channel_id=SUB, added_by=1)


def approved(store: Store, count: int) -> list[int]:
    return [steps.approved(store, topic=f"t{i}").id for i in range(count)]


def doc(store: Store, story_id: int) -> dict[str, str]:
    return archive_doc(Article.from_dict(store.stories.revision(story_id).article))


def mastheads(store: Store, number: int) -> list[dict]:
    return list(store.db.query("SELECT * FROM deliveries WHERE story_id IS NULL AND "
                               "issue_id = ? ORDER BY id", [number]))


def test_issues_are_numbered_without_gaps_and_an_empty_edition_uses_no_number(
        store: Store) -> None:
    first = steps.issue(store, approved(store, 2), due_at=utcnow() - timedelta(days=2))
    empty = steps.issue(store, [], due_at=utcnow() - timedelta(days=1))
    second = steps.issue(store, approved(store, 1))
    assert (first.number, first.published) == (1, 2)
    assert (empty.number, empty.published) == (None, 0)
    assert (second.number, second.published) == (2, 1)
    runs = list(store.db.query("SELECT published, issue FROM edition_runs ORDER BY due_at"))
    assert runs == [{"published": 2, "issue": 1}, {"published": 0, "issue": None},
                    {"published": 1, "issue": 2}]
    assert store.issues.latest_number() == 2


def test_an_edition_runs_once(store: Store) -> None:
    due = utcnow()
    assert steps.issue(store, approved(store, 1), due_at=due).number == 1
    late_story = approved(store, 1)
    assert steps.issue(store, late_story, due_at=due) is None
    assert store.stories.get(late_story[0]).status == "approved"
    assert store.issues.latest_number() == 1


def test_a_story_that_moved_meanwhile_is_left_out(store: Store) -> None:
    kept, spiked = approved(store, 2)
    items_for = steps.decided(store, spiked, Action.PUBLISH, None)
    steps.spike(store, spiked)
    outcome = store.publish_issue(
        EditionRun(utcnow(), "Morning", "Friday 4 December 2026"),
        [IssueItem(kept, steps.decided(store, kept, Action.PUBLISH, None),
                         doc(store, kept)),
         IssueItem(spiked, items_for, doc(store, spiked))])
    assert (outcome.number, outcome.published) == (1, 1)
    issue = store.issues.get(1)
    assert [e.story_id for e in issue.entries] == [kept]
    assert store.stories.get(spiked).status == "spiked"


def test_mastheads_are_created_before_the_stories_in_running_order(store: Store) -> None:
    destinations(store)
    a, b, c = approved(store, 3)
    steps.issue(store, [c, a, b])
    rows = list(store.db.query("SELECT id, story_id, issue_id, channel_id, crosspost FROM "
                               "deliveries ORDER BY id"))
    for channel in (ANNOUNCE, SUB):
        mine = [r["story_id"] for r in rows if r["channel_id"] == channel]
        assert mine == [None, c, a, b]
    assert {r["issue_id"] for r in rows} == {1}
    assert [m["crosspost"] for m in mastheads(store, 1)] == ["pending", None]
    with pytest.raises(sqlite3.IntegrityError):  # one masthead per issue per channel
        store.issues.add_mastheads(1, [(1, ANNOUNCE, "announcement")], utcnow())


def test_the_running_order_is_set_before_the_edition(store: Store) -> None:
    a, b, c = approved(store, 3)
    for story in (a, b, c):
        store.stories.move(story, steps.decided(store, story, Action.SCHEDULE, 1),
                           actor_id=1, changes={"schedule_mode": "next"})
        store.issues.enqueue(story)
    assert [s.id for s in store.issues.running_order()] == [a, b, c]
    assert [s.id for s in store.issues.place(c, 1)] == [c, a, b]
    assert [s.id for s in store.issues.place(a, 3)] == [c, b, a]
    with pytest.raises(ValueError):
        store.issues.place(a, 4)
    with pytest.raises(Conflict):
        store.issues.place(approved(store, 1)[0], 1)
    assert [s.id for s in store.issues.running_order()] == [c, b, a]
    steps.issue(store, [s.id for s in store.issues.running_order()])
    assert [e.story_id for e in store.issues.get(1).entries] == [c, b, a]
    assert list(store.db.query("SELECT * FROM running_order")) == []


def test_a_masthead_wants_the_links_of_copies_that_landed_and_follows_retractions(
        store: Store) -> None:
    destinations(store)
    a, b = approved(store, 2)
    steps.issue(store, [a, b])
    head = mastheads(store, 1)[0]
    key = store.outbox.copy_state(head["id"]).want
    store.outbox.claim(head["id"])
    assert store.outbox.mark_sent(head["id"], [900], key)
    story_a = next(d for d in store.outbox.deliveries(a) if d.channel_id == head["channel_id"])
    store.outbox.claim(story_a.id)
    store.outbox.mark_sent(story_a.id, [901], store.outbox.copy_state(story_a.id).want)
    landed = store.outbox.copy_state(head["id"])
    assert landed.delivery.sync == 1 and "@901" in landed.want  # edit it: a link now exists
    assert store.issues.masthead(head["id"]).issue.entries[0].message_id == 901
    store.outbox.set_shown(head["id"], [900], landed.want)
    assert store.outbox.copy_state(head["id"]).delivery.sync == 0
    steps.retract(store, b)
    retracted = store.outbox.copy_state(head["id"])
    assert retracted.delivery.sync == 1 and f"{b}x" in retracted.want
    assert store.outbox.copy_state(head["id"]).delivery.next_attempt_at is None


def test_a_correction_changes_what_every_masthead_of_the_issue_wants(store: Store) -> None:
    destinations(store)
    (a,) = approved(store, 1)
    steps.issue(store, [a])
    for head in mastheads(store, 1):
        store.outbox.claim(head["id"])
        store.outbox.mark_sent(head["id"], [head["id"] + 1000],
                               store.outbox.copy_state(head["id"]).want)
    steps.correct(store, a, article={**steps.ARTICLE, "headline": "Port strike ends early"})
    assert [m["sync"] for m in mastheads(store, 1)] == [1, 1]
    entry = store.issues.get(1).entries[0]
    assert entry.headline == "Port strike ends early"


def test_a_story_waits_for_the_parts_of_its_issue_ahead_of_it(store: Store) -> None:
    destinations(store)
    a, b = approved(store, 2)
    steps.issue(store, [a, b])
    head = mastheads(store, 1)[0]
    first = next(d for d in store.outbox.deliveries(a) if d.channel_id == head["channel_id"])
    second = next(d for d in store.outbox.deliveries(b) if d.channel_id == head["channel_id"])
    assert store.issues.ahead_of(head["id"]) is None
    retry = utcnow() + timedelta(seconds=30)
    store.outbox.claim(head["id"])
    store.outbox.retry_later(head["id"], error="500", retry_at=retry)
    assert store.issues.ahead_of(first.id) == retry
    assert store.issues.postpone(second.id, retry)
    assert store.outbox.delivery(second.id).next_attempt_at == retry
    assert store.outbox.delivery(second.id).attempts == 0  # waiting is not an attempt


def test_the_migration_keeps_every_delivery_and_crosspost(tmp_path: Path) -> None:
    """A database from before issues: story_id loses NOT NULL by a table swap, and the
    rows of every table that references deliveries survive it with their ids."""
    path = tmp_path / "old.db"
    db = Database(path)
    schema.migrations.apply(db, stop_before="m015_issues")
    now = utcnow().isoformat()
    db.execute("INSERT INTO stories (id, status, origin, requested_by, created_at, "
               "updated_at) VALUES (7, 'published', 'human', 1, ?, ?)", [now, now])
    db.execute("INSERT INTO destinations (id, kind, guild_id, channel_id, created_at, "
               "updated_at) VALUES (3, 'announcement', 4, 40, ?, ?)", [now, now])
    db.execute("INSERT INTO deliveries (id, story_id, destination_id, channel_id, state, "
               "message_ids, crosspost, shown, created_at, updated_at) VALUES "
               "(11, 7, 3, 40, 'sent', '[500, 501]', 'done', 'r0c0', ?, ?)", [now, now])
    db.execute("INSERT INTO crossposts VALUES (500, 40, 11, ?)", [now])
    db.conn.commit()
    db.close()
    store = Store(path)
    try:
        delivery = store.outbox.delivery(11)
        assert (delivery.story_id, delivery.message_ids, delivery.shown) == (7, [500, 501],
                                                                             "r0c0")
        assert delivery.issue_id is None
        assert [r["delivery_id"] for r in store.db.query("SELECT * FROM crossposts")] == [11]
        assert list(store.db.query("PRAGMA foreign_key_check")) == []
        indexes = {i.name for i in store.db["deliveries"].indexes}
        assert {"idx_deliveries_state", "idx_deliveries_sync", "idx_deliveries_crosspost",
                "idx_deliveries_masthead"} <= indexes
        assert json.loads(delivery_row(store, 11)["message_ids"]) == [500, 501]
    finally:
        store.close()


def delivery_row(store: Store, delivery_id: int) -> dict:
    return store.db["deliveries"].get(delivery_id)
