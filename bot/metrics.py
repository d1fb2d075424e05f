"""Prometheus metrics of the newsroom: one registry, and the functions that feed it.

Discord REST traffic is observed at one point, an aiohttp trace on discord.py's HTTP
session (`discord_trace`, passed as `http_trace` to the client), so every attempt
counts, 429 retries included. Code that paces requests itself can call
`record_request` / `record_429` / `record_ack` directly. Database figures (deliveries,
draft jobs, tickets, Claude usage) are read at scrape time (`StoreFigures`). Labels
are route templates, states and model names only: no story text, no user ids, and no
interaction or webhook token ever becomes a label.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from types import SimpleNamespace

import aiohttp
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from storage.figures import Figures

disable_created_metrics()  # one sample per series: simpler to read, same information
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)

DISCORD_REQUESTS = Counter(
    "newsroom_discord_requests", "REST requests sent to Discord (every attempt), by route",
    ["route"], registry=REGISTRY)
DISCORD_429S = Counter(
    "newsroom_discord_429s", "429 answers from Discord, by rate-limit scope "
    "(X-RateLimit-Scope: user, global, shared) and route", ["scope", "route"],
    registry=REGISTRY)
DISCORD_IN_FLIGHT = Gauge(
    "newsroom_discord_requests_in_flight", "REST requests sent and not yet answered",
    registry=REGISTRY)
ACK_SECONDS = Histogram(
    "newsroom_interaction_ack_seconds", "From Discord creating an interaction (its id's "
    "timestamp) to the bot's acknowledgement being accepted",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0), registry=REGISTRY)
LOOP_LAG = Histogram(
    "newsroom_event_loop_lag_seconds", "How late a 0.25 s timer on the bot's event loop fired",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0), registry=REGISTRY)
WEB_REQUESTS = Counter(
    "newsroom_web_requests", "Requests to the built-in web server, by page and status",
    ["page", "status"], registry=REGISTRY)

_DISCORD_EPOCH_MS = 1420070400000
_TOKEN_AFTER = {"webhooks", "interactions"}
_WORD = re.compile(r"^@?[a-z][a-z0-9_-]*$")  # "messages", "@me", "@original"
_in_flight = 0


def route_of(method: str, path: str) -> str:
    """'POST /channels/{id}/messages' from a request path: ids and tokens replaced.

    A segment after `webhooks/{id}` or `interactions/{id}` is a token; any segment that
    is not a lowercase word is an id or a token, so no secret can become a label.
    """
    parts = [p for p in path.split("/") if p]
    if parts and parts[0] == "api":
        parts = parts[2:] if len(parts) > 1 and parts[1].startswith("v") else parts[1:]
    out: list[str] = []
    for index, part in enumerate(parts):
        if index >= 2 and parts[index - 2] in _TOKEN_AFTER:
            out.append("{token}")
        elif part.isdigit():
            out.append("{id}")
        elif _WORD.match(part):
            out.append(part)
        else:
            out.append("{token}")
    return f"{method.upper()} /{'/'.join(out)}"


def record_request(route: str) -> None:
    DISCORD_REQUESTS.labels(route).inc()


def record_429(route: str, scope: str) -> None:
    DISCORD_429S.labels(scope if scope in {"user", "global", "shared"} else "unknown",
                        route).inc()


def record_ack(seconds: float) -> None:
    ACK_SECONDS.observe(max(seconds, 0.0))


def record_loop_lag(seconds: float) -> None:
    LOOP_LAG.observe(max(seconds, 0.0))


def in_flight() -> int:
    return _in_flight


def _ack_seconds(path: str) -> float | None:
    """Seconds since the interaction of an interaction-callback path was created."""
    parts = [p for p in path.split("/") if p]
    if "interactions" not in parts or parts[-1] != "callback":
        return None
    interaction_id = parts[parts.index("interactions") + 1]
    if not interaction_id.isdigit():
        return None
    created_ms = (int(interaction_id) >> 22) + _DISCORD_EPOCH_MS
    return time.time() - created_ms / 1000


async def _on_start(_session: aiohttp.ClientSession, _ctx: SimpleNamespace,
                    _params: aiohttp.TraceRequestStartParams) -> None:
    global _in_flight
    _in_flight += 1
    DISCORD_IN_FLIGHT.inc()


async def _on_end(_session: aiohttp.ClientSession, _ctx: SimpleNamespace,
                  params: aiohttp.TraceRequestEndParams) -> None:
    _done()
    route = route_of(params.method, params.url.path)
    record_request(route)
    status = params.response.status
    if status == 429:
        headers = params.response.headers
        scope = headers.get("X-RateLimit-Scope") or (
            "global" if headers.get("X-RateLimit-Global") == "true" else "unknown")
        record_429(route, scope)
    elif status < 400 and (seconds := _ack_seconds(params.url.path)) is not None:
        record_ack(seconds)


async def _on_error(_session: aiohttp.ClientSession, _ctx: SimpleNamespace,
                    params: aiohttp.TraceRequestExceptionParams) -> None:
    _done()
    record_request(route_of(params.method, params.url.path))


def _done() -> None:
    global _in_flight
    _in_flight -= 1
    DISCORD_IN_FLIGHT.dec()


def discord_trace() -> aiohttp.TraceConfig:
    """The trace to give discord.py's client (`http_trace=`): counts every REST attempt."""
    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(_on_start)
    trace.on_request_end.append(_on_end)
    trace.on_request_exception.append(_on_error)
    return trace


async def requests_settled(timeout: float, quiet: float = 0.1) -> bool:
    """Wait until no Discord request has been in flight for `quiet` seconds (shutdown).

    False when `timeout` passed first."""
    deadline = time.monotonic() + timeout
    calm_since: float | None = None
    while time.monotonic() < deadline:
        now = time.monotonic()
        if _in_flight > 0:
            calm_since = None
        elif calm_since is None:
            calm_since = now
        elif now - calm_since >= quiet:
            return True
        await asyncio.sleep(0.02)
    return False


class StoreFigures(Collector):
    """Database counts, refreshed by the /metrics handler before each scrape."""

    def __init__(self) -> None:
        self.figures = Figures()

    def collect(self) -> Iterator[Metric]:
        f = self.figures
        for name, doc, label, counts in (
            ("newsroom_stories", "Stories by state", "state", f.stories),
            ("newsroom_deliveries", "Deliveries (story x channel) by state", "state",
             f.deliveries),
            ("newsroom_draft_jobs", "Draft jobs by state", "state", f.draft_jobs),
            ("newsroom_tickets", "Reader feedback tickets by state", "state", f.tickets),
        ):
            family = GaugeMetricFamily(name, doc, labels=[label])
            for key, value in sorted(counts.items()):
                family.add_metric([key], value)
            yield family
        tokens = CounterMetricFamily("newsroom_claude_tokens", "Claude tokens of AI revisions, "
                                     "by model and kind", labels=["model", "kind"])
        cost = CounterMetricFamily("newsroom_claude_cost_usd", "Estimated Claude cost of AI "
                                   "revisions in US dollars, by model", labels=["model"])
        for usage in f.models:
            for kind in ("input", "output", "cache_creation", "cache_read"):
                tokens.add_metric([usage.model, kind], getattr(usage, f"{kind}_tokens"))
            cost.add_metric([usage.model], usage.cost_usd)
        yield tokens
        yield cost


FIGURES = StoreFigures()
REGISTRY.register(FIGURES)


def exposition(figures: Figures) -> bytes:
    """The Prometheus text page with these database figures."""
    FIGURES.figures = figures
    return generate_latest(REGISTRY)
