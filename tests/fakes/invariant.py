"""The one check that what Discord shows equals what the newsroom's store says.

Run after every test that publishes (the e2e `newsroom` fixture does it at teardown),
and by the interleaving tests after each schedule. It reads the database with its own
connection and the fake Discord's live messages, and lists every disagreement:

- a `sent` delivery's messages exist, and together show the story as the store has it:
  the current revision's headline, dek and paragraphs, and every correction note; a
  retracted story's copy shows the retraction notice and none of the story's text;
- a `cancelled` delivery left nothing in its channel;
- nothing is posted twice: the bot's messages of a story in a channel are exactly the
  messages of that channel's delivery;
- no channel where readers are (everything but the editorial and feedback channels and
  story threads) shows a retracted story's text anywhere, followers' copies included;
- a follower's copy (a crosspost Discord made into a following channel) of a story's
  first part carries every correction note, as the bot's own copies do.
- every issue's masthead agrees with the issue (`tests.fakes.invariant_issues`).
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fakes.fake_discord_messages import IS_CROSSPOST
from tests.fakes.fake_discord_world import ANNOUNCEMENT_THREAD, PRIVATE_THREAD, PUBLIC_THREAD
from tests.fakes.invariant_issues import check_mastheads

_THREADS = {ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD}
_SPACE = re.compile(r"\s+")
MIN_PARAGRAPH = 40
"""Shorter paragraphs ("Yes.") could appear in another story; they prove nothing."""


@dataclass
class _Story:
    id: int
    status: str
    article: dict[str, Any]
    texts: list[str]  # every paragraph of every revision (for retracted stories)
    notes: list[str]  # correction texts


def _flat(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def message_text(payload: dict[str, Any]) -> str:
    """Everything a reader sees of a message, as one line of text."""
    parts = [payload.get("content") or ""]
    for embed in payload.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f.get("value") or "" for f in embed.get("fields") or []]
        parts += [(embed.get("author") or {}).get("name") or "",
                  (embed.get("footer") or {}).get("text") or ""]
    return _flat(" ".join(parts))


def story_of(payload: dict[str, Any]) -> int | None:
    """The story a message belongs to, from its embeds' author or footer label."""
    for embed in payload.get("embeds") or []:
        for label in ((embed.get("author") or {}).get("name"),
                      (embed.get("footer") or {}).get("text")):
            found = re.search(r"story #(\d+)\b", label or "")
            if found:
                return int(found.group(1))
    return None


def _paragraphs(article: dict[str, Any]) -> list[str]:
    body = [article.get("dek") or "", *(article.get("body") or ()),
            article.get("why_it_matters") or "", article.get("bottom_line") or ""]
    return [_flat(p) for p in body if len(_flat(p)) >= MIN_PARAGRAPH]


def _read(db_path: Path) -> tuple[dict[int, _Story], list[dict[str, Any]]]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        stories = {}
        for row in conn.execute("SELECT id, status, current_revision FROM stories WHERE "
                                "status IN ('published', 'retracted')"):
            revisions = [json.loads(r["article"]) for r in conn.execute(
                "SELECT article FROM revisions WHERE story_id = ? ORDER BY number", [row["id"]])]
            notes = [r["text"] for r in conn.execute(
                "SELECT text FROM corrections WHERE story_id = ? ORDER BY id", [row["id"]])]
            texts = [p for article in revisions for p in _paragraphs(article)]
            stories[row["id"]] = _Story(row["id"], row["status"], revisions[-1], texts, notes)
        deliveries = [dict(r) for r in conn.execute(
            "SELECT d.*, t.kind FROM deliveries d JOIN destinations t ON t.id = d.destination_id")]
    finally:
        conn.close()
    return stories, deliveries


def check_copies(fake: Any, db_path: Path) -> list[str]:
    """Every disagreement between Discord and the store (empty: they agree)."""
    stories, deliveries = _read(db_path)
    bot = fake.world.bot_user_id
    problems: list[str] = []
    mine: dict[tuple[int, int], set[int]] = {}
    for channel_id in fake.store.channels():
        for record in fake.store.channel_records(channel_id):
            story = story_of(record.current) if record.author_id == bot else None
            if story is not None:
                mine.setdefault((channel_id, story), set()).add(record.id)
    copies = [row for row in deliveries if row["story_id"] is not None]  # not mastheads
    for row in copies:
        problems += _check_delivery(fake, row, stories.get(row["story_id"]), mine)
    claimed = {(r["channel_id"], r["story_id"]) for r in copies}
    for (channel_id, story), ids in mine.items():
        if (channel_id, story) not in claimed and channel_id in _reader_channels(fake):
            problems.append(f"story #{story} has {len(ids)} message(s) in channel {channel_id} "
                            "that no delivery accounts for")
    problems += _retracted_text_anywhere(fake, stories)
    problems += _followers_copies(fake, stories)
    problems += check_mastheads(fake, db_path, _reader_channels(fake))
    return problems


def _check_delivery(fake: Any, row: dict[str, Any], story: _Story | None,
                    mine: dict[tuple[int, int], set[int]]) -> list[str]:
    name = f"delivery {row['id']} (story #{row['story_id']}, channel {row['channel_id']}, " \
           f"{row['state']})"
    ids = json.loads(row["message_ids"])
    live = [fake.store.live(row["channel_id"], m) for m in ids]
    found = mine.get((row["channel_id"], row["story_id"]), set())
    problems = []
    extra = found - set(ids)
    if extra:
        problems.append(f"{name}: {len(extra)} message(s) of the story in the channel that the "
                        f"delivery does not record (posted twice or left behind): {sorted(extra)}")
    if row["state"] == "cancelled" and (ids or found):
        problems.append(f"{name}: a cancelled delivery left messages behind: {ids}")
    if row["state"] != "sent" or story is None:
        return problems
    if not ids or any(r is None for r in live):
        return [*problems, f"{name}: recorded messages missing from Discord: {ids}"]
    text = " ".join(message_text(r.current) for r in live)
    if story.status == "retracted":
        if "retracted this story" not in text:
            problems.append(f"{name}: the copy does not show the retraction notice")
        problems += [f"{name}: retracted text still shown: {p[:60]!r}"
                     for p in story.texts if p in text][:3]
        return problems
    wanted = [_flat(story.article.get("headline") or ""), *_paragraphs(story.article),
              *(_flat(n) for n in story.notes)]
    missing = [w for w in wanted if w and w not in text]
    problems += [f"{name}: the copy lacks {w[:70]!r}" for w in missing[:3]]
    return problems


def _reader_channels(fake: Any) -> set[int]:
    world = fake.world
    internal = {world.channels.get("editorial"), world.channels.get("feedback")}
    return {c.id for c in world.all_channels.values()
            if c.guild_id is not None and c.type not in _THREADS and c.id not in internal}


def _retracted_text_anywhere(fake: Any, stories: dict[int, _Story]) -> list[str]:
    retracted = [s for s in stories.values() if s.status == "retracted"]
    if not retracted:
        return []
    problems = []
    for channel_id in _reader_channels(fake):
        for record in fake.store.channel_records(channel_id):
            text = message_text(record.current)
            owner = story_of(record.current)
            for story in retracted:
                if owner not in (None, story.id):
                    continue  # another story's copy (tests reuse one article text)
                leaked = next((p for p in story.texts if p in text), None)
                if leaked:
                    problems.append(f"retracted story #{story.id} still readable in channel "
                                    f"{channel_id}, message {record.id}: {leaked[:60]!r}")
    return problems


def _followers_copies(fake: Any, stories: dict[int, _Story]) -> list[str]:
    problems = []
    for channel_id in _reader_channels(fake):
        for record in fake.store.channel_records(channel_id):
            story = stories.get(story_of(record.current) or 0)
            if not record.flags & IS_CROSSPOST or story is None or story.status == "retracted":
                continue
            if not any(re.search(rf"story #{story.id}$", (e.get("author") or {}).get("name")
                                 or "") for e in record.current.get("embeds") or []):
                continue  # a later part: the notes are on the first
            text = message_text(record.current)
            problems += [f"a follower's copy of story #{story.id} in channel {channel_id} "
                         f"lacks the correction {n[:60]!r}" for n in story.notes
                         if _flat(n) not in text]
    return problems
