"""Logging set-up: per-module loggers, quiet discord.http, and no secrets in any line.

Redaction happens in the formatter, after the message and any traceback are rendered,
so a token inside an exception message is caught as well as one in a format argument.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

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


def setup_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Configure the root logger once; later calls replace the handler (tests, CLI)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
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
