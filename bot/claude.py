"""The one Anthropic client of the newsroom, what the API says about our model, and
token counting before a draft is paid for.

The SDK is imported on first use, not at start-up: importing it takes about a second
and some 60 MiB (pydantic models of the whole API), which a newsroom that is not
drafting has no use for. `Claude.load` imports it in a worker thread, so the event loop
never waits for it; until then no SDK error can have been raised (`api_errors`). What the
API says about our model (one GET, asked at start-up, daily and by `/newsroom status`) is
read with a plain HTTP request, so that alone never loads the SDK.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp

from bot.config import Settings
from bot.errors import NotAvailable

if TYPE_CHECKING:
    import anthropic

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
API_BASE = "https://api.anthropic.com"
API_VERSION = "2023-06-01"


def sdk() -> ModuleType:
    """The `anthropic` module (imported here the first time: call `Claude.load` first on
    the event loop)."""
    return importlib.import_module("anthropic")


def api_errors() -> tuple[type[Exception], ...]:
    """What a call through the SDK raises besides TimeoutError: its API errors, and the
    transport errors of its HTTP client (a stream that breaks off); nothing while the SDK
    is not loaded, when none can have been raised."""
    return (*transport_errors(), sys.modules["anthropic"].APIError) \
        if "anthropic" in sys.modules else ()


def transport_errors() -> tuple[type[Exception], ...]:
    """httpx2's transport error (imported by the SDK), once loaded."""
    module = sys.modules.get("httpx2")
    return (module.TransportError,) if module is not None else ()


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

    def require(self) -> None:
        """Raise `NotAvailable` (a message for editors) when no API key is set."""
        if self.settings.anthropic_api_key is None:
            raise NotAvailable(NOT_CONFIGURED)

    @property
    def client(self) -> anthropic.AsyncAnthropic:
        """The client (on the event loop, only once `load` has run)."""
        self.require()
        if self._client is None:
            assert self.settings.anthropic_api_key is not None
            self._client = sdk().AsyncAnthropic(
                api_key=self.settings.anthropic_api_key.get_secret_value(),
                base_url=self.settings.anthropic_base_url,
                max_retries=2,
                timeout=self.settings.draft_timeout,
            )
        return self._client

    async def load(self) -> anthropic.AsyncAnthropic:
        """The client; the first time, the SDK is imported and the client built (it loads
        the TLS certificates) in a worker thread."""
        if self._client is None:
            await asyncio.to_thread(lambda: self.client)
        return self.client

    async def model_state(self, timeout: float = 5.0, *, fresh: bool = False) -> ModelState:
        """Ask the API about our model (cached for an hour once it answered)."""
        if (not fresh and self._state is not None and self._state.reachable
                and time.monotonic() - self._state_at < MODEL_INFO_TTL):
            return self._state
        state = await self._retrieve(timeout)
        self._state, self._state_at = state, time.monotonic()
        return state

    async def _retrieve(self, timeout: float) -> ModelState:
        """GET /v1/models/{model}, as the SDK's `models.retrieve` would (no retries)."""
        self.require()
        assert self.settings.anthropic_api_key is not None
        base = (self.settings.anthropic_base_url or API_BASE).rstrip("/")
        headers = {"x-api-key": self.settings.anthropic_api_key.get_secret_value(),
                   "anthropic-version": API_VERSION}
        try:
            async with (asyncio.timeout(timeout), aiohttp.ClientSession() as session,
                        session.get(f"{base}/v1/models/{quote(self.model, safe='')}",
                                    headers=headers) as response):
                status = response.status
                info = await response.json() if status == 200 else {}
        except TimeoutError:
            return ModelState(False, f"no answer within {timeout:.0f} s")
        except (aiohttp.ClientError, ValueError):
            return ModelState(False, "cannot connect to the API")
        if status != 200:
            return ModelState(False, {401: "the API key was refused",
                                      404: f"the API does not know the model {self.model}"}
                              .get(status, f"the API answered {status}"))
        return ModelState(True, "ok", lifecycle=info.get("lifecycle"),
                          deprecated_at=_when(info.get("deprecated_at")),
                          retires_at=_when(info.get("retires_at")),
                          max_input_tokens=info.get("max_input_tokens"))

    async def context_window(self) -> int:
        """The model's input window in tokens, as the API reports it."""
        state = await self.model_state()
        return state.max_input_tokens or DEFAULT_WINDOW

    async def count_tokens(self, request: dict[str, Any]) -> int:
        """Input tokens of a Messages request, counted by the API (free of charge)."""
        client = await self.load()
        counted = await client.messages.count_tokens(
            **{k: request[k] for k in COUNTED_KEYS if k in request})
        return counted.input_tokens

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
