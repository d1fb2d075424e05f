"""`newsroom run` as a real subprocess, for crash and restart tests (kill -9 included)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

from tests.conftest import SETTING_PREFIXES


class BotProcess:
    def __init__(self, env: dict[str, Any], cwd: Path) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}
        self.env = {**base, **{k: str(v) for k, v in env.items()}}
        self.cwd = cwd
        self.log = cwd / "bot.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.runs = 0

    async def start(self, timeout: float = 20.0) -> None:
        self.runs += 1
        marker = f"--- run {self.runs} ---\n"
        with self.log.open("a") as handle:
            handle.write(marker)
        log = self.log.open("a")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", cwd=self.cwd, env=self.env,
            stdout=log, stderr=log)
        log.close()
        async with asyncio.timeout(timeout):
            while "connected as" not in self.log.read_text().split(marker)[-1]:
                if self.proc.returncode is not None:
                    raise RuntimeError(f"newsroom run exited:\n{self.log.read_text()[-3000:]}")
                await asyncio.sleep(0.05)

    def kill(self) -> None:
        """kill -9: no shutdown code runs, exactly like a crash."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        """SIGTERM, as `docker stop` or systemd sends it: the bot stops gracefully."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)

    async def wait(self) -> int:
        assert self.proc is not None
        return await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                async with asyncio.timeout(10):
                    await self.proc.wait()
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""


def copies(fake: Any, channel_id: int, story_id: int) -> int:
    """Copies of a story in a channel; reads the fake's records without copying them."""
    marker = f"story #{story_id}"
    return sum(1 for record in fake.store.channel_records(channel_id)
               if any((e.get("author") or {}).get("name", "").endswith(marker)
                      for e in record.current.get("embeds") or ()))


async def publish_kill_restart(fake: Any, bot: BotProcess, story: int, targets: list[int],
                               kill_after: int) -> int:
    """`/publish now`, kill -9 once `kill_after` copies are out, restart, wait for all.

    Returns how many copies were out when the process died.
    """
    handle = await fake.invoke("editor1", "publish now", {"story": story})
    await handle.wait_response(timeout=10)
    async with asyncio.timeout(30):
        while sum(copies(fake, c, story) for c in targets) < kill_after:
            await asyncio.sleep(0.005)
    bot.kill()
    await bot.wait()
    at_kill = sum(copies(fake, c, story) for c in targets)
    await bot.start()
    async with asyncio.timeout(60):
        while any(copies(fake, c, story) == 0 for c in targets):
            await asyncio.sleep(0.05)
    return at_kill
