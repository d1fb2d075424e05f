"""Errors whose message is safe to show to a Discord user or on the command line.

Anything else that escapes a command is a bug: the user sees a short apology and the
log gets the traceback (see `bot.app.NewsroomTree.on_error`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from storage.base import Conflict


class NewsroomError(Exception):
    """A refusal or failure the user can understand and act on; `str()` is shown as is."""


class NotFound(NewsroomError):
    """An id (story, ticket, revision) that does not exist."""


class Refused(NewsroomError):
    """An action that is not allowed for this member or in this state."""


class InvalidInput(NewsroomError):
    """Input that cannot be used (too long, wrong type, unparseable time...)."""


class NotAvailable(NewsroomError):
    """A feature that is switched off or not built yet."""


class ConfigError(NewsroomError):
    """A missing or malformed setting; the message names the setting."""



@contextmanager
def refused_on_conflict(text: str) -> Iterator[None]:
    """A guarded write that lost a race (`Conflict`: someone acted first, nothing was
    written) becomes a refusal saying so, in the member's words."""
    try:
        yield
    except Conflict:
        raise Refused(text) from None
