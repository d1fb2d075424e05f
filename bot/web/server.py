"""The aiohttp server on the bot's event loop: routes, headers, start and stop.

It gets the settings, the store and `Probes` (a few read-only views of the running
bot), nothing else. Pages are cheap (one store call of a few indexed queries and one
template), so serving them never holds the loop for long; the store's single thread
serialises their reads with the bot's own work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot import metrics
from bot.config import Settings
from bot.errors import NewsroomError
from bot.web import health
from bot.web.health import Probes
from bot.web.pages import Archive, PageError
from bot.web.present import CSS_HASH
from storage.figures import Figures, read_figures
from storage.worker import AsyncStore

log = logging.getLogger(__name__)

LAG_INTERVAL = 0.25
SECURITY_HEADERS = {
    "Content-Security-Policy": (f"default-src 'none'; style-src '{CSS_HASH}'; img-src 'self'; "
                                "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WebServer:
    def __init__(self, settings: Settings, store: AsyncStore, probes: Probes) -> None:
        self.settings = settings
        self.store = store
        self.probes = probes
        self.archive = Archive(settings, store, probes.timezone)
        self.app = web.Application(middlewares=[self._guard])
        self.app.add_routes([*self.archive.routes(),
                             web.get("/healthz", self.healthz, name="healthz"),
                             web.get("/metrics", self.metrics, name="metrics")])
        self._runner: web.AppRunner | None = None
        self._lag: asyncio.Task[None] | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        host = self.settings.http_address[0] if self.settings.http_address else "127.0.0.1"
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    async def start(self) -> None:
        assert self.settings.http_address is not None
        host, port = self.settings.http_address
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, host, port).start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise NewsroomError(
                f"cannot serve HTTP on {host}:{port} ({exc.strerror or exc}); set "
                "NEWSROOM_HTTP to a free address, or to nothing to turn the web server off"
            ) from None
        self.port = self._runner.addresses[0][1]
        self._lag = asyncio.create_task(_sample_lag(), name="loop-lag")
        log.info("web server at %s", self.url)

    async def stop(self) -> None:
        if self._lag is not None:
            self._lag.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._lag
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Error pages in the archive's look, security headers, and a count per page."""
        try:
            response = await handler(request)
        except PageError as exc:
            response = self.archive.error_page(request, exc.status, exc.title, exc.message)
        except web.HTTPNotFound:
            response = self.archive.error_page(request, 404, "Not found",
                                               "There is no page at this address.")
        except web.HTTPException as exc:
            response = exc
        route = request.match_info.route.name or "other"
        metrics.WEB_REQUESTS.labels(route, str(response.status)).inc()
        response.headers.update(SECURITY_HEADERS)
        return response

    async def healthz(self, request: web.Request) -> web.Response:
        ready, body = await health.check(self.store, self.probes)
        return web.json_response(body, status=200 if ready else 503,
                                 headers={"Cache-Control": "no-store"})

    async def metrics(self, request: web.Request) -> web.Response:
        figures = Figures()
        try:
            figures = await asyncio.wait_for(self.store.run(read_figures), 10)
        except (TimeoutError, sqlite3.Error, RuntimeError) as exc:  # or not open yet
            log.warning("metrics without database figures: %s", exc)
        return web.Response(body=metrics.exposition(figures),
                            headers={"Content-Type": CONTENT_TYPE_LATEST,
                                     "Cache-Control": "no-store"})


async def _sample_lag() -> None:
    """How late a timer fires is how long ready work waited behind other work."""
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        await asyncio.sleep(LAG_INTERVAL)
        metrics.record_loop_lag(loop.time() - started - LAG_INTERVAL)
