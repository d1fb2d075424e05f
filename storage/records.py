"""Typed records returned by the store; plain data, no behaviour beyond parsing rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from typing import Any, Self


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """Timestamps are stored as ISO 8601 text in UTC, which sorts correctly as text."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware one")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class Record:
    """Build a dataclass from a row, ignoring columns it does not declare."""

    _json_fields: tuple[str, ...] = ()
    _time_fields: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        values = {k: v for k, v in row.items() if k in names}
        for name in cls._json_fields:
            if isinstance(values.get(name), str):
                values[name] = json.loads(values[name])
        for name in cls._time_fields:
            if isinstance(values.get(name), str):
                values[name] = parse_iso(values[name])
        return cls(**values)


@dataclass(frozen=True)
class Story(Record):
    id: int
    status: str
    origin: str
    requested_by: int
    created_at: datetime
    updated_at: datetime
    topic: str = ""
    length: str | None = None
    notes: str | None = None
    headline: str = ""
    last_author_id: int | None = None
    current_revision: int = 0
    failure_reason: str | None = None
    schedule_mode: str | None = None
    scheduled_for: datetime | None = None
    published_at: datetime | None = None
    retracted_at: datetime | None = None
    retraction_reason: str | None = None
    check_override: str | None = None
    card_channel_id: int | None = None
    card_message_id: int | None = None
    thread_id: int | None = None
    publish_label: str | None = None
    """Shown on the copies of a story published on its own ("Breaking"); None in an issue."""

    _time_fields = (
        "created_at", "updated_at", "scheduled_for", "published_at", "retracted_at",
    )

    @property
    def label(self) -> str:
        """How a story is named in choices and messages: '#12 - headline (status)'."""
        title = self.headline or self.topic or "untitled"
        return f"#{self.id} - {title} ({self.status.replace('_', ' ')})"


@dataclass(frozen=True)
class Revision(Record):
    id: int
    story_id: int
    number: int
    article: dict[str, Any]
    author_kind: str
    created_at: datetime
    author_id: int | None = None
    reason: str = ""
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0

    _json_fields = ("article",)
    _time_fields = ("created_at",)


@dataclass(frozen=True)
class Usage:
    """Token usage and cost of one model call, stored with an AI revision."""

    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class SourceDoc(Record):
    """A source supplied with a draft request (pasted text, URL or attached file)."""

    kind: str
    position: int = 0
    title: str = ""
    url: str | None = None
    filename: str | None = None
    media_type: str | None = None
    text: str | None = None
    data: bytes | None = None
    id: int | None = None
    story_id: int | None = None
    fetched_at: datetime | None = None  # URL sources: when the web fetch tool read `text`

    _time_fields = ("fetched_at",)


@dataclass(frozen=True)
class DraftJob(Record):
    id: int
    story_id: int
    kind: str
    state: str
    requested_by: int
    created_at: datetime
    updated_at: datetime
    instructions: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None

    _time_fields = ("created_at", "updated_at", "next_attempt_at")


@dataclass(frozen=True)
class Approval(Record):
    id: int
    story_id: int
    revision: int
    editor_id: int
    created_at: datetime
    note: str | None = None

    _time_fields = ("created_at",)


@dataclass(frozen=True)
class AuditEvent(Record):
    id: int
    action: str
    created_at: datetime
    story_id: int | None = None
    actor_id: int | None = None
    revision: int | None = None
    from_status: str | None = None
    to_status: str | None = None
    detail: str | None = None

    _time_fields = ("created_at",)


@dataclass(frozen=True)
class Destination(Record):
    id: int
    kind: str
    guild_id: int
    channel_id: int
    created_at: datetime
    updated_at: datetime
    added_by: int | None = None
    active: bool = True
    disabled_reason: str | None = None
    warned_at: datetime | None = None
    """When deliveries here first failed for lack of access (the team was warned then);
    it is disabled 24 hours later if access does not come back. None: not failing."""
    mode: str = "deliver"
    webhook_id: int | None = None
    """The follow's webhook in the subscribed channel (mode "follow")."""

    _time_fields = ("created_at", "updated_at", "warned_at")


@dataclass(frozen=True)
class Subscription:
    """A subscribed channel as its server sees it: the destination and the last story
    that reached it (None: nothing yet)."""

    destination: Destination
    last_story_id: int | None = None
    last_headline: str | None = None
    last_status: str | None = None
    last_at: datetime | None = None


@dataclass(frozen=True)
class Delivery(Record):
    """One part for one channel: a story's copy, or (no story) the masthead of issue
    `issue_id`; a story of an issue carries its `issue_id` too."""

    id: int
    story_id: int | None
    destination_id: int
    channel_id: int
    state: str
    created_at: datetime
    updated_at: datetime
    message_ids: list[int] = field(default_factory=list)
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    crosspost: str | None = None
    sending_since: datetime | None = None
    sent_at: datetime | None = None
    shown: str | None = None
    sync: int = 0
    issue_id: int | None = None

    @property
    def subject(self) -> str:
        """What the messages of this part are labelled with: 'story #12', 'issue #3'."""
        return f"story #{self.story_id}" if self.story_id is not None \
            else f"issue #{self.issue_id}"

    _json_fields = ("message_ids",)
    _time_fields = ("created_at", "updated_at", "next_attempt_at", "sending_since", "sent_at")


@dataclass(frozen=True)
class CopyState:
    """A delivery with what its story wants its copy to show now.

    `want` is "retracted" for a retracted story, else "r{revision}c{corrections}": the
    key of the rendition that carries the current text and every correction note.
    """

    delivery: Delivery
    story_status: str
    want: str
    announcement: bool = False

    @property
    def up_to_date(self) -> bool:
        return self.delivery.shown == self.want


@dataclass(frozen=True)
class Correction(Record):
    id: int
    story_id: int
    kind: str
    text: str
    revision: int
    editor_id: int
    created_at: datetime
    ticket_id: int | None = None
    notify: bool = False

    _time_fields = ("created_at",)


@dataclass(frozen=True)
class Ticket(Record):
    id: int
    user_id: int
    kind: str
    text: str
    status: str
    created_at: datetime
    story_id: int | None = None
    guild_id: int | None = None
    channel_id: int | None = None
    quote: str | None = None
    reply: str | None = None
    resolved_by: int | None = None
    resolved_at: datetime | None = None
    reader_notified: str | None = None
    triage_channel_id: int | None = None
    triage_message_id: int | None = None
    correction_id: int | None = None

    _time_fields = ("created_at", "resolved_at")


@dataclass(frozen=True)
class ArchiveHit(Record):
    story_id: int
    headline: str
    dek: str
    status: str
    published_at: datetime
    rank: float = 0.0

    _time_fields = ("published_at",)


@dataclass(frozen=True)
class SearchResult:
    """Stories an archive search found. `ranked`: best match first (a narrow query);
    otherwise the newest stories about the words first (a broad one, see `Archive.search`)."""

    hits: list[ArchiveHit]
    ranked: bool


@dataclass
class Stats:
    """The figures of `/newsroom stats` for a window of days."""

    days: int
    since: datetime
    requested: int = 0
    requested_ai: int = 0
    published: int = 0
    median_hours_to_publish: float | None = None
    corrections: int = 0
    retractions: int = 0
    tickets: dict[str, dict[str, int]] = field(default_factory=dict)
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0
    failed_attempts: int = 0
    """Billed attempts to draft that produced no draft (errors, refusals, cut-offs)."""
    failed_usd: float = 0.0
    per_day: list[tuple[date, int, int]] = field(default_factory=list)
    issues: int = 0
    issue_stories: int = 0
    """Stories published in those issues (the rest went out on their own)."""

    @property
    def stories_per_issue(self) -> float:
        return self.issue_stories / self.issues if self.issues else 0.0

    @property
    def corrections_per_story(self) -> float:
        return self.corrections / self.published if self.published else 0.0
