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
