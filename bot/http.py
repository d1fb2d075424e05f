"""discord.py's HTTP client with the newsroom's one exception to its rate-limit memory.

discord.py 2.7.1 refuses, before sending, any request whose bucket resets later than
`max_ratelimit_timeout` (`Ratelimit.acquire`), even when the bucket has requests left.
Should Discord's headers describe the crosspost hour as a bucket of 10, every crosspost
after the first of an hour would be refused by our own client. The crosspost budget is
kept in the database (`bot.crossposts`), which only sends when Discord still has room,
so for that one route discord.py's bucket memory is dropped before each request. A 429
that still comes back is raised as usual and queues the crosspost.
"""

from __future__ import annotations

import asyncio
from typing import Any

from discord.http import HTTPClient, Route

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


def install(client: Any) -> None:
    """Give a discord.py client this HTTP client (its `http` is built in `Client.__init__`,
    with no hook to pass another class)."""
    client.http.__class__ = NewsroomHTTPClient
