"""The image built and run for real, where a Docker daemon answers (CI machines have
none, so there these tests are skipped and tests/test_docker.py checks the Dockerfile
without an engine). The container runs with `--network host` against the fake Discord
and fake Anthropic on the loopback, as `newsroom run` does in tests/e2e/test_shutdown.py.

The figures (build time, image size, start to healthy, stop) are printed, never
asserted: run with `-s` to see them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.cli import STOP_GRACE
from tests.conftest import ROOT
from tests.e2e.conftest import newsroom_env
from tests.fakes.fake_discord import FakeDiscord

TAG = "newsroom:pytest"
IMAGE_UID = "10001"


def daemon_answers() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        return subprocess.run([docker, "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


pytestmark = pytest.mark.skipif(
    not daemon_answers(),
    reason="no Docker daemon answers `docker info` (CI has none); tests/test_docker.py "
           "checks the Dockerfile without one")


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    """`docker build` of the project, as the README's `docker compose up --build` does."""
    started = time.monotonic()
    built = subprocess.run(["docker", "build", "-q", "-t", TAG, str(ROOT)],
                           capture_output=True, text=True, timeout=1200)
    assert built.returncode == 0, built.stderr[-3000:]
    size = subprocess.run(["docker", "image", "inspect", "-f", "{{.Size}}", TAG],
                          capture_output=True, text=True, check=True).stdout
    print(f"\n[docker] build {time.monotonic() - started:.1f} s (layers may be cached), "
          f"image {int(size) / 1e6:.0f} MB")
    yield TAG


async def docker(*args: str, timeout: float = 120) -> tuple[int, str]:
    """A docker command without blocking the loop the fakes answer on."""
    proc = await asyncio.create_subprocess_exec(
        "docker", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    async with asyncio.timeout(timeout):
        out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_healthy(name: str, timeout: float = 90) -> None:
    async with asyncio.timeout(timeout):
        while True:
            _, state = await docker("inspect", "-f", "{{.State.Status}} {{.State.Health.Status}}",
                                    name)
            if state.split() == ["running", "healthy"]:
                return
            if not state.startswith("running"):
                _, logs = await docker("logs", name)
                raise AssertionError(f"the container stopped ({state.strip()}):\n{logs[-3000:]}")
            await asyncio.sleep(0.2)


def test_the_image_prints_the_command_line_help(image: str) -> None:
    result = subprocess.run(["docker", "run", "--rm", image, "newsroom", "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "{run,sync-commands,check,backup,restore}" in result.stdout


async def test_the_container_gets_healthy_backs_up_stops_cleanly_and_restores(
        image: str, fake_anthropic, tmp_path: Path) -> None:
    name = f"newsroom-pytest-{os.getpid()}"
    port = free_port()
    async with FakeDiscord() as fake:
        env = {**newsroom_env(fake, fake_anthropic), "NEWSROOM_HTTP": f"127.0.0.1:{port}"}
        flags = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        try:
            started = time.monotonic()
            code, out = await docker("run", "-d", "--name", name, "--network", "host",
                                     "--health-interval", "1s", *flags, image)
            assert code == 0, out
            await wait_healthy(name)
            healthy = time.monotonic() - started

            async with aiohttp.ClientSession() as http, \
                    http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                assert answer.status == 200
                assert (await answer.json())["gateway"]["state"] == "connected"
            assert (await docker("exec", name, "id", "-u"))[1].strip() == IMAGE_UID
            code, owners = await docker("exec", name, "stat", "-c", "%u %n",
                                        "/app/data/newsroom.db", "/app/backups")
            assert code == 0 and {line.split()[0] for line in owners.splitlines()} == {IMAGE_UID}
            code, out = await docker("exec", name, "newsroom", "backup",
                                     "/app/backups/manual.db")  # the README's backup step
            assert code == 0, out

            started = time.monotonic()
            code, out = await docker("stop", "-t", str(int(STOP_GRACE) + 20), name)
            stopped = time.monotonic() - started
            assert code == 0, out
            _, exit_code = await docker("inspect", "-f", "{{.State.ExitCode}}", name)
            _, logs = await docker("logs", name)
            assert exit_code.strip() == "0", logs[-3000:]
            assert "stopped cleanly" in logs
            print(f"\n[docker] start to healthy {healthy:.1f} s (health checks every 1 s), "
                  f"docker stop {stopped:.2f} s")

            code, out = await docker("run", "--rm", "--volumes-from", name, image,
                                     "newsroom", "restore", "/app/backups/manual.db")
            assert code == 0, out  # the README's restore step, the bot stopped
            assert "restored /app/data/newsroom.db from /app/backups/manual.db" in out
            assert (await docker("cp", f"{name}:/app/data", str(tmp_path)))[0] == 0
        finally:
            await docker("rm", "-f", "-v", name)
    assert fake.server_errors == [] and fake.unhandled == []
    files = {p.name for p in (tmp_path / "data").iterdir()}
    assert "newsroom.db-wal" not in files  # the bot closed the database cleanly
    assert any(".before-restore-" in f for f in files)  # the restore kept the old files
    conn = sqlite3.connect(tmp_path / "data" / "newsroom.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()


def test_a_data_folder_the_image_user_cannot_write_is_a_one_line_error(
        image: str, tmp_path: Path) -> None:
    """A bind mount in place of the volume, owned by someone else (here root, 0755)."""
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    result = subprocess.run(
        ["docker", "run", "--rm", "-v", f"{data}:/app/data", "-e", "DISCORD_TOKEN=t",
         "-e", "NEWSROOM_GUILD_ID=1", image],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "newsroom: cannot write in /app/data (Permission denied): the database's folder "
        f"must be writable by this user (uid {IMAGE_UID})"]
    assert list(data.iterdir()) == []
