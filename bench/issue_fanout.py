"""(i) An issue: an edition of S stories to N subscribed channels + the announcement channel.

Every channel gets a masthead, then the stories in running order; the masthead is then
edited once its stories landed so that its links point at that channel's copies. The
fake Discord enforces the global limit (50 requests/s). Figures: total time, the bound
(every request the issue needs at 50/s), messages posted and edited, edits per masthead,
channels where the order or the count is wrong.

Run: .venv/bin/python -m bench.issue_fanout [--quick] [--shared-loop]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._harness import Report, fmt, newsroom, run_main, subscribe_channels
from bench.fanout import counters
from tests.e2e.helpers import editor, make_story
from tests.fakes.invariant import check_copies, story_of
from tests.fakes.invariant_issues import issue_of

STORIES = ("clean_copyright_ruling.md", "clean_ai_tutor_study.md", "clean_chip_export_rules.md")
POST = "POST /channels/{channel_id}/messages"
PATCH = "PATCH /channels/{channel_id}/messages/{message_id}"


def census(fake: Any, channels: list[int], want: list[tuple[str, int]]) -> dict[str, Any]:
    """Per channel: did a reader meet exactly the masthead then the stories in order;
    how many versions each masthead went through; when the last message landed."""
    wrong, versions, last = 0, [], 0.0
    for channel_id in channels:
        seen: list[tuple[str, int]] = []
        for record in fake.store.channel_records(channel_id):
            number, story = issue_of(record.current), story_of(record.current)
            part = ("issue", number) if number else ("story", story or 0)
            if not seen or seen[-1] != part:
                seen.append(part)
            if number:
                versions.append(len(record.versions))
            last = max(last, record.created_monotonic)
        wrong += seen != want
    return {"wrong": wrong, "versions": versions, "last": last}


async def body(report: Report, args: argparse.Namespace, tmp: Path) -> None:
    n_channels = 150 if args.quick else 500
    report.header(f"an issue of {len(STORIES)} stories to {n_channels} subscribed channels + "
                  "the announcement channel", channels=n_channels + 1, stories=len(STORIES),
                  global_limit="50 requests / 1 s window (fake Discord)")
    async with newsroom(tmp, own_thread=not args.shared_loop) as (fakes, room):
        fake = fakes.discord
        channels = await subscribe_channels(fakes, room, n_channels)
        stories = []
        for name in STORIES:
            story = await make_story(room, "approved", name=name)
            await room.bot.publisher.schedule(story, editor(room, "editor1"), "next")
            stories.append(story)
        targets = [*channels, room.channel("announcements")]
        before = await fakes.sync(counters, fake)
        t0 = time.monotonic()
        await room.bot.publisher.run_edition(datetime.now(UTC))
        await room.bot.courier.drain(timeout=900)
        drained = time.monotonic()
        after = await fakes.sync(counters, fake)
        want = [("issue", 1), *(("story", s) for s in stories)]
        seen = await fakes.sync(census, fake, targets, want)
        problems = await fakes.sync(check_copies, fake, room.db_path)
    requests = {k: after["requests"].get(k, 0) - before["requests"].get(k, 0)
                for k in (POST, PATCH)}
    edits = [v - 1 for v in seen["versions"]]
    needed = len(targets) * (len(STORIES) + 2)  # masthead, stories, one masthead edit
    report.row("total issue fan-out time", fmt(seen["last"] - t0, 2), "s",
               "edition run -> last message created")
    report.row("drain() returned after", fmt(drained - t0, 2), "s",
               "masthead edits and the crossposts included")
    report.row("bound (masthead + stories + 1 edit per channel, at 50/s)",
               fmt(needed / 50, 2), "s")
    report.row("ratio drain / bound", fmt((drained - t0) / (needed / 50), 2), "x")
    report.line("messages posted / edited", f"{requests[POST]} / {requests[PATCH]}")
    report.row("masthead edits per channel (min / max)",
               f"{min(edits)} / {max(edits)}" if edits else "n/a")
    report.row("global 429s", str(after["global_429s"] - before["global_429s"]))
    report.row("channels not reading masthead then stories in order", str(seen["wrong"]))
    report.row("invariant problems (Discord vs store)", str(len(problems)))


def main() -> None:
    run_main("issue_fanout", __doc__.splitlines()[0], body)


if __name__ == "__main__":
    main()
