"""The Bot subclass: start-up, command sync, and the one error path for interactions."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
import sqlite3
import uuid
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot import backup, http, metrics
from bot.admin import Admin
from bot.claude import Claude
from bot.config import Settings
from bot.copies import CopyKeeper, Renditions
from bot.courier import Courier
from bot.crossposts import Crossposter
from bot.desk import StoryDesk
from bot.discord_port import ClientPort
from bot.drafting import Drafter
from bot.errors import NewsroomError
from bot.model_watch import warn_if_retiring
from bot.notices import Notices
from bot.pacer import Pacer
from bot.publishing import Publisher
from bot.readers import ReaderDesk
from bot.ready import PromptReadyState
from bot.scheduling import EditionScheduler
from bot.subscriptions import SubscriptionDesk
from bot.web.health import GatewayWatch, Probes
from bot.web.server import WebServer
from storage.records import utcnow
from storage.worker import AsyncStore

log = logging.getLogger(__name__)

EDITORIAL_EXTENSIONS = (
    "cogs.admin",
    "cogs.drafts",
    "cogs.review",
    "cogs.publish",
    "cogs.corrections",
    "cogs.triage",
)
READER_EXTENSIONS = ("cogs.feedback", "cogs.subscribers", "cogs.archive", "cogs.help")
EXTENSIONS = EDITORIAL_EXTENSIONS + READER_EXTENSIONS

READY_GRACE = 30.0
"""Seconds start-up work waits for the gateway before it resumes without it."""
GENERIC_ERROR = "Something went wrong on our side and nothing was changed. (ref {ref})"


def point_discord_at(settings: Settings) -> None:
    """Aim discord.py at another Discord-compatible endpoint (a proxy or the test servers)."""
    discord.http.Route.BASE = settings.discord_api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def user_message(error: BaseException) -> str | None:
    """The text to show for an error, or None when it is a bug to log, not explain."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        error = error.__cause__ or error
    if isinstance(error, NewsroomError):
        return str(error)
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You are not allowed to do that here."
    return None


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Answer the member ephemerally (followup if already answered), log bugs in full."""
    text = user_message(error)
    if text is None:
        ref = uuid.uuid4().hex[:8]
        command = interaction.command.qualified_name if interaction.command else None
        log.error("unhandled error in %s (ref %s)", command or interaction.data, ref,
                  exc_info=error)
        text = GENERIC_ERROR.format(ref=ref)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException as exc:
        log.warning("could not tell the member about an error: %s", exc)


class NewsroomTree(app_commands.CommandTree["NewsroomBot"]):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError
                       ) -> None:
        await report_error(interaction, error)


class NewsroomBot(commands.Bot):
    """Owns the store, the services and the scheduler; cogs reach them through it."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        options.setdefault("guild_ready_timeout", 1.0)  # the most READY waits for a guild
        # A crosspost over its hourly budget answers 429 with a retry of up to an hour:
        # raise instead of sleeping, so the publisher can queue it.
        options.setdefault("max_ratelimit_timeout", 30.0)
        options.setdefault("http_trace", metrics.discord_trace())
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            tree_cls=NewsroomTree,
            **options,
        )
        self.pacer = Pacer()  # every request counted by Discord's global limit waits here
        http.install(self, self.pacer)
        self.settings = settings
        self.serving = True  # False for one-off CLI logins (sync-commands)
        self.resuming: asyncio.Task[None] | None = None
        self.resumed = asyncio.Event()  # set once `resume_work` has done its part
        self.resume_error: Exception | None = None
        self.store = AsyncStore(settings.db_path)
        self.admin = Admin(settings, self.store)
        self.claude = Claude(settings)
        self.drafter = Drafter(self.store, self.claude, self.admin, settings)
        self.desk = StoryDesk(self.store, self.admin, self.drafter.cancel)
        self.port = ClientPort(self)
        self.notices = Notices(self.port, self.admin)
        renditions = Renditions(self.store, self.admin)
        self.crossposter = Crossposter(self.store, self.port)
        self.courier = Courier(self.store, self.port, renditions,
                               CopyKeeper(self.store, self.port, renditions), self.crossposter,
                               self.notices)
        self.editions = EditionScheduler(self.admin)
        self.publisher = Publisher(self.store, self.admin, self.editions, self.courier,
                                   self.notices)
        self.readers = ReaderDesk(self.store, self.admin, settings, self.desk, self.courier,
                                  self.notices, self.port)
        self.subscriptions = SubscriptionDesk(self.store, self.admin, settings, self.port,
                                              self.courier)
        self.web = WebServer(settings, self.store, Probes(
            GatewayWatch(self).state, self.publisher.next_edition,
            lambda: self.admin.current.timezone)) if settings.http_address else None

    def _get_state(self, **options: Any) -> PromptReadyState:
        """discord.py's connection state, but ready once every guild has arrived."""
        return PromptReadyState(dispatch=self.dispatch, handlers=self._handlers,
                                hooks=self._hooks, http=self.http, **options)

    @property
    def home_guild(self) -> discord.Object:
        return discord.Object(self.settings.guild_id or 0)

    async def setup_hook(self) -> None:
        """What must be in place before the gateway connects: the store, the settings,
        every cog (so any interaction is answered) and the commands synced when they
        changed. The work start-up owes the newsroom but no interaction waits for is
        resumed once the bot is ready (`resume_work`), so connecting does not wait."""
        await self.store.open()
        if self.serving and self.web is not None:
            await self.web.start()  # answers 503 until the gateway is ready
        await self.admin.load()
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.serving:
            self.editions.start(self.publisher.run_edition)
            await self.sync_commands()
            self.resuming = asyncio.create_task(self.resume_work(), name="resume work")
        log.info("newsroom ready to connect (database %s)", self.settings.db_path)

    async def resume_work(self) -> None:
        """Once ready (or after READY_GRACE without a gateway): draft jobs resumed, the
        announcement channel's followers synced, missed editions caught up, the courier
        started (pending deliveries go out), backups and the model watch scheduled. A
        failure here stops the bot, as one during start-up would."""
        try:
            async with asyncio.timeout(READY_GRACE):
                await self.wait_until_ready()
        except TimeoutError:
            log.warning("not connected after %.0f s: resuming work anyway", READY_GRACE)
        try:
            await self.drafter.resume_all()
            await self.publisher.sync_announcement()
            await self.publisher.catch_up()
            self.courier.start()
            await self.schedule_backups()
            self.watch_model()
        except Exception as exc:
            log.critical("could not resume the newsroom's work; stopping", exc_info=True)
            self.resume_error = exc
            await self.close()
            return
        # ~190,000 long-lived objects from the imports: a full collection of them stalls
        # the loop for ~100 ms mid fan-out (bench/loop_lag.py); move them out of its way.
        gc.collect()
        gc.freeze()
        self.resumed.set()
        log.info("newsroom work resumed")

    async def schedule_backups(self) -> None:
        """Daily at 03:00 newsroom time, and at once if the last one is over a day old."""
        folder = self.settings.backup_dir
        if folder is None:
            return
        self.editions.daily("backup", "0 3 * * *", self.backup)
        if await asyncio.to_thread(backup.due, folder, utcnow()):
            asyncio.get_running_loop().create_task(self.backup(), name="catch-up backup")

    def watch_model(self) -> None:
        """Daily, and now: tell the team a month before the drafting model retires."""
        if not self.claude.configured:
            return
        self.editions.daily("model-lifecycle", "0 9 * * *", self.check_model)
        asyncio.get_running_loop().create_task(self.check_model(), name="model lifecycle")

    async def check_model(self) -> None:
        try:
            await warn_if_retiring(self.claude, self.store, self.notices.team, utcnow())
        except Exception:
            log.exception("could not check the model's lifecycle")

    async def backup(self) -> None:
        assert self.settings.backup_dir is not None
        try:
            await backup.run_backup(self.store, self.settings.backup_dir,
                                    self.settings.backup_keep)
        except (OSError, sqlite3.Error) as exc:
            folder = self.settings.backup_dir
            log.error("the daily backup to %s failed: %s", folder, exc)
            await self.notices.team(f"The daily backup to {folder} failed: {exc}")

    async def close(self) -> None:
        if self.resuming is not None and self.resuming is not asyncio.current_task():
            self.resuming.cancel()
        self.editions.shutdown()
        await self.drafter.stop()
        await self.courier.stop()
        if self.web is not None:
            await self.web.stop()
        await super().close()
        await self.claude.close()
        await self.store.close()

    def command_payload(self, guild: discord.abc.Snowflake | None) -> list[dict[str, Any]]:
        return [c.to_dict(self.tree) for c in self.tree.get_commands(guild=guild)]

    async def sync_commands(self, *, force: bool = False) -> list[str]:
        """Sync global and home-guild commands, each only when its schema changed."""
        synced = []
        for scope, guild in (("global", None), (f"guild:{self.home_guild.id}", self.home_guild)):
            payload = json.dumps(self.command_payload(guild), sort_keys=True)
            digest = hashlib.sha256(f"{self.application_id}:{payload}".encode()).hexdigest()
            key = f"commands:{scope}"
            if force or await self.store.meta.get(key) != digest:
                await self.tree.sync(guild=guild)
                await self.store.meta.put(key, digest)
                synced.append(scope)
        log.info("application commands synced: %s", ", ".join(synced) or "unchanged")
        return synced

    async def on_setup_changed(self, changed: dict[str, Any]) -> None:
        """Apply what /newsroom setup changed to the running services."""
        if {"editions", "timezone"} & changed.keys():
            self.editions.reschedule()
        if "announce_channel_id" in changed:
            await self.publisher.sync_announcement()

    async def on_ready(self) -> None:
        log.info("connected as %s to %d guild(s)", self.user, len(self.guilds))
