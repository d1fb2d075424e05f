"""The one Anthropic client of the newsroom, what the API says about our model, and
token counting before a draft is paid for."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anthropic

from bot.config import Settings
from bot.errors import NotAvailable

log = logging.getLogger(__name__)

NOT_CONFIGURED = (
    "AI drafting is not configured: set ANTHROPIC_API_KEY (see .env.example). "
    "`/draft write` still works."
)
MODEL_INFO_TTL = 3600.0
"""How long what models.retrieve said is trusted (the lifecycle changes over weeks)."""
DEFAULT_WINDOW = 200_000
"""The context window assumed when the API does not report the model's."""
RETIREMENT_WARNING = timedelta(days=30)
COUNTED_KEYS = ("model", "system", "messages", "tools", "tool_choice", "thinking")


@dataclass(frozen=True)
class ModelState:
    """What `/newsroom status` shows about the model, from models.retrieve."""

    reachable: bool
    detail: str
    lifecycle: str | None = None
    deprecated_at: datetime | None = None
    retires_at: datetime | None = None
    max_input_tokens: int | None = None

    def retires_soon(self, now: datetime) -> bool:
        """Retired, or retiring within a month: the team must change NEWSROOM_MODEL."""
        if self.lifecycle == "retired":
            return True
        return self.retires_at is not None and self.retires_at - now <= RETIREMENT_WARNING

    def lifecycle_text(self, model: str, now: datetime) -> str | None:
        """A plain sentence about the model's lifecycle, or None while it is simply active."""
        if self.lifecycle == "retired":
            return f"{model} is retired: drafting fails until NEWSROOM_MODEL names a current model."
        if self.lifecycle != "deprecated" and self.retires_at is None:
            return None
        since = f" since {self.deprecated_at:%d %B %Y}" if self.deprecated_at else ""
        if self.retires_at is None:
            return f"{model} is deprecated{since}; no retirement date is set yet."
        days = (self.retires_at - now).days
        when = f"on {self.retires_at:%d %B %Y} ({'overdue' if days < 0 else f'in {days} days'})"
        return f"{model} is deprecated{since} and retires {when}."


class Claude:
    """Creates the AsyncAnthropic client lazily; `client` raises when no key is set."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.model = settings.model
        self._client: anthropic.AsyncAnthropic | None = None
        self._state: ModelState | None = None
        self._state_at = 0.0

    @property
    def configured(self) -> bool:
        return self.settings.anthropic_api_key is not None

    @property
    def client(self) -> anthropic.AsyncAnthropic:
        if self.settings.anthropic_api_key is None:
            raise NotAvailable(NOT_CONFIGURED)
        if self._client is None:
            self._client = anthropic.AsyncAnthropic(
                api_key=self.settings.anthropic_api_key.get_secret_value(),
                base_url=self.settings.anthropic_base_url,
                max_retries=2,
                timeout=self.settings.draft_timeout,
            )
        return self._client

    async def model_state(self, timeout: float = 5.0, *, fresh: bool = False) -> ModelState:
        """Ask the API about our model (cached for an hour once it answered)."""
        if (not fresh and self._state is not None and self._state.reachable
                and time.monotonic() - self._state_at < MODEL_INFO_TTL):
            return self._state
        state = await self._retrieve(timeout)
        self._state, self._state_at = state, time.monotonic()
        return state

    async def _retrieve(self, timeout: float) -> ModelState:
        try:
            async with asyncio.timeout(timeout):
                info = await self.client.with_options(max_retries=0).models.retrieve(self.model)
        except TimeoutError:
            return ModelState(False, f"no answer within {timeout:.0f} s")
        except anthropic.AuthenticationError:
            return ModelState(False, "the API key was refused")
        except anthropic.NotFoundError:
            return ModelState(False, f"the API does not know the model {self.model}")
        except anthropic.APIStatusError as exc:
            return ModelState(False, f"the API answered {exc.status_code}")
        except anthropic.APIConnectionError:
            return ModelState(False, "cannot connect to the API")
        return ModelState(True, "ok", lifecycle=info.lifecycle, deprecated_at=info.deprecated_at,
                          retires_at=info.retires_at, max_input_tokens=info.max_input_tokens)

    async def context_window(self) -> int:
        """The model's input window in tokens, as the API reports it."""
        state = await self.model_state()
        return state.max_input_tokens or DEFAULT_WINDOW

    async def count_tokens(self, request: dict[str, Any]) -> int:
        """Input tokens of a Messages request, counted by the API (free of charge)."""
        counted = await self.client.messages.count_tokens(
            **{k: request[k] for k in COUNTED_KEYS if k in request})
        return counted.input_tokens

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
