from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import InvalidInput
from bot.when import parse_when

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
NEXT = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def parse(text: str, tz: str = "UTC"):
    return parse_when(text, timezone=tz, now=NOW, next_edition=NEXT)


@pytest.mark.parametrize(("text", "mode", "at"), [
    ("next", "next", NEXT),
    (" NEXT ", "next", NEXT),
    ("in 2h", "at", NOW + timedelta(hours=2)),
    ("in 1d 6h", "at", NOW + timedelta(days=1, hours=6)),
    ("in 90 minutes", "at", NOW + timedelta(minutes=90)),
    ("in 1 week", "at", NOW + timedelta(weeks=1)),
    ("2026-12-01 08:00", "at", datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
    ("2026-12-01T08:00+01:00", "at", datetime(2026, 12, 1, 7, 0, tzinfo=UTC)),
    ("<t:1796000000:F>", "at", datetime.fromtimestamp(1796000000, UTC)),
    ("<t:1796000000>", "at", datetime.fromtimestamp(1796000000, UTC)),
])
def test_accepted_forms(text, mode, at) -> None:
    when = parse(text)
    assert (when.mode, when.at) == (mode, at)


def test_iso_times_are_in_the_newsroom_time_zone() -> None:
    when = parse("2026-12-01 08:00", tz="Europe/Berlin")
    assert when.at == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"),
    ("tomorrow-ish", "cannot read"),
    ("2026-11-25 11:00", "in the past"),
    ("<t:1000:F>", "in the past"),
    ("in 0h", "in the past"),
    ("in 3 fortnights", "Unknown unit"),
    ("in 2000d", "more than a year"),
    ("2030-01-01 00:00", "more than a year"),
    ("<t:99999999999999:F>", "cannot read"),
    ("'; DROP TABLE stories;--", "cannot read"),
    ("in 99999999999999999999h", "more than a year"),  # once an OverflowError
    ("in 99999999999999999999h 3 parsecs", "Unknown unit"),
    ("\u200b\u2060\ufeff", "empty"),
])
def test_refusals(text, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse(text)


def test_next_without_editions() -> None:
    with pytest.raises(InvalidInput, match="no next edition"):
        parse_when("next", timezone="UTC", now=NOW, next_edition=None)
