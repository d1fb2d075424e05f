"""The drafting service fixture, shared with the tests of how Claude is used."""

from tests.bot.test_drafting import drafter  # noqa: F401
