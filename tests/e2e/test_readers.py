"""Issue 6: corrections, retractions, reader feedback, triage and the archive."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import archive as archive_module
from tests.e2e.conftest import Newsroom
from tests.e2e.helpers import commands_shown_to_everyone, make_story, wait_for
from tests.e2e.test_publishing import drained, story_posts, subscribe
from tests.fakes.fake_discord import CommandUnavailable

NOTE = "An earlier version of this article misstated the vote as 7 to 2. It was 6 to 3."


async def published_to_three(room: Newsroom) -> int:
    await subscribe(room, "admin2", "news", guild=room.discord.world.other_guild_id)
    await subscribe(room, "admin", "general")
    story = await make_story(room, "approved")
    await room.invoke("editor1", "publish now", {"story": story})
    await drained(room)
    return story


def all_text(message: dict) -> str:
    parts = [message.get("content") or ""]
    for embed in message["embeds"]:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f.get("value", "") for f in embed.get("fields", [])]
    return "\n".join(parts)


async def correct(room: Newsroom, story: int, notify: bool, note: str = NOTE):
    handle = await room.invoke("editor1", "correct", {"story": story, "kind": "correction",
                                                      "text": note, "notify": notify})
    assert handle.modal is not None
    done = await room.discord.submit_modal("editor1", handle, {})
    await done.wait_final()
    return done


async def test_a_correction_reaches_every_copy_and_notifies(newsroom: Newsroom) -> None:
    story = await published_to_three(newsroom)
    channels = ["announcements", "news", "general"]
    done = await correct(newsroom, story, notify=True)
    assert "3 delivered copies updated; 3 notice(s) posted" in done.text()
    for channel in channels:
        post = story_posts(newsroom, channel, story)[0]
        text = all_text(post)
        assert "Correction, " in text and NOTE in text, channel
        notices = [m for m in newsroom.discord.channel_messages(newsroom.channel(channel))
                   if (m.get("content") or "").startswith("Correction to")]
        assert len(notices) == 1 and "The corrected article: https://discord.com/channels/" \
            in notices[0]["content"]
    corrections = await newsroom.bot.store.archive.corrections(story)
    assert len(corrections) == 1 and corrections[0].revision == 2
    assert not newsroom.discord.pings()


@pytest.mark.copies_differ("a moderator deleted a delivered copy")
async def test_a_copy_deleted_by_hand_is_reported(newsroom: Newsroom) -> None:
    story = await published_to_three(newsroom)
    news = newsroom.channel("news")
    post = story_posts(newsroom, "news", story)[0]
    newsroom.discord.delete_message(news, int(post["id"]))
    done = await correct(newsroom, story, notify=False)
    assert "2 delivered copies updated; 1 could not be updated" in done.text()
    assert f"<#{news}>: the message was deleted" in done.text()


async def test_the_correction_form_can_fix_the_text(newsroom: Newsroom) -> None:
    story = await make_story(newsroom, "approved")
    await newsroom.invoke("editor1", "publish now", {"story": story})
    await drained(newsroom)
    handle = await newsroom.invoke("editor1", "correct", {"story": story, "kind": "correction",
                                                          "text": NOTE})
    body = handle.modal.find("Body (fix the text here)").value
    done = await newsroom.discord.submit_modal("editor1", handle, {
        "Body (fix the text here)": body.replace("[1]", "[1] (6 to 3)", 1)})
    await done.wait_final()
    assert "(6 to 3)" in all_text(story_posts(newsroom, "announcements", story)[0])


async def test_retraction_replaces_copies_and_tells_only_recipients(newsroom: Newsroom) -> None:
    story = await published_to_three(newsroom)
    other = newsroom.discord.world.other_guild_id
    [late] = newsroom.discord.add_text_channels(other, 1, prefix="late")
    await wait_for(lambda: newsroom.bot.get_channel(late))
    subscribed = await newsroom.invoke("admin2", "subscribe", {"channel": late}, guild=other,
                                       channel=late)
    await subscribed.wait_final()
    assert "Subscribed" in subscribed.text()  # after publication: not a recipient
    handle = await newsroom.invoke("editor1", "retract",
                                   {"story": story, "reason": "The court ruling was reversed."})
    await handle.wait_final()
    assert "3 delivered copies replaced; 3 notice(s) posted" in handle.text()
    for channel in ("announcements", "news", "general"):
        messages = newsroom.discord.channel_messages(newsroom.channel(channel))
        texts = [all_text(m) for m in messages]
        assert any("Retracted:" in t and "The court ruling was reversed." in t for t in texts)
        assert sum("has retracted" in t for t in texts) == 1
        assert not any(m["components"] for m in messages if "Retracted:" in all_text(m))
    assert newsroom.discord.channel_messages(late) == []
    assert (await newsroom.bot.store.stories.get(story)).status == "retracted"
    search = await newsroom.invoke("reader", "archive search", {"query": "court"})
    assert f"#{story} ·" not in search.text()
    shown = await newsroom.invoke("reader", "archive story", {"id": story})
    assert "Retracted:" in shown.text()


async def test_feedback_by_command_and_button_then_accept_and_dismiss(newsroom: Newsroom
                                                                      ) -> None:
    story = await published_to_three(newsroom)
    handle = await newsroom.invoke("reader2", "feedback",
                                   {"story": story, "kind": "correction",
                                    "text": "The vote was 6 to 3, not 7 to 2. @everyone",
                                    "quote": "7 to 2"},
                                   guild=newsroom.discord.world.other_guild_id,
                                   channel=newsroom.channel("news"))
    assert handle.ephemeral and "ticket #1" in handle.text()
    triage = await wait_for(lambda: [m for m in newsroom.discord.channel_messages(
        newsroom.channel("feedback")) if m["embeds"]])
    card = triage[0]
    assert "Ticket #1 · correction · open" in card["embeds"][0]["title"]
    assert "@\u200beveryone" in card["embeds"][0]["description"]  # shown, never a ping

    post = story_posts(newsroom, "general", story)[0]
    click = await newsroom.discord.click("reader", post, f"newsroom:report:{story}")
    await click.wait_response()
    form = click.modal
    assert form is not None
    sent = await newsroom.discord.submit_modal("reader", click, {
        "Kind": ["tip"], "What is wrong or unclear?": "There is a second lawsuit."})
    await sent.wait_final()
    assert "ticket #2" in sent.text()

    accept = await newsroom.discord.click("editor1", card, "newsroom:ticket:accept:1")
    await accept.wait_response()
    assert accept.modal is not None  # the correction flow, prefilled
    assert "7 to 2" in accept.modal.find("Correction note (shown on every copy)").value
    done = await newsroom.discord.submit_modal("editor1", accept, {
        "Correction note (shown on every copy)": NOTE})
    await done.wait_final()
    assert "Ticket #1 accepted; the reader was told by DM" in done.text()
    ticket = await newsroom.bot.store.tickets.get(1)
    assert ticket.correction_id is not None
    dms = newsroom.discord.dm_messages("reader2")
    assert dms and "was accepted" in dms[-1]["content"]
    assert NOTE in all_text(story_posts(newsroom, "news", story)[0])

    newsroom.discord.close_dms("reader")
    dismiss = await newsroom.invoke("editor2", "triage resolve",
                                    {"ticket": 2, "action": "dismiss", "reply": "Thanks!"})
    await dismiss.wait_final()
    assert "DMs are closed" in dismiss.text()
    again = await newsroom.invoke("reader", "feedback", {"story": story, "kind": "comment",
                                                         "text": "Good work."})
    assert "Earlier ticket #2 was dismissed. Reply: Thanks!" in again.text()
    listing = await newsroom.invoke("editor1", "triage list", {"status": "accepted"})
    assert "#1 · correction" in listing.text()
    assert not newsroom.discord.pings()


async def test_feedback_allowance_and_bad_input(newsroom: Newsroom) -> None:
    await newsroom.restart(NEWSROOM_FEEDBACK_ALLOWANCE=1)
    story = await published_to_three(newsroom)
    first = await newsroom.invoke("reader", "feedback", {"story": story, "kind": "tip",
                                                         "text": "A tip."})
    assert "ticket #1" in first.text()

    async def triaged() -> int | None:  # the reader is answered before the ticket is posted
        return (await newsroom.bot.store.tickets.get(1)).triage_message_id
    await wait_for(triaged)
    before = newsroom.db()
    for options, message in [
        ({"story": story, "kind": "tip", "text": "Another."}, "You can send another"),
        ({"story": 999, "kind": "tip", "text": "x"}, "no published story #999"),
        ({"story": story, "kind": "tip", "text": "\u200b \u200b"}, "`text` is empty"),
    ]:
        handle = await newsroom.invoke("reader", "feedback", options)
        assert handle.ephemeral and message in handle.text(), handle.text()
    assert newsroom.db() == before


async def test_the_default_allowance_takes_three_notes_and_times_the_fourth(
        newsroom: Newsroom) -> None:
    """A reader who finds three errors in one story can report all three; the fourth
    within ten minutes is refused with the moment the next one is possible."""
    newsroom.env.pop("NEWSROOM_FEEDBACK_ALLOWANCE")
    await newsroom.restart()
    assert newsroom.bot.settings.feedback_allowance == 3
    story = await make_story(newsroom, "published")
    for number in (1, 2, 3):
        handle = await newsroom.invoke("reader", "feedback", {
            "story": story, "kind": "correction", "text": f"Error number {number}."})
        assert f"ticket #{number}" in handle.text(), handle.text()
    before = [row[0] for row in newsroom.db()["tickets"]]
    fourth = await newsroom.invoke("reader", "feedback", {"story": story, "kind": "tip",
                                                          "text": "One more."})
    first = await newsroom.bot.store.tickets.get(1)
    next_one = int((first.created_at + timedelta(minutes=10)).timestamp())
    assert fourth.ephemeral and f"You can send another <t:{next_one}:R>" in fourth.text()
    assert [row[0] for row in newsroom.db()["tickets"]] == before  # no fourth ticket
    other = await newsroom.invoke("reader2", "feedback", {"story": story, "kind": "tip",
                                                          "text": "Mine is separate."},
                                  guild=newsroom.discord.world.other_guild_id)
    assert "ticket #4" in other.text()  # the allowance is per reader


async def test_archive_finds_published_not_spiked(newsroom: Newsroom) -> None:
    published = await make_story(newsroom, "approved")
    spiked = await make_story(newsroom, "in_review", name="clean_datacenter_power.md")
    await newsroom.invoke("editor1", "publish now", {"story": published})
    await newsroom.invoke("editor2", "review spike", {"story": spiked, "reason": "dead"})
    body_word = "copyright"
    found = await newsroom.invoke("reader", "archive search", {"query": body_word})
    assert f"#{published} ·" in found.text()
    missing = await newsroom.invoke("reader", "archive search", {"query": "datacenter"})
    assert f"#{spiked} ·" not in missing.text() and "Nothing found" in missing.text()
    for hostile in ['"', "NOT OR AND", "*", "body:x", "'; DROP TABLE stories;--"]:
        handle = await newsroom.invoke("reader", "archive search", {"query": hostile})
        assert handle.ephemeral
    latest = await newsroom.invoke("reader", "archive latest")
    assert f"#{published} ·" in latest.text()


async def test_a_broad_search_tells_the_reader_how_it_is_ordered(
        newsroom: Newsroom, monkeypatch: pytest.MonkeyPatch) -> None:
    published = await make_story(newsroom, "approved")
    await newsroom.invoke("editor1", "publish now", {"story": published})
    narrow = await newsroom.invoke("reader", "archive search", {"query": "copyright"})
    assert f"#{published} ·" in narrow.text() and "Many stories match" not in narrow.text()
    monkeypatch.setattr(archive_module, "NARROW", 0)  # as if the word were in every story
    broad = await newsroom.invoke("reader", "archive search", {"query": "copyright"})
    assert f"#{published} ·" in broad.text() and broad.ephemeral
    assert "Many stories match: the newest about it come first" in broad.text()
    await drained(newsroom)
    await correct(newsroom, published, notify=False)
    log = await newsroom.invoke("reader", "archive corrections")
    assert NOTE in log.text()
    story = await newsroom.invoke("reader", "archive story", {"id": published})
    await story.wait_final()
    assert NOTE in story.text()


def suggesting_options(room: Newsroom) -> list[tuple[str, str]]:
    """(command, option) of every editorial command option with suggestions, as synced."""
    found: list[tuple[str, str]] = []

    def walk(path: list[str], options: list[dict]) -> None:
        for option in options:
            if option["type"] in (1, 2):  # a subcommand or a group of them
                walk([*path, option["name"]], option.get("options") or [])
            elif option.get("autocomplete"):
                found.append((" ".join(path), option["name"]))

    for command in room.discord.registered_commands(room.discord.world.home_guild_id):
        walk([command["name"]], command.get("options") or [])
    return found


async def test_story_suggestions_show_each_member_only_what_they_may_see(
        newsroom: Newsroom) -> None:
    """Autocomplete runs without the cog's editor check: the story option checks itself."""
    draft = await make_story(newsroom, "in_review", name="clean_datacenter_power.md")
    published = await make_story(newsroom, "published")
    retracted = await make_story(newsroom, "retracted")
    spiked = await make_story(newsroom, "spiked")

    async def offered(user: str, command: str, option: str = "story") -> set[int]:
        choices = await newsroom.discord.autocomplete(user, command, {option: ""}, option)
        return {c["value"] for c in choices}

    assert await offered("editor1", "draft show") == {draft, published, retracted, spiked}
    assert await offered("editor1", "correct") == {published}
    editorial = suggesting_options(newsroom)
    assert len(editorial) >= 15, editorial
    for command, option in editorial:
        with pytest.raises(CommandUnavailable):  # hidden from readers altogether
            await offered("reader", command, option)
    with commands_shown_to_everyone(newsroom):  # shown: still no headline is theirs to read
        leaks = {f"/{c} {o}": found for c, o in editorial
                 if (found := await offered("reader", c, o))}
    assert leaks == {}
    assert await offered("reader", "feedback") == {published, retracted}
    assert await offered("reader", "archive story", "id") == {published, retracted}
    other = newsroom.discord.world.other_guild_id
    choices = await newsroom.discord.autocomplete("reader2", "feedback", {"story": ""}, "story",
                                                  guild=other)
    assert {c["value"] for c in choices} == {published, retracted}
