"""Cleaning free text from members and readers before it is stored or shown."""

from __future__ import annotations

import re
import unicodedata

from bot.errors import InvalidInput

# Characters that only serve to hide or reorder text: zero-width space, word joiner,
# byte-order mark, and the bidirectional embeddings, overrides and isolates that can
# make a ticket or a headline read differently from what is stored. Joiners (ZWJ, ZWNJ)
# and the LRM/RLM marks are kept: Persian, Indic scripts and emoji sequences need them.
_TRICKS = re.compile("[\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069]")
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"}


def strip_invisible(text: str) -> str:
    """Remove the hiding and reordering characters; nothing else changes."""
    return _TRICKS.sub("", text)


def has_visible(text: str | None) -> bool:
    """Whether anything would show: not only whitespace, format or control characters."""
    return any(unicodedata.category(c) not in _INVISIBLE_CATEGORIES
               for c in strip_invisible(text or ""))


def clean_text(text: str | None, option: str, limit: int, *, multiline: bool = True) -> str:
    """Trimmed text with something visible in it, within `limit` characters."""
    cleaned = strip_invisible(text or "").strip()
    if not multiline:
        cleaned = " ".join(cleaned.split())
    if not has_visible(cleaned):
        raise InvalidInput(f"`{option}` is empty; write something in it.")
    if len(cleaned) > limit:
        raise InvalidInput(f"`{option}` is {len(cleaned):,} characters; the limit is {limit:,}.")
    if "\x00" in cleaned:
        raise InvalidInput(f"`{option}` contains a NUL character.")
    return cleaned


def clean_optional(text: str | None, option: str, limit: int) -> str | None:
    if text is None or not has_visible(text):
        return None
    return clean_text(text, option, limit)


def broad_search_note(count: int | None = None) -> str:
    """What a reader is told when an archive search was broad (`SearchResult.ranked`
    false): the order is newest first, not best match first."""
    newest = f"the newest {count}" if count is not None else "the newest"
    return f"Many stories match: {newest} about it come first. Add words to narrow."
