"""The web server inside the running bot: post titles link to the archive, pages follow
corrections and retractions, `/healthz` and `/metrics` describe the live bot."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import Newsroom, newsroom_env
from tests.e2e.helpers import make_story
from tests.e2e.test_publishing import drained
from tests.e2e.test_readers import NOTE, correct, published_to_three
from tests.fakes.fake_anthropic import FakeAnthropic
from tests.fakes.fake_discord import FakeDiscord
from tests.web.feed_rules import atom_problems

PUBLIC = "https://news.example.org"


@pytest.fixture
async def webroom(discord_fake: FakeDiscord, fake_anthropic: FakeAnthropic, tmp_path: Path
                  ) -> AsyncIterator[Newsroom]:
    env = {**newsroom_env(discord_fake, fake_anthropic), "NEWSROOM_HTTP": "127.0.0.1:0",
           "NEWSROOM_PUBLIC_URL": PUBLIC}
    room = Newsroom(discord_fake, fake_anthropic, tmp_path, env)
    await room.start()
    yield room
    await room.stop()


async def get(room: Newsroom, path: str) -> tuple[int, str]:
    assert room.bot is not None and room.bot.web is not None
    async with aiohttp.ClientSession() as session, \
            session.get(room.bot.web.url + path) as response:
        return response.status, await response.text()


def samples(text: str, family: str) -> dict[tuple[tuple[str, str], ...], float]:
    for metric in text_string_to_metric_families(text):
        if metric.name == family:
            return {tuple(sorted(s.labels.items())): s.value for s in metric.samples
                    if s.name in (family, f"{family}_total", f"{family}_count")}
    return {}


def first_embed(room: Newsroom, channel: str, story: int) -> dict[str, Any]:
    for message in room.discord.channel_messages(room.channel(channel)):
        for embed in message["embeds"]:
            if (embed.get("author") or {}).get("name", "").endswith(f"story #{story}"):
                return embed
    raise AssertionError(f"no copy of story {story} in #{channel}")


async def test_post_titles_link_to_pages_that_follow_corrections_and_retractions(
        webroom: Newsroom) -> None:
    story = await published_to_three(webroom)
    page = f"{PUBLIC}/stories/{story}"
    for channel in ("announcements", "news", "general"):
        assert first_embed(webroom, channel, story)["url"] == page
    status, html = await get(webroom, f"/stories/{story}")
    assert status == 200 and "Copyright Claims" in html and "Correction," not in html

    await correct(webroom, story, notify=False)
    assert first_embed(webroom, "news", story)["url"] == page  # the edited copy keeps it
    status, html = await get(webroom, f"/stories/{story}")
    assert NOTE in html and html.index(NOTE) < html.index('class="dek"')
    _, feed = await get(webroom, "/feed.atom")
    assert atom_problems(feed.encode()) == [] and NOTE in feed

    shown = await webroom.invoke("reader", "archive story", {"id": story})
    await shown.wait_final()
    assert f"On the web: <{page}>" in shown.text()

    retract = await webroom.invoke("editor1", "retract", {"story": story,
                                                          "reason": "The ruling was vacated."})
    await retract.wait_final()
    status, html = await get(webroom, f"/stories/{story}")
    assert status == 200 and "The ruling was vacated." in html and 'class="dek"' not in html
    _, feed = await get(webroom, "/feed.atom")
    assert "<title>Retracted: " in feed


async def test_a_story_in_review_has_no_page(webroom: Newsroom) -> None:
    story = await make_story(webroom, "in_review")
    status, html = await get(webroom, f"/stories/{story}")
    assert status == 404 and "Copyright" not in html


async def test_healthz_of_the_running_bot(webroom: Newsroom) -> None:
    status, text = await get(webroom, "/healthz")
    body = json.loads(text)
    assert status == 200, body
    assert body["gateway"]["state"] == "connected"
    assert isinstance(body["gateway"]["latency_ms"], float)
    assert body["database"] == {"writable": True, "error": None}
    assert body["scheduler"]["next_edition"].endswith("+00:00")
    assert body["deliveries"] == {"pending": 0, "failed": 0}


async def test_metrics_count_rest_requests_429s_and_acks(webroom: Newsroom) -> None:
    fake = webroom.discord
    fake.fail_next("POST", r"^/channels/\d+/messages$", 429,
                   json={"message": "You are being rate limited.", "retry_after": 0.05,
                         "global": False},
                   headers={"X-RateLimit-Scope": "user", "Retry-After": "1",
                            "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
                            "X-RateLimit-Reset-After": "0.05", "X-RateLimit-Bucket": "b"})
    await published_to_three(webroom)
    await drained(webroom)
    _, text = await get(webroom, "/metrics")
    requests = samples(text, "newsroom_discord_requests")
    assert requests[(("route", "POST /channels/{id}/messages"),)] >= 4  # 3 copies + the retry
    assert requests[(("route", "POST /interactions/{id}/{token}/callback"),)] >= 3
    assert samples(text, "newsroom_discord_429s")[
        (("route", "POST /channels/{id}/messages"), ("scope", "user"))] >= 1
    assert samples(text, "newsroom_interaction_ack_seconds")[()] >= 3
    assert samples(text, "newsroom_deliveries")[(("state", "sent"),)] == 3
    assert fake.token not in text and "interactions/" not in text.replace(
        "/interactions/{id}/{token}", "")
