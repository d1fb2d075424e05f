"""Tests of the fake Anthropic API, driven through the real `anthropic` SDK.

They pin what the rest of the suite relies on: the SDK parses the fake's
streams and errors exactly as it would the real API's, retries what it retries,
and sees citations, usage and stop reasons in the real shapes.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import anthropic
import httpx2
import pytest

from tests.fakes.fake_anthropic import (
    Article,
    Custom,
    FakeAnthropic,
    Hang,
    MaxTokens,
    MidStreamError,
    Overloaded,
    RateLimited,
    Refusal,
    Reply,
    ServerError,
    sentence_spans,
    text_block,
)

MODEL = "claude-sonnet-5-5"
DOC_BUDGET = (
    "City Council Approves Budget\n\n"
    "The city council approved a $4.2 billion budget on Tuesday. "
    "The vote was 7 to 2 after a long debate. "
    "Dr. Smith said the plan protects U.S. transit funding for riders."
)
DOC_RIDERS = (
    "Riders said the new bus routes will start in March next year. "
    "Some advocates warned that fares could still rise later."
)
PROMPT = "Topic: city budget vote\nWrite the article in the house format."
LONG_SYSTEM = "You are the newsroom's staff writer. Follow the house style guide. " * 80


def text_doc(data: str, title: str, *, context: str | None = None, cite: bool = True) -> dict:
    doc: dict[str, Any] = {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": data},
        "title": title,
        "citations": {"enabled": cite},
    }
    if context is not None:
        doc["context"] = context
    return doc


def two_doc_messages(prompt: str = PROMPT) -> list[dict]:
    return [
        {
            "role": "user",
            "content": [
                text_doc(
                    DOC_BUDGET,
                    "Council approves budget",
                    context="Publisher: Metro Daily\nURL: https://metro.example/budget",
                ),
                text_doc(DOC_RIDERS, "Riders react"),
                {"type": "text", "text": prompt},
            ],
        }
    ]


def simple_pdf(pages: list[str]) -> str:
    """A tiny uncompressed PDF (one content stream per page), base64-encoded."""
    parts = [b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"]
    for number, text in enumerate(pages):
        content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        parts.append(
            f"{3 + 2 * number} 0 obj << /Type /Page /Contents {4 + 2 * number} 0 R >> endobj\n"
            f"{4 + 2 * number} 0 obj << /Length {len(content)} >>\nstream\n".encode()
            + content
            + b"\nendstream\nendobj\n"
        )
    parts.append(b"%%EOF\n")
    return base64.b64encode(b"".join(parts)).decode()


@pytest.fixture
async def fake() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as server:
        yield server


@pytest.fixture
async def make_client(
    fake: FakeAnthropic,
) -> AsyncIterator[Callable[..., anthropic.AsyncAnthropic]]:
    clients: list[anthropic.AsyncAnthropic] = []

    def make(**kwargs: Any) -> anthropic.AsyncAnthropic:
        kwargs.setdefault("api_key", fake.api_key)
        kwargs.setdefault("max_retries", 0)
        client = anthropic.AsyncAnthropic(base_url=fake.base_url, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
def client(make_client: Callable[..., anthropic.AsyncAnthropic]) -> anthropic.AsyncAnthropic:
    return make_client()


async def stream_final(client: anthropic.AsyncAnthropic, **kwargs: Any) -> Any:
    kwargs.setdefault("model", MODEL)
    kwargs.setdefault("max_tokens", 4096)
    async with client.messages.stream(**kwargs) as stream:
        return await stream.get_final_message()


def full_text(message: Any) -> str:
    return "".join(block.text for block in message.content if block.type == "text")


# --------------------------------------------------------------------------- default article


async def test_default_article_streams_char_location_citations(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    docs = {0: DOC_BUDGET, 1: DOC_RIDERS}
    chunks: list[str] = []
    async with client.messages.stream(
        model=MODEL, max_tokens=4096, messages=two_doc_messages()
    ) as stream:
        async for text in stream.text_stream:
            chunks.append(text)
        message = await stream.get_final_message()

    assert message.stop_reason == "end_turn"
    assert len(chunks) > 10
    cited = [b for b in message.content if b.type == "text" and b.citations]
    assert len(cited) >= 4
    for block in cited:
        for citation in block.citations:
            assert citation.type == "char_location"
            source = docs[citation.document_index]
            assert citation.cited_text in source
            assert (
                source[citation.start_char_index : citation.end_char_index] == citation.cited_text
            )
        assert f"[{block.citations[0].document_index + 1}]" in block.text
    assert {c.document_title for b in cited for c in b.citations} == {
        "Council approves budget",
        "Riders react",
    }
    usage = message.usage
    assert usage.input_tokens > 0 and usage.output_tokens > 0
    assert usage.cache_creation_input_tokens == 0 and usage.cache_read_input_tokens == 0


async def test_default_article_follows_house_format(client: anthropic.AsyncAnthropic) -> None:
    text = full_text(await stream_final(client, messages=two_doc_messages()))

    assert text.startswith("# City Budget Vote\n\n")
    sections = ["## Why It Matters", "## The Bottom Line", "## Sources"]
    positions = [text.index(s) for s in sections]
    assert positions == sorted(positions)
    body = text[: positions[0]]
    assert "[1]" in body and "[2]" in body
    sources = text[positions[2] :]
    assert "1. Council approves budget - Metro Daily - https://metro.example/budget" in sources
    assert "2. Riders react - Source" in sources


async def test_topic_is_found_in_free_text(client: anthropic.AsyncAnthropic) -> None:
    prompt = "Please write a news article about the harbour bridge closure. Use the sources."
    text = full_text(await stream_final(client, messages=two_doc_messages(prompt)))

    assert text.startswith("# The Harbour Bridge Closure\n")


async def test_stream_event_sequence_is_the_apis(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    stream = await client.messages.create(
        model=MODEL, max_tokens=4096, messages=two_doc_messages(), stream=True
    )
    events = [event async for event in stream]

    names = [e.type for e in events]
    assert names[:2] == ["message_start", "content_block_start"]
    assert names[-2:] == ["message_delta", "message_stop"]
    assert fake.last_request.events[:3] == ["message_start", "content_block_start", "ping"]
    assert events[0].message.stop_reason is None
    assert events[-2].delta.stop_reason == "end_turn"
    assert events[-2].usage.output_tokens > 1
    # a cited block: start with citations=[], citations_delta before its text_delta
    first_cited = next(
        e.index
        for e in events
        if e.type == "content_block_delta" and e.delta.type == "citations_delta"
    )
    block_events = [e for e in events if getattr(e, "index", None) == first_cited]
    assert block_events[0].type == "content_block_start"
    assert block_events[0].content_block.citations == []
    assert block_events[1].delta.type == "citations_delta"
    assert block_events[-1].type == "content_block_stop"
    assert fake.stats.streams_completed == 1


async def test_chunk_size_and_event_delay_are_configurable(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.chunk_size = 4
    fake.event_delay = 0.0005
    arrivals: list[float] = []
    async with client.messages.stream(
        model=MODEL, max_tokens=4096, messages=two_doc_messages()
    ) as stream:
        async for text in stream.text_stream:
            assert len(text) <= 4
            arrivals.append(time.monotonic())

    assert len(arrivals) > 100
    assert arrivals[-1] - arrivals[0] > 0.05


async def test_non_streaming_create_returns_the_same_article(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    message = await client.messages.create(
        model=MODEL, max_tokens=4096, messages=two_doc_messages()
    )

    assert message.stop_reason == "end_turn"
    assert message.id.startswith("msg_")
    headers, body = fake.last_request
    assert body["messages"] == two_doc_messages()
    assert "stream" not in body
    assert headers["anthropic-version"]
    assert full_text(message).startswith("# City Budget Vote")
    assert any(b.citations for b in message.content if b.type == "text")
    assert fake.stats.messages_completed == 1


async def test_pdf_documents_get_page_location_citations(client: anthropic.AsyncAnthropic) -> None:
    pdf = simple_pdf(
        [
            "The port handled a record 3 million containers last year.",
            "Officials expect the new terminal to open in 2027 after delays.",
        ]
    )
    document = {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": pdf},
        "title": "Port report",
        "citations": {"enabled": True},
    }
    message = await stream_final(
        client,
        messages=[{"role": "user", "content": [document, {"type": "text", "text": "Topic: port"}]}],
    )

    citations = [c for b in message.content if b.type == "text" for c in b.citations or []]
    assert [(c.type, c.start_page_number, c.end_page_number) for c in citations] == [
        ("page_location", 1, 2),
        ("page_location", 2, 3),
    ]
    assert citations[1].cited_text.startswith("Officials expect")


async def test_content_documents_get_block_location_citations(
    client: anthropic.AsyncAnthropic,
) -> None:
    document = {
        "type": "document",
        "source": {
            "type": "content",
            "content": [
                {"type": "text", "text": "The mayor announced a new housing plan on Monday."},
                {"type": "text", "text": "It adds 5,000 affordable homes over ten years."},
            ],
        },
        "title": "Housing plan",
        "citations": {"enabled": True},
    }
    message = await stream_final(
        client,
        messages=[
            {"role": "user", "content": [document, {"type": "text", "text": "Topic: housing"}]}
        ],
    )

    citations = [c for b in message.content if b.type == "text" for c in b.citations or []]
    assert [(c.type, c.start_block_index, c.end_block_index) for c in citations] == [
        ("content_block_location", 0, 1),
        ("content_block_location", 1, 2),
    ]


async def test_documents_without_citations_get_markers_but_no_api_citations(
    client: anthropic.AsyncAnthropic,
) -> None:
    messages = [
        {
            "role": "user",
            "content": [
                text_doc(DOC_BUDGET, "Budget", cite=False),
                {"type": "text", "text": PROMPT},
            ],
        }
    ]
    message = await stream_final(client, messages=messages)

    assert "[1]" in full_text(message)
    assert not any(b.citations for b in message.content if b.type == "text")


def test_sentence_spans_keep_abbreviations_and_offsets() -> None:
    text = "Dr. Smith met U.S. officials. They agreed!\nNext line"
    spans = sentence_spans(text)

    assert [text[a:b] for a, b in spans] == [
        "Dr. Smith met U.S. officials. ",
        "They agreed!",
        "Next line",
    ]


# --------------------------------------------------------------------------- prompt caching


def cached_system(text: str = LONG_SYSTEM) -> list[dict]:
    return [{"type": "text", "text": text, "cache_control": {"type": "ephemeral"}}]


async def test_cached_system_prompt_is_written_then_read(client: anthropic.AsyncAnthropic) -> None:
    first = await stream_final(client, system=cached_system(), messages=two_doc_messages())
    second = await stream_final(client, system=cached_system(), messages=two_doc_messages())

    assert first.usage.cache_creation_input_tokens >= 1024
    assert first.usage.cache_read_input_tokens == 0
    assert first.usage.cache_creation.ephemeral_5m_input_tokens == (
        first.usage.cache_creation_input_tokens
    )
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens
    assert second.usage.cache_creation_input_tokens == 0
    total_first = (
        first.usage.input_tokens
        + first.usage.cache_creation_input_tokens
        + first.usage.cache_read_input_tokens
    )
    total_second = (
        second.usage.input_tokens
        + second.usage.cache_creation_input_tokens
        + second.usage.cache_read_input_tokens
    )
    assert total_first == total_second


async def test_a_changed_prefix_misses_the_cache(client: anthropic.AsyncAnthropic) -> None:
    await stream_final(client, system=cached_system(), messages=two_doc_messages())
    changed = await stream_final(
        client, system=cached_system(LONG_SYSTEM + "!"), messages=two_doc_messages()
    )

    assert changed.usage.cache_read_input_tokens == 0
    assert changed.usage.cache_creation_input_tokens > 0


async def test_short_prefixes_are_not_cached_and_threshold_is_configurable(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    short = cached_system("Short house style prompt. " * 20)
    below = await stream_final(client, system=short, messages=two_doc_messages())
    assert below.usage.cache_creation_input_tokens == 0

    fake.cache_min_tokens = 50
    first = await stream_final(client, system=short, messages=two_doc_messages())
    second = await stream_final(client, system=short, messages=two_doc_messages())
    assert first.usage.cache_creation_input_tokens > 0
    assert second.usage.cache_read_input_tokens > 0


async def test_cache_entries_expire_after_their_ttl() -> None:
    now = [1000.0]
    async with FakeAnthropic(clock=lambda: now[0]) as fake:
        async with anthropic.AsyncAnthropic(
            api_key=fake.api_key, base_url=fake.base_url, max_retries=0
        ) as client:
            await stream_final(client, system=cached_system(), messages=two_doc_messages())
            now[0] += 301
            expired = await stream_final(
                client, system=cached_system(), messages=two_doc_messages()
            )

    assert expired.usage.cache_read_input_tokens == 0
    assert expired.usage.cache_creation_input_tokens > 0


async def test_cached_documents_and_top_level_cache_control(
    client: anthropic.AsyncAnthropic,
) -> None:
    big_doc = text_doc("The harbour reopened after repairs. " * 200, "Harbour")
    big_doc["cache_control"] = {"type": "ephemeral", "ttl": "1h"}
    messages = [{"role": "user", "content": [big_doc, {"type": "text", "text": "Topic: harbour"}]}]
    first = await stream_final(client, messages=messages)
    second = await stream_final(client, messages=messages, cache_control={"type": "ephemeral"})

    assert first.usage.cache_creation.ephemeral_1h_input_tokens > 0
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens


# --------------------------------------------------------------------------- outages & errors


async def test_two_529s_are_absorbed_by_sdk_retries(
    fake: FakeAnthropic, make_client: Callable[..., anthropic.AsyncAnthropic]
) -> None:
    fake.outage(2)
    message = await stream_final(make_client(max_retries=2), messages=two_doc_messages())

    assert message.stop_reason == "end_turn"
    assert len(fake.message_requests) == 3
    assert [r.status for r in fake.message_requests] == [529, 529, 200]
    assert [r.headers["x-stainless-retry-count"] for r in fake.message_requests] == ["0", "1", "2"]
    assert fake.stats.errors == 2 and fake.stats.streams_completed == 1


async def test_529_beyond_sdk_retries_raises_overloaded(
    fake: FakeAnthropic, make_client: Callable[..., anthropic.AsyncAnthropic]
) -> None:
    fake.outage(3)
    with pytest.raises(anthropic.OverloadedError) as caught:
        await stream_final(make_client(max_retries=2), messages=two_doc_messages())

    assert caught.value.status_code == 529
    assert caught.value.type == "overloaded_error"
    assert caught.value.body["error"]["type"] == "overloaded_error"
    assert caught.value.request_id.startswith("req_")
    assert fake.pending == 0 and len(fake.message_requests) == 3


async def test_rate_limit_carries_retry_after(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.script(RateLimited(retry_after=1.0))
    with pytest.raises(anthropic.RateLimitError) as caught:
        await client.messages.create(model=MODEL, max_tokens=100, messages=two_doc_messages())

    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "1"
    assert caught.value.type == "rate_limit_error"


async def test_sdk_honours_retry_after_then_succeeds(
    fake: FakeAnthropic, make_client: Callable[..., anthropic.AsyncAnthropic]
) -> None:
    fake.script(RateLimited(retry_after=0.2))
    started = time.monotonic()
    message = await stream_final(make_client(max_retries=1), messages=two_doc_messages())

    assert message.stop_reason == "end_turn"
    assert time.monotonic() - started >= 0.2


async def test_server_errors_are_retried(
    fake: FakeAnthropic, make_client: Callable[..., anthropic.AsyncAnthropic]
) -> None:
    fake.script(
        ServerError(500, retry_after_ms=5),
        ServerError(503, "api_error", "Service unavailable", retry_after_ms=5),
    )
    message = await make_client(max_retries=2).messages.create(
        model=MODEL, max_tokens=4096, messages=two_doc_messages()
    )

    assert message.stop_reason == "end_turn"
    assert [r.status for r in fake.message_requests] == [500, 503, 200]


async def test_mid_stream_error_surfaces_as_api_error(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.script(MidStreamError(after_deltas=3))
    received: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as caught:
        async with client.messages.stream(
            model=MODEL, max_tokens=4096, messages=two_doc_messages()
        ) as stream:
            async for text in stream.text_stream:
                received.append(text)

    assert caught.value.type == "overloaded_error"
    assert received  # the stream had started
    assert fake.last_request.events[-1] == "error"
    assert fake.stats.streams_completed == 0


async def test_hang_lets_the_callers_timeout_fire(
    fake: FakeAnthropic, make_client: Callable[..., anthropic.AsyncAnthropic]
) -> None:
    fake.script(Hang())
    started = time.monotonic()
    with pytest.raises(anthropic.APITimeoutError):
        await stream_final(make_client(timeout=0.3), messages=two_doc_messages())

    assert time.monotonic() - started < 2


async def test_stop_releases_a_request_hanging_forever(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.script(Hang())
    request = asyncio.create_task(
        client.messages.create(model=MODEL, max_tokens=100, messages=two_doc_messages())
    )
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await fake.stop()

    with pytest.raises(anthropic.APIError):
        await request
    assert time.monotonic() - started < 2


async def test_hang_with_seconds_answers_late(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.script(Hang(0.2, then=Refusal()))
    started = time.monotonic()
    message = await stream_final(client, messages=two_doc_messages())

    assert time.monotonic() - started >= 0.2
    assert message.stop_reason == "refusal"


async def test_hang_mid_stream_stalls_after_some_text(
    fake: FakeAnthropic, make_client: Callable[..., anthropic.AsyncAnthropic]
) -> None:
    fake.script(Hang(mid_stream=True, after_deltas=2))
    received: list[str] = []
    # Mid-stream the SDK does not wrap the read timeout: callers see httpx2's own error.
    with pytest.raises(httpx2.ReadTimeout):
        async with make_client(timeout=0.3).messages.stream(
            model=MODEL, max_tokens=4096, messages=two_doc_messages()
        ) as stream:
            async for text in stream.text_stream:
                received.append(text)

    assert len(received) == 2


async def test_refusal_stop_reason(fake: FakeAnthropic, client: anthropic.AsyncAnthropic) -> None:
    fake.script(Refusal(partial_text="I can't"))
    message = await stream_final(client, messages=two_doc_messages())

    assert message.stop_reason == "refusal"
    assert message.stop_details.type == "refusal"
    assert full_text(message) == "I can't"


async def test_max_tokens_behaviour_stops_mid_article(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    complete = full_text(await stream_final(client, messages=two_doc_messages()))
    fake.script(MaxTokens(fraction=0.5))
    message = await stream_final(client, messages=two_doc_messages())

    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 4096
    assert complete.startswith(full_text(message))
    assert len(full_text(message)) == len(complete) // 2


async def test_small_max_tokens_truncates_the_default_article(
    client: anthropic.AsyncAnthropic,
) -> None:
    message = await stream_final(client, max_tokens=20, messages=two_doc_messages())

    assert message.stop_reason == "max_tokens"
    assert len(full_text(message)) == 80
    assert message.usage.output_tokens == 20


async def test_stop_sequences_end_the_text(client: anthropic.AsyncAnthropic) -> None:
    message = await stream_final(
        client, messages=two_doc_messages(), stop_sequences=["## Why It Matters"]
    )

    assert message.stop_reason == "stop_sequence"
    assert message.stop_sequence == "## Why It Matters"
    assert "Why It Matters" not in full_text(message)


# --------------------------------------------------------------------------- scripting


async def test_article_behaviour_streams_exact_text_with_citations(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    markdown = (
        "# Budget Passes\n\nThe council passed the budget.\n\n"
        "The vote was 7 to 2 after a long debate. [1]\n\nRiders expect new routes in March. [2]"
    )
    fake.script(Article(markdown))
    message = await stream_final(client, messages=two_doc_messages())

    assert full_text(message) == markdown
    blocks = [b for b in message.content if b.type == "text"]
    assert len(blocks) == 4
    assert blocks[0].citations is None
    assert blocks[2].citations[0].cited_text == "The vote was 7 to 2 after a long debate. "
    assert blocks[3].citations[0].document_index == 1


async def test_custom_behaviour_can_reply_or_fail(
    fake: FakeAnthropic, make_client: Callable[..., anthropic.AsyncAnthropic]
) -> None:
    def decide(body: dict) -> Any:
        if len(fake.message_requests) == 1:
            return Overloaded()
        return Reply([text_block(f"model was {body['model']}")], "end_turn")

    fake.set_default(Custom(decide))
    message = await stream_final(make_client(max_retries=1), messages=two_doc_messages())

    assert full_text(message) == f"model was {MODEL}"
    fake.set_default(None)
    assert full_text(await stream_final(make_client(), messages=two_doc_messages())).startswith("#")


async def test_script_is_consumed_in_order_then_default_resumes(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.script(Refusal(), MaxTokens())
    reasons = [
        (await stream_final(client, messages=two_doc_messages())).stop_reason for _ in range(3)
    ]

    assert reasons == ["refusal", "max_tokens", "end_turn"]
    assert fake.stats.scripted == 2


# --------------------------------------------------------------------------- web fetch


async def test_web_fetch_tool_fetches_urls_and_cites_them(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    page = "Harbour reopens\n\nThe harbour reopened on Friday after six weeks of repairs."
    fake.web_pages["https://news.example/harbour"] = page
    prompt = (
        "Topic: harbour reopening\nSources: https://news.example/harbour and "
        "https://news.example/missing."
    )
    tools: list[Any] = [
        {
            "type": "web_fetch_20250910",
            "name": "web_fetch",
            "max_uses": 5,
            "citations": {"enabled": True},
        }
    ]
    message = await stream_final(
        client,
        messages=[{"role": "user", "content": prompt}],
        tools=tools,
    )

    kinds = [b.type for b in message.content]
    assert kinds[:4] == [
        "server_tool_use",
        "web_fetch_tool_result",
        "server_tool_use",
        "web_fetch_tool_result",
    ]
    use, result, _, failure = message.content[:4]
    assert use.name == "web_fetch" and use.input == {"url": "https://news.example/harbour"}
    assert result.tool_use_id == use.id
    assert result.content.type == "web_fetch_result"
    assert result.content.content.source.data == page
    assert failure.content.type == "web_fetch_tool_result_error"
    assert failure.content.error_code == "url_not_accessible"
    citations = [c for b in message.content if b.type == "text" for c in b.citations or []]
    assert citations and citations[0].cited_text in page
    assert message.usage.server_tool_use.web_fetch_requests == 2
    counted = await client.messages.count_tokens(
        model=MODEL, messages=[{"role": "user", "content": prompt}], tools=tools
    )
    assert message.usage.input_tokens > counted.input_tokens  # fetched page entered the context
    text = full_text(message)
    assert "[1]" in text and "https://news.example/harbour" in text


async def test_newer_web_fetch_tool_versions_are_accepted(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.web_pages["https://news.example/a"] = "A page. It says something useful about ports."
    message = await stream_final(
        client,
        messages=[{"role": "user", "content": "Topic: ports https://news.example/a"}],
        tools=[{"type": "web_fetch_20260318", "name": "web_fetch"}],
    )

    assert message.content[0].type == "server_tool_use"


# --------------------------------------------------------------------------- auth & validation


async def test_bad_api_key_is_an_authentication_error(
    fake: FakeAnthropic, make_client: Callable[..., anthropic.AsyncAnthropic]
) -> None:
    with pytest.raises(anthropic.AuthenticationError) as caught:
        await make_client(api_key="sk-ant-wrong").messages.create(
            model=MODEL, max_tokens=100, messages=two_doc_messages()
        )

    assert caught.value.status_code == 401
    assert caught.value.body["error"] == {
        "type": "authentication_error",
        "message": "invalid x-api-key",
    }
    assert fake.last_request.headers["authorization"] == "<redacted>"
    assert fake.stats.scripted == 0


@pytest.mark.parametrize(
    ("kwargs", "message_part"),
    [
        ({"extra_body": {"temperature": 0.5}}, "temperature: Extra inputs are not permitted"),
        ({"messages": []}, "at least one message"),
        ({"max_tokens": 0}, "max_tokens"),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {
                                "type": "document",
                                "source": {"type": "text", "media_type": "text/html", "data": "x"},
                            }
                        ],
                    }
                ]
            },
            "media_type: Input should be 'text/plain'",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [text_doc("a. b.", "A"), text_doc("c. d.", "C", cite=False)],
                    }
                ]
            },
            "all or none",
        ),
        ({"tools": [{"type": "web_fetch_19990101", "name": "web_fetch"}]}, "tools.0"),
        (
            {"tools": [{"type": "web_fetch_20250910", "name": "fetch"}]},
            "Input should be 'web_fetch'",
        ),
        (
            {"system": [{"type": "text", "text": "x", "cache_control": {"type": "forever"}}]},
            "ephemeral",
        ),
        (
            {
                "system": [
                    {"type": "text", "text": f"s{i}", "cache_control": {"type": "ephemeral"}}
                    for i in range(5)
                ]
            },
            "A maximum of 4 blocks with cache_control",
        ),
    ],
)
async def test_invalid_requests_are_bad_request_errors(
    fake: FakeAnthropic,
    client: anthropic.AsyncAnthropic,
    kwargs: dict[str, Any],
    message_part: str,
) -> None:
    params: dict[str, Any] = {"model": MODEL, "max_tokens": 100, "messages": two_doc_messages()}
    params.update(kwargs)
    with pytest.raises(anthropic.BadRequestError) as caught:
        await client.messages.create(**params)

    assert caught.value.type == "invalid_request_error"
    assert message_part in caught.value.api_message


async def test_raw_invalid_body_gets_the_api_error_shape(fake: FakeAnthropic) -> None:
    headers = {"x-api-key": fake.api_key, "anthropic-version": "2023-06-01"}
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{fake.base_url}/v1/messages", json={"model": MODEL, "messages": []}, headers=headers
        ) as response:
            body = await response.json()
            status = response.status
        async with session.post(
            f"{fake.base_url}/v1/messages", json={"model": MODEL}, headers={"x-api-key": "nope"}
        ) as response:
            auth_status = response.status

    assert status == 400
    assert body["type"] == "error"
    assert body["error"] == {
        "type": "invalid_request_error",
        "message": "max_tokens: Field required",
    }
    assert body["request_id"].startswith("req_")
    assert auth_status == 401
    assert fake.requests[0].headers["x-api-key"] == "<redacted>"


async def test_unknown_model_is_not_found(client: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as caught:
        await client.messages.create(
            model="claude-nonexistent-1", max_tokens=100, messages=two_doc_messages()
        )

    assert caught.value.type == "not_found_error"


# --------------------------------------------------------------------------- models & count_tokens


async def test_models_retrieve_and_list(client: anthropic.AsyncAnthropic) -> None:
    model = await client.models.retrieve(MODEL)
    assert model.id == MODEL
    assert model.display_name == "Claude Sonnet 5.5"

    listed = [m.id async for m in client.models.list(limit=5)]
    assert MODEL in listed and len(listed) == len(set(listed)) > 5

    with pytest.raises(anthropic.NotFoundError):
        await client.models.retrieve("claude-nonexistent-1")


async def test_count_tokens_matches_message_usage(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    counted = await client.messages.count_tokens(
        model=MODEL, system=LONG_SYSTEM, messages=two_doc_messages()
    )
    message = await stream_final(client, system=LONG_SYSTEM, messages=two_doc_messages())

    assert counted.input_tokens > len(LONG_SYSTEM) // 4
    assert counted.input_tokens == message.usage.input_tokens
    assert fake.requests[0].path == "/v1/messages/count_tokens"


# --------------------------------------------------------------------------- the API's own rules


def fetch_tool(**extra: Any) -> dict[str, Any]:
    return {"type": "web_fetch_20260318", "name": "web_fetch", **extra}


async def test_a_changed_tools_block_misses_the_cached_system_prompt(
    client: anthropic.AsyncAnthropic,
) -> None:
    """The cache key runs tools -> system -> messages: new tools, no cached system prompt."""
    tools: Any = [fetch_tool(allowed_domains=["a.example"])]
    await stream_final(client, system=cached_system(), messages=two_doc_messages(), tools=tools)
    same = await stream_final(client, system=cached_system(), messages=two_doc_messages(),
                              tools=tools)
    other = await stream_final(client, system=cached_system(), messages=two_doc_messages(),
                               tools=[fetch_tool(allowed_domains=["b.example"])])
    none = await stream_final(client, system=cached_system(), messages=two_doc_messages())

    assert same.usage.cache_read_input_tokens > 0
    assert other.usage.cache_read_input_tokens == 0 and none.usage.cache_read_input_tokens == 0


async def test_a_long_server_tool_turn_pauses_and_is_continued(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.max_server_iterations = 2
    urls = [f"https://news.example/{n}" for n in range(3)]
    for url in urls:
        fake.web_pages[url] = f"Page {url}\n\nThe port said traffic rose 4 percent in {url}."
    messages: list[Any] = [{"role": "user", "content": "Topic: ports " + " ".join(urls)}]
    paused = await stream_final(client, messages=messages, tools=[fetch_tool()])
    assert paused.stop_reason == "pause_turn" and paused.usage.input_tokens > 0
    assert [b.input["url"] for b in paused.content if b.type == "server_tool_use"] == urls[:2]
    assert not any(b.type == "text" for b in paused.content)

    messages.append(paused.to_param())
    done = await stream_final(client, messages=messages, tools=[fetch_tool()])
    assert done.stop_reason == "end_turn"
    assert [b.input["url"] for b in done.content if b.type == "server_tool_use"] == urls[2:]
    assert all(url in full_text(done) for url in urls)  # every page is a source


async def test_tool_versions_and_fields_the_api_does_not_know_are_refused(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    params: dict[str, Any] = {"model": MODEL, "max_tokens": 100, "messages": two_doc_messages()}
    with pytest.raises(anthropic.BadRequestError, match=r"tools\.0\.colour: Extra inputs"):
        await client.messages.create(**params, tools=[fetch_tool(colour="red")])
    with pytest.raises(anthropic.BadRequestError, match=r"url_sources\.user_input"):
        await client.messages.create(
            **params, tools=[fetch_tool(url_sources={"user_input": {"type": "some"}})])
    fake.tool_versions = frozenset({"web_fetch_20250910"})  # an API older than the SDK
    with pytest.raises(anthropic.BadRequestError, match="web_fetch_20260318"):
        await client.messages.create(**params, tools=[fetch_tool()])
    with pytest.raises(anthropic.BadRequestError):
        await client.messages.count_tokens(model=MODEL, messages=two_doc_messages(),
                                           tools=[fetch_tool()])


async def test_fetches_are_capped_and_follow_url_sources(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.web_pages["https://news.example/long"] = "Long page\n\n" + "Word. " * 5000
    prompt = [{"role": "user", "content": "Topic: words https://news.example/long"}]
    capped = await stream_final(client, messages=prompt,
                                tools=[fetch_tool(max_content_tokens=100)])
    page = next(b for b in capped.content if b.type == "web_fetch_tool_result")
    assert len(page.content.content.source.data) == 400

    closed = await stream_final(client, messages=prompt, tools=[
        fetch_tool(url_sources={"user_input": {"type": "none"}})])
    refused = next(b for b in closed.content if b.type == "web_fetch_tool_result")
    assert refused.content.error_code == "url_not_in_prior_context"


async def test_the_context_window_bounds_prompt_and_answer(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    counted = await client.messages.count_tokens(model=MODEL, messages=two_doc_messages())
    fake.context_window = counted.input_tokens - 1
    with pytest.raises(anthropic.BadRequestError, match="prompt is too long"):
        await stream_final(client, messages=two_doc_messages())

    fake.context_window = counted.input_tokens + 20
    cut = await stream_final(client, messages=two_doc_messages())
    assert cut.stop_reason == "model_context_window_exceeded"
    assert 0 < len(full_text(cut)) <= 80 and cut.usage.output_tokens <= 20


async def test_models_report_their_lifecycle(fake: FakeAnthropic,
                                             client: anthropic.AsyncAnthropic) -> None:
    active = await client.models.retrieve(MODEL)
    assert active.lifecycle == "active" and active.retires_at is None
    assert active.max_input_tokens == fake.context_window

    fake.model_lifecycle[MODEL] = {"lifecycle": "deprecated",
                                   "deprecated_at": "2026-11-01T00:00:00Z",
                                   "retires_at": "2027-01-05T00:00:00Z"}
    deprecated = await client.models.retrieve(MODEL)
    assert deprecated.lifecycle == "deprecated"
    assert (deprecated.deprecated_at.month, deprecated.retires_at.year) == (11, 2027)
    assert (await stream_final(client, messages=two_doc_messages())).stop_reason == "end_turn"

    fake.model_lifecycle[MODEL]["lifecycle"] = "retired"
    assert (await client.models.retrieve(MODEL)).lifecycle == "retired"  # still listed
    with pytest.raises(anthropic.NotFoundError, match="retired"):
        await stream_final(client, messages=two_doc_messages())
