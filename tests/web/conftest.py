"""An archive to serve: stories in every state, and the web server on a thread of its own.

The server runs on a private event loop in a thread (as it runs on the bot's loop in
production), so sync tests, the browser tests included, can talk to it over HTTP.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.article import Article, Source
from bot.web.health import GatewayState, Probes
from bot.web.server import WebServer
from storage.store import Store
from storage.worker import AsyncStore
from tests.conftest import make_settings
from tests.e2e.helpers import article
from tests.storage import steps

CORRECTION = "An earlier version gave the wrong court; the ruling came from the S.D.N.Y."
CLARIFICATION = "The two dismissed claims concerned the model's outputs."
RETRACTION = "The opinion we reported was withdrawn by the court the same day."
LONG_URL = "https://example.org/" + "a" * 300


@dataclass
class Archive:
    path: Path
    ids: dict[str, int] = field(default_factory=dict)
    headlines: dict[str, str] = field(default_factory=dict)


def _published(store: Store, a: Article, when: str) -> int:
    story = steps.publish(store, steps.approved(store, a.to_dict(), by=111, topic="t").id,
                          by=111)
    store.db.execute("UPDATE stories SET published_at = ? WHERE id = ?", [when, story.id])
    store.db.execute("UPDATE archive SET published_at = ? WHERE story_id = ?", [when, story.id])
    return story.id


def build_archive(path: Path) -> Archive:
    """Published, corrected, retracted, hostile, in-review, spiked and drafting stories."""
    store = Store(path)
    out = Archive(path)
    base = article()
    stories = {
        "plain": base.replace(headline="Chip export rules tighten for a third time"),
        "corrected": base,
        "retracted": base.replace(headline="Court orders AI developer to delete its models"),
        "hostile": base.replace(
            headline="<script>alert(1)</script> & a headline with markup",
            body=("A paragraph with <b>tags</b> and a [9] citation to nothing [1].",
                  *base.body[1:]),
            sources=(Source("Evil", url="javascript:alert(1)"),
                     Source("Long", "Publisher", LONG_URL), *base.sources[2:])),
    }
    for offset, (key, a) in enumerate(stories.items()):
        out.ids[key] = _published(store, a, f"2026-11-2{offset}T09:00:00.000000+00:00")
        out.headlines[key] = a.headline
    for kind, text, when in (("correction", CORRECTION, "2026-11-25T10:00:00.000000+00:00"),
                             ("clarification", CLARIFICATION,
                              "2026-11-26T10:00:00.000000+00:00")):
        steps.correct(store, out.ids["corrected"], kind=kind, text=text, by=222,
                      article=base.to_dict())
        store.db.execute("UPDATE corrections SET created_at = ? WHERE text = ?", [when, text])
    steps.retract(store, out.ids["retracted"], reason=RETRACTION, by=222)
    store.db.execute("UPDATE stories SET retracted_at = '2026-11-27T10:00:00.000000+00:00' "
                     "WHERE id = ?", [out.ids["retracted"]])
    for key, status in (("in_review", "in_review"), ("spiked", "spiked")):
        headline = f"Secret {key} draft about quantum bananas"
        story = steps.write(store, base.replace(headline=headline).to_dict(), by=111,
                            topic="secret")
        if status == "spiked":
            steps.spike(store, story.id, reason="no", by=222)
        out.ids[key], out.headlines[key] = story.id, headline
    drafting = steps.request(store, by=111, topic="Secret drafting topic")
    out.ids["drafting"] = drafting.id
    store.db.conn.commit()
    store.close()
    return out


class FakeGateway:
    def __init__(self) -> None:
        self.state = GatewayState("connected", 42.0)

    def __call__(self) -> GatewayState:
        return self.state


class ServerThread:
    """The WebServer on its own loop in a thread, over a database file."""

    def __init__(self, db: Path, **env: Any) -> None:
        self.settings = make_settings(db.parent, NEWSROOM_DB=db, NEWSROOM_HTTP="127.0.0.1:0",
                                      NEWSROOM_GUILD_ID=4242, **env)
        self.gateway = FakeGateway()
        self.next_edition: datetime | None = None
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.store = AsyncStore(db)
        self.server = WebServer(self.settings, self.store, Probes(
            self.gateway, lambda: self.next_edition, lambda: "Europe/Berlin"))

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        self.call(self.store.open())
        self.call(self.server.start())
        return self

    def __exit__(self, *exc: object) -> None:
        self.call(self.server.stop())
        self.call(self.store.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    @property
    def url(self) -> str:
        return self.server.url

    def get(self, path: str, headers: dict[str, str] | None = None
            ) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def text(self, path: str) -> str:
        status, _, body = self.get(path)
        assert status == 200, (path, status, body[:500])
        return body.decode()

    def json(self, path: str) -> tuple[int, Any]:
        status, _, body = self.get(path)
        return status, json.loads(body)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    return build_archive(tmp_path_factory.mktemp("archive") / "newsroom.db")


@pytest.fixture(scope="module")
def server(archive: Archive) -> Iterator[ServerThread]:
    with ServerThread(archive.path, NEWSROOM_PUBLIC_URL="https://news.example.org") as running:
        yield running
