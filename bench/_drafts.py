"""Drafting helpers shared by bench.drafting and bench.loop_lag: a fake Anthropic that
timestamps its streams, and a watcher of the editor's deferred reply."""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.fake_anthropic import FakeAnthropic

# the sources of tests/e2e/test_drafting.py: two pasted texts
SOURCES = ("1) The harbour authority said on Monday that container traffic fell 12 percent in "
           "October after the strike. Ships waited up to four days for a berth. "
           "2) The dockworkers' union said its 1,800 members will return to work on Wednesday "
           "after accepting a 6 percent pay rise.")


class _TimedWriter:
    """Stands in for the SSE response: notes when the first text delta goes out."""

    def __init__(self, response: Any, timing: dict[str, float]) -> None:
        self._response, self._timing = response, timing

    async def write(self, data: bytes) -> None:
        if "first_delta" not in self._timing and b"content_block_delta" in data:
            self._timing["first_delta"] = time.monotonic()
        await self._response.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._response, name)


class TimedAnthropic(FakeAnthropic):
    """FakeAnthropic recording, per stream, when it started, sent its first text delta
    and ended (monotonic clock), and how many SSE events it sent."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.timings: list[dict[str, float]] = []

    async def _write_events(self, response: Any, record: Any, message: Any, usage: Any,
                            behaviour: Any) -> None:
        timing = {"start": time.monotonic()}
        self.timings.append(timing)
        await super()._write_events(_TimedWriter(response, timing), record, message, usage,
                                    behaviour)
        timing["end"] = time.monotonic()
        timing["events"] = len(record.events)


async def watch_original(fake: Any, handle: Any, done: str, timeout: float = 120.0
                         ) -> list[tuple[float, str]]:
    """(monotonic time, content) of every version of the interaction's @original, until a
    version contains `done`. Runs on the fake's loop; wakes on every change of the fake."""
    seen = 0
    events: list[tuple[float, str]] = []
    deadline = time.monotonic() + timeout

    def grown() -> bool | None:
        record = handle.original_record
        return True if record is not None and len(record.versions) > seen else None

    while True:
        record = handle.original_record
        count = len(record.versions) if record is not None else 0
        if count > seen:
            now = time.monotonic()
            events += [(now, v.payload.get("content") or "") for v in record.versions[seen:count]]
            seen = count
            if any(done in content for _, content in events):
                return events
        await fake.notifier.wait_for(grown, max(deadline - time.monotonic(), 0.01),
                                     lambda: f"no '{done}' in the reply within {timeout}s")


def card_created(fake: Any, channel_id: int, story_id: int) -> float | None:
    """When the story's card (embed author '#id · ...') was created in the channel."""
    for record in fake.store.channel_records(channel_id):
        for embed in record.versions[0].payload.get("embeds") or []:
            if ((embed.get("author") or {}).get("name") or "").startswith(f"#{story_id} ·"):
                return record.created_monotonic
    return None
