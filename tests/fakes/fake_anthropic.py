"""A local fake of the Anthropic Messages API for newsroom's tests.

The real `anthropic` SDK (2.x) sends its requests through `httpx2`, which
respx / `httpx.MockTransport` cannot intercept, so the tests run this real HTTP
server on 127.0.0.1 and point `anthropic.AsyncAnthropic(base_url=...)` at it.
Everything the SDK parses (errors, SSE events, content blocks, citations,
usage) has the shapes defined by the SDK's own types, so the bot's code is
exercised exactly as it would be against the real API.

Public API
----------
`FakeAnthropic(*, api_key=..., models=None, web_pages=None, chunk_size=16,
event_delay=0.0, cache_min_tokens=1024, max_output_tokens=128_000,
context_window=200_000, clock=time.monotonic)`
    `await start()` / `await stop()` (or `async with FakeAnthropic() as fake`),
    `base_url`, `api_key`, `requests` (list of `RecordedRequest`, every HTTP
    request, api key redacted), `last_request`, `message_requests`, `stats`
    (`FakeStats`), `web_pages` (url -> text served by the web fetch tool),
    `chunk_size`, `event_delay`, `cache_min_tokens`,
    `script(*behaviours)`, `set_default(behaviour | None)`, `outage(n)`,
    `pending`, `clear_cache()`, `reset()`.
    What the real API does, modelled (plain attributes, change any time):
    `context_window` (a prompt over it is a 400 "prompt is too long"; an answer
    that would overflow it, fetched pages included, stops with
    "model_context_window_exceeded"), `model_lifecycle` (model id -> lifecycle,
    deprecated_at, retires_at served by GET /v1/models; a "retired" model cannot
    be called), `tool_versions` (None: every tool version the SDK knows; else
    the only ones accepted, others are a 400), `max_server_iterations` (server
    tool calls per request before the turn pauses with "pause_turn"; the
    request that sends the paused content back continues it),
    `follow_document_links` (the model also fetches links written inside
    documents, as a curious model might). The prompt cache keys its prefix
    tools -> system -> messages, so a changed tools block misses everything
    after it; every answer carries usage; web fetch honours `max_uses`,
    `allowed_domains`/`blocked_domains`, `max_content_tokens` and `url_sources`.

Endpoints: POST /v1/messages (JSON or SSE), POST /v1/messages/count_tokens,
GET /v1/models, GET /v1/models/{model_id}.

Behaviours for `script()` / `set_default()` (one is consumed per valid
POST /v1/messages; auth and validation errors do not consume one):
    `DefaultArticle()`, `Overloaded(retry_after_ms=10.0)`,
    `RateLimited(retry_after=1.0, retry_after_ms=None)`,
    `ServerError(status=500, retry_after_ms=None)`,
    `MidStreamError(after_deltas=3)`, `Hang(seconds=None, then=None,
    mid_stream=False)`, `Refusal(partial_text="")`, `MaxTokens(fraction=0.5)`,
    `Article(markdown, citations=True)`, `Custom(fn)`.

Helpers: `Reply` (what `Custom` functions may return), `text_block()`,
`RecordedRequest`, `FakeStats`, `ApiError`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import re
import secrets
import string
import time
import typing
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal, TypeAlias, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

import typing_extensions
from aiohttp import web
from anthropic.types import Model, content_block_param, message_create_params, tool_union_param
from anthropic.types.message_count_tokens_params import MessageCountTokensParams

log = logging.getLogger(__name__)

JSON: TypeAlias = dict[str, Any]
StopReason: TypeAlias = Literal[
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
]

DEFAULT_API_KEY = "sk-ant-api03-fake-newsroom-test-key"
ORGANIZATION_ID = "00000000-0000-4000-8000-00000000fa4e"
CACHE_LOOKBACK_BLOCKS = 20
MAX_CACHE_BREAKPOINTS = 4
MAX_BODY_DOCUMENTS = 8
_TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}
_HEADER_PARAMS = frozenset({"user_profile_id", "workspace_id"})
_REDACTED = "<redacted>"


# --------------------------------------------------------------------------- behaviours


@dataclass(frozen=True)
class DefaultArticle:
    """The generated house-format article grounded in the request's documents."""


@dataclass(frozen=True)
class Overloaded:
    """529 overloaded_error; `retry_after_ms` keeps the SDK's retry wait short in tests.

    The real API does not promise a retry hint on 529s; pass `retry_after_ms=None`
    to exercise the SDK's own exponential backoff (0.5 s, 1 s, ...).
    """

    retry_after_ms: float | None = 10.0
    message: str = "Overloaded"


@dataclass(frozen=True)
class RateLimited:
    """429 rate_limit_error with a `retry-after` header (seconds), like the real API."""

    retry_after: float = 1.0
    retry_after_ms: float | None = None
    message: str = "This request would exceed your organization's rate limit."


@dataclass(frozen=True)
class ServerError:
    """A 5xx (default 500 api_error) the SDK will retry."""

    status: int = 500
    error_type: str = "api_error"
    message: str = "Internal server error"
    retry_after_ms: float | None = None


@dataclass(frozen=True)
class MidStreamError:
    """Start streaming, then send an SSE `error` event after some text deltas and close.

    On a non-streaming request the same failure can only be an HTTP error, so it
    answers like `Overloaded` without a retry hint.
    """

    after_deltas: int = 3
    error_type: str = "overloaded_error"
    message: str = "Overloaded"


@dataclass(frozen=True)
class Hang:
    """Accept the request and answer late (or never) to test the caller's own timeout.

    `seconds=None` waits until the client gives up or the fake stops. After the
    wait, `then` (default: the default behaviour) answers. With `mid_stream=True`
    a streaming request first gets `after_deltas` text deltas, then stalls.
    """

    seconds: float | None = None
    then: Behaviour | None = None
    mid_stream: bool = False
    after_deltas: int = 2


@dataclass(frozen=True)
class Refusal:
    """stop_reason "refusal" (streaming classifiers intervened), optional partial text."""

    partial_text: str = ""
    category: str | None = None
    explanation: str | None = "The request was declined by a safety classifier."


@dataclass(frozen=True)
class MaxTokens:
    """The default article cut off after `fraction` of its text, stop_reason "max_tokens"."""

    fraction: float = 0.5


@dataclass(frozen=True)
class Article:
    """Stream exactly this Markdown, one text block per paragraph.

    Paragraphs containing `[n]` markers get API citations of document n-1 (the
    sentence of that document sharing most words with the paragraph).
    """

    markdown: str
    citations: bool = True


@dataclass(frozen=True)
class Custom:
    """`fn(request_json)` decides: a `Reply`, a list of content blocks (end_turn),
    a `(blocks, stop_reason)` tuple, or any other behaviour (e.g. `Overloaded()`).
    """

    fn: Callable[[JSON], Any]


Behaviour: TypeAlias = (
    DefaultArticle
    | Overloaded
    | RateLimited
    | ServerError
    | MidStreamError
    | Hang
    | Refusal
    | MaxTokens
    | Article
    | Custom
)


@dataclass
class Reply:
    """A complete assistant turn; streamed or returned as one JSON Message."""

    content: list[JSON]
    stop_reason: StopReason = "end_turn"
    stop_sequence: str | None = None
    stop_details: JSON | None = None


def text_block(text: str, citations: Sequence[JSON] | None = None) -> JSON:
    """A response text block; `citations` only present when there are some (like the API)."""
    block: JSON = {"type": "text", "text": text}
    if citations:
        block["citations"] = list(citations)
    return block


# --------------------------------------------------------------------------- records


@dataclass
class RecordedRequest:
    """One HTTP request the fake received. Unpacks as `(headers, body)`.

    `headers` has lower-case names; the api key / bearer token value is replaced
    by "<redacted>" so a test log never shows it. `body` is the parsed JSON (None
    for GET, the raw text if it was not JSON). `status` and `events` (SSE event
    names sent back) are filled in when the response is produced.
    """

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    query: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    events: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[Any]:
        return iter((self.headers, self.body))


@dataclass
class FakeStats:
    """Counters a test can assert on without scanning `requests`."""

    requests: int = 0
    errors: int = 0
    """HTTP error responses plus SSE `error` events."""
    streams_started: int = 0
    streams_completed: int = 0
    """SSE streams that reached `message_stop`."""
    messages_completed: int = 0
    """Non-streaming Messages returned."""
    scripted: int = 0
    """Behaviours taken from the `script()` queue."""


class ApiError(Exception):
    """An error answered in the real API's JSON shape: {"type":"error","error":{...}}."""

    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.headers = dict(headers or {})


def _invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_request_error", message)


# --------------------------------------------------------------------------- SDK vocabulary


def _literal_values(annotation: Any) -> tuple[str, ...]:
    """String values of a Literal, looking through Required/Optional/Union wrappers."""
    origin = get_origin(annotation)
    if origin in (Literal, typing_extensions.Literal):
        return tuple(v for v in get_args(annotation) if isinstance(v, str))
    if origin is None:
        return ()
    values: tuple[str, ...] = ()
    for arg in get_args(annotation):
        values += _literal_values(arg)
    return values


def _typed_dict_literal(typed_dict: Any, key: str) -> tuple[str, ...]:
    hints = get_type_hints(typed_dict, include_extras=True)
    return _literal_values(hints.get(key))


@cache
def server_tool_specs() -> dict[str, str | None]:
    """Tool `type` -> required `name` (None: any), for every non-custom tool the SDK defines.

    Read from the SDK so a new tool version (e.g. web_fetch_20260318) is accepted
    the day the SDK learns it.
    """
    specs: dict[str, str | None] = {}
    for typed_dict in get_args(tool_union_param.ToolUnionParam):
        names = _typed_dict_literal(typed_dict, "name")
        for tool_type in _typed_dict_literal(typed_dict, "type"):
            if tool_type != "custom":
                specs[tool_type] = names[0] if names else None
    return specs


@cache
def server_tool_params() -> dict[str, Any]:
    """Tool `type` -> the SDK's TypedDict for it: the keys a tool definition may carry."""
    params: dict[str, Any] = {}
    for typed_dict in get_args(tool_union_param.ToolUnionParam):
        for tool_type in _typed_dict_literal(typed_dict, "type"):
            params[tool_type] = typed_dict
    return params


@cache
def web_fetch_tool_types() -> frozenset[str]:
    """The web fetch tool versions the SDK knows (web_fetch_20250910, ...)."""
    return frozenset(t for t, name in server_tool_specs().items() if name == "web_fetch")


@cache
def input_block_types() -> frozenset[str]:
    """Content block `type`s accepted in request messages, from the SDK's param union."""
    types: set[str] = set()
    for typed_dict in get_args(content_block_param.ContentBlockParam):
        types.update(_typed_dict_literal(typed_dict, "type"))
    return frozenset(types)


@cache
def create_body_keys() -> frozenset[str]:
    """Top-level keys POST /v1/messages accepts (anything else, e.g. temperature, is a 400)."""
    keys = set(get_type_hints(message_create_params.MessageCreateParamsBase)) - _HEADER_PARAMS
    return frozenset(keys | {"stream"})


@cache
def count_tokens_body_keys() -> frozenset[str]:
    return frozenset(set(get_type_hints(MessageCountTokensParams)) - _HEADER_PARAMS)


@cache
def sdk_models() -> tuple[str, ...]:
    """Model ids the SDK names in its `Model` literal; the fake serves these by default."""
    return _literal_values(Model)


# --------------------------------------------------------------------------- ids & small utils

_ID_ALPHABET = string.ascii_letters + string.digits


def _random_id(prefix: str, length: int = 22) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def _estimate_tokens(text: str) -> int:
    """Roughly 4 characters per token, at least 1 for any non-empty text."""
    return max(1, len(text) // 4) if text else 0


def _chunks(text: str, size: int) -> Iterator[str]:
    for start in range(0, len(text), max(1, size)):
        yield text[start : start + max(1, size)]


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _format_seconds(seconds: float) -> str:
    """Real `retry-after` values are integers; keep floats only when the test asks for them."""
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))


# --------------------------------------------------------------------------- validation


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _require_object(value: Any, path: str) -> JSON:
    if not isinstance(value, dict):
        raise _invalid(f"{path}: Input should be a valid dictionary")
    return value


def _reject_unknown_keys(body: JSON, allowed: frozenset[str], path: str = "") -> None:
    for key in body:
        if key not in allowed:
            raise _invalid(f"{path + '.' if path else ''}{key}: Extra inputs are not permitted")


def _validate_cache_control(value: Any, path: str) -> int:
    """Return 1 when this is a breakpoint, so callers can count them."""
    if value is None:
        return 0
    control = _require_object(value, path)
    if control.get("type") != "ephemeral":
        raise _invalid(f"{path}.type: Input should be 'ephemeral'")
    if "ttl" in control and control["ttl"] not in _TTL_SECONDS:
        raise _invalid(f"{path}.ttl: Input should be '5m' or '1h'")
    return 1


def _validate_citations_config(value: Any, path: str) -> None:
    if value is None:
        return
    config = _require_object(value, path)
    if "enabled" in config and not isinstance(config["enabled"], bool):
        raise _invalid(f"{path}.enabled: Input should be a valid boolean")


def _validate_text_block(block: JSON, path: str) -> int:
    text = block.get("text")
    if not isinstance(text, str):
        raise _invalid(f"{path}.text: Field required")
    if not text.strip():
        raise _invalid("messages: text content blocks must contain non-whitespace text")
    return _validate_cache_control(block.get("cache_control"), f"{path}.cache_control")


def _validate_document_source(source: Any, path: str) -> None:
    source = _require_object(source, path)
    kind = source.get("type")
    if kind == "text":
        if source.get("media_type") != "text/plain":
            raise _invalid(f"{path}.media_type: Input should be 'text/plain'")
        if not isinstance(source.get("data"), str):
            raise _invalid(f"{path}.data: Field required")
    elif kind == "base64":
        if source.get("media_type") != "application/pdf":
            raise _invalid(f"{path}.media_type: Input should be 'application/pdf'")
        _validate_base64(source.get("data"), f"{path}.data")
    elif kind == "content":
        content = source.get("content")
        if not isinstance(content, str | list) or not content:
            raise _invalid(f"{path}.content: Field required")
    elif kind == "url":
        if not isinstance(source.get("url"), str):
            raise _invalid(f"{path}.url: Field required")
    elif kind == "file":
        if not isinstance(source.get("file_id"), str):
            raise _invalid(f"{path}.file_id: Field required")
    else:
        raise _invalid(
            f"{path}: Input tag '{kind}' found using 'type' does not match any of the "
            "expected tags: 'base64', 'text', 'content', 'url', 'file'"
        )


def _validate_base64(data: Any, path: str) -> None:
    if not isinstance(data, str):
        raise _invalid(f"{path}: Field required")
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(f"{path}: The PDF specified is not valid base64 data") from None


def _validate_document_block(block: JSON, path: str) -> int:
    _validate_document_source(block.get("source"), f"{path}.source")
    _validate_citations_config(block.get("citations"), f"{path}.citations")
    for key in ("title", "context"):
        if block.get(key) is not None and not isinstance(block[key], str):
            raise _invalid(f"{path}.{key}: Input should be a valid string")
    return _validate_cache_control(block.get("cache_control"), f"{path}.cache_control")


def _validate_content_block(block: Any, path: str) -> int:
    block = _require_object(block, path)
    kind = block.get("type")
    if kind not in input_block_types():
        expected = ", ".join(f"'{t}'" for t in sorted(input_block_types()))
        raise _invalid(
            f"{path}: Input tag '{kind}' found using 'type' does not match any of the "
            f"expected tags: {expected}"
        )
    if kind == "text":
        return _validate_text_block(block, path)
    if kind == "document":
        return _validate_document_block(block, path)
    return _validate_cache_control(block.get("cache_control"), f"{path}.cache_control")


def _validate_messages(messages: Any) -> int:
    if not isinstance(messages, list):
        raise _invalid("messages: Input should be a valid list")
    if not messages:
        raise _invalid("messages: at least one message is required")
    breakpoints = 0
    for i, message in enumerate(messages):
        message = _require_object(message, f"messages.{i}")
        if message.get("role") not in ("user", "assistant", "system"):
            raise _invalid(f"messages.{i}.role: Input should be 'user', 'assistant' or 'system'")
        content = message.get("content")
        if isinstance(content, str):
            prefill = message["role"] == "assistant" and i == len(messages) - 1
            if not content.strip() and not prefill:
                raise _invalid("messages: text content blocks must be non-empty")
        elif isinstance(content, list):
            for j, block in enumerate(content):
                breakpoints += _validate_content_block(block, f"messages.{i}.content.{j}")
        else:
            raise _invalid(f"messages.{i}.content: Field required")
    return breakpoints


def _validate_system(system: Any) -> int:
    if system is None or isinstance(system, str):
        return 0
    if not isinstance(system, list):
        raise _invalid("system: Input should be a valid string or list")
    breakpoints = 0
    for i, block in enumerate(system):
        block = _require_object(block, f"system.{i}")
        if block.get("type") != "text":
            raise _invalid(f"system.{i}.type: Input should be 'text'")
        breakpoints += _validate_text_block(block, f"system.{i}")
    return breakpoints


_TOOL_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")


def _validate_tool(tool: Any, path: str) -> tuple[str, int]:
    """Validate one tool definition; return (its name, breakpoints it carries)."""
    tool = _require_object(tool, path)
    tool_type = tool.get("type")
    name = tool.get("name")
    if tool_type in (None, "custom"):
        if not isinstance(name, str) or not _TOOL_NAME_RE.match(name):
            raise _invalid(f"{path}.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'")
        schema = tool.get("input_schema")
        if not isinstance(schema, dict) or schema.get("type") != "object":
            raise _invalid(f"{path}.input_schema.type: Input should be 'object'")
    else:
        specs = server_tool_specs()
        if tool_type not in specs:
            raise _invalid(
                f"{path}: Input tag '{tool_type}' found using 'type' does not match any of "
                "the expected tags"
            )
        expected = specs[tool_type]
        if expected is not None and name != expected:
            raise _invalid(f"{path}.name: Input should be '{expected}'")
        _reject_unknown_keys(tool, frozenset(get_type_hints(server_tool_params()[tool_type])),
                             path)
        if tool_type in web_fetch_tool_types():
            _validate_web_fetch_tool(tool, path)
    return str(name or tool_type), _validate_cache_control(
        tool.get("cache_control"), f"{path}.cache_control"
    )


def _validate_web_fetch_tool(tool: JSON, path: str) -> None:
    for key in ("max_uses", "max_content_tokens"):
        value = tool.get(key)
        if value is not None and (not _is_int(value) or value < 1):
            raise _invalid(f"{path}.{key}: Input should be greater than or equal to 1")
    if tool.get("allowed_domains") and tool.get("blocked_domains"):
        raise _invalid(f"{path}: Cannot specify both allowed_domains and blocked_domains")
    _validate_citations_config(tool.get("citations"), f"{path}.citations")
    callers = _typed_dict_literal(server_tool_params()[tool["type"]], "allowed_callers")
    for caller in tool.get("allowed_callers") or []:
        if callers and caller not in callers:
            raise _invalid(f"{path}.allowed_callers: Input should be one of {list(callers)}")
    _validate_url_sources(tool.get("url_sources"), f"{path}.url_sources")


_URL_SOURCE_KEYS = {"user_input": ("all", "none"),
                    "client_tool_results": ("all", "none", "only", "except"),
                    "server_tool_results": ("all", "none", "only", "except")}


def _validate_url_sources(value: Any, path: str) -> None:
    """Which sources contribute fetchable URLs (web_fetch_20260318 and later)."""
    if value is None:
        return
    sources = _require_object(value, path)
    _reject_unknown_keys(sources, frozenset(_URL_SOURCE_KEYS), path)
    for key, variant in sources.items():
        variant = _require_object(variant, f"{path}.{key}")
        if variant.get("type") not in _URL_SOURCE_KEYS[key]:
            expected = ", ".join(f"'{t}'" for t in _URL_SOURCE_KEYS[key])
            raise _invalid(f"{path}.{key}: Input tag '{variant.get('type')}' found using 'type' "
                           f"does not match any of the expected tags: {expected}")
        if variant["type"] in ("only", "except") and not variant.get("tools"):
            raise _invalid(f"{path}.{key}.tools: Field required")


def _validate_tools(tools: Any) -> int:
    if tools is None:
        return 0
    if not isinstance(tools, list):
        raise _invalid("tools: Input should be a valid list")
    names: set[str] = set()
    breakpoints = 0
    for i, tool in enumerate(tools):
        name, marks = _validate_tool(tool, f"tools.{i}")
        if name in names:
            raise _invalid("tools: Tool names must be unique.")
        names.add(name)
        breakpoints += marks
    return breakpoints


def _validate_documents_citations(messages: list[JSON]) -> None:
    """The API requires citations enabled on all or none of a request's documents."""
    flags = {
        bool((block.get("citations") or {}).get("enabled"))
        for message in messages
        if isinstance(message.get("content"), list)
        for block in message["content"]
        if block.get("type") == "document"
    }
    if len(flags) > 1:
        raise _invalid("Citations must be enabled on all or none of the documents in a request.")


def _validate_common(body: JSON) -> None:
    """Checks shared by /v1/messages and /v1/messages/count_tokens."""
    model = body.get("model")
    if model is None:
        raise _invalid("model: Field required")
    if not isinstance(model, str) or not model:
        raise _invalid("model: Input should be a valid string")
    if "messages" not in body:
        raise _invalid("messages: Field required")
    breakpoints = _validate_messages(body["messages"])
    breakpoints += _validate_system(body.get("system"))
    breakpoints += _validate_tools(body.get("tools"))
    breakpoints += _validate_cache_control(body.get("cache_control"), "cache_control")
    if breakpoints > MAX_CACHE_BREAKPOINTS:
        raise _invalid(
            f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. "
            f"Found {breakpoints}."
        )
    _validate_documents_citations(body["messages"])


def validate_create(body: Any, *, max_output_tokens: int) -> JSON:
    """Validate a POST /v1/messages body like the API does for what matters here."""
    body = _require_object(body, "body")
    _reject_unknown_keys(body, create_body_keys())
    if "max_tokens" not in body:
        raise _invalid("max_tokens: Field required")
    max_tokens = body["max_tokens"]
    if not _is_int(max_tokens):
        raise _invalid("max_tokens: Input should be a valid integer")
    if max_tokens < 1:
        raise _invalid("max_tokens: Input should be greater than or equal to 1")
    if max_tokens > max_output_tokens:
        raise _invalid(
            f"max_tokens: {max_tokens} > {max_output_tokens}, which is the maximum allowed "
            f"number of output tokens for {body.get('model')}"
        )
    if "stream" in body and not isinstance(body["stream"], bool):
        raise _invalid("stream: Input should be a valid boolean")
    stops = body.get("stop_sequences")
    if stops is not None and (
        not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops)
    ):
        raise _invalid("stop_sequences: Input should be a valid list of non-empty strings")
    _validate_common(body)
    return body


def validate_count_tokens(body: Any) -> JSON:
    body = _require_object(body, "body")
    _reject_unknown_keys(body, count_tokens_body_keys())
    _validate_common(body)
    return body


# --------------------------------------------------------------------------- token usage & caching


def _block_text(block: JSON) -> str:
    """The text a block contributes to the prompt, for the 4-chars-per-token estimate."""
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind == "document":
        source = block.get("source") or {}
        data = source.get("data") or source.get("url") or source.get("file_id") or ""
        if source.get("type") == "content":
            data = _content_source_text(source.get("content"))
        extra = f"{block.get('title') or ''} {block.get('context') or ''}"
        return f"{extra.strip()} {data}".strip()
    return json.dumps(block, sort_keys=True, ensure_ascii=False)


def _content_source_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return " ".join(str(b.get("text", "")) for b in content or [] if isinstance(b, dict))


@dataclass(frozen=True)
class _Segment:
    """One cacheable prompt unit (tool, system block or message block), in prompt order."""

    key: str
    tokens: int
    cache_control: JSON | None


def _without_cache_control(block: JSON) -> JSON:
    return {k: v for k, v in block.items() if k != "cache_control"}


def prompt_segments(body: JSON) -> list[_Segment]:
    """Tools, then system, then message blocks: the order prompt caching hashes them in."""
    segments: list[_Segment] = []
    for tool in body.get("tools") or []:
        text = json.dumps(_without_cache_control(tool), sort_keys=True, ensure_ascii=False)
        segments.append(_Segment(text, _estimate_tokens(text), tool.get("cache_control")))
    system = body.get("system")
    system_blocks = [{"type": "text", "text": system}] if isinstance(system, str) else system or []
    for role, blocks in [("system", system_blocks)] + [
        (m["role"], _message_blocks(m)) for m in body.get("messages", [])
    ]:
        for block in blocks:
            key = role + json.dumps(
                _without_cache_control(block), sort_keys=True, ensure_ascii=False
            )
            segments.append(
                _Segment(key, _estimate_tokens(_block_text(block)), block.get("cache_control"))
            )
    return segments


def _message_blocks(message: JSON) -> list[JSON]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return [b for b in content or [] if isinstance(b, dict)]


def count_input_tokens(body: JSON) -> int:
    return max(1, sum(s.tokens for s in prompt_segments(body)))


@dataclass(frozen=True)
class CacheUsage:
    read: int = 0
    created_5m: int = 0
    created_1h: int = 0

    @property
    def created(self) -> int:
        return self.created_5m + self.created_1h


class PromptCache:
    """Prefix cache keyed by a hash of (model, blocks up to a breakpoint).

    Like the API: a breakpoint writes its prefix when the prefix has at least
    `min_tokens`; a later request reads the longest cached prefix ending at a
    breakpoint or up to 20 blocks before one; reads refresh the TTL.
    """

    def __init__(self, min_tokens: int, clock: Callable[[], float]) -> None:
        self.min_tokens = min_tokens
        self._clock = clock
        self._entries: dict[str, tuple[float, float]] = {}  # hash -> (expires_at, ttl)

    def clear(self) -> None:
        self._entries.clear()

    def process(self, model: str, segments: Sequence[_Segment], auto: JSON | None) -> CacheUsage:
        breakpoints = self._breakpoints(segments, auto)
        if not breakpoints:
            return CacheUsage()
        hashes, prefix_tokens = self._prefixes(model, segments)
        now = self._clock()
        read_pos = self._longest_hit(breakpoints, hashes, now)
        read = prefix_tokens[read_pos] if read_pos >= 0 else 0
        created = {"5m": 0, "1h": 0}
        boundary = read
        for position, ttl in breakpoints:
            if position <= read_pos or prefix_tokens[position] < self.min_tokens:
                continue
            self._entries[hashes[position]] = (now + _TTL_SECONDS[ttl], _TTL_SECONDS[ttl])
            created[ttl] += prefix_tokens[position] - boundary
            boundary = prefix_tokens[position]
        return CacheUsage(read=read, created_5m=created["5m"], created_1h=created["1h"])

    @staticmethod
    def _breakpoints(segments: Sequence[_Segment], auto: JSON | None) -> list[tuple[int, str]]:
        points = {
            i: str(s.cache_control.get("ttl", "5m"))
            for i, s in enumerate(segments)
            if s.cache_control
        }
        if auto and segments:
            points.setdefault(len(segments) - 1, str(auto.get("ttl", "5m")))
        return sorted(points.items())

    @staticmethod
    def _prefixes(model: str, segments: Sequence[_Segment]) -> tuple[list[str], list[int]]:
        digest = hashlib.sha256(model.encode())
        hashes: list[str] = []
        totals: list[int] = []
        running = 0
        for segment in segments:
            digest.update(b"\x00" + segment.key.encode())
            hashes.append(digest.copy().hexdigest())
            running += segment.tokens
            totals.append(running)
        return hashes, totals

    def _longest_hit(
        self, breakpoints: list[tuple[int, str]], hashes: list[str], now: float
    ) -> int:
        best = -1
        for position, _ in breakpoints:
            for candidate in range(position, max(-1, position - CACHE_LOOKBACK_BLOCKS), -1):
                entry = self._entries.get(hashes[candidate])
                if entry and entry[0] > now:
                    best = max(best, candidate)
                    break
        if best >= 0:
            _, ttl = self._entries[hashes[best]]
            self._entries[hashes[best]] = (now + ttl, ttl)
        return best


@dataclass(frozen=True)
class Usage:
    """Token accounting of one reply, rendered in the three places the API reports it.

    `tool_result_tokens` (fetched pages) enter the context during the turn, so,
    as with the real API, they are missing from message_start and counted in the
    cumulative message_delta / final usage.
    """

    input_tokens: int
    cache: CacheUsage
    output_tokens: int
    web_fetch_requests: int = 0
    tool_result_tokens: int = 0

    def _common(self, *, at_start: bool) -> JSON:
        return {
            "input_tokens": self.input_tokens + (0 if at_start else self.tool_result_tokens),
            "cache_creation_input_tokens": self.cache.created,
            "cache_read_input_tokens": self.cache.read,
        }

    def _server_tool_use(self) -> JSON:
        return {"web_search_requests": 0, "web_fetch_requests": self.web_fetch_requests}

    def message(self, *, at_start: bool = False) -> JSON:
        """Usage of a whole Message (non-streaming), or of message_start (`at_start`)."""
        usage: JSON = {
            **self._common(at_start=at_start),
            "cache_creation": {
                "ephemeral_5m_input_tokens": self.cache.created_5m,
                "ephemeral_1h_input_tokens": self.cache.created_1h,
            },
            "output_tokens": 1 if at_start else self.output_tokens,
            "service_tier": "standard",
        }
        if self.web_fetch_requests and not at_start:
            usage["server_tool_use"] = self._server_tool_use()
        return usage

    def delta(self) -> JSON:
        """Cumulative usage of the final message_delta event."""
        usage: JSON = {**self._common(at_start=False), "output_tokens": self.output_tokens}
        if self.web_fetch_requests:
            usage["server_tool_use"] = self._server_tool_use()
        return usage


def count_output_tokens(reply: Reply) -> int:
    total = 0
    for block in reply.content:
        if block.get("type") == "text":
            total += _estimate_tokens(block["text"])
        elif block.get("type") in ("tool_use", "server_tool_use"):
            total += _estimate_tokens(json.dumps(block.get("input", {})))
    return max(1, total)


# --------------------------------------------------------------------------- source documents

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st jr sr inc co corp ltd vs etc e.g i.e no gov sen rep u.s u.k u.n "
    "jan feb mar apr jun jul aug sep sept oct nov dec prof gen col lt sgt".split()
)
_CLOSERS = "\"')]”’»"


def _ends_sentence(text: str, dot: int) -> bool:
    """False for "Dr." / "U.S." / "J." style abbreviations."""
    start = dot
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] == "."):
        start -= 1
    word = text[start:dot].lower()
    if text[dot] == "." and (word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())):
        return False
    return True


def _sentence_end(text: str, pos: int) -> int:
    n = len(text)
    j = pos
    while j < n:
        if text[j] == "\n":
            return j
        if text[j] in ".!?":
            k = j + 1
            while k < n and text[k] in ".!?" + _CLOSERS:
                k += 1
            if (k >= n or text[k].isspace()) and _ends_sentence(text, j):
                return k
            j = k
            continue
        j += 1
    return n


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence chunks as (start, end) char offsets, end exclusive, trailing spaces included.

    The API chunks plain text into sentences and cites them with 0-indexed,
    end-exclusive character offsets, `cited_text == text[start:end]`.
    """
    spans: list[tuple[int, int]] = []
    pos, n = 0, len(text)
    while pos < n:
        while pos < n and text[pos].isspace():
            pos += 1
        if pos >= n:
            break
        end = _sentence_end(text, pos)
        while end < n and text[end] in " \t":
            end += 1
        spans.append((pos, end))
        pos = max(end, pos + 1)
    return spans


@dataclass(frozen=True)
class Chunk:
    """A citable unit of a document and its location fields for the citation."""

    text: str
    location: JSON


@dataclass
class SourceDoc:
    """A document the model may cite: from the request, or fetched by the web fetch tool."""

    index: int
    title: str | None
    citation_type: str
    chunks: list[Chunk]
    citations_enabled: bool
    url: str | None = None
    publisher: str | None = None
    number: int | None = None
    """The number the prompt gives this source ("Source 2: ..." title, "[2] URL" line),
    which a model would use for its [n] markers; None: by position."""

    @property
    def marker(self) -> int:
        return self.number or self.index + 1

    def cite(self, chunk: Chunk) -> JSON:
        return {
            "type": self.citation_type,
            "cited_text": chunk.text,
            "document_index": self.index,
            "document_title": self.title,
            **chunk.location,
        }

    def facts(self, limit: int = 2) -> list[Chunk]:
        return [c for c in self.chunks if _is_fact(c.text)][:limit]

    def best_chunk(self, paragraph: str) -> Chunk | None:
        """The chunk sharing the most (long) words with `paragraph`; first chunk on ties."""
        words = _words(paragraph)
        best: Chunk | None = None
        best_score = -1
        for chunk in self.chunks:
            score = len(words & _words(chunk.text))
            if score > best_score:
                best, best_score = chunk, score
        return best


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9']+", text.lower()) if len(w) > 3}


def _is_fact(text: str) -> bool:
    """A sentence worth quoting: long enough, a real sentence, not a heading."""
    s = text.strip()
    return (
        len(s) >= 25
        and len(s.split()) >= 5
        and s[-1] in ".!?" + _CLOSERS
        and (s[0].isupper() or s[0].isdigit() or s[0] in "\"“'")
        and not s.startswith("#")
    )


def _char_chunks(text: str) -> list[Chunk]:
    return [
        Chunk(text[a:b], {"start_char_index": a, "end_char_index": b})
        for a, b in sentence_spans(text)
    ]


_PDF_STREAM_RE = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_PDF_TEXT_OP_RE = re.compile(rb"\((?:\\.|[^\\)])*\)\s*Tj|\[[^\]]*\]\s*TJ", re.S)
_PDF_STRING_RE = re.compile(rb"\(((?:\\.|[^\\)])*)\)", re.S)


def _pdf_unescape(raw: bytes) -> str:
    text = raw.decode("latin-1")
    return re.sub(r"\\([nrt()\\])", lambda m: {"n": "\n", "r": "", "t": "\t"}.get(m[1], m[1]), text)


def pdf_page_texts(data: bytes) -> list[str]:
    """Naive text extraction: one page per content stream that draws text.

    Good for the simple PDFs tests generate (uncompressed or FlateDecode, Tj/TJ
    operators). Scanned or complex PDFs give [], i.e. nothing citable, which is
    also what the real API does with image-only PDFs.
    """
    pages: list[str] = []
    for match in _PDF_STREAM_RE.finditer(data):
        raw = match.group(1)
        if b"Tj" not in raw and b"TJ" not in raw:
            try:
                raw = zlib.decompressobj().decompress(raw)
            except zlib.error:
                continue
        pieces = [
            "".join(_pdf_unescape(s) for s in _PDF_STRING_RE.findall(op.group(0)))
            for op in _PDF_TEXT_OP_RE.finditer(raw)
        ]
        if pieces:
            pages.append(" ".join(p.strip() for p in pieces if p.strip()))
    return pages


def _pdf_chunks(data: str) -> list[Chunk]:
    try:
        pages = pdf_page_texts(base64.b64decode(data))
    except (binascii.Error, ValueError):
        return []
    return [
        Chunk(page[a:b], {"start_page_number": number, "end_page_number": number + 1})
        for number, page in enumerate(pages, start=1)
        for a, b in sentence_spans(page)
    ]


def _content_chunks(content: Any) -> list[Chunk]:
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
    return [
        Chunk(str(block.get("text", "")), {"start_block_index": i, "end_block_index": i + 1})
        for i, block in enumerate(blocks)
        if isinstance(block, dict) and block.get("type") == "text"
    ]


_URL_RE = re.compile(r"https?://[^\s<>\"'()\[\]{}]+")
_PUBLISHER_RE = re.compile(
    r"(?im)^\s*(?:publisher|publication|outlet|source|site(?:_name)?)\s*[:=]\s*(.+?)\s*$"
)
_PUBLISHER_KEYS = ("publisher", "publication", "outlet", "source", "site_name", "site")


def _clean_url(url: str) -> str:
    return url.rstrip(".,;:!?")


def _document_meta(title: str | None, context: str | None) -> tuple[str | None, str | None]:
    """(url, publisher) from a document's context (JSON or "Key: value" lines) or title."""
    url: str | None = None
    publisher: str | None = None
    try:
        meta = json.loads(context) if context else None
    except ValueError:
        meta = None
    if isinstance(meta, dict):
        url = meta.get("url") if isinstance(meta.get("url"), str) else None
        publisher = next(
            (str(meta[k]) for k in _PUBLISHER_KEYS if isinstance(meta.get(k), str) and meta[k]),
            None,
        )
    if publisher is None and context and (match := _PUBLISHER_RE.search(context)):
        publisher = match.group(1).strip().strip("\"'")
    for text in (context, title):
        if url is None and text and (found := _URL_RE.search(text)):
            url = _clean_url(found.group(0))
    return url, publisher


def _request_document(block: JSON, index: int) -> SourceDoc:
    source = block.get("source") or {}
    kind = source.get("type")
    if kind == "text":
        citation_type, chunks = "char_location", _char_chunks(source.get("data", ""))
    elif kind == "base64":
        citation_type, chunks = "page_location", _pdf_chunks(source.get("data", ""))
    elif kind == "content":
        citation_type, chunks = "content_block_location", _content_chunks(source.get("content"))
    else:  # url / file sources: the fake cannot read them, so nothing is citable
        citation_type, chunks = "page_location", []
    url, publisher = _document_meta(block.get("title"), block.get("context"))
    if url is None and kind == "url":
        url = source.get("url")
    numbered = re.match(r"Source (\d+)\b", block.get("title") or "")
    return SourceDoc(
        number=int(numbered.group(1)) if numbered else None,
        index=index,
        title=block.get("title"),
        citation_type=citation_type,
        chunks=chunks,
        citations_enabled=bool((block.get("citations") or {}).get("enabled")),
        url=url,
        publisher=publisher,
    )


def collect_documents(body: JSON) -> list[SourceDoc]:
    """Every document block of the request, indexed across all messages in order."""
    blocks = [
        block
        for message in body.get("messages", [])
        for block in _message_blocks(message)
        if block.get("type") == "document"
    ]
    return [_request_document(block, i) for i, block in enumerate(blocks)]


def user_text(body: JSON) -> str:
    """Text of the last user message (its text blocks), where the assignment lives."""
    for message in reversed(body.get("messages", [])):
        if message.get("role") == "user":
            return "\n".join(b["text"] for b in _message_blocks(message) if b.get("type") == "text")
    return ""


# --------------------------------------------------------------------------- topic & article

_TOPIC_PATTERNS = (
    re.compile(r"<topic>\s*(.+?)\s*</topic>", re.I | re.S),
    re.compile(
        r"^[\s*_#>-]*(?:topic|story|subject|headline|title|assignment)[*_]*\s*[:\-–—]\s*(.+?)\s*$",
        re.I | re.M,
    ),
    re.compile(
        r"\b(?:article|story|piece|draft|report|news|write-?up)\s+(?:about|on)\s+(.+?)(?:[.?!;\n]|$)",
        re.I,
    ),
    re.compile(r"\babout\s+(.+?)(?:[.?!;\n]|$)", re.I),
)
_SMALL_WORDS = frozenset(
    "a an and as at but by for from in into of on or per the to vs via with".split()
)


def _clean_topic(raw: str) -> str:
    text = _URL_RE.sub("", raw)
    text = re.sub(r"\s+", " ", text).strip().strip("\"'“”*_`").rstrip(".,;:!? ")
    words = text.split()
    return " ".join(words[:14])


def find_topic(text: str, docs: Sequence[SourceDoc]) -> str:
    """The story's topic from the prompt; falls back to the first document title."""
    for pattern in _TOPIC_PATTERNS:
        match = pattern.search(text)
        if match and (topic := _clean_topic(match.group(1))):
            return topic
    for doc in docs:
        if doc.title and (topic := _clean_topic(doc.title)):
            return topic
    return "the latest developments"


def headline_case(topic: str) -> str:
    """Title case that keeps acronyms ("EU") and leaves small words lower-case."""
    words = topic.split()
    out: list[str] = []
    for i, word in enumerate(words):
        if 0 < i < len(words) - 1 and word.lower() in _SMALL_WORDS and word.islower():
            out.append(word)
        else:
            out.append(word[:1].upper() + word[1:])
    return " ".join(out)


@dataclass(frozen=True)
class _Seg:
    """A piece of article text and the citations supporting it (empty: connective text)."""

    text: str
    citations: tuple[JSON, ...] = ()


def _flatten(text: str) -> str:
    return " ".join(text.split())


def _body_paragraph(doc: SourceDoc) -> list[_Seg]:
    marker = f" [{doc.marker}]"
    facts = doc.facts()
    if not facts:
        name = doc.title or f"Source {doc.index + 1}"
        return [_Seg(f"{name} was reviewed for this report.{marker}")]
    segs: list[_Seg] = []
    for i, fact in enumerate(facts):
        if i:
            segs.append(_Seg(" "))
        citations = (doc.cite(fact),) if doc.citations_enabled else ()
        segs.append(_Seg(_flatten(fact.text) + marker, citations))
    return segs


def _dek(topic: str, docs: Sequence[SourceDoc]) -> str:
    if not docs:
        return (
            f"New questions surround {topic}. "
            "No source documents were supplied, so this draft keeps to the assignment."
        )
    # counted in words: a digit here would be a figure no source states (grounding checks)
    sources = "one source has" if len(docs) == 1 else "the sources have"
    return (
        f"New reporting sheds light on {topic}. "
        f"This draft brings together what {sources} established so far."
    )


def _source_line(doc: SourceDoc) -> str:
    parts = [doc.title or f"Source {doc.index + 1}", doc.publisher or "Source"]
    if doc.url:
        parts.append(doc.url)
    return f"{doc.index + 1}. " + " - ".join(parts)


def compose_article(topic: str, docs: Sequence[SourceDoc]) -> list[_Seg]:
    """The house-format article; each quoted sentence is its own cited segment."""
    segs = [_Seg(f"# {headline_case(topic)}\n\n{_dek(topic, docs)}\n\n")]
    for doc in docs[:MAX_BODY_DOCUMENTS]:
        segs += _body_paragraph(doc)
        segs.append(_Seg("\n\n"))
    if not docs:
        segs.append(_Seg(f"Details about {topic} could not be confirmed from sources.\n\n"))
    segs.append(
        _Seg(
            "## Why It Matters\n\n"
            f"What happens with {topic} affects the people and institutions named in these "
            "reports. The details above come from the cited sources rather than speculation."
            "\n\n## The Bottom Line\n\n"
            f"The record on {topic} is still developing, but the sourced facts are clear."
            "\n\n## Sources\n\n"
        )
    )
    lines = [_source_line(doc) for doc in docs] or ["No sources were provided."]
    segs.append(_Seg("\n".join(lines)))
    return segs


def segments_to_blocks(segs: Iterable[_Seg], *, merge_uncited: bool = True) -> list[JSON]:
    """Cited segments become their own text block; connective text is merged between them."""
    blocks: list[JSON] = []
    for seg in segs:
        if not seg.text:
            continue
        previous = blocks[-1] if blocks else None
        if merge_uncited and not seg.citations and previous and "citations" not in previous:
            previous["text"] += seg.text
        else:
            blocks.append(text_block(seg.text, seg.citations))
    return blocks


def article_blocks(markdown: str, docs: Sequence[SourceDoc], *, cite: bool) -> list[JSON]:
    """`Article` behaviour: one block per paragraph, `[n]` paragraphs cite document n-1."""
    paragraphs = markdown.split("\n\n")
    segs: list[_Seg] = []
    for i, paragraph in enumerate(paragraphs):
        text = paragraph + ("\n\n" if i < len(paragraphs) - 1 else "")
        citations: list[JSON] = []
        for number in dict.fromkeys(int(n) for n in re.findall(r"\[(\d+)\]", paragraph)):
            doc = docs[number - 1] if 0 < number <= len(docs) else None
            chunk = doc.best_chunk(paragraph) if doc and cite and doc.citations_enabled else None
            if doc and chunk:
                citations.append(doc.cite(chunk))
        segs.append(_Seg(text, tuple(citations)))
    return segments_to_blocks(segs, merge_uncited=False)


# --------------------------------------------------------------------------- web fetch tool


def find_web_fetch_tool(body: JSON) -> JSON | None:
    for tool in body.get("tools") or []:
        if tool.get("type") in web_fetch_tool_types():
            return tool
    return None


def urls_in(text: str) -> list[str]:
    return list(dict.fromkeys(_clean_url(u) for u in _URL_RE.findall(text)))


def _domain_allowed(url: str, tool: JSON) -> bool:
    host = (urlsplit(url).hostname or "").lower()

    def matches(domains: Iterable[str]) -> bool:
        return any(host == d.lower() or host.endswith("." + d.lower()) for d in domains)

    if tool.get("allowed_domains"):
        return matches(tool["allowed_domains"])
    return not matches(tool.get("blocked_domains") or [])


def _page_title(url: str, text: str) -> str:
    first = text.strip().splitlines()[0].strip().lstrip("# ") if text.strip() else ""
    return first if 0 < len(first) <= 120 else url


def run_web_fetch(
    tool: JSON,
    urls: Sequence[str],
    pages: Mapping[str, str],
    first_index: int,
    *,
    allowed: frozenset[str] | None = None,
    uses_before: int = 0,
) -> tuple[list[JSON], list[SourceDoc]]:
    """server_tool_use + web_fetch_tool_result blocks per URL, and the fetched documents.

    `allowed`: the URLs the tool's `url_sources` lets it fetch (None: any in context);
    `uses_before`: fetches made earlier in the turn (before a pause_turn), for max_uses.
    """
    blocks: list[JSON] = []
    docs: list[SourceDoc] = []
    max_uses = tool.get("max_uses")
    cite = bool((tool.get("citations") or {}).get("enabled"))
    for n, url in enumerate(urls, start=uses_before):
        tool_id = _random_id("srvtoolu_01")
        blocks.append(
            {"type": "server_tool_use", "id": tool_id, "name": "web_fetch", "input": {"url": url}}
        )
        error = _fetch_error(url, tool, pages, n, max_uses)
        if error is None and allowed is not None and url not in allowed:
            error = "url_not_in_prior_context"
        if error:
            content: JSON = {"type": "web_fetch_tool_result_error", "error_code": error}
        else:
            text = _clip_page(pages[url], tool.get("max_content_tokens"))
            doc, content = _fetched_document(url, text, first_index + len(docs), cite)
            docs.append(doc)
        blocks.append({"type": "web_fetch_tool_result", "tool_use_id": tool_id, "content": content})
    return blocks, docs


def _clip_page(text: str, max_content_tokens: int | None) -> str:
    """`max_content_tokens` caps the page text that enters the context (~4 chars a token)."""
    return text if max_content_tokens is None else text[: max_content_tokens * 4]


def _fetch_error(
    url: str, tool: JSON, pages: Mapping[str, str], n: int, max_uses: int | None
) -> str | None:
    if max_uses is not None and n >= max_uses:
        return "max_uses_exceeded"
    if len(url) > 250:
        return "url_too_long"
    if not _domain_allowed(url, tool):
        return "url_not_allowed"
    if url not in pages:
        return "url_not_accessible"
    return None


def _fetched_document(url: str, text: str, index: int, cite: bool) -> tuple[SourceDoc, JSON]:
    title = _page_title(url, text)
    document: JSON = {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": text},
        "title": title,
    }
    if cite:
        document["citations"] = {"enabled": True}
    result = {
        "type": "web_fetch_result",
        "url": url,
        "content": document,
        "retrieved_at": _now_iso(),
    }
    doc = SourceDoc(
        index=index,
        title=title,
        citation_type="char_location",
        chunks=_char_chunks(text),
        citations_enabled=cite,
        url=url,
        publisher=urlsplit(url).hostname,
    )
    return doc, result


def _assistant_blocks(body: JSON) -> list[JSON]:
    return [
        block
        for message in body.get("messages", [])
        if message.get("role") == "assistant"
        for block in _message_blocks(message)
    ]


def earlier_fetches(body: JSON, first_index: int) -> tuple[list[str], list[SourceDoc]]:
    """URLs fetched earlier in a paused turn, and the pages that came back (sent back to
    the API in the assistant message that continues the turn)."""
    blocks = _assistant_blocks(body)
    urls = [
        str((b.get("input") or {}).get("url"))
        for b in blocks
        if b.get("type") == "server_tool_use" and b.get("name") == "web_fetch"
    ]
    docs: list[SourceDoc] = []
    for block in blocks:
        result = block.get("content") if block.get("type") == "web_fetch_tool_result" else None
        if isinstance(result, dict) and result.get("type") == "web_fetch_result":
            page = result.get("content") or {}
            text = str((page.get("source") or {}).get("data") or "")
            cite = bool((page.get("citations") or {}).get("enabled"))
            doc, _ = _fetched_document(str(result.get("url")), text, first_index + len(docs),
                                       cite)
            docs.append(doc)
    return urls, docs


def document_urls(body: JSON) -> list[str]:
    """Links written inside the request's text documents."""
    texts = [
        str((block.get("source") or {}).get("data") or "")
        for message in body.get("messages", [])
        if message.get("role") == "user"
        for block in _message_blocks(message)
        if block.get("type") == "document" and (block.get("source") or {}).get("type") == "text"
    ]
    return urls_in("\n".join(texts))


@dataclass(frozen=True)
class FetchHabits:
    """How the fake model uses the web fetch tool.

    `max_iterations`: server tool calls per request before the API pauses the turn
    (stop_reason "pause_turn"); `follow_document_links`: also fetch links found inside
    the documents (a curious model might), not only the URLs in the editor's text.
    """

    pages: Mapping[str, str]
    max_iterations: int = 10
    follow_document_links: bool = False


def _fetchable(body: JSON, tool: JSON) -> frozenset[str] | None:
    """The URLs `url_sources` allows; None when it allows everything in context."""
    user_input = ((tool.get("url_sources") or {}).get("user_input") or {}).get("type", "all")
    return frozenset() if user_input == "none" else None


# --------------------------------------------------------------------------- replies


def _numbered(fetched: list[SourceDoc], text: str) -> list[SourceDoc]:
    """The prompt's "[n] URL" line numbers a fetched page (a page no line names: None)."""
    for doc in fetched:
        listed = re.search(r"\[(\d+)\]\s+" + re.escape(doc.url or ""), text)
        doc.number = int(listed.group(1)) if listed else None
    return fetched


def default_reply(body: JSON, pages: Mapping[str, str] | FetchHabits) -> Reply:
    """The article for this request, after any web fetches the prompt calls for.

    When more fetches are due than the API runs in one request, the turn pauses
    ("pause_turn") after those; the request that continues it (the paused content sent
    back as the last assistant message) fetches the rest and writes the article.
    """
    habits = pages if isinstance(pages, FetchHabits) else FetchHabits(pages)
    docs = collect_documents(body)
    done, earlier = earlier_fetches(body, len(docs))
    text = user_text(body)
    docs += _numbered(earlier, text)
    tool_blocks: list[JSON] = []
    tool = find_web_fetch_tool(body)
    if tool is not None:
        wanted = urls_in(text) + (document_urls(body) if habits.follow_document_links else [])
        wanted = [u for u in dict.fromkeys(wanted) if u not in done]
        now = wanted[: habits.max_iterations]
        tool_blocks, fetched = run_web_fetch(tool, now, habits.pages, len(docs),
                                             allowed=_fetchable(body, tool),
                                             uses_before=len(done))
        if len(wanted) > len(now):
            return Reply(tool_blocks, "pause_turn")
        docs += _numbered(fetched, text)
    topic = find_topic(text, docs)
    return Reply(tool_blocks + segments_to_blocks(compose_article(topic, docs)))


def truncate_text(content: list[JSON], limit: int) -> list[JSON]:
    """Keep at most `limit` characters of text, dropping every block after the cut."""
    kept: list[JSON] = []
    remaining = limit
    for block in content:
        if block.get("type") != "text":
            kept.append(block)
            continue
        if remaining <= 0:
            break
        if len(block["text"]) > remaining:
            kept.append({**block, "text": block["text"][:remaining]})
            break
        kept.append(block)
        remaining -= len(block["text"])
    return kept


def _text_length(content: Sequence[JSON]) -> int:
    return sum(len(b["text"]) for b in content if b.get("type") == "text")


def apply_stop_sequences(reply: Reply, stop_sequences: Sequence[str]) -> Reply:
    if reply.stop_reason != "end_turn" or not stop_sequences:
        return reply
    full = "".join(b["text"] for b in reply.content if b.get("type") == "text")
    hits = [(full.find(s), s) for s in stop_sequences if s in full]
    if not hits:
        return reply
    position, sequence = min(hits)
    return Reply(truncate_text(reply.content, position), "stop_sequence", sequence)


def apply_max_tokens(reply: Reply, max_tokens: int) -> Reply:
    """Cut the text where `max_tokens` (at ~4 chars per token) runs out, like the model would."""
    if count_output_tokens(reply) <= max_tokens:
        return reply
    return Reply(truncate_text(reply.content, max_tokens * 4), "max_tokens")


_BEHAVIOUR_TYPES: tuple[type, ...] = typing.get_args(Behaviour)


def reply_from_custom(result: Any) -> Reply | Behaviour:
    """Normalise what a `Custom` function returned."""
    if isinstance(result, Reply) or isinstance(result, _BEHAVIOUR_TYPES):
        return result
    if isinstance(result, tuple) and len(result) == 2:
        return Reply(list(result[0]), result[1])
    if isinstance(result, list):
        return Reply(result)
    raise TypeError(f"Custom behaviour returned {type(result).__name__}, not a Reply/list/tuple")


# --------------------------------------------------------------------------- stream events


def _block_events(index: int, block: JSON, chunk_size: int) -> Iterator[tuple[str, JSON]]:
    """content_block_start / *_delta / content_block_stop for one finished block."""
    kind = block.get("type")
    if kind == "text":
        start: JSON = {"type": "text", "text": ""}
        if block.get("citations"):
            start["citations"] = []
        yield (
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": start},
        )
        for citation in block.get("citations") or []:
            yield _delta(index, {"type": "citations_delta", "citation": citation})
        for piece in _chunks(block["text"], chunk_size):
            yield _delta(index, {"type": "text_delta", "text": piece})
    elif kind in ("tool_use", "server_tool_use"):
        start = {**block, "input": {}}
        yield (
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": start},
        )
        for piece in _chunks(json.dumps(block.get("input", {})), chunk_size):
            yield _delta(index, {"type": "input_json_delta", "partial_json": piece})
    else:
        yield (
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": block},
        )
    yield "content_block_stop", {"type": "content_block_stop", "index": index}


def _delta(index: int, delta: JSON) -> tuple[str, JSON]:
    return "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}


def message_events(message: JSON, usage: Usage, chunk_size: int) -> Iterator[tuple[str, JSON]]:
    """The full SSE sequence for a finished Message, in the API's order.

    message_start, then per block content_block_start / deltas / content_block_stop
    (a ping right after the first content_block_start, or after message_start when
    there is no content), message_delta, message_stop.
    """
    start_message = {
        **message,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "stop_details": None,
        "usage": usage.message(at_start=True),
    }
    yield "message_start", {"type": "message_start", "message": start_message}
    pinged = False
    for index, block in enumerate(message["content"]):
        for name, data in _block_events(index, block, chunk_size):
            yield name, data
            if not pinged:
                yield "ping", {"type": "ping"}
                pinged = True
    if not pinged:
        yield "ping", {"type": "ping"}
    delta = {
        "stop_reason": message["stop_reason"],
        "stop_sequence": message["stop_sequence"],
        "stop_details": message["stop_details"],
    }
    yield "message_delta", {"type": "message_delta", "delta": delta, "usage": usage.delta()}
    yield "message_stop", {"type": "message_stop"}


def _sse(name: str, data: JSON) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def error_body(error_type: str, message: str, request_id: str | None) -> JSON:
    body: JSON = {"type": "error", "error": {"type": error_type, "message": message}}
    if request_id:
        body["request_id"] = request_id
    return body


# --------------------------------------------------------------------------- models


def model_info(
    model_id: str,
    *,
    max_input_tokens: int = 200_000,
    max_tokens: int = 64_000,
    lifecycle: Mapping[str, Any] | None = None,
) -> JSON:
    """A ModelInfo; display name from the id ("claude-sonnet-5-5" gives "Claude Sonnet 5.5").

    `lifecycle` overrides the model's lifecycle fields: {"lifecycle": "deprecated",
    "deprecated_at": "2026-11-01T00:00:00Z", "retires_at": "2027-01-05T00:00:00Z"}.
    """
    parts = [p for p in model_id.split("-") if not (p.isdigit() and len(p) == 8)]
    words = [p.capitalize() for p in parts if not p.isdigit()]
    version = ".".join(p for p in parts if p.isdigit())
    line = next((w for w in ("haiku", "sonnet", "opus") if w in parts), None)
    return {
        "type": "model",
        "id": model_id,
        "display_name": " ".join(words + ([version] if version else [])),
        "created_at": "2026-01-01T00:00:00Z",
        "lifecycle": "active",
        "deprecated_at": None,
        "retires_at": None,
        "line": line,
        "max_input_tokens": max_input_tokens,
        "max_tokens": max_tokens,
        **(lifecycle or {}),
    }


def apply_context_window(reply: Reply, room: int) -> Reply:
    """Stop where the context window is full: what the prompt and fetched pages left
    (`room` tokens) is all the model can write ("model_context_window_exceeded")."""
    if count_output_tokens(reply) <= room or reply.stop_reason != "end_turn":
        return reply
    return Reply(truncate_text(reply.content, max(room, 0) * 4), "model_context_window_exceeded")


# --------------------------------------------------------------------------- the server

_RECORD = web.RequestKey("record", RecordedRequest)
_REQUEST_ID = web.RequestKey("request_id", str)


class FakeAnthropic:
    """The fake API server; see the module docstring for the public API."""

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        models: Iterable[str] | None = None,
        web_pages: Mapping[str, str] | None = None,
        chunk_size: int = 16,
        event_delay: float = 0.0,
        cache_min_tokens: int = 1024,
        max_output_tokens: int = 128_000,
        context_window: int = 200_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api_key = api_key
        self.models: tuple[str, ...] = tuple(models) if models is not None else sdk_models()
        self.web_pages: dict[str, str] = dict(web_pages or {})
        self.chunk_size = chunk_size
        self.event_delay = event_delay
        self.max_output_tokens = max_output_tokens
        self.context_window = context_window
        self.model_lifecycle: dict[str, dict[str, Any]] = {}
        self.tool_versions: frozenset[str] | None = None
        self.max_server_iterations = 10
        self.follow_document_links = False
        self.requests: list[RecordedRequest] = []
        self.stats = FakeStats()
        self._cache = PromptCache(cache_min_tokens, clock)
        self._script: deque[Behaviour] = deque()
        self._default: Behaviour = DefaultArticle()
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._closing = asyncio.Event()

    # ----- lifecycle

    async def start(self) -> None:
        """Bind 127.0.0.1 on a free port; `base_url` is valid afterwards."""
        if self._runner is not None:
            return
        self._closing = asyncio.Event()
        runner = web.AppRunner(
            self._build_app(), handle_signals=False, shutdown_timeout=1.0, handler_cancellation=True
        )
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        self._runner = runner
        self._base_url = f"http://{host}:{port}"
        log.info("fake Anthropic API listening on %s", self._base_url)

    async def stop(self) -> None:
        """Release any hanging requests, then close the server."""
        if self._runner is None:
            return
        self._closing.set()
        await self._runner.cleanup()
        self._runner = None
        log.info("fake Anthropic API on %s stopped", self._base_url)

    async def __aenter__(self) -> FakeAnthropic:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("FakeAnthropic is not started; await fake.start() first")
        return self._base_url

    # ----- configuration & inspection

    @property
    def cache_min_tokens(self) -> int:
        return self._cache.min_tokens

    @cache_min_tokens.setter
    def cache_min_tokens(self, value: int) -> None:
        self._cache.min_tokens = value

    @property
    def last_request(self) -> RecordedRequest | None:
        """The most recent request of any kind (messages, count_tokens, models)."""
        return self.requests[-1] if self.requests else None

    @property
    def message_requests(self) -> list[RecordedRequest]:
        """Only the POST /v1/messages requests, in arrival order."""
        return [r for r in self.requests if r.method == "POST" and r.path == "/v1/messages"]

    @property
    def pending(self) -> int:
        """Scripted behaviours not consumed yet."""
        return len(self._script)

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours, one per valid POST /v1/messages, before the default resumes."""
        for behaviour in behaviours:
            if not isinstance(behaviour, _BEHAVIOUR_TYPES):
                raise TypeError(f"not a behaviour: {behaviour!r}")
        self._script.extend(behaviours)

    def set_default(self, behaviour: Behaviour | None) -> None:
        """What answers when the script is empty; None restores the generated article."""
        self._default = behaviour if behaviour is not None else DefaultArticle()

    def outage(self, n: int, *, retry_after_ms: float | None = 10.0) -> None:
        """The next `n` message requests get 529 overloaded_error."""
        self.script(*(Overloaded(retry_after_ms=retry_after_ms) for _ in range(n)))

    def clear_cache(self) -> None:
        """Forget every prompt-cache entry (as if the TTL expired)."""
        self._cache.clear()

    def reset(self) -> None:
        """Forget requests, stats, script, default and cache; keeps the server running."""
        self.requests.clear()
        self.stats = FakeStats()
        self._script.clear()
        self._default = DefaultArticle()
        self._cache.clear()

    # ----- app wiring

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_post("/v1/messages", self._handle_messages)
        app.router.add_post("/v1/messages/count_tokens", self._handle_count_tokens)
        app.router.add_get("/v1/models", self._handle_list_models)
        app.router.add_get("/v1/models/{model_id}", self._handle_get_model)
        return app

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        """Record the request, then turn ApiError / unknown routes into API-shaped errors."""
        record = await self._record(request)
        request[_RECORD] = record
        request[_REQUEST_ID] = _random_id("req_011C", 20)
        try:
            response: web.StreamResponse = await handler(request)
        except ApiError as exc:
            response = self._error_response(request, exc)
        except web.HTTPException as exc:
            error_type = "not_found_error" if exc.status == 404 else "invalid_request_error"
            response = self._error_response(request, ApiError(exc.status, error_type, exc.reason))
        except Exception as exc:  # a bug in the fake: make it loud in the test log
            log.exception("fake Anthropic crashed on %s %s", request.method, request.path)
            response = self._error_response(request, ApiError(500, "api_error", repr(exc)))
        record.status = response.status
        return response

    async def _record(self, request: web.Request) -> RecordedRequest:
        self.stats.requests += 1
        raw = await request.read()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        headers = {
            k.lower(): (_REDACTED if k.lower() in ("x-api-key", "authorization") else v)
            for k, v in request.headers.items()
        }
        record = RecordedRequest(request.method, request.path, headers, body, dict(request.query))
        self.requests.append(record)
        log.debug("fake Anthropic <- %s %s", request.method, request.path)
        return record

    def _error_response(self, request: web.Request, error: ApiError) -> web.Response:
        self.stats.errors += 1
        request_id = request.get(_REQUEST_ID)
        log.info("fake Anthropic -> %s %s", error.status, error.error_type)
        return web.json_response(
            error_body(error.error_type, error.message, request_id),
            status=error.status,
            headers={**self._base_headers(request), **error.headers},
        )

    @staticmethod
    def _base_headers(request: web.Request) -> dict[str, str]:
        return {
            "request-id": request.get(_REQUEST_ID, ""),
            "anthropic-organization-id": ORGANIZATION_ID,
        }

    def _authenticate(self, request: web.Request) -> None:
        """Accept `x-api-key: KEY` or `Authorization: Bearer KEY` (what SDK 2.x sends)."""
        key = request.headers.get("x-api-key")
        bearer = request.headers.get("authorization", "")
        if key is None and bearer.lower().startswith("bearer "):
            key = bearer[7:].strip()
        if key is None:
            raise ApiError(401, "authentication_error", "x-api-key header is required")
        if key != self.api_key:
            raise ApiError(401, "authentication_error", "invalid x-api-key")
        if "anthropic-version" not in request.headers:
            raise _invalid("anthropic-version: header is required")

    def _json_body(self, request: web.Request) -> Any:
        body = request[_RECORD].body
        if not isinstance(body, dict):
            raise _invalid(
                "There was an error parsing the body of your request: expected a JSON object"
            )
        return body

    def _model_info(self, model_id: str) -> JSON:
        return model_info(model_id, max_input_tokens=self.context_window,
                          max_tokens=min(self.max_output_tokens, 128_000),
                          lifecycle=self.model_lifecycle.get(model_id))

    def _check_model(self, model: str) -> None:
        """Unknown and retired models cannot be called (retired ones stay in the catalogue)."""
        if model not in self.models:
            raise ApiError(404, "not_found_error", f"model: {model}")
        if (self.model_lifecycle.get(model) or {}).get("lifecycle") == "retired":
            raise ApiError(404, "not_found_error", f"model: {model} has been retired")

    def _check_tools(self, body: JSON) -> None:
        """A tool version this API does not know is a 400, like any unknown tag."""
        if self.tool_versions is None:
            return
        for i, tool in enumerate(body.get("tools") or []):
            kind = tool.get("type")
            if kind not in (None, "custom") and kind not in self.tool_versions:
                raise _invalid(
                    f"tools.{i}: Input tag '{kind}' found using 'type' does not match any of "
                    "the expected tags"
                )

    def _check_window(self, body: JSON) -> None:
        tokens = count_input_tokens(body)
        if tokens > self.context_window:
            raise _invalid(f"prompt is too long: {tokens} tokens > {self.context_window} maximum")

    # ----- handlers

    async def _handle_get_model(self, request: web.Request) -> web.Response:
        self._authenticate(request)
        model_id = request.match_info["model_id"]
        if model_id not in self.models:
            raise ApiError(404, "not_found_error", f"model: {model_id}")
        return web.json_response(self._model_info(model_id), headers=self._base_headers(request))

    async def _handle_list_models(self, request: web.Request) -> web.Response:
        self._authenticate(request)
        data = [self._model_info(m) for m in self.models]
        after, before = request.query.get("after_id"), request.query.get("before_id")
        ids = [m["id"] for m in data]
        if after in ids:
            data = data[ids.index(after) + 1 :]
        elif before in ids:
            data = data[: ids.index(before)]
        limit = int(request.query.get("limit", "20"))
        page, has_more = data[:limit], len(data) > limit
        return web.json_response(
            {
                "data": page,
                "has_more": has_more,
                "first_id": page[0]["id"] if page else None,
                "last_id": page[-1]["id"] if page else None,
            },
            headers=self._base_headers(request),
        )

    async def _handle_count_tokens(self, request: web.Request) -> web.Response:
        self._authenticate(request)
        body = validate_count_tokens(self._json_body(request))
        self._check_model(body["model"])
        self._check_tools(body)
        return web.json_response(
            {"input_tokens": count_input_tokens(body)}, headers=self._base_headers(request)
        )

    async def _handle_messages(self, request: web.Request) -> web.StreamResponse:
        self._authenticate(request)
        body = validate_create(self._json_body(request), max_output_tokens=self.max_output_tokens)
        self._check_model(body["model"])
        self._check_tools(body)
        self._check_window(body)
        behaviour = self._next_behaviour()
        log.debug("fake Anthropic answering with %r", behaviour)
        return await self._perform(request, body, behaviour)

    def _next_behaviour(self) -> Behaviour:
        if self._script:
            self.stats.scripted += 1
            return self._script.popleft()
        return self._default

    # ----- behaviours

    async def _perform(
        self, request: web.Request, body: JSON, behaviour: Behaviour
    ) -> web.StreamResponse:
        streaming = bool(body.get("stream"))
        for _ in range(10):  # Custom/Hang may hand over to another behaviour
            if isinstance(behaviour, Hang) and not (streaming and behaviour.mid_stream):
                if await self._hang(behaviour.seconds):
                    raise ApiError(529, "overloaded_error", "Server shutting down")
                behaviour = behaviour.then or self._default_after_hang()
                continue
            if isinstance(behaviour, Custom):
                outcome = reply_from_custom(behaviour.fn(body))
                if isinstance(outcome, Reply):
                    return await self._respond(request, body, outcome, behaviour)
                behaviour = outcome
                continue
            self._raise_if_error(behaviour, streaming)
            reply = self._reply_for(body, behaviour)
            return await self._respond(request, body, reply, behaviour)
        raise RuntimeError("behaviours handed over to each other more than 10 times")

    def _default_after_hang(self) -> Behaviour:
        return self._default if not isinstance(self._default, Hang) else DefaultArticle()

    async def _hang(self, seconds: float | None) -> bool:
        """Wait `seconds` (None: forever) but never past `stop()`; True if stop() ended it."""
        try:
            await asyncio.wait_for(self._closing.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    @staticmethod
    def _raise_if_error(behaviour: Behaviour, streaming: bool) -> None:
        if isinstance(behaviour, Overloaded):
            headers = {}
            if behaviour.retry_after_ms is not None:
                headers["retry-after-ms"] = _format_seconds(behaviour.retry_after_ms)
            raise ApiError(529, "overloaded_error", behaviour.message, headers)
        if isinstance(behaviour, RateLimited):
            headers = {
                "retry-after": _format_seconds(behaviour.retry_after),
                "anthropic-ratelimit-requests-remaining": "0",
            }
            if behaviour.retry_after_ms is not None:
                headers["retry-after-ms"] = _format_seconds(behaviour.retry_after_ms)
            raise ApiError(429, "rate_limit_error", behaviour.message, headers)
        if isinstance(behaviour, ServerError):
            headers = {}
            if behaviour.retry_after_ms is not None:
                headers["retry-after-ms"] = _format_seconds(behaviour.retry_after_ms)
            raise ApiError(behaviour.status, behaviour.error_type, behaviour.message, headers)
        if isinstance(behaviour, MidStreamError) and not streaming:
            raise ApiError(529, behaviour.error_type, behaviour.message)

    def _reply_for(self, body: JSON, behaviour: Behaviour) -> Reply:
        """The content a non-error behaviour answers with."""
        if isinstance(behaviour, Refusal):
            content = [text_block(behaviour.partial_text)] if behaviour.partial_text else []
            details = {
                "type": "refusal",
                "category": behaviour.category,
                "explanation": behaviour.explanation,
            }
            return Reply(content, "refusal", stop_details=details)
        if isinstance(behaviour, Article):
            return Reply(
                article_blocks(
                    behaviour.markdown, collect_documents(body), cite=behaviour.citations
                )
            )
        reply = default_reply(body, FetchHabits(self.web_pages, self.max_server_iterations,
                                                self.follow_document_links))
        if isinstance(behaviour, MaxTokens):
            limit = int(_text_length(reply.content) * behaviour.fraction)
            return Reply(truncate_text(reply.content, limit), "max_tokens")
        return reply

    # ----- responding

    def _finish(self, body: JSON, reply: Reply) -> tuple[Reply, Usage]:
        """Apply stop sequences / max_tokens and account the tokens (updating the cache)."""
        reply = apply_stop_sequences(reply, body.get("stop_sequences") or [])
        reply = apply_max_tokens(reply, body["max_tokens"])
        segments = prompt_segments(body)
        cache_usage = self._cache.process(body["model"], segments, body.get("cache_control"))
        total = max(1, sum(s.tokens for s in segments))
        fetches = sum(1 for b in reply.content if b.get("type") == "server_tool_use")
        fetched = sum(
            _estimate_tokens(_block_text(b["content"]["content"]))
            for b in reply.content
            if b.get("type") == "web_fetch_tool_result"
            and b.get("content", {}).get("type") == "web_fetch_result"
        )
        reply = apply_context_window(reply, self.context_window - total - fetched)
        output = count_output_tokens(reply)
        if reply.stop_reason == "max_tokens":
            output = body["max_tokens"]
        uncached = total - cache_usage.read - cache_usage.created
        return reply, Usage(uncached, cache_usage, output, fetches, fetched)

    async def _respond(
        self, request: web.Request, body: JSON, reply: Reply, behaviour: Behaviour
    ) -> web.StreamResponse:
        reply, usage = self._finish(body, reply)
        message = {
            "id": _random_id("msg_01"),
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": reply.content,
            "stop_reason": reply.stop_reason,
            "stop_sequence": reply.stop_sequence,
            "stop_details": reply.stop_details,
            "usage": usage.message(),
        }
        if not body.get("stream"):
            self.stats.messages_completed += 1
            return web.json_response(message, headers=self._base_headers(request))
        return await self._stream(request, message, usage, behaviour)

    async def _stream(
        self, request: web.Request, message: JSON, usage: Usage, behaviour: Behaviour
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            status=200,
            headers={
                **self._base_headers(request),
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
            },
        )
        await response.prepare(request)
        self.stats.streams_started += 1
        record = request[_RECORD]
        try:
            await self._write_events(response, record, message, usage, behaviour)
            await response.write_eof()
        except (ConnectionResetError, asyncio.CancelledError) as exc:
            log.info("fake Anthropic: client went away mid-stream (%s)", type(exc).__name__)
            if isinstance(exc, asyncio.CancelledError):
                raise
        return response

    async def _write_events(
        self,
        response: web.StreamResponse,
        record: RecordedRequest,
        message: JSON,
        usage: Usage,
        behaviour: Behaviour,
    ) -> None:
        deltas = 0
        for name, data in message_events(message, usage, self.chunk_size):
            if name == "content_block_delta":
                if isinstance(behaviour, MidStreamError) and deltas >= behaviour.after_deltas:
                    await self._send_stream_error(response, record, behaviour)
                    return
                if isinstance(behaviour, Hang) and deltas == behaviour.after_deltas:
                    if await self._hang(behaviour.seconds):
                        return
                deltas += 1
            await response.write(_sse(name, data))
            record.events.append(name)
            if name == "message_stop":
                self.stats.streams_completed += 1
            if self.event_delay > 0:
                await asyncio.sleep(self.event_delay)

    async def _send_stream_error(
        self, response: web.StreamResponse, record: RecordedRequest, behaviour: MidStreamError
    ) -> None:
        self.stats.errors += 1
        await response.write(
            _sse("error", error_body(behaviour.error_type, behaviour.message, None))
        )
        record.events.append("error")
        log.info("fake Anthropic -> SSE error %s mid-stream", behaviour.error_type)


__all__ = [
    "DEFAULT_API_KEY",
    "ApiError",
    "Article",
    "Behaviour",
    "Custom",
    "DefaultArticle",
    "FakeAnthropic",
    "FakeStats",
    "Hang",
    "MaxTokens",
    "MidStreamError",
    "Overloaded",
    "RateLimited",
    "RecordedRequest",
    "Refusal",
    "Reply",
    "ServerError",
    "text_block",
]
