"""Cleaning free text from members and readers before it is stored or shown."""

from __future__ import annotations

import re
import unicodedata

from bot.errors import InvalidInput

# Zero-width and bidirectional control characters: invisible, and able to make a
# ticket or a headline read differently from what is stored.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]")
_VISIBLE = re.compile(r"[^\W_]|[^\s\w]", re.UNICODE)


def strip_invisible(text: str) -> str:
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", text))


def has_visible(text: str | None) -> bool:
    """Whether anything would show: not only whitespace, invisible or control characters."""
    return bool(_VISIBLE.search(strip_invisible(text or "")))


def clean_text(text: str | None, option: str, limit: int, *, multiline: bool = True) -> str:
    """Trimmed text with something visible in it, within `limit` characters."""
    cleaned = strip_invisible(text or "").strip()
    if not multiline:
        cleaned = " ".join(cleaned.split())
    if not cleaned or not _VISIBLE.search(cleaned):
        raise InvalidInput(f"`{option}` is empty; write something in it.")
    if len(cleaned) > limit:
        raise InvalidInput(f"`{option}` is {len(cleaned):,} characters; the limit is {limit:,}.")
    if "\x00" in cleaned:
        raise InvalidInput(f"`{option}` contains a NUL character.")
    return cleaned


def clean_optional(text: str | None, option: str, limit: int) -> str | None:
    if text is None or not strip_invisible(text).strip():
        return None
    return clean_text(text, option, limit)
