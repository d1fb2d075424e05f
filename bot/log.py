"""Logging set-up: per-module loggers, quiet discord.http, and no secrets in any line.

Redaction happens in the formatter, after the message and any traceback are rendered,
so a token inside an exception message is caught as well as one in a format argument.
`NEWSROOM_LOG_FORMAT=json` writes one JSON object per line for log collectors; the story
and delivery a line is about come from `log_context` (or `extra=`) where they are known.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

_WEBHOOK_TOKEN = re.compile(r"(/(?:interactions|webhooks)/\d+/)([A-Za-z0-9_.\-]{16,})")
REDACTED = "[redacted]"


class RedactingFormatter(logging.Formatter):
    """A formatter that removes known secret values and interaction tokens."""

    def __init__(self, fmt: str, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt)
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return _WEBHOOK_TOKEN.sub(rf"\1{REDACTED}", text)


CONTEXT_FIELDS = ("story_id", "delivery_id")
_context: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar(
    "log_context", default=None)


@contextlib.contextmanager
def log_context(**ids: int) -> Iterator[None]:
    """Tag every log line written inside (this task and tasks it starts) with these ids."""
    token = _context.set({**(_context.get() or {}), **ids})
    try:
        yield
    finally:
        _context.reset(token)


class JsonFormatter(RedactingFormatter):
    """One JSON object per line: time, level, logger, message, ids, exception."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("%(message)s", secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        ids = _context.get() or {}
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None) or ids.get(name)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return self.redact(json.dumps(entry, ensure_ascii=False, default=str))


def setup_logging(level: str = "INFO", secrets: Iterable[str] = (),
                  fmt: str = "text") -> None:
    """Configure the root logger once; later calls replace the handler (tests, CLI)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(secrets) if fmt == "json" else
        RedactingFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", secrets)
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_newsroom", False)]:
        root.removeHandler(old)
    handler._newsroom = True  # type: ignore[attr-defined]
    handler.addFilter(lambda record: "voice will NOT be supported" not in record.getMessage())
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("discord.http").setLevel(logging.WARNING)
    logging.getLogger("discord.gateway").setLevel(max(logging.INFO, root.level))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
