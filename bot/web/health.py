"""`/healthz`: is this newsroom able to work? The answer and its reasons.

Ready (HTTP 200) means: the gateway is connected (or was lost less than a minute ago,
which discord.py usually resumes), and the database takes writes. Anything else is 503
with the reasons, so a container runtime or load balancer can act on it.
"""

from __future__ import annotations

import asyncio
import math
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from discord.ext import commands

from storage.figures import HealthFacts, health_facts
from storage.records import iso
from storage.states import DeliveryState
from storage.worker import AsyncStore

GATEWAY_GRACE = 60.0
"""Seconds without the gateway before the bot is reported unavailable."""
DB_TIMEOUT = 5.0


@dataclass(frozen=True)
class GatewayState:
    state: str  # starting | connected | disconnected | closed
    latency_ms: float | None = None
    down_seconds: float | None = None


@dataclass(frozen=True)
class Probes:
    """What the web server may ask of the running bot, and nothing more."""

    gateway: Callable[[], GatewayState]
    next_edition: Callable[[], datetime | None]
    timezone: Callable[[], str]


class GatewayWatch:
    """Follows the gateway through discord.py's connect, ready, resumed and disconnect
    events (a disconnect leaves `is_ready()` true, so it has to be watched)."""

    def __init__(self, client: commands.Bot, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.client = client
        self.clock = clock
        self.lost_at: float | None = None
        for event in ("on_connect", "on_ready", "on_resumed"):
            client.add_listener(self._up, event)
        client.add_listener(self._down, "on_disconnect")

    async def _up(self) -> None:
        self.lost_at = None

    async def _down(self) -> None:
        if self.lost_at is None:
            self.lost_at = self.clock()

    def state(self) -> GatewayState:
        client = self.client
        latency = client.latency
        latency_ms = round(latency * 1000, 1) if math.isfinite(latency) else None
        if client.is_closed():
            return GatewayState("closed")
        if not client.is_ready():
            return GatewayState("starting")
        if self.lost_at is not None:
            return GatewayState("disconnected", None, round(self.clock() - self.lost_at, 1))
        return GatewayState("connected", latency_ms)


def _reasons(gateway: GatewayState, facts: HealthFacts | None, db_error: str | None
             ) -> list[str]:
    reasons = []
    if gateway.state in ("starting", "closed"):
        reasons.append(f"gateway {gateway.state}")
    elif gateway.state == "disconnected" and (gateway.down_seconds or 0) > GATEWAY_GRACE:
        reasons.append(f"gateway lost for {gateway.down_seconds:.0f} s")
    if db_error is not None:
        reasons.append(f"database: {db_error}")
    elif facts is not None and not facts.writable:
        reasons.append(f"database not writable: {facts.error}")
    return reasons


def assess(gateway: GatewayState, facts: HealthFacts | None, db_error: str | None,
           next_edition: datetime | None) -> tuple[bool, dict[str, Any]]:
    """(ready, the JSON body) from what was observed."""
    reasons = _reasons(gateway, facts, db_error)
    body: dict[str, Any] = {
        "status": "unavailable" if reasons else "ok",
        "reasons": reasons,
        "gateway": {"state": gateway.state, "latency_ms": gateway.latency_ms,
                    "down_seconds": gateway.down_seconds},
        "database": {"writable": bool(facts and facts.writable),
                     "error": db_error or (facts.error if facts else None)},
        "scheduler": {"next_edition": iso(next_edition)},
    }
    if facts is not None:
        job = facts.latest_job
        body["deliveries"] = {DeliveryState.PENDING: facts.deliveries_pending,
                              DeliveryState.FAILED: facts.deliveries_failed}
        body["draft_jobs"] = {"waiting": facts.jobs_waiting}
        body["model"] = {
            "last_answer_at": iso(facts.last_answer_at), "model": facts.last_answer_model,
            "latest_job": None if job is None else {
                "state": job.state, "attempts": job.attempts,
                "updated_at": iso(job.updated_at), "last_error": job.last_error}}
    return not reasons, body


async def check(store: AsyncStore, probes: Probes) -> tuple[bool, dict[str, Any]]:
    """Observe everything and assess it; a database that does not answer is a reason."""
    facts, db_error = None, None
    try:
        facts = await asyncio.wait_for(store.run(health_facts), DB_TIMEOUT)
    except TimeoutError:
        db_error = f"no answer within {DB_TIMEOUT:.0f} s"
    except (sqlite3.Error, RuntimeError) as exc:  # RuntimeError: the store is not open
        db_error = str(exc)
    return assess(probes.gateway(), facts, db_error, probes.next_edition())
