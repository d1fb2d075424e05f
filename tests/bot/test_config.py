import re
from pathlib import Path

import pytest

from bot.config import DEFAULT_MODEL, Settings, load_settings
from bot.errors import ConfigError
from tests.conftest import ROOT


def test_defaults_match_the_spec() -> None:
    s = load_settings(None)
    assert s.model == DEFAULT_MODEL
    assert s.db_path == Path("data/newsroom.db")
    assert s.name == "ClawNews"
    assert s.timezone == "UTC"
    assert s.editions == ("0 8 * * *",)
    assert (s.required_approvals, s.allow_self_approval, s.min_sources) == (1, False, 2)
    assert s.discord_api_base == "https://discord.com/api/v10"
    assert s.discord_gateway_url == "wss://gateway.discord.gg/"
    assert s.anthropic_api_key is None


def test_reads_env_file_and_environment_wins(tmp_path: Path, monkeypatch) -> None:
    env = tmp_path / ".env"
    env.write_text("NEWSROOM_NAME=Daily Claw\nNEWSROOM_GUILD_ID=123\n")
    monkeypatch.setenv("NEWSROOM_GUILD_ID", "456")
    s = load_settings(env)
    assert s.name == "Daily Claw"
    assert s.guild_id == 456


def test_secrets_never_show_in_repr(monkeypatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "super-secret-token-value")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-very-secret")
    s = load_settings(None)
    assert "super-secret" not in repr(s) and "very-secret" not in repr(s)
    assert s.discord_token.get_secret_value() == "super-secret-token-value"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"NEWSROOM_GUILD_ID": "abc"}, "NEWSROOM_GUILD_ID: must be a Discord id"),
        ({"NEWSROOM_EDITOR_ROLE_ID": "-3"}, "NEWSROOM_EDITOR_ROLE_ID: must be a Discord id"),
        ({"NEWSROOM_TIMEZONE": "Mars/Olympus"}, "NEWSROOM_TIMEZONE: 'Mars/Olympus' is not"),
        ({"NEWSROOM_EDITIONS": "0 25 * * *"}, "NEWSROOM_EDITIONS: '0 25 * * *' is not a valid"),
        ({"NEWSROOM_EDITIONS": " ; "}, "NEWSROOM_EDITIONS: give at least one"),
        ({"NEWSROOM_REQUIRED_APPROVALS": "0"}, "NEWSROOM_REQUIRED_APPROVALS"),
        ({"NEWSROOM_ALLOW_SELF_APPROVAL": "maybe"}, "NEWSROOM_ALLOW_SELF_APPROVAL"),
        ({"DISCORD_API_BASE": "discord.com"}, "DISCORD_API_BASE: 'discord.com' is not a URL"),
    ],
)
def test_malformed_values_name_the_setting(monkeypatch, env, expected) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as caught:
        load_settings(None)
    assert str(caught.value).startswith(expected)
    assert "\n" not in str(caught.value)


def test_several_editions_are_split() -> None:
    s = load_settings(None, NEWSROOM_EDITIONS="0 8 * * *; 30 17 * * 1-5")
    assert s.editions == ("0 8 * * *", "30 17 * * 1-5")


@pytest.mark.parametrize(
    ("env", "missing"),
    [({}, "DISCORD_TOKEN and NEWSROOM_GUILD_ID are not set"),
     ({"DISCORD_TOKEN": "t"}, "NEWSROOM_GUILD_ID is not set"),
     ({"NEWSROOM_GUILD_ID": "1"}, "DISCORD_TOKEN is not set")],
)
def test_run_requires_token_and_guild(monkeypatch, env, missing) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=missing):
        load_settings(None).require_for_run()


def test_env_example_lists_every_setting_with_a_comment() -> None:
    """`.env.example` is the documentation of the settings; keep it in step."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    names = [line.split("=", 1)[0] for line in lines if line and not line.startswith("#")]
    aliases = {f.alias for f in Settings.model_fields.values()}
    assert set(names) == aliases
    for index, line in enumerate(lines):
        if line and not line.startswith("#"):
            assert lines[index - 1].startswith("#") or "=" in lines[index - 1], line
    # and the example file itself is valid (empty values mean unset)
    load_settings(ROOT / ".env.example")


def test_web_and_log_settings() -> None:
    s = load_settings(None)
    assert s.http_address == ("127.0.0.1", 8080) and s.public_url is None
    assert s.log_format == "text" and s.story_url(3) is None
    s = load_settings(None, NEWSROOM_HTTP="", NEWSROOM_PUBLIC_URL="https://news.example.org/",
                      NEWSROOM_LOG_FORMAT="JSON")
    assert s.http_address is None and s.log_format == "json"
    assert s.story_url(3) == "https://news.example.org/stories/3"
    assert load_settings(None, NEWSROOM_HTTP="[::1]:9000").http_address == ("::1", 9000)


@pytest.mark.parametrize(("env", "expected"), [
    ({"NEWSROOM_HTTP": "8080"}, "NEWSROOM_HTTP: '8080' is not host:port"),
    ({"NEWSROOM_HTTP": "localhost:99999"}, "NEWSROOM_HTTP: 'localhost:99999' is not host:port"),
    ({"NEWSROOM_PUBLIC_URL": "news.example.org"}, "NEWSROOM_PUBLIC_URL: 'news.example.org' is "
                                                  "not an http(s) URL"),
    ({"NEWSROOM_LOG_FORMAT": "xml"}, "NEWSROOM_LOG_FORMAT: Input should be 'text' or 'json'"),
])
def test_malformed_web_settings_name_the_setting(monkeypatch, env, expected) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match="^" + re.escape(expected)):
        load_settings(None)
