"""Delivered copies: what each should show, and bringing one in line with the record.

A copy is the messages of one delivery in one channel. The store says what the story
wants its copies to show now (the current text with every correction note, or the
retraction notice; for an issue's masthead, its contents as they stand, see
`storage.issues`) and what each copy shows; `CopyKeeper.bring_in_line` edits, adds,
deletes or stubs messages until the copy matches, then records what it shows.
It is the only code that changes a copy after it was sent, so a correction, a
retraction and a copy landing late can never undo each other's work.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta

import discord

from bot.admin import Admin
from bot.article import Article
from bot.discord_port import DiscordPort
from bot.issues import masthead_links, render_masthead
from bot.render import RenderedMessage, render_article, render_retraction
from storage.records import Correction, Delivery, Revision, Story, utcnow
from storage.states import DeliveryState, State
from storage.store import Store
from storage.worker import AsyncStore

log = logging.getLogger(__name__)

STUB = RenderedMessage("(This part of the story was folded into the message above.)")
RETRACTED_STUB = RenderedMessage("(Retracted: see the notice above.)")
LABEL_RE = re.compile(r"((?:story|issue) #\d+)(?: · continued \((\d+)/\d+\))?$")


@dataclass(frozen=True)
class Rendition:
    """The messages a story's copies must show, and the key recorded once they do."""

    story_id: int | None
    key: str
    parts: list[RenderedMessage]

    @property
    def retraction(self) -> bool:
        """A retracted story's copies show its notice, keyed by the state's name."""
        return self.key == State.RETRACTED


def correction_label(correction: Correction) -> tuple[str, str]:
    """('Correction, <t:...:D>', text): the note every delivered copy carries, its date a
    Discord timestamp (each reader sees it in their own zone)."""
    day = discord.utils.format_dt(correction.created_at, "D")
    return f"{correction.kind.capitalize()}, {day}", correction.text


def part_index(label: str, subject: str) -> int | None:
    """Which part of `subject` ('story #12', 'issue #3') a message is, from an embed's
    author line."""
    match = LABEL_RE.search(label)
    if match is None or match.group(1) != subject:
        return None
    return int(match.group(2)) - 1 if match.group(2) else 0


class Renditions:
    """Renders each version of a story once (a fan-out renders it for every channel)."""

    def __init__(self, store: AsyncStore, admin: Admin) -> None:
        self.store = store
        self.admin = admin
        self._cache: dict[tuple[int, str], Rendition] = {}

    async def of(self, delivery: Delivery) -> Rendition:
        """What this part must show: its story's copy, or its issue's masthead."""
        if delivery.story_id is not None:
            return await self.current(delivery.story_id)
        masthead = await self.store.issues.masthead(delivery.id)
        part = render_masthead(masthead.issue, self.admin.current.name,
                               masthead_links(masthead))
        return Rendition(None, masthead.key, [part])

    async def current(self, story_id: int) -> Rendition:
        def read(s: Store) -> tuple[Story, Revision, list[Correction]]:
            return (s.stories.get(story_id), s.stories.revision(story_id),
                    s.archive.corrections(story_id))

        story, revision, corrections = await self.store.run(read)
        key = (State.RETRACTED if story.status == State.RETRACTED
               else f"r{story.current_revision}c{len(corrections)}")
        cached = self._cache.get((story_id, key))
        if cached is not None:
            return cached
        article = Article.from_dict(revision.article)
        current = self.admin.current
        if key == State.RETRACTED:
            day = discord.utils.format_dt(story.retracted_at or utcnow(), "D")
            parts = [render_retraction(story_id, article.headline, story.retraction_reason or "",
                                       day, current.name)]
        else:
            labels = [correction_label(c) for c in corrections]
            parts = render_article(article, story_id=story_id, agency_name=current.name,
                                   corrections=labels, label=story.publish_label,
                                   url=self.admin.settings.story_url(story_id))
        rendition = Rendition(story_id, key, parts)
        self._cache = {k: v for k, v in self._cache.items() if k[0] != story_id}
        self._cache[(story_id, key)] = rendition
        return rendition


@dataclass
class Outcome:
    """What bringing one copy in line did."""

    delivery: Delivery
    changed: bool = False
    error: str | None = None


class CopyKeeper:
    def __init__(self, store: AsyncStore, port: DiscordPort, renditions: Renditions) -> None:
        self.store = store
        self.port = port
        self.renditions = renditions
        self.retry_after = 30.0

    async def bring_in_line(self, delivery_id: int) -> Outcome:
        """Make one copy show what the record wants; the caller holds its lock."""
        state = await self.store.outbox.copy_state(delivery_id)
        delivery = state.delivery
        try:
            if delivery.state == DeliveryState.SENT and not state.up_to_date:
                rendition = await self.renditions.of(delivery)
                ids = await self._rewrite(delivery, rendition, state.announcement)
                await self.store.outbox.set_shown(delivery.id, ids, rendition.key)
                gone = delivery.message_ids and delivery.message_ids[0] not in ids
                return Outcome(delivery, changed=True,
                               error="the message was deleted" if gone else None)
            if delivery.state == DeliveryState.CANCELLED and (delivery.message_ids
                                                             or delivery.sending_since):
                await self._withdraw(delivery)
                return Outcome(delivery, changed=bool(delivery.message_ids))
        except (discord.HTTPException, OSError, TimeoutError) as exc:
            error = _describe(exc)
            log.info("copy %s could not be brought in line: %s", delivery.id, error)
            await self.store.outbox.repair_failed(
                delivery.id, error=error, retry_at=utcnow() + timedelta(seconds=self.retry_after))
            return Outcome(delivery, error=error)
        if delivery.sync:
            await self.store.outbox.set_shown(delivery.id, delivery.message_ids,
                                              delivery.shown or "")
        return Outcome(delivery)

    async def _rewrite(self, delivery: Delivery, rendition: Rendition,
                       announcement: bool) -> list[int]:
        """Edit the copy's messages into the rendition, adding or removing parts."""
        ids = list(delivery.message_ids)
        parts = rendition.parts
        kept: list[int] = []
        for index, message_id in enumerate(ids[:len(parts)]):
            buttons = delivery.story_id if index == len(parts) - 1 and not rendition.retraction \
                else None
            if await self._edit(delivery, message_id, parts[index], buttons):
                kept.append(message_id)
        for index in range(len(ids), len(parts)):
            buttons = delivery.story_id if index == len(parts) - 1 else None
            nonce = f"nr{delivery.id}.{index}.{rendition.key}"[:25]
            kept.append(await self.port.send(delivery.channel_id, parts[index], nonce=nonce,
                                             buttons_for=buttons))
            await self.store.outbox.record_parts(delivery.id, kept + ids[len(kept):])
            if announcement:
                await self.store.outbox.set_crosspost(delivery.id, "pending")
        for message_id in ids[len(parts):]:
            kept.extend(await self._retire(delivery, message_id, rendition, announcement))
        return kept

    async def _edit(self, delivery: Delivery, message_id: int, part: RenderedMessage,
                    buttons: int | None) -> bool:
        """Edit one message; False when it no longer exists (deleted by a moderator)."""
        try:
            await self.port.edit(delivery.channel_id, message_id, part, buttons_for=buttons)
        except discord.NotFound:
            log.info("message %s of delivery %s was deleted in Discord", message_id, delivery.id)
            return False
        return True

    async def _retire(self, delivery: Delivery, message_id: int, rendition: Rendition,
                      announcement: bool) -> list[int]:
        """A part the copy no longer needs: deleted, or in an announcement channel edited
        into a stub (deleting a crossposted message would leave its followers' copies)."""
        if announcement:
            stub = RETRACTED_STUB if rendition.retraction else STUB
            return [message_id] if await self._edit(delivery, message_id, stub, None) else []
        await self._delete(delivery.channel_id, message_id)
        return []

    async def _delete(self, channel_id: int, message_id: int) -> None:
        try:
            await self.port.delete(channel_id, message_id)
        except discord.NotFound:
            pass

    async def _withdraw(self, delivery: Delivery) -> None:
        """A cancelled delivery leaves nothing behind: delete what landed."""
        ids = list(delivery.message_ids)
        if delivery.sending_since is not None:
            found, extra = await self.find_landed(delivery)
            ids = list(dict.fromkeys([*ids, *found, *extra]))
        for message_id in ids:
            await self._delete(delivery.channel_id, message_id)
        await self.store.outbox.cleared(delivery.id)

    async def find_landed(self, delivery: Delivery) -> tuple[list[int], list[int]]:
        """The parts of this delivery already in the channel, in order, and duplicates.

        Parts are recognised by the story (or issue) number in their author line, among
        the bot's own messages posted after the delivery was created; a channel receives
        a story, and an issue's masthead, once, so any such message belongs to this
        delivery.
        """
        by_index: dict[int, int] = {}
        duplicates: list[int] = []
        async for posted in self.port.history(delivery.channel_id, delivery.created_at):
            if posted.author_id != self.port.user_id:
                continue
            index = next((i for i in (part_index(label, delivery.subject)
                                      for label in posted.labels) if i is not None), None)
            if index is None:
                continue
            if index in by_index:
                duplicates.append(posted.id)
            else:
                by_index[index] = posted.id
        found = []
        while len(found) in by_index:
            found.append(by_index[len(found)])
        duplicates.extend(v for k, v in by_index.items() if k >= len(found))
        return found, duplicates

    async def reconcile(self, delivery: Delivery) -> list[int]:
        """Before resending after a crash: keep what landed, delete strays, record it."""
        found, duplicates = await self.find_landed(delivery)
        for message_id in duplicates:
            await self._delete(delivery.channel_id, message_id)
        if found != list(delivery.message_ids):
            log.info("delivery %s: %d part(s) already in the channel", delivery.id, len(found))
            await self.store.outbox.record_parts(delivery.id, found)
        return found


def _describe(exc: BaseException) -> str:
    if isinstance(exc, discord.HTTPException):
        return f"Discord error {exc.status}: {exc.text or exc.code}"[:300]
    return f"{type(exc).__name__}: {exc}"[:300]

