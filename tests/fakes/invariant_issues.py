"""The invariant for issues' mastheads (part of `tests.fakes.invariant.check_copies`).

What Discord shows of every masthead equals what the store says of its issue:

- exactly one masthead per issue per channel: the bot's messages labelled "issue #N" in
  a channel are exactly the messages of that channel's masthead delivery (nothing twice,
  nothing left behind by a cancelled one, none without a delivery);
- a `sent` masthead's message exists and shows "Issue N", then the issue's stories in
  their running order, each by its current headline: struck through with "retracted"
  beside it when the story is retracted, plain otherwise;
- each entry links where the store says: the story's page in the public archive when
  the issue went out with one, else the first message of the story's copy in this very
  channel once that copy is sent (and nowhere before).
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_ISSUE_LABEL = re.compile(r"issue #(\d+)$")
_LINKED = re.compile(r"^\*\*(\d+)\. \[(.+)\]\((\S+)\)\*\*$")
_PLAIN = re.compile(r"^\*\*(\d+)\. (.+)\*\*$")
_STRUCK = re.compile(r"^(\d+)\. ~~(.+)~~ · (?:\[retracted\]\((\S+)\)|(retracted))$")
_SPACE = re.compile(r"\s+")


@dataclass
class _Entry:
    position: int
    headline: str
    link: str | None
    struck: bool


def issue_of(payload: dict[str, Any]) -> int | None:
    """The issue a masthead message belongs to, from its author label."""
    for embed in payload.get("embeds") or []:
        found = _ISSUE_LABEL.search((embed.get("author") or {}).get("name") or "")
        if found:
            return int(found.group(1))
    return None


def _unescape(text: str) -> str:
    return _SPACE.sub(" ", re.sub(r"\\(.)", r"\1", text)).strip()


def shown_entries(payload: dict[str, Any]) -> list[_Entry]:
    """The contents as a reader sees them: one entry per numbered line."""
    lines = "\n".join(e.get("description") or "" for e in payload.get("embeds") or [])
    entries = []
    for line in lines.splitlines():
        if found := _STRUCK.match(line):
            entries.append(_Entry(int(found.group(1)), _unescape(found.group(2)),
                                  found.group(3), True))
        elif found := _LINKED.match(line):
            entries.append(_Entry(int(found.group(1)), _unescape(found.group(2)),
                                  found.group(3), False))
        elif found := _PLAIN.match(line):
            entries.append(_Entry(int(found.group(1)), _unescape(found.group(2)), None, False))
    return entries


def _read(db_path: Path) -> tuple[dict[int, dict], list[dict], dict[tuple[int, int], dict]]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        issues = {}
        for row in conn.execute("SELECT * FROM issues"):
            stories = [dict(r) for r in conn.execute(
                "SELECT i.story_id, i.position, s.status, r.article FROM issue_stories i "
                "JOIN stories s ON s.id = i.story_id JOIN revisions r ON r.story_id = s.id "
                "AND r.number = s.current_revision WHERE i.issue = ? ORDER BY i.position",
                [row["number"]])]
            issues[row["number"]] = {**dict(row), "stories": stories}
        mastheads = [dict(r) for r in conn.execute(
            "SELECT d.*, t.guild_id FROM deliveries d JOIN destinations t ON "
            "t.id = d.destination_id WHERE d.story_id IS NULL")]
        copies = {(r["story_id"], r["channel_id"]): dict(r) for r in conn.execute(
            "SELECT story_id, channel_id, state, message_ids FROM deliveries "
            "WHERE story_id IS NOT NULL")}
    finally:
        conn.close()
    return issues, mastheads, copies


def check_mastheads(fake: Any, db_path: Path, reader_channels: set[int]) -> list[str]:
    issues, mastheads, copies = _read(db_path)
    bot = fake.world.bot_user_id
    posted: dict[tuple[int, int], set[int]] = {}
    for channel_id in fake.store.channels():
        for record in fake.store.channel_records(channel_id):
            number = issue_of(record.current) if record.author_id == bot else None
            if number is not None:
                posted.setdefault((channel_id, number), set()).add(record.id)
    problems = []
    for row in mastheads:
        problems += _check_one(fake, row, issues.get(row["issue_id"]), copies,
                               posted.get((row["channel_id"], row["issue_id"]), set()))
    claimed = {(r["channel_id"], r["issue_id"]) for r in mastheads}
    for (channel_id, number), ids in posted.items():
        if (channel_id, number) not in claimed and channel_id in reader_channels:
            problems.append(f"issue {number} has {len(ids)} masthead(s) in channel "
                            f"{channel_id} that no delivery accounts for")
    return problems


def _check_one(fake: Any, row: dict, issue: dict | None, copies: dict,
               found: set[int]) -> list[str]:
    name = f"masthead {row['id']} (issue {row['issue_id']}, channel {row['channel_id']}, " \
           f"{row['state']})"
    ids = json.loads(row["message_ids"])
    problems = []
    if found - set(ids):
        problems.append(f"{name}: {len(found - set(ids))} masthead message(s) the delivery "
                        f"does not record (posted twice or left behind)")
    if row["state"] == "cancelled" and (ids or found):
        problems.append(f"{name}: a cancelled masthead left messages behind")
    if row["state"] != "sent" or issue is None:
        return problems
    live = [fake.store.live(row["channel_id"], m) for m in ids]
    if len(ids) != 1 or live[0] is None:
        return [*problems, f"{name}: expected its one message in Discord, found {ids}"]
    payload = live[0].current
    title = " ".join(e.get("title") or "" for e in payload.get("embeds") or [])
    if f"Issue {issue['number']} · " not in title:
        problems.append(f"{name}: the title {title!r} does not name the issue")
    shown = shown_entries(payload)
    if len(shown) != len(issue["stories"]):
        return [*problems, f"{name}: shows {len(shown)} entries, the issue has "
                           f"{len(issue['stories'])}"]
    for entry, story in zip(shown, issue["stories"], strict=True):
        problems += _check_entry(name, entry, story, _link(issue, row, story, copies))
    return problems


def _link(issue: dict, row: dict, story: dict, copies: dict) -> str | None:
    if issue["link_base"]:
        return f"{issue['link_base']}/stories/{story['story_id']}"
    copy = copies.get((story["story_id"], row["channel_id"]))
    ids = json.loads(copy["message_ids"]) if copy and copy["state"] == "sent" else []
    if not ids:
        return None
    return f"https://discord.com/channels/{row['guild_id']}/{row['channel_id']}/{ids[0]}"


def _check_entry(name: str, entry: _Entry, story: dict, link: str | None) -> list[str]:
    headline = _SPACE.sub(" ", json.loads(story["article"]).get("headline") or "").strip()
    what = f"{name}, entry {story['position']} (story #{story['story_id']})"
    problems = []
    if entry.position != story["position"] or entry.headline != headline:
        problems.append(f"{what}: shows {entry.position}. {entry.headline!r}, the issue has "
                        f"{story['position']}. {headline!r}")
    retracted = story["status"] == "retracted"
    if entry.struck != retracted:
        problems.append(f"{what}: {'not ' if retracted else ''}struck, the story is "
                        f"{story['status']}")
    if entry.link != link:
        problems.append(f"{what}: links to {entry.link}, should link to {link}")
    return problems
