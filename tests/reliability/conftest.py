"""The reliability suites drive the real bot through the e2e harness's fakes."""

from tests.e2e.conftest import discord_fake, newsroom  # noqa: F401
