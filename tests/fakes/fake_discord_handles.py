"""What tests hold on to: the records of an interaction and ``InteractionHandle``.

The handle is a read-only window onto server-side state (the callback, @original
and its history, followups, a modal the bot opened) plus waiters, so a test can
say "wait until the deferred answer is final" instead of sleeping.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.fake_discord_messages import (
    EPHEMERAL,
    LOADING,
    MessageRecord,
    MessageStore,
    Notifier,
    iter_components,
)

DEFERRED_MESSAGE, DEFERRED_UPDATE = 5, 6
TEXT_DISPLAY = 10


# ===================================================================== records
@dataclass
class InteractionCallback:
    """The bot's first answer to an interaction."""

    type: int
    data: dict[str, Any] | None
    latency: float
    """Seconds between the dispatch and the callback reaching the fake."""


@dataclass
class ModalInput:
    """One input of a modal the bot opened, with its prefilled value."""

    custom_id: str
    type: int
    label: str | None
    value: Any
    required: bool
    min_length: int | None = None
    max_length: int | None = None
    style: int | None = None
    options: list[str] = field(default_factory=list)
    min_values: int | None = None
    max_values: int | None = None


@dataclass
class ModalRecord:
    """A modal (callback type 9) as the bot sent it."""

    title: str
    custom_id: str
    components: list[dict[str, Any]]
    inputs: dict[str, ModalInput]
    origin_id: int
    """Interaction that opened the modal (its context is reused on submit)."""

    def find(self, key: str) -> ModalInput:
        """An input by custom_id, or by its visible label."""
        if key in self.inputs:
            return self.inputs[key]
        matches = [i for i in self.inputs.values() if i.label == key]
        if len(matches) == 1:
            return matches[0]
        raise ValueError(
            f"modal {self.custom_id!r} has no input {key!r}; inputs: {self.describe()}"
        )

    def describe(self) -> list[str]:
        """``custom_id (label)`` of every input, for error messages."""
        return [f"{i.custom_id} ({i.label})" for i in self.inputs.values()]


@dataclass
class InteractionRecord:
    """Server-side state of one interaction."""

    id: int
    token: str
    type: int
    user_id: int
    guild_id: int | None
    channel_id: int
    created: float
    payload: dict[str, Any]
    name: str
    metadata: dict[str, Any]
    response_message_type: int = 0
    message_id: int | None = None
    callback: InteractionCallback | None = None
    original_id: int | None = None
    original_versions_at_ack: int = 0
    followup_ids: list[int] = field(default_factory=list)
    modal: ModalRecord | None = None
    choices: list[dict[str, Any]] | None = None
    rejections: list[str] = field(default_factory=list)


# ====================================================================== handle
def message_text(message: dict[str, Any] | None) -> str:
    """Human-visible text of a message: content, embeds, components-v2 text."""
    if not message:
        return ""
    parts: list[str] = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        for fld in embed.get("fields") or []:
            parts += [fld.get("name") or "", fld.get("value") or ""]
        parts.append((embed.get("footer") or {}).get("text") or "")
    parts += [
        c.get("content") or ""
        for c in iter_components(message.get("components"))
        if c.get("type") == TEXT_DISPLAY
    ]
    return "\n".join(p for p in parts if p)


class InteractionHandle:
    """A test's view of one interaction and everything the bot did with it."""

    def __init__(self, record: InteractionRecord, store: MessageStore, notifier: Notifier) -> None:
        self._record = record
        self._store = store
        self._notifier = notifier

    def __repr__(self) -> str:
        return (
            f"<InteractionHandle {self.name!r} id={self.id} type={self._record.type} "
            f"response={self.response}>"
        )

    # identity
    @property
    def id(self) -> int:
        """Interaction id."""
        return self._record.id

    @property
    def token(self) -> str:
        """Interaction token (valid for ``fake.interaction_token_ttl``)."""
        return self._record.token

    @property
    def user_id(self) -> int:
        """Who triggered it."""
        return self._record.user_id

    @property
    def type(self) -> int:
        """Interaction type (2 command, 3 component, 4 autocomplete, 5 modal submit)."""
        return self._record.type

    @property
    def name(self) -> str:
        """Command path, or the custom_id of the component/modal."""
        return self._record.name

    @property
    def guild_id(self) -> int | None:
        """Guild of the interaction (None in DMs)."""
        return self._record.guild_id

    @property
    def channel_id(self) -> int:
        """Channel of the interaction."""
        return self._record.channel_id

    @property
    def payload(self) -> dict[str, Any]:
        """The INTERACTION_CREATE data that was dispatched."""
        return self._record.payload

    # response
    @property
    def response(self) -> InteractionCallback | None:
        """The first callback, once the bot sent it."""
        return self._record.callback

    async def wait_response(self, timeout: float = 5.0) -> InteractionCallback:
        """Wait for the bot's callback (type + data)."""
        return await self._notifier.wait_for(
            lambda: self._record.callback,
            timeout,
            lambda: self._describe_timeout("a callback", timeout),
        )

    @property
    def deferred(self) -> bool:
        """Whether the bot answered with a deferral (type 5 or 6)."""
        cb = self._record.callback
        return cb is not None and cb.type in (DEFERRED_MESSAGE, DEFERRED_UPDATE)

    @property
    def ephemeral(self) -> bool:
        """Whether the response (or @original) is only visible to the user."""
        cb = self._record.callback
        flags = int(((cb.data or {}) if cb else {}).get("flags") or 0)
        original = self.original
        if original is not None:
            flags |= int(original.get("flags") or 0)
        return bool(flags & EPHEMERAL)

    @property
    def ack_latency(self) -> float | None:
        """Seconds from dispatch to callback."""
        cb = self._record.callback
        return None if cb is None else cb.latency

    @property
    def rejections(self) -> list[str]:
        """Callback/webhook attempts the fake refused (late ack, double ack...)."""
        return list(self._record.rejections)

    @property
    def modal(self) -> ModalRecord | None:
        """The modal the bot opened (callback type 9)."""
        return self._record.modal

    @property
    def choices(self) -> list[dict[str, Any]] | None:
        """Autocomplete choices the bot returned (callback type 8)."""
        return self._record.choices

    # messages
    @property
    def original_record(self) -> MessageRecord | None:
        """The @original message record (with history, files, allowed_mentions)."""
        oid = self._record.original_id
        return None if oid is None else self._store.get(oid)

    @property
    def original(self) -> dict[str, Any] | None:
        """Current @original message, or None (none yet, or deleted)."""
        record = self.original_record
        return None if record is None or record.deleted else copy.deepcopy(record.current)

    @property
    def original_history(self) -> list[dict[str, Any]]:
        """Every version of @original, oldest first."""
        record = self.original_record
        return [] if record is None else copy.deepcopy(record.history)

    @property
    def followups(self) -> list[dict[str, Any]]:
        """Current followup messages (the first followup after a type-5 deferral
        fills @original instead, as on Discord, and is not listed here)."""
        out = []
        for mid in self._record.followup_ids:
            record = self._store.get(mid)
            if record is not None and not record.deleted:
                out.append(copy.deepcopy(record.current))
        return out

    @property
    def messages(self) -> list[dict[str, Any]]:
        """@original (if any) followed by the followups."""
        original = self.original
        return ([original] if original else []) + self.followups

    def text(self) -> str:
        """All visible text of @original and followups, joined by newlines."""
        return "\n".join(t for t in (message_text(m) for m in self.messages) if t)

    async def wait_final(
        self, predicate: Callable[[dict[str, Any]], bool] | None = None, timeout: float = 10.0
    ) -> dict[str, Any]:
        """Wait until @original satisfies ``predicate`` (default: exists, no longer
        "thinking", not empty, and for type-6 deferrals edited after the ack)."""
        check = predicate or self._default_final

        def ready() -> dict[str, Any] | None:
            original = self.original
            return original if original is not None and check(original) else None

        return await self._notifier.wait_for(
            ready, timeout, lambda: self._describe_timeout("a final @original", timeout)
        )

    async def wait_followups(self, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` followups exist."""
        return await self._notifier.wait_for(
            lambda: self.followups if len(self.followups) >= count else None,
            timeout,
            lambda: self._describe_timeout(f"{count} followup(s)", timeout),
        )

    def _default_final(self, original: dict[str, Any]) -> bool:
        if int(original.get("flags") or 0) & LOADING:
            return False
        cb = self._record.callback
        record = self.original_record
        if cb is not None and cb.type == DEFERRED_UPDATE and record is not None:
            return len(record.versions) > self._record.original_versions_at_ack
        return bool(
            message_text(original) or original.get("components") or original.get("attachments")
        )

    def _describe_timeout(self, what: str, timeout: float) -> str:
        state = f"response={self._record.callback}, original={self.original}"
        extra = f"; refused attempts: {self._record.rejections}" if self._record.rejections else ""
        return (
            f"bot did not produce {what} for {self.name!r} (interaction {self.id}) "
            f"within {timeout}s: {state}{extra}"
        )
