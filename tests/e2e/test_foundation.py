"""Issue 2: the bot boots, syncs, answers, refuses, and survives restarts and reconnects."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.records import utcnow
from tests.e2e.conftest import Newsroom
from tests.e2e.helpers import commands_shown_to_everyone
from tests.fakes.fake_discord import CommandUnavailable

EDITORIAL = {"draft", "review", "publish", "correct", "retract", "triage", "newsroom"}
READER = {"feedback", "subscribe", "unsubscribe", "subscriptions", "archive", "help"}


async def test_boot_syncs_editorial_commands_only_to_the_home_guild(newsroom: Newsroom) -> None:
    fake = newsroom.discord
    home = {c["name"] for c in fake.registered_commands(fake.world.home_guild_id)}
    glob = {c["name"] for c in fake.registered_commands(None)}
    assert home == EDITORIAL and glob == READER
    assert fake.registered_commands(fake.world.other_guild_id) == []
    calls = len(fake.sync_calls)
    await newsroom.restart()
    assert len(fake.sync_calls) == calls  # unchanged schema: no second sync


async def test_status_is_answered_ephemerally(newsroom: Newsroom) -> None:
    handle = await newsroom.invoke("editor1", "newsroom status")
    await handle.wait_final()
    assert handle.ephemeral
    text = handle.text()
    assert "claude-sonnet-5-5: reachable" in text
    assert "Next editions" in text and "Stories" in text


async def test_a_reader_is_refused_editorial_commands_and_nothing_changes(newsroom: Newsroom
                                                                           ) -> None:
    before_db, before_channels = newsroom.db(), newsroom.visible()
    commands = [("draft list", {}), ("review spike", {"story": 1, "reason": "x"}),
                ("publish queue", {}), ("newsroom status", {})]
    for command, options in commands:  # hidden from readers (default_member_permissions)
        with pytest.raises(CommandUnavailable):
            await newsroom.invoke("reader", command, options)
    with commands_shown_to_everyone(newsroom):  # the list is not the lock: the role is
        for command, options in commands:
            handle = await newsroom.invoke("reader", command, options)
            assert handle.ephemeral, command
            assert "editor" in handle.text().lower() or "admins" in handle.text(), \
                handle.text()
    assert newsroom.db() == before_db
    assert newsroom.visible() == before_channels


async def test_editorial_commands_are_not_offered_in_other_servers(newsroom: Newsroom) -> None:
    import pytest

    from tests.fakes.fake_discord_commands import CommandUnavailable

    with pytest.raises(CommandUnavailable):
        await newsroom.discord.invoke("admin2", "draft list", {},
                                      guild=newsroom.discord.world.other_guild_id)


async def test_setup_validates_and_restart_keeps_settings(newsroom: Newsroom) -> None:
    before = newsroom.db()
    bad = await newsroom.invoke("admin", "newsroom setup", {"timezone": "Mars/Olympus"})
    assert bad.ephemeral and "not an IANA time zone" in bad.text()
    bad = await newsroom.invoke("admin", "newsroom setup", {"editions": "0 25 * * *"})
    assert "not a valid cron" in bad.text()
    bad = await newsroom.invoke("admin", "newsroom setup",
                                {"announcement_channel": newsroom.channel("general")})
    assert "not an announcement channel" in bad.text()
    refused = await newsroom.invoke("editor1", "newsroom setup", {"timezone": "UTC"})
    assert refused.ephemeral and "Manage" in refused.text()
    assert newsroom.db() == before

    ok = await newsroom.invoke("admin", "newsroom setup",
                               {"timezone": "Europe/Berlin", "editions": "0 7 * * *; 0 18 * * *",
                                "approvals_required": 2})
    assert ok.ephemeral and "Saved" in ok.text()
    await newsroom.restart()
    current = newsroom.bot.admin.current
    assert (current.timezone, current.editions, current.required_approvals) == (
        "Europe/Berlin", ("0 7 * * *", "0 18 * * *"), 2)
    handle = await newsroom.invoke("editor1", "newsroom status")
    await handle.wait_final()
    assert "Europe/Berlin" in handle.text()


async def test_commands_keep_working_across_reconnect_and_dropped_socket(newsroom: Newsroom
                                                                         ) -> None:
    fake = newsroom.discord
    await fake.send_reconnect()
    handle = await newsroom.invoke("editor1", "draft list")
    assert handle.ephemeral and "Latest stories" in handle.text()
    await fake.drop_socket()
    await fake.wait_until_connected()
    handle = await newsroom.invoke("editor1", "draft list")
    assert "Latest stories" in handle.text()
    assert fake.resume_count >= 1


async def test_stats_gives_figures_and_a_chart(newsroom: Newsroom) -> None:
    from tests.e2e.helpers import make_story

    story = await make_story(newsroom, "approved")
    await newsroom.invoke("editor1", "publish now", {"story": story})
    await newsroom.bot.courier.drain()
    await newsroom.invoke("reader", "feedback", {"story": story, "kind": "tip", "text": "A tip."})
    handle = await newsroom.invoke("editor1", "newsroom stats", {"days": 7})
    final = await handle.wait_final(lambda m: bool(m.get("embeds")))
    assert handle.ephemeral
    fields = {f["name"]: f["value"] for f in final["embeds"][0]["fields"]}
    assert fields["Published"] == "1" and fields["Drafts"].startswith("1 requested")
    assert "tip: 1 open" in fields["Reader feedback"]
    assert final["embeds"][0]["image"]["url"].endswith("stats.png")
    [attachment] = final["attachments"]
    png = newsroom.discord.attachment_bytes(attachment)
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    with pytest.raises(CommandUnavailable):  # hidden: /newsroom needs Manage Server
        await newsroom.invoke("reader", "newsroom stats")
    with commands_shown_to_everyone(newsroom):
        reader = await newsroom.invoke("reader", "newsroom stats")
    assert reader.ephemeral and "admins and editors" in reader.text()


async def test_a_daily_backup_is_taken_at_start_when_due(newsroom: Newsroom) -> None:
    from tests.e2e.helpers import wait_for

    folder = newsroom.tmp / "backups"
    await newsroom.restart(NEWSROOM_BACKUP_DIR=folder, NEWSROOM_BACKUP_KEEP=3)
    copies = await wait_for(lambda: list(folder.glob("newsroom-*.db")))
    assert len(copies) == 1
    assert newsroom.bot.editions.scheduler.get_job("backup") is not None


async def test_a_retiring_model_is_shown_in_status_and_the_team_is_warned_once(
        newsroom: Newsroom) -> None:
    retires = utcnow() + timedelta(days=12)
    newsroom.claude.model_lifecycle["claude-sonnet-5-5"] = {
        "lifecycle": "deprecated", "deprecated_at": "2026-11-02T00:00:00Z",
        "retires_at": retires.isoformat()}
    await newsroom.restart()  # the check runs at start-up, then daily

    def warning(message: dict) -> bool:
        return "retires on" in (message.get("content") or "")

    notice = await newsroom.discord.wait_for_message("editorial", warning)
    assert f"retires on {retires:%d %B %Y}" in notice["content"]
    assert "Set NEWSROOM_MODEL" in notice["content"]
    handle = await newsroom.invoke("editor1", "newsroom status")
    await handle.wait_final()
    text = handle.text()
    assert "Warning: claude-sonnet-5-5 is deprecated since 02 November 2026" in text
    assert handle.original["embeds"][0]["color"] == 0xE67700
    await newsroom.bot.check_model()  # the next day's check
    assert len([m for m in newsroom.discord.channel_messages("editorial") if warning(m)]) == 1
