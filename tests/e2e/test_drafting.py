"""Issue 3: the drafting desk through the real bot, fake Discord and fake Anthropic."""

from __future__ import annotations

import asyncio

from bot.prompts import SYSTEM_PROMPT, TOOLS
from tests.e2e.conftest import Newsroom

SOURCES = ("1) The harbour authority said on Monday that container traffic fell 12 percent in "
           "October after the strike. Ships waited up to four days for a berth. "
           "2) The dockworkers' union said its 1,800 members will return to work on Wednesday "
           "after accepting a 6 percent pay rise.")


def card_messages(room: Newsroom) -> list[dict]:
    return [m for m in room.discord.channel_messages(room.channel("editorial")) if m["embeds"]
            and m.get("components")]


async def wait_card(room: Newsroom, story_id: int, status: str, timeout: float = 15) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            for message in card_messages(room):
                author = message["embeds"][0].get("author", {}).get("name", "")
                if author.startswith(f"#{story_id} ·") and status.replace("_", " ") in author:
                    return message
            await asyncio.sleep(0.05)


def buttons(message: dict) -> list[str]:
    return [c["custom_id"] for row in message["components"] for c in row["components"]]


async def request(room: Newsroom, **options) -> object:
    args = {"topic": "Harbour strike ends", "sources": SOURCES, "length": "brief"}
    args.update(options)
    return await room.invoke("editor1", "draft request", args)


async def test_request_shows_progress_then_posts_a_card(newsroom: Newsroom) -> None:
    newsroom.claude.event_delay = 0.03  # a few seconds of streaming, so progress shows
    newsroom.claude.chunk_size = 8
    handle = await request(newsroom)
    assert handle.deferred and handle.ephemeral and handle.ack_latency < 3
    card = await wait_card(newsroom, 1, "in_review", timeout=30)
    await handle.wait_final(lambda m: "ready for review" in m.get("content", ""))
    contents = [v.get("content") or "" for v in handle.original_history]
    assert any("words written of 150-350" in c for c in contents), contents
    assert buttons(card) == ["newsroom:card:approve:1", "newsroom:card:changes:1",
                             "newsroom:card:edit:1", "newsroom:card:spike:1"]
    embed = card["embeds"][0]
    footer = embed["footer"]["text"]
    assert "revision 1" in footer and "claude-sonnet-5-5" in footer
    assert "tokens" in embed["footer"]["text"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "Sources (2)" in fields and "Checks" in fields
    assert not newsroom.discord.pings()


async def test_requests_carry_the_cached_prefix_documents_and_model(newsroom: Newsroom) -> None:
    await request(newsroom)
    await wait_card(newsroom, 1, "in_review")
    await request(newsroom, topic="Port traffic recovers")
    await wait_card(newsroom, 2, "in_review")
    first, second = [r.body for r in newsroom.claude.message_requests]
    assert first["system"] == second["system"] == [
        {"type": "text", "text": SYSTEM_PROMPT, "cache_control": {"type": "ephemeral"}}]
    assert first["model"] == "claude-sonnet-5-5"
    docs = [b for b in first["messages"][0]["content"] if b["type"] == "document"]
    assert [d["citations"] for d in docs] == [{"enabled": True}] * 2
    rev2 = await newsroom.bot.store.stories.revision(2)
    assert rev2.cache_read_tokens > 0


async def test_an_outage_shows_retry_status_then_recovers(newsroom: Newsroom) -> None:
    newsroom.claude.outage(4)  # two absorbed by the SDK, then our backoff
    handle = await request(newsroom)
    await wait_card(newsroom, 1, "in_review", timeout=30)
    contents = [v.get("content") or "" for v in handle.original_history]
    assert any("Waiting" in c and "attempt 2 of 5" in c for c in contents), contents
    assert any("overloaded" in c for c in contents)


async def test_exhausted_retries_fail_and_the_retry_button_works(newsroom: Newsroom) -> None:
    newsroom.claude.outage(30)
    await newsroom.restart(NEWSROOM_DRAFT_MAX_ATTEMPTS=2)
    handle = await request(newsroom)
    card = await wait_card(newsroom, 1, "failed", timeout=30)
    await handle.wait_final(lambda m: "failed" in m.get("content", ""))
    assert "gave up after 2 attempts" in handle.original["content"]
    assert "newsroom:card:retry:1" in buttons(card)
    newsroom.claude.script()  # recovery
    newsroom.claude.reset()
    click = await newsroom.discord.click("editor2", card, "newsroom:card:retry:1")
    await click.wait_response()
    await wait_card(newsroom, 1, "in_review", timeout=30)


async def test_a_restart_in_the_middle_of_drafting_resumes_the_job(newsroom: Newsroom) -> None:
    from tests.fakes.fake_anthropic import Hang

    newsroom.claude.script(Hang(seconds=60))
    await request(newsroom)
    await asyncio.sleep(0.5)
    assert newsroom.claude.pending == 0 and len(newsroom.claude.message_requests) == 1  # hangs
    await newsroom.restart()
    await wait_card(newsroom, 1, "in_review", timeout=30)
    story = await newsroom.bot.store.stories.get(1)
    assert story.current_revision == 1


async def test_bad_input_is_refused_and_nothing_is_stored(newsroom: Newsroom) -> None:
    before = newsroom.db()
    cases = [
        ({"sources": "ftp://example.org/a"}, "not an http"),
        ({"topic": "\u200b\u200b"}, "`topic` is empty"),
        ({"sources": None}, "at least one source"),
    ]
    for options, message in cases:
        args = {"topic": "A story", "sources": SOURCES}
        args.update(options)
        args = {k: v for k, v in args.items() if v is not None}
        handle = await newsroom.invoke("editor1", "draft request", args)
        await handle.wait_final()
        assert handle.ephemeral and message in handle.text(), handle.text()
    handle = await newsroom.invoke(
        "editor1", "draft request", {"topic": "A story", "file": "virus.exe"},
        attachments={"file": ("virus.exe", b"MZ\x90\x00", "application/octet-stream")})
    await handle.wait_final()
    assert "not a supported type" in handle.text()
    handle = await newsroom.invoke("editor1", "draft show", {"story": 99})
    assert handle.ephemeral and "no story #99" in handle.text()
    assert newsroom.db() == before
    assert not [r for r in newsroom.claude.requests if r.path.startswith("/v1/messages")]


async def test_a_pdf_and_a_text_file_become_documents(newsroom: Newsroom) -> None:
    handle = await newsroom.invoke(
        "editor1", "draft request", {"topic": "Harbour strike ends", "sources": SOURCES,
                                     "file": "minutes.md"},
        attachments={"file": ("minutes.md", b"# Minutes\nThe board met on Tuesday.",
                              "text/markdown")})
    await wait_card(newsroom, 1, "in_review")
    body = newsroom.claude.message_requests[0].body
    docs = [b for b in body["messages"][0]["content"] if b["type"] == "document"]
    assert len(docs) == 3 and "The board met" in docs[2]["source"]["data"]
    assert handle.ephemeral


async def story_with_three_revisions(room: Newsroom) -> None:
    await request(room)
    await wait_card(room, 1, "in_review")
    handle = await room.invoke("editor1", "draft revise",
                               {"story": 1, "instructions": "Lead with the pay deal."})
    await wait_card(room, 1, "in_review")
    await handle.wait_final(lambda m: "ready for review" in m.get("content", ""))
    edit = await room.invoke("editor2", "draft edit", {"story": 1})
    modal = edit.modal
    assert modal is not None and modal.find("Headline").value
    body = modal.find("Body (paragraphs, ## Why It Matters ...)").value
    submitted = await room.discord.submit_modal("editor2", edit, {
        "Headline": "Dockworkers return after pay deal",
        "Body (paragraphs, ## Why It Matters ...)": body.replace("strike", "walkout", 1)})
    await submitted.wait_final()
    assert "Saved revision 3" in submitted.text()


async def test_revise_edit_show_diff_list_on_three_revisions(newsroom: Newsroom) -> None:
    await story_with_three_revisions(newsroom)
    revise_request = newsroom.claude.message_requests[1].body
    text = revise_request["messages"][0]["content"][-1]["text"]
    assert "Lead with the pay deal." in text and "<current_draft>" in text
    story = await newsroom.bot.store.stories.get(1)
    assert (story.current_revision, story.status, story.last_author_id) == (
        3, "in_review", newsroom.user("editor2"))

    show = await newsroom.invoke("editor1", "draft show", {"story": 1, "revision": 2})
    await show.wait_followups(1)
    assert "revision 2 of 3" in show.text()
    assert "Dockworkers return after pay deal" not in show.text()

    diff = await newsroom.invoke("editor1", "draft diff", {"story": 1, "from": 2, "to": 3})
    await diff.wait_final()
    assert "-# " in diff.text() and "+# Dockworkers return after pay deal" in diff.text()

    listing = await newsroom.invoke("editor1", "draft list", {"status": "in_review"})
    assert "#1 - Dockworkers return after pay deal (in review)" in listing.text()
    choices = await newsroom.discord.autocomplete("editor1", "draft show", {"story": ""},
                                                  "story")
    assert choices[0]["name"].startswith("#1 - Dockworkers return")


async def test_edit_after_approval_clears_approvals(newsroom: Newsroom) -> None:
    await request(newsroom)
    card = await wait_card(newsroom, 1, "in_review")
    click = await newsroom.discord.click("editor2", card, "newsroom:card:approve:1")
    await click.wait_response()
    assert "Approved" in click.text(), click.text()
    assert (await newsroom.bot.store.stories.get(1)).status == "approved"
    edit = await newsroom.invoke("editor2", "draft edit", {"story": 1})
    done = await newsroom.discord.submit_modal("editor2", edit, {"Headline": "A new headline"})
    await done.wait_final()
    story = await newsroom.bot.store.stories.get(1)
    assert story.status == "in_review"
    assert await newsroom.bot.store.review.approvals(1, story.current_revision) == []


async def test_url_sources_go_through_the_web_fetch_tool(newsroom: Newsroom) -> None:
    url = "https://harbour.example.org/news/strike-ends"
    newsroom.claude.web_pages[url] = (
        "Strike ends at Eastham harbour\n\nThe harbour authority said on Monday that the "
        "three-week strike ended after workers accepted a 6 percent pay rise.")
    await request(newsroom, sources=f"{url} 1) The union said 1,800 members voted yes.")
    await wait_card(newsroom, 1, "in_review")
    body = newsroom.claude.message_requests[0].body
    assert body["tools"] == TOOLS  # the same for every story: no per-story domains
    assert TOOLS[0]["name"] == "web_fetch" and "allowed_domains" not in TOOLS[0]
    text = body["messages"][0]["content"][-1]["text"]
    assert f"[1] {url}" in text and "fetch it with the web_fetch tool" in text
    revision = await newsroom.bot.store.stories.revision(1)
    first = revision.article["sources"][0]
    assert first["url"] == url and first["publisher"] == "harbour.example.org"


async def test_stats_count_what_failed_attempts_cost(newsroom: Newsroom) -> None:
    from tests.fakes.fake_anthropic import MidStreamError

    newsroom.claude.script(MidStreamError(after_deltas=5))  # billed, then broken off
    await request(newsroom)
    await wait_card(newsroom, 1, "in_review", timeout=30)
    handle = await newsroom.invoke("editor1", "newsroom stats", {"days": 7})
    final = await handle.wait_final(lambda m: bool(m.get("embeds")))
    cost = {f["name"]: f["value"] for f in final["embeds"][0]["fields"]}["Drafting cost"]
    assert "on 1 failed attempt(s)" in cost
