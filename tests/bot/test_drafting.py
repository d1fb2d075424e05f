"""The drafting service against the fake Anthropic API, through the real SDK."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.admin import Admin
from bot.article import Article
from bot.claude import Claude
from bot.drafting import Drafter
from bot.errors import InvalidInput, NotAvailable
from bot.lifecycle import Actor
from bot.prompts import SYSTEM_PROMPT
from storage.worker import AsyncStore
from tests.conftest import make_settings
from tests.fakes.fake_anthropic import Hang, MaxTokens, MidStreamError, Refusal

EDITOR_ROLE = 500
EDITOR = Actor(10, frozenset({EDITOR_ROLE}))
SOURCES = ("1) The harbour authority said on Monday that container traffic fell 12 percent "
           "in October after the strike. 2) The dockworkers' union said its members will "
           "return to work on Wednesday after a new pay deal.")


class Sink:
    def __init__(self) -> None:
        self.events: list[tuple] = []

    async def progress(self, words, target, preview):
        self.events.append(("progress", words))

    async def waiting(self, attempt, limit, delay, reason):
        self.events.append(("waiting", attempt, limit, reason))

    async def finished(self, outcome):
        self.events.append(("finished", outcome.ok))


@pytest.fixture
async def drafter(tmp_path: Path, fake_anthropic):
    settings = make_settings(tmp_path, ANTHROPIC_API_KEY=fake_anthropic.api_key,
                             ANTHROPIC_BASE_URL=fake_anthropic.base_url,
                             NEWSROOM_EDITOR_ROLE_ID=EDITOR_ROLE, NEWSROOM_DRAFT_MAX_ATTEMPTS=3,
                             NEWSROOM_DRAFT_TIMEOUT=2)
    store = await AsyncStore(settings.db_path).open()
    admin = Admin(settings, store)
    claude = Claude(settings)
    d = Drafter(store, claude, admin, settings)
    d.backoff_base = 0.05
    yield d
    await d.stop()
    await claude.close()
    await store.close()


async def request(d: Drafter, **kw):
    args = {"topic": "Port strike ends", "sources_text": SOURCES, "attachment": None,
            "length": "brief", "notes": None}
    args.update(kw)
    return await d.request(EDITOR, **args)


async def test_a_request_becomes_a_cited_revision(drafter: Drafter, fake_anthropic) -> None:
    story = await request(drafter)
    assert (await drafter.store.jobs.pending())[0].story_id == story.id  # stored before the call
    assert fake_anthropic.stats.requests == 0
    sink = Sink()
    outcome = await drafter.start(story.id, sink)
    assert outcome.ok and outcome.story.status == "in_review"
    article = Article.from_dict(outcome.revision.article)
    assert article.headline and article.body
    assert all("[" in p for p in article.body)  # citations mapped to numbered sources
    assert [s.publisher for s in article.sources] == ["Text supplied to the newsroom"] * 2
    assert "ClawNews" in article.disclosure
    rev = outcome.revision
    assert rev.model == drafter.claude.model and rev.output_tokens > 0 and rev.cost_usd > 0
    assert sink.events[-1] == ("finished", True)


async def test_request_carries_cached_system_documents_and_model(drafter, fake_anthropic
                                                                 ) -> None:
    for _ in range(2):
        story = await request(drafter)
        await drafter.start(story.id)
    first, second = [r.body for r in fake_anthropic.message_requests]
    assert first["system"] == second["system"]
    assert first["system"] == [{"type": "text", "text": SYSTEM_PROMPT,
                                "cache_control": {"type": "ephemeral"}}]
    assert first["model"] == second["model"] == drafter.settings.model
    docs = [b for b in first["messages"][0]["content"] if b["type"] == "document"]
    assert len(docs) == 2 and all(d["citations"] == {"enabled": True} for d in docs)
    assert "The harbour authority" in docs[0]["source"]["data"]
    task = first["messages"][0]["content"][-1]["text"]
    assert "The harbour authority" not in task  # a source's words stay in its document
    revisions = [await drafter.store.stories.revision(s) for s in (1, 2)]
    assert revisions[0].cache_creation_tokens > 0 and revisions[1].cache_read_tokens > 0


async def test_an_outage_beyond_sdk_retries_backs_off_and_recovers(drafter, fake_anthropic
                                                                   ) -> None:
    fake_anthropic.outage(3)  # the SDK's two retries absorb two; the job absorbs the third
    story = await request(drafter)
    sink = Sink()
    outcome = await drafter.start(story.id, sink)
    assert outcome.ok
    waits = [e for e in sink.events if e[0] == "waiting"]
    assert waits and waits[0][1:3] == (2, 3) and "overloaded" in waits[0][3]


async def test_exhausted_attempts_fail_the_story_and_retry_works(drafter, fake_anthropic
                                                                 ) -> None:
    fake_anthropic.outage(9)
    story = await request(drafter)
    outcome = await drafter.start(story.id)
    assert not outcome.ok and outcome.story.status == "failed"
    assert "gave up after 3 attempts" in outcome.story.failure_reason
    await drafter.retry(story.id, EDITOR)
    assert (await drafter.start(story.id)).ok


@pytest.mark.parametrize(("behaviour", "reason"), [
    (Refusal(), "declined"), (MaxTokens(), "ran past the output limit")])
async def test_refusal_and_overlength_are_reported_not_stored(drafter, fake_anthropic,
                                                             behaviour, reason) -> None:
    fake_anthropic.script(behaviour)
    story = await request(drafter)
    outcome = await drafter.start(story.id)
    assert not outcome.ok and reason in outcome.reason
    assert (await drafter.store.stories.get(story.id)).current_revision == 0


async def test_mid_stream_error_and_hang_are_retried(drafter, fake_anthropic) -> None:
    fake_anthropic.script(MidStreamError(), Hang(seconds=30))
    story = await request(drafter)
    outcome = await drafter.start(story.id)
    assert outcome.ok and outcome.attempts == 3


async def test_restart_resumes_pending_jobs(tmp_path, drafter, fake_anthropic) -> None:
    fake_anthropic.script(Hang(seconds=30))
    story = await request(drafter)
    task = drafter.start(story.id)
    await asyncio.sleep(0.3)
    await drafter.stop()  # the bot going down mid-draft
    assert task.cancelled()
    assert [j.story_id for j in await drafter.store.jobs.pending()] == [story.id]
    assert await drafter.resume_all() == 1
    outcome = await drafter.tasks[story.id]
    assert outcome.ok


async def test_bad_input_stores_nothing(drafter) -> None:
    for kwargs, message in [
        ({"topic": "   \u200b "}, "`topic` is empty"),
        ({"topic": "x" * 301}, "limit is 300"),
        ({"sources_text": None}, "at least one source"),
        ({"sources_text": "ftp://x.example/a"}, "not an http"),
        ({"notes": "n" * 1001}, "limit is 1,000"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            await request(drafter, **kwargs)
    assert await drafter.store.stories.counts() == {}


async def test_without_api_key_drafting_says_it_is_not_configured(tmp_path) -> None:
    settings = make_settings(tmp_path, NEWSROOM_EDITOR_ROLE_ID=EDITOR_ROLE)
    store = await AsyncStore(settings.db_path).open()
    d = Drafter(store, Claude(settings), Admin(settings, store), settings)
    with pytest.raises(NotAvailable, match="ANTHROPIC_API_KEY"):
        await request(d)
    await store.close()
