"""Every state a row can be in, named once.

A story's states are the lifecycle's (`bot.lifecycle` re-exports `State` and owns the
rules between them); they live here because the store must name them too and may not
import the bot. Deliveries, draft jobs and crossposts have small state machines of
their own, kept by the store. Nothing else in the code spells a state as a string:
a test scans for it.

`Move` is what the store needs of a decided transition: the store takes the decision
(`bot.lifecycle.Transition` fits) instead of hard-coding where a story goes.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Protocol


class State(StrEnum):
    """The states of a story (spec section 3)."""

    DRAFTING = "drafting"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    SPIKED = "spiked"
    FAILED = "failed"
    RETRACTED = "retracted"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


PUBLIC = frozenset({State.PUBLISHED, State.RETRACTED})
"""What readers may see: a story that was published, retracted or not."""


class DeliveryState(StrEnum):
    """One copy of a story for one channel (see `storage.outbox`)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobState(StrEnum):
    """A request to Claude for a draft or a revision."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class CrosspostState(StrEnum):
    """An announcement copy on its way to the servers that follow the channel."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class DestinationMode(StrEnum):
    """How a subscribed channel gets the stories: Discord's channel following of the
    announcement channel, or copies the bot sends itself."""

    FOLLOW = "follow"
    DELIVER = "deliver"


class AttemptOutcome(StrEnum):
    """How a billed request to Claude for a draft ended (`storage.spending`)."""

    OK = "ok"
    FAILED = "failed"


class Move(Protocol):
    """A decided change of a story's state: from where (None: a new story), to where,
    by which action (the action's name is also the audit row's)."""

    @property
    def action(self) -> str: ...

    @property
    def from_state(self) -> State | None: ...

    @property
    def to_state(self) -> State: ...


def sql_list(states: Iterable[StrEnum]) -> str:
    """States as an SQL list literal, "('published', 'retracted')", for fixed queries."""
    return "(" + ", ".join(f"'{s.value}'" for s in sorted(states)) + ")"
