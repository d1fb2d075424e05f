"""The `newsroom` command line: run, sync-commands, check, backup, restore.

Every failure a user can cause prints one line on stderr and exits non-zero.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import metrics
from bot.errors import NewsroomError
from bot.log import setup_logging
from bot.restore import restore, run_lock
from storage.store import StoreError

log = logging.getLogger(__name__)


def _secrets(settings) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.get_secret_value() for s in (settings.discord_token, settings.anthropic_api_key)
            if s is not None]


def cmd_run(args: argparse.Namespace) -> int:
    import aiohttp
    import discord

    from bot.app import NewsroomBot, point_discord_at
    from bot.config import load_settings

    settings = load_settings(args.env_file)
    settings.require_for_run()
    setup_logging(settings.log_level, _secrets(settings), settings.log_format)
    point_discord_at(settings)
    bot = NewsroomBot(settings)
    assert settings.discord_token is not None
    try:
        with run_lock(settings.db_path):
            asyncio.run(_run(bot, settings.discord_token.get_secret_value()))
    except discord.LoginFailure:
        raise NewsroomError("Discord refused the token: check DISCORD_TOKEN") from None
    except (aiohttp.ClientConnectionError, discord.GatewayNotFound) as exc:
        raise NewsroomError(f"cannot reach Discord at {settings.discord_api_base} ({exc}); "
                            "check the network or DISCORD_API_BASE") from None
    except KeyboardInterrupt:
        log.info("stopped")
    return 0


STOP_GRACE = 10.0
"""Seconds a SIGTERM/SIGINT leaves message parts in flight to finish."""


async def _run(bot, token: str) -> None:  # type: ignore[no-untyped-def]
    await bot.store.open()  # fail fast on a bad database, before connecting anywhere
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with bot:
        running = asyncio.create_task(bot.start(token), name="bot")
        stopping = asyncio.create_task(stop.wait(), name="signals")
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if running.done():
            stopping.cancel()
            running.result()  # a login or network failure surfaces here
            if bot.resume_error is not None:
                raise bot.resume_error  # start-up work failed after connecting
            return
        await _stop(bot, running)


async def _stop(bot, running: asyncio.Task[None]) -> None:  # type: ignore[no-untyped-def]
    """Take no new work, let message parts already sent to Discord be answered and
    recorded (at most STOP_GRACE), then close everything (the database last)."""
    log.info("stopping: no new work; letting messages in flight finish (at most %.0f s)",
             STOP_GRACE)
    running.cancel()  # no more gateway events, so no new interactions
    await asyncio.gather(running, return_exceptions=True)
    bot.editions.shutdown()
    bot.pacer.close()
    if not await metrics.requests_settled(STOP_GRACE):
        log.warning("requests still in flight after %.0f s; stopping anyway", STOP_GRACE)
    await bot.close()
    log.info("stopped cleanly")


def cmd_sync(args: argparse.Namespace) -> int:
    from bot.app import NewsroomBot, point_discord_at
    from bot.config import load_settings

    settings = load_settings(args.env_file)
    settings.require_for_run()
    setup_logging(settings.log_level, _secrets(settings), settings.log_format)
    point_discord_at(settings)

    async def sync() -> list[str]:
        bot = NewsroomBot(settings)
        bot.serving = False
        assert settings.discord_token is not None
        async with bot:
            await bot.login(settings.discord_token.get_secret_value())
            return await bot.sync_commands(force=True)

    scopes = asyncio.run(sync())
    print(f"synced application commands: {', '.join(scopes)}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from bot.checks import CheckContext, check_files
    from bot.config import load_settings

    settings = load_settings(args.env_file)
    ctx = CheckContext(ai_drafted=not args.human, min_sources=settings.min_sources,
                       length=args.length, agency_name=settings.name)
    return check_files(args.files, out=sys.stdout, err=sys.stderr,
                       ctx_for_path=lambda _path: ctx, sources=args.sources, year=args.year)


def cmd_backup(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from storage.store import backup_file

    settings = load_settings(args.env_file)
    backup_file(settings.db_path, args.path)
    print(f"backed up {settings.db_path} to {args.path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from bot.config import load_settings

    settings = load_settings(args.env_file)
    done = restore(Path(settings.db_path), Path(args.backup))
    print(f"restored {settings.db_path} from {args.backup} (schema {done.schema}, "
          f"{done.stories:,} stories)")
    if done.pending_migrations:
        print(f"{done.pending_migrations} newer migration(s) will be applied at the next start")
    if done.moved_aside is not None:
        print(f"the database it replaced was moved to {done.moved_aside}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsroom", description=__doc__.splitlines()[0])
    parser.add_argument("--env-file", default=".env", help="settings file (default .env)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start the bot").set_defaults(func=cmd_run)
    sub.add_parser("sync-commands", help="register slash commands now").set_defaults(
        func=cmd_sync)
    check = sub.add_parser("check", help="run the pre-publish checks on Markdown articles")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--length", choices=["brief", "standard", "long"],
                       help="also check the word count for this length")
    check.add_argument("--human", action="store_true",
                       help="human-written: the minimum-sources rule does not apply")
    check.add_argument("--sources", metavar="DIR",
                       help="also check quotes, figures and names against the source texts "
                            "DIR/1.txt, DIR/2.md... (numbered as in the Sources list)")
    check.add_argument("--year", type=int,
                       help="publication year, which needs no source (default: this year)")
    check.set_defaults(func=cmd_check)
    backup = sub.add_parser("backup", help="consistent copy of the database, safe while running")
    backup.add_argument("path", metavar="PATH")
    backup.set_defaults(func=cmd_backup)
    restore_cmd = sub.add_parser("restore", help="check a backup and put it in place of the "
                                 "database (the bot must be stopped)")
    restore_cmd.add_argument("backup", metavar="BACKUP")
    restore_cmd.set_defaults(func=cmd_restore)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (NewsroomError, StoreError) as exc:
        print(f"newsroom: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
