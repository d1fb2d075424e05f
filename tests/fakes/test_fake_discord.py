"""Proves FakeDiscord works with the real discord.py client.

A small but representative ``commands.Bot`` (a command group with subcommands,
choices, an attachment option, autocomplete, a modal with both legacy action rows
and Label components, a persistent DynamicItem button and a select menu) runs in
the test's event loop against the fake.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakes.fake_discord import CommandUnavailable, FakeDiscord

logger = logging.getLogger(__name__)

BotFactory = Callable[..., Awaitable[commands.Bot]]


# ================================================================= test bot
class ApproveButton(discord.ui.DynamicItem[discord.ui.Button], template=r"approve:(?P<draft>\d+)"):
    """Persistent button: works across restarts because state lives in custom_id."""

    def __init__(self, draft_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Approve", style=discord.ButtonStyle.success, custom_id=f"approve:{draft_id}"
            )
        )
        self.draft_id = draft_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> ApproveButton:
        return cls(int(match["draft"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(
            content=f"Draft {self.draft_id} approved", view=None
        )


class DeskSelect(discord.ui.View):
    """A select menu view (non-persistent)."""

    @discord.ui.select(
        custom_id="desk",
        options=[
            discord.SelectOption(label="Politics", value="pol"),
            discord.SelectOption(label="Tech", value="tech"),
        ],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_message(f"desk={select.values[0]}", ephemeral=True)


class Card(discord.ui.LayoutView):
    """Components v2: a container with text and a nested button."""

    container: discord.ui.Container = discord.ui.Container(
        discord.ui.TextDisplay("Breaking: budget passes"),
        discord.ui.ActionRow(discord.ui.Button(label="Ack", custom_id="card:ack")),
    )


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    """Mixes a legacy action-row text input and a Label-wrapped one."""

    topic = discord.ui.TextInput(label="Topic", custom_id="topic", max_length=20)
    details = discord.ui.Label(
        text="Details",
        component=discord.ui.TextInput(
            custom_id="details", style=discord.TextStyle.long, required=False, default="none"
        ),
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        details = self.details.component
        assert isinstance(details, discord.ui.TextInput)
        await interaction.response.send_message(
            f"thanks for {self.topic.value}: {details.value}", ephemeral=True
        )


class FastBot(commands.Bot):
    """discord.py sleeps 5 s before every non-initial IDENTIFY (identify rate limit);
    the fake has no such limit, so skip it to keep re-identify tests fast."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


def build_bot(home_guild_id: int, **options: Any) -> commands.Bot:
    """The bot under test; ``errors`` collects exceptions commands want to expose."""
    intents = discord.Intents.none()
    intents.guilds = True
    bot = FastBot(
        command_prefix=commands.when_mentioned,
        intents=intents,
        allowed_mentions=discord.AllowedMentions.none(),
        guild_ready_timeout=0.01,
        **options,
    )
    bot.errors: list[BaseException] = []  # type: ignore[attr-defined]
    draft = app_commands.Group(name="draft", description="Drafts")

    @draft.command(name="request", description="Request a draft")
    @app_commands.describe(topic="What about", priority="How urgent")
    @app_commands.choices(
        priority=[
            app_commands.Choice(name="Low", value="low"),
            app_commands.Choice(name="High", value="high"),
        ]
    )
    async def draft_request(
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 3, 50],
        priority: app_commands.Choice[str],
        words: app_commands.Range[int, 100, 2000] = 500,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await asyncio.sleep(0.01)
        await interaction.edit_original_response(
            content=f"Queued {topic} ({priority.value}, {words} words)"
        )

    @draft.command(name="announce", description="Announce a draft with an approve button")
    async def draft_announce(interaction: discord.Interaction, draft_id: int) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(ApproveButton(draft_id))
        await interaction.response.send_message(f"Draft {draft_id} ready", view=view)
        await interaction.followup.send("Editors notified", ephemeral=True)

    @draft.command(name="search", description="Search drafts")
    async def draft_search(interaction: discord.Interaction, query: str) -> None:
        await interaction.response.send_message(f"searching {query}", ephemeral=True)

    @draft_search.autocomplete("query")
    async def search_complete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        titles = ["Election night", "Elephant census", "Budget"]
        return [
            app_commands.Choice(name=t, value=t)
            for t in titles
            if t.lower().startswith(current.lower())
        ]

    bot.tree.add_command(draft)

    @bot.tree.command(description="Health check")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    @bot.tree.command(description="Send feedback")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(FeedbackModal())

    @bot.tree.command(description="Upload a file")
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        await interaction.response.send_message(
            f"{file.filename}: {len(data)} bytes, starts {data[:5]!r}"
        )

    @bot.tree.command(description="Pick a desk")
    async def desk(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Choose", view=DeskSelect(timeout=60))

    @bot.tree.command(description="Slow answer")
    async def slow(interaction: discord.Interaction, seconds: float) -> None:
        await asyncio.sleep(seconds)
        try:
            await interaction.response.send_message("late")
        except discord.HTTPException as exc:
            bot.errors.append(exc)  # type: ignore[attr-defined]

    @bot.tree.command(description="Defer and edit after a while")
    async def later(interaction: discord.Interaction, seconds: float) -> None:
        await interaction.response.defer()
        await asyncio.sleep(seconds)
        try:
            await interaction.edit_original_response(content="done")
        except discord.HTTPException as exc:
            bot.errors.append(exc)  # type: ignore[attr-defined]

    @bot.tree.command(description="Editors only")
    @app_commands.guilds(home_guild_id)
    @app_commands.default_permissions(manage_messages=True)
    async def desk_admin(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("admin panel", ephemeral=True)

    @bot.tree.command(description="Describe a member")
    async def profile(
        interaction: discord.Interaction,
        member: discord.Member,
        channel: discord.TextChannel,
        role: discord.Role | None = None,
    ) -> None:
        manage = interaction.permissions.manage_guild
        role_name = role.name if role else None
        await interaction.response.send_message(
            f"{member.name} in #{channel.name} role={role_name} manage={manage}", ephemeral=True
        )

    @bot.tree.command(description="Build a report slowly")
    async def report(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send(f"Report for <@{interaction.user.id}> ready")
        await interaction.followup.send("appendix")

    @bot.tree.context_menu(name="Promote")
    async def promote(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"promote {member.name}", ephemeral=True)

    @bot.tree.context_menu(name="Flag message")
    async def flag(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"flagged {message.content!r}", ephemeral=True)

    @bot.tree.command(description="Send files")
    async def files(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            "here", file=discord.File(io.BytesIO(b"abc"), "a b.txt")
        )
        await interaction.followup.send("more", file=discord.File(io.BytesIO(b"defg"), "d.txt"))
        original = await interaction.original_response()
        replacement = discord.File(io.BytesIO(b"zz"), "z.txt")
        await interaction.edit_original_response(attachments=[original.attachments[0], replacement])

    @bot.tree.command(description="Components v2 card")
    async def card(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(view=Card())

    async def setup_hook() -> None:
        bot.add_dynamic_items(ApproveButton)

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


# ================================================================ fixtures
@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        with server.patch_discord_py():
            yield server
        assert server.unhandled == [], f"bot used unimplemented routes: {server.unhandled}"
        assert server.server_errors == []
        assert server.schema_violations == [], server.violations_report()


@pytest.fixture
async def start_bot(fake: FakeDiscord) -> AsyncIterator[BotFactory]:
    started: list[tuple[commands.Bot, asyncio.Task[None]]] = []

    async def factory(*, sync: bool = True, **options: Any) -> commands.Bot:
        bot = build_bot(fake.world.home_guild_id, **options)
        home = discord.Object(fake.world.home_guild_id)
        await bot.login(fake.token)
        task = asyncio.create_task(bot.connect(), name="test-bot")
        started.append((bot, task))
        await asyncio.wait_for(bot.wait_until_ready(), 5)
        if sync:
            await bot.tree.sync()
            await bot.tree.sync(guild=home)
        return bot

    yield factory
    for bot, task in started:
        await bot.close()
        await asyncio.wait_for(task, 5)


@pytest.fixture
async def bot(start_bot: BotFactory) -> commands.Bot:
    return await start_bot()


# ============================================================ connection
async def test_login_ready_and_guild_cache(fake: FakeDiscord, bot: commands.Bot) -> None:
    world = fake.world
    assert bot.user is not None and bot.user.id == world.bot_user_id
    assert {g.id for g in bot.guilds} == {world.home_guild_id, world.other_guild_id}
    home = bot.get_guild(world.home_guild_id)
    assert home is not None and home.me is not None
    announcements = home.get_channel(world.channels["announcements"])
    assert isinstance(announcements, discord.TextChannel) and announcements.is_news()
    assert home.get_role(world.editor_role_id).name == "Editors"
    perms = announcements.permissions_for(home.me)
    assert perms.send_messages and perms.manage_messages and perms.embed_links
    assert fake.identify_count == 1
    assert fake.gateway.identify_payloads[0]["intents"] == discord.Intents(guilds=True).value


async def test_invalid_token_is_login_failure(fake: FakeDiscord) -> None:
    client = build_bot(fake.world.home_guild_id)
    with pytest.raises(discord.LoginFailure):
        await client.login("not-the-token")
    await client.close()


async def test_sync_records_schema_and_guild_visibility(
    fake: FakeDiscord, bot: commands.Bot
) -> None:
    scopes = [scope for scope, _ in fake.sync_calls]
    assert scopes == [None, fake.world.home_guild_id]
    global_names = {c["name"] for c in fake.registered_commands()}
    assert {
        "draft",
        "ping",
        "feedback",
        "upload",
        "desk",
        "Promote",
        "Flag message",
    } <= global_names
    assert [c["name"] for c in fake.registered_commands(fake.world.home_guild_id)] == ["desk_admin"]
    draft = next(c for c in fake.registered_commands() if c["name"] == "draft")
    assert {o["name"] for o in draft["options"]} == {"request", "announce", "search"}

    handle = await fake.invoke("editor1", "desk_admin")
    assert (await handle.wait_response()).data["content"] == "admin panel"
    with pytest.raises(CommandUnavailable):
        await fake.invoke("admin2", "desk_admin", guild=fake.world.other_guild_id)


# ========================================================== interactions
async def test_invoke_gets_ephemeral_response(fake: FakeDiscord, bot: commands.Bot) -> None:
    handle = await fake.invoke("reader", "ping")
    response = await handle.wait_response()
    assert response.type == 4
    assert handle.ephemeral and handle.text() == "pong"
    assert handle.ack_latency is not None and handle.ack_latency < 1
    assert fake.channel_messages("general") == []  # ephemeral is not channel history
    record = handle.original_record
    assert record is not None and record.interaction_id == handle.id


async def test_defer_then_edit_original(fake: FakeDiscord, bot: commands.Bot) -> None:
    handle = await fake.invoke(
        "editor1", "draft request", {"topic": "Elections", "priority": "high", "words": 800}
    )
    await handle.wait_response()
    assert handle.deferred and handle.ephemeral
    final = await handle.wait_final()
    assert final["content"] == "Queued Elections (high, 800 words)"
    assert [v["flags"] for v in handle.original_history] == [64 | 128, 64]
    data = handle.payload["data"]
    assert data["options"][0]["type"] == 1 and data["options"][0]["name"] == "request"


async def test_invalid_options_are_refused_like_the_client(
    fake: FakeDiscord, bot: commands.Bot
) -> None:
    with pytest.raises(ValueError, match="missing required"):
        await fake.invoke("editor1", "draft request", {"priority": "low"})
    with pytest.raises(ValueError, match="not one of the choices"):
        await fake.invoke("editor1", "draft request", {"topic": "Budget", "priority": "urgent"})
    with pytest.raises(ValueError, match="length"):
        await fake.invoke("editor1", "draft request", {"topic": "ab", "priority": "low"})
    with pytest.raises(ValueError, match="outside"):
        await fake.invoke(
            "editor1", "draft request", {"topic": "Budget", "priority": "low", "words": 5}
        )
    with pytest.raises(ValueError, match="no option"):
        await fake.invoke(
            "editor1", "draft request", {"topic": "Budget", "priority": "low", "bogus": 1}
        )
    with pytest.raises(ValueError, match="subcommand"):
        await fake.invoke("editor1", "draft")


async def test_followup_after_response(fake: FakeDiscord, bot: commands.Bot) -> None:
    handle = await fake.invoke("editor1", "draft announce", {"draft_id": 7})
    followups = await handle.wait_followups(1)
    assert followups[0]["content"] == "Editors notified" and followups[0]["flags"] & 64
    assert handle.original["content"] == "Draft 7 ready"
    assert [m["content"] for m in fake.channel_messages("general")] == ["Draft 7 ready"]
    assert "Draft 7 ready" in handle.text() and "Editors notified" in handle.text()


async def test_autocomplete_returns_bot_choices(fake: FakeDiscord, bot: commands.Bot) -> None:
    choices = await fake.autocomplete("reader", "draft search", {"query": "ele"}, focused="query")
    assert [c["value"] for c in choices] == ["Election night", "Elephant census"]


async def test_attachment_option_served_to_bot(fake: FakeDiscord, bot: commands.Bot) -> None:
    handle = await fake.invoke(
        "editor2", "upload", attachments={"file": ("notes.txt", b"hello world", "text/plain")}
    )
    response = await handle.wait_response()
    assert response.data["content"] == "notes.txt: 11 bytes, starts b'hello'"
    resolved = handle.payload["data"]["resolved"]["attachments"]
    assert next(iter(resolved.values()))["filename"] == "notes.txt"


async def test_click_persistent_dynamic_button(fake: FakeDiscord, bot: commands.Bot) -> None:
    announce = await fake.invoke("editor1", "draft announce", {"draft_id": 42})
    await announce.wait_response()
    click = await fake.click("editor2", announce, "approve:42")
    assert (await click.wait_response()).type == 7
    message = fake.message("general", announce.original["id"])
    assert (
        message is not None
        and message["content"] == "Draft 42 approved"
        and message["components"] == []
    )
    assert len(fake.message_record(int(message["id"])).versions) == 2
    with pytest.raises(ValueError, match="no component"):
        await fake.click("editor2", announce, "approve:42")


async def test_select_menu_values(fake: FakeDiscord, bot: commands.Bot) -> None:
    handle = await fake.invoke("reader", "desk")
    await handle.wait_response()
    pick = await fake.click("reader", handle, "desk", values=["tech"])
    assert (await pick.wait_response()).data["content"] == "desk=tech"
    with pytest.raises(ValueError, match="no option"):
        await fake.click("reader", handle, "desk", values=["sports"])


async def test_modal_open_and_submit(fake: FakeDiscord, bot: commands.Bot) -> None:
    handle = await fake.invoke("reader", "feedback")
    assert (await handle.wait_response()).type == 9
    modal = handle.modal
    assert modal is not None and modal.title == "Feedback"
    assert modal.inputs["details"].value == "none" and modal.inputs["topic"].max_length == 20
    with pytest.raises(ValueError, match="required"):
        await fake.submit_modal("reader", handle, {})
    with pytest.raises(ValueError, match="max 20"):
        await fake.submit_modal("reader", handle, {"topic": "x" * 21})
    submitted = await fake.submit_modal("reader", handle, {"Topic": "typos"})
    components = submitted.payload["data"]["components"]
    assert [c["type"] for c in components] == [1, 18]
    assert (await submitted.wait_response()).data["content"] == "thanks for typos: none"


async def test_late_callback_is_unknown_interaction(fake: FakeDiscord, bot: commands.Bot) -> None:
    fake.interaction_ack_timeout = 0.05
    handle = await fake.invoke("reader", "slow", {"seconds": 0.2})
    await asyncio.sleep(0.4)
    assert handle.response is None
    assert any("10062" in r for r in handle.rejections)
    assert isinstance(bot.errors[0], discord.NotFound) and bot.errors[0].code == 10062


async def test_expired_token_and_double_ack(fake: FakeDiscord, bot: commands.Bot) -> None:
    fake.interaction_token_ttl = 0.1
    handle = await fake.invoke("reader", "later", {"seconds": 0.3})
    await handle.wait_response()
    await asyncio.sleep(0.5)
    assert bot.errors and bot.errors[0].status == 401 and bot.errors[0].code == 50027
    url = f"{fake.api_base}/interactions/{handle.id}/{handle.token}/callback"
    async with aiohttp.ClientSession() as session, session.post(url, json={"type": 5}) as resp:
        assert resp.status == 400 and (await resp.json())["code"] == 40060


# ============================================================== messages
async def test_nonce_with_enforce_nonce_creates_one_message(
    fake: FakeDiscord, bot: commands.Bot
) -> None:
    channel = bot.get_channel(fake.world.channels["editorial"])
    first = await channel.send("Edition 12", nonce="edition-12")
    second = await channel.send("Edition 12", nonce="edition-12")
    assert first.id == second.id
    assert [m["content"] for m in fake.channel_messages("editorial")] == ["Edition 12"]


async def test_multipart_upload_recorded(fake: FakeDiscord, bot: commands.Bot) -> None:
    channel = bot.get_channel(fake.world.channels["feedback"])
    sent = await channel.send(
        "report", file=discord.File(io.BytesIO(b"a,b\n1,2\n"), filename="report.csv")
    )
    assert sent.attachments[0].filename == "report.csv"
    assert await sent.attachments[0].read() == b"a,b\n1,2\n"
    record = fake.message_record(sent.id)
    stored = next(iter(record.files.values()))
    assert (stored.filename, stored.data, stored.content_type) == (
        "report.csv",
        b"a,b\n1,2\n",
        "text/csv",
    )
    assert record.versions[0].allowed_mentions == {"parse": []}


async def test_edit_history_and_deleted_message(fake: FakeDiscord, bot: commands.Bot) -> None:
    channel = bot.get_channel(fake.world.channels["general"])
    sent = await channel.send("v1")
    await sent.edit(content="v2")
    assert [v["content"] for v in fake.message_record(sent.id).history] == ["v1", "v2"]
    fake.delete_message("general", sent.id)
    with pytest.raises(discord.NotFound) as exc:
        await sent.edit(content="v3")
    assert exc.value.code == 10008


async def test_crosspost_follow_and_hourly_limit(fake: FakeDiscord, start_bot: BotFactory) -> None:
    bot = await start_bot(max_ratelimit_timeout=30)
    fake.crosspost_limit = (2, 3600.0)
    announcements = bot.get_channel(fake.world.channels["announcements"])
    news = bot.get_channel(fake.world.channels["news"])
    await announcements.follow(destination=news)
    published = []
    for n in range(2):
        message = await announcements.send(f"Bulletin {n}")
        await message.publish()
        published.append(message)
    assert all(fake.message_record(m.id).current["flags"] & 1 for m in published)
    assert [m["content"] for m in fake.channel_messages("news")] == ["Bulletin 0", "Bulletin 1"]
    third = await announcements.send("Bulletin 2")
    with pytest.raises(discord.RateLimited) as exc:
        await third.publish()
    assert exc.value.retry_after > 3000
    assert fake.stats.shared_429s == 1
    general = bot.get_channel(fake.world.channels["general"])
    not_news = await general.send("not news")
    with pytest.raises(discord.Forbidden):
        await not_news.publish()


async def test_edits_of_a_crosspost_reach_followers_and_deletes_do_not(
        fake: FakeDiscord, start_bot: BotFactory) -> None:
    bot = await start_bot()
    announcements = bot.get_channel(fake.world.channels["announcements"])
    news = bot.get_channel(fake.world.channels["news"])
    webhook = await announcements.follow(destination=news)
    message = await announcements.send("Bulletin: the vote was 7 to 2")
    await message.publish()
    await message.edit(content="Bulletin: the vote was 6 to 3 (corrected)")
    [copy] = fake.channel_messages("news")
    assert copy["content"] == "Bulletin: the vote was 6 to 3 (corrected)"
    assert copy["edited_timestamp"] and copy["flags"] & 2  # IS_CROSSPOST
    await message.delete()
    assert [m["content"] for m in fake.channel_messages("news")] == [copy["content"]]
    await bot.http.request(discord.http.Route("DELETE", "/webhooks/{webhook_id}",
                                              webhook_id=webhook.id))
    assert fake.followers == []
    later = await announcements.send("Bulletin 2")
    await later.publish()
    assert len(fake.channel_messages("news")) == 1  # unfollowed: no copy


async def test_integrations_permissions_show_commands_default_permissions_hide(
        fake: FakeDiscord, bot: commands.Bot) -> None:
    """`/desk_admin` needs Manage Messages; the home server's admin gave the Editors role
    the bot's commands (Server Settings > Integrations)."""
    with pytest.raises(CommandUnavailable, match="default_member_permissions"):
        await fake.invoke("reader", "desk_admin")
    await (await fake.invoke("editor1", "desk_admin")).wait_response()
    home = fake.world.guilds[fake.world.home_guild_id]
    home.command_access.append({"id": home.id, "type": 1, "permission": True})
    await (await fake.invoke("reader", "desk_admin")).wait_response()
    home.command_access.append({"id": fake.world.users["reader"], "type": 2,
                                "permission": False})
    with pytest.raises(CommandUnavailable, match="Integrations"):
        await fake.invoke("reader", "desk_admin")
    [entry] = await bot.http.get_guild_application_command_permissions(
        fake.world.application_id, home.id)
    assert entry["id"] == str(fake.world.application_id)
    assert {(p["id"], p["permission"]) for p in entry["permissions"]} == {
        (str(fake.world.editor_role_id), True), (str(home.id), True),
        (str(fake.world.users["reader"]), False)}


async def test_short_crosspost_window_is_waited_out(fake: FakeDiscord, bot: commands.Bot) -> None:
    fake.crosspost_limit = (1, 0.3)
    announcements = bot.get_channel(fake.world.channels["announcements"])
    for n in range(2):
        await (await announcements.send(f"Flash {n}")).publish()
    assert fake.stats.shared_429s == 1
    assert all(m["flags"] & 1 for m in fake.channel_messages("announcements"))


async def test_global_limit_with_concurrent_sends(fake: FakeDiscord, bot: commands.Bot) -> None:
    fake.global_rate_window = 0.25
    channel_ids = fake.add_text_channels(fake.world.home_guild_id, 40)
    sends = [
        bot.get_partial_messageable(cid).send(f"item {n}") for n in range(3) for cid in channel_ids
    ]
    await asyncio.gather(*sends)
    assert sum(len(fake.channel_messages(cid)) for cid in channel_ids) == 120
    assert fake.stats.global_429s > 0
    assert (
        fake.stats.requests["POST /channels/{channel_id}/messages"] == 120 + fake.stats.global_429s
    )


async def test_injected_failure_is_retried(fake: FakeDiscord, bot: commands.Bot) -> None:
    fake.fail_next(
        "POST",
        r"/channels/\d+/messages$",
        429,
        json={"message": "slow down", "retry_after": 0.05, "global": False},
    )
    await bot.get_channel(fake.world.channels["general"]).send("after a 429")
    assert fake.stats.injected_failures == 1
    assert [m["content"] for m in fake.channel_messages("general")] == ["after a 429"]


async def test_denied_channel_and_closed_dms(fake: FakeDiscord, bot: commands.Bot) -> None:
    fake.deny_bot("feedback")
    channel = bot.get_channel(fake.world.channels["feedback"])
    with pytest.raises(discord.Forbidden) as exc:
        await channel.send("hidden")
    assert exc.value.code == 50001
    fake.deny_bot("feedback", code=50013)
    with pytest.raises(discord.Forbidden) as exc:
        await channel.send("read only")
    assert exc.value.code == 50013
    fake.close_dms("reader")
    user = await bot.fetch_user(fake.world.users["reader"])
    with pytest.raises(discord.Forbidden) as exc:
        await user.send("hi")
    assert exc.value.code == 50007
    await (await bot.fetch_user(fake.world.users["editor1"])).send("hi editor")
    assert [m["content"] for m in fake.dm_messages("editor1")] == ["hi editor"]


async def test_threads_from_message(fake: FakeDiscord, bot: commands.Bot) -> None:
    channel = bot.get_channel(fake.world.channels["editorial"])
    message = await channel.send("Story pitch")
    thread = await message.create_thread(name="Pitch discussion")
    assert thread.id == message.id and thread.type is discord.ChannelType.public_thread
    await thread.send("first note")
    assert [m["content"] for m in fake.channel_messages(thread.id)] == ["first note"]
    await asyncio.sleep(0.05)
    assert bot.get_channel(thread.id) is not None  # THREAD_CREATE reached the cache


async def test_pings_follow_allowed_mentions(fake: FakeDiscord, bot: commands.Bot) -> None:
    channel = bot.get_channel(fake.world.channels["general"])
    editor = fake.world.users["editor1"]
    await channel.send(f"@everyone <@{editor}> quiet")  # bot default: AllowedMentions.none()
    assert fake.pings() == []
    loud = await channel.send("@everyone breaking", allowed_mentions=discord.AllowedMentions.all())
    pings = fake.pings()
    assert len(pings) == 1 and pings[0].message_id == loud.id and pings[0].targets.everyone
    await channel.send(
        f"`@everyone` <@{editor}>", allowed_mentions=discord.AllowedMentions(users=True)
    )
    assert fake.pings()[-1].targets.users == [editor] and not fake.pings()[-1].targets.everyone


async def test_snapshot_detects_no_change(fake: FakeDiscord, bot: commands.Bot) -> None:
    await bot.get_channel(fake.world.channels["general"]).send("stable")
    before = fake.snapshot()
    with pytest.raises(ValueError):
        await fake.invoke("reader", "draft request", {"topic": "x", "priority": "low"})
    assert fake.snapshot() == before


# =============================================================== gateway
async def test_reconnect_drop_and_invalid_session(fake: FakeDiscord, bot: commands.Bot) -> None:
    await fake.send_reconnect()
    await fake.wait_until_connected(5)
    assert fake.resume_count == 1 and fake.gateway.connection_paths[-1] == "/gateway-resume"
    assert (await (await fake.invoke("reader", "ping")).wait_response()).type == 4

    await fake.drop_socket()
    queued = await fake.invoke(
        "reader", "ping"
    )  # dispatched while disconnected: replayed on RESUME
    await fake.wait_until_connected(5)
    assert fake.resume_count == 2
    assert (await queued.wait_response()).type == 4

    await fake.send_invalid_session(resumable=False)
    await fake.wait_until_connected(5)
    assert fake.identify_count == 2
    assert (await (await fake.invoke("reader", "ping")).wait_response()).type == 4


async def test_resolved_user_channel_role_options(fake: FakeDiscord, bot: commands.Bot) -> None:
    handle = await fake.invoke(
        "admin", "profile", {"member": "editor2", "channel": "editorial", "role": "Editors"}
    )
    assert (await handle.wait_response()).data["content"] == (
        "editor2 in #editorial role=Editors manage=True"
    )
    resolved = handle.payload["data"]["resolved"]
    assert set(resolved) == {"users", "members", "channels", "roles"}
    with pytest.raises(ValueError, match="not in guild"):
        await fake.invoke("admin", "profile", {"member": "editor2", "channel": "news"})
    with pytest.raises(ValueError, match="not a member"):
        await fake.invoke("admin", "profile", {"member": "reader2", "channel": "general"})
    reader = await fake.invoke("reader", "profile", {"member": "reader", "channel": "general"})
    assert (await reader.wait_response()).data["content"].endswith("manage=False")


async def test_first_followup_after_defer_fills_original(
    fake: FakeDiscord, bot: commands.Bot
) -> None:
    handle = await fake.invoke("editor1", "report")
    final = await handle.wait_final()
    assert final["content"] == f"Report for <@{fake.world.users['editor1']}> ready"
    assert [m["content"] for m in await handle.wait_followups(1)] == ["appendix"]
    assert [m["content"] for m in fake.channel_messages("general")] == [
        final["content"],
        "appendix",
    ]
    assert fake.pings() == []  # AllowedMentions.none() on the bot


async def test_dm_invocation_and_context_menus(fake: FakeDiscord, bot: commands.Bot) -> None:
    dm = await fake.invoke("reader", "ping", guild="dm")
    assert (await dm.wait_response()).data["content"] == "pong"
    assert "member" not in dm.payload and dm.payload["context"] == 1
    with pytest.raises(CommandUnavailable):
        await fake.invoke("reader", "desk_admin", guild="dm")

    promote = await fake.context_menu("admin", "Promote", target_user="editor1")
    assert (await promote.wait_response()).data["content"] == "promote editor1"
    posted = fake.post_as_user("reader", "general", "hot take")
    flag = await fake.context_menu("editor1", "Flag message", target_message=posted)
    assert (await flag.wait_response()).data["content"] == "flagged 'hot take'"
    with pytest.raises(ValueError, match="cannot post"):
        fake.post_as_user("reader", "announcements", "not allowed here")


async def test_rest_surface_used_by_common_bot_code(fake: FakeDiscord, bot: commands.Bot) -> None:
    channel = bot.get_channel(fake.world.channels["editorial"])
    fake.post_as_user("editor1", "editorial", "pitch: budget")
    ours = [await channel.send(f"note {n}") for n in range(3)]
    history = [m.content async for m in channel.history(limit=10)]
    assert history == ["note 2", "note 1", "note 0", "pitch: budget"]
    fetched = await channel.fetch_message(ours[0].id)
    await fetched.add_reaction("\N{THUMBS UP SIGN}")
    await fetched.pin()
    assert [m.id async for m in channel.pins()] == [ours[0].id]
    await channel.delete_messages(ours[1:])
    assert [m["content"] for m in fake.channel_messages("editorial")] == ["pitch: budget", "note 0"]
    assert fake.message("editorial", ours[0].id)["reactions"][0]["me"] is True
    guild = await bot.fetch_guild(fake.world.home_guild_id)
    member = await guild.fetch_member(fake.world.users["editor1"])
    assert [r.id for r in member.roles if not r.is_default()] == [fake.world.editor_role_id]
    assert (await bot.fetch_channel(channel.id)).name == "editorial"
    thread = await channel.create_thread(name="Standup", type=discord.ChannelType.public_thread)
    await thread.send("in thread")
    await thread.edit(archived=True)


async def test_discord_validation_errors(fake: FakeDiscord, bot: commands.Bot) -> None:
    channel = bot.get_channel(fake.world.channels["general"])
    with pytest.raises(discord.HTTPException) as exc:
        await channel.send("x" * 2001)
    assert exc.value.status == 400 and exc.value.code == 50035 and "content" in exc.value.text
    with pytest.raises(discord.HTTPException) as exc:
        await channel.send(embed=discord.Embed(title="t" * 257))
    assert exc.value.code == 50035 and "must be at most 256 characters" in exc.value.text
    [violation] = fake.take_schema_violations()  # refused by Discord's API description
    assert (violation.route, violation.field) == ("/channels/{channel_id}/messages",
                                                  "embeds.0.title")
    with pytest.raises(discord.HTTPException) as exc:
        await bot.http.send_message(
            channel.id, params=discord.http.MultipartParameters({}, None, None)
        )
    assert exc.value.code == 50006
    bad_sync = [{"name": "Bad Name", "description": "x", "type": 1}]
    url = f"{fake.api_base}/applications/{fake.world.application_id}/commands"
    headers = {"Authorization": f"Bot {fake.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.put(url, json=bad_sync, headers=headers) as resp,
    ):
        assert resp.status == 400 and (await resp.json())["code"] == 50035
        assert resp.headers["Content-Type"] == "application/json"
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        assert resp.status == 401


CHILD_BOT = textwrap.dedent(
    """
    import asyncio, sys, discord, yarl
    from discord.ext import commands

    api_base, gateway, token = sys.argv[1:4]
    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    intents = discord.Intents(guilds=True)
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.01)

    @bot.tree.command(description="Health check")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong from child")

    @bot.event
    async def on_ready() -> None:
        await bot.tree.sync()

    asyncio.run(bot.start(token))
    """
)


async def test_bot_in_subprocess_restart(fake: FakeDiscord, tmp_path: Path) -> None:
    script = tmp_path / "child_bot.py"
    script.write_text(CHILD_BOT)

    async def spawn() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, str(script), fake.api_base, fake.gateway_url, fake.token
        )

    first = await spawn()
    try:
        await fake.wait_until_connected(20)
        await fake.wait_for_commands()
        assert (await (await fake.invoke("reader", "ping")).wait_response()).type == 4
    finally:
        first.kill()
        await first.wait()
    await fake.wait_until_disconnected()
    lost = await fake.invoke("reader", "ping")  # buffered for a session nobody resumes
    second = await spawn()
    try:
        await fake.wait_until_connected(20)
        assert fake.identify_count == 2 and fake.resume_count == 0
        answered = await fake.invoke("reader", "ping")
        assert (await answered.wait_response()).data["content"] == "pong from child"
        assert lost.response is None
    finally:
        second.terminate()
        await second.wait()


async def test_privileged_intent_not_enabled(fake: FakeDiscord) -> None:
    fake.gateway.enabled_privileged_intents = 0
    intents = discord.Intents(guilds=True, message_content=True)
    client = FastBot(command_prefix="!", intents=intents)
    await client.login(fake.token)
    with pytest.raises(discord.PrivilegedIntentsRequired):
        await asyncio.wait_for(client.connect(), 5)
    await client.close()


async def test_many_channels_reach_the_cache(fake: FakeDiscord, bot: commands.Bot) -> None:
    home = bot.get_guild(fake.world.home_guild_id)
    created = fake.add_text_channels(fake.world.home_guild_id, 500, prefix="bench")
    await bot.wait_for("guild_channel_create", check=lambda c: c.id == created[-1], timeout=5)
    assert len(home.text_channels) == 504
    assert fake.world.channels["bench-499"] == created[-1]


async def test_message_content_intent_redaction(fake: FakeDiscord, start_bot: BotFactory) -> None:
    bot = await start_bot(sync=False)
    bot._connection._intents.guild_messages = True  # as if restarted with more intents
    await fake.send_invalid_session(resumable=False)
    await fake.wait_until_connected(5)
    assert fake.gateway.identify_payloads[-1]["intents"] & (1 << 9)
    waiter = asyncio.ensure_future(bot.wait_for("message", timeout=5))
    fake.post_as_user("reader", "general", "secret scoop")
    assert (await waiter).content == ""
    waiter = asyncio.ensure_future(bot.wait_for("message", timeout=5))
    fake.post_as_user("reader", "general", f"<@{fake.world.bot_user_id}> hello bot")
    assert (await waiter).content.endswith("hello bot")


async def test_file_responses_and_components_v2(fake: FakeDiscord, bot: commands.Bot) -> None:
    @bot.listen()
    async def on_interaction(interaction: discord.Interaction) -> None:
        if interaction.data and interaction.data.get("custom_id") == "card:ack":
            await interaction.response.send_message("acked", ephemeral=True)

    handle = await fake.invoke("reader", "files")
    await handle.wait_final(
        lambda m: len(m["attachments"]) == 2 and m["attachments"][1]["filename"] == "z.txt"
    )
    assert [(a["filename"], fake.attachment_bytes(a)) for a in handle.original["attachments"]] == [
        ("a_b.txt", b"abc"),
        ("z.txt", b"zz"),
    ]
    assert fake.attachment_bytes(handle.followups[0]["attachments"][0]) == b"defg"

    card = await fake.invoke("editor1", "card")
    await card.wait_response()
    assert card.original["flags"] & (1 << 15) and card.text() == "Breaking: budget passes"
    ack = await fake.click("editor2", card, "card:ack")
    assert (await ack.wait_response()).data["content"] == "acked"
