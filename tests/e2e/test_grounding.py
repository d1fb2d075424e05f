"""Issue 12 end to end: a draft whose figure its sources do not state cannot be approved
without a written override; the stored source text can be read back with /draft show."""

from __future__ import annotations

from tests.e2e.conftest import Newsroom
from tests.e2e.helpers import commands_shown_to_everyone
from tests.e2e.test_drafting import request, wait_card
from tests.fakes.fake_anthropic import Article

# Source 1 says traffic fell 12 percent; the draft says 21%.
DRAFT = """# Harbour Strike Ends After Pay Deal

The strike at the harbour is over. Dockworkers return to work on Wednesday.

Container traffic fell 21% in October after the strike, the harbour authority said [1].

The union said its 1,800 members will return to work on Wednesday after accepting a
6 percent pay rise [2].

## Why It Matters

The harbour is the region's main port [1][2].

## The Bottom Line

Work resumes on Wednesday [2].

## Sources

1. Harbour authority - Text
2. Union - Text
"""


async def test_a_figure_in_no_source_blocks_approval_until_overridden(
        newsroom: Newsroom) -> None:
    newsroom.claude.script(Article(DRAFT))
    await request(newsroom)
    card = await wait_card(newsroom, 1, "in_review")
    checks_field = next(f["value"] for f in card["embeds"][0]["fields"] if f["name"] == "Checks")
    assert "figures" in checks_field and "'21%' in body paragraph 1" in checks_field
    refused = await newsroom.invoke("editor2", "review approve", {"story": 1})
    assert refused.ephemeral and "Approval blocked" in refused.text()
    assert "figures" in refused.text() and "21%" in refused.text()
    assert (await newsroom.bot.store.stories.get(1)).status == "in_review"
    checks = await newsroom.invoke("editor2", "review checks", {"story": 1})
    text = checks.text()
    assert "✗ **figures** (required)" in text and "✓ **quotes** (required)" in text
    assert "✓ **cited_text** (required)" in text
    ok = await newsroom.invoke("editor2", "review approve", {
        "story": 1, "override": "Authority corrected its figure to 21% by phone."})
    assert "Override recorded" in ok.text()
    assert (await newsroom.bot.store.stories.get(1)).status == "approved"
    history = await newsroom.bot.store.review.history(1)
    assert history[-2].action == "override" and "21%" in history[-2].detail


async def test_draft_show_gives_a_source_text_and_the_rest_as_a_file(
        newsroom: Newsroom) -> None:
    long_text = "The harbour authority said traffic fell 12 percent. " * 60
    await request(newsroom, sources=f"1) {long_text} 2) The union said members will return.")
    await wait_card(newsroom, 1, "in_review")
    short = await newsroom.invoke("editor1", "draft show", {"story": 1, "source": 2})
    final = await short.wait_final()
    assert "Source 2 of #1" in short.text() and "The union said members will return." in \
        short.text()
    assert not final.get("attachments")
    full = await newsroom.invoke("editor1", "draft show", {"story": 1, "source": 1})
    final = await full.wait_final()
    assert final["embeds"][0]["description"] == long_text.strip()[:1500]
    [attachment] = final["attachments"]
    assert newsroom.discord.attachment_bytes(attachment).decode() == long_text.strip()
    missing = await newsroom.invoke("editor1", "draft show", {"story": 1, "source": 3})
    assert missing.ephemeral and "has no source 3" in missing.text()
    with commands_shown_to_everyone(newsroom):
        reader = await newsroom.invoke("reader", "draft show", {"story": 1, "source": 1})
    assert long_text[:40] not in reader.text()
