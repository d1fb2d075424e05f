"""(e) Drafting latency: `/draft request` -> first edits of the deferred reply -> card posted.

Requests are made one after another (20, or 5 with --quick) by editor1 with two pasted
sources (length "standard"); the fake Anthropic streams its default article with a set
`event_delay` between SSE events and `chunk_size` characters per text delta, which fixes
how long a stream lasts. Times are measured on the fakes' clock (monotonic) from the
moment the interaction is dispatched:

  ack            the deferral (type 5) reaches Discord
  first edit     the deferred reply is first edited ("Drafting #n: waiting for Claude...")
  first progress the first "n words written" edit (the bot edits at the first text delta,
                 then at most every 1.5 s)
  card           the draft's card is created in the editorial channel
  stream         the fake's own stream, first byte to last (the part due to the model);
                 "before stream" and "after stream" are the bot's part around it.

Run: .venv/bin/python -m bench.drafting [--quick] [--shared-loop]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from bench._drafts import SOURCES, TimedAnthropic, card_created, watch_original
from bench._harness import Report, fmt, ms, newsroom, pct, run_main
from bot.prompts import SYSTEM_PROMPT

EVENT_DELAY = 0.01
CHUNK_SIZE = 8


async def body(report: Report, args: argparse.Namespace, tmp: Path) -> None:
    n = 5 if args.quick else 20
    report.header(f"{n} AI draft requests, one after another",
                  event_delay=f"{EVENT_DELAY} s per SSE event", chunk_size=f"{CHUNK_SIZE} chars",
                  length="standard", sources="2 pasted texts (tests/e2e/test_drafting.py)",
                  fakes="shared loop" if args.shared_loop else "own thread + loop")
    rows: list[dict[str, float]] = []
    async with newsroom(tmp, own_thread=not args.shared_loop,
                        anthropic_factory=lambda: TimedAnthropic(event_delay=EVENT_DELAY,
                                                                 chunk_size=CHUNK_SIZE)
                        ) as (fakes, room):
        fake, claude = fakes.discord, fakes.claude
        editorial = room.channel("editorial")
        for i in range(n):
            handle = await fakes.invoke("editor1", "draft request", {
                "topic": f"Harbour strike ends ({i + 1})", "sources": SOURCES,
                "length": "standard"})
            events = await fakes.call(watch_original(fake, handle, "ready for review"))
            t0 = handle._record.created  # monotonic time of the dispatch
            story_id = i + 1
            card = await fakes.sync(card_created, fake, editorial, story_id)
            timing = claude.timings[i]
            edits = [(t, c) for t, c in events if c]
            progress = [t for t, c in events if "words written" in c]
            rows.append({
                "ack": handle.ack_latency,
                "first_edit": edits[0][0] - t0 if edits else float("nan"),
                "first_progress": progress[0] - t0 if progress else float("nan"),
                "card": (card - t0) if card else float("nan"),
                "final": events[-1][0] - t0,
                "before_stream": timing["start"] - t0,
                "first_delta": timing["first_delta"] - t0,
                "stream": timing["end"] - timing["start"],
                "after_stream": (card - timing["end"]) if card else float("nan"),
                "events": timing["events"],
                "progress_edits": len(progress),
            })
        revisions = [await room.bot.store.stories.revision(s) for s in (1, 2)]
        stats = fake.stats

    def line(key: str, label: str, summary: bool = False, note: str = "") -> None:
        values = [ms(r[key]) for r in rows]
        put = report.row if summary else report.line
        put(f"{label} median / p90", f"{fmt(statistics.median(values), 0)} / "
            f"{fmt(pct(values, 90), 0)}", "ms", note)

    events = statistics.median(r["events"] for r in rows)
    line("ack", "ack (deferral)")
    line("first_edit", "-> first edit of the reply")
    to_delta = statistics.median(r["first_delta"] - r["before_stream"] for r in rows)
    line("first_progress", "-> first progress edit ('words written')", summary=True,
         note=f"of which the stream up to its 1st text delta: {fmt(ms(to_delta), 0)} ms")
    line("card", "-> card in the editorial channel", summary=True,
         note=f"of which the stream: {fmt(ms(statistics.median(r['stream'] for r in rows)), 0)}"
              " ms")
    line("final", "-> reply says 'ready for review'")
    line("before_stream", "  bot part: command -> stream starts")
    line("stream", "  stream (fake Anthropic, first to last byte)",
         note=f"{events:.0f} SSE events x {EVENT_DELAY} s = {events * EVENT_DELAY:.2f} s nominal")
    line("after_stream", "  bot part: stream ends -> card created")
    for r in rows:
        r["card_to_final"] = r["final"] - r["card"]
    line("card_to_final", "  card created -> reply says 'ready for review'",
         note="card refresh edit + the reply edit")
    report.line("Discord 429s (global / route)", f"{stats.global_429s} / {stats.route_429s}")
    report.line("progress edits per request (median)",
                fmt(statistics.median(r["progress_edits"] for r in rows), 0))
    size = len(SYSTEM_PROMPT.encode())
    report.row("cached system prompt (bot.prompts.SYSTEM_PROMPT)", f"{size:,}", "bytes",
               f"{len(SYSTEM_PROMPT):,} chars, cache_control ephemeral")
    for label, rev in zip(("1st", "2nd"), revisions, strict=True):
        report.row(f"{label} request: cache_creation / cache_read",
                   f"{rev.cache_creation_tokens:,} / {rev.cache_read_tokens:,}", "tokens",
                   f"input {rev.input_tokens:,}, output {rev.output_tokens:,} (as the fake "
                   "reported, stored on the revision)")


def main() -> None:
    run_main("drafting", __doc__.splitlines()[0], body)


if __name__ == "__main__":
    main()
