"""An issue going out while editors act: mastheads end up equal to the record.

Each test freezes an issue's fan-out at the fake Discord's door after some story parts
landed (the mastheads of every channel are out), acts, lets the rest land, and checks
Discord against the store with the invariant checker, mastheads included.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.e2e.conftest import Newsroom
from tests.fakes.fake_discord_http import Gate
from tests.fakes.invariant import check_copies
from tests.fakes.invariant_issues import issue_of, shown_entries
from tests.reliability.interleave import (
    STORY_POST,
    actor,
    answer,
    approved_story,
    count,
    quiet,
    subscribed_channels,
)

CHANNELS = 20
ARTICLES = ("clean_copyright_ruling.md", "clean_ai_tutor_study.md",
            "clean_chip_export_rules.md")


def labelled(word: str) -> Any:
    """Messages whose embeds carry "story #N" (a story's part) or "issue #N" (a masthead)."""
    def where(body: Any) -> bool:
        return isinstance(body, dict) and any(f"{word} #" in (e.get("author") or {}).get(
            "name", "") for e in body.get("embeds") or [])
    return where


async def frozen_issue(room: Newsroom, after: int = 8, held: str = "story"
                       ) -> tuple[list[int], list[int], Gate]:
    channels = await subscribed_channels(room, CHANNELS)
    stories = []
    for name in ARTICLES:
        story = await approved_story(room, name=name)
        await room.bot.publisher.schedule(story, actor(room, "editor1"), "next")
        stories.append(story)
    gate = room.discord.hold("POST", STORY_POST, after=after, where=labelled(held))
    assert await room.bot.publisher.run_edition(datetime.now(UTC)) == 3
    await gate.wait_held(8)
    return stories, [room.channel("announcements"), *channels], gate


def mastheads(room: Newsroom, channels: list[int]) -> dict[int, dict]:
    return {c: m for c in channels for m in room.discord.channel_messages(c)
            if issue_of(m) == 1}


def agree(room: Newsroom) -> None:
    problems = check_copies(room.discord, room.db_path)
    assert not problems, "\n".join(problems)


async def test_a_retraction_during_an_issue_fanout_strikes_every_masthead(
        newsroom: Newsroom) -> None:
    stories, channels, gate = await frozen_issue(newsroom)
    text = await answer(newsroom, "editor1", "retract",
                        {"story": stories[0], "reason": "The ruling was reversed."})
    assert count(r"(\d+) delivered cop", text) >= 1, text
    gate.release()
    await quiet(newsroom)
    agree(newsroom)
    heads = mastheads(newsroom, channels)
    assert sorted(heads) == sorted(channels)  # one each
    for channel_id, head in heads.items():
        assert [e.struck for e in shown_entries(head)] == [True, False, False], channel_id


async def test_a_corrected_headline_during_an_issue_fanout_reaches_every_masthead(
        newsroom: Newsroom) -> None:
    stories, channels, gate = await frozen_issue(newsroom)
    handle = await newsroom.discord.invoke("editor1", "correct", {
        "story": stories[1], "kind": "correction",
        "text": "An earlier version overstated the gain."})
    done = await newsroom.discord.submit_modal("editor1", handle, {
        "Headline": "Study Finds AI Tutors Helped Weaker Students"})
    await done.wait_final()
    gate.release()
    await quiet(newsroom)
    agree(newsroom)
    for channel_id, head in mastheads(newsroom, channels).items():
        headlines = [e.headline for e in shown_entries(head)]
        assert headlines[1] == "Study Finds AI Tutors Helped Weaker Students", channel_id


async def test_unsubscribing_during_an_issue_fanout_withdraws_its_masthead(
        newsroom: Newsroom) -> None:
    _, channels, gate = await frozen_issue(newsroom, after=5, held="issue")
    going = await newsroom.bot.store.run(lambda s: [
        r["channel_id"] for r in s.db.query("SELECT channel_id FROM deliveries WHERE "
                                            "story_id IS NULL AND state = 'pending'")])
    gone = [c for c in going if c != newsroom.channel("announcements")][:3]
    for channel_id in gone:
        text = await answer(newsroom, "admin2", "unsubscribe", {"channel": channel_id},
                            guild=newsroom.discord.world.other_guild_id, channel=channel_id)
        assert "Unsubscribed" in text, text
    gate.release()
    await quiet(newsroom)
    agree(newsroom)
    heads = mastheads(newsroom, channels)
    assert not set(gone) & set(heads) and len(heads) == len(channels) - len(gone)
    for channel_id in gone:  # neither the masthead nor any story of the issue went there
        assert newsroom.discord.channel_messages(channel_id) == []
