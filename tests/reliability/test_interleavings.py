"""What readers see matches the record whatever runs at the same time.

Each test freezes a fan-out at the fake Discord's door (a gate), acts while copies are
in flight, lets them land, and checks Discord against the store with the one invariant
checker (`tests.fakes.invariant`). The `newsroom` fixture checks it again at the end.
"""

from __future__ import annotations

import asyncio

from tests.e2e.conftest import Newsroom
from tests.e2e.test_drafting import SOURCES
from tests.fakes.fake_discord_messages import CROSSPOSTED
from tests.fakes.invariant import check_copies, story_of
from tests.reliability.interleave import (
    answer,
    approved_story,
    count,
    hold_story_posts,
    quiet,
    subscribed_channels,
    until,
)

CHANNELS = 30
CROSSPOST_ROUTE = "POST /channels/{channel_id}/messages/{message_id}/crosspost"


async def frozen_fanout(room: Newsroom, after: int = 5) -> tuple[int, list[int], object]:
    """A story going out to 31 channels, frozen after `after` copies landed."""
    channels = await subscribed_channels(room, CHANNELS)
    story = await approved_story(room)
    gate = hold_story_posts(room, after)
    text = await answer(room, "editor1", "publish now", {"story": story})
    assert "Published" in text, text
    await gate.wait_held(8)
    return story, channels, gate


def copies_in(room: Newsroom, channel_id: int, story: int) -> list[dict]:
    return [m for m in room.discord.channel_messages(channel_id) if story_of(m) == story]


def agree(room: Newsroom) -> None:
    problems = check_copies(room.discord, room.db_path)
    assert not problems, "\n".join(problems)


async def test_a_retraction_during_a_fanout_replaces_every_copy(newsroom: Newsroom) -> None:
    story, channels, gate = await frozen_fanout(newsroom)
    text = await answer(newsroom, "editor1", "retract",
                        {"story": story, "reason": "The ruling was reversed."})
    replaced = count(r"(\d+) delivered cop", text)
    in_flight = count(r"(\d+) cop(?:y|ies) still going out", text)
    withdrawn = count(r"(\d+) not yet sent", text)
    assert replaced == 5 and in_flight >= 8 and replaced + in_flight + withdrawn == 31, text
    assert "will be replaced as they land" in text
    gate.release()
    await quiet(newsroom)
    agree(newsroom)
    shown = [c for c in [newsroom.channel("announcements"), *channels]
             if copies_in(newsroom, c, story)]
    assert len(shown) == replaced + in_flight  # withdrawn ones never went out
    for channel_id in shown:
        [copy] = copies_in(newsroom, channel_id, story)
        assert copy["embeds"][0]["title"].startswith("Retracted:")


async def test_a_correction_during_a_fanout_reaches_copies_that_land_later(
        newsroom: Newsroom) -> None:
    story, channels, gate = await frozen_fanout(newsroom)
    note = "An earlier version misstated the vote; it was 6 to 3."
    handle = await newsroom.discord.invoke("editor1", "correct", {
        "story": story, "kind": "correction", "text": note})
    done = await newsroom.discord.submit_modal("editor1", handle, {})
    await done.wait_final()
    assert "still going out will be updated as they land" in done.text(), done.text()
    gate.release()
    await quiet(newsroom)
    agree(newsroom)
    for channel_id in [newsroom.channel("announcements"), *channels]:
        [first, *_] = copies_in(newsroom, channel_id, story)
        assert note in first["embeds"][0]["description"], channel_id


async def test_unsubscribing_during_a_fanout_leaves_nothing_there(newsroom: Newsroom) -> None:
    story, _, gate = await frozen_fanout(newsroom)
    in_flight = [d.channel_id for d in await newsroom.bot.store.outbox.deliveries(story)
                 if d.state == "pending" and d.sending_since is not None][:3]
    for channel_id in in_flight:
        text = await answer(newsroom, "admin2", "unsubscribe", {"channel": channel_id},
                            guild=newsroom.discord.world.other_guild_id, channel=channel_id)
        assert "Unsubscribed" in text, text
    gate.release()
    await quiet(newsroom)
    agree(newsroom)
    for channel_id in in_flight:
        assert copies_in(newsroom, channel_id, story) == []


async def test_publishing_or_editing_again_during_a_fanout_changes_nothing(
        newsroom: Newsroom) -> None:
    story, channels, gate = await frozen_fanout(newsroom)
    again = await answer(newsroom, "editor2", "publish now", {"story": story})
    assert "cannot publish a story that is published" in again, again
    edit = await newsroom.discord.invoke("editor2", "draft edit", {"story": story})
    await edit.wait_response()
    assert edit.ephemeral and "cannot edit a story that is published" in edit.text()
    gate.release()
    await quiet(newsroom)
    agree(newsroom)
    for channel_id in [newsroom.channel("announcements"), *channels]:
        assert len(copies_in(newsroom, channel_id, story)) == 1


async def test_the_announcement_channel_cannot_be_unsubscribed(newsroom: Newsroom) -> None:
    text = await answer(newsroom, "admin", "unsubscribe",
                        {"channel": newsroom.channel("announcements")})
    assert "announcement channel" in text and "/newsroom setup" in text
    dests = await newsroom.bot.store.outbox.destinations(kind="announcement")
    assert [d.channel_id for d in dests] == [newsroom.channel("announcements")]


async def test_two_editors_approving_at_once_approve_the_story(newsroom: Newsroom) -> None:
    await newsroom.restart(NEWSROOM_REQUIRED_APPROVALS=2)
    story = await approved_story(newsroom, approvers=())
    first, second = await asyncio.gather(
        answer(newsroom, "editor1", "review approve", {"story": story}),
        answer(newsroom, "editor2", "review approve", {"story": story}))
    answers = sorted([first, second])
    assert answers[0].startswith("Approval recorded: 1 of 2"), answers
    assert answers[1].startswith("Approved: #"), answers
    assert (await newsroom.bot.store.stories.get(story)).status == "approved"
    assert len(await newsroom.bot.store.review.approvals(story)) == 2


async def test_one_editor_approving_twice_quickly_is_told_so(newsroom: Newsroom) -> None:
    await newsroom.restart(NEWSROOM_REQUIRED_APPROVALS=2)
    story = await approved_story(newsroom, approvers=())
    answers = await asyncio.gather(
        answer(newsroom, "editor1", "review approve", {"story": story}),
        answer(newsroom, "editor1", "review approve", {"story": story}))
    assert sum(a.startswith("Approval recorded: 1 of 2") for a in answers) == 1, answers
    assert sum("You already approved revision 1" in a for a in answers) == 1, answers
    assert (await newsroom.bot.store.stories.get(story)).status == "in_review"


async def test_spiking_a_story_claude_is_writing_stops_it_for_good(newsroom: Newsroom) -> None:
    newsroom.claude.event_delay = 0.05  # a slow stream: seconds of writing
    newsroom.claude.chunk_size = 4
    handle = await newsroom.discord.invoke("editor1", "draft request", {
        "topic": "Harbour strike ends", "sources": SOURCES, "length": "brief"})
    await until(lambda: newsroom.claude.message_requests)
    await until(lambda: any("words written" in (v.get("content") or "")
                            for v in handle.original_history))
    spiked = await answer(newsroom, "editor2", "review spike", {"story": 1, "reason": "Stale."})
    assert spiked.startswith("Spiked #1"), spiked
    await handle.wait_final(lambda m: "stopped" in (m.get("content") or ""))
    assert "spiked while Claude was writing it" in handle.text()
    await until(lambda: any(m["embeds"][0].get("author", {}).get("name") == "#1 · spiked"
                            for m in newsroom.discord.channel_messages(
                                newsroom.channel("editorial")) if m["embeds"]))
    job = await newsroom.bot.store.jobs.latest(1)
    assert job is not None and job.state == "cancelled"
    calls = len(newsroom.claude.message_requests)
    await newsroom.restart()
    await asyncio.sleep(0.5)
    assert len(newsroom.claude.message_requests) == calls
    assert (await newsroom.bot.store.stories.get(1)).status == "spiked"
    assert (await newsroom.bot.store.stories.revisions(1)) == []


async def test_feedback_sent_five_times_at_once_makes_the_allowance(newsroom: Newsroom) -> None:
    await newsroom.restart(NEWSROOM_FEEDBACK_ALLOWANCE=3)
    story = await approved_story(newsroom)
    await answer(newsroom, "editor1", "publish now", {"story": story})
    answers = await asyncio.gather(*(
        answer(newsroom, "reader", "feedback", {"story": story, "kind": "tip",
                                                "text": f"Tip number {i}."})
        for i in range(5)))
    assert sum("ticket #" in a for a in answers) == 3, answers
    assert sum("You can send another <t:" in a for a in answers) == 2, answers
    assert len(await newsroom.bot.store.tickets.recent(user_id=newsroom.user("reader"))) == 3


async def twelve_crossposts(room: Newsroom, mode: str, restart_after: int | None) -> None:
    """Twelve stories to the announcement channel within the crosspost window."""
    # Time scaled down: the hour becomes 4 s, discord.py's refusal threshold
    # (`max_ratelimit_timeout`, 30 s) becomes 1 s, and route buckets reset within 0.5 s.
    window = 4.0
    room.discord.crosspost_headers = mode
    room.discord.crosspost_limit = (10, window)
    limits = room.discord.route_limits
    for route, (limit, _) in list(limits.items()):
        limits[route] = (limit, 0.5)
    limits[CROSSPOST_ROUTE] = (10, 0.5)
    room.discord.limiter.default_limit = (50, 0.5)
    scale_down(room, window)
    stories = [await approved_story(room) for _ in range(12)]
    first, rest = (stories[:restart_after], stories[restart_after:]) if restart_after \
        else (stories, [])
    await room.bot.courier.stop()
    for story in first:
        await answer(room, "editor1", "publish now", {"story": story})
    room.bot.courier.start()
    if rest:
        await until(lambda: crossposted(room) == restart_after, timeout=20)
        await room.restart()
        scale_down(room, window)
        for story in rest:
            await answer(room, "editor1", "publish now", {"story": story})
    await until(lambda: crossposted(room) == 10, timeout=20)
    await asyncio.sleep(1.0)
    assert crossposted(room) == 10  # two wait for the hour (here: 6 s) to free up
    queued = [d for s in stories for d in await room.bot.store.outbox.deliveries(s)
              if d.crosspost == "pending"]
    assert len(queued) == 2
    await until(lambda: crossposted(room) == 12, timeout=20)
    assert room.discord.stats.requests[CROSSPOST_ROUTE] == 12
    assert room.discord.stats.total_429s == 0, room.discord.stats.limited


def scale_down(room: Newsroom, window: float) -> None:
    room.bot.crossposter.window = window
    room.bot.http.max_ratelimit_timeout = 1.0


def crossposted(room: Newsroom) -> int:
    return sum(bool(m["flags"] & CROSSPOSTED)
               for m in room.discord.channel_messages(room.channel("announcements")))


async def test_crossposts_keep_to_the_hour_when_headers_are_as_reported(
        newsroom: Newsroom) -> None:
    await twelve_crossposts(newsroom, "reported", None)


async def test_crossposts_keep_to_the_hour_when_headers_show_a_bucket(
        newsroom: Newsroom) -> None:
    await twelve_crossposts(newsroom, "bucket", None)


async def test_the_crosspost_budget_survives_a_restart(newsroom: Newsroom) -> None:
    await twelve_crossposts(newsroom, "bucket", restart_after=10)
