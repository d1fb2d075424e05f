"""discord.py's HTTP client, paced as one, with the newsroom's one exception to its
rate-limit memory.

Pacing: every request discord.py sends goes through one aiohttp session, whose trace
hooks run right before each attempt leaves (after discord.py's own per-route wait, so a
request never holds a slot while it sleeps on its route; retries are paced too). The
first hook waits at the bot's `Pacer` unless the request is exempt from Discord's global
limit: an interaction callback, or an interaction webhook (the application's id with an
interaction's token). The metrics hooks come after it, so a request waiting here is not
"in flight".

Crossposts: discord.py 2.7.1 refuses, before sending, any request whose bucket resets
later than `max_ratelimit_timeout` (`Ratelimit.acquire`), even when the bucket has
requests left. Should Discord's headers describe the crosspost hour as a bucket of 10,
every crosspost after the first of an hour would be refused by our own client. The
crosspost budget is kept in the database (`bot.crossposts`), which only sends when
Discord still has room, so for that one route discord.py's bucket memory is dropped
before each request. A 429 that still comes back is raised as usual and queues the
crosspost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import aiohttp
from discord.http import HTTPClient, Route

from bot.pacer import Pacer

CROSSPOST_PATH = "/channels/{channel_id}/messages/{message_id}/crosspost"


class NewsroomHTTPClient(HTTPClient):
    async def request(self, route: Route, **kwargs: Any) -> Any:
        if route.path == CROSSPOST_PATH:
            self._lift_long_wait(route)
        return await super().request(route, **kwargs)

    def _lift_long_wait(self, route: Route) -> None:
        """Forget a crosspost bucket's hour-long reset (short route waits stay)."""
        bucket_hash = self._bucket_hashes.get(route.key)
        key = f"{bucket_hash or route.key}:{route.major_parameters}"
        ratelimit = self._buckets.get(key)
        timeout = self.max_ratelimit_timeout
        if ratelimit is None or ratelimit.expires is None or not timeout:
            return
        if ratelimit.expires - asyncio.get_running_loop().time() > timeout:
            ratelimit.reset()


def exempt(path: str, application_id: int | None) -> bool:
    """Whether a request path is outside the global limit: an interaction callback
    (`.../interactions/{id}/{token}/callback`), an interaction webhook
    (`.../webhooks/{application id}/{token}...`), or no REST call at all (the gateway's
    websocket, a file from the CDN: not under `/api/`)."""
    if "/api/" not in path:
        return True
    parts = path.split("/")
    for index, part in enumerate(parts):
        if part == "interactions" and parts[-1] == "callback":
            return True
        if part == "webhooks":
            following = parts[index + 1] if index + 1 < len(parts) else ""
            return application_id is not None and following == str(application_id)
    return False


Hook = Callable[[aiohttp.ClientSession, SimpleNamespace, aiohttp.TraceRequestStartParams],
                Awaitable[None]]


def pacing_hook(pacer: Pacer, application_id: Callable[[], int | None]) -> Hook:
    async def pace(_session: aiohttp.ClientSession, _ctx: SimpleNamespace,
                   params: aiohttp.TraceRequestStartParams) -> None:
        if not exempt(params.url.path, application_id()):
            await pacer.acquire()

    return pace


def install(client: Any, pacer: Pacer) -> None:
    """Give a discord.py client this HTTP client (its `http` is built in `Client.__init__`,
    with no hook to pass another class) and pace its session; call before login."""
    http = client.http
    http.__class__ = NewsroomHTTPClient
    trace = http.http_trace or aiohttp.TraceConfig()
    trace.on_request_start.insert(0, pacing_hook(pacer, lambda: client.application_id))
    http.http_trace = trace
