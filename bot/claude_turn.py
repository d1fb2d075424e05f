"""One drafting turn with Claude: streamed, continued when the API pauses it, every stop
reason turned into a plain answer for the editor, and every token spent counted, on
failed requests too.

The API pauses a long turn with server tools (stop_reason "pause_turn"); sending the
paused content back as the last assistant message lets Claude continue where it was.
A request that breaks after streaming began was billed for what it read and wrote:
the usage of its `message_start` / `message_delta` events is what it cost.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.claude import Claude, api_errors, sdk, transport_errors
from bot.pricing import add, usage_from
from storage.records import SourceDoc, Usage

if TYPE_CHECKING:
    import anthropic

log = logging.getLogger(__name__)

MAX_CONTINUATIONS = 4
TRANSIENT_STATUS = {408, 409, 429, 500, 502, 503, 504, 529}
FINISHED = frozenset({"end_turn", "stop_sequence"})
STOP_ANSWERS = {
    "refusal": "Claude declined to write this draft (refusal); nothing was stored",
    "max_tokens": "the draft ran past the output limit before it was finished; nothing was "
                  "stored (ask for a shorter length)",
    "model_context_window_exceeded": "the sources and the pages Claude fetched filled the "
                                     "model's context window before the draft was finished; "
                                     "nothing was stored (use fewer or shorter sources)",
    "tool_use": "Claude asked for a tool the newsroom does not offer; nothing was stored",
    "pause_turn": f"Claude paused its turn {MAX_CONTINUATIONS + 1} times while fetching pages "
                  "and never finished; nothing was stored (give fewer URLs)",
}


class Transient(Exception):
    """Worth another attempt later (outage, overload, timeout)."""


class Permanent(Exception):
    """Another attempt would fail the same way (refusal, over-length, bad request)."""


def classify(exc: BaseException) -> Exception:
    """Sort an API failure into try-again-later or give-up, with a message for editors."""
    if isinstance(exc, TimeoutError):
        return Transient("Claude did not finish in time")
    if isinstance(exc, transport_errors()):
        return Transient("the connection to the Claude API broke off")
    if not isinstance(exc, api_errors()):
        return Permanent(f"unexpected error: {type(exc).__name__}")
    errors = sdk()  # loaded: it raised `exc`
    if isinstance(exc, errors.APIStatusError):
        if exc.status_code < 400:  # an SSE `error` event in the middle of a stream
            return Transient(f"the Claude API failed mid-answer ({_api_message(exc)})")
        if exc.status_code in TRANSIENT_STATUS:
            kind = "overloaded" if exc.status_code == 529 else f"HTTP {exc.status_code}"
            return Transient(f"the Claude API is unavailable ({kind})")
        return Permanent(f"the Claude API refused the request (HTTP {exc.status_code}): "
                         f"{_api_message(exc)}")
    if isinstance(exc, errors.APIConnectionError):
        return Transient("cannot reach the Claude API")
    return Transient(f"the Claude API failed mid-answer ({_api_message(exc)})")


def _api_message(exc: anthropic.APIError) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:200]
    return str(getattr(exc, "message", "") or type(exc).__name__)[:200]


class Meter:
    """Tokens and dollars spent by one attempt, over every request it made."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.total = Usage(model=model)
        self.requests = 0
        self.billed = 0
        self._usage: dict[str, Any] | None = None
        self._chars = 0

    def begin(self) -> None:
        self.requests += 1
        self._usage, self._chars = None, 0

    def observe(self, event: Any) -> None:
        """Keep the running usage a stream reports (message_start, then message_delta)."""
        kind = getattr(event, "type", None)
        if kind == "message_start":
            self._usage = event.message.usage.model_dump()
        elif kind == "message_delta" and self._usage is not None:
            self._usage.update(
                {k: v for k, v in event.usage.model_dump().items() if v is not None})
        elif kind == "text":
            self._chars += len(event.text)

    def end(self, final_usage: Any | None) -> None:
        """Add this request's cost: the final usage, else what the stream reported before
        it broke (output estimated from the text received when the stream never said)."""
        if final_usage is not None:
            usage = usage_from(final_usage, self.model)
        elif self._usage is not None:
            seen = dict(self._usage)
            seen["output_tokens"] = max(seen.get("output_tokens") or 0, self._chars // 4)
            usage = usage_from(SimpleNamespace(**seen), self.model)
        else:
            return  # refused before any token was read: nothing was billed
        self.billed += 1
        self.total = add(self.total, usage)


OnText = Callable[[str], Awaitable[None]]


async def run_turn(client: anthropic.AsyncAnthropic, request: dict[str, Any], meter: Meter,
                   on_text: OnText | None = None) -> Any:
    """The whole turn as one Message (its content joined over continuations)."""
    content: list[Any] = []
    for _ in range(MAX_CONTINUATIONS + 1):
        message = await _one_request(client, request, meter, on_text)
        content += message.content
        if message.stop_reason != "pause_turn":
            break
        request = continued(request, message)
    check_stop(message)
    return message.model_copy(update={"content": content})


async def _one_request(client: anthropic.AsyncAnthropic, request: dict[str, Any],
                       meter: Meter, on_text: OnText | None) -> Any:
    meter.begin()
    final = None
    try:
        async with client.messages.stream(**request) as stream:
            async for event in stream:
                meter.observe(event)
                if on_text is not None and getattr(event, "type", None) == "text":
                    await on_text(event.text)
            message = await stream.get_final_message()
        final = message.usage
        return message
    finally:
        meter.end(final)


def continued(request: dict[str, Any], paused: Any) -> dict[str, Any]:
    """The request that lets Claude continue a paused turn: the paused content goes back
    as-is, as (the end of) the last assistant message."""
    messages = list(request["messages"])
    blocks = list(paused.to_param()["content"])
    if messages and messages[-1]["role"] == "assistant":
        last = messages.pop()
        blocks = [*last["content"], *blocks]
    return {**request, "messages": [*messages, {"role": "assistant", "content": blocks}]}


def check_stop(message: Any) -> None:
    """A plain answer for every way a turn can end without a finished draft."""
    reason = message.stop_reason
    if reason in FINISHED:
        return
    answer = STOP_ANSWERS.get(reason)
    if answer is None:
        raise Permanent(f"Claude stopped for a reason the newsroom does not know ({reason}); "
                        "nothing was stored")
    details = getattr(message, "stop_details", None)
    explanation = getattr(details, "explanation", None) if reason == "refusal" else None
    raise Permanent(f"{answer}: {explanation}" if explanation else answer)


def host_allowed(url: str, domains: Iterable[str]) -> bool:
    """The rule of the API's own allowed_domains: the domain itself or a subdomain of it."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in domains)


def foreign_fetches(message: Any, domains: Iterable[str]) -> list[str]:
    """URLs the web fetch tool fetched outside the story's domains (never its sources)."""
    allowed = [d.lower() for d in domains]
    urls = []
    for block in message.content:
        if getattr(block, "type", None) != "web_fetch_tool_result":
            continue
        result = getattr(block, "content", None)
        url = getattr(result, "url", None)
        if getattr(result, "type", None) == "web_fetch_result" and url and not host_allowed(
                url, allowed):
            urls.append(url)
    return list(dict.fromkeys(urls))


async def check_window(claude: Claude, request: dict[str, Any],
                       sources: list[SourceDoc]) -> None:
    """Count before spending: a request the model's window cannot hold is refused at once,
    naming what to cut, instead of failing after paid retries. Counting is free; when it
    fails the attempt goes ahead (its own errors are handled there)."""
    try:
        tokens = await claude.count_tokens(request)
        window = await claude.context_window()
    except api_errors() as exc:
        log.warning("could not count the tokens of a draft request: %s", exc)
        return
    room = request["max_tokens"]
    if tokens + room > window:
        raise Permanent(over_window(tokens, window, room, sources))


def fetch_notes(message: Any, source_urls: Iterable[str]) -> list[str]:
    """For the editor: pages fetched outside the story's sources, which were not used."""
    domains = {urlsplit(u).hostname or "" for u in source_urls} - {""}
    return [f"Claude fetched {url}, which is not one of this story's sources; it was not used"
            for url in foreign_fetches(message, domains)]


def over_window(tokens: int, window: int, room: int, sources: list[SourceDoc]) -> str:
    """Why a request cannot fit the model's window, and what to cut."""
    over = tokens + room - window
    sized = sorted(((_size(doc), n, doc) for n, doc in enumerate(sources, start=1)
                    if doc.kind != "url"), key=lambda item: item[0], reverse=True)
    largest = "; ".join(f"[{n}] {_describe(doc)}" for _, n, doc in sized[:3])
    return (f"the request is too long for the model: the sources come to {tokens:,} tokens "
            f"and the draft needs up to {room:,} more, over the window of {window:,} by "
            f"{over:,} tokens (about {over * 4:,} characters). Nothing was sent to Claude. "
            f"Cut or shorten sources" + (f"; the largest are {largest}" if largest else ""))


def _size(doc: SourceDoc) -> int:
    return len(doc.data or b"") if doc.kind == "pdf" else len(doc.text or "")


def _describe(doc: SourceDoc) -> str:
    if doc.kind == "pdf":
        return f"PDF {doc.title} ({len(doc.data or b'') / 1_048_576:.1f} MB)"
    kind = "file" if doc.kind == "file" else "pasted text"
    return f"{kind} '{doc.title[:40]}' ({len(doc.text or ''):,} characters)"
