"""Issue 15: each edition goes out as a numbered issue, a masthead before its stories.

Every test ends with the invariant check (the `newsroom` fixture), which includes the
mastheads: one per issue per channel, contents equal to the issue's stories and states,
links where the store says (`tests.fakes.invariant_issues`).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bot import courier
from tests.e2e.conftest import Newsroom
from tests.e2e.helpers import commands_shown_to_everyone, make_story, wait_for
from tests.e2e.test_publishing import drained, subscribe
from tests.fakes.fake_discord_commands import CommandUnavailable
from tests.fakes.fake_discord_messages import CROSSPOSTED
from tests.fakes.invariant import story_of
from tests.fakes.invariant_issues import issue_of, shown_entries

ARTICLES = ("clean_copyright_ruling.md", "clean_ai_tutor_study.md",
            "clean_chip_export_rules.md", "clean_datacenter_power.md",
            "clean_robotics_funding.md")


async def scheduled(room: Newsroom, count: int, first: int = 0) -> list[int]:
    """Approved stories with distinct headlines, each scheduled for the next edition."""
    ids = []
    for name in ARTICLES[first:first + count]:
        story = await make_story(room, "approved", name=name)
        handle = await room.invoke("editor1", "publish schedule",
                                   {"story": story, "when": "next"})
        assert "for the next edition" in handle.text(), handle.text()
        ids.append(story)
    return ids


def sequence(room: Newsroom, channel: str) -> list[tuple[str, int]]:
    """What a reader scrolling the channel meets: mastheads and stories, in order."""
    seen: list[tuple[str, int]] = []
    for message in room.discord.channel_messages(room.channel(channel)):
        number, story = issue_of(message), story_of(message)
        part = ("issue", number) if number else ("story", story) if story else None
        if part and (not seen or seen[-1] != part):
            seen.append(part)
    return seen


def masthead(room: Newsroom, channel: str, number: int) -> dict:
    [found] = [m for m in room.discord.channel_messages(room.channel(channel))
               if issue_of(m) == number]
    return found


def first_message(room: Newsroom, channel: str, story: int) -> int:
    return int(next(m["id"] for m in room.discord.channel_messages(room.channel(channel))
                    if story_of(m) == story))


def jump(room: Newsroom, channel: str, message_id: int) -> str:
    channel_id = room.channel(channel)
    guild = room.discord.world.all_channels[channel_id].guild_id
    return f"https://discord.com/channels/{guild}/{channel_id}/{message_id}"


def as_read(payload: dict) -> str:
    """A masthead as a reader sees it, as text (for the closing note)."""
    lines = []
    for embed in payload["embeds"]:
        for key in ("author", "title", "description", "footer"):
            value = embed.get(key)
            text = value.get("name") or value.get("text") if isinstance(value, dict) else value
            if text:
                lines.append(text)
    return "\n".join(lines)


async def test_an_edition_is_one_masthead_then_its_stories_in_running_order(
        newsroom: Newsroom) -> None:
    await subscribe(newsroom, "admin2", "news", guild=newsroom.discord.world.other_guild_id)
    a, b, c = await scheduled(newsroom, 3)
    moved = await newsroom.invoke("editor1", "publish order", {"story": c, "position": 1})
    assert moved.ephemeral and f"#{c} is now number 1 of the next issue" in moved.text()
    queue = (await newsroom.invoke("editor1", "publish queue")).text()
    assert "Next: Issue 1 · " in queue
    assert queue.index(f"1. #{c} - ") < queue.index(f"2. #{a} - ") < queue.index(f"3. #{b} - ")

    assert await newsroom.bot.publisher.run_edition(datetime.now(UTC)) == 3
    await drained(newsroom)
    for channel in ("announcements", "news"):
        assert sequence(newsroom, channel) == [("issue", 1), ("story", c), ("story", a),
                                               ("story", b)], channel
        head = masthead(newsroom, channel, 1)
        assert head["embeds"][0]["title"].startswith("Issue 1 · ")
        assert head["embeds"][0]["author"]["name"] == "ClawNews · issue #1"
        links = [e.link for e in shown_entries(head)]
        assert links == [jump(newsroom, channel, first_message(newsroom, channel, s))
                         for s in (c, a, b)], channel  # this channel's own copies
    assert masthead(newsroom, "announcements", 1)["flags"] & CROSSPOSTED
    print("\nThe masthead of issue 1 in #news:\n" + as_read(masthead(newsroom, "news", 1)))


async def test_the_second_edition_is_issue_2_and_the_archive_knows_both(
        newsroom: Newsroom) -> None:
    first = await scheduled(newsroom, 2)
    await newsroom.bot.publisher.run_edition(datetime.now(UTC) - timedelta(hours=1))
    second = await scheduled(newsroom, 1, first=2)
    await newsroom.bot.publisher.run_edition(datetime.now(UTC))
    await drained(newsroom)
    assert sequence(newsroom, "announcements") == [
        ("issue", 1), ("story", first[0]), ("story", first[1]), ("issue", 2),
        ("story", second[0])]
    latest = (await newsroom.invoke("reader", "archive issue")).text()
    assert "Issue 2 · " in latest and "1 story" in latest
    one = (await newsroom.invoke("reader", "archive issue", {"number": 1})).text()
    assert "Issue 1 · " in one and "2 stories" in one
    missing = await newsroom.invoke("reader", "archive issue", {"number": 9})
    assert missing.ephemeral and "There is no issue 9" in missing.text()
    listing = (await newsroom.invoke("reader", "archive latest")).text()
    assert f"#{second[0]} · " in listing and "issue 2" in listing and "issue 1" in listing
    stats = await newsroom.invoke("admin", "newsroom stats")
    await stats.wait_final()
    fields = {f["name"]: f["value"] for f in stats.messages[0]["embeds"][0]["fields"]}
    assert fields["Issues"] == "2 (1.5 stories per issue)"


async def test_a_retraction_strikes_the_story_from_every_masthead(newsroom: Newsroom) -> None:
    await subscribe(newsroom, "admin2", "news", guild=newsroom.discord.world.other_guild_id)
    await subscribe(newsroom, "admin", "general")
    _, b, _ = await scheduled(newsroom, 3)
    await newsroom.bot.publisher.run_edition(datetime.now(UTC))
    await drained(newsroom)
    before = as_read(masthead(newsroom, "news", 1))
    handle = await newsroom.invoke("editor1", "retract",
                                   {"story": b, "reason": "The study was withdrawn."})
    await handle.wait_final()
    await drained(newsroom)
    for channel in ("announcements", "news", "general"):
        entries = shown_entries(masthead(newsroom, channel, 1))
        assert [e.struck for e in entries] == [False, True, False], channel
        assert entries[1].link == jump(newsroom, channel, first_message(newsroom, channel, b))
    after = as_read(masthead(newsroom, "news", 1))
    assert "~~" in after and "· [retracted](" in after and "~~" not in before
    print(f"\nBefore the retraction:\n{before}\n\nAfter the retraction:\n{after}")


async def test_missed_editions_run_late_keep_the_numbering(newsroom: Newsroom) -> None:
    await scheduled(newsroom, 1)
    await newsroom.bot.publisher.run_edition(datetime(2025, 12, 30, tzinfo=UTC))
    late = await scheduled(newsroom, 2, first=1)
    await newsroom.stop()
    conn = sqlite3.connect(newsroom.db_path)
    with conn:  # the last edition ran on 31 December; 1 and 2 January were missed
        conn.execute("UPDATE meta SET value = ? WHERE key = 'editions_since'",
                     ["2025-06-01T00:00:00.000000+00:00"])
        conn.execute("INSERT INTO edition_runs (due_at, ran_at) VALUES (?, ?)",
                     ["2025-12-31T00:00:00.000000+00:00", "2025-12-31T00:00:01.000000+00:00"])
    conn.close()
    await newsroom.start(NEWSROOM_EDITIONS="Early=0 0 1,2 1 *")
    await drained(newsroom)
    assert sequence(newsroom, "announcements")[-3:] == [("issue", 2), ("story", late[0]),
                                                        ("story", late[1])]
    head = masthead(newsroom, "announcements", 2)["embeds"][0]
    assert head["title"] == "Issue 2 · Friday 2 January 2026 · Early"
    notices = [m.get("content") or "" for m in newsroom.discord.channel_messages(
        newsroom.channel("editorial")) if "late" in (m.get("content") or "")]
    assert notices and "2 editions were missed and ran as one" in notices[-1]
    assert "2 stories published as issue 2" in notices[-1]
    await newsroom.restart()  # nothing runs twice
    await drained(newsroom)
    assert [p for p in sequence(newsroom, "announcements") if p[0] == "issue"] == [
        ("issue", 1), ("issue", 2)]


async def test_an_empty_edition_sends_nothing_and_is_recorded(newsroom: Newsroom) -> None:
    await subscribe(newsroom, "admin", "general")
    before = newsroom.visible()
    assert await newsroom.bot.publisher.run_edition(datetime.now(UTC)) == 0
    await drained(newsroom)
    assert newsroom.visible() == before
    runs = newsroom.db()["edition_runs"]
    assert len(runs) == 1 and runs[0][3] == 0  # published: 0
    answer = await newsroom.invoke("reader", "archive issue")
    assert answer.ephemeral and "No issue has gone out yet" in answer.text()
    story = (await scheduled(newsroom, 1))[0]
    await newsroom.bot.publisher.run_edition(datetime.now(UTC) + timedelta(minutes=1))
    await drained(newsroom)
    assert sequence(newsroom, "general") == [("issue", 1), ("story", story)]  # no gap


async def test_publish_now_is_a_single_breaking_post_not_an_issue(newsroom: Newsroom) -> None:
    story = await make_story(newsroom, "approved")
    handle = await newsroom.invoke("editor1", "publish now", {"story": story})
    assert "Published" in handle.text()
    await drained(newsroom)
    assert sequence(newsroom, "announcements") == [("story", story)]
    [post] = [m for m in newsroom.discord.channel_messages(newsroom.channel("announcements"))
              if story_of(m) == story]
    assert post["embeds"][0]["author"]["name"] == f"ClawNews · Breaking · story #{story}"
    assert newsroom.db()["edition_runs"] == []


async def test_the_running_order_refuses_what_it_cannot_do(newsroom: Newsroom) -> None:
    queued = await scheduled(newsroom, 2)
    own_time = await make_story(newsroom, "scheduled")
    approved = await make_story(newsroom, "approved")
    before = newsroom.db()
    order = [s.id for s in await newsroom.bot.store.issues.running_order()]
    for story, position, message in [
        (queued[0], 3, "The next issue has 2 stories: give a position from 1 to 2"),
        (own_time, 1, "is not scheduled for the next edition (it is scheduled for its own "
                      "time)"),
        (approved, 1, "is not scheduled for the next edition (it is approved)"),
    ]:
        handle = await newsroom.invoke("editor1", "publish order",
                                       {"story": story, "position": position})
        assert handle.ephemeral and message in handle.text(), handle.text()
    with pytest.raises(CommandUnavailable):  # hidden: editorial commands need Manage Messages
        await newsroom.invoke("reader", "publish order", {"story": queued[0], "position": 1})
    with commands_shown_to_everyone(newsroom):
        reader = await newsroom.invoke("reader", "publish order",
                                       {"story": queued[0], "position": 1})
    assert reader.ephemeral and "editor" in reader.text(), reader.text()
    assert newsroom.db() == before
    assert [s.id for s in await newsroom.bot.store.issues.running_order()] == order == queued


async def test_mastheads_link_to_the_web_archive_when_it_is_public(newsroom: Newsroom) -> None:
    await newsroom.restart(NEWSROOM_PUBLIC_URL="https://news.example.org")
    a, b = await scheduled(newsroom, 2)
    await newsroom.bot.publisher.run_edition(datetime.now(UTC))
    await drained(newsroom)
    links = [e.link for e in shown_entries(masthead(newsroom, "announcements", 1))]
    assert links == [f"https://news.example.org/stories/{s}" for s in (a, b)]


async def test_a_masthead_that_fails_holds_its_channels_stories_back(newsroom: Newsroom
                                                                    ) -> None:
    """The masthead of the announcement channel is refused once: the stories there wait
    for it, so readers still meet the masthead first."""
    a, b = await scheduled(newsroom, 2)
    newsroom.discord.fail_next("POST", rf"^/channels/{newsroom.channel('announcements')}"
                               r"/messages$", 400, json={"code": 50035,
                                                         "message": "Invalid Form Body"})
    await newsroom.bot.publisher.run_edition(datetime.now(UTC))
    await drained(newsroom)
    assert newsroom.discord.stats.injected_failures == 1
    assert sequence(newsroom, "announcements") == [("issue", 1), ("story", a), ("story", b)]


async def test_an_issue_larger_than_one_batch_goes_out_without_pausing(
        newsroom: Newsroom, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker takes due deliveries in batches; an issue to many channels spans
    several, and the next batch starts at once (not at the worker's 30 s wake-up)."""
    monkeypatch.setattr(courier, "DUE_BATCH", 3)
    await subscribe(newsroom, "admin", "general")
    stories = await scheduled(newsroom, 3)
    await newsroom.bot.publisher.run_edition(datetime.now(UTC))
    want = [("issue", 1), *(("story", s) for s in stories)]
    await wait_for(lambda: all(sequence(newsroom, c) == want
                               for c in ("announcements", "general")), timeout=10)


async def test_a_following_server_gets_the_issue_through_discord_and_its_retractions(
        newsroom: Newsroom) -> None:
    """Follow mode: Discord copies the announcement channel's masthead and stories into
    the follower's channel; the bot sends nothing there itself, and the masthead's edits
    (links once the stories landed, a retraction struck) reach the copy."""
    await subscribe(newsroom, "owner2", "news", guild=newsroom.discord.world.other_guild_id,
                    mode=None)
    assert len(newsroom.discord.followers) == 1
    a, b = await scheduled(newsroom, 2)
    await newsroom.bot.publisher.run_edition(datetime.now(UTC))
    await drained(newsroom)
    assert sequence(newsroom, "news") == [("issue", 1), ("story", a), ("story", b)]
    with sqlite3.connect(newsroom.db_path) as db:
        channels = {row[0] for row in db.execute("SELECT channel_id FROM deliveries")}
    assert channels == {newsroom.channel("announcements")}  # no bot-sent part in #news
    source = masthead(newsroom, "announcements", 1)
    assert masthead(newsroom, "news", 1)["embeds"] == source["embeds"]

    handle = await newsroom.invoke("editor1", "retract",
                                   {"story": a, "reason": "The ruling was reversed."})
    await handle.wait_final()
    await drained(newsroom)
    entries = shown_entries(masthead(newsroom, "news", 1))
    assert [e.struck for e in entries] == [True, False]
