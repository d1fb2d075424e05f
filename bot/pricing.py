"""What a call to Claude costs: one price table per model, with the date it was taken.

The API reports usage in four parts (uncached input, cache writes, cache reads, output);
each has its own price. Cache writes cost 1.25x the input price for the 5-minute cache
and 2x for the 1-hour cache; cache reads are far cheaper, at a share that differs by
model. A model missing from the table is priced like the dearest one, so a new model
can only make `/newsroom stats` overstate the cost, never hide it (and the log says so).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from typing import Any

from storage.records import Usage

log = logging.getLogger(__name__)

PRICES_AS_OF = date(2026, 12, 4)
"""When the table below was last checked against Anthropic's pricing page
(https://platform.claude.com/docs/en/about-claude/pricing). Update both together."""


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input: float
    output: float
    cache_read: float
    long_prompt: tuple[int, float] | None = None
    """(prompt tokens, factor): a prompt longer than this bills every token at factor x."""

    @property
    def cache_write_5m(self) -> float:
        return self.input * 1.25

    @property
    def cache_write_1h(self) -> float:
        return self.input * 2.0


_FABLE_5_1 = Price(10.0, 50.0, 0.25)
_FABLE_5 = Price(10.0, 50.0, 1.0)
_FABLE_5_2 = Price(8.0, 40.0, 0.20)
_OPUS_5_5 = Price(4.0, 20.0, 0.20)
_OPUS = Price(5.0, 25.0, 0.50)
_SONNET_5_5 = Price(2.0, 10.0, 0.10)
_SONNET_5 = Price(2.0, 10.0, 0.20)
_SONNET_4 = Price(3.0, 15.0, 0.30)
_HAIKU_5_5 = Price(0.10, 0.50, 0.01, long_prompt=(100_000, 5.0))
_HAIKU_4_5 = Price(1.0, 5.0, 0.10)

PRICES: dict[str, Price] = {
    "claude-fable-5-2": _FABLE_5_2,
    "claude-mythos-5-2": _FABLE_5_2,
    "claude-fable-5-1": _FABLE_5_1,
    "claude-mythos-5-1": _FABLE_5_1,
    "claude-fable-5": _FABLE_5,
    "claude-mythos-5": _FABLE_5,
    "claude-opus-5-5": _OPUS_5_5,
    "claude-opus-5": _OPUS,
    "claude-opus-4-8": _OPUS,
    "claude-opus-4-7": _OPUS,
    "claude-opus-4-6": _OPUS,
    "claude-opus-4-5": _OPUS,
    "claude-sonnet-5-5": _SONNET_5_5,
    "claude-sonnet-5": _SONNET_5,
    "claude-sonnet-4-6": _SONNET_4,
    "claude-sonnet-4-5": _SONNET_4,
    "claude-haiku-5-5": _HAIKU_5_5,
    "claude-haiku-4-5": _HAIKU_4_5,
}
"""Model id (dated ids such as claude-opus-4-5-20251101 use their base id) -> price."""

FALLBACK = max(PRICES.values(), key=lambda p: (p.output, p.input))


@cache
def price_of(model: str) -> Price:
    """The price of `model`: its own row, else the longest id it extends, else FALLBACK."""
    for known in sorted(PRICES, key=len, reverse=True):
        if model == known or model.startswith(known + "-"):
            return PRICES[known]
    log.warning("no price for model %s in bot/pricing.py (as of %s); counting it at the "
                "dearest known price", model, PRICES_AS_OF)
    return FALLBACK


def cost_usd(model: str, usage: Usage, *, cache_1h_tokens: int = 0) -> float:
    """What `usage` cost with `model`, in US dollars."""
    price = price_of(model)
    prompt = usage.input_tokens + usage.cache_creation_tokens + usage.cache_read_tokens
    factor = 1.0
    if price.long_prompt is not None and prompt > price.long_prompt[0]:
        factor = price.long_prompt[1]
    writes_5m = usage.cache_creation_tokens - cache_1h_tokens
    total = (usage.input_tokens * price.input + usage.output_tokens * price.output
             + writes_5m * price.cache_write_5m + cache_1h_tokens * price.cache_write_1h
             + usage.cache_read_tokens * price.cache_read)
    return round(total * factor / 1_000_000, 6)


def usage_from(api_usage: Any, model: str) -> Usage:
    """Our Usage (with its cost) from the API's usage object of one response."""
    usage = Usage(
        model=model,
        input_tokens=getattr(api_usage, "input_tokens", None) or 0,
        output_tokens=getattr(api_usage, "output_tokens", None) or 0,
        cache_creation_tokens=getattr(api_usage, "cache_creation_input_tokens", None) or 0,
        cache_read_tokens=getattr(api_usage, "cache_read_input_tokens", None) or 0,
    )
    created = getattr(api_usage, "cache_creation", None)
    one_hour = getattr(created, "ephemeral_1h_input_tokens", None) or 0
    return replace(usage, cost_usd=cost_usd(model, usage, cache_1h_tokens=one_hour))


def add(a: Usage, b: Usage) -> Usage:
    """The sum of two usages (each already priced)."""
    return Usage(
        model=a.model or b.model,
        input_tokens=a.input_tokens + b.input_tokens,
        output_tokens=a.output_tokens + b.output_tokens,
        cache_creation_tokens=a.cache_creation_tokens + b.cache_creation_tokens,
        cache_read_tokens=a.cache_read_tokens + b.cache_read_tokens,
        cost_usd=round(a.cost_usd + b.cost_usd, 6),
    )
