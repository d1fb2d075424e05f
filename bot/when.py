"""Parsing `/publish schedule ... when`: `next`, ISO times, `in 2h`, Discord timestamps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput
from bot.text import has_visible, strip_invisible

MAX_AHEAD = timedelta(days=366)
EXAMPLES = ("`next`, `2026-12-01 08:00`, `in 2h`, `in 1d 6h`, or a Discord timestamp like "
            "`<t:1764576000:f>`")
_RELATIVE = re.compile(r"^in\s+((?:\d+\s*[a-z]+\s*,?\s*(?:and\s+)?)+)$", re.IGNORECASE)
_PART = re.compile(r"(\d+)\s*([a-z]+)", re.IGNORECASE)
_DISCORD = re.compile(r"^<t:(-?\d{1,13})(?::[tTdDfFR])?>$")
_UNITS = {
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
}


@dataclass(frozen=True)
class When:
    """`mode` is 'next' (the next edition) or 'at' (this story's own time)."""

    mode: str
    at: datetime


def parse_when(text: str, *, timezone: str, now: datetime,
               next_edition: datetime | None) -> When:
    raw = " ".join(strip_invisible(text).split())
    if not has_visible(raw):
        raise InvalidInput(f"`when` is empty; use {EXAMPLES}.")
    if raw.lower() == "next":
        if next_edition is None:
            raise InvalidInput("There is no next edition: set edition times with "
                               "`/newsroom setup editions:`.")
        return When("next", next_edition)
    moment = (_relative(raw, now) or _discord(raw) or _iso(raw, timezone))
    if moment is None:
        raise InvalidInput(f"I cannot read `{raw[:60]}` as a time; use {EXAMPLES}.")
    if moment <= now:
        raise InvalidInput(f"`{raw[:60]}` is in the past; pick a time after now.")
    if moment - now > MAX_AHEAD:
        raise InvalidInput(f"`{raw[:60]}` is more than a year ahead; pick a nearer time.")
    return When("at", moment.astimezone(UTC))


def _relative(raw: str, now: datetime) -> datetime | None:
    match = _RELATIVE.match(raw)
    if not match:
        return None
    seconds = 0
    for amount, unit in _PART.findall(match.group(1)):
        factor = _UNITS.get(unit.lower())
        if factor is None:
            raise InvalidInput(f"Unknown unit `{unit[:20]}`: use m, h, d or w (e.g. `in 2h`).")
        seconds += int(amount) * factor
    # Beyond the limit is refused by the caller; the cap keeps a huge number from
    # overflowing timedelta.
    return now + timedelta(seconds=min(seconds, MAX_AHEAD.total_seconds() * 2))


def _discord(raw: str) -> datetime | None:
    match = _DISCORD.match(raw)
    if not match:
        return None
    try:
        return datetime.fromtimestamp(int(match.group(1)), UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidInput("That Discord timestamp is out of range.") from None


def _iso(raw: str, timezone: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(raw.replace(" ", "T", 1))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment
