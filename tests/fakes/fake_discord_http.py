"""HTTP plumbing of the fake Discord: errors, routing, rate limits, stats, fault injection.

Kept separate from the endpoint handlers so that the behaviour every request shares
(the exact JSON content type discord.py insists on, the ``Via`` header without which
discord.py treats a 429 as a Cloudflare ban, rate limit headers) lives in one place.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import MultiMapping

logger = logging.getLogger(__name__)

JSON_HEADERS = {"Content-Type": "application/json"}
"""discord.py compares the content type with ``==``, so no ``; charset=utf-8``."""

RATE_LIMITED_MESSAGE = "You are being rate limited."


class ApiError(Exception):
    """A Discord API error response: HTTP status + JSON ``{code, message[, errors]}``."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body Discord sends for this error."""
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


class RateLimitedError(Exception):
    """Raised by a handler hitting a limit of its own, e.g. crossposts/hour.

    ``headers`` replace the route bucket's headers when the handler describes the
    limit itself (the "bucket" reading of the crosspost limit)."""

    def __init__(self, retry_after: float, scope: str = "shared",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"rate limited for {retry_after}s ({scope})")
        self.retry_after = retry_after
        self.scope = scope
        self.headers = headers


class Gate:
    """Holds matching requests after ``after`` of them have passed, until released.

    Tests use it to freeze a fan-out mid-way (requests already sent by the bot and
    not yet answered), act, then let the held requests land.
    """

    def __init__(self, method: str, path_regex: str, after: int,
                 where: Callable[[Any], bool] | None = None) -> None:
        self.method = method.upper()
        self.regex = re.compile(path_regex)
        self.after = after
        self.where = where
        self.passed = 0
        self.held = 0
        self._open = asyncio.Event()

    def matches(self, method: str, path: str, body: Any) -> bool:
        return (self.method in ("*", method) and self.regex.search(path) is not None
                and (self.where is None or self.where(body)))

    async def enter(self) -> None:
        if self._open.is_set() or self.passed < self.after:
            self.passed += 1
            return
        self.held += 1
        try:
            await self._open.wait()
        finally:
            self.held -= 1
        self.passed += 1

    def release(self) -> None:
        """Let every held request (and every later one) through."""
        self._open.set()

    async def wait_held(self, count: int, timeout: float = 10.0) -> None:
        """Until at least ``count`` requests wait at the gate."""
        async with asyncio.timeout(timeout):
            while self.held < count:
                await asyncio.sleep(0.01)


# Frequently used Discord errors, named after Discord's JSON error codes.
def unknown_channel() -> ApiError:
    """10003."""
    return ApiError(404, 10003, "Unknown Channel")


def unknown_message() -> ApiError:
    """10008."""
    return ApiError(404, 10008, "Unknown Message")


def unknown_webhook() -> ApiError:
    """10015."""
    return ApiError(404, 10015, "Unknown Webhook")


def unknown_interaction() -> ApiError:
    """10062: also what Discord answers to a callback after the 3 s deadline."""
    return ApiError(404, 10062, "Unknown interaction")


def missing_access() -> ApiError:
    """50001: the bot cannot see the channel."""
    return ApiError(403, 50001, "Missing Access")


def missing_permissions() -> ApiError:
    """50013: the bot can see the channel but lacks a permission."""
    return ApiError(403, 50013, "Missing Permissions")


def invalid_webhook_token() -> ApiError:
    """50027: unknown or expired interaction token."""
    return ApiError(401, 50027, "Invalid Webhook Token")


class FormErrors:
    """Collects field validation failures into Discord's nested 50035 error shape."""

    def __init__(self) -> None:
        self._items: list[tuple[tuple[str | int, ...], str, str]] = []

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        """Record one failure at a JSON path such as ``("embeds", 0, "title")``."""
        self._items.append((path, code, message))

    def max_length(self, path: tuple[str | int, ...], limit: int) -> None:
        """Record a BASE_TYPE_MAX_LENGTH failure."""
        self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def __bool__(self) -> bool:
        return bool(self._items)

    def raise_if_any(self) -> None:
        """Raise the 400 Invalid Form Body error when something was recorded."""
        if not self._items:
            return
        tree: dict[str, Any] = {}
        for path, code, message in self._items:
            node = tree
            for part in path:
                node = node.setdefault(str(part), {})
            node.setdefault("_errors", []).append({"code": code, "message": message})
        raise ApiError(400, 50035, "Invalid Form Body", errors=tree)


@dataclass
class UploadedFile:
    """One ``files[n]`` part of a multipart request."""

    index: int
    filename: str
    data: bytes
    content_type: str


@dataclass
class ApiRequest:
    """What a handler gets: route parameters, parsed JSON body and uploaded files."""

    method: str
    path: str
    params: dict[str, str]
    query: MultiMapping[str]
    body: Any
    files: list[UploadedFile]
    route_key: str

    def flag(self, name: str) -> bool:
        """Discord-style boolean query parameter (``true``/``1``)."""
        return self.query.get(name, "").lower() in ("1", "true")


@dataclass
class ApiResponse:
    """A handler result; ``body=None`` with status 204 means no content."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[ApiRequest], Awaitable[ApiResponse | Any]]


@dataclass(frozen=True)
class RouteSpec:
    """One REST route: ``auth`` (needs ``Bot`` token) and ``global_limit`` (counts
    toward the global limit; interaction/webhook-token and CDN routes do not)."""

    method: str
    template: str
    handler: Handler
    auth: bool
    global_limit: bool
    regex: re.Pattern[str]

    @property
    def key(self) -> str:
        """``"POST /channels/{channel_id}/messages"``: used for stats and limits."""
        return f"{self.method} {self.template}"


class Router:
    """Matches (method, path) to a RouteSpec; templates use ``{name}`` segments."""

    def __init__(self) -> None:
        self._routes: list[RouteSpec] = []

    def add(
        self,
        method: str,
        template: str,
        handler: Handler,
        *,
        auth: bool = True,
        global_limit: bool = True,
    ) -> None:
        """Register a route; literal routes must be added before overlapping templates."""
        segments = [
            f"(?P<{seg[1:-1]}>[^/]+)" if seg.startswith("{") else re.escape(seg)
            for seg in template.split("/")
        ]
        regex = re.compile("^" + "/".join(segments) + "/?$")
        self._routes.append(RouteSpec(method, template, handler, auth, global_limit, regex))

    def resolve(self, method: str, path: str) -> tuple[RouteSpec, dict[str, str]] | bool | None:
        """The matching route and params; ``False`` when only the method is wrong."""
        path_matched = False
        for spec in self._routes:
            match = spec.regex.match(path)
            if match is None:
                continue
            if spec.method == method:
                return spec, match.groupdict()
            path_matched = True
        return False if path_matched else None


# ----------------------------------------------------------------- rate limits
# Discord's rate limits (https://discord.com/developers/docs/topics/rate-limits):
# * per-route limits, counted per top-level resource in the path (channel_id, guild_id,
#   webhook_id + webhook_token), announced on responses by X-RateLimit-Limit, -Remaining,
#   -Reset (epoch seconds), -Reset-After (seconds, with decimals) and -Bucket (a hash that
#   routes sharing one limit share, not including the top-level resource);
# * a 429 carries Retry-After (whole seconds), X-RateLimit-Scope (user: the route's own
#   limit; global; shared: a limit on the resource, e.g. crossposts of a channel, which
#   does not count as an invalid request) and a JSON body {message, retry_after (seconds,
#   decimals), global, code?};
# * a global limit of 50 requests per second per bot; interaction endpoints (the callback
#   and the interaction webhook routes, whose token is the interaction's) are not bound
#   by it. A global 429 has X-RateLimit-Global: true and no bucket headers;
# * 10,000 invalid requests (401, 403, 429 other than `shared`) in 10 minutes get the IP
#   banned by Cloudflare for a while: a 429 that is not JSON and has no `Via` header.
# The numbers per route are not documented ("should not be hard coded") and change; the
# values below are what Discord's headers have announced for these routes, and tests
# may change them at run time through `fake.route_limits`.
DEFAULT_ROUTE_LIMITS: dict[str, tuple[int, float]] = {
    "POST /channels/{channel_id}/messages": (5, 5.0),
    "PATCH /channels/{channel_id}/messages/{message_id}": (5, 5.0),
    "DELETE /channels/{channel_id}/messages/{message_id}": (5, 1.0),
    "POST /channels/{channel_id}/messages/bulk-delete": (1, 1.0),
    "POST /channels/{channel_id}/messages/{message_id}/crosspost": (5, 5.0),
    "POST /channels/{channel_id}/messages/{message_id}/threads": (5, 5.0),
    "POST /channels/{channel_id}/threads": (5, 5.0),
    "PATCH /channels/{channel_id}": (5, 5.0),
    "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me": (1, 0.25),
    "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me": (1, 0.25),
    "POST /channels/{channel_id}/followers": (5, 5.0),
    "POST /users/@me/channels": (5, 5.0),
    "PUT /applications/{application_id}/commands": (5, 5.0),
    "PUT /applications/{application_id}/guilds/{guild_id}/commands": (5, 5.0),
    "POST /webhooks/{webhook_id}/{webhook_token}": (5, 2.0),
    "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}": (5, 2.0),
    "DELETE /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}": (5, 2.0),
}
"""Per-route (limit, window seconds), as Discord's headers announce them."""

SHARED_BUCKETS: dict[str, str] = {
    "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me": "reactions",
    "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me": "reactions",
}
"""Routes that count against one limit and answer with the same X-RateLimit-Bucket."""

DEFAULT_LIMIT: tuple[int, float] = (50, 1.0)
"""Routes not listed above: generous, so ordinary reads never throttle tests."""

MAJOR_PARAMS = ("channel_id", "guild_id", "webhook_id", "webhook_token")

INVALID_REQUEST_LIMIT: tuple[int, float] = (10_000, 600.0)
"""Invalid requests (401, 403, non-shared 429) per window before the Cloudflare ban."""

CLOUDFLARE_BAN_SECONDS = 3600.0


@dataclass
class _Bucket:
    remaining: int
    reset_at: float


@dataclass
class RateDecision:
    """Outcome of a rate limit check: headers to send, or a 429 retry delay."""

    headers: dict[str, str]
    retry_after: float | None = None


def _ceil_ms(seconds: float) -> float:
    return math.ceil(max(seconds, 0.001) * 1000) / 1000


def bucket_hash(route_key: str) -> str:
    """The X-RateLimit-Bucket of a route: one per shared limit, without the resource ids."""
    return hashlib.md5(SHARED_BUCKETS.get(route_key, route_key).encode()).hexdigest()


class RateLimiter:
    """Per-route buckets, the global per-bot limit, "shared" hidden limits and the
    invalid-request limit that ends in a Cloudflare ban.

    Buckets are fixed windows that start with the first request, like Discord's.
    Limits are read live from ``route_limits`` so tests can change them at runtime.
    """

    def __init__(self) -> None:
        self.route_limits: dict[str, tuple[int, float]] = dict(DEFAULT_ROUTE_LIMITS)
        self.default_limit: tuple[int, float] = DEFAULT_LIMIT
        self.global_limit: int = 50
        self.global_window: float = 1.0
        self.invalid_limit: tuple[int, float] = INVALID_REQUEST_LIMIT
        self._buckets: dict[str, _Bucket] = {}
        self._global_window_end = 0.0
        self._global_count = 0
        self._invalid: deque[float] = deque()
        self.banned_until = 0.0

    def reset(self) -> None:
        """Forget every bucket (e.g. between test phases)."""
        self._buckets.clear()
        self._global_count = 0
        self._global_window_end = 0.0
        self._invalid.clear()
        self.banned_until = 0.0

    def check_global(self) -> float | None:
        """Count one request toward the global limit; the retry delay if over it."""
        now = time.monotonic()
        if now >= self._global_window_end:
            self._global_window_end = now + self.global_window
            self._global_count = 0
        if self._global_count >= self.global_limit:
            return _ceil_ms(self._global_window_end - now)
        self._global_count += 1
        return None

    def take(self, spec: RouteSpec, params: dict[str, str]) -> RateDecision:
        """Consume one token of the route bucket (per major parameters)."""
        limit, window = self.route_limits.get(spec.key, self.default_limit)
        hashed = bucket_hash(spec.key)
        major = "+".join(params[p] for p in MAJOR_PARAMS if p in params)
        bucket = self._consume(f"{hashed}:{major}", limit, window)
        reset_after = _ceil_ms(bucket.reset_at - time.monotonic())
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(bucket.remaining, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": hashed,
        }
        if bucket.remaining < 0:
            bucket.remaining = 0
            return RateDecision(headers, retry_after=reset_after)
        return RateDecision(headers)

    def take_shared(self, key: str, limit: int, window: float) -> float | None:
        """Consume from a hidden limit (e.g. crossposts/hour); the retry delay if over."""
        bucket = self._consume(f"shared:{key}", limit, window)
        if bucket.remaining < 0:
            bucket.remaining = 0
            return _ceil_ms(bucket.reset_at - time.monotonic())
        return None

    def shared_state(self, key: str) -> tuple[int, float]:
        """(remaining, seconds until reset) of a hidden limit, for headers that show it."""
        bucket = self._buckets.get(f"shared:{key}")
        if bucket is None:
            return 0, 0.0
        return max(bucket.remaining, 0), _ceil_ms(bucket.reset_at - time.monotonic())

    def _consume(self, key: str, limit: int, window: float) -> _Bucket:
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None or now >= bucket.reset_at:
            bucket = self._buckets[key] = _Bucket(remaining=limit, reset_at=now + window)
        bucket.remaining -= 1
        return bucket

    def note_answer(self, status: int, scope: str | None) -> bool:
        """Count an invalid request; True when this one starts a Cloudflare ban."""
        if status not in (401, 403, 429) or scope == "shared":
            return False
        limit, window = self.invalid_limit
        now = time.monotonic()
        self._invalid.append(now)
        while self._invalid and self._invalid[0] <= now - window:
            self._invalid.popleft()
        if len(self._invalid) >= limit and not self.banned():
            self.banned_until = now + CLOUDFLARE_BAN_SECONDS
            return True
        return False

    def banned(self) -> bool:
        """Whether the bot's IP is in a Cloudflare ban for too many invalid requests."""
        return time.monotonic() < self.banned_until


def cloudflare_ban() -> web.Response:
    """What a Cloudflare-banned IP gets: a 429 that is HTML, with no `Via` header."""
    return web.Response(status=429, text="error code: 1015", content_type="text/html")


def too_many_requests(
    retry_after: float, *, scope: str, headers: dict[str, str] | None = None
) -> web.Response:
    """A Discord 429: JSON body with ``retry_after``/``global`` and the ``Via`` header."""
    is_global = scope == "global"
    out = dict(headers or {})
    out.update(
        {
            "Retry-After": str(math.ceil(retry_after)),
            "X-RateLimit-Scope": scope,
            "Via": "1.1 google",
        }
    )
    if is_global:
        out["X-RateLimit-Global"] = "true"
    body = {
        "message": RATE_LIMITED_MESSAGE,
        "retry_after": retry_after,
        "global": is_global,
        "code": 0,
    }
    return json_response(body, status=429, headers=out)


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Serialize ``body`` with exactly ``Content-Type: application/json``."""
    out = dict(headers or {})
    if status == 204 or body is None:
        return web.Response(status=204 if body is None else status, headers=out)
    out.update(JSON_HEADERS)
    return web.Response(body=json.dumps(body).encode(), status=status, headers=out)


# ---------------------------------------------------------------- observation
@dataclass
class Stats:
    """Counters tests assert on: 429s by kind and requests per route key."""

    global_429s: int = 0
    route_429s: int = 0
    shared_429s: int = 0
    injected_failures: int = 0
    cloudflare_bans: int = 0
    requests: Counter[str] = field(default_factory=Counter)
    limited: Counter[str] = field(default_factory=Counter)
    """Route and shared-limit 429s by route key."""

    @property
    def total_429s(self) -> int:
        """All rate limited answers (global, route and shared)."""
        return self.global_429s + self.route_429s + self.shared_429s


@dataclass
class InjectedFailure:
    """A canned response for the next ``times`` matching requests."""

    method: str
    path_regex: re.Pattern[str]
    status: int
    times: int
    json: Any
    headers: dict[str, str]

    def matches(self, method: str, path: str) -> bool:
        """``method`` may be ``*``; the regex is searched in the path after /api/v10."""
        return (self.method in ("*", method)) and self.path_regex.search(path) is not None

    def response(self) -> web.Response:
        """The canned response (429s get Discord's rate limit headers and body)."""
        if self.status == 429:
            body = {
                "message": RATE_LIMITED_MESSAGE,
                "retry_after": 0.1,
                "global": False,
                **(self.json or {}),
            }
            scope = self.headers.get("X-RateLimit-Scope") or (
                "global" if body["global"] else "user"
            )
            resp = too_many_requests(float(body["retry_after"]), scope=scope, headers=self.headers)
            resp.body = json.dumps(body).encode()
            return resp
        body = (
            self.json
            if self.json is not None
            else {"message": f"{self.status}: injected failure", "code": 0}
        )
        return json_response(body, status=self.status, headers=self.headers)


async def read_request_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """Parse a JSON or multipart (``payload_json`` + ``files[n]``) request body."""
    content_type = request.content_type
    if content_type.startswith("multipart/"):
        return await _read_multipart(request)
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from None


async def _read_multipart(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    body: Any = None
    files: list[UploadedFile] = []
    reader = await request.multipart()
    async for part in reader:
        name = part.name or ""
        data = await part.read(decode=False)
        if name == "payload_json":
            body = json.loads(data)
            continue
        match = re.fullmatch(r"files\[(\d+)\]|file(\d*)", name)
        if match is None:
            logger.debug("ignoring multipart field %r", name)
            continue
        index = int(match.group(1) or match.group(2) or len(files))
        ctype = part.headers.get("Content-Type", "application/octet-stream")
        files.append(UploadedFile(index, part.filename or f"file{index}", bytes(data), ctype))
    return body, files


async def sleep_latency(seconds: float) -> None:
    """Simulated network latency (no-op when zero)."""
    if seconds > 0:
        await asyncio.sleep(seconds)
