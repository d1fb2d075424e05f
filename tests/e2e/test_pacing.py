"""Issue 13: one pacer for every request counted by Discord's global limit, with an
editor's requests ahead of the courier's bulk work."""

from __future__ import annotations

import time
from datetime import datetime

from bot.courier import CONCURRENCY
from bot.pacer import BURST, Priority
from cogs._cards import post_card
from tests.e2e.conftest import Newsroom
from tests.e2e.helpers import make_story, wait_for

CHANNELS = 40


def waiting(room: Newsroom, level: Priority) -> int:
    return sum(1 for rank, _, ticket in room.bot.pacer.waiting
               if rank == level and not ticket.done())


async def test_an_editors_card_edit_goes_ahead_of_a_fan_out(newsroom: Newsroom) -> None:
    fake, bot = newsroom.discord, newsroom.bot
    other = fake.world.other_guild_id
    channels = fake.add_text_channels(other, CHANNELS)
    admin2 = newsroom.user("admin2")

    def subscribe_all(store) -> None:  # type: ignore[no-untyped-def]
        for channel_id in channels:
            store.outbox.add_destination(kind="subscriber", guild_id=other,
                                         channel_id=channel_id, added_by=admin2)

    await bot.store.run(subscribe_all)
    carded = await make_story(newsroom, "approved")
    card = await post_card(bot, carded)
    assert card is not None
    story = await make_story(newsroom, "approved")

    def copies() -> list[dict]:
        return [m for c in channels for m in fake.channel_messages(c)]

    frozen = time.monotonic()
    bot.pacer.clock = lambda: frozen  # the pacer's second never ends: requests queue up
    await newsroom.invoke("editor1", "publish now", {"story": story})
    await wait_for(lambda: waiting(newsroom, Priority.BULK) >= CONCURRENCY)  # as many as run
    scheduled = await newsroom.invoke("editor1", "publish schedule",
                                      {"story": carded, "when": "in 300d"})
    await wait_for(lambda: waiting(newsroom, Priority.INTERACTIVE) >= 1)
    bot.pacer.clock = time.monotonic  # time goes on: the queue is let go
    await scheduled.wait_final()
    await bot.courier.drain(timeout=30)

    assert len(copies()) == CHANNELS  # every subscriber got the story, once
    edited = next(m for m in fake.channel_messages(newsroom.channel("editorial"))
                  if m["id"] == str(card.id))
    assert edited["edited_timestamp"] is not None
    card_edit = datetime.fromisoformat(edited["edited_timestamp"])
    after = [m for m in copies() if datetime.fromisoformat(m["timestamp"]) > card_edit]
    assert len(after) >= CHANNELS - BURST  # it went ahead of every delivery queued before it
    assert fake.stats.global_429s == 0
