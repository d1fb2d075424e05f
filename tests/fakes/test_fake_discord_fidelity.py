"""The fake Discord is as strict as Discord's own documentation: request bodies against its
OpenAPI description, rate limits as its rate-limit page describes them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest

from tests.fakes.fake_discord import FakeDiscord
from tests.fakes.fake_discord_schema import ALLOWANCES, BODY_METHODS, route_for, validator


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


@pytest.fixture
async def http(fake: FakeDiscord) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bot {fake.token}"}
    async with aiohttp.ClientSession(base_url=fake.http_base, headers=headers) as session:
        yield session


def api(path: str) -> str:
    return "/api/v10" + path


def ids(fake: FakeDiscord) -> dict[str, Any]:
    w = fake.world
    return {"c": w.channels["general"], "app": w.application_id, "g": w.home_guild_id,
            "news": w.channels["announcements"], "u": w.users["reader"]}


# ---------------------------------------------------------------- request bodies

INVALID_BODIES = [
    ("POST", "/channels/{c}/messages", {"content": 5}, "content"),
    ("PATCH", "/channels/{c}/messages/1", {"allowed_mentions": {"parse": ["nobody"]}},
     "allowed_mentions.parse.0"),
    ("POST", "/interactions/1/tok/callback",
     {"type": 9, "data": {"custom_id": "m", "title": "t" * 46, "components": [
         {"type": 18, "label": "Text", "component": {"type": 4, "custom_id": "x",
                                                     "style": 1}}]}}, "data.title"),
    ("POST", "/interactions/1/tok/callback",
     {"type": 4, "data": {"embeds": [{"title": "t" * 257}]}}, "data.embeds.0.title"),
    ("POST", "/webhooks/{app}/tok", {"content": "x" * 2001}, "content"),
    ("PATCH", "/webhooks/{app}/tok/messages/@original",
     {"embeds": [{"description": "d" * 4097}]}, "embeds.0.description"),
    ("POST", "/channels/{c}/threads", {"name": "", "type": 11}, "name"),
    ("POST", "/channels/{c}/messages/1/threads", {"name": "n" * 101}, "name"),
    ("PUT", "/applications/{app}/guilds/{g}/commands",
     [{"name": "n" * 33, "description": "d", "type": 1}], "0.name"),
    ("POST", "/users/@me/channels", {"recipient_id": "not-an-id"}, "recipient_id"),
    ("POST", "/channels/{news}/followers", {}, "webhook_channel_id"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), INVALID_BODIES,
                         ids=[f"{m} {p}" for m, p, _, _ in INVALID_BODIES])
async def test_a_body_discord_would_refuse_is_refused_with_route_and_field(
        fake: FakeDiscord, http: aiohttp.ClientSession, method: str, path: str, body: Any,
        field: str) -> None:
    path = path.format(**ids(fake))
    async with http.request(method, api(path), json=body) as response:
        answer = await response.json()
    assert response.status == 400 and answer["code"] == 50035
    node = answer["errors"]
    for part in field.split("."):
        node = node[part]
    assert node["_errors"][0]["message"]
    [violation] = fake.take_schema_violations()
    assert violation.route == route_for(method, path) and violation.field == field


async def test_multipart_payload_json_is_validated_too(fake: FakeDiscord,
                                                       http: aiohttp.ClientSession) -> None:
    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps({"embeds": [{"title": "t" * 300}],
                                               "attachments": [{"id": 0, "filename": "a.txt"}]}),
                   content_type="application/json")
    form.add_field("files[0]", b"hello", filename="a.txt", content_type="text/plain")
    async with http.post(api(f"/channels/{ids(fake)['c']}/messages"), data=form) as response:
        assert response.status == 400
    [violation] = fake.take_schema_violations()
    assert violation.field == "embeds.0.title" and "at most 256" in violation.message


async def test_a_body_sent_to_a_route_that_takes_none_is_refused(
        fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    posted = await (await http.post(api(f"/channels/{ids(fake)['news']}/messages"),
                                    json={"content": "x"})).json()
    path = f"/channels/{ids(fake)['news']}/messages/{posted['id']}/crosspost"
    async with http.post(api(path), json={"publish": True}) as response:
        assert response.status == 400
    [violation] = fake.take_schema_violations()
    assert "takes no request body" in violation.message


async def test_integer_snowflakes_are_the_one_documented_allowance(
        fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    assert list(ALLOWANCES) == ["/components/schemas/SnowflakeType"]
    assert all(reason for _, _, reason in ALLOWANCES.values())
    async with http.post(api("/users/@me/channels"),
                         json={"recipient_id": ids(fake)["u"]}) as response:
        assert response.status == 200
    assert fake.schema_violations == []
    assert fake.body_checker.validated >= 1


async def test_leftover_violations_fail_whoever_used_the_fake() -> None:
    with pytest.raises(AssertionError, match=r"POST /channels/\{channel_id\}/messages: content"):
        async with FakeDiscord() as server, aiohttp.ClientSession() as session:
            url = f"{server.api_base}/channels/{server.world.channels['general']}/messages"
            await session.post(url, json={"content": 1},
                               headers={"Authorization": f"Bot {server.token}"})


CARD = {"content": "x", "allowed_mentions": {"parse": []}, "nonce": "1", "embeds": [
    {"title": "t", "fields": [{"name": "a", "value": "b"}], "footer": {"text": "f"}}],
    "components": [{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "Approve", "custom_id": "c:1"},
        {"type": 2, "style": 5, "label": "Read", "url": "https://example.org/a"}]}]}


@pytest.mark.parametrize("body", [
    CARD,
    {**CARD, "components": [{"type": 1, "components": [{"type": 2, "style": 9}]}]},
    {**CARD, "components": [{"type": 1, "components": [{"type": 77, "style": 1}]}]},
    {**CARD, "components": [{"type": True, "components": []}]},
    {**CARD, "components": [{"type": 17, "components": [{"type": 10, "content": "hi"}]}]},
    {**CARD, "message_reference": None, "poll": {"question": {"text": 5}}},
    {**CARD, "allowed_mentions": {"parse": ["users"], "users": [1, "2"]}},
])
def test_the_fast_unions_judge_as_the_plain_validator(body: dict[str, Any]) -> None:
    route = "/channels/{channel_id}/messages"
    fast, plain = validator("POST", route), validator("POST", route, fast=False)
    assert fast.is_valid(body) == plain.is_valid(body)
    callback = {"type": 4, "data": body}
    route = "/interactions/{interaction_id}/{interaction_token}/callback"
    fast, plain = validator("POST", route), validator("POST", route, fast=False)
    assert fast.is_valid(callback) == plain.is_valid(callback)


def test_every_route_of_the_fake_that_takes_a_body_is_checked() -> None:
    fake = FakeDiscord()
    unchecked = []
    for spec in fake.router._routes:
        path = "/".join("1" if p.startswith("{") else p for p in spec.template.split("/"))
        template = route_for(spec.method, path)
        if template is None:
            unchecked.append(spec.key)
        elif spec.method in BODY_METHODS and spec.method != "DELETE":
            validator(spec.method, template)  # compiles, and is cached for the session
    assert unchecked == []


# ---------------------------------------------------------------- rate limits


async def send(http: aiohttp.ClientSession, channel: int, text: str = "x"
               ) -> aiohttp.ClientResponse:
    async with http.post(api(f"/channels/{channel}/messages"), json={"content": text}) as resp:
        await resp.read()
        return resp


async def test_route_buckets_announce_themselves_and_count_per_channel(
        fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    first = await send(http, ids(fake)["c"])
    h = first.headers
    assert (h["X-RateLimit-Limit"], h["X-RateLimit-Remaining"]) == ("5", "4")
    assert 4.0 < float(h["X-RateLimit-Reset-After"]) <= 5.0 and "." in h["X-RateLimit-Reset"]
    for _ in range(4):
        await send(http, ids(fake)["c"])
    async with http.post(api(f"/channels/{ids(fake)['c']}/messages"),
                         json={"content": "over"}) as over:
        body = await over.json()
    assert over.status == 429 and over.headers["X-RateLimit-Scope"] == "user"
    assert body["global"] is False and 0 < body["retry_after"] <= 5
    assert int(over.headers["Retry-After"]) >= body["retry_after"]
    assert over.headers["X-RateLimit-Bucket"] == h["X-RateLimit-Bucket"]
    assert "X-RateLimit-Global" not in over.headers and over.headers["Via"]
    other = await send(http, fake.world.channels["editorial"])  # another top-level resource
    assert other.status == 200 and other.headers["X-RateLimit-Remaining"] == "4"
    assert other.headers["X-RateLimit-Bucket"] == h["X-RateLimit-Bucket"]
    assert fake.stats.route_429s == 1


async def test_routes_sharing_a_limit_share_its_bucket(fake: FakeDiscord,
                                                       http: aiohttp.ClientSession) -> None:
    message = await (await http.post(api(f"/channels/{ids(fake)['c']}/messages"),
                                     json={"content": "react"})).json()
    path = api(f"/channels/{ids(fake)['c']}/messages/{message['id']}/reactions/%F0%9F%91%8D/@me")
    async with http.put(path) as added:
        assert added.status == 204
    async with http.delete(path) as removed:
        assert removed.status == 429  # add and remove count against one limit
    assert added.headers["X-RateLimit-Bucket"] == removed.headers["X-RateLimit-Bucket"]


async def test_global_limit_spares_interaction_endpoints(fake: FakeDiscord,
                                                         http: aiohttp.ClientSession) -> None:
    fake.global_rate_limit = 3
    fake.global_rate_window = 60.0
    for _ in range(3):
        async with http.get(api("/users/@me")) as ok:
            assert ok.status == 200
    for path in ("/interactions/1/tok/callback", f"/webhooks/{ids(fake)['app']}/tok"):
        async with http.post(api(path), json={"type": 1} if "callback" in path else
                             {"content": "x"}) as exempt:
            assert exempt.status != 429  # refused for its unknown token, not rate limited
    async with http.post(api("/webhooks/999/tok"), json={"content": "x"}) as webhook:
        assert webhook.status == 429  # a plain webhook is no interaction endpoint
    async with http.get(api("/users/@me")) as over:
        body = await over.json()
    assert over.status == 429 and body["global"] is True
    assert over.headers["X-RateLimit-Global"] == "true"
    assert over.headers["X-RateLimit-Scope"] == "global"
    assert "X-RateLimit-Bucket" not in over.headers
    assert fake.stats.global_429s == 2


async def test_too_many_invalid_requests_end_in_a_cloudflare_ban(fake: FakeDiscord) -> None:
    fake.limiter.invalid_limit = (3, 600.0)
    assert not fake.limiter.note_answer(429, "shared")  # shared 429s are not counted
    async with aiohttp.ClientSession(base_url=fake.http_base) as anonymous:
        for _ in range(3):
            async with anonymous.get(api("/users/@me")) as refused:
                assert refused.status == 401
    assert fake.stats.cloudflare_bans == 1
    client = discord.Client(intents=discord.Intents.none())
    with fake.patch_discord_py(), pytest.raises(discord.HTTPException) as banned:
        await client.login(fake.token)
    await client.close()
    assert banned.value.status == 429 and "1015" in banned.value.text
