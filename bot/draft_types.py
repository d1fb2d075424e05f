"""The small types the drafting service shares with the drafts cog."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from storage.records import Revision, Story


class ProgressSink(Protocol):
    """Where a running job reports; the drafts cog edits the editor's message with it."""

    async def progress(self, words: int, target: tuple[int, int], preview: str) -> None: ...
    async def waiting(self, attempt: int, limit: int, delay: float, reason: str) -> None: ...
    async def finished(self, outcome: DraftOutcome) -> None: ...


@dataclass(frozen=True)
class AttachmentIn:
    """An attached file as the cog hands it over: checked before it is downloaded."""

    filename: str
    content_type: str | None
    size: int
    read: Callable[[], Awaitable[bytes]]


@dataclass
class DraftOutcome:
    story: Story
    revision: Revision | None = None
    reason: str | None = None
    attempts: int = 0
    stopped: bool = False
    """The story was spiked while it was being drafted."""
    notes: list[str] = field(default_factory=list)
    """What the editor should know about a finished draft (pages ignored, ...)."""

    @property
    def ok(self) -> bool:
        return self.revision is not None
