"""The one Anthropic client of the newsroom, and whether the model can be reached."""

from __future__ import annotations

import asyncio
import logging

import anthropic

from bot.config import Settings
from bot.errors import NotAvailable

log = logging.getLogger(__name__)

NOT_CONFIGURED = (
    "AI drafting is not configured: set ANTHROPIC_API_KEY (see .env.example). "
    "`/draft write` still works."
)


class Claude:
    """Creates the AsyncAnthropic client lazily; `client` raises when no key is set."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.model = settings.model
        self._client: anthropic.AsyncAnthropic | None = None

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

    async def reachable(self, timeout: float = 5.0) -> tuple[bool, str]:
        """Ask the API about our model; (ok, short reason) for /newsroom status."""
        try:
            async with asyncio.timeout(timeout):
                await self.client.with_options(max_retries=0).models.retrieve(self.model)
        except TimeoutError:
            return False, f"no answer within {timeout:.0f} s"
        except anthropic.AuthenticationError:
            return False, "the API key was refused"
        except anthropic.NotFoundError:
            return False, f"the API does not know the model {self.model}"
        except anthropic.APIStatusError as exc:
            return False, f"the API answered {exc.status_code}"
        except anthropic.APIConnectionError:
            return False, "cannot connect to the API"
        return True, "ok"

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
