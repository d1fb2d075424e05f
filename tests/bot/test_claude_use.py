"""Claude used as its API documents, at its cheapest: one cached prefix for every story,
documents cached for revisions, every stop reason answered, tokens counted before
spending, every billed request recorded, the model's lifecycle watched."""

from __future__ import annotations

import base64
import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlite_utils import Database

from bot import stats
from bot.claude_turn import MAX_CONTINUATIONS
from bot.drafting import AttachmentIn, Drafter
from bot.model_watch import warn_if_retiring
from bot.pricing import PRICES, cost_usd, price_of
from bot.prompts import FETCH_MAX_TOKENS, SYSTEM_PROMPT, TOOLS, WEB_FETCH_TOOL_TYPE
from storage import spending
from storage.migrations import migrations
from storage.records import Usage, utcnow
from storage.store import Store
from tests.bot.test_drafting import EDITOR, request
from tests.fakes.fake_anthropic import (
    Custom,
    FakeAnthropic,
    MaxTokens,
    MidStreamError,
    Refusal,
    text_block,
    web_fetch_tool_types,
)
from tests.fakes.test_fake_anthropic import simple_pdf

PAGE = ("Harbour reopens after strike\n\nThe harbour authority said on Friday that the port "
        "reopened after the three-week strike. Ships waited up to four days for a berth.")
URL = "https://harbour.example.org/news/reopens"


def usage_of(fake: FakeAnthropic) -> list[dict[str, Any]]:
    """The usage the fake reported for each /v1/messages answer, from its records."""
    return [r.body for r in fake.message_requests]


async def drafted(d: Drafter, **kw: Any) -> Any:
    story = await request(d, **kw)
    outcome = await d.start(story.id)
    assert outcome.ok, outcome.reason
    return outcome


async def revised(d: Drafter, story_id: int, instructions: str = "Shorter lead.") -> Any:
    await d.revise(story_id, EDITOR, instructions)
    outcome = await d.start(story_id)
    assert outcome.ok, outcome.reason
    return outcome


def pdf_attachment() -> AttachmentIn:
    data = base64.b64decode(simple_pdf(["The port handled 1.2 million containers in 2026."]))

    async def read() -> bytes:
        return data

    return AttachmentIn("traffic.pdf", "application/pdf", len(data), read)


# ---------------------------------------------------------------- the prompt cache


async def test_every_story_reads_the_system_prompt_and_revisions_their_documents_from_cache(
        drafter: Drafter, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.web_pages[URL] = PAGE
    text_story = await drafted(drafter)
    await drafted(drafter, sources_text=f"{URL} 1) The union said its members voted yes.")
    await drafted(drafter, sources_text="1) Port traffic rose in November.",
                  attachment=pdf_attachment())
    revision = await revised(drafter, text_story.story.id)

    bodies = [r.body for r in fake_anthropic.message_requests]
    assert all(b["tools"] == TOOLS for b in bodies)  # one constant tools block
    assert all(b["system"][0]["text"] == SYSTEM_PROMPT for b in bodies)
    reads = [(await drafter.store.stories.revision(s, n)).cache_read_tokens
             for s, n in ((1, 1), (2, 1), (3, 1))]
    assert reads[0] == 0 and reads[1] > 0 and reads[2] == reads[1]  # the same prefix
    assert revision.revision.cache_read_tokens > reads[1]  # system + the story's documents
    assert revision.revision.cache_creation_tokens < revision.revision.cache_read_tokens
    docs = [b for b in bodies[-1]["messages"][0]["content"] if b["type"] == "document"]
    assert docs[-1]["cache_control"] == {"type": "ephemeral"}


async def test_the_newest_web_fetch_tool_is_used_with_a_content_cap(
        drafter: Drafter, fake_anthropic: FakeAnthropic) -> None:
    newest = max(web_fetch_tool_types(), key=lambda t: t.rsplit("_", 1)[1])
    assert WEB_FETCH_TOOL_TYPE == newest
    assert TOOLS[0]["max_content_tokens"] == FETCH_MAX_TOKENS
    fake_anthropic.tool_versions = frozenset(web_fetch_tool_types() - {newest})
    story = await request(drafter)
    outcome = await drafter.start(story.id)
    assert not outcome.ok and "refused the request (HTTP 400)" in outcome.reason
    assert outcome.attempts == 1  # a 400 is not retried


async def test_pages_fetched_outside_the_storys_sources_are_ignored_and_reported(
        drafter: Drafter, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.follow_document_links = True
    fake_anthropic.web_pages[URL] = PAGE
    fake_anthropic.web_pages["https://elsewhere.example/claims"] = (
        "Elsewhere says\n\nAn unrelated site claims the strike will resume next week.")
    note = b"The union said more at https://elsewhere.example/claims on Monday."

    async def read() -> bytes:
        return note

    outcome = await drafted(drafter, sources_text=URL,
                            attachment=AttachmentIn("union.txt", "text/plain", len(note), read))
    assert outcome.notes == ["Claude fetched https://elsewhere.example/claims, which is not "
                             "one of this story's sources; it was not used"]
    assert "elsewhere.example" in outcome.revision.reason
    urls = [s["url"] for s in outcome.revision.article["sources"]]
    assert "https://elsewhere.example/claims" not in urls


# ---------------------------------------------------------------- stop reasons


async def test_a_paused_turn_is_continued_until_the_draft_is_done(
        drafter: Drafter, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.max_server_iterations = 1
    urls = [f"https://harbour.example.org/{n}" for n in range(3)]
    for url in urls:
        fake_anthropic.web_pages[url] = PAGE
    outcome = await drafted(drafter, sources_text=" ".join(urls))
    turns = fake_anthropic.message_requests
    assert len(turns) == 3  # two pauses, each continued
    last = turns[-1].body["messages"]
    assert [m["role"] for m in last] == ["user", "assistant"]
    fetched = [b["input"]["url"] for b in last[1]["content"] if b["type"] == "server_tool_use"]
    assert fetched == urls[:2]  # the paused content, sent back as it came
    assert [s["url"] for s in outcome.revision.article["sources"]] == urls
    [row] = await drafter.store.run(lambda s: spending.for_story(s.db, 1))
    assert row["requests"] == 3 and row["outcome"] == "ok"
    assert row["input_tokens"] == outcome.revision.input_tokens


async def test_a_turn_that_never_stops_pausing_is_given_up(
        drafter: Drafter, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.set_default(Custom(lambda body: ([], "pause_turn")))
    story = await request(drafter)
    outcome = await drafter.start(story.id)
    assert not outcome.ok and "paused its turn" in outcome.reason
    assert len(fake_anthropic.message_requests) == MAX_CONTINUATIONS + 1


@pytest.mark.parametrize(("behaviour", "answer"), [
    (Refusal(explanation="Declined by a safety classifier."),
     "declined to write this draft (refusal); nothing was stored: Declined by a safety"),
    (MaxTokens(), "ran past the output limit"),
    (Custom(lambda body: ([text_block("# Partial")], "model_context_window_exceeded")),
     "filled the model's context window"),
    (Custom(lambda body: ([{"type": "tool_use", "id": "toolu_01", "name": "x", "input": {}}],
                          "tool_use")), "a tool the newsroom does not offer"),
])
async def test_every_stop_reason_gets_a_plain_answer_and_is_paid_for(
        drafter: Drafter, fake_anthropic: FakeAnthropic, behaviour: Any, answer: str) -> None:
    fake_anthropic.script(behaviour)
    story = await request(drafter)
    outcome = await drafter.start(story.id)
    assert not outcome.ok and answer in outcome.reason
    story = await drafter.store.stories.get(story.id)
    assert outcome.attempts == 1 and story.current_revision == 0
    [row] = await drafter.store.run(lambda s: spending.for_story(s.db, story.id))
    assert row["outcome"] == "failed" and row["input_tokens"] > 0 and row["cost_usd"] > 0


# ---------------------------------------------------------------- counting & spending


async def test_a_request_over_the_window_is_refused_before_any_paid_call(
        drafter: Drafter, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.context_window = 20_000
    long_text = "The harbour authority published its annual report on Monday. " * 1200
    story = await request(drafter, sources_text=f"1) {long_text} 2) The union said yes.")
    outcome = await drafter.start(story.id)
    assert not outcome.ok and outcome.attempts == 1
    assert "too long for the model" in outcome.reason and "window of 20,000" in outcome.reason
    assert "the largest are [1] pasted text" in outcome.reason
    assert fake_anthropic.message_requests == []
    assert [r.path for r in fake_anthropic.requests].count("/v1/messages/count_tokens") == 1


async def test_failed_attempts_are_counted_in_the_cost(drafter: Drafter,
                                                       fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(MidStreamError(after_deltas=5))
    outcome = await drafted(drafter)
    rows = await drafter.store.run(lambda s: spending.for_story(s.db, outcome.story.id))
    assert [r["outcome"] for r in rows] == ["failed", "ok"]
    assert rows[0]["input_tokens"] > 0 and rows[0]["output_tokens"] > 0  # billed, no draft
    figures = await stats.gather(drafter.store, 30)
    assert figures.cost_usd == pytest.approx(sum(r["cost_usd"] for r in rows))
    assert figures.cost_usd > outcome.revision.cost_usd
    assert (figures.failed_attempts, figures.failed_usd) == (1, rows[0]["cost_usd"])


def test_prices_come_from_one_dated_table(caplog: pytest.LogCaptureFixture) -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000,
                  cache_creation_tokens=1_000_000, cache_read_tokens=1_000_000)
    sonnet = PRICES["claude-sonnet-5-5"]
    expected = sonnet.input + sonnet.output + sonnet.cache_write_5m + sonnet.cache_read
    assert cost_usd("claude-sonnet-5-5", usage) == pytest.approx(expected)
    assert price_of("claude-haiku-4-5-20251001") is PRICES["claude-haiku-4-5"]
    assert price_of("claude-sonnet-5") is PRICES["claude-sonnet-5"]
    long_prompt = Usage(input_tokens=150_000)
    assert cost_usd("claude-haiku-5-5", long_prompt) == pytest.approx(0.15 * 0.10 * 5)
    with caplog.at_level(logging.WARNING):
        unknown = price_of("claude-nova-9")
    assert unknown.output == max(p.output for p in PRICES.values())
    assert "no price for model claude-nova-9" in caplog.text


def test_the_migration_carries_past_ai_revisions_into_the_cost(tmp_path) -> None:
    path = tmp_path / "before.db"
    db = Database(path)
    migrations.apply(db, stop_before="m017_fidelity")
    db["stories"].insert({"id": 1, "status": "in_review", "origin": "ai",
                          "requested_by": 1, "created_at": "2026-12-01T00:00:00+00:00",
                          "updated_at": "2026-12-01T00:00:00+00:00"})
    db["revisions"].insert({"story_id": 1, "number": 1, "article": "{}", "author_kind": "ai",
                            "model": "claude-sonnet-5-5", "input_tokens": 10,
                            "output_tokens": 20, "cost_usd": 0.5,
                            "created_at": "2026-12-01T00:00:00+00:00"})
    db.close()
    store = Store(path)
    try:
        totals = spending.totals(store.db, "2026-11-01")
    finally:
        store.close()
    assert (totals["i"], totals["o"], totals["usd"]) == (10, 20, 0.5)


# ---------------------------------------------------------------- the model's lifecycle


async def test_a_model_retiring_within_a_month_is_announced_once(
        drafter: Drafter, fake_anthropic: FakeAnthropic) -> None:
    now = utcnow()
    retires = (now + timedelta(days=20)).replace(microsecond=0)
    fake_anthropic.model_lifecycle[drafter.claude.model] = {
        "lifecycle": "deprecated", "deprecated_at": "2026-10-01T00:00:00Z",
        "retires_at": retires.isoformat().replace("+00:00", "Z")}
    said: list[str] = []

    async def notify(text: str) -> None:
        said.append(text)

    first = await warn_if_retiring(drafter.claude, drafter.store, notify, now)
    again = await warn_if_retiring(drafter.claude, drafter.store, notify, now)
    assert first is not None and again is None and said == [first]
    assert f"retires on {retires:%d %B %Y} (in {(retires - now).days} days)" in first
    assert "deprecated since 01 October 2026" in first and "NEWSROOM_MODEL" in first
    far = now + timedelta(days=60)
    fake_anthropic.model_lifecycle[drafter.claude.model]["retires_at"] = far.isoformat()
    state = await drafter.claude.model_state(fresh=True)
    assert not state.retires_soon(now) and "deprecated" in state.lifecycle_text("m", now)
