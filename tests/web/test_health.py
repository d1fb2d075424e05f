"""Following the gateway: a disconnect leaves discord.py "ready", so it is watched."""

from __future__ import annotations

import math
import socket
from collections.abc import Callable
from typing import Any

import pytest

from bot.errors import NewsroomError
from bot.web.health import GatewayState, GatewayWatch, Probes, assess
from bot.web.server import WebServer
from storage.figures import HealthFacts
from storage.worker import AsyncStore
from tests.conftest import make_settings


class StubClient:
    """The part of discord.py's client GatewayWatch uses."""

    def __init__(self) -> None:
        self.listeners: dict[str, list[Callable[[], Any]]] = {}
        self.latency = math.inf
        self.ready = False
        self.closed = False

    def add_listener(self, func: Callable[[], Any], name: str) -> None:
        self.listeners.setdefault(name, []).append(func)

    async def dispatch(self, name: str) -> None:
        for func in self.listeners.get(f"on_{name}", []):
            await func()

    def is_ready(self) -> bool:
        return self.ready

    def is_closed(self) -> bool:
        return self.closed


async def test_the_watch_reports_start_up_connection_loss_and_resume() -> None:
    now = [100.0]
    client = StubClient()
    watch = GatewayWatch(client, clock=lambda: now[0])  # type: ignore[arg-type]
    assert watch.state() == GatewayState("starting")
    client.ready, client.latency = True, 0.0421
    await client.dispatch("ready")
    assert watch.state() == GatewayState("connected", 42.1)
    await client.dispatch("disconnect")
    now[0] += 61.5
    await client.dispatch("disconnect")  # repeated attempts do not restart the clock
    assert watch.state() == GatewayState("disconnected", None, 61.5)
    ready, body = assess(watch.state(), HealthFacts(writable=True), None, None)
    assert not ready and body["reasons"] == ["gateway lost for 62 s"]
    await client.dispatch("resumed")
    assert watch.state().state == "connected"
    client.closed = True
    assert watch.state() == GatewayState("closed")


def test_a_short_loss_is_still_ready_a_database_error_is_not() -> None:
    short = GatewayState("disconnected", None, 5.0)
    assert assess(short, HealthFacts(writable=True), None, None)[0]
    ready, body = assess(GatewayState("connected", 40.0), None, "no answer within 5 s", None)
    assert not ready and body["reasons"] == ["database: no answer within 5 s"]
    assert "deliveries" not in body  # nothing is made up when the database did not answer


async def test_a_taken_port_is_a_clear_error_naming_the_setting(tmp_path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    settings = make_settings(tmp_path, NEWSROOM_HTTP=f"127.0.0.1:{port}")
    server = WebServer(settings, AsyncStore(tmp_path / "n.db"),
                       Probes(lambda: GatewayState("starting"), lambda: None, lambda: "UTC"))
    try:
        with pytest.raises(NewsroomError, match=f"cannot serve HTTP on 127.0.0.1:{port} .*set "
                                                "NEWSROOM_HTTP to a free address"):
            await server.start()
    finally:
        taken.close()
        await server.stop()
