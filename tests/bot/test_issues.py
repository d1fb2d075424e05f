"""Edition names, the masthead as a message, and how its parts are recognised."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import parse_editions
from bot.copies import part_index
from bot.issues import dek_line, render_masthead
from bot.render import message_within_limits
from bot.scheduling import edition_date, edition_name
from storage.issues import Issue, IssueEntry

EDITIONS = ("Morning=0 8 * * *", "0 17 * * *", "0 2 * * *")


def issue(entries: list[IssueEntry], number: int = 42) -> Issue:
    due = datetime(2026, 12, 3, 8, tzinfo=UTC)
    return Issue(number, due, "Morning", "Thursday 3 December 2026", due, None, tuple(entries))


def entry(position: int, headline: str = "Port strike ends", dek: str = "Workers return.",
          status: str = "published", message_id: int | None = None) -> IssueEntry:
    return IssueEntry(100 + position, position, status, headline, dek, message_id)


def test_an_edition_is_named_by_its_cron_line_or_by_the_time_of_day() -> None:
    at = datetime(2026, 12, 3, 8, tzinfo=UTC)
    assert edition_name(EDITIONS, "UTC", at) == "Morning"
    assert edition_name(EDITIONS, "UTC", at.replace(hour=17)) == "Evening"
    assert edition_name(EDITIONS, "UTC", at.replace(hour=2)) == "Night"
    assert edition_name(EDITIONS, "Asia/Tokyo", at.replace(hour=5)) == "Afternoon"  # 14:00
    assert edition_date(at.replace(hour=23), "Asia/Tokyo") == "Friday 4 December 2026"


@pytest.mark.parametrize("value, message", [
    ("Late edition=0 22 * * *; 0 8 * * *", None),
    ("<@&1>=0 8 * * *", "is not an edition name"),
    ("=0 8 * * *", "is not an edition name"),
    ("Morning=0 8 * *", "is not a valid cron expression"),
])
def test_edition_names_are_checked_with_the_cron_line(value: str, message: str | None) -> None:
    if message is None:
        assert parse_editions(value) == ("Late edition=0 22 * * *", "0 8 * * *")
    else:
        with pytest.raises(ValueError, match=message):
            parse_editions(value)


def test_a_dek_is_one_line() -> None:
    long = ("The U.S. Commerce Department widened its controls on advanced AI chips on "
            "Tuesday, adding 14 countries to a licence list. Chipmakers said the change "
            "will slow shipments well into 2027.")
    assert dek_line(long) == long.split(" Chipmakers")[0]
    assert dek_line("Short.\nTwo lines.") == "Short. Two lines."
    run_on = "word " * 60
    assert dek_line(run_on).endswith("…") and len(dek_line(run_on)) <= 160


def test_a_masthead_carries_its_label_heading_and_contents() -> None:
    message = render_masthead(issue([
        entry(1, "Judge [rules] on *AI*", message_id=7),
        entry(2, "Study withdrawn", "A long dek that must not be shown.", "retracted", 8),
        entry(3)]), "ClawNews", lambda e: f"https://x/{e.message_id}" if e.message_id else None)
    [embed] = message.embeds
    assert embed.author.name == "ClawNews · issue #42"
    assert embed.title == "Issue 42 · Thursday 3 December 2026 · Morning"
    assert embed.description == (
        "**1. [Judge \\[rules\\] on \\*AI\\*](https://x/7)**\nWorkers return.\n\n"
        "2. ~~Study withdrawn~~ · [retracted](https://x/8)\n\n"
        "**3. Port strike ends**\nWorkers return.")
    assert embed.footer.text == "3 stories · /archive issue 42"
    assert part_index(embed.author.name, "issue #42") == 0
    assert part_index(embed.author.name, "issue #4") is None
    assert part_index("ClawNews · Breaking · story #42", "issue #42") is None
    assert part_index("ClawNews · Breaking · story #42 · continued (2/3)", "story #42") == 1


def test_a_masthead_of_many_stories_stays_one_message_and_says_where_the_rest_are() -> None:
    headline = "A headline of exactly one hundred characters, " + "x" * 54
    dek = "A dek sentence that runs on for quite a while, " * 3 + "ending here."
    for count in (5, 20, 60):
        entries = [entry(i, headline, dek, message_id=10**18 + i) for i in range(1, count + 1)]
        message = render_masthead(issue(entries), "ClawNews", lambda e: (
            f"https://discord.com/channels/{10**18}/{10**18}/{e.message_id}"))
        assert message_within_limits(message) == [], count
        text = "\n".join(e.description or "" for e in message.embeds)
        if count == 60:
            assert "more: `/archive issue 42`" in text
        else:
            assert text.count("**") == 2 * count
