"""Each part of the store on its own: stories, draft jobs, review, tickets, archive, meta,
the outbox and subscriptions. Every state change is guarded: the loser of a race gets `Conflict` (or
False) and nothing changes."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlite_utils.db import NotFoundError

from bot.lifecycle import Action, State, Transition
from storage import archive as archive_module
from storage.base import Conflict, OverLimit
from storage.records import utcnow
from storage.store import Store
from tests.storage import steps


def snapshot(store: Store) -> dict[str, list]:
    tables = ("stories", "revisions", "draft_jobs", "approvals", "audit", "tickets",
              "archive", "deliveries", "meta", "guild_settings", "edition_runs")
    return {t: list(store.db[t].rows) for t in tables}


# ---- stories -------------------------------------------------------------------------

def test_a_missing_story_or_revision_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.stories.get(404)
    assert store.stories.find(404) is None
    story = steps.write(store)
    with pytest.raises(NotFoundError):
        store.stories.revision(story.id, 2)
    assert store.stories.revision(story.id).number == 1


def test_a_move_decided_from_another_state_changes_nothing(store: Store) -> None:
    story = steps.write(store)
    stale = Transition(Action.SCHEDULE, State.APPROVED, State.SCHEDULED)
    before = snapshot(store)
    with pytest.raises(Conflict, match="is in_review, expected approved"):
        store.stories.move(story.id, stale, actor_id=1)
    assert snapshot(store) == before


def test_a_move_records_its_audit_row_and_changes(store: Store) -> None:
    story = steps.approved(store)
    at = utcnow() + timedelta(days=3)
    schedule = steps.decided(store, story.id, Action.SCHEDULE, 1)
    moved = store.stories.move(story.id, schedule, actor_id=1, detail="at",
                               changes={"schedule_mode": "at", "scheduled_for": at})
    assert (moved.status, moved.schedule_mode, moved.scheduled_for) == ("scheduled", "at", at)
    last = store.review.history(story.id)[-1]
    assert (last.action, last.from_status, last.to_status, last.actor_id) == (
        "schedule", "approved", "scheduled", 1)
    assert store.stories.scheduled() == [moved]


def test_stories_are_listed_counted_and_matched(store: Store) -> None:
    first = steps.write(store, {**steps.ARTICLE, "headline": "Harbour strike ends"})
    second = steps.approved(store, {**steps.ARTICLE, "headline": "Council votes budget"})
    assert [s.id for s in store.stories.recent()] == [second.id, first.id]
    assert [s.id for s in store.stories.recent([State.APPROVED])] == [second.id]
    assert store.stories.counts() == {"in_review": 1, "approved": 1}
    assert [s.id for s in store.stories.match("harbour")] == [first.id]
    assert [s.id for s in store.stories.match(f"#{second.id}")] == [second.id]
    assert store.stories.match("", [State.PUBLISHED]) == []


def test_a_card_is_remembered(store: Store) -> None:
    story = steps.write(store)
    store.stories.set_card(story.id, channel_id=5, message_id=6, thread_id=7)
    store.stories.set_card(story.id, channel_id=5, message_id=8)
    got = store.stories.get(story.id)
    assert (got.card_channel_id, got.card_message_id, got.thread_id) == (5, 8, 7)


# ---- draft jobs ----------------------------------------------------------------------

def test_a_job_counts_attempts_until_it_is_cancelled(store: Store) -> None:
    story = steps.request(store, topic="Port strike")
    job = store.jobs.pending()[0]
    later = utcnow() + timedelta(seconds=30)
    again = store.jobs.attempt(job.id, error="overloaded", next_attempt_at=later)
    assert (again.attempts, again.last_error, again.next_attempt_at) == (1, "overloaded", later)
    assert store.jobs.cancel_pending(story.id) == 1
    with pytest.raises(Conflict, match="is cancelled"):
        store.jobs.attempt(job.id, error="late", next_attempt_at=None)
    with pytest.raises(Conflict):
        store.jobs.mark_done(job.id)
    assert store.jobs.get(job.id).attempts == 1


# ---- review --------------------------------------------------------------------------

def test_an_editor_approves_a_revision_once(store: Store) -> None:
    story = steps.write(store)
    store.review.add_approval(story.id, revision=1, editor_id=2, note="good")
    with pytest.raises(Conflict, match="already approved"):
        store.review.add_approval(story.id, revision=1, editor_id=2, note=None)
    assert [(a.editor_id, a.note) for a in store.review.approvals(story.id)] == [(2, "good")]
    assert store.review.approvals(story.id, 2) == []


# ---- tickets -------------------------------------------------------------------------

def ticket(store: Store, user_id: int = 7, allowance=None):  # type: ignore[no-untyped-def]
    return store.tickets.add(story_id=None, user_id=user_id, guild_id=None, channel_id=None,
                             kind="tip", text="t", quote=None, allowance=allowance)


def test_a_reader_allowance_is_checked_with_the_insert(store: Store) -> None:
    allowance = (2, timedelta(minutes=10))
    ticket(store, allowance=allowance)
    ticket(store, allowance=allowance)
    with pytest.raises(OverLimit) as over:
        ticket(store, allowance=allowance)
    assert over.value.retry_at > utcnow()
    ticket(store, user_id=8, allowance=allowance)  # another reader has their own
    assert len(store.tickets.recent(user_id=7)) == 2


def test_a_ticket_is_resolved_once(store: Store) -> None:
    first = ticket(store)
    done = store.tickets.resolve(first.id, status="dismissed", actor_id=2, reply="thanks")
    assert (done.status, done.reply, done.resolved_by) == ("dismissed", "thanks", 2)
    with pytest.raises(Conflict, match="already dismissed"):
        store.tickets.resolve(first.id, status="accepted", actor_id=3, reply=None)
    assert store.tickets.get(first.id).status == "dismissed"
    assert store.tickets.count_open() == 0 and store.tickets.find(404) is None
    assert store.tickets.update(first.id, reader_notified="dm").reader_notified == "dm"


# ---- archive -------------------------------------------------------------------------

def test_archive_search_quotes_user_text(store: Store) -> None:
    story = steps.publish(store, steps.approved(store).id,
                          archive={"headline": "Harbour strike", "dek": "d",
                                   "body": "Dockworkers returned to the terminals."})
    assert [h.story_id for h in store.archive.search("dockworkers").hits] == [story.id]
    for hostile in ['"unbalanced', "NOT", "a OR", "*", "body:x", "'; DROP TABLE stories;--",
                    'headline : ("strike")', "{headline dek} : strike"]:
        assert store.archive.search(hostile).hits == []
    assert store.stories.counts() == {"published": 1}


def _archived(store: Store, headline: str, body: str, dek: str = "A dek.") -> int:
    return steps.publish(store, steps.approved(store).id,
                         archive={"headline": headline, "dek": dek, "body": body}).id


def test_a_narrow_search_ranks_a_story_about_the_word_above_one_that_mentions_it(
        store: Store) -> None:
    about = _archived(store, "Harbour strike ends", "Work resumed at the terminals.")
    mentions = _archived(store, "Port figures", "Traffic fell. A strike was mentioned. "
                         "The strike of last year. Another strike, briefly.")
    found = store.archive.search("strike")
    assert found.ranked and [h.story_id for h in found.hits] == [about, mentions]


def test_a_broad_search_shows_the_newest_stories_about_the_words_first(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive_module, "NARROW", 2)
    old_about = _archived(store, "Strike at the harbour", "Dockers walked out.")
    new_about = _archived(store, "Rail news", "Trains ran late.", dek="A strike is called.")
    mention = _archived(store, "Weather", "Rain fell; a strike was rumoured.")
    other = _archived(store, "Strike in the mines", "Miners walked out.")
    steps.retract(store, other, reason="Wrong mine.")
    newest_mention = _archived(store, "Markets", "Shares rose before the strike.")
    found = store.archive.search("strike")
    assert not found.ranked
    assert [h.story_id for h in found.hits] == [new_about, old_about, newest_mention, mention]
    assert [h.story_id for h in store.archive.search("strike", limit=3).hits] == [
        new_about, old_about, newest_mention]
    # every word must match, also when only one of them is common
    assert [h.story_id for h in store.archive.search("strike dockers").hits] == [old_about]
    assert store.archive.search("strike tramways").hits == []


def test_the_archive_keeps_the_first_publication_time(store: Store) -> None:
    story = steps.publish(store, steps.approved(store).id)
    first = store.archive.latest()[0].published_at
    steps.correct(store, story.id, text="Monday, not Tuesday.")
    assert store.archive.latest()[0].published_at == first
    assert [c.text for c in store.archive.corrections(story.id)] == ["Monday, not Tuesday."]
    assert store.archive.corrections()[0].story_id == story.id


# ---- meta ----------------------------------------------------------------------------

def test_guild_settings_round_trip(store: Store) -> None:
    store.meta.set_guild_settings(1, {"timezone": "Europe/Berlin", "editions": ["0 8 * * *"]},
                                  actor_id=9)
    store.meta.set_guild_settings(1, {"timezone": "UTC"}, actor_id=9)
    assert store.meta.guild_settings(1) == {"timezone": "UTC", "editions": ["0 8 * * *"]}
    assert store.meta.guild_settings(2) == {}


def test_meta_values_and_edition_runs(store: Store) -> None:
    assert store.meta.get("k") is None
    store.meta.put("k", "1")
    store.meta.put("k", "2")
    assert store.meta.get("k") == "2"
    due = utcnow().replace(microsecond=0)
    assert store.meta.last_edition_run() is None
    assert store.meta.record_edition(due, late_seconds=1.0, published=2)
    assert not store.meta.record_edition(due, late_seconds=9.0, published=0)
    assert store.meta.last_edition_run() == due


# ---- outbox --------------------------------------------------------------------------

def test_a_delivery_lost_to_an_unsubscribe_is_not_sent(store: Store) -> None:
    store.outbox.add_destination(kind="subscriber", guild_id=5, channel_id=50, added_by=1)
    story = steps.publish(store, steps.approved(store).id)
    delivery = store.outbox.deliveries(story.id)[0]
    assert store.outbox.claim(delivery.id) is not None
    assert store.outbox.remove_destination(50, actor_id=1)
    assert not store.outbox.still_wanted(delivery.id)
    assert not store.outbox.mark_sent(delivery.id, [1], "r1c0")
    assert store.outbox.delivery(delivery.id).state == "cancelled"
    with pytest.raises(NotFoundError):
        store.outbox.copy_state(404)


def _work(store: Store, call: Callable[[], object]) -> int:
    """How much SQLite works for `call` (its virtual machine's steps, by tens)."""
    steps_taken = 0

    def tick() -> int:
        nonlocal steps_taken
        steps_taken += 1
        return 0

    store.db.conn.set_progress_handler(tick, 10)
    try:
        call()
    finally:
        store.db.conn.set_progress_handler(None, 10)
    return steps_taken


def test_the_couriers_idle_queries_do_not_grow_with_the_delivery_log(store: Store) -> None:
    for channel in range(20):
        store.outbox.add_destination(kind="subscriber", guild_id=5, channel_id=channel,
                                     added_by=1)
    now = utcnow()
    calls = {"next_time": store.outbox.next_time,
             "due": lambda: store.outbox.due(now),
             "out_of_sync": lambda: store.outbox.out_of_sync(now)}

    def publish_and_send() -> int:
        """Every copy sent but the first, which is returned."""
        story = steps.publish(store, steps.approved(store).id)
        first, *ids = [d.id for d in store.outbox.deliveries(story.id)]
        for delivery_id in ids:
            assert store.outbox.mark_sent(delivery_id, [delivery_id], "r1c0")
        return first

    later = now + timedelta(minutes=5)
    assert store.outbox.retry_later(publish_and_send(), error="503", retry_at=later)
    small = {name: _work(store, call) for name, call in calls.items()}
    for _ in range(30):
        assert store.outbox.mark_sent(publish_and_send(), [1], "r1c0")
    large = {name: _work(store, call) for name, call in calls.items()}
    assert store.outbox.next_time() == later
    # 600 sent deliveries more: a query that read them all would take ~10 steps each
    assert all(large[name] <= small[name] + 20 for name in calls), (small, large)


# ---- subscriptions -------------------------------------------------------------------

def test_a_followed_channel_gets_no_deliveries_and_shows_the_last_crosspost(store: Store
                                                                           ) -> None:
    store.outbox.add_destination(kind="announcement", guild_id=4, channel_id=40, added_by=None)
    store.outbox.add_destination(kind="subscriber", guild_id=5, channel_id=50, added_by=1,
                                 mode="follow", webhook_id=500)
    store.outbox.add_destination(kind="subscriber", guild_id=5, channel_id=51, added_by=1)
    story = steps.publish(store, steps.approved(store).id)
    assert [d.channel_id for d in store.outbox.deliveries(story.id)] == [40, 51]
    follow, deliver = store.subscriptions.of_guild(5, announce_channel_id=40)
    assert (follow.destination.mode, follow.last_story_id) == ("follow", None)
    announcement, subscriber = store.outbox.deliveries(story.id)
    store.outbox.mark_sent(announcement.id, [900], "r1c0")
    store.outbox.record_crosspost(announcement.id, 40, 900)
    store.outbox.mark_sent(subscriber.id, [901], "r1c0")
    follow, deliver = store.subscriptions.of_guild(5, announce_channel_id=40)
    assert follow.last_story_id == story.id == deliver.last_story_id
    store.outbox.remove_destination(51, actor_id=1)
    assert [s.destination.channel_id for s in store.subscriptions.of_guild(5, 40)] == [50]


def test_following_cancels_what_was_not_yet_delivered(store: Store) -> None:
    store.outbox.add_destination(kind="subscriber", guild_id=5, channel_id=50, added_by=1)
    story = steps.publish(store, steps.approved(store).id)
    _, changed = store.outbox.add_destination(kind="subscriber", guild_id=5, channel_id=50,
                                              added_by=1, mode="follow", webhook_id=500)
    assert changed and store.outbox.deliveries(story.id)[0].state == "cancelled"


def test_a_destination_fails_from_its_first_failure_until_a_copy_lands(store: Store) -> None:
    dest, _ = store.outbox.add_destination(kind="subscriber", guild_id=5, channel_id=50,
                                           added_by=1)
    first = utcnow()
    assert store.subscriptions.failing(dest.id, first) == (first, True)
    assert store.subscriptions.failing(dest.id, first + timedelta(hours=3)) == (first, False)
    story = steps.publish(store, steps.approved(store).id)
    delivery = store.outbox.deliveries(story.id)[0]
    assert store.outbox.mark_sent(delivery.id, [1], "r1c0")
    assert store.outbox.destination(dest.id).warned_at is None


def test_a_notice_waits_for_its_crosspost_then_counts_against_the_hour(store: Store) -> None:
    store.subscriptions.queue_crosspost(77, 40)
    store.subscriptions.queue_crosspost(77, 40)  # once
    assert store.subscriptions.queued_crossposts() == [(77, 40)]
    store.subscriptions.notice_crossposted(77, 40, done=True)
    assert store.subscriptions.queued_crossposts() == []
    assert len(store.outbox.crosspost_times(40, 3600)) == 1
