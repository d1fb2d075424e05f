"""Warn the team before the drafting model retires.

Models are deprecated, then retired on a date the API reports (`models.retrieve`); after
that every draft fails. A month before, the team is told once in the editorial channel,
and `/newsroom status` shows the date from then on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.claude import Claude
from storage.worker import AsyncStore

log = logging.getLogger(__name__)


async def warn_if_retiring(claude: Claude, store: AsyncStore,
                           notify: Callable[[str], Awaitable[None]], now: datetime) -> str | None:
    """Post the retirement warning once per model and date; the text, when one is due."""
    if not claude.configured:
        return None
    state = await claude.model_state(fresh=True)
    if not state.retires_soon(now):
        return None
    when = f"{state.retires_at:%Y-%m-%d}" if state.retires_at else "retired"
    key = f"model-retirement-warned:{claude.model}:{when}"
    if await store.meta.get(key) is not None:
        return None
    text = (f"Warning: {state.lifecycle_text(claude.model, now)} Set NEWSROOM_MODEL to a "
            "current model before then: drafts fail once it has retired.")
    await notify(text)
    await store.meta.put(key, now.isoformat())
    log.warning("%s", text)
    return text
